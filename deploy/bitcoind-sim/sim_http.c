/*
 * HTTP/1.x server side of abc-bitcoind-sim.
 *
 * sim_http_parse() is stateless: the caller hands it everything received so
 * far on a connection and calls it again when more arrives.  It never
 * allocates, never reads past "len", and reports one of three outcomes, so
 * it is the module's fuzz surface.  Bounds: SIM_HTTP_MAX_HEADER bytes for
 * the request line and header fields (leading blank lines included) and
 * SIM_HTTP_MAX_BODY for the body; both are answered with 413 like
 * libevent's "data too long" path in bitcoind.  Transfer-Encoding is not
 * supported (501); bitcoind clients always send Content-Length.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "sim_http.h"
#include "xmalloc.h"

/* Header-field state gathered while walking the header block. */
struct hdr_state {
	int	cl_seen;	/* bool: Content-Length seen */
	int	cl_too_big;	/* bool: Content-Length over the limit */
	int	te_seen;	/* bool: Transfer-Encoding seen */
	int	conn_close;	/* bool: "Connection: close" */
	int	conn_keep;	/* bool: "Connection: keep-alive" */
};

static int	is_tchar(unsigned char c);
static int	ieq(const char *a, size_t alen, const char *b);
static int	find_head_end(const char *buf, size_t len, size_t start,
		    size_t *end);
static int	parse_request_line(const char *p, size_t n,
		    struct sim_http_req *req);
static int	parse_content_length(const char *v, size_t n,
		    struct sim_http_req *req, struct hdr_state *st);
static void	parse_connection(const char *v, size_t n,
		    struct hdr_state *st);
static int	parse_field(const char *p, size_t n, struct sim_http_req *req,
		    struct hdr_state *st);
static int	parse_head(const char *buf, size_t start, size_t end,
		    struct sim_http_req *req, struct hdr_state *st);

/* RFC 9110 token characters. */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return 1;
	default:
		return 0;
	}
}

