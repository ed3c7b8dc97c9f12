/*
 * Account pages (SPEC 4.1, 4.6, 9): register, log in, log out (here or
 * everywhere), the account page, password change and history purge.
 * Every POST is CSRF-checked before anything else; abc-worker validates
 * again and owns every decision.  Errors re-render the form with a
 * message and a 4xx status; successes redirect (303) so a reload does not
 * post again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "acctkey.h"
#include "buf.h"
#include "cache.h"
#include "cachekey.h"
#include "client.h"
#include "clock.h"
#include "http.h"
#include "humane.h"
#include "money.h"
#include "qr.h"
#include "msg.h"
#include "route.h"
#include "security.h"
#include "template.h"
#include "usercache.h"

static void	acct_post(struct http_req *, enum msg_op,
		    const char *const *, const char *);

/*
 * What a successful POST of the account page says after its redirect
 * (POST, then 303 to /account?done=NAME, so a reload posts nothing).
 */
static const struct {
	const char	*name;
	const char	*text;
} acct_done[] = {
	{ "password", "Your password is changed; your other sessions are "
	    "logged out." },
	{ "purged", "Your history is purged." },
	{ "address", "Here is your new deposit address. Older ones keep "
	    "working." },
	{ "withdraw", "Your withdrawal is recorded and the amount is taken "
	    "from your balance; it is paid shortly (large amounts wait for "
	    "an administrator's approval)." },
};

/* The message of done=NAME in the query, or NULL. */
static const char *
acct_done_text(struct http_req *r)
{
	struct form	 q;
	const char	*name, *text = NULL;
	size_t		 i;

	memset(&q, 0, sizeof(q));
	if (form_parse(r->query, strlen(r->query), &q) == FORM_OK &&
	    (name = form_get(&q, "done")) != NULL)
		for (i = 0; i < sizeof(acct_done) / sizeof(acct_done[0]); i++)
			if (strcmp(name, acct_done[i].name) == 0)
				text = acct_done[i].text;
	form_clear(&q);
	return text;
}

/* HTTP status for a worker's failed reply: 503 when it may be retried. */
static int
acct_status(struct json_object *rep)
{
	if (msg_reply_retryable(rep))
		return 503;
	switch (msg_reply_code(rep)) {
	case MSG_CODE_NAME_TAKEN:
		return 409;
	case MSG_CODE_RATE_LIMITED:
		return 429;
	case MSG_CODE_BAD_LOGIN:
	case MSG_CODE_BAD_PASSWORD:
	case MSG_CODE_TOTP_NEEDED:	/* 2FA (web/security.c) */
	case MSG_CODE_BAD_CODE:
	case MSG_CODE_CODE_USED:
		return 403;
	case MSG_CODE_FROZEN:		/* a payout address change */
		return 409;
	case MSG_CODE_BUSY:
	case MSG_CODE_UNAVAILABLE:
		return 503;
	case MSG_CODE_FUNDS:
	case MSG_CODE_QUOTA:
	case MSG_CODE_HELD:
		return 409;
	default:
		return 400;
	}
}

/*
 * The register form's field an error is about (SPEC 4.1: a name is 3-32
 * of [A-Za-z0-9_.-], a password 10-1024 bytes), or NULL for the form.
 */
