/* Writing FastCGI responses with the headers every page must carry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fcgiapp.h>

#include "buf.h"
#include "client.h"
#include "clientaddr.h"
#include "clock.h"
#include "cookie.h"
#include "csrf.h"
#include "abc_form.h"
#include "hex.h"
#include "http.h"
#include "abc_limits.h"
#include "log.h"
#include "msg.h"
#include "template.h"
#include "usercache.h"
#include "xmalloc.h"

/* Sent with every response (SPEC 6, issue 4's list)... */
#define HTTP_CSP "Content-Security-Policy: default-src 'self'; " \
    "img-src 'self' data:; style-src 'self'; script-src 'self'; " \
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
static const char http_common_headers[] =
    HTTP_CSP "frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "X-Frame-Options: DENY\r\n";
/* ...except /embed, which other sites frame. */
static const char http_frameable_headers[] =
    HTTP_CSP "frame-ancestors *\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n";

static void	http_csrf_prepare(struct http_req *, const char *);

/* Bytes of a rendered page's buffer allocated first (a campaign page:
 * 20 KB with a few slots). */
#define HTTP_RENDER_FIRST	(32u * 1024)

/* Reason phrases for the statuses we send. */
const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* The parameters http_req_init reads, found in one pass. */
struct http_params {
	const char	*method, *doc_uri, *req_uri, *query, *remote, *xff,
			*https, *cookie;
};

/* Points *slot at the value of e ("NAME=value") when its name is name. */
static int
http_param_is(const char *e, const char *name, size_t len, const char **slot)
{
	if (strncmp(e, name, len) != 0 || e[len] != '=')
		return 0;
	if (*slot == NULL)	/* the first, as FCGX_GetParam */
		*slot = e + len + 1;
	return 1;
}

/*
 * Finds the parameters of p in envp with one look at each (FCGX_GetParam
 * scans them all for every name: eight scans a page).
 */
static void
http_scan_params(char **envp, struct http_params *p)
{
	const char	*e;

	memset(p, 0, sizeof(*p));
	for (; envp != NULL && *envp != NULL; envp++) {
		e = *envp;
		switch (e[0]) {
		case 'R':
			(void)(http_param_is(e, "REQUEST_METHOD", 14,
			    &p->method) || http_param_is(e, "REQUEST_URI", 11,
			    &p->req_uri) || http_param_is(e, "REMOTE_ADDR", 11,
			    &p->remote));
			break;
		case 'D':
			(void)http_param_is(e, "DOCUMENT_URI", 12, &p->doc_uri);
			break;
		case 'Q':
			(void)http_param_is(e, "QUERY_STRING", 12, &p->query);
			break;
		case 'H':
			(void)(http_param_is(e, "HTTP_COOKIE", 11, &p->cookie) ||
			    http_param_is(e, "HTTP_X_FORWARDED_FOR", 20,
			    &p->xff) || http_param_is(e, "HTTPS", 5, &p->https));
			break;
		}
	}
}

/*
 * Fills r from the FastCGI parameters.  Returns 0, or -1 when the request
 * lacks a method or path (nginx always sends both).
 */
int
http_req_init(struct http_req *r, FCGX_Request *fcgi, const struct app *app)
{
	struct http_params	 p;
	const char		*uri, *q;
	char			 wrote[8];
	size_t			 n;

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	r->app = app;
	http_scan_params(fcgi->envp, &p);
	r->method = p.method;
	uri = p.doc_uri != NULL ? p.doc_uri : p.req_uri;
	if (r->method == NULL || uri == NULL)
		return -1;
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	r->query = p.query != NULL ? p.query : "";
	if (n >= sizeof(r->pathbuf))
		return -1;
	memcpy(r->pathbuf, uri, n);
	r->pathbuf[n] = '\0';
	r->path = r->pathbuf;
	clientaddr_resolve(p.remote, p.xff, &app->trusted_proxies, r->addrbuf,
	    sizeof(r->addrbuf));
	r->addr = r->addrbuf;
	r->https = p.https != NULL && strcmp(p.https, "on") == 0;
	buf_init(&r->headers, 16 * 1024);
	http_csrf_prepare(r, p.cookie);
	if (cookie_get(p.cookie, HTTP_SESSION_COOKIE, r->token,
	    sizeof(r->token)) != 0)
		r->token[0] = '\0';
	r->wrote = r->token[0] != '\0' && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0) && cookie_get(p.cookie,
	    HTTP_WROTE_COOKIE, wrote, sizeof(wrote)) == 0;
	return 0;
}

