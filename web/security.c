/*
 * Two-factor login and the payout address pages (see security.h).  Every
 * POST is CSRF-checked first (http_post_user, or http_csrf_check for the
 * login's second step); the forms that change something carry an
 * idempotency key, so abc-worker does them exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "client.h"
#include "clock.h"
#include "http.h"
#include "msg.h"
#include "qr.h"
#include "route.h"
#include "security.h"
#include "template.h"
#include "usercache.h"

/* HTTP status of a failed reply. */
static int
sec_status(struct json_object *rep)
{
	if (msg_reply_retryable(rep))
		return 503;
	switch (msg_reply_code(rep)) {
	case MSG_CODE_RATE_LIMITED:
		return 429;
	case MSG_CODE_BAD_PASSWORD:
	case MSG_CODE_BAD_CODE:
	case MSG_CODE_CODE_USED:
	case MSG_CODE_TOTP_NEEDED:
	case MSG_CODE_LOGIN_EXPIRED:
		return 403;
	case MSG_CODE_FROZEN:
		return 409;
	default:
		return 400;
	}
}

/* A request of op with the client's address and session. */
static struct json_object *
sec_request(struct http_req *r, enum msg_op op)
{
	struct json_object	*req = msg_request_new(op);

	json_object_object_add(req, "addr", json_object_new_string(r->addr));
	if (r->token[0] != '\0')
		json_object_object_add(req, "token",
		    json_object_new_string(r->token));
	return req;
}

/* Copies form field name into req ("" when absent). */
static void
sec_copy(struct http_req *r, struct json_object *req, const char *name)
{
	const char	*v = form_get(&r->form, name);

	json_object_object_add(req, name, json_object_new_string(v ? v : ""));
}

/* Sends req (taken); the reply (caller puts), or NULL after answering. */
static struct json_object *
sec_call(struct http_req *r, struct json_object *req)
{
	struct json_object	*rep = NULL;

	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	return rep;
}

/* 1 when rep says ok. */
static int
sec_ok(struct json_object *rep)
{
	int	 ok = 0;

	return msg_get_bool(rep, "ok", &ok) == 0 && ok;
}

/* "2026-12-07 05:15:00 UTC" of a Unix time in ms. */
static void
sec_until(struct json_object *rep, char *out, size_t len)
{
	int64_t	 ms = 0;

	out[0] = '\0';
	if (msg_get_int(rep, "frozen_until_ms", &ms) == 0 && ms > 0)
		(void)clock_format_utc(ms, out, len);
}

/*
 * Adds to data what the account page shows: totp_on, payout_address,
 * has_payout, frozen_until (text, "" when not frozen).  When the worker
 * cannot tell, nothing is frozen or asked as far as the page goes: the
 * worker still refuses what it must.  This never answers the page (the
 * caller renders it), so it calls the client itself, not http_call.
 */
void
security_put(struct http_req *r, struct tpl_val *data)
{
	struct json_object	*req, *rep = NULL;
	const char		*addr = NULL;
	char			 until[64] = "";
	int			 on = 0;

	req = sec_request(r, MSG_OP_SECURITY);
	if (client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep) != APP_OK)
		rep = NULL;
	json_object_put(req);
	if (rep != NULL && sec_ok(rep)) {
		(void)msg_get_bool(rep, "totp", &on);
		addr = msg_get_str(rep, "payout_address");
		sec_until(rep, until, sizeof(until));
	}
	tpl_put_bool(data, "totp_on", on);
	tpl_put_bool(data, "has_payout", addr != NULL);
	tpl_put_str(data, "payout_address", addr != NULL ? addr : "");
	tpl_put_str(data, "frozen_until", until);
	if (rep != NULL)
		json_object_put(rep);
}

/* The second step of a login: the code form for pending login token. */
static void
sec_login_page(struct http_req *r, int status, const char *pending,
    const char *error)
{
	struct tpl_val	*data;

	data = http_page(r, "Log in: code");
	tpl_put_str(data, "pending", pending != NULL ? pending : "");
	tpl_put_str(data, "error", error != NULL ? error : "");
	(void)http_render(r, status, "login_totp", data);
	tpl_val_free(data);
}

