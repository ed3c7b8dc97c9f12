/* Frame codec for the abc-web <-> abc-worker link; see frame.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "abc_limits.h"

static void	 frame_put16(uint8_t *p, uint16_t v);
static void	 frame_put32(uint8_t *p, uint32_t v);
static void	 frame_put64(uint8_t *p, uint64_t v);
static uint16_t	 frame_get16(const uint8_t *p);
static uint32_t	 frame_get32(const uint8_t *p);
static uint64_t	 frame_get64(const uint8_t *p);
static size_t	 frame_max_body(size_t max_body);
static void	 frame_decoder_drop(struct frame_decoder *d);

/* Indexed by enum frame_type. */
static const char *const frame_type_names[FRAME_TYPE__MAX] = {
	"invalid",
	"hello",
	"request",
	"reply",
	"notice",
	"ack",
	"close",
	"ping",
};

/* Indexed by enum frame_status. */
static const char *const frame_status_names[FRAME_STATUS__MAX] = {
	"ok",
	"incomplete frame",
	"frame body too large",
	"unsupported frame version",
	"unknown frame type",
	"unknown frame flags",
	"receive buffer full",
	"stopped by the frame handler",
};

/* Returns a static name for type, "invalid" for values out of range. */
const char *
frame_type_name(int type)
{
	if (type <= 0 || type >= FRAME_TYPE__MAX)
		return frame_type_names[0];
	return frame_type_names[type];
}

/* Returns a static description of status, never NULL. */
const char *
frame_strerror(enum frame_status status)
{
	if ((unsigned)status >= FRAME_STATUS__MAX)
		return "unknown frame status";
	return frame_status_names[status];
}

static void
frame_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
frame_put32(uint8_t *p, uint32_t v)
{
	frame_put16(p, (uint16_t)(v >> 16));
	frame_put16(p + 2, (uint16_t)v);
}

static void
frame_put64(uint8_t *p, uint64_t v)
{
	frame_put32(p, (uint32_t)(v >> 32));
	frame_put32(p + 4, (uint32_t)v);
}

static uint16_t
frame_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
frame_get32(const uint8_t *p)
{
	return (uint32_t)frame_get16(p) << 16 | frame_get16(p + 2);
}

static uint64_t
frame_get64(const uint8_t *p)
{
	return (uint64_t)frame_get32(p) << 32 | frame_get32(p + 4);
}

/* Returns max_body clamped to the hard limit; 0 means the hard limit. */
static size_t
frame_max_body(size_t max_body)
{
	if (max_body == 0 || max_body > LIMIT_FRAME_BODY)
		return LIMIT_FRAME_BODY;
	return max_body;
}

/* Write h to out exactly as given, without checking it. */
void
frame_hdr_encode(const struct frame_hdr *h, uint8_t out[FRAME_HDR_LEN])
{
	frame_put32(out, h->body_len);
	out[4] = h->version;
	out[5] = h->type;
	frame_put16(out + 6, h->flags);
	frame_put64(out + 8, h->id);
	frame_put64(out + 16, h->ack);
	frame_put64(out + 24, h->sack);
	frame_put64(out + 32, h->ref);
}

/*
 * Decode and check the header at p.  max_body is clamped to
 * LIMIT_FRAME_BODY (0 means that limit).  Returns FRAME_OK and fills *h,
 * FRAME_MORE if len < FRAME_HDR_LEN, or an error; *h is written only on
 * FRAME_OK.  The body is not looked at, so errors come without it.
 */
enum frame_status
frame_hdr_decode(const uint8_t *p, size_t len, size_t max_body,
    struct frame_hdr *h)
{
	struct frame_hdr	 t;

	if (len < FRAME_HDR_LEN)
		return FRAME_MORE;
	t.body_len = frame_get32(p);
	t.version = p[4];
	t.type = p[5];
	t.flags = frame_get16(p + 6);
	t.id = frame_get64(p + 8);
	t.ack = frame_get64(p + 16);
	t.sack = frame_get64(p + 24);
	t.ref = frame_get64(p + 32);
	if (t.version != FRAME_VERSION)
		return FRAME_EVERSION;
	if (t.type == 0 || t.type >= FRAME_TYPE__MAX)
		return FRAME_ETYPE;
	if ((t.flags & ~FRAME_F__ALL) != 0)
		return FRAME_EFLAGS;
	if (t.body_len > frame_max_body(max_body))
		return FRAME_EOVERSIZE;
	*h = t;
	return FRAME_OK;
}

/*
 * Append one frame to out.  The header comes from *h (not modified) except
 * that body_len is taken from the argument and version is FRAME_VERSION.
 * Returns 0, or -1 if body_len > LIMIT_FRAME_BODY, the type or flags are
 * ones the peer would reject, or out has no room; then out is unchanged.
 */
