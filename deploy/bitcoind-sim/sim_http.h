/*
 * Minimal HTTP/1.x server side for abc-bitcoind-sim: an incremental request
 * parser that allocates nothing, a growable byte buffer, a response writer
 * and the HTTP Basic credential decoder.
 *
 * Ownership: struct sim_http_req only borrows pointers into the caller's
 * input buffer; they stay valid until the caller changes that buffer.
 * struct sim_buf owns its data and is released with sim_buf_clear().
 */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stddef.h>

/* Request line plus header fields, as libevent caps them for bitcoind. */
#define SIM_HTTP_MAX_HEADER	(8u * 1024u)
/* Request body; larger bodies are answered with 413. */
#define SIM_HTTP_MAX_BODY	(8u * 1024u * 1024u)

/* Results of sim_http_parse(). */
enum sim_http_result {
	SIM_HTTP_ERROR = -1,	/* malformed; see req->error_status */
	SIM_HTTP_MORE = 0,	/* need more bytes */
	SIM_HTTP_DONE = 1	/* one complete request in req */
};

/* One parsed request; every pointer borrows the input buffer. */
struct sim_http_req {
	const char	*method;	/* borrowed, not NUL-terminated */
	size_t		 method_len;
	const char	*target;	/* borrowed, not NUL-terminated */
	size_t		 target_len;
	int		 minor;		/* HTTP/1.<minor>, 0 or 1 */
	const char	*auth;		/* borrowed, may be NULL */
	size_t		 auth_len;
	size_t		 content_length;
	int		 keepalive;	/* bool: connection may be reused */
	int		 expect_continue; /* bool: client sent Expect */
	size_t		 head_len;	/* bytes up to the body, 0 if unknown */
	const char	*body;		/* borrowed, valid when DONE */
	size_t		 body_len;
	size_t		 total_len;	/* bytes this request used, if DONE */
	int		 error_status;	/* 400, 413, 501 or 505 on ERROR */
};

/* A growable byte buffer, always NUL-terminated once it holds data. */
struct sim_buf {
	char		*data;		/* owned, may be NULL when empty */
	size_t		 len;
	size_t		 cap;
};

int	 sim_http_parse(const char *buf, size_t len,
	    struct sim_http_req *req);
int	 sim_http_method_is(const struct sim_http_req *req,
	    const char *method);
int	 sim_http_basic_decode(const char *hdr, size_t hdr_len, char *out,
	    size_t outcap, size_t *outlen);
const char *sim_http_reason(int status);
void	 sim_http_write_response(struct sim_buf *out, int minor, int status,
	    const char *extra_headers, const char *ctype, const char *body,
	    size_t body_len, int keepalive, int head_only);

void	 sim_buf_init(struct sim_buf *b);
void	 sim_buf_clear(struct sim_buf *b);
void	 sim_buf_add(struct sim_buf *b, const void *p, size_t n);
void	 sim_buf_addstr(struct sim_buf *b, const char *s);
void	 sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sim_buf_consume(struct sim_buf *b, size_t n);

#endif /* SIM_HTTP_H */