/* ASCII case-insensitive comparison of (a, alen) with the string b. */
static int
ieq(const char *a, size_t alen, const char *b)
{
	size_t		i;
	unsigned char	x, y;

	if (alen != strlen(b))
		return 0;
	for (i = 0; i < alen; i++) {
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * Find the blank line that ends the header block, looking only at the
 * first SIM_HTTP_MAX_HEADER bytes.  On success "*end" is the offset just
 * past it.  Returns SIM_HTTP_DONE, SIM_HTTP_MORE, or SIM_HTTP_ERROR when
 * the limit is reached without a blank line.
 */
static int
find_head_end(const char *buf, size_t len, size_t start, size_t *end)
{
	const char	*nl;
	size_t		 scan, pos, n;

	scan = len < SIM_HTTP_MAX_HEADER ? len : SIM_HTTP_MAX_HEADER;
	pos = start;
	while (pos < scan) {
		nl = memchr(buf + pos, '\n', scan - pos);
		if (nl == NULL)
			break;
		n = (size_t)(nl - (buf + pos));
		if (n == 0 || (n == 1 && buf[pos] == '\r')) {
			*end = (size_t)(nl - buf) + 1;
			return SIM_HTTP_DONE;
		}
		pos = (size_t)(nl - buf) + 1;
	}
	return len >= SIM_HTTP_MAX_HEADER ? SIM_HTTP_ERROR : SIM_HTTP_MORE;
}

/*
 * Parse "METHOD SP target SP HTTP/d.d".  Returns 0 or an HTTP status
 * (400, 505) for a bad line.
 */
static int
parse_request_line(const char *p, size_t n, struct sim_http_req *req)
{
	const char	*sp1, *sp2, *v;
	size_t		 i, vlen;

	sp1 = memchr(p, ' ', n);
	if (sp1 == NULL || sp1 == p)
		return 400;
	for (i = 0; p + i < sp1; i++)
		if (!is_tchar((unsigned char)p[i]))
			return 400;
	req->method = p;
	req->method_len = (size_t)(sp1 - p);
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 400;
	for (v = sp1 + 1; v < sp2; v++)
		if ((unsigned char)*v <= 0x20 || (unsigned char)*v >= 0x7f)
			return 400;
	req->target = sp1 + 1;
	req->target_len = (size_t)(sp2 - (sp1 + 1));
	v = sp2 + 1;
	vlen = n - (size_t)(v - p);
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	/* A higher minor version is compatible with 1.1 (RFC 9110 2.5). */
	req->minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/*
 * Content-Length: digits only.  A repeated field must carry the same
 * value.  Returns 0 or 400.
 */
static int
parse_content_length(const char *v, size_t n, struct sim_http_req *req,
    struct hdr_state *st)
{
	size_t	i, val;
	int	big;

	if (n == 0)
		return 400;
	val = 0;
	big = 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400;
		if (big)
			continue;
		val = val * 10 + (size_t)(v[i] - '0');
		if (val > SIM_HTTP_MAX_BODY)
			big = 1;
	}
	if (st->cl_seen && (big != st->cl_too_big ||
	    (!big && val != req->content_length)))
		return 400;
	st->cl_seen = 1;
	st->cl_too_big = big;
	req->content_length = big ? 0 : val;
	return 0;
}

/* Connection: a comma-separated token list; only two tokens matter. */
static void
parse_connection(const char *v, size_t n, struct hdr_state *st)
{
	size_t	i, s, e;

	i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (ieq(v + s, e - s, "close"))
			st->conn_close = 1;
		else if (ieq(v + s, e - s, "keep-alive"))
			st->conn_keep = 1;
	}
}

/*
 * Parse one "name: value" line (line ending already removed).  Returns 0
 * or an HTTP status for a malformed or unsupported field.
 */
static int
parse_field(const char *p, size_t n, struct sim_http_req *req,
    struct hdr_state *st)
{
	const char	*colon, *v;
	size_t		 i, namelen, vlen;
	unsigned char	 c;

	/* Obsolete line folding is rejected (RFC 9112 5.2). */
	if (n == 0 || p[0] == ' ' || p[0] == '\t')
		return 400;
	colon = memchr(p, ':', n);
	if (colon == NULL || colon == p)
		return 400;
	namelen = (size_t)(colon - p);
	for (i = 0; i < namelen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return 400;
	v = colon + 1;
	vlen = n - namelen - 1;
	while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++) {
		c = (unsigned char)v[i];
		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return 400;
	}
	if (ieq(p, namelen, "content-length"))
		return parse_content_length(v, vlen, req, st);
	if (ieq(p, namelen, "transfer-encoding"))
		st->te_seen = 1;
	else if (ieq(p, namelen, "connection"))
		parse_connection(v, vlen, st);
	else if (ieq(p, namelen, "expect"))
		req->expect_continue = ieq(v, vlen, "100-continue");
	else if (ieq(p, namelen, "authorization")) {
		/* Two credentials are ambiguous: refuse rather than pick. */
		if (req->auth != NULL)
			return 400;
		req->auth = v;
		req->auth_len = vlen;
	}
	return 0;
}

/*
 * Walk the request line and the header fields in [start, end), where end
 * is just past the terminating blank line.  Returns 0 or an HTTP status.
 */
static int
parse_head(const char *buf, size_t start, size_t end,
    struct sim_http_req *req, struct hdr_state *st)
{
	const char	*nl;
	size_t		 pos, n;
	int		 first, rc;

	first = 1;
	pos = start;
	while (pos < end) {
		nl = memchr(buf + pos, '\n', end - pos);
		if (nl == NULL)
			return 400;	/* cannot happen: end follows a LF */
		n = (size_t)(nl - (buf + pos));
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (n == 0)
			break;		/* the blank line */
		if (first)
			rc = parse_request_line(buf + pos, n, req);
		else
			rc = parse_field(buf + pos, n, req, st);
		if (rc != 0)
			return rc;
		first = 0;
		pos = (size_t)(nl - buf) + 1;
	}
	return first ? 400 : 0;
}

/*
 * Parse the first request in buf[0..len).  Returns SIM_HTTP_DONE with
 * "req" filled in (total_len tells how many bytes to drop afterwards),
 * SIM_HTTP_MORE when the request is incomplete (head_len is then set once
 * the header block is complete, so the caller may send 100 Continue), or
 * SIM_HTTP_ERROR with req->error_status set.  "req" borrows "buf".
 */
int
sim_http_parse(const char *buf, size_t len, struct sim_http_req *req)
{
	struct hdr_state	 st;
	size_t			 start, end;
	int			 rc;

	memset(req, 0, sizeof(*req));
	memset(&st, 0, sizeof(st));
	/* Ignore blank lines before the request line (RFC 9112 2.2). */
	for (start = 0; start < len && (buf[start] == '\r' ||
	    buf[start] == '\n'); start++)
		;
	rc = find_head_end(buf, len, start, &end);
	if (rc != SIM_HTTP_DONE) {
		if (rc == SIM_HTTP_ERROR)
			req->error_status = 413;
		return rc;
	}
	rc = parse_head(buf, start, end, req, &st);
	if (rc == 0 && st.te_seen)
		rc = 501;
	if (rc == 0 && st.cl_too_big)
		rc = 413;
	if (rc != 0) {
		req->error_status = rc;
		return SIM_HTTP_ERROR;
	}
	req->keepalive = req->minor == 1 ? !st.conn_close :
	    (st.conn_keep && !st.conn_close);
	req->head_len = end;
	if (len - end < req->content_length)
		return SIM_HTTP_MORE;
	req->body = buf + end;
	req->body_len = req->content_length;
	req->total_len = end + req->content_length;
	return SIM_HTTP_DONE;
}

/* True if the method is exactly "method" (methods are case-sensitive). */
int
sim_http_method_is(const struct sim_http_req *req, const char *method)
{
	return req->method_len == strlen(method) &&
	    memcmp(req->method, method, req->method_len) == 0;
}

/*
 * Decode an Authorization value "Basic <base64>" into "user:pass" bytes,
 * as bitcoind does: the scheme is matched case-sensitively, the base64
 * text is trimmed of whitespace and must be canonically padded.  Writes
 * at most outcap bytes including a NUL.  Returns 0 or -1.
 */
int
sim_http_basic_decode(const char *hdr, size_t hdr_len, char *out,
    size_t outcap, size_t *outlen)
{
	const char	*p;
	size_t		 n, i, pad;
	int		 r;
	char		 c;

	if (hdr_len < 6 || memcmp(hdr, "Basic ", 6) != 0)
		return -1;
	p = hdr + 6;
	n = hdr_len - 6;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n % 4 != 0 || n / 4 * 3 + 1 > outcap)
		return -1;
	pad = 0;
	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '=') {
			if (i + 2 < n || (i + 2 == n && p[i + 1] != '='))
				return -1;
			pad++;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	if (n == 0) {
		out[0] = '\0';
		*outlen = 0;
		return 0;
	}
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)p,
	    (int)n);
	if (r < 0 || (size_t)r < pad)
		return -1;
	*outlen = (size_t)r - pad;
	out[*outlen] = '\0';
	return 0;
}