static const char *
acct_register_field(struct http_req *r, enum msg_code code)
{
	const char	*user = form_get(&r->form, "username");
	size_t		 n = user != NULL ? strlen(user) : 0;

	if (code == MSG_CODE_DIFFER)
		return "password2";
	if (code == MSG_CODE_NAME_TAKEN)
		return "username";
	if (code != MSG_CODE_INVALID)
		return NULL;
	if (n < 3 || n > 32 || strspn(user, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return "username";
	return "password";
}

/*
 * Renders template tpl with an error (and what the user typed); on the
 * register form an error about one field (code, see above) is shown at
 * that field (err_username, err_password, err_password2).
 */
static void
acct_form(struct http_req *r, int status, const char *tpl, const char *title,
    enum msg_code code, const char *error)
{
	static const char *const fields[] = { "username", "password",
	    "password2", NULL };
	struct tpl_val	*data;
	const char	*user = form_get(&r->form, "username"), *field = NULL;
	char		 key[32];
	size_t		 i;

	if (error != NULL && strcmp(tpl, "register") == 0)
		field = acct_register_field(r, code);
	data = http_page(r, title);
	tpl_put_str(data, "error", error != NULL && field == NULL ? error : "");
	for (i = 0; fields[i] != NULL; i++) {
		snprintf(key, sizeof(key), "err_%s", fields[i]);
		tpl_put_str(data, key, field != NULL &&
		    strcmp(field, fields[i]) == 0 ? error : "");
	}
	tpl_put_str(data, "username", user != NULL ? user : "");
	(void)http_render(r, status, tpl, data);
	tpl_val_free(data);
}

/* A request to the worker carrying the client's address. */
static struct json_object *
acct_request(struct http_req *r, enum msg_op op)
{
	struct json_object	*req;

	req = msg_request_new(op);
	json_object_object_add(req, "addr", json_object_new_string(r->addr));
	if (r->token[0] != '\0')
		json_object_object_add(req, "token",
		    json_object_new_string(r->token));
	return req;
}

/* Copies form field name into the request (absent: ""). */
static void
acct_copy(struct http_req *r, struct json_object *req, const char *name,
    const char *as)
{
	const char	*v = form_get(&r->form, name);

	json_object_object_add(req, as, json_object_new_string(v ? v : ""));
}

/*
 * Sends req (taken) and, on an error reply, re-renders tpl with its
 * message.  Returns the reply on success (caller puts it), else NULL.
 */
static struct json_object *
acct_send(struct http_req *r, struct json_object *req, const char *tpl,
    const char *title)
{
	struct json_object	*rep = NULL;
	int			 ok = 0;

	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	if (msg_get_bool(rep, "ok", &ok) != 0 || !ok) {
		acct_form(r, acct_status(rep), tpl, title,
		    msg_reply_code(rep), msg_get_str(rep, "error") ?
		    msg_get_str(rep, "error") :
		    "That did not work.");
		json_object_put(rep);
		return NULL;
	}
	return rep;
}

/* Sets the session cookie from a login reply and goes on (http_next). */
static void
acct_logged_in(struct http_req *r, struct json_object *rep)
{
	const char	*token = msg_get_str(rep, "token");
	char		 next[FORM_LOCAL_MAX + 1];
	int64_t		 ttl = 0;

	(void)msg_get_int(rep, "ttl_s", &ttl);
	if (token == NULL) {
		(void)http_error(r, 500, "The login answer had no session.");
		return;
	}
	http_set_cookie(r, HTTP_SESSION_COOKIE, token, (long)ttl);
	/* Back to the page that asked for the login, else the account. */
	http_next(r, next, sizeof(next));
	(void)http_redirect(r, next[0] != '\0' ? next : "/account");
}

/* Shows a failed reply (taken) on the form tpl, as acct_send does. */
static void
acct_form_fail(struct http_req *r, struct json_object *fail, const char *tpl,
    const char *title)
{
	acct_form(r, acct_status(fail), tpl, title, msg_reply_code(fail),
	    msg_get_str(fail, "error") != NULL ? msg_get_str(fail, "error") :
	    "That did not work.");
	json_object_put(fail);
}

/* Sends a login request (taken) and goes on to the next page. */
static void
acct_login_send(struct http_req *r, struct json_object *req)
{
	struct json_object	*rep;

	if ((rep = acct_send(r, req, "login", "Log in")) == NULL)
		return;
	if (msg_get_str(rep, "pending") != NULL)	/* 2FA: a code first */
		security_login_form(r, rep);
	else
		acct_logged_in(r, rep);
	json_object_put(rep);
}

/*
 * Logs in with the form's username and password, then to /account.  The
 * password's key is derived here (web/acctkey.c); only the key is sent.
 */
static void
acct_login(struct http_req *r)
{
	struct json_object	*req, *fail = NULL;

	req = acct_request(r, MSG_OP_LOGIN);
	acct_copy(r, req, "username", "username");
	switch (acctkey_check(r, req, form_get(&r->form, "username"),
	    form_get(&r->form, "password"), "password", &fail)) {
	case ACCTKEY_OK:
		acct_login_send(r, req);
		return;
	case ACCTKEY_FAIL:
		acct_form_fail(r, fail, "login", "Log in");
		break;
	case ACCTKEY_ANSWERED:
		break;
	}
	json_object_put(req);
}

/* GET/POST /register. */
void
page_register(struct http_req *r)
{
	struct json_object	*req, *rep, *fail = NULL;
	struct acctkey_new	 made;
	const char		*pw, *pw2;

	if (strcmp(r->method, "POST") != 0) {
		(void)http_user(r);
		acct_form(r, 200, "register", "Register", MSG_CODE_NONE, NULL);
		return;
	}
	if (http_read_form(r) != 0 || !http_csrf_check(r))
		return;
	pw = form_get(&r->form, "password");
	pw2 = form_get(&r->form, "password2");
	if (pw == NULL || pw2 == NULL || strcmp(pw, pw2) != 0) {
		acct_form(r, 400, "register", "Register", MSG_CODE_DIFFER,
		    "The two passwords differ: type the same one twice.");
		return;
	}
	req = acct_request(r, MSG_OP_REGISTER);
	acct_copy(r, req, "username", "username");
	switch (acctkey_register(r, req, form_get(&r->form, "username"), pw,
	    &made, &fail)) {
	case ACCTKEY_OK:
		break;
	case ACCTKEY_FAIL:
		acct_form_fail(r, fail, "register", "Register");
		/* FALLTHROUGH */
	case ACCTKEY_ANSWERED:
		json_object_put(req);
		return;
	}
	if ((rep = acct_send(r, req, "register", "Register")) == NULL) {
		OPENSSL_cleanse(&made, sizeof(made));
		return;
	}
	json_object_put(rep);
	/* Registered: log in at once with the key just made, no hashing. */
	req = acct_request(r, MSG_OP_LOGIN);
	acct_copy(r, req, "username", "username");
	acctkey_put_hex(req, "password_key", made.key, sizeof(made.key));
	OPENSSL_cleanse(&made, sizeof(made));
	acct_login_send(r, req);
}

/* GET/POST /login. */
void
page_login(struct http_req *r)
{
	if (strcmp(r->method, "POST") != 0) {
		(void)http_user(r);
		acct_form(r, 200, "login", "Log in", MSG_CODE_NONE, NULL);
		return;
	}
	if (http_read_form(r) != 0 || !http_csrf_check(r))
		return;
	acct_login(r);
}

/* POST /logout: this session ends everywhere, then the home page. */
void
page_logout(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	char			 key[USERCACHE_KEY_LEN + 1];

	if (http_read_form(r) != 0 || !http_csrf_check(r))
		return;
	if (r->token[0] != '\0') {
		req = acct_request(r, MSG_OP_LOGOUT);
		if (http_call(r, req, &rep) != 0) {
			json_object_put(req);
			return;
		}
		json_object_put(req);
		/* Logged out only when abc-worker said so (or that the
		 * session was already gone); else the cookie stays. */
		if (msg_reply_lookup(rep, MSG_CODE_NO_SESSION) ==
		    LOOKUP_UNKNOWN) {
			(void)http_unknown(r, APP_EDB);
			json_object_put(rep);
			return;
		}
		json_object_put(rep);
		usercache_token_key(r->token, key);
		usercache_drop_key(r->app->users, key);
	}
	http_set_cookie(r, HTTP_SESSION_COOKIE, "", 0);
	(void)http_redirect(r, "/");
}

/* Formats member key of o (satoshis) as BTC text into out. */
static void
acct_btc(struct json_object *o, const char *key, char *out, size_t len)
{
	int64_t	 sat = 0;

	(void)msg_get_int(o, key, &sat);
	if (money_format_btc(sat, out, len) != 0)
		snprintf(out, len, "?");
}

/*
 * The withdrawal limits (SPEC 4.5): withdrawable now, held until
 * hold_confs confirmations, and the rolling 24 h use of the day limit.
 */
static void
acct_limits(struct tpl_val *data, struct json_object *rep)
{
	char	 btc[32];
	int64_t	 held = 0, confs = 0;

	acct_btc(rep, "withdrawable", btc, sizeof(btc));
	tpl_put_str(data, "withdrawable", btc);
	acct_btc(rep, "held", btc, sizeof(btc));
	tpl_put_str(data, "held", btc);
	(void)msg_get_int(rep, "held", &held);
	tpl_put_bool(data, "has_held", held > 0);
	(void)msg_get_int(rep, "hold_confs", &confs);
	tpl_put_int(data, "hold_confs", (long long)confs);
	acct_btc(rep, "day_used", btc, sizeof(btc));
	tpl_put_str(data, "day_used", btc);
	acct_btc(rep, "day_limit", btc, sizeof(btc));
	tpl_put_str(data, "day_limit", btc);
}

/* The deposit rows of the account page. */
static void
acct_deposit_rows(struct tpl_val *data, struct json_object *rep)
{
	struct json_object	*list, *e;
	struct tpl_val		*rows, *row;
	char			 btc[32];
	int64_t			 n = 0;
	size_t			 i, len;

	rows = tpl_put_list(data, "deposits");
	list = json_object_object_get(rep, "deposits");
	len = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(list, i);
		row = tpl_list_add(rows);
		acct_btc(e, "amount", btc, sizeof(btc));
		tpl_put_str(row, "amount", btc);
		tpl_put_str(row, "txid", msg_get_str(e, "txid"));
		(void)msg_get_int(e, "vout", &n);
		tpl_put_int(row, "vout", n);
		tpl_put_str(row, "status", msg_get_str(e, "status"));
		(void)msg_get_int(e, "confirmations", &n);
		tpl_put_int(row, "confirmations", n);
		humane_set_time(row, "at", -1, msg_get_str(e, "at"),
		    clock_real_ms());
	}
	tpl_put_bool(data, "has_deposits", len > 0);
}

/* Sets key to what the user typed in form field name ("" if nothing). */
static void
acct_keep_field(struct http_req *r, struct tpl_val *data, const char *key,
    const char *name)
{
	const char	*v = form_get(&r->form, name);

	tpl_put_str(data, key, v != NULL ? v : "");
}

/* The withdrawal rows of the account page. */
static void
acct_withdrawal_rows(struct tpl_val *data, struct json_object *rep)
{
	struct json_object	*list, *e;
	struct tpl_val		*rows, *row;
	char			 btc[32];
	int64_t			 id = 0;
	size_t			 i, len;
	const char		*txid;

	rows = tpl_put_list(data, "withdrawals");
	list = json_object_object_get(rep, "withdrawals");
	len = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(list, i);
		row = tpl_list_add(rows);
		(void)msg_get_int(e, "id", &id);
		tpl_put_int(row, "id", id);
		acct_btc(e, "amount", btc, sizeof(btc));
		tpl_put_str(row, "amount", btc);
		tpl_put_str(row, "address", msg_get_str(e, "address"));
		tpl_put_str(row, "status", msg_get_str(e, "status"));
		txid = msg_get_str(e, "txid");
		tpl_put_str(row, "txid", txid != NULL ? txid : "");
		humane_set_time(row, "at", -1, msg_get_str(e, "at"),
		    clock_real_ms());
	}
	tpl_put_bool(data, "has_withdrawals", len > 0);
}

