/*
 * TLS 1.3 with mutual authentication for the link between abc-web and
 * abc-worker: one context per process, one connection object per socket.
 * Every call is non-blocking: WANT_READ / WANT_WRITE are normal results that
 * tell the caller which readiness to wait for.
 *
 * Ownership: tls_ctx_new returns a context the caller frees with
 * tls_ctx_free after every connection made from it is freed.  tls_conn_new
 * takes ownership of the socket; tls_conn_free closes it.
 */
#ifndef ABC_TLS_H
#define ABC_TLS_H

#include <stddef.h>

enum tls_role {
	TLS_SERVER,
	TLS_CLIENT
};

enum tls_io {
	TLS_IO_OK,
	TLS_IO_WANT_READ,
	TLS_IO_WANT_WRITE,
	TLS_IO_EOF,
	TLS_IO_ERROR
};

struct buf;
struct tls_ctx;
struct tls_conn;

struct tls_ctx	*tls_ctx_new(enum tls_role role, const char *ca_file,
		    const char *cert_file, const char *key_file,
		    char *err, size_t errlen);
void		 tls_ctx_free(struct tls_ctx *ctx);

struct tls_conn	*tls_conn_new(struct tls_ctx *ctx, int fd,
		    const char *peer_host);
void		 tls_conn_free(struct tls_conn *conn);
int		 tls_conn_fd(const struct tls_conn *conn);
enum tls_io	 tls_conn_handshake(struct tls_conn *conn);
enum tls_io	 tls_conn_read(struct tls_conn *conn, void *p, size_t len,
		    size_t *got);
enum tls_io	 tls_conn_write(struct tls_conn *conn, const void *p,
		    size_t len, size_t *put);
int		 tls_conn_flush(struct tls_conn *conn, struct buf *out,
		    int *want_write);
int		 tls_conn_pending(const struct tls_conn *conn);
const char	*tls_conn_peer_name(const struct tls_conn *conn);
const char	*tls_conn_error(const struct tls_conn *conn);

#endif /* ABC_TLS_H */
