/* CUnit tests for common/frame.c, the link's frame codec. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "frame.h"
#include "abc_limits.h"

#define NFRAMES	3

/* A decoded frame, body copied out of the decoder. */
struct got {
	struct frame_hdr	 h;
	uint8_t			*body;
};

static const size_t	 stream_body_lens[NFRAMES] = { 0, 5, 300 };

static struct frame_hdr	 hdr_make(uint8_t type, uint64_t id);
static void	 body_fill(uint8_t *p, size_t n, unsigned seed);
static void	 stream_build(struct buf *out, uint8_t *bodies[NFRAMES]);
static int	 drain(struct frame_decoder *d, struct got *got, int *ngot,
		    int maxgot);
static void	 stream_check(const struct got *got, int ngot,
		    uint8_t *bodies[NFRAMES]);
static void	 got_free(struct got *got, int ngot);
static enum frame_status hdr_status(const struct frame_hdr *h, size_t max);
static uint32_t	 rng_next(uint32_t *s);

/* Returns a header of the given type with distinctive field values. */
static struct frame_hdr
hdr_make(uint8_t type, uint64_t id)
{
	struct frame_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = type;
	h.flags = (type & 1) != 0 ? FRAME_F_RESEND : FRAME_F_DRAIN;
	h.id = id;
	h.ack = 0x0102030405060708ULL + id;
	h.sack = 0xf0e0d0c0b0a09080ULL ^ id;
	h.ref = UINT64_MAX - id;
	return h;
}

static void
body_fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* Build the three-frame test stream; bodies[] are allocated here. */
static void
stream_build(struct buf *out, uint8_t *bodies[NFRAMES])
{
	struct frame_hdr	 h;
	int			 i;

	buf_init(out, 0);
	for (i = 0; i < NFRAMES; i++) {
		bodies[i] = malloc(stream_body_lens[i] + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bodies[i]);
		body_fill(bodies[i], stream_body_lens[i], (unsigned)i);
		h = hdr_make((uint8_t)(FRAME_REQUEST + i), (uint64_t)i + 1);
		CU_ASSERT_EQUAL_FATAL(frame_append(out, &h, bodies[i],
		    stream_body_lens[i]), 0);
	}
}

/*
 * Take every complete frame out of d, copying them into got.  Returns the
 * status that stopped the loop.
 */
static int
drain(struct frame_decoder *d, struct got *got, int *ngot, int maxgot)
{
	struct frame_hdr	 h;
	const uint8_t		*body;
	enum frame_status	 st;

	while ((st = frame_decoder_next(d, &h, &body)) == FRAME_OK) {
		if (*ngot >= maxgot)
			return -1;
		got[*ngot].h = h;
		got[*ngot].body = malloc(h.body_len + 1);
		if (got[*ngot].body == NULL)
			return -1;
		memcpy(got[*ngot].body, body, h.body_len);
		(*ngot)++;
	}
	return (int)st;
}

static void
stream_check(const struct got *got, int ngot, uint8_t *bodies[NFRAMES])
{
	struct frame_hdr	 want;
	int			 i;

	CU_ASSERT_EQUAL_FATAL(ngot, NFRAMES);
	for (i = 0; i < NFRAMES; i++) {
		want = hdr_make((uint8_t)(FRAME_REQUEST + i), (uint64_t)i + 1);
		CU_ASSERT_EQUAL(got[i].h.body_len, stream_body_lens[i]);
		CU_ASSERT_EQUAL(got[i].h.type, want.type);
		CU_ASSERT_EQUAL(got[i].h.flags, want.flags);
		CU_ASSERT_EQUAL(got[i].h.id, want.id);
		CU_ASSERT_EQUAL(got[i].h.ack, want.ack);
		CU_ASSERT_EQUAL(got[i].h.sack, want.sack);
		CU_ASSERT_EQUAL(got[i].h.ref, want.ref);
		CU_ASSERT_EQUAL(memcmp(got[i].body, bodies[i],
		    stream_body_lens[i]), 0);
	}
}

static void
got_free(struct got *got, int ngot)
{
	int	 i;

	for (i = 0; i < ngot; i++)
		free(got[i].body);
}