/* Frees what the request allocated. */
void
http_req_clear(struct http_req *r)
{
	buf_clear(&r->headers);
	form_clear(&r->form);
	explicit_bzero(r->token, sizeof(r->token));
}

/*
 * The microcache at the edge (SPEC 6: the seeds' max-stale rule, at nginx).
 * A page whose bytes are the same for every visitor without a session may
 * be kept by nginx for the current 100 ms (deploy/nginx.conf.in: the cache
 * key holds a 100 ms time bucket, and nginx caches only what abc-web
 * allows with X-Accel-Expires, which it strips).  Never a response that
 * sets a cookie, and never for a request that brings a session: nginx
 * bypasses those itself too.
 */
void
http_edge_cacheable(struct http_req *r)
{
	if (r->token[0] == '\0' && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0))
		r->edge_cache = 1;
}

/* The header that lets nginx keep this response, or "". */
static const char *
http_edge_header(const struct http_req *r, int status)
{
	if (!r->edge_cache || status != 200 || (r->headers.len > 0 &&
	    memmem(r->headers.data, r->headers.len, "Set-Cookie:", 11) != NULL))
		return "";
	return "X-Accel-Expires: 1\r\n";
}

/*
 * Sends a complete response whose body is the n parts in turn (written as
 * they are, not gathered first); 0, or -1 when the client went away.
 * Headers are formatted with snprintf: libfcgi's own printf knows no %zu.
 */
int
http_send_parts(struct http_req *r, int status, const char *content_type,
    const struct http_part *parts, size_t n)
{
	FCGX_Stream	*out = r->fcgi->out;
	char		 head[1024];
	size_t		 i, len = 0;
	int		 k;

	/* A logged-in POST that was not refused may have written (http.h). */
	if (status < 400 && r->token[0] != '\0' &&
	    strcmp(r->method, "POST") == 0)
		http_set_cookie(r, HTTP_WROTE_COOKIE, "1", HTTP_WROTE_S);
	for (i = 0; i < n; i++)
		len += parts[i].len;
	r->status = status;
	r->sent = len;
	k = snprintf(head, sizeof(head), "Status: %d %s\r\n%sContent-Type: %s"
	    "\r\nContent-Length: %zu\r\nCache-Control: %s\r\n%s",
	    status, http_status_text(status), http_edge_header(r, status),
	    content_type, len,
	    r->cache_control != NULL ? r->cache_control : "no-store",
	    r->frameable ? http_frameable_headers : http_common_headers);
	if (k < 0 || (size_t)k >= sizeof(head) ||
	    FCGX_PutStr(head, k, out) != k ||
	    (r->headers.len > 0 && FCGX_PutStr((const char *)r->headers.data,
	    (int)r->headers.len, out) != (int)r->headers.len) ||
	    FCGX_PutStr("\r\n", 2, out) != 2)
		return -1;
	if (strcmp(r->method, "HEAD") == 0 || status == 304)
		return 0;
	for (i = 0; i < n; i++)
		if (parts[i].len > 0 && FCGX_PutStr(parts[i].data,
		    (int)parts[i].len, out) != (int)parts[i].len)
			return -1;
	return 0;
}