void
security_login_form(struct http_req *r, struct json_object *rep)
{
	sec_login_page(r, 200, msg_get_str(rep, "pending"), NULL);
}

/* POST /login/totp: pending, code; the session, or the form again. */
void
page_login_totp(struct http_req *r)
{
	struct json_object	*req, *rep;
	struct tpl_val		*data;
	const char		*token;
	int64_t			 ttl = 0;

	if (http_read_form(r) != 0 || !http_csrf_check(r))
		return;
	req = sec_request(r, MSG_OP_LOGIN_TOTP);
	sec_copy(r, req, "pending");
	sec_copy(r, req, "code");
	if ((rep = sec_call(r, req)) == NULL)
		return;
	if (!sec_ok(rep)) {
		if (msg_reply_code(rep) == MSG_CODE_LOGIN_EXPIRED) {
			data = http_page(r, "Log in");
			tpl_put_str(data, "error", msg_get_str(rep, "error"));
			tpl_put_str(data, "username", "");
			(void)http_render(r, 403, "login", data);
			tpl_val_free(data);
		} else
			sec_login_page(r, sec_status(rep),
			    form_get(&r->form, "pending"),
			    msg_get_str(rep, "error"));
		json_object_put(rep);
		return;
	}
	(void)msg_get_int(rep, "ttl_s", &ttl);
	if ((token = msg_get_str(rep, "token")) == NULL)
		(void)http_error(r, 500, "The login answer had no session.");
	else {
		http_set_cookie(r, HTTP_SESSION_COOKIE, token, (long)ttl);
		(void)http_redirect(r, "/account");
	}
	json_object_put(rep);
}

/* The /account/security page, with an error or a notice. */
static void
sec_page(struct http_req *r, int status, const char *error,
    const char *notice)
{
	struct json_object	*rep;
	struct tpl_val		*data;
	const char		*addr;
	char			 until[64], idem[HTTP_IDEM_LEN + 1];
	int			 on = 0;
	int64_t			 left = 0;

	rep = sec_call(r, sec_request(r, MSG_OP_SECURITY));
	if (rep == NULL)
		return;
	if (!sec_ok(rep)) {
		if (msg_reply_code(rep) == MSG_CODE_NO_SESSION)
			(void)http_to_login(r);
		else
			(void)http_unknown(r, APP_EDB);
		json_object_put(rep);
		return;
	}
	data = http_page(r, "Security");
	(void)msg_get_bool(rep, "totp", &on);
	(void)msg_get_int(rep, "recovery_left", &left);
	addr = msg_get_str(rep, "payout_address");
	sec_until(rep, until, sizeof(until));
	tpl_put_bool(data, "totp_on", on);
	tpl_put_int(data, "recovery_left", left);
	tpl_put_bool(data, "has_payout", addr != NULL);
	tpl_put_str(data, "payout_address", addr != NULL ? addr : "");
	tpl_put_str(data, "frozen_until", until);
	tpl_put_str(data, "error", error != NULL ? error : "");
	tpl_put_str(data, "notice", notice != NULL ? notice : "");
	http_new_idem(idem);
	tpl_put_str(data, "idem", idem);
	(void)http_render(r, status, "security", data);
	tpl_val_free(data);
	json_object_put(rep);
}

/* GET /account/security. */
void
page_security(struct http_req *r)
{
	struct form	 q;
	const char	*done, *notice = NULL;

	if (!http_need_user(r))
		return;
	memset(&q, 0, sizeof(q));
	if (form_parse(r->query, strlen(r->query), &q) == FORM_OK &&
	    (done = form_get(&q, "done")) != NULL) {
		if (strcmp(done, "off") == 0)
			notice = "Two-factor login is off.";
		else if (strcmp(done, "payout") == 0)
			notice = "Your payout address is saved.";
		else if (strcmp(done, "on") == 0)
			notice = "Two-factor login is on.";
	}
	sec_page(r, 200, NULL, notice);
	form_clear(&q);
}