/* Returns frame_hdr_decode's verdict on h encoded as given. */
static enum frame_status
hdr_status(const struct frame_hdr *h, size_t max)
{
	struct frame_hdr	 out;
	uint8_t			 raw[FRAME_HDR_LEN];

	frame_hdr_encode(h, raw);
	return frame_hdr_decode(raw, sizeof(raw), max, &out);
}

/* xorshift32: deterministic pseudo-random numbers for the garbage test. */
static uint32_t
rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* What a frame_fn sink expects: frames in order, bodies to compare with. */
struct sink {
	const struct frame_hdr	*want;		/* headers, body_len set */
	const uint8_t *const	*bodies;
	int			 nwant;
	int			 ngot;
	int			 bad;		/* frames that differed */
};

/* frame_fn: checks each frame against the next expected one, in place. */
static int
sink_fn(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	struct sink		*k = arg;
	const struct frame_hdr	*w;

	if (k->ngot >= k->nwant) {
		k->bad++;
		return -1;
	}
	w = &k->want[k->ngot++];
	if (h->body_len != w->body_len || h->type != w->type ||
	    h->id != w->id || h->ack != w->ack || h->sack != w->sack ||
	    h->ref != w->ref || h->flags != w->flags ||
	    memcmp(body, k->bodies[k->ngot - 1], h->body_len) != 0)
		k->bad++;
	return 0;
}

/*
 * Builds n frames of the given body lengths into out; want[] gets their
 * headers and bodies[] (allocated here) their bodies.
 */
static void
frames_build(struct buf *out, const size_t *lens, int n,
    struct frame_hdr *want, uint8_t **bodies)
{
	int	 i;

	buf_init(out, 0);
	for (i = 0; i < n; i++) {
		bodies[i] = malloc(lens[i] + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bodies[i]);
		body_fill(bodies[i], lens[i], (unsigned)i * 7 + 1);
		want[i] = hdr_make((uint8_t)(FRAME_REQUEST + i % 3),
		    (uint64_t)i + 1);
		CU_ASSERT_EQUAL_FATAL(frame_append(out, &want[i], bodies[i],
		    lens[i]), 0);
		want[i].body_len = (uint32_t)lens[i];
	}
}

/*
 * Pushes s into a fresh decoder in two pieces cut at cut, then checks
 * that every frame came out whole and in order and nothing is left.
 */
static void
push_split(const struct buf *s, size_t cut, const struct frame_hdr *want,
    uint8_t *const *bodies, int n)
{
	struct frame_decoder	 d;
	struct sink		 k;

	memset(&k, 0, sizeof(k));
	k.want = want;
	k.bodies = (const uint8_t *const *)bodies;
	k.nwant = n;
	frame_decoder_init(&d, 0);
	CU_ASSERT_EQUAL(frame_decoder_push(&d, s->data, cut, sink_fn, &k),
	    FRAME_MORE);
	CU_ASSERT_EQUAL(frame_decoder_push(&d, s->data + cut, s->len - cut,
	    sink_fn, &k), FRAME_MORE);
	CU_ASSERT_EQUAL(k.ngot, n);
	CU_ASSERT_EQUAL(k.bad, 0);
	CU_ASSERT_EQUAL(d.in.len - d.consumed, 0);
	if (k.ngot != n || k.bad != 0)
		fprintf(stderr, "push_split: cut %zu: %d of %d frames, %d bad\n",
		    cut, k.ngot, n, k.bad);
	frame_decoder_clear(&d);
}