/* Ends a dead session's cookie and sends the browser to log in; NULL. */
static struct json_object *
acct_to_login(struct http_req *r)
{
	http_set_cookie(r, HTTP_SESSION_COOKIE, "", 0);
	(void)http_to_login(r);
	return NULL;
}

/* The history rows of the account page. */
static void
acct_history_rows(struct tpl_val *data, struct json_object *rep)
{
	struct json_object	*hist, *e;
	struct tpl_val		*list, *row;
	char			 detail[1024];
	size_t			 i, len;

	list = tpl_put_list(data, "history");
	hist = json_object_object_get(rep, "history");
	len = hist != NULL ? json_object_array_length(hist) : 0;
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(hist, i);
		row = tpl_list_add(list);
		humane_set_time(row, "at", -1, msg_get_str(e, "at"),
		    clock_real_ms());
		tpl_put_str(row, "kind", humane_kind(msg_get_str(e, "kind")));
		humane_detail(msg_get_str(e, "kind"), msg_get_str(e, "detail"),
		    detail, sizeof(detail));
		tpl_put_str(row, "detail", detail);
	}
	tpl_put_bool(data, "has_history", len > 0);
}

/*
 * Address as text and as a QR code of its bitcoin: URI (BIP 21), which
 * wallets open directly (none yet: the button to get one).
 */