/* Sends a complete response; 0, or -1 when the client went away. */
int
http_send(struct http_req *r, int status, const char *content_type,
    const void *body, size_t len)
{
	struct http_part	 part = { body, len };

	return http_send_parts(r, status, content_type, &part, 1);
}

/*
 * Renders template name with data and sends it.  A render failure is a
 * bug in our templates: it is logged and answered with a plain 500.
 */
int
http_render(struct http_req *r, int status, const char *name,
    struct tpl_val *data)
{
	struct buf	 out;
	char		 err[256];
	int		 rc;

	buf_init(&out, 8u * 1024 * 1024);
	/* Room for most pages at once: growing by doubling from 64 bytes
	 * was ten reallocations a page. */
	(void)buf_reserve(&out, HTTP_RENDER_FIRST);
	if (tpl_render(r->app->tpl, name, data, &out, err, sizeof(err)) != 0) {
		log_error("render", "template=%s error=\"%s\"", name, err);
		rc = http_send(r, 500, "text/plain; charset=utf-8",
		    "internal error\n", 15);
	} else
		rc = http_send(r, status, "text/html; charset=utf-8",
		    out.data, out.len);
	buf_clear(&out);
	return rc;
}

/* Renders the error page with status and a message for people. */
int
http_error(struct http_req *r, int status, const char *message)
{
	struct tpl_val	*data;
	int		 rc;

	data = http_page(r, http_status_text(status));
	tpl_put_int(data, "status", status);
	tpl_put_str(data, "message", message);
	rc = http_render(r, status, "error", data);
	tpl_val_free(data);
	return rc;
}

/* Writes n random bytes as hex into out (2n + 1 bytes); 0 or -1. */
static int
http_random_hex(char *out, size_t n)
{
	uint8_t	 raw[32];

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		return -1;
	hex_encode(raw, n, out);
	return 0;
}

/*
 * CSRF protection (issue 10): a form's token is an HMAC bound to a cookie
 * a foreign site can neither read nor set (web/csrf.h): the session for a
 * logged-in user, else a random pre-session cookie (__Host- prefixed under
 * https, so no sibling domain or plain-http page can plant one).  This
 * picks the pre-session cookie up from the Cookie header (may be NULL),
 * if the request has one.
 */
static void
http_csrf_prepare(struct http_req *r, const char *cookies)
{
	const char	*name = r->https ? HTTP_CSRF_COOKIE_HTTPS :
			    HTTP_CSRF_COOKIE;

	r->csrf[0] = '\0';
	if (cookie_get(cookies, name, r->pre, sizeof(r->pre)) != 0 ||
	    strlen(r->pre) != 32 ||
	    strspn(r->pre, "0123456789abcdef") != 32)
		r->pre[0] = '\0';
}

/*
 * Makes sure the page being rendered has a CSRF token for its forms: the
 * session's when logged in (http_user ran before), else the pre-session
 * cookie's, setting that cookie only then: images, JSON and embeds set
 * no cookie.
 */
static void
http_csrf_ensure(struct http_req *r)
{
	if (r->csrf[0] != '\0')
		return;
	if (r->user.id != 0 && r->token[0] != '\0') {
		/* Made with the session's lookup (usercache.h). */
		if (strlen(r->user.csrf) == CSRF_TOKEN_LEN) {
			memcpy(r->csrf, r->user.csrf, sizeof(r->csrf));
			return;
		}
		if (csrf_token(&r->app->csrf_key, CSRF_SESSION, r->token,
		    r->csrf) != 0)
			log_error("csrf_token", "error=\"cannot compute\"");
		return;
	}
	if (r->pre[0] == '\0') {
		if (http_random_hex(r->pre, 16) != 0) {
			r->pre[0] = '\0';
			return;
		}
		http_set_cookie(r, r->https ? HTTP_CSRF_COOKIE_HTTPS :
		    HTTP_CSRF_COOKIE, r->pre, -1);
	}
	if (csrf_token(&r->app->csrf_key, CSRF_PRE, r->pre, r->csrf) != 0)
		log_error("csrf_token", "error=\"cannot compute\"");
}

