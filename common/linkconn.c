/*
 * A link connection's byte-level loop, see linkconn.h.  Both ends used to
 * hold their own copy of this (web/client.c, worker/server.c); the frame
 * limit is LIMIT_FRAME_BODY at both.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "abc_limits.h"
#include "clock.h"
#include "linkconn.h"
#include "msg.h"

/* Bytes asked of TLS at a time; the decoder takes any split. */
#define LINKCONN_CHUNK	16384

/*
 * Prepares lc, closed, with an outbound buffer of at most wire_max bytes
 * (0: unbounded but for buf.h's own cap).
 */
void
linkconn_init(struct linkconn *lc, size_t wire_max)
{
	memset(lc, 0, sizeof(*lc));
	frame_decoder_init(&lc->dec, LIMIT_FRAME_BODY);
	buf_init(&lc->wire, wire_max);
}

/* Closes lc if open and frees its buffers; lc may be initialised again. */
void
linkconn_clear(struct linkconn *lc)
{
	linkconn_close(lc);
	frame_decoder_clear(&lc->dec);
	buf_clear(&lc->wire);
}

/*
 * Starts carrying tls (owned from now on) with empty buffers: bytes of an
 * earlier connection never leak into this one.
 */
void
linkconn_open(struct linkconn *lc, struct tls_conn *tls)
{
	linkconn_close(lc);
	lc->tls = tls;
}

/* Frees the TLS connection (closing its socket) and empties the buffers. */
void
linkconn_close(struct linkconn *lc)
{
	size_t	 max_body = lc->dec.max_body;

	tls_conn_free(lc->tls);
	lc->tls = NULL;
	frame_decoder_clear(&lc->dec);
	frame_decoder_init(&lc->dec, max_body);
	buf_reset(&lc->wire);
	lc->want_write = 0;
}

/* The socket, for epoll or poll; -1 while closed. */
int
linkconn_fd(const struct linkconn *lc)
{
	return lc->tls != NULL ? tls_conn_fd(lc->tls) : -1;
}

/*
 * Advances the TLS handshake.  Returns TLS_IO_OK once done, WANT_READ or
 * WANT_WRITE to be called again when ready (want_write follows), or
 * TLS_IO_ERROR / TLS_IO_EOF (the reason in tls_conn_error).
 */
enum tls_io
linkconn_handshake(struct linkconn *lc)
{
	enum tls_io	 io;

	io = tls_conn_handshake(lc->tls);
	lc->want_write = io == TLS_IO_WANT_WRITE;
	return io;
}

/*
 * Reads everything TLS has and feeds it to the decoder, which calls fn
 * (arg, header, body) for each whole frame in order; fn returns non-zero
 * to stop.  Returns LINKCONN_OK once TLS would block, or why the
 * connection cannot go on: LINKCONN_STOPPED (fn said so), LINKCONN_EOF,
 * LINKCONN_ETLS or LINKCONN_EFRAME, with a static or TLS-owned text in
 * *why for the last three (valid until the next call on lc).
 */
enum linkconn_status
linkconn_read(struct linkconn *lc, frame_fn fn, void *arg, const char **why)
{
	uint8_t			 chunk[LINKCONN_CHUNK];
	enum frame_status	 fs;
	enum tls_io		 io;
	size_t			 got;

	for (;;) {
		io = tls_conn_read(lc->tls, chunk, sizeof(chunk), &got);
		if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
			lc->want_write = io == TLS_IO_WANT_WRITE;
			return LINKCONN_OK;
		}
		if (io == TLS_IO_EOF) {
			*why = "closed by peer";
			return LINKCONN_EOF;
		}
		if (io != TLS_IO_OK) {
			*why = tls_conn_error(lc->tls);
			return LINKCONN_ETLS;
		}
		fs = frame_decoder_push(&lc->dec, chunk, got, fn, arg);
		if (fs == FRAME_STOPPED)
			return LINKCONN_STOPPED;
		if (fs != FRAME_MORE) {
			*why = frame_strerror(fs);
			return LINKCONN_EFRAME;
		}
	}
}

/*
 * Writes as much queued output as TLS takes now.  Returns 0 (the rest
 * waits for linkconn_wants_write), or -1 when the link broke (the reason
 * in tls_conn_error).
 */
int
linkconn_flush(struct linkconn *lc)
{
	return tls_conn_flush(lc->tls, &lc->wire, &lc->want_write);
}

/* Non-zero while output waits: bytes queued, or TLS needs to write. */
int
linkconn_wants_write(const struct linkconn *lc)
{
	return lc->wire.len > 0 || lc->want_write;
}

/*
 * Blocks until the socket is ready for what lc waits for (input, and
 * output while linkconn_wants_write) or until deadline_ms on the
 * monotonic clock.  Returns 0 when woken before the deadline, -1 past it.
 * For the blocking phases of a dialling end (handshake, HELLO).
 */
int
linkconn_wait(struct linkconn *lc, int64_t deadline_ms)
{
	struct pollfd	 pfd;
	int64_t		 left = deadline_ms - clock_mono_ms();

	if (left <= 0)
		return -1;
	pfd.fd = linkconn_fd(lc);
	pfd.events = linkconn_wants_write(lc) ? POLLOUT : POLLIN;
	if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
		return -1;
	return 0;
}

/*
 * Queues one frame outside the delivery session (HELLO, CLOSE): id, ack
 * and ref 0.  Returns 0, or -1 when the wire buffer is full.
 */
int
linkconn_append(struct linkconn *lc, uint8_t type, uint16_t flags,
    const void *body, size_t len)
{
	struct frame_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = type;
	h.flags = flags;
	return frame_append(&lc->wire, &h, body, len);
}

/* Queues our HELLO, the first frame either end sends; 0 or -1. */
int
linkconn_append_hello(struct linkconn *lc, const struct msg_hello *hello)
{
	struct buf	 body;
	int		 rc;

	buf_init(&body, 256);
	rc = msg_hello_encode(hello, &body) == 0 &&
	    linkconn_append(lc, FRAME_HELLO, 0, body.data, body.len) == 0 ?
	    0 : -1;
	buf_clear(&body);
	return rc;
}