int
frame_append(struct buf *out, const struct frame_hdr *h, const void *body,
    size_t body_len)
{
	struct frame_hdr	 t;
	uint8_t			 raw[FRAME_HDR_LEN];

	if (body_len > LIMIT_FRAME_BODY)
		return -1;
	if (h->type == 0 || h->type >= FRAME_TYPE__MAX ||
	    (h->flags & ~FRAME_F__ALL) != 0)
		return -1;
	if (buf_reserve(out, FRAME_HDR_LEN + body_len) == -1)
		return -1;
	t = *h;
	t.body_len = (uint32_t)body_len;
	t.version = FRAME_VERSION;
	frame_hdr_encode(&t, raw);
	/* Both fit: the space was reserved above. */
	(void)buf_add(out, raw, sizeof(raw));
	(void)buf_add(out, body, body_len);
	return 0;
}

/*
 * Prepare an empty decoder accepting bodies up to max_body bytes (0 or
 * anything above LIMIT_FRAME_BODY means LIMIT_FRAME_BODY).
 */
void
frame_decoder_init(struct frame_decoder *d, size_t max_body)
{
	d->max_body = frame_max_body(max_body);
	buf_init(&d->in, FRAME_HDR_LEN + d->max_body);
	d->consumed = 0;
}

/* Free the decoder's memory; it may be initialised again. */
void
frame_decoder_clear(struct frame_decoder *d)
{
	buf_clear(&d->in);
	d->consumed = 0;
}

/* Drop the bytes of the frame returned by the previous call, if any. */
static void
frame_decoder_drop(struct frame_decoder *d)
{
	if (d->consumed > 0) {
		buf_consume(&d->in, d->consumed);
		d->consumed = 0;
	}
}

/*
 * Copy n bytes from p into the decoder.  Returns 0, or -1 (nothing copied;
 * callers report it as FRAME_EBUFFER) if the undecoded bytes would then
 * exceed one maximal frame.  Feeding at most FRAME_HDR_LEN + max_body bytes
 * between draining calls to frame_decoder_next() never fails.
 */
int
frame_decoder_feed(struct frame_decoder *d, const void *p, size_t n)
{
	frame_decoder_drop(d);
	return buf_add(&d->in, p, n);
}

/*
 * Returns how many bytes frame_decoder_feed() accepts now, counting the
 * bytes of a frame already returned as gone.  After frame_decoder_next()
 * returned FRAME_MORE this is at least 1: the partial frame held is
 * shorter than the buffer, which fits the largest legal frame.
 */
size_t
frame_decoder_room(const struct frame_decoder *d)
{
	return d->in.max - (d->in.len - d->consumed);
}

/*
 * Feed n bytes from p (NULL if n == 0) and hand every complete frame, in
 * order, to fn.  The bytes are copied only as far as they fit beside the
 * partial frame held, and frames are taken out between copies; so a read
 * of any size that ends in the middle of the next frame never overflows,
 * and one frame's memory suffices for any split of any legal stream.
 * Returns FRAME_MORE when all n bytes were taken and decoded as far as
 * they go; FRAME_STOPPED when fn returned non-zero (later bytes and frames
 * untouched); or the decoder's error, after which the stream is broken.
 */
enum frame_status
frame_decoder_push(struct frame_decoder *d, const void *p, size_t n,
    frame_fn fn, void *arg)
{
	const uint8_t		*src = p;
	const uint8_t		*body;
	struct frame_hdr	 h;
	enum frame_status	 st;
	size_t			 take;

	for (;;) {
		while ((st = frame_decoder_next(d, &h, &body)) == FRAME_OK)
			if (fn(arg, &h, body) != 0)
				return FRAME_STOPPED;
		if (st != FRAME_MORE || n == 0)
			return st;
		if ((take = frame_decoder_room(d)) > n)
			take = n;
		/* take == 0 cannot happen after FRAME_MORE; never spin. */
		if (take == 0 || frame_decoder_feed(d, src, take) != 0)
			return FRAME_EBUFFER;
		src += take;
		n -= take;
	}
}

/*
 * Decode the next frame.  Returns FRAME_OK with *h filled and *body
 * pointing at h->body_len bytes inside the decoder (never NULL, even for
 * an empty body); FRAME_MORE when more bytes are needed; or an error,
 * after which the stream is broken and every later call returns an
 * error again.  Header errors, oversize included, are reported as soon as
 * the header is complete.  *h and *body are written only on FRAME_OK.
 */
enum frame_status
frame_decoder_next(struct frame_decoder *d, struct frame_hdr *h,
    const uint8_t **body)
{
	struct frame_hdr	 t;
	enum frame_status	 st;

	frame_decoder_drop(d);
	st = frame_hdr_decode(d->in.data, d->in.len, d->max_body, &t);
	if (st != FRAME_OK)
		return st;
	/* Guards the invariant that the buffer can hold one frame. */
	if (FRAME_HDR_LEN + (size_t)t.body_len > d->in.max)
		return FRAME_EBUFFER;
	if (d->in.len - FRAME_HDR_LEN < t.body_len)
		return FRAME_MORE;
	d->consumed = FRAME_HDR_LEN + (size_t)t.body_len;
	*h = t;
	*body = d->in.data + FRAME_HDR_LEN;
	return FRAME_OK;
}