/* Reason phrases as libevent (and so bitcoind) sends them. */
const char *
sim_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Entity Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/*
 * Append a complete response to "out".  "extra_headers" (may be NULL) is
 * zero or more "Name: value\r\n" lines.  Without "ctype", libevent's
 * default text/html type is sent, except on 204, which also carries no
 * Content-Length.  "head_only" leaves out the body (HEAD requests).
 */
void
sim_http_write_response(struct sim_buf *out, int minor, int status,
    const char *extra_headers, const char *ctype, const char *body,
    size_t body_len, int keepalive, int head_only)
{
	char		 date[64];
	struct tm	 tm;
	time_t		 now;

	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm) == 0)
		date[0] = '\0';
	sim_buf_printf(out, "HTTP/1.%d %d %s\r\n", minor, status,
	    sim_http_reason(status));
	if (date[0] != '\0')
		sim_buf_printf(out, "Date: %s\r\n", date);
	if (status != 204)
		sim_buf_printf(out, "Content-Type: %s\r\n", ctype != NULL ?
		    ctype : "text/html; charset=ISO-8859-1");
	if (extra_headers != NULL)
		sim_buf_addstr(out, extra_headers);
	if (status != 204)
		sim_buf_printf(out, "Content-Length: %zu\r\n", body_len);
	if (!keepalive)
		sim_buf_addstr(out, "Connection: close\r\n");
	else if (minor == 0)
		sim_buf_addstr(out, "Connection: keep-alive\r\n");
	sim_buf_addstr(out, "\r\n");
	if (!head_only && status != 204 && body_len > 0)
		sim_buf_add(out, body, body_len);
}

/* Start an empty buffer. */
void
sim_buf_init(struct sim_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Release the buffer's memory; the buffer is empty and reusable after. */
void
sim_buf_clear(struct sim_buf *b)
{
	free(b->data);
	sim_buf_init(b);
}

/* Append n bytes, growing geometrically; aborts on overflow or OOM. */
void
sim_buf_add(struct sim_buf *b, const void *p, size_t n)
{
	size_t	need, ncap;

	if (n == 0)
		return;
	if (n > SIZE_MAX - b->len - 1)
		abort();
	need = b->len + n + 1;
	if (need > b->cap) {
		ncap = b->cap < 256 ? 256 : b->cap;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		b->data = xreallocarray(b->data, ncap, 1);
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append a NUL-terminated string. */
void
sim_buf_addstr(struct sim_buf *b, const char *s)
{
	sim_buf_add(b, s, strlen(s));
}

/* Append formatted text of any length. */
void
sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256], *big;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sim_buf_add(b, small, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sim_buf_add(b, big, (size_t)n);
	free(big);
}

/* Drop the first n bytes (all of them if n >= len). */
void
sim_buf_consume(struct sim_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		if (b->data != NULL)
			b->data[0] = '\0';
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