/* Adds a Set-Cookie header: HttpOnly, SameSite=Lax, Secure under https. */
void
http_set_cookie(struct http_req *r, const char *name, const char *value,
    long max_age)
{
	int	 flags = COOKIE_HTTPONLY | COOKIE_LAX;

	if (r->https)
		flags |= COOKIE_SECURE;
	if (cookie_set(&r->headers, name, value, max_age, flags) != 0)
		log_error("cookie", "name=%s error=\"cannot set\"", name);
}

/*
 * Returns 1 when the POSTed csrf field matches the cookie.  Otherwise
 * answers 403 itself and returns 0: nothing else may happen.
 */
int
http_csrf_check(struct http_req *r)
{
	return http_csrf_check_value(r, form_get(&r->form, "csrf"));
}

/*
 * The same for a token the caller read (from a multipart body).  A token
 * of the session cookie or of the pre-session cookie the request carries
 * is good: a page rendered before logging in stays usable after it.
 */
int
http_csrf_check_value(struct http_req *r, const char *sent)
{
	const struct csrf_key	*k = &r->app->csrf_key;

	if ((r->token[0] != '\0' && csrf_valid(k, CSRF_SESSION, r->token,
	    sent)) || (r->pre[0] != '\0' && csrf_valid(k, CSRF_PRE, r->pre,
	    sent)))
		return 1;
	log_warn("csrf_refused", "path=\"%.64s\" addr=%s", r->path, r->addr);
	(void)http_error(r, 403, "This form has expired or did not come from "
	    "this site. Reload the page and try again.");
	return 0;
}

/*
 * 1 when the client may see operators' details (/status/detail,
 * /metrics): its address (after trusted proxies) is in admin_addrs, or it
 * came through a Unix socket of nginx ("unix:", the per-process sockets
 * of deploy/nginx.conf.in), which only this host can reach.
 */
int
http_admin(const struct http_req *r)
{
	return strcmp(r->addr, "unix:") == 0 ||
	    addrlist_has(&r->app->admin_addrs, r->addr);
}

/* Answers an error page and returns -1, for early exits. */
static int
http_fail(struct http_req *r, int status, const char *message)
{
	(void)http_error(r, status, message);
	return -1;
}

/*
 * Reads and parses an application/x-www-form-urlencoded body into
 * r->form.  Returns 0, or -1 after answering 413 (too large), 415 (another
 * type) or 400 (malformed).
 */
int
http_read_form(struct http_req *r)
{
	const char	*type, *lenp;
	char		*body, *end;
	unsigned long	 len;
	enum form_err	 e;
	int		 got;

	type = FCGX_GetParam("CONTENT_TYPE", r->fcgi->envp);
	lenp = FCGX_GetParam("CONTENT_LENGTH", r->fcgi->envp);
	if (type == NULL || strncasecmp(type,
	    "application/x-www-form-urlencoded", 33) != 0 ||
	    (type[33] != '\0' && type[33] != ';'))
		return http_fail(r, 415, "Send this form as an HTML form "
		    "(application/x-www-form-urlencoded).");
	len = lenp != NULL ? strtoul(lenp, &end, 10) : 0;
	if (lenp == NULL || *lenp == '\0' || *end != '\0')
		return http_fail(r, 400, "The form came without a length.");
	if (len > HTTP_FORM_MAX)
		return http_fail(r, 413, "The form is too large.");
	body = xmalloc(len + 1);
	got = len > 0 ? FCGX_GetStr(body, (int)len, r->fcgi->in) : 0;
	if (got != (int)len) {
		free(body);
		return http_fail(r, 400, "The form arrived incomplete.");
	}
	e = form_parse(body, len, &r->form);
	free(body);
	if (e != FORM_OK)
		return http_fail(r, 400, form_strerror(e));
	return 0;
}