static void
test_frame_hdr_layout_big_endian(void)
{
	struct frame_hdr	 h, back;
	uint8_t			 raw[FRAME_HDR_LEN];
	static const uint8_t	 want[FRAME_HDR_LEN] = {
		0x00, 0x00, 0x01, 0x02, 0x01, 0x03, 0x00, 0x03,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
		0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
		0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
	};

	memset(&h, 0, sizeof(h));
	h.body_len = 0x102;
	h.version = 1;
	h.type = FRAME_REPLY;
	h.flags = FRAME_F_RESEND | FRAME_F_DRAIN;
	h.id = 0x1112131415161718ULL;
	h.ack = 0x2122232425262728ULL;
	h.sack = 0x3132333435363738ULL;
	h.ref = 0x4142434445464748ULL;
	frame_hdr_encode(&h, raw);
	CU_ASSERT_EQUAL(memcmp(raw, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(frame_hdr_decode(raw, sizeof(raw), 0, &back),
	    FRAME_OK);
	CU_ASSERT_EQUAL(memcmp(&back, &h, sizeof(h)), 0);
}

static void
test_frame_roundtrip_every_type(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h, got;
	struct buf		 out;
	const uint8_t		*body;
	char			 text[32];
	int			 t, n;

	frame_decoder_init(&d, 0);
	for (t = FRAME_HELLO; t < FRAME_TYPE__MAX; t++) {
		buf_init(&out, 0);
		h = hdr_make((uint8_t)t, (uint64_t)t * 1000);
		h.version = 0;		/* frame_append sets it */
		h.body_len = 9999;	/* and this */
		n = snprintf(text, sizeof(text), "body of %s",
		    frame_type_name(t));
		CU_ASSERT_EQUAL_FATAL(frame_append(&out, &h, text, (size_t)n),
		    0);
		CU_ASSERT_EQUAL(out.len, FRAME_HDR_LEN + (size_t)n);
		CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, out.len), 0);
		CU_ASSERT_EQUAL_FATAL(frame_decoder_next(&d, &got, &body),
		    FRAME_OK);
		CU_ASSERT_EQUAL(got.type, t);
		CU_ASSERT_EQUAL(got.version, FRAME_VERSION);
		CU_ASSERT_EQUAL(got.flags, h.flags);
		CU_ASSERT_EQUAL(got.id, h.id);
		CU_ASSERT_EQUAL(got.ack, h.ack);
		CU_ASSERT_EQUAL(got.sack, h.sack);
		CU_ASSERT_EQUAL(got.ref, h.ref);
		CU_ASSERT_EQUAL(got.body_len, (uint32_t)n);
		CU_ASSERT_EQUAL(memcmp(body, text, (size_t)n), 0);
		CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body),
		    FRAME_MORE);
		buf_clear(&out);
	}
	frame_decoder_clear(&d);
}

static void
test_frame_split_every_position(void)
{
	struct frame_decoder	 d;
	struct got		 got[NFRAMES + 1];
	struct buf		 s;
	uint8_t			*bodies[NFRAMES];
	size_t			 cut;
	int			 ngot, i;

	memset(got, 0, sizeof(got));
	stream_build(&s, bodies);
	for (cut = 0; cut <= s.len; cut++) {
		frame_decoder_init(&d, 0);
		ngot = 0;
		CU_ASSERT_EQUAL(frame_decoder_feed(&d, s.data, cut), 0);
		CU_ASSERT_EQUAL(drain(&d, got, &ngot, NFRAMES), FRAME_MORE);
		CU_ASSERT_EQUAL(frame_decoder_feed(&d, s.data + cut,
		    s.len - cut), 0);
		CU_ASSERT_EQUAL(drain(&d, got, &ngot, NFRAMES), FRAME_MORE);
		stream_check(got, ngot, bodies);
		got_free(got, ngot);
		CU_ASSERT_EQUAL(d.in.len, 0);
		frame_decoder_clear(&d);
	}
	for (i = 0; i < NFRAMES; i++)
		free(bodies[i]);
	buf_clear(&s);
}

static void
test_frame_one_byte_at_a_time(void)
{
	struct frame_decoder	 d;
	struct got		 got[NFRAMES + 1];
	struct buf		 s;
	uint8_t			*bodies[NFRAMES];
	size_t			 i;
	int			 ngot = 0;

	memset(got, 0, sizeof(got));
	stream_build(&s, bodies);
	frame_decoder_init(&d, 300);
	for (i = 0; i < s.len; i++) {
		CU_ASSERT_EQUAL_FATAL(frame_decoder_feed(&d, s.data + i, 1),
		    0);
		CU_ASSERT_EQUAL_FATAL(drain(&d, got, &ngot, NFRAMES),
		    FRAME_MORE);
		/* Memory stays bounded by one frame. */
		CU_ASSERT(d.in.len <= FRAME_HDR_LEN + 300);
	}
	stream_check(got, ngot, bodies);
	got_free(got, ngot);
	frame_decoder_clear(&d);
	for (i = 0; i < NFRAMES; i++)
		free(bodies[i]);
	buf_clear(&s);
}