static void
acct_address(struct tpl_val *data, struct json_object *rep)
{
	const char	*addr = msg_get_str(rep, "address");
	struct buf	 svg;
	char		 uri[160];

	tpl_put_bool(data, "has_address", addr != NULL);
	tpl_put_str(data, "address", addr != NULL ? addr : "");
	snprintf(uri, sizeof(uri), "bitcoin:%s", addr != NULL ? addr : "");
	tpl_put_str(data, "uri", uri);
	buf_init(&svg, 256 * 1024);
	if (addr != NULL && qr_svg(&svg, uri, 4) == 0)
		tpl_put_strn(data, "qr", (const char *)svg.data, svg.len);
	else
		tpl_put_str(data, "qr", "");
	buf_clear(&svg);
}

/*
 * The account overview of the session's user from the cache, or from
 * abc-worker (then cached under the user's id; notices drop it when the
 * account changes).  Returns it, or NULL after answering (not logged in:
 * to the login page).
 */
static struct json_object *
acct_overview(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	struct cache		*cache = r->app->cache;
	char			 key[CACHE_KEY_MAX], *text, err[128];
	char			 tkey[USERCACHE_KEY_LEN + 1];
	const char		*s;
	int64_t			 bal, user = 0;
	uint64_t		 gen;
	size_t			 len;
	enum lookup		 lk;

	if (!http_need_user(r))
		return NULL;
	cachekey_account(key, r->user.id);
	gen = cache_gen(cache);
	if ((text = cache_get(cache, key, http_fresh_ms(r), clock_mono_ms(),
	    &len)) != NULL) {
		rep = msg_parse_json((const uint8_t *)text, len, err,
		    sizeof(err));
		free(text);
		if (rep != NULL)
			return rep;
	}
	req = acct_request(r, MSG_OP_ACCOUNT);
	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	lk = msg_reply_lookup(rep, MSG_CODE_NO_SESSION);
	if (lk == LOOKUP_FOUND && msg_get_int(rep, "balance", &bal) != 0)
		lk = LOOKUP_UNKNOWN;	/* a garbled overview tells nothing */
	switch (lk) {
	case LOOKUP_FOUND:
		break;
	case LOOKUP_UNKNOWN:
		json_object_put(rep);
		(void)http_unknown(r, APP_EDB);
		return NULL;
	case LOOKUP_ABSENT:
		json_object_put(rep);
		usercache_token_key(r->token, tkey);
		usercache_drop_key(r->app->users, tkey);
		return acct_to_login(r);
	}
	if (msg_get_int(rep, "user", &user) == 0 && user == r->user.id) {
		s = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
		(void)cache_put(cache, key, s, strlen(s), clock_mono_ms(), gen);
	}
	return rep;
}

