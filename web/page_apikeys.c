/*
 * /account/api (issue 15): the logged-in user's API keys, made, listed
 * and revoked like the other account forms (CSRF token, idempotency key,
 * exactly once through request_log).  A new key is shown once, in the
 * answer to the form that made it; a repeat of that form (same idem)
 * says the key exists but cannot show it.  The form's "totp" goes to
 * abc-worker as "code", which it requires when two-factor login is on.
 *
 * Ownership: each handler frees what it asks and renders.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "clock.h"
#include "http.h"
#include "humane.h"
#include "msg.h"
#include "route.h"
#include "template.h"

/* A request for op with the session token. */
static struct json_object *
apikeys_request(struct http_req *r, enum msg_op op)
{
	struct json_object	*req = msg_request_new(op);

	json_object_object_add(req, "token", json_object_new_string(r->token));
	return req;
}

/* A time of the list (ms, absent: "never") as text into row. */
static void
apikeys_time(struct tpl_val *row, const char *key, struct json_object *k,
    const char *member, const char *none)
{
	int64_t	 ms = 0;
	char	 text[64];

	if (msg_get_int(k, member, &ms) != 0 || ms <= 0) {
		tpl_put_str(row, key, none);
		return;
	}
	humane_abs(ms, text, sizeof(text));
	tpl_put_str(row, key, text);
}

/* One row of the list. */
static void
apikeys_row(struct http_req *r, struct tpl_val *row, struct json_object *k)
{
	struct json_object	*sc;
	const char		*s;
	char			 idem[HTTP_IDEM_LEN + 1], scopes[32] = "";
	size_t			 i;
	int64_t			 id = 0;

	(void)msg_get_int(k, "id", &id);
	tpl_put_int(row, "id", id);
	tpl_put_str(row, "name", (s = msg_get_str(k, "name")) ? s : "");
	tpl_put_str(row, "prefix", (s = msg_get_str(k, "prefix")) ? s : "");
	if (json_object_object_get_ex(k, "scopes", &sc) &&
	    json_object_is_type(sc, json_type_array))
		for (i = 0; i < json_object_array_length(sc) && i < 2; i++)
			snprintf(scopes + strlen(scopes), sizeof(scopes) -
			    strlen(scopes), "%s%s", i ? ", " : "",
			    json_object_get_string(json_object_array_get_idx(
			    sc, i)));
	tpl_put_str(row, "scopes", scopes);
	apikeys_time(row, "created", k, "created_ms", "");
	apikeys_time(row, "last_used", k, "last_used_ms", "never");
	apikeys_time(row, "revoked", k, "revoked_ms", "");
	http_new_idem(idem);
	tpl_put_str(row, "idem", idem);
	tpl_put_str(row, "csrf", r->csrf);
}

/*
 * Renders the page with status: the list (asked again), an error or a
 * notice, and a key made just now.
 */
static void
apikeys_page(struct http_req *r, int status, const char *error,
    const char *notice, const char *new_key)
{
	struct json_object	*req, *rep = NULL, *keys = NULL;
	struct tpl_val		*v, *rows;
	char			 idem[HTTP_IDEM_LEN + 1];
	size_t			 i;
	int			 ok = 0;

	req = apikeys_request(r, MSG_OP_APIKEY_LIST);
	if (client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep) == APP_OK && msg_get_bool(rep, "ok", &ok) == 0 && ok)
		(void)json_object_object_get_ex(rep, "keys", &keys);
	v = http_page(r, "API keys");
	rows = tpl_put_list(v, "keys");
	for (i = 0; keys != NULL && json_object_is_type(keys,
	    json_type_array) && i < json_object_array_length(keys); i++)
		apikeys_row(r, tpl_list_add(rows),
		    json_object_array_get_idx(keys, i));
	tpl_put_bool(v, "has_keys", keys != NULL && json_object_is_type(keys,
	    json_type_array) && json_object_array_length(keys) > 0);
	tpl_put_bool(v, "unavailable", keys == NULL);
	if (error != NULL)
		tpl_put_str(v, "error", error);
	if (notice != NULL)
		tpl_put_str(v, "notice", notice);
	if (new_key != NULL)
		tpl_put_str(v, "new_key", new_key);
	http_new_idem(idem);
	tpl_put_str(v, "idem", idem);
	(void)http_render(r, status, "apikeys", v);
	tpl_val_free(v);
	json_object_put(req);
	json_object_put(rep);
}