static void
test_frame_oversize_right_after_header(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h, got;
	uint8_t			 raw[FRAME_HDR_LEN];
	const uint8_t		*body;

	h = hdr_make(FRAME_REQUEST, 1);
	h.body_len = 101;
	frame_hdr_encode(&h, raw);
	frame_decoder_init(&d, 100);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, raw, FRAME_HDR_LEN - 1), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_MORE);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, raw + FRAME_HDR_LEN - 1, 1), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_EOVERSIZE);
	/* The stream stays broken. */
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_EOVERSIZE);
	frame_decoder_clear(&d);

	h.body_len = LIMIT_FRAME_BODY + 1;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_EOVERSIZE);
	CU_ASSERT_EQUAL(hdr_status(&h, SIZE_MAX), FRAME_EOVERSIZE);
	h.body_len = UINT32_MAX;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_EOVERSIZE);
	h.body_len = LIMIT_FRAME_BODY;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_OK);
}

static void
test_frame_body_at_max_accepted(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h, got;
	struct buf		 out;
	const uint8_t		*body;
	uint8_t			*big;

	big = malloc(LIMIT_FRAME_BODY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	body_fill(big, LIMIT_FRAME_BODY, 7);
	h = hdr_make(FRAME_NOTICE, 5);
	buf_init(&out, 0);
	CU_ASSERT_EQUAL(frame_append(&out, &h, big, 100), 0);
	frame_decoder_init(&d, 100);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, out.len), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_OK);
	CU_ASSERT_EQUAL(got.body_len, 100);
	frame_decoder_clear(&d);

	buf_reset(&out);
	CU_ASSERT_EQUAL(frame_append(&out, &h, big, LIMIT_FRAME_BODY), 0);
	frame_decoder_init(&d, 0);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, out.len), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_OK);
	CU_ASSERT_EQUAL(got.body_len, LIMIT_FRAME_BODY);
	CU_ASSERT_EQUAL(memcmp(body, big, LIMIT_FRAME_BODY), 0);
	frame_decoder_clear(&d);
	buf_clear(&out);
	free(big);
}

static void
test_frame_zero_length_body(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h, got;
	struct buf		 out;
	const uint8_t		*body = NULL;

	h = hdr_make(FRAME_ACK, 9);
	buf_init(&out, 0);
	CU_ASSERT_EQUAL(frame_append(&out, &h, NULL, 0), 0);
	CU_ASSERT_EQUAL(out.len, FRAME_HDR_LEN);
	frame_decoder_init(&d, 0);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, out.len), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_OK);
	CU_ASSERT_EQUAL(got.body_len, 0);
	CU_ASSERT_EQUAL(got.type, FRAME_ACK);
	CU_ASSERT_PTR_NOT_NULL(body);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_MORE);
	CU_ASSERT_EQUAL(d.in.len, 0);
	frame_decoder_clear(&d);
	buf_clear(&out);
}

static void
test_frame_bad_version(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h, got;
	uint8_t			 raw[FRAME_HDR_LEN];
	const uint8_t		*body;

	h = hdr_make(FRAME_PING, 1);
	h.version = 0;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_EVERSION);
	h.version = 2;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_EVERSION);
	h.version = 255;
	frame_hdr_encode(&h, raw);
	frame_decoder_init(&d, 0);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, raw, sizeof(raw)), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_EVERSION);
	frame_decoder_clear(&d);
}

static void
test_frame_bad_type(void)
{
	struct frame_hdr	 h;
	struct buf		 out;

	h = hdr_make(0, 1);
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_ETYPE);
	h.type = FRAME_TYPE__MAX;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_ETYPE);
	h.type = 255;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_ETYPE);
	h.type = FRAME_TYPE__MAX - 1;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_OK);
	/* The encoder refuses to produce what the decoder rejects. */
	buf_init(&out, 0);
	h.type = 0;
	CU_ASSERT_EQUAL(frame_append(&out, &h, NULL, 0), -1);
	h.type = FRAME_TYPE__MAX;
	CU_ASSERT_EQUAL(frame_append(&out, &h, NULL, 0), -1);
	CU_ASSERT_EQUAL(out.len, 0);
	buf_clear(&out);
}