/*
 * The input an error of the form posted to r->path is about (its id, and
 * the template key err_<field>), from the worker's code; NULL when the
 * error is not about one field.
 */
static const char *
acct_error_field(struct http_req *r, enum msg_code code)
{
	static const struct {
		const char	*path;
		enum msg_code	 code;
		const char	*field;
	} map[] = {
		{ "/account/withdraw", MSG_CODE_BAD_ADDRESS, "wd_address" },
		{ "/account/withdraw", MSG_CODE_TOO_SMALL, "wd_amount" },
		{ "/account/withdraw", MSG_CODE_FUNDS, "wd_amount" },
		{ "/account/withdraw", MSG_CODE_INVALID, "wd_amount" },
		{ "/account/withdraw", MSG_CODE_BAD_PASSWORD, "wd_password" },
		{ "/account/password", MSG_CODE_BAD_PASSWORD, "old" },
		{ "/account/password", MSG_CODE_INVALID, "new" },
		{ "/account/history/purge", MSG_CODE_BAD_PASSWORD, "purge" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(r->path, map[i].path) == 0 && code == map[i].code)
			return map[i].field;
	return NULL;
}

/* Sets error, error_for and every err_<field> of the account page. */
static void
acct_set_error(struct http_req *r, struct tpl_val *data,
    enum msg_code code, const char *error)
{
	static const char *const fields[] = { "wd_address", "wd_amount",
	    "wd_password", "old", "new", "purge", NULL };
	const char	*field = error != NULL ? acct_error_field(r, code) :
			    NULL;
	char		 key[32], id[32];
	size_t		 i;

	tpl_put_str(data, "error", error != NULL ? error : "");
	for (i = 0; fields[i] != NULL; i++) {
		snprintf(key, sizeof(key), "err_%s", fields[i]);
		tpl_put_str(data, key, field != NULL &&
		    strcmp(field, fields[i]) == 0 ? error : "");
	}
	/* The input's id: wd_address -> wd-address. */
	snprintf(id, sizeof(id), "%s", field != NULL ? field : "");
	for (i = 0; id[i] != '\0'; i++)
		if (id[i] == '_')
			id[i] = '-';
	if (strcmp(id, "purge") == 0)
		snprintf(id, sizeof(id), "purge-password");
	tpl_put_str(data, "error_for", id);
}

static void	acct_page_code(struct http_req *, int, enum msg_code,
		    const char *, const char *);

/*
 * Renders the account page, with error or notice (either may be NULL),
 * from fresh data.  Not logged in: to the login page.
 */
static void
acct_page(struct http_req *r, int status, const char *error,
    const char *notice)
{
	acct_page_code(r, status, MSG_CODE_NONE, error, notice);
}

/* The same, with the worker's error code (which field the error is on). */
static void
acct_page_code(struct http_req *r, int status, enum msg_code code,
    const char *error, const char *notice)
{
	struct json_object	*rep;
	struct tpl_val		*data;
	char			 btc[32], idem[HTTP_IDEM_LEN + 1];

	if ((rep = acct_overview(r)) == NULL)
		return;
	data = http_page(r, "Account");
	tpl_put_str(data, "me", msg_get_str(rep, "username"));
	tpl_put_bool(data, "logged_in", 1);
	acct_btc(rep, "balance", btc, sizeof(btc));
	tpl_put_str(data, "balance", btc);
	acct_btc(rep, "pending", btc, sizeof(btc));
	tpl_put_str(data, "pending", btc);
	acct_limits(data, rep);
	acct_set_error(r, data, code, error);
	tpl_put_str(data, "notice", notice != NULL ? notice : "");
	acct_address(data, rep);
	acct_deposit_rows(data, rep);
	acct_withdrawal_rows(data, rep);
	acct_history_rows(data, rep);
	http_pager(data, "deposits_pager", "/account/deposits", rep,
	    "deposits");
	http_pager(data, "withdrawals_pager", "/account/withdrawals", rep,
	    "withdrawals");
	http_pager(data, "history_pager", "/account/history", rep, "history");
	http_new_idem(idem);
	tpl_put_str(data, "idem", idem);
	acct_keep_field(r, data, "wd_address", "address");
	acct_keep_field(r, data, "wd_amount", "amount");
	security_put(r, data);	/* 2FA code field, payout address, freeze */
	(void)http_render(r, status, "account", data);
	tpl_val_free(data);
	json_object_put(rep);
}

/* Adds at_iso and at_rel to o (a row with a worker time text "at"). */
static void
acct_json_time(struct json_object *o, int64_t now)
{
	char	 s[64];
	int64_t	 ms;

	if (humane_utc_parse(msg_get_str(o, "at"), &ms) != 0)
		return;
	humane_iso(ms, s, sizeof(s));
	json_object_object_add(o, "at_iso", json_object_new_string(s));
	humane_rel(ms, now, s, sizeof(s));
	json_object_object_add(o, "at_rel", json_object_new_string(s));
	humane_abs(ms, s, sizeof(s));
	json_object_object_add(o, "at", json_object_new_string(s));
}

/*
 * A copy of rep's list key for people: amounts in BTC, times with their
 * relative form, history kinds and details in words.
 */
static struct json_object *
acct_json_rows(struct json_object *rep, const char *key, int64_t now)
{
	struct json_object	*list, *o, *e;
	char			 text[1024];
	const char		*kind;
	size_t			 i;

	list = json_object_new_array();
	o = json_object_object_get(rep, key);
	for (i = 0; o != NULL && i < json_object_array_length(o); i++) {
		e = NULL;
		(void)json_object_deep_copy(json_object_array_get_idx(o, i),
		    &e, NULL);
		if (e == NULL)
			continue;
		if (json_object_object_get(e, "amount") != NULL) {
			acct_btc(e, "amount", text, sizeof(text));
			json_object_object_add(e, "amount",
			    json_object_new_string(text));
		}
		if ((kind = msg_get_str(e, "kind")) != NULL) {
			humane_detail(kind, msg_get_str(e, "detail"), text,
			    sizeof(text));
			json_object_object_add(e, "detail",
			    json_object_new_string(text));
			json_object_object_add(e, "kind",
			    json_object_new_string(humane_kind(kind)));
		}
		acct_json_time(e, now);
		json_object_array_add(list, e);
	}
	return list;
}

/*
 * GET /account/state.json: balances, deposits, withdrawals and history of
 * the session's user, polled by static/account.js so an open page shows a
 * deposit within 2 s (and a withdrawal's progress) without a reload.
 */
void
page_account_state(struct http_req *r)
{
	struct json_object	*rep, *out;
	char			 btc[32];
	const char		*text;
	int64_t			 now = clock_real_ms();

	switch (http_session(r)) {
	case LOOKUP_FOUND:
		break;
	case LOOKUP_ABSENT:
		(void)http_send(r, 403, "application/json",
		    "{\"error\":\"not logged in\"}", 26);
		return;
	case LOOKUP_UNKNOWN:
		(void)buf_printf(&r->headers, "Retry-After: 2\r\n");
		(void)http_send(r, 503, "application/json",
		    "{\"error\":\"try again\"}", 21);
		return;
	}
	if ((rep = acct_overview(r)) == NULL)
		return;
	out = json_object_new_object();
	acct_btc(rep, "balance", btc, sizeof(btc));
	json_object_object_add(out, "balance", json_object_new_string(btc));
	acct_btc(rep, "pending", btc, sizeof(btc));
	json_object_object_add(out, "pending", json_object_new_string(btc));
	json_object_object_add(out, "deposits", acct_json_rows(rep,
	    "deposits", now));
	json_object_object_add(out, "withdrawals", acct_json_rows(rep,
	    "withdrawals", now));
	json_object_object_add(out, "history", acct_json_rows(rep, "history",
	    now));
	text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
	(void)http_send(r, 200, "application/json", text, strlen(text));
	json_object_put(out);
	json_object_put(rep);
}

/*
 * Sends an account page's request (taken); success redirects to done (a
 * path), failure shows the account page with the reason.
 */
static void
acct_post_send(struct http_req *r, struct json_object *req, const char *done)
{
	struct json_object	*rep = NULL;
	int			 ok = 0;

	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return;
	}
	json_object_put(req);
	if (msg_get_bool(rep, "ok", &ok) != 0 || !ok)
		acct_page_code(r, acct_status(rep), msg_reply_code(rep),
		    msg_get_str(rep, "error"), NULL);
	else
		(void)http_redirect(r, done);
	json_object_put(rep);
}

