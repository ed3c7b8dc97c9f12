/*
 * Frame codec for the link between abc-web and abc-worker (SPEC 5,
 * "Framing").  A frame is a fixed 40-byte header, all integers big-endian,
 *
 *	u32 body_len | u8 version | u8 type | u16 flags |
 *	u64 id | u64 ack | u64 sack | u64 ref
 *
 * followed by body_len body bytes, body_len <= LIMIT_FRAME_BODY.  The codec
 * only carries id/ack/sack/ref; their meaning belongs to the link layer.
 *
 * Memory: the caller owns struct frame_decoder and releases it with
 * frame_decoder_clear().  The decoder buffers at most one frame; a body
 * returned by frame_decoder_next() or handed to a frame_fn is borrowed from
 * the decoder and valid until the next call to frame_decoder_next/feed/
 * push/clear.  Readers use frame_decoder_push(): it takes any split of any
 * legal frame stream, however large each piece, in that one frame's memory.
 */
#ifndef ABC_FRAME_H
#define ABC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FRAME_HDR_LEN	40
#define FRAME_VERSION	1

enum frame_type {
	FRAME_HELLO = 1,
	FRAME_REQUEST,
	FRAME_REPLY,
	FRAME_NOTICE,
	FRAME_ACK,
	FRAME_CLOSE,
	FRAME_PING,
	FRAME_TYPE__MAX
};

#define FRAME_F_RESEND	0x0001	/* this frame was sent before */
#define FRAME_F_DRAIN	0x0002	/* sender is draining, see SPEC 5 "Drain" */
#define FRAME_F__ALL	(FRAME_F_RESEND | FRAME_F_DRAIN)

struct frame_hdr {
	uint32_t	body_len;
	uint8_t		version;
	uint8_t		type;	/* enum frame_type */
	uint16_t	flags;	/* FRAME_F_* */
	uint64_t	id;	/* sender's message id in its direction */
	uint64_t	ack;	/* highest id received with no gap */
	uint64_t	sack;	/* bit i: id ack + 1 + i received */
	uint64_t	ref;	/* id of the request a reply answers */
};

enum frame_status {
	FRAME_OK = 0,
	FRAME_MORE,		/* not an error: need more bytes */
	FRAME_EOVERSIZE,
	FRAME_EVERSION,
	FRAME_ETYPE,
	FRAME_EFLAGS,
	FRAME_EBUFFER,
	FRAME_STOPPED,		/* a frame_fn asked frame_decoder_push to stop */
	FRAME_STATUS__MAX
};

struct frame_decoder {
	struct buf	in;		/* owned: bytes fed, not yet dropped */
	size_t		max_body;	/* largest body accepted */
	size_t		consumed;	/* bytes of the frame last returned */
};

/* Handles one decoded frame (body borrowed); non-zero stops the push. */
typedef int	(*frame_fn)(void *arg, const struct frame_hdr *h,
		    const uint8_t *body);

const char	*frame_type_name(int type);
const char	*frame_strerror(enum frame_status status);

void	frame_hdr_encode(const struct frame_hdr *h, uint8_t out[FRAME_HDR_LEN]);
enum frame_status
	frame_hdr_decode(const uint8_t *p, size_t len, size_t max_body,
	    struct frame_hdr *h);
int	frame_append(struct buf *out, const struct frame_hdr *h,
	    const void *body, size_t body_len);

void	frame_decoder_init(struct frame_decoder *d, size_t max_body);
void	frame_decoder_clear(struct frame_decoder *d);
int	frame_decoder_feed(struct frame_decoder *d, const void *p, size_t n);
size_t	frame_decoder_room(const struct frame_decoder *d);
enum frame_status
	frame_decoder_push(struct frame_decoder *d, const void *p, size_t n,
	    frame_fn fn, void *arg);
enum frame_status
	frame_decoder_next(struct frame_decoder *d, struct frame_hdr *h,
	    const uint8_t **body);

#endif /* ABC_FRAME_H */