static void
test_frame_unknown_flags(void)
{
	struct frame_hdr	 h;
	struct buf		 out;

	h = hdr_make(FRAME_HELLO, 1);
	h.flags = FRAME_F__ALL;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_OK);
	h.flags = 0x0004;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_EFLAGS);
	h.flags = 0x8000 | FRAME_F_RESEND;
	CU_ASSERT_EQUAL(hdr_status(&h, 0), FRAME_EFLAGS);
	buf_init(&out, 0);
	CU_ASSERT_EQUAL(frame_append(&out, &h, NULL, 0), -1);
	buf_clear(&out);
}

static void
test_frame_hdr_decode_short_is_more(void)
{
	struct frame_hdr	 h;
	uint8_t			 raw[FRAME_HDR_LEN];
	size_t			 i;

	memset(raw, 0xff, sizeof(raw));
	for (i = 0; i < FRAME_HDR_LEN; i++)
		CU_ASSERT_EQUAL(frame_hdr_decode(raw, i, 0, &h), FRAME_MORE);
	CU_ASSERT_EQUAL(frame_hdr_decode(NULL, 0, 0, &h), FRAME_MORE);
	CU_ASSERT_NOT_EQUAL(frame_hdr_decode(raw, sizeof(raw), 0, &h),
	    FRAME_OK);
}

static void
test_frame_garbage_never_crashes(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h;
	const uint8_t		*body;
	uint8_t			 junk[256];
	uint32_t		 seed = 2463534242u;
	enum frame_status	 st;
	size_t			 len, i, off, chunk;
	int			 iter;

	for (iter = 0; iter < 5000; iter++) {
		len = rng_next(&seed) % sizeof(junk);
		for (i = 0; i < len; i++)
			junk[i] = (uint8_t)rng_next(&seed);
		/* Make valid-looking headers common enough to matter. */
		if (len > 8 && (iter & 1) != 0) {
			junk[0] = junk[1] = 0;
			junk[4] = FRAME_VERSION;
			junk[5] = (uint8_t)(1 + junk[5] % 8);
			junk[6] = 0;
			junk[7] &= 3;
		}
		(void)frame_hdr_decode(junk, len, 0, &h);
		frame_decoder_init(&d, 64);
		for (off = 0; off < len; off += chunk) {
			chunk = 1 + rng_next(&seed) % 50;
			if (chunk > len - off)
				chunk = len - off;
			if (frame_decoder_feed(&d, junk + off, chunk) == -1)
				break;
			while ((st = frame_decoder_next(&d, &h, &body)) ==
			    FRAME_OK)
				CU_ASSERT(h.body_len <= 64);
			CU_ASSERT(st > FRAME_OK && st < FRAME_STATUS__MAX);
			if (st != FRAME_MORE)
				break;
		}
		frame_decoder_clear(&d);
	}
}

static void
test_frame_feed_beyond_bound_refused(void)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h, got;
	struct buf		 out;
	const uint8_t		*body;
	uint8_t			 zero[FRAME_HDR_LEN + 10];

	memset(zero, 0, sizeof(zero));
	frame_decoder_init(&d, 10);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, zero, sizeof(zero)), 0);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, zero, 1), -1);
	CU_ASSERT_EQUAL(d.in.len, sizeof(zero));
	frame_decoder_clear(&d);

	/* Once a frame is returned its bytes no longer count. */
	h = hdr_make(FRAME_REPLY, 3);
	buf_init(&out, 0);
	CU_ASSERT_EQUAL(frame_append(&out, &h, "0123456789", 10), 0);
	frame_decoder_init(&d, 10);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, out.len), 0);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, 1), -1);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_OK);
	CU_ASSERT_EQUAL(frame_decoder_feed(&d, out.data, out.len), 0);
	CU_ASSERT_EQUAL(frame_decoder_next(&d, &got, &body), FRAME_OK);
	CU_ASSERT_EQUAL(memcmp(body, "0123456789", 10), 0);
	frame_decoder_clear(&d);
	buf_clear(&out);
}