/*
 * Puts the key of the form's password field (field + "_key") into req for
 * the session's user.  A deferred POST (the session could not be looked
 * up in time, http_post_session) does not know the user: it carries the
 * password itself, which abc-worker still hashes.  Returns 0 to go on, or
 * -1 after answering (req put).
 */
static int
acct_key_field(struct http_req *r, struct json_object *req, const char *field)
{
	struct json_object	*fail = NULL;

	if (r->deferred || r->user.id == 0) {
		acct_copy(r, req, field, field);
		return 0;
	}
	switch (acctkey_check(r, req, r->user.name, form_get(&r->form, field),
	    field, &fail)) {
	case ACCTKEY_OK:
		return 0;
	case ACCTKEY_FAIL:
		acct_page_code(r, acct_status(fail), msg_reply_code(fail),
		    msg_get_str(fail, "error"), NULL);
		json_object_put(fail);
		break;
	case ACCTKEY_ANSWERED:
		break;
	}
	json_object_put(req);
	return -1;
}

/*
 * POST /account/withdraw: address, amount (BTC), password, idem.  The
 * amount is read exactly (common/money.c); abc-worker checks the rest.
 */
void
page_withdraw(struct http_req *r)
{
	struct json_object	*req;
	const char		*amount, *idem;
	int64_t			 sat = 0;

	if (!http_post_user(r))
		return;
	amount = form_get(&r->form, "amount");
	idem = form_get(&r->form, "idem");
	if (amount == NULL || money_parse_btc(amount, strlen(amount), &sat) !=
	    MONEY_OK || sat < 1 || !http_idem_ok(idem)) {
		acct_page_code(r, 400, MSG_CODE_INVALID, "The amount must be a "
		    "positive BTC amount such as 0.001, with at most 8 "
		    "decimals.", NULL);
		return;
	}
	req = acct_request(r, MSG_OP_WITHDRAW);
	acct_copy(r, req, "address", "address");
	if (acct_key_field(r, req, "password") != 0)
		return;
	acct_copy(r, req, "code", "code");	/* 2FA, when on */
	json_object_object_add(req, "amount", json_object_new_int64(sat));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	acct_post_send(r, req, "/account?done=withdraw");
}

