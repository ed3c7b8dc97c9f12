/* fuzz-sources: common/frame.c common/buf.c common/xmalloc.c */
/*
 * libFuzzer target for the frame decoder.  Input layout:
 *
 *	byte 0		max_body selector (0: LIMIT_FRAME_BODY, else n * 8)
 *	bytes 1-4	chunk sizes the stream is fed in, used in turn
 *	bytes 5-	the byte stream
 *
 * Shorter inputs are fed whole with the default limit.  Every decoded frame
 * is checked against the decoder's invariants; a violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "limits.h"

#define FUZZ_PREFIX	5

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_drain(struct frame_decoder *d);

/* Take every frame out of d, checking each; stops at MORE or an error. */
static void
fuzz_drain(struct frame_decoder *d)
{
	struct frame_hdr	 h, again;
	const uint8_t		*body;
	uint8_t			 raw[FRAME_HDR_LEN];

	while (frame_decoder_next(d, &h, &body) == FRAME_OK) {
		if (h.body_len > d->max_body || h.version != FRAME_VERSION ||
		    h.type == 0 || h.type >= FRAME_TYPE__MAX ||
		    (h.flags & ~FRAME_F__ALL) != 0)
			abort();
		/* The header re-encodes to the bytes it came from. */
		frame_hdr_encode(&h, raw);
		if (memcmp(raw, body - FRAME_HDR_LEN, FRAME_HDR_LEN) != 0)
			abort();
		if (frame_hdr_decode(raw, sizeof(raw), d->max_body, &again) !=
		    FRAME_OK || memcmp(&again, &h, sizeof(h)) != 0)
			abort();
	}
	if (d->in.len > FRAME_HDR_LEN + d->max_body)
		abort();
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
		if (frame_decoder_feed(&d, p, chunk) == -1)
			break;
		p += chunk;
		n -= chunk;
		fuzz_drain(&d);
	}
	frame_decoder_clear(&d);
	return 0;
}