static void
test_frame_append_limits(void)
{
	struct frame_hdr	 h;
	struct buf		 out;
	static const uint8_t	 small[1];

	h = hdr_make(FRAME_REQUEST, 1);
	buf_init(&out, 0);
	/* The length is checked before the body is read. */
	CU_ASSERT_EQUAL(frame_append(&out, &h, small, LIMIT_FRAME_BODY + 1),
	    -1);
	CU_ASSERT_EQUAL(out.len, 0);
	buf_clear(&out);

	buf_init(&out, FRAME_HDR_LEN + 3);
	CU_ASSERT_EQUAL(frame_append(&out, &h, "abcd", 4), -1);
	CU_ASSERT_EQUAL(out.len, 0);
	CU_ASSERT_EQUAL(frame_append(&out, &h, "abc", 3), 0);
	CU_ASSERT_EQUAL(out.len, FRAME_HDR_LEN + 3);
	CU_ASSERT_EQUAL(frame_append(&out, &h, NULL, 0), -1);
	CU_ASSERT_EQUAL(out.len, FRAME_HDR_LEN + 3);
	buf_clear(&out);
}

static void
test_frame_names(void)
{
	int	 i;

	for (i = -1; i <= FRAME_TYPE__MAX + 1; i++)
		CU_ASSERT_PTR_NOT_NULL(frame_type_name(i));
	CU_ASSERT_STRING_EQUAL(frame_type_name(FRAME_HELLO), "hello");
	CU_ASSERT_STRING_EQUAL(frame_type_name(FRAME_PING), "ping");
	CU_ASSERT_STRING_EQUAL(frame_type_name(0), "invalid");
	CU_ASSERT_STRING_EQUAL(frame_type_name(FRAME_TYPE__MAX), "invalid");
	for (i = 0; i <= FRAME_STATUS__MAX; i++)
		CU_ASSERT_PTR_NOT_NULL(frame_strerror((enum frame_status)i));
	CU_ASSERT_STRING_EQUAL(frame_strerror(FRAME_EOVERSIZE),
	    "frame body too large");
}

/*
 * Two maximum frames back to back, cut in two reads at every point near
 * each boundary (start, end of a header, end of a frame) exhaustively and
 * at a stride elsewhere: each cut decodes both frames (issue 10: the
 * decoder used to hold one frame and refused a read that ran past it).
 */
static void
test_frame_two_max_frames_every_split(void)
{
	static const size_t	 lens[2] = { LIMIT_FRAME_BODY,
				    LIMIT_FRAME_BODY };
	const size_t		 F = FRAME_HDR_LEN + LIMIT_FRAME_BODY;
	const size_t		 edges[] = { 0, FRAME_HDR_LEN, F,
				    F + FRAME_HDR_LEN, 2 * F };
	const size_t		 W = 160, STRIDE = 2039;
	struct frame_hdr	 want[2];
	struct buf		 s;
	uint8_t			*bodies[2];
	size_t			 cut, e, lo;

	frames_build(&s, lens, 2, want, bodies);
	CU_ASSERT_EQUAL_FATAL(s.len, 2 * F);
	for (e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
		lo = edges[e] > W ? edges[e] - W : 0;
		for (cut = lo; cut <= edges[e] + W && cut <= s.len; cut++)
			push_split(&s, cut, want, bodies, 2);
	}
	for (cut = W + 1; cut < s.len; cut += STRIDE)
		push_split(&s, cut, want, bodies, 2);
	free(bodies[0]);
	free(bodies[1]);
	buf_clear(&s);
}

/*
 * What the link's readers do: fixed 16 KiB reads of a stream holding a
 * frame just under the limit, a small one and a maximum one, read from
 * a stride of offsets for the first read, so a read always
 * runs past the end of a near-limit frame into the next.
 */
