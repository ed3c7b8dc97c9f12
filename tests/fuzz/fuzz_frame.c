/* fuzz-sources: common/frame.c common/buf.c common/xmalloc.c */
/*
 * libFuzzer target for the frame decoder.  Input layout:
 *
 *	byte 0		max_body selector (0: LIMIT_FRAME_BODY, else n * 8;
 *			255: the two-maximum-frames mode below)
 *	bytes 1-4	chunk sizes the stream is pushed in, used in turn
 *	bytes 5-	the byte stream
 *
 * Shorter inputs are pushed whole with the default limit.  Every decoded
 * frame is checked against the decoder's invariants; a violation aborts.
 *
 * Two-maximum-frames mode (byte 0 == 255): bytes 1-4 are a big-endian
 * split point taken modulo the stream length + 1; two frames of
 * LIMIT_FRAME_BODY bytes back to back are pushed in two reads cut there,
 * then the rest of the input.  Both frames must come out whole, in order,
 * whatever the cut (issue 10: a read past one maximum frame wedged).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "abc_limits.h"

#define FUZZ_PREFIX	5
#define FUZZ_TWO_MAX	255

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int	fuzz_check(void *arg, const struct frame_hdr *h,
		    const uint8_t *body);
static int	fuzz_count_max(void *arg, const struct frame_hdr *h,
		    const uint8_t *body);
static void	fuzz_two_max(const uint8_t *data, size_t size);

/* frame_fn: checks one decoded frame; arg is the decoder. */
static int
fuzz_check(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	const struct frame_decoder	*d = arg;
	struct frame_hdr		 again;
	uint8_t				 raw[FRAME_HDR_LEN];

	if (h->body_len > d->max_body || h->version != FRAME_VERSION ||
	    h->type == 0 || h->type >= FRAME_TYPE__MAX ||
	    (h->flags & ~FRAME_F__ALL) != 0)
		abort();
	/* The header re-encodes to the bytes it came from. */
	frame_hdr_encode(h, raw);
	if (memcmp(raw, body - FRAME_HDR_LEN, FRAME_HDR_LEN) != 0)
		abort();
	if (frame_hdr_decode(raw, sizeof(raw), d->max_body, &again) !=
	    FRAME_OK || memcmp(&again, h, sizeof(*h)) != 0)
		abort();
	return 0;
}

/* Counts maximum frames; each must carry its index in every byte. */
static int
fuzz_count_max(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	size_t	*n = arg;

	if (*n >= 2 || h->body_len != LIMIT_FRAME_BODY ||
	    h->id != *n + 1 || body[0] != (uint8_t)*n ||
	    body[LIMIT_FRAME_BODY - 1] != (uint8_t)*n)
		abort();
	(*n)++;
	return 0;
}

static void
fuzz_two_max(const uint8_t *data, size_t size)
{
	static struct buf	 s;
	struct frame_decoder	 d;
	struct frame_hdr	 h;
	uint8_t			*body;
	size_t			 cut, n = 0;
	int			 i;

	if (s.len == 0) {
		buf_init(&s, 0);
		if ((body = malloc(LIMIT_FRAME_BODY)) == NULL)
			abort();
		for (i = 0; i < 2; i++) {
			memset(&h, 0, sizeof(h));
			h.type = FRAME_REQUEST;
			h.id = (uint64_t)i + 1;
			memset(body, i, LIMIT_FRAME_BODY);
			if (frame_append(&s, &h, body, LIMIT_FRAME_BODY) != 0)
				abort();
		}
		free(body);
	}
	cut = ((size_t)data[1] << 24 | (size_t)data[2] << 16 |
	    (size_t)data[3] << 8 | data[4]) % (s.len + 1);
	frame_decoder_init(&d, 0);
	if (frame_decoder_push(&d, s.data, cut, fuzz_count_max, &n) !=
	    FRAME_MORE || frame_decoder_push(&d, s.data + cut, s.len - cut,
	    fuzz_count_max, &n) != FRAME_MORE || n != 2)
		abort();
	(void)frame_decoder_push(&d, data + FUZZ_PREFIX, size - FUZZ_PREFIX,
	    fuzz_check, &d);
	frame_decoder_clear(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h;
	const uint8_t		*p = data;
	size_t			 n = size, chunk, i = 0, max_body = 0;
	uint8_t			 sizes[4] = { 255, 255, 255, 255 };

	(void)frame_hdr_decode(data, size, 0, &h);
	if (size >= FUZZ_PREFIX && data[0] == FUZZ_TWO_MAX) {
		fuzz_two_max(data, size);
		return 0;
	}
	if (size >= FUZZ_PREFIX) {
		max_body = (size_t)data[0] * 8;
		memcpy(sizes, data + 1, sizeof(sizes));
		p = data + FUZZ_PREFIX;
		n = size - FUZZ_PREFIX;
		(void)frame_hdr_decode(p, n, max_body, &h);
	}
	frame_decoder_init(&d, max_body);
	while (n > 0) {
		chunk = 1 + sizes[i++ % 4];
		if (chunk > n)
			chunk = n;
		if (frame_decoder_push(&d, p, chunk, fuzz_check, &d) !=
		    FRAME_MORE)
			break;
		if (d.in.len > FRAME_HDR_LEN + d.max_body)
			abort();
		p += chunk;
		n -= chunk;
	}
	frame_decoder_clear(&d);
	return 0;
}