/*
 * Asks abc-worker who holds r's session token (renewing the session);
 * sets r->user when found.  Only a definite "no such session" is ABSENT;
 * no answer, a failed read or a garbled reply is UNKNOWN (why set).
 */
static enum lookup
http_session_ask(struct http_req *r, const char *key)
{
	struct json_object	*req, *rep = NULL;
	enum app_err		 e;
	enum lookup		 lk;
	int64_t			 id = 0, ttl = 0;
	const char		*name = NULL;

	req = msg_request_new(MSG_OP_SESSION);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	e = client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep);
	lk = e == APP_OK ? msg_reply_lookup(rep, MSG_CODE_NO_SESSION) :
	    LOOKUP_UNKNOWN;
	if (lk == LOOKUP_FOUND && (msg_get_int(rep, "user", &id) != 0 ||
	    id <= 0 || (name = msg_get_str(rep, "username")) == NULL)) {
		lk = LOOKUP_UNKNOWN;
		e = APP_EPROTO;
	}
	if (lk == LOOKUP_FOUND) {
		r->user.id = id;
		snprintf(r->user.name, sizeof(r->user.name), "%s", name);
		if (csrf_token(&r->app->csrf_key, CSRF_SESSION, r->token,
		    r->user.csrf) != 0)
			r->user.csrf[0] = '\0';	/* made per page then */
		usercache_put(r->app->users, key, &r->user, clock_mono_ms());
		/* The worker renewed the session: so does the cookie. */
		if (msg_get_int(rep, "ttl_s", &ttl) == 0 && ttl > 0)
			http_set_cookie(r, HTTP_SESSION_COOKIE, r->token,
			    (long)ttl);
	} else if (lk == LOOKUP_UNKNOWN) {
		r->session_err = e != APP_OK ? e : APP_EDB;
		log_info("session_unknown", "path=\"%.64s\" error=\"%s\"",
		    r->path, app_strerror(r->session_err));
	}
	json_object_put(req);
	json_object_put(rep);
	return lk;
}

/*
 * Resolves the session cookie to a user, from the cache or by asking
 * abc-worker, once per request.  FOUND sets r->user.  ABSENT (no cookie,
 * or abc-worker said the session does not exist) clears a dead cookie:
 * only that logs a user out.  UNKNOWN (abc-worker or its database did
 * not answer) keeps the cookie; r->session_err says why.
 */
enum lookup
http_session(struct http_req *r)
{
	char	 key[USERCACHE_KEY_LEN + 1];

	if (r->session_looked)
		return r->session;
	r->session_looked = 1;
	r->session = LOOKUP_ABSENT;
	if (r->token[0] == '\0')
		return r->session;
	usercache_token_key(r->token, key);
	if (key[0] == '\0')
		return r->session;
	if (usercache_get(r->app->users, key, &r->user, clock_mono_ms()))
		return r->session = LOOKUP_FOUND;
	if ((r->session = http_session_ask(r, key)) == LOOKUP_ABSENT)
		http_set_cookie(r, HTTP_SESSION_COOKIE, "", 0);
	return r->session;
}

/*
 * For pages anyone may see: 1 when the viewer is logged in (r->user set),
 * 0 otherwise, including when that could not be told (the page then
 * says so; http_page sets session_unknown).
 */
int
http_user(struct http_req *r)
{
	return http_session(r) == LOOKUP_FOUND;
}

/*
 * For pages that need a logged-in user: 1 when r->user is set; otherwise
 * answers, and returns 0: to the login page when there is no session,
 * "try again" (http_unknown) when it could not be told.
 */
int
http_need_user(struct http_req *r)
{
	switch (http_session(r)) {
	case LOOKUP_FOUND:
		return 1;
	case LOOKUP_ABSENT:
		(void)http_to_login(r);
		return 0;
	case LOOKUP_UNKNOWN:
		(void)http_unknown(r, r->session_err);
		return 0;
	}
	return 0;
}

