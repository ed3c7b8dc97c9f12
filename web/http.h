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

#include <fcgiapp.h>

struct tpl_set;
struct tpl_val;
struct client;

/* Process-wide state every handler may read; never written after start. */
struct app {
	const struct tpl_set	*tpl;		/* compiled templates */
	struct client		*client;	/* the link to abc-worker */
	int			 threads;	/* FastCGI threads */
	int			 request_timeout_ms;
	long long		 started_ms;
};

struct http_req {
	FCGX_Request		*fcgi;		/* borrowed */
	const struct app	*app;		/* borrowed */
	const char		*method;
	const char		*path;		/* without the query */
	char			 pathbuf[1024];
	int			 status;	/* sent status, for the log */
	size_t			 sent;		/* body bytes sent */
};

int	http_req_init(struct http_req *r, FCGX_Request *fcgi,
	    const struct app *app);
int	http_send(struct http_req *r, int status, const char *content_type,
	    const void *body, size_t len);
int	http_render(struct http_req *r, int status, const char *name,
	    struct tpl_val *data);
int	http_error(struct http_req *r, int status, const char *message);
const char *http_status_text(int status);

#endif /* ABC_HTTP_H */