static void
test_frame_near_max_in_16k_reads(void)
{
	static const size_t	 lens[3] = { LIMIT_FRAME_BODY - 100, 7,
				    LIMIT_FRAME_BODY };
	const size_t		 R = 16384;
	struct frame_decoder	 d;
	struct frame_hdr	 want[3];
	struct sink		 k;
	struct buf		 s;
	uint8_t			*bodies[3];
	size_t			 first, off, n;
	int			 i;

	frames_build(&s, lens, 3, want, bodies);
	for (first = 1; first <= R; first += 509) {
		memset(&k, 0, sizeof(k));
		k.want = want;
		k.bodies = (const uint8_t *const *)bodies;
		k.nwant = 3;
		frame_decoder_init(&d, 0);
		for (off = 0; off < s.len; off += n) {
			n = off == 0 ? first : R;
			if (n > s.len - off)
				n = s.len - off;
			if (frame_decoder_push(&d, s.data + off, n, sink_fn,
			    &k) != FRAME_MORE)
				break;
		}
		CU_ASSERT_EQUAL(off, s.len);
		CU_ASSERT_EQUAL(k.ngot, 3);
		CU_ASSERT_EQUAL(k.bad, 0);
		frame_decoder_clear(&d);
	}
	for (i = 0; i < 3; i++)
		free(bodies[i]);
	buf_clear(&s);
}

/* A handler's stop ends the push at that frame; errors come through. */
static void
test_frame_push_stop_and_error(void)
{
	static const size_t	 lens[2] = { 3, 4 };
	struct frame_decoder	 d;
	struct frame_hdr	 want[2];
	struct sink		 k;
	struct buf		 s;
	uint8_t			*bodies[2];
	uint8_t			 raw[FRAME_HDR_LEN];

	frames_build(&s, lens, 2, want, bodies);
	memset(&k, 0, sizeof(k));
	k.want = want;
	k.bodies = (const uint8_t *const *)bodies;
	k.nwant = 1;		/* the second frame makes sink_fn stop */
	frame_decoder_init(&d, 0);
	CU_ASSERT_EQUAL(frame_decoder_push(&d, s.data, s.len, sink_fn, &k),
	    FRAME_STOPPED);
	CU_ASSERT_EQUAL(k.ngot, 1);
	frame_decoder_clear(&d);

	/* A header over the limit is an error, not a wait for more. */
	want[0].body_len = 11;
	frame_hdr_encode(&want[0], raw);
	memset(&k, 0, sizeof(k));
	frame_decoder_init(&d, 10);
	CU_ASSERT_EQUAL(frame_decoder_push(&d, raw, sizeof(raw), sink_fn, &k),
	    FRAME_EOVERSIZE);
	CU_ASSERT_EQUAL(frame_decoder_push(&d, NULL, 0, sink_fn, &k),
	    FRAME_EOVERSIZE);
	CU_ASSERT_EQUAL(k.ngot, 0);
	frame_decoder_clear(&d);
	free(bodies[0]);
	free(bodies[1]);
	buf_clear(&s);
}

static CU_TestInfo frame_tests[] = {
	{ "test_frame_hdr_layout_big_endian",
	    test_frame_hdr_layout_big_endian },
	{ "test_frame_roundtrip_every_type", test_frame_roundtrip_every_type },
	{ "test_frame_split_every_position", test_frame_split_every_position },
	{ "test_frame_one_byte_at_a_time", test_frame_one_byte_at_a_time },
	{ "test_frame_oversize_right_after_header",
	    test_frame_oversize_right_after_header },
	{ "test_frame_body_at_max_accepted", test_frame_body_at_max_accepted },
	{ "test_frame_zero_length_body", test_frame_zero_length_body },
	{ "test_frame_bad_version", test_frame_bad_version },
	{ "test_frame_bad_type", test_frame_bad_type },
	{ "test_frame_unknown_flags", test_frame_unknown_flags },
	{ "test_frame_hdr_decode_short_is_more",
	    test_frame_hdr_decode_short_is_more },
	{ "test_frame_garbage_never_crashes",
	    test_frame_garbage_never_crashes },
	{ "test_frame_feed_beyond_bound_refused",
	    test_frame_feed_beyond_bound_refused },
	{ "test_frame_append_limits", test_frame_append_limits },
	{ "test_frame_names", test_frame_names },
	{ "test_frame_two_max_frames_every_split",
	    test_frame_two_max_frames_every_split },
	{ "test_frame_near_max_in_16k_reads",
	    test_frame_near_max_in_16k_reads },
	{ "test_frame_push_stop_and_error", test_frame_push_stop_and_error },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suites[] = {
	{ "frame", NULL, NULL, NULL, NULL, frame_tests },
	CU_SUITE_INFO_NULL,
};
