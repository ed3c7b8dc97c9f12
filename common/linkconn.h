/*
 * One link connection (SPEC 5), the same at both ends: the TLS stream, the
 * frame decoder and the outbound wire buffer, with the loop that reads
 * until TLS would block and hands each frame to a callback, the flush, the
 * readiness to wait for (epoll or poll) and the close.  What a frame means,
 * who dials or accepts, and the delivery session (common/abc_link.h) stay
 * with the caller: web/client.c at abc-web, worker/server.c at abc-worker.
 * Not thread-safe: one thread drives a connection.
 *
 * Ownership: the caller owns struct linkconn (usually embedded) and
 * releases it with linkconn_clear.  linkconn_open takes ownership of the
 * TLS connection and so of its socket; linkconn_close frees them and keeps
 * the buffers' limits for the next linkconn_open.  Bodies handed to the
 * frame callback are borrowed from the decoder, valid during the call.
 */
#ifndef ABC_LINKCONN_H
#define ABC_LINKCONN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "tls.h"

struct msg_hello;

enum linkconn_status {
	LINKCONN_OK = 0,	/* all read; wait for more */
	LINKCONN_EOF,		/* the peer closed the stream */
	LINKCONN_ETLS,		/* TLS or socket error */
	LINKCONN_EFRAME,	/* the peer broke the framing */
	LINKCONN_STOPPED	/* the frame callback asked to stop */
};

struct linkconn {
	struct tls_conn		*tls;		/* owned; NULL while closed */
	struct frame_decoder	 dec;		/* bytes of at most one frame */
	struct buf		 wire;		/* frames not yet written */
	int			 want_write;	/* TLS waits for writability */
};

void	linkconn_init(struct linkconn *lc, size_t wire_max);
void	linkconn_clear(struct linkconn *lc);
void	linkconn_open(struct linkconn *lc, struct tls_conn *tls);
void	linkconn_close(struct linkconn *lc);
int	linkconn_fd(const struct linkconn *lc);
enum tls_io linkconn_handshake(struct linkconn *lc);
enum linkconn_status linkconn_read(struct linkconn *lc, frame_fn fn,
	    void *arg, const char **why);
int	linkconn_flush(struct linkconn *lc);
int	linkconn_wants_write(const struct linkconn *lc);
int	linkconn_wait(struct linkconn *lc, int64_t deadline_ms);
int	linkconn_append(struct linkconn *lc, uint8_t type, uint16_t flags,
	    const void *body, size_t len);
int	linkconn_append_hello(struct linkconn *lc,
	    const struct msg_hello *hello);

#endif /* ABC_LINKCONN_H */