/* The create form's answer: the new key once, or why not. */
static void
apikeys_created(struct http_req *r, struct json_object *rep)
{
	const char	*key = msg_get_str(rep, "key");
	int		 ok = 0;

	if (msg_get_bool(rep, "ok", &ok) != 0 || !ok)
		apikeys_page(r, http_failed_status(rep, 400), msg_get_str(rep,
		    "error") ? msg_get_str(rep, "error") :
		    "That did not work.", NULL, NULL);
	else if (key == NULL)
		apikeys_page(r, 200, NULL, "This form was sent before and its "
		    "key exists, but a key is shown only once: if you did not "
		    "copy it, revoke it and create another.", NULL);
	else
		apikeys_page(r, 201, NULL, NULL, key);
}

/* POST /account/api: name, scope_read, scope_buy, idem, totp. */
static void
apikeys_create(struct http_req *r)
{
	struct json_object	*req, *rep = NULL, *scopes;
	const char		*name = form_get(&r->form, "name");
	const char		*idem = form_get(&r->form, "idem");
	const char		*totp = form_get(&r->form, "totp");

	if (!http_idem_ok(idem)) {
		apikeys_page(r, 400, "The form is out of date; send it again.",
		    NULL, NULL);
		return;
	}
	req = apikeys_request(r, MSG_OP_APIKEY_CREATE);
	json_object_object_add(req, "name", json_object_new_string(name ?
	    name : ""));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	scopes = json_object_new_array();
	if (form_get(&r->form, "scope_read") != NULL)
		json_object_array_add(scopes, json_object_new_string("read"));
	if (form_get(&r->form, "scope_buy") != NULL)
		json_object_array_add(scopes, json_object_new_string("buy"));
	json_object_object_add(req, "scopes", scopes);
	if (totp != NULL && totp[0] != '\0')
		json_object_object_add(req, "code",
		    json_object_new_string(totp));
	if (http_call(r, req, &rep) == 0) {
		apikeys_created(r, rep);
		json_object_put(rep);
	}
	json_object_put(req);
}

/* GET and POST /account/api. */
void
page_apikeys(struct http_req *r)
{
	const char	*done;

	if (strcmp(r->method, "POST") == 0) {
		if (http_post_user(r))
			apikeys_create(r);
		return;
	}
	if (!http_need_user(r))
		return;
	done = strstr(r->query, "done=revoked") != NULL ? "The key is "
	    "revoked: every request with it is refused from now on." : NULL;
	apikeys_page(r, 200, NULL, done, NULL);
}

/* POST /account/api/revoke: id, idem. */
void
page_apikeys_revoke(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	const char		*ids, *idem;
	long long		 id;
	int			 ok = 0;

	if (!http_post_user(r))
		return;
	ids = form_get(&r->form, "id");
	idem = form_get(&r->form, "idem");
	if (ids == NULL || sscanf(ids, "%lld", &id) != 1 || id < 1 ||
	    !http_idem_ok(idem)) {
		apikeys_page(r, 400, "Which key? Send the form again.", NULL,
		    NULL);
		return;
	}
	req = apikeys_request(r, MSG_OP_APIKEY_REVOKE);
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	if (http_call(r, req, &rep) == 0) {
		if (msg_get_bool(rep, "ok", &ok) == 0 && ok)
			(void)http_redirect(r, "/account/api?done=revoked");
		else
			apikeys_page(r, http_failed_status(rep, 400),
			    msg_get_str(rep, "error") ? msg_get_str(rep,
			    "error") : "That did not work.", NULL, NULL);
		json_object_put(rep);
	}
	json_object_put(req);
}
