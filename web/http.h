/*
 * One FastCGI request as the page handlers see it, and the ways to answer
 * it: raw bytes, a rendered template, or an error page.  Every answer
 * carries the security headers of SPEC 6.
 *
 * Ownership: the request borrows the FastCGI request and the process-wide
 * app for the duration of one request; strings point into libfcgi's
 * environment and live as long as the request.
 */
#ifndef ABC_HTTP_H
#define ABC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"
#include "clientaddr.h"
#include "csrf.h"
#include "abc_err.h"
#include "abc_form.h"
#include "usercache.h"

struct tpl_set;
struct tpl_val;
struct client;
struct cache;
struct metrics;
struct kdfpool;
struct counter;
struct apilimit;

/* Process-wide state every handler may read; never written after start. */
struct app {
	const struct tpl_set	*tpl;		/* compiled templates */
	struct client		*client;	/* the link to abc-worker */
	int			 threads;	/* FastCGI threads */
	int			 request_timeout_ms;
	long long		 started_ms;
	struct usercache	*users;		/* sessions seen lately */
	struct cache		*cache;		/* campaigns, images */
	struct metrics		*metrics;	/* request counters */
	int			 allow_short_slots;
	/* Issue 10: who the client is, who may see details, form tokens. */
	struct addrlist		 trusted_proxies;	/* X-Forwarded-For from */
	struct addrlist		 admin_addrs;	/* /status/detail, /metrics */
	struct csrf_key		 csrf_key;	/* shared by every abc-web */
	struct kdfpool		*kdf;		/* issue 14: password keys */
	/* Issue 15: impressions, clicks and liveness (web/counter.h). */
	struct counter		*counter;
	/* Issue 15: API keys seen lately (1 s), each key's rate. */
	struct usercache	*apikeys;
	struct apilimit		*apilimit;
};

/* Cookie names. */
#define HTTP_SESSION_COOKIE	"abc_session"
#define HTTP_CSRF_COOKIE	"abc_csrf"	/* the pre-session cookie */
#define HTTP_CSRF_COOKIE_HTTPS	"__Host-abc_csrf"	/* ...under https */
/*
 * Read-your-writes across abc-web processes.  abc-worker sends its
 * "changed" notices to every abc-web before it answers a write, but the
 * next page of the writer may reach another process before that one has
 * read the notice (t_070 saw an account page without the address just
 * made: the POST on one process, the GET 3 ms later on the other).  So
 * every answer below 400 to a POST with a session (http_send_parts; a
 * login or a registration changes nothing a cache holds) sets this cookie
 * for HTTP_WROTE_S seconds, and a GET with a session that carries it reads
 * nothing from the cache (http_fresh_ms; the campaign page's shared part
 * too): the writer's next pages come from abc-worker, after the write.
 * The browser expires the cookie, so no clock of ours is compared.  Only
 * a GET: a POST's own reads only prepare what abc-worker decides.  Only
 * with a session: a cookie anyone can send must not turn anonymous pages
 * into worker reads.
 */
#define HTTP_WROTE_COOKIE	"abc_wrote"
#define HTTP_WROTE_S		2

/*
 * How long a cached entry may be served (SPEC 6): while the link is up,
 * notices drop what changes, so entries may live this long; with the link
 * down nothing would tell us, so they are fetched again past 100 ms.
 */
#define HTTP_FRESH_UP_MS	5000
#define HTTP_FRESH_DOWN_MS	100

/*
 * How old a cached read may be when the fresh read fails (stale-if-error,
 * SPEC 6: a cached page may be served stale rather than wrong).
 */
#define HTTP_STALE_MS		(5 * 60 * 1000)

/* Hex digits of a form's idempotency key (the hidden idem field). */
#define HTTP_IDEM_LEN		32

/* Largest urlencoded form body read (nginx caps bodies too). */
#define HTTP_FORM_MAX		(64u * 1024u)

struct http_req {
	FCGX_Request		*fcgi;		/* borrowed */
	const struct app	*app;		/* borrowed */
	const char		*method;
	const char		*path;		/* without the query */
	char			 pathbuf[1024];
	const char		*addr;		/* client address, never NULL */
	char			 addrbuf[CLIENTADDR_LEN];
	int			 https;
	int			 status;	/* sent status, for the log */
	size_t			 sent;		/* body bytes sent */
	struct buf		 headers;	/* extra response headers */
	struct form		 form;		/* POST body fields */
	char			 csrf[CSRF_TOKEN_LEN + 1];	/* this page's forms */
	char			 pre[33];	/* pre-session cookie, "" if none */
	char			 token[65];	/* session cookie, "" when none */
	struct cached_user	 user;		/* id 0: not logged in */
	const char		*cache_control;	/* NULL: no-store */
	int			 frameable;	/* may be shown in an iframe */
	int			 edge_cache;	/* nginx may keep it (see below) */
	const char		*query;		/* after '?', "" when none */
	int			 wrote;		/* HTTP_WROTE_COOKIE sent */
	/* What http_session found, once it looked (session_looked). */
	int			 session_looked;
	enum lookup		 session;
	enum app_err		 session_err;	/* why, when UNKNOWN */
	int			 deferred;	/* see http_post_user */
};

int	http_req_init(struct http_req *r, FCGX_Request *fcgi,
	    const struct app *app);
void	http_req_clear(struct http_req *r);
int	http_read_form(struct http_req *r);
int	http_csrf_check(struct http_req *r);
int	http_csrf_check_value(struct http_req *r, const char *sent);
int	http_admin(const struct http_req *r);
enum lookup http_session(struct http_req *r);
int	http_user(struct http_req *r);
int	http_need_user(struct http_req *r);
int	http_post_session(struct http_req *r);
int	http_post_user(struct http_req *r);
int	http_call(struct http_req *r, struct json_object *req,
	    struct json_object **reply);
int	http_unknown(struct http_req *r, enum app_err why);
int	http_failed_status(struct json_object *rep, int refused);
void	http_mark_stale(struct http_req *r);
void	http_set_cookie(struct http_req *r, const char *name,
	    const char *value, long max_age);
int	http_redirect(struct http_req *r, const char *location);
int	http_to_login(struct http_req *r);
void	http_next(struct http_req *r, char *out, size_t len);
struct tpl_val *http_page(struct http_req *r, const char *title);
struct tpl_val *http_page_logged_in(struct http_req *r, const char *title,
	    const char *csrf, const char *me);
const char *http_page_csrf(struct http_req *r);
void	 http_edge_cacheable(struct http_req *r);
/* A piece of a response's body (http_send_parts); borrowed. */
struct http_part {
	const void	*data;
	size_t		 len;
};

int	http_send(struct http_req *r, int status, const char *content_type,
	    const void *body, size_t len);
int	http_send_parts(struct http_req *r, int status,
	    const char *content_type, const struct http_part *parts,
	    size_t n);
int	http_render(struct http_req *r, int status, const char *name,
	    struct tpl_val *data);
int	http_error(struct http_req *r, int status, const char *message);
const char *http_status_text(int status);
int64_t	http_fresh_ms(struct http_req *r);
void	http_new_idem(char out[HTTP_IDEM_LEN + 1]);
int	http_idem_ok(const char *s);
void	http_pager(struct tpl_val *v, const char *key, const char *path,
	    struct json_object *rep, const char *member);
int	http_page_cursor(struct http_req *r, int64_t *before,
	    int64_t *after);

#endif /* ABC_HTTP_H */
