/* Writing FastCGI responses with the headers every page must carry. */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "buf.h"
#include "http.h"
#include "limits.h"
#include "log.h"
#include "template.h"

/* Sent with every response (SPEC 6, issue 4's list). */
static const char http_common_headers[] =
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "X-Frame-Options: DENY\r\n";

/* Reason phrases for the statuses we send. */
const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/*
 * Fills r from the FastCGI parameters.  Returns 0, or -1 when the request
 * lacks a method or path (nginx always sends both).
 */
int
http_req_init(struct http_req *r, FCGX_Request *fcgi, const struct app *app)
{
	const char	*uri, *q;
	size_t		 n;

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	r->app = app;
	r->method = FCGX_GetParam("REQUEST_METHOD", fcgi->envp);
	uri = FCGX_GetParam("DOCUMENT_URI", fcgi->envp);
	if (uri == NULL)
		uri = FCGX_GetParam("REQUEST_URI", fcgi->envp);
	if (r->method == NULL || uri == NULL)
		return -1;
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (n >= sizeof(r->pathbuf))
		return -1;
	memcpy(r->pathbuf, uri, n);
	r->pathbuf[n] = '\0';
	r->path = r->pathbuf;
	return 0;
}

/*
 * Sends a complete response; 0, or -1 when the client went away.  Headers
 * are formatted with snprintf: libfcgi's own printf knows no %zu.
 */
int
http_send(struct http_req *r, int status, const char *content_type,
    const void *body, size_t len)
{
	FCGX_Stream	*out = r->fcgi->out;
	char		 head[1024];
	int		 n;

	r->status = status;
	r->sent = len;
	n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s"
	    "\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
	    status, http_status_text(status), content_type, len,
	    http_common_headers);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    FCGX_PutStr(head, n, out) != n)
		return -1;
	if (strcmp(r->method, "HEAD") == 0)
		return 0;
	if (len > 0 && FCGX_PutStr(body, (int)len, out) != (int)len)
		return -1;
	return 0;
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

	data = tpl_obj_new();
	tpl_set_printf(data, "title", "%d %s", status,
	    http_status_text(status));
	tpl_set_int(data, "status", status);
	tpl_set_str(data, "message", message);
	rc = http_render(r, status, "error", data);
	tpl_val_free(data);
	return rc;
}