/*
 * Answers a request whose outcome could not be told (why: the link's
 * error, APP_EDB when abc-worker's database failed), and returns -1.
 * A POST past the deadline is 202 "still working": abc-worker still gets
 * it, and sending the form again does no harm (its idempotency key).
 * Anything else is 503 "try again", never an answer about the data.
 */
int
http_unknown(struct http_req *r, enum app_err why)
{
	struct tpl_val	*data;

	if (why == APP_ETIMEDOUT && strcmp(r->method, "POST") == 0) {
		data = http_page(r, "Still working");
		(void)http_render(r, 202, "still_working", data);
		tpl_val_free(data);
		return -1;
	}
	(void)buf_printf(&r->headers, "Retry-After: 2\r\n");
	return http_fail(r, 503, "The service could not answer just now; "
	    "try again in a moment.");
}

/*
 * The status of a failed reply: 503 when abc-worker could not tell (the
 * user may try again), else refused (the status of a definite no).
 */
int
http_failed_status(struct json_object *rep, int refused)
{
	return msg_reply_retryable(rep) ? 503 : refused;
}

/* Says in the response that a read was served stale from the cache. */
void
http_mark_stale(struct http_req *r)
{
	(void)buf_printf(&r->headers,
	    "Cache-Status: abc-web; hit; detail=stale-if-error\r\n");
}

/*
 * Sends req to abc-worker and waits the configured time (not at all for
 * a deferred POST: its deadline passed while the session was looked up).
 * Returns 0 with *reply set (the caller puts it).  Otherwise answers the
 * page itself (http_unknown: past the deadline a POST is "still
 * working", the request goes on) and returns -1.
 */
int
http_call(struct http_req *r, struct json_object *req,
    struct json_object **reply)
{
	enum app_err	 e;

	e = client_call(r->app->client, req, r->deferred ? 0 :
	    r->app->request_timeout_ms, 0, reply);
	if (e == APP_OK)
		return 0;
	/* Not an outage: the request itself is over the link's limit. */
	if (e == APP_EINVAL)
		return http_fail(r, 413, "The request is too large.");
	return http_unknown(r, e);
}

/* Answers 303 See Other to location (a path of ours). */
int
http_redirect(struct http_req *r, const char *location)
{
	if (buf_printf(&r->headers, "Location: %s\r\n", location) != 0)
		return -1;
	return http_send(r, 303, "text/plain; charset=utf-8", "", 0);
}

/*
 * The page a login should lead back to, as a checked local path into out
 * ("" when none): on /login and /register the next= they were given, on
 * any other GET the request itself.
 */
void
http_next(struct http_req *r, char *out, size_t len)
{
	struct form	 q;
	const char	*v;

	out[0] = '\0';
	if (strcmp(r->path, "/login") == 0 ||
	    strcmp(r->path, "/register") == 0) {
		if ((v = form_get(&r->form, "next")) != NULL &&
		    form_local_path(v))
			snprintf(out, len, "%s", v);
		memset(&q, 0, sizeof(q));
		if (out[0] == '\0' && form_parse(r->query, strlen(r->query),
		    &q) == FORM_OK && (v = form_get(&q, "next")) != NULL &&
		    form_local_path(v))
			snprintf(out, len, "%s", v);
		form_clear(&q);
		return;
	}
	if (strcmp(r->method, "GET") != 0 || strcmp(r->path, "/") == 0)
		return;
	if ((size_t)snprintf(out, len, "%s%s%s", r->path, r->query[0] != '\0'
	    ? "?" : "", r->query) >= len || !form_local_path(out))
		out[0] = '\0';
}

/* Not logged in: to /login, which comes back here afterwards. */
int
http_to_login(struct http_req *r)
{
	char	 next[FORM_LOCAL_MAX + 1], loc[3 * FORM_LOCAL_MAX + 16];

	http_next(r, next, sizeof(next));
	memcpy(loc, "/login?next=", 13);
	if (next[0] == '\0' || form_encode(next, loc + 12, sizeof(loc) - 12)
	    != 0)
		return http_redirect(r, "/login");
	return http_redirect(r, loc);
}