/* The setup page: the secret as text and as a QR of its otpauth URI. */
static void
sec_setup_page(struct http_req *r, int status, const char *secret,
    const char *uri, const char *error)
{
	struct tpl_val	*data;
	struct buf	 svg;
	char		 idem[HTTP_IDEM_LEN + 1];

	data = http_page(r, "Turn on two-factor login");
	tpl_put_str(data, "secret", secret);
	tpl_put_str(data, "uri", uri);
	buf_init(&svg, 256 * 1024);
	if (qr_svg(&svg, uri, 4) == 0)
		tpl_put_strn(data, "qr", (const char *)svg.data, svg.len);
	else
		tpl_put_str(data, "qr", "");
	buf_clear(&svg);
	tpl_put_str(data, "error", error != NULL ? error : "");
	http_new_idem(idem);
	tpl_put_str(data, "idem", idem);
	(void)http_render(r, status, "totp_setup", data);
	tpl_val_free(data);
}

/* POST /account/totp/begin: a new secret, shown once. */
void
page_totp_begin(struct http_req *r)
{
	struct json_object	*rep;

	if (!http_post_user(r))
		return;
	if ((rep = sec_call(r, sec_request(r, MSG_OP_TOTP_BEGIN))) == NULL)
		return;
	if (!sec_ok(rep) || msg_get_str(rep, "secret") == NULL ||
	    msg_get_str(rep, "uri") == NULL)
		sec_page(r, sec_status(rep), msg_get_str(rep, "error"), NULL);
	else
		sec_setup_page(r, 200, msg_get_str(rep, "secret"),
		    msg_get_str(rep, "uri"), NULL);
	json_object_put(rep);
}

/* The recovery codes, shown once. */
static void
sec_codes_page(struct http_req *r, struct json_object *list)
{
	struct tpl_val	*data, *rows;
	size_t		 i;

	data = http_page(r, "Your recovery codes");
	rows = tpl_put_list(data, "codes");
	for (i = 0; i < json_object_array_length(list); i++)
		tpl_put_str(tpl_list_add(rows), "code", json_object_get_string(
		    json_object_array_get_idx(list, i)));
	(void)http_render(r, 200, "totp_codes", data);
	tpl_val_free(data);
}

/* POST /account/totp/enable: code, idem (secret, uri to show again). */
void
page_totp_enable(struct http_req *r)
{
	struct json_object	*req, *rep, *list;
	const char		*secret, *uri;

	if (!http_post_user(r))
		return;
	req = sec_request(r, MSG_OP_TOTP_ENABLE);
	sec_copy(r, req, "code");
	sec_copy(r, req, "idem");
	if ((rep = sec_call(r, req)) == NULL)
		return;
	secret = form_get(&r->form, "secret");
	uri = form_get(&r->form, "uri");
	if (!sec_ok(rep)) {
		if (secret != NULL && uri != NULL &&
		    msg_reply_code(rep) != MSG_CODE_INVALID)
			sec_setup_page(r, sec_status(rep), secret, uri,
			    msg_get_str(rep, "error"));
		else
			sec_page(r, sec_status(rep), msg_get_str(rep, "error"),
			    NULL);
	} else if ((list = json_object_object_get(rep, "recovery")) != NULL &&
	    json_object_is_type(list, json_type_array))
		sec_codes_page(r, list);
	else
		(void)http_redirect(r, "/account/security?done=on");
	json_object_put(rep);
}

/* The POSTs of the security page that redirect on success. */
static void
sec_post(struct http_req *r, enum msg_op op, const char *const *fields,
    const char *done)
{
	struct json_object	*req, *rep;

	if (!http_post_user(r))
		return;
	req = sec_request(r, op);
	for (; *fields != NULL; fields++)
		sec_copy(r, req, *fields);
	if ((rep = sec_call(r, req)) == NULL)
		return;
	if (sec_ok(rep))
		(void)http_redirect(r, done);
	else
		sec_page(r, sec_status(rep), msg_get_str(rep, "error"), NULL);
	json_object_put(rep);
}

/* POST /account/totp/disable: code (or a recovery code), idem. */
void
page_totp_disable(struct http_req *r)
{
	static const char *const fields[] = { "code", "idem", NULL };

	sec_post(r, MSG_OP_TOTP_DISABLE, fields, "/account/security?done=off");
}

/* POST /account/payout: address, password, code, idem. */
void
page_payout(struct http_req *r)
{
	static const char *const fields[] = { "address", "password", "code",
	    "idem", NULL };

	sec_post(r, MSG_OP_PAYOUT_SET, fields, "/account/security?done=payout");
}