/* POST /account/address: a new deposit address. */
void
page_new_address(struct http_req *r)
{
	static const char *const none[] = { NULL };

	acct_post(r, MSG_OP_NEW_ADDRESS, none, "/account?done=address");
}

/* GET /account. */
void
page_account(struct http_req *r)
{
	if (!http_need_user(r))
		return;
	acct_page(r, 200, NULL, acct_done_text(r));
}

/*
 * The POSTs of the account page: checks, then sends op with the given
 * form fields (acct_post_send).
 */
static void
acct_post(struct http_req *r, enum msg_op op, const char *const *fields,
    const char *done)
{
	struct json_object	*req;

	if (!http_post_user(r))
		return;
	req = acct_request(r, op);
	for (; *fields != NULL; fields++)
		acct_copy(r, req, *fields, *fields);
	acct_post_send(r, req, done);
}

/*
 * POST /account/password: old, new.  Both keys are derived here (the new
 * one with a fresh salt); a deferred POST sends the passwords instead.
 */
void
page_password(struct http_req *r)
{
	struct json_object	*req, *fail = NULL;

	if (!http_post_user(r))
		return;
	req = acct_request(r, MSG_OP_PASSWORD);
	if (r->deferred || r->user.id == 0) {
		acct_copy(r, req, "old", "old");
		acct_copy(r, req, "new", "new");
		acct_post_send(r, req, "/account?done=password");
		return;
	}
	switch (acctkey_change(r, req, r->user.name, form_get(&r->form, "old"),
	    form_get(&r->form, "new"), &fail)) {
	case ACCTKEY_OK:
		acct_post_send(r, req, "/account?done=password");
		return;
	case ACCTKEY_FAIL:
		acct_page_code(r, acct_status(fail), msg_reply_code(fail),
		    msg_get_str(fail, "error"), NULL);
		json_object_put(fail);
		break;
	case ACCTKEY_ANSWERED:
		break;
	}
	json_object_put(req);
}

/* POST /account/history/purge: password (its key). */
void
page_purge(struct http_req *r)
{
	struct json_object	*req;

	if (!http_post_user(r))
		return;
	req = acct_request(r, MSG_OP_PURGE);
	if (acct_key_field(r, req, "password") == 0)
		acct_post_send(r, req, "/account?done=purged");
}

/* POST /logout-all: every session of this user ends, on every abc-web. */
void
page_logout_all(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	int			 ok = 0;

	if (!http_post_user(r))
		return;
	req = acct_request(r, MSG_OP_LOGOUT_ALL);
	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return;
	}
	json_object_put(req);
	if (msg_get_bool(rep, "ok", &ok) == 0 && ok) {
		usercache_drop_user(r->app->users, r->user.id, NULL);
		http_set_cookie(r, HTTP_SESSION_COOKIE, "", 0);
		(void)http_redirect(r, "/");
	} else
		acct_page(r, acct_status(rep),
		    msg_get_str(rep, "error"), NULL);
	json_object_put(rep);
}