/*
 * The data of http_page with these values: the CSRF token, who is logged
 * in (me, "" for none) and whether that could not be told.
 */
static struct tpl_val *
http_page_with(struct http_req *r, const char *title, const char *csrf,
    int logged_in, const char *me, int session_unknown)
{
	static const struct {
		const char	*key, *path;
	} nav[] = {
		{ "nav_home", "/" }, { "nav_sell", "/sell" },
		{ "nav_campaigns", "/my/campaigns" }, { "nav_ads", "/my/ads" },
		{ "nav_account", "/account" }, { "nav_how", "/how" },
		{ "nav_login", "/login" }, { "nav_register", "/register" },
	};
	struct tpl_val	*data;
	char		 next[FORM_LOCAL_MAX + 1], enc[3 * FORM_LOCAL_MAX + 1];
	size_t		 i;

	data = tpl_obj_new();
	tpl_put_str(data, "title", title);
	tpl_put_str(data, "csrf", csrf);
	tpl_put_bool(data, "logged_in", logged_in);
	tpl_put_bool(data, "session_unknown", session_unknown);
	tpl_put_str(data, "me", me);
	tpl_put_str(data, "error", "");
	http_next(r, next, sizeof(next));
	tpl_put_str(data, "next", next);
	if (form_encode(next, enc, sizeof(enc)) != 0)
		enc[0] = '\0';
	tpl_put_str(data, "login_next", enc);
	for (i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
		tpl_put_bool(data, nav[i].key, strcmp(r->path, nav[i].path) ==
		    0);
	return data;
}

/*
 * A template data object with what every page shows: title, the CSRF
 * token for forms, who is logged in (as far as http_user found out
 * before), the page a login should return to (next, and login_next
 * encoded for a link) and which navigation entry is this page (nav_*).
 * The caller frees it.
 */
struct tpl_val *
http_page(struct http_req *r, const char *title)
{
	if (!r->edge_cache)	/* a shared page has no form to protect */
		http_csrf_ensure(r);
	/*
	 * Whether one is logged in could not be told, or was not asked (an
	 * error page for a request with a session cookie): the page must not
	 * say "not".
	 */
	return http_page_with(r, title, r->csrf, r->user.id != 0,
	    r->user.name, r->session_looked ?
	    r->session == LOOKUP_UNKNOWN : r->token[0] != '\0');
}

/*
 * The data of http_page for any logged-in viewer of r's page, with csrf
 * and me standing for the viewer's token and name (a page rendered once
 * for all of them, web/page_campaign.c).  Touches nothing of r's viewer:
 * no cookie, no session.  The caller frees it.
 */
struct tpl_val *
http_page_logged_in(struct http_req *r, const char *title, const char *csrf,
    const char *me)
{
	return http_page_with(r, title, csrf, 1, me, 0);
}

/* The CSRF token of r's page (http_page makes it), "" when none. */
const char *
http_page_csrf(struct http_req *r)
{
	if (!r->edge_cache)
		http_csrf_ensure(r);
	return r->csrf;
}

/*
 * How old a cached entry may be now (HTTP_FRESH_UP_MS or _DOWN_MS); -1,
 * none, for a request of a browser that has just written (http.h).
 */
int64_t
http_fresh_ms(struct http_req *r)
{
	struct client_stats	 st;

	if (r->wrote)
		return -1;
	client_stats(r->app->client, &st);
	return st.up ? HTTP_FRESH_UP_MS : HTTP_FRESH_DOWN_MS;
}

/* Writes a fresh idempotency key for a form: 32 hex digits (SPEC 9). */
void
http_new_idem(char out[HTTP_IDEM_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 raw[HTTP_IDEM_LEN / 2];
	size_t			 i;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		log_error("rand", "error=\"no randomness for a form key\"");
		memset(raw, 0, sizeof(raw));
	}
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[HTTP_IDEM_LEN] = '\0';
}

/* 1 when s is an idempotency key as http_new_idem makes them. */
int
http_idem_ok(const char *s)
{
	return s != NULL && strlen(s) == HTTP_IDEM_LEN &&
	    strspn(s, "0123456789abcdef") == HTTP_IDEM_LEN;
}

/*
 * The session check of a logged-in user's request: http_need_user, except
 * that a POST whose session lookup outlived the deadline (abc-worker is
 * down or slow) goes on with r->deferred set and r->user unknown.  Its
 * request carries the token, which abc-worker checks itself, so
 * http_call queues it without waiting again and answers 202 "still
 * working": the request is then truly accepted and carried out once
 * abc-worker answers, and sending the form again shows its outcome.
 */
int
http_post_session(struct http_req *r)
{
	if (strcmp(r->method, "POST") == 0 &&
	    http_session(r) == LOOKUP_UNKNOWN &&
	    r->session_err == APP_ETIMEDOUT) {
		r->deferred = 1;
		return 1;
	}
	return http_need_user(r);
}

/*
 * The start of a logged-in user's POST: reads the form and checks its
 * CSRF token and the session (http_post_session).  Returns 1 when the
 * handler may go on, 0 after answering (an error, to the login page, or
 * "try again" when the session could not be told).
 */
int
http_post_user(struct http_req *r)
{
	if (http_read_form(r) != 0 || !http_csrf_check(r))
		return 0;
	return http_post_session(r);
}

/*
 * Reads cursor key of the query into *out (-1 when absent): 1 to 18
 * digits, at least min.  0, or -1 when malformed.
 */
static int
http_cursor_id(const struct form *q, const char *key, int64_t min,
    int64_t *out)
{
	const char	*s = form_get(q, key);
	size_t		 n;

	*out = -1;
	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return -1;
	*out = strtoll(s, NULL, 10);
	return *out >= min ? 0 : -1;
}

/*
 * Reads the page cursor of a list page's query: "before" (older rows, an
 * id of at least 1) or "after" (newer rows; 0 is the oldest page), not
 * both; *before / *after are -1 when absent, so neither is the newest
 * page.  0, or -1 when malformed: the caller answers 400.
 */
int
http_page_cursor(struct http_req *r, int64_t *before, int64_t *after)
{
	struct form	 q;
	int		 rc = -1;

	memset(&q, 0, sizeof(q));
	if (form_parse(r->query, strlen(r->query), &q) == FORM_OK &&
	    http_cursor_id(&q, "before", 1, before) == 0 &&
	    http_cursor_id(&q, "after", 0, after) == 0 &&
	    (*before == -1 || *after == -1))
		rc = 0;
	form_clear(&q);
	return rc;
}

/*
 * Sets v's object key for partials/pager.html from a list page's reply:
 * links to path?after=<member_newer> and path?before=<member_older>, each
 * only when abc-worker said that page exists.
 */
void
http_pager(struct tpl_val *v, const char *key, const char *path,
    struct json_object *rep, const char *member)
{
	struct tpl_val	*p = tpl_put_obj(v, key);
	char		 k[64];
	int64_t		 id;
	int		 has;

	snprintf(k, sizeof(k), "%s_newer", member);
	has = rep != NULL && msg_get_int(rep, k, &id) == 0;
	tpl_put_bool(p, "has_newer", has);
	tpl_put_printf(p, "newer_href", "%s?after=%lld", path,
	    has ? (long long)id : 0LL);
	snprintf(k, sizeof(k), "%s_older", member);
	has = rep != NULL && msg_get_int(rep, k, &id) == 0;
	tpl_put_bool(p, "has_older", has);
	tpl_put_printf(p, "older_href", "%s?before=%lld", path,
	    has ? (long long)id : 0LL);
}
