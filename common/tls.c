/*
 * OpenSSL owner for the link: contexts pinned to TLS 1.3, peers verified
 * against the deployment's CA, errors drained into one message per failure.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "abc_limits.h"
#include "tls.h"
#include "xmalloc.h"

struct tls_ctx {
	SSL_CTX		*ssl_ctx;	/* owned */
	enum tls_role	 role;
};

struct tls_conn {
	SSL		*ssl;		/* owned */
	int		 fd;		/* owned */
	char		 peer[LIMIT_PEER_NAME + 1];	/* whole CN, or "" */
	char		 error[256];	/* last error, for the caller's log */
};

/* Writes the OpenSSL error queue (or the fallback text) into dst. */
static void
tls_drain_errors(char *dst, size_t dstlen, const char *what)
{
	unsigned long	 e;
	char		 text[200];

	e = ERR_get_error();
	if (e == 0) {
		snprintf(dst, dstlen, "%s", what);
		return;
	}
	ERR_error_string_n(e, text, sizeof(text));
	snprintf(dst, dstlen, "%s: %s", what, text);
	ERR_clear_error();
}

/*
 * Makes a context for role with our CA, certificate and key.  Returns NULL
 * with a message in err when a file is missing or does not match.
 */
struct tls_ctx *
tls_ctx_new(enum tls_role role, const char *ca_file, const char *cert_file,
    const char *key_file, char *err, size_t errlen)
{
	struct tls_ctx	*ctx;
	SSL_CTX		*c;

	c = SSL_CTX_new(role == TLS_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (c == NULL) {
		tls_drain_errors(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(c, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		tls_drain_errors(err, errlen, "loading CA, certificate or key");
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ssl_ctx = c;
	ctx->role = role;
	return ctx;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* Checks the server certificate against peer_host (IP literal or name). */
static int
tls_conn_expect_host(SSL *ssl, const char *peer_host)
{
	X509_VERIFY_PARAM	*param;
	struct in6_addr		 a6;
	struct in_addr		 a4;

	param = SSL_get0_param(ssl);
	if (inet_pton(AF_INET, peer_host, &a4) == 1 ||
	    inet_pton(AF_INET6, peer_host, &a6) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(param, peer_host) == 1 ?
		    0 : -1;
	return X509_VERIFY_PARAM_set1_host(param, peer_host, 0) == 1 ? 0 : -1;
}

/*
 * Wraps the connected, non-blocking socket fd.  Clients pass the host they
 * dialled in peer_host; servers pass NULL.  Takes ownership of fd even on
 * failure.  Returns NULL only when OpenSSL cannot allocate.
 */
struct tls_conn *
tls_conn_new(struct tls_ctx *ctx, int fd, const char *peer_host)
{
	struct tls_conn	*conn;
	SSL		*ssl;

	ssl = SSL_new(ctx->ssl_ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    (peer_host != NULL && tls_conn_expect_host(ssl, peer_host) != 0)) {
		SSL_free(ssl);
		close(fd);
		ERR_clear_error();
		return NULL;
	}
	if (ctx->role == TLS_SERVER)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	conn = xcalloc(1, sizeof(*conn));
	conn->ssl = ssl;
	conn->fd = fd;
	return conn;
}

/* Frees the session without a close_notify (peers tolerate EOF). */
void
tls_conn_free(struct tls_conn *conn)
{
	if (conn == NULL)
		return;
	SSL_free(conn->ssl);
	close(conn->fd);
	free(conn);
}

int
tls_conn_fd(const struct tls_conn *conn)
{
	return conn->fd;
}

/* Maps the result of an SSL call to enum tls_io, recording errors. */
static enum tls_io
tls_conn_result(struct tls_conn *conn, int rc, const char *what)
{
	int	 e, saved = errno;

	e = SSL_get_error(conn->ssl, rc);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			snprintf(conn->error, sizeof(conn->error), "%s: %s",
			    what, saved == 0 ? "unexpected EOF" :
			    strerror(saved));
			ERR_clear_error();
			return saved == 0 ? TLS_IO_EOF : TLS_IO_ERROR;
		}
		/* FALLTHROUGH */
	default:
		tls_drain_errors(conn->error, sizeof(conn->error), what);
		return TLS_IO_ERROR;
	}
}

/*
 * Returns non-zero when the n bytes at p make a name a client id may be:
 * printable ASCII without space, quote or backslash, so that it compares
 * and logs as exactly what the certificate says.
 */
static int
tls_name_ok(const unsigned char *p, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\')
			return 0;
	return n > 0;
}

/*
 * Records the peer certificate's common name, whole.  A subject without
 * a CN or with two, a CN longer than LIMIT_PEER_NAME or one with a byte
 * tls_name_ok refuses leaves the name empty, which names no client: a
 * long CN is never cut down to a prefix that might name one.
 */
static void
tls_conn_read_peer(struct tls_conn *conn)
{
	X509		*cert;
	X509_NAME	*name;
	unsigned char	*utf8 = NULL;
	int		 i, n;

	conn->peer[0] = '\0';
	if ((cert = SSL_get0_peer_certificate(conn->ssl)) == NULL)
		return;
	name = X509_get_subject_name(cert);
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0 ||
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n > 0 && (size_t)n <= LIMIT_PEER_NAME && tls_name_ok(utf8, n)) {
		memcpy(conn->peer, utf8, (size_t)n);
		conn->peer[n] = '\0';
	}
	OPENSSL_free(utf8);
}

/* Advances the handshake; TLS_IO_OK once it is complete and verified. */
enum tls_io
tls_conn_handshake(struct tls_conn *conn)
{
	int	 rc;

	ERR_clear_error();
	rc = SSL_do_handshake(conn->ssl);
	if (rc == 1) {
		tls_conn_read_peer(conn);
		return TLS_IO_OK;
	}
	return tls_conn_result(conn, rc, "handshake");
}

/* Reads up to len bytes; *got is set on TLS_IO_OK. */
enum tls_io
tls_conn_read(struct tls_conn *conn, void *p, size_t len, size_t *got)
{
	int	 rc;

	ERR_clear_error();
	rc = SSL_read_ex(conn->ssl, p, len, got);
	if (rc == 1)
		return TLS_IO_OK;
	return tls_conn_result(conn, rc, "read");
}

/* Writes up to len bytes; *put is set on TLS_IO_OK (may be short). */
enum tls_io
tls_conn_write(struct tls_conn *conn, const void *p, size_t len,
    size_t *put)
{
	int	 rc;

	ERR_clear_error();
	rc = SSL_write_ex(conn->ssl, p, len, put);
	if (rc == 1)
		return TLS_IO_OK;
	return tls_conn_result(conn, rc, "write");
}

/* Returns non-zero when decrypted bytes wait inside OpenSSL. */
int
tls_conn_pending(const struct tls_conn *conn)
{
	return SSL_pending(conn->ssl) > 0;
}

/*
 * The verified peer's certificate CN, whole; "" before the handshake and
 * when the CN cannot be a client id (see tls_conn_read_peer).
 */
const char *
tls_conn_peer_name(const struct tls_conn *conn)
{
	return conn->peer;
}

const char *
tls_conn_error(const struct tls_conn *conn)
{
	return conn->error;
}

/*
 * Writes as much of out as TLS takes now, consuming what was written.
 * Returns 0 when out is empty or TLS would block (*want_write is then 1
 * if it waits for the socket to be writable), -1 when the link broke.
 */
int
tls_conn_flush(struct tls_conn *conn, struct buf *out, int *want_write)
{
	enum tls_io	 io;
	size_t		 put;

	*want_write = 0;
	while (out->len > 0) {
		io = tls_conn_write(conn, out->data, out->len, &put);
		if (io == TLS_IO_OK)
			buf_consume(out, put);
		else if (io == TLS_IO_WANT_WRITE || io == TLS_IO_WANT_READ) {
			*want_write = io == TLS_IO_WANT_WRITE;
			return 0;
		} else
			return -1;
	}
	return 0;
}