/* The lists with pages of their own, their paths and their titles. */
static const struct acct_list {
	const char	*name;		/* as abc-worker calls it */
	const char	*path;		/* the HTML page; + ".json" the data */
	const char	*title;
} acct_lists[] = {
	{ "deposits", "/account/deposits", "Your deposits" },
	{ "withdrawals", "/account/withdrawals", "Your withdrawals" },
	{ "history", "/account/history", "Your history" },
};

/* The list r->path names (HTML or, *json set, its .json); NULL if none. */
static const struct acct_list *
acct_list_of(struct http_req *r, int *json)
{
	size_t	 i, n;

	for (i = 0; i < sizeof(acct_lists) / sizeof(acct_lists[0]); i++) {
		n = strlen(acct_lists[i].path);
		if (strncmp(r->path, acct_lists[i].path, n) != 0)
			continue;
		*json = strcmp(r->path + n, ".json") == 0;
		if (*json || r->path[n] == '\0')
			return &acct_lists[i];
	}
	return NULL;
}

/*
 * Asks abc-worker for one page of list l.  Returns the reply, or NULL
 * after answering: not logged in (the worker says the session is gone):
 * the login page; it could not tell: 503, never a logout; a bad cursor:
 * 400.
 */
static struct json_object *
acct_list_fetch(struct http_req *r, const struct acct_list *l)
{
	struct json_object	*req, *rep = NULL;
	int64_t			 before, after;
	enum lookup		 lk;

	if (http_page_cursor(r, &before, &after) != 0) {
		(void)http_error(r, 400, "That is not a page of this list.");
		return NULL;
	}
	if (!http_need_user(r))
		return NULL;
	req = acct_request(r, MSG_OP_ACCOUNT);
	json_object_object_add(req, "list", json_object_new_string(l->name));
	if (before >= 0)
		json_object_object_add(req, "before",
		    json_object_new_int64(before));
	if (after >= 0)
		json_object_object_add(req, "after",
		    json_object_new_int64(after));
	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	if ((lk = msg_reply_lookup(rep, MSG_CODE_NO_SESSION)) == LOOKUP_FOUND)
		return rep;
	json_object_put(rep);
	if (lk == LOOKUP_ABSENT)
		return acct_to_login(r);
	(void)http_unknown(r, APP_EDB);
	return NULL;
}

/*
 * Sends a list page as JSON: {"<list>": [...], "older": ID, "newer": ID},
 * amounts as BTC text like /account/state.json, the ids only when those
 * pages exist (?before=older, ?after=newer).
 */
static void
acct_list_json(struct http_req *r, const struct acct_list *l,
    struct json_object *rep)
{
	struct json_object	*out, *list, *e;
	char			 btc[32], key[64];
	const char		*text;
	int64_t			 id;
	size_t			 i;

	out = json_object_new_object();
	list = json_object_object_get(rep, l->name);
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(e, "amount", NULL)) {
			acct_btc(e, "amount", btc, sizeof(btc));
			json_object_object_add(e, "amount",
			    json_object_new_string(btc));
		}
	}
	json_object_object_add(out, l->name, json_object_get(list));
	snprintf(key, sizeof(key), "%s_older", l->name);
	if (msg_get_int(rep, key, &id) == 0)
		json_object_object_add(out, "older", json_object_new_int64(id));
	snprintf(key, sizeof(key), "%s_newer", l->name);
	if (msg_get_int(rep, key, &id) == 0)
		json_object_object_add(out, "newer", json_object_new_int64(id));
	text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
	(void)http_send(r, 200, "application/json", text, strlen(text));
	json_object_put(out);
}

/*
 * GET /account/deposits, /account/withdrawals, /account/history (and
 * each + ".json"): one page of that list, newest first, ?before=ID for
 * older rows and ?after=ID for newer ones, with links to both.
 */
void
page_account_list(struct http_req *r)
{
	const struct acct_list	*l;
	struct json_object	*rep;
	struct tpl_val		*data;
	int			 json = 0;

	if ((l = acct_list_of(r, &json)) == NULL) {
		(void)http_error(r, 404, "There is nothing at this address.");
		return;
	}
	if ((rep = acct_list_fetch(r, l)) == NULL)
		return;
	if (json) {
		acct_list_json(r, l, rep);
		json_object_put(rep);
		return;
	}
	data = http_page(r, l->title);
	tpl_put_str(data, "heading", l->title);
	tpl_put_bool(data, "is_deposits", strcmp(l->name, "deposits") == 0);
	tpl_put_bool(data, "is_withdrawals", strcmp(l->name, "withdrawals") ==
	    0);
	tpl_put_bool(data, "is_history", strcmp(l->name, "history") == 0);
	acct_deposit_rows(data, rep);
	acct_withdrawal_rows(data, rep);
	acct_history_rows(data, rep);
	http_pager(data, "pager", l->path, rep, l->name);
	(void)http_render(r, 200, "account_list", data);
	tpl_val_free(data);
	json_object_put(rep);
}
