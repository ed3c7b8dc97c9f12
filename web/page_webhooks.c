/*
 * /account/webhooks (issue 15): the logged-in user's webhook endpoints
 * (add, delete; at most 5, http(s) URLs), each endpoint's secret behind a
 * "show" and its last deliveries with their status and a "redeliver"
 * button.  Every POST is CSRF-checked and carries an idempotency key;
 * abc-worker (worker/req_webhook.c) decides and keeps each answer once.
 * A read that could not be made is a 503 "try again", never "you have
 * none".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "http.h"
#include "humane.h"
#include "msg.h"
#include "route.h"
#include "template.h"

/* Copies the string member key of o into row (absent: ""). */
static void
wh_str(struct tpl_val *row, struct json_object *o, const char *key)
{
	const char	*s = msg_get_str(o, key);

	tpl_put_str(row, key, s != NULL ? s : "");
}

/* One delivery of the log into row. */
static void
wh_delivery_row(struct tpl_val *row, struct json_object *d, int64_t now)
{
	char	 idem[HTTP_IDEM_LEN + 1];
	int64_t	 n = 0;

	(void)msg_get_int(d, "id", &n);
	tpl_put_int(row, "id", n);
	/* A key per form: two buttons of one page are two requests. */
	http_new_idem(idem);
	tpl_put_str(row, "idem", idem);
	wh_str(row, d, "delivery");
	wh_str(row, d, "kind");
	wh_str(row, d, "status");
	wh_str(row, d, "last_error");
	n = 0;
	(void)msg_get_int(d, "attempts", &n);
	tpl_put_int(row, "attempts", n);
	n = 0;
	(void)msg_get_int(d, "created_at", &n);
	humane_set_time(row, "at", n * 1000, NULL, now);
}

/* The endpoints of the reply into v's list "endpoints". */
static size_t
wh_endpoint_rows(struct tpl_val *v, struct json_object *list, int64_t now)
{
	struct json_object	*e, *ds;
	struct tpl_val		*rows, *row, *drows;
	char			 idem[HTTP_IDEM_LEN + 1];
	int64_t			 n;
	size_t			 i, k;

	rows = tpl_put_list(v, "endpoints");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		row = tpl_list_add(rows);
		n = 0;
		(void)msg_get_int(e, "id", &n);
		tpl_put_int(row, "id", n);
		http_new_idem(idem);
		tpl_put_str(row, "idem", idem);
		wh_str(row, e, "url");
		wh_str(row, e, "secret");
		drows = tpl_put_list(row, "deliveries");
		ds = json_object_object_get(e, "deliveries");
		for (k = 0; ds != NULL && k < json_object_array_length(ds);
		    k++)
			wh_delivery_row(tpl_list_add(drows),
			    json_object_array_get_idx(ds, k), now);
		tpl_put_bool(row, "has_deliveries", ds != NULL &&
		    json_object_array_length(ds) > 0);
	}
	return list != NULL ? json_object_array_length(list) : 0;
}

/* Renders the page with status, an error (or NULL) and a done text. */
static void
wh_page(struct http_req *r, int status, const char *error, const char *done)
{
	struct json_object	*req, *rep = NULL, *list = NULL;
	struct tpl_val		*v;
	char			 idem[HTTP_IDEM_LEN + 1];
	enum lookup		 lk = LOOKUP_UNKNOWN;

	req = msg_request_new(MSG_OP_WEBHOOKS);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return;
	}
	json_object_put(req);
	if ((lk = msg_reply_lookup(rep, MSG_CODE_NO_SESSION)) == LOOKUP_FOUND)
		list = json_object_object_get(rep, "endpoints");
	else if (lk == LOOKUP_ABSENT) {
		json_object_put(rep);
		(void)http_to_login(r);
		return;
	}
	v = http_page(r, "Webhooks");
	tpl_put_bool(v, "has_endpoints", wh_endpoint_rows(v, list,
	    clock_real_ms()) > 0);
	tpl_put_bool(v, "unavailable", lk != LOOKUP_FOUND);
	tpl_put_str(v, "error", error != NULL ? error : "");
	tpl_put_str(v, "done", done != NULL ? done : "");
	tpl_put_str(v, "url", error != NULL && form_get(&r->form, "url") ?
	    form_get(&r->form, "url") : "");
	http_new_idem(idem);
	tpl_put_str(v, "idem", idem);
	(void)http_render(r, lk != LOOKUP_FOUND && status == 200 ? 503 :
	    status, "webhooks", v);
	tpl_val_free(v);
	json_object_put(rep);
}

/* The text of ?done=NAME after a POST's redirect, or NULL. */
static const char *
wh_done_text(struct http_req *r)
{
	if (strcmp(r->query, "done=add") == 0)
		return "The endpoint is added: every event from now on is "
		    "sent to it, signed with its secret.";
	if (strcmp(r->query, "done=delete") == 0)
		return "The endpoint is deleted.";
	if (strcmp(r->query, "done=redeliver") == 0)
		return "The delivery is queued again, with the same delivery "
		    "id.";
	return NULL;
}

/* GET /account/webhooks. */
void
page_webhooks(struct http_req *r)
{
	if (!http_need_user(r))
		return;
	wh_page(r, 200, NULL, wh_done_text(r));
}

/*
 * Sends op with the form's fields (taken: req) and redirects to done, or
 * shows the page with abc-worker's reason.
 */
static void
wh_post(struct http_req *r, struct json_object *req, const char *done)
{
	struct json_object	*rep = NULL;
	int			 ok = 0;

	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return;
	}
	json_object_put(req);
	if (msg_get_bool(rep, "ok", &ok) == 0 && ok)
		(void)http_redirect(r, done);
	else
		wh_page(r, http_failed_status(rep, 400),
		    msg_get_str(rep, "error") != NULL ?
		    msg_get_str(rep, "error") : "That did not work.", NULL);
	json_object_put(rep);
}

/*
 * A POST of the page: checks, then op with "idem" and, when given, the
 * form's field (a text) or "id" (a number).  Returns after answering.
 */
static void
wh_form(struct http_req *r, enum msg_op op, const char *field,
    const char *done)
{
	struct json_object	*req;
	const char		*idem, *v;
	long long		 id;
	char			*end;

	if (!http_post_user(r))
		return;
	idem = form_get(&r->form, "idem");
	v = form_get(&r->form, field);
	if (!http_idem_ok(idem) || v == NULL) {
		wh_page(r, 400, "The form is incomplete; reload it.", NULL);
		return;
	}
	req = msg_request_new(op);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	if (strcmp(field, "id") != 0)
		json_object_object_add(req, field, json_object_new_string(v));
	else {
		id = strtoll(v, &end, 10);
		json_object_object_add(req, "id", json_object_new_int64(
		    *v != '\0' && *end == '\0' && id > 0 ? id : 0));
	}
	wh_post(r, req, done);
}

/* POST /account/webhooks: url, idem: a new endpoint. */
void
page_webhook_add(struct http_req *r)
{
	wh_form(r, MSG_OP_WEBHOOK_ADD, "url", "/account/webhooks?done=add");
}

/* POST /account/webhooks/delete: id, idem. */
void
page_webhook_delete(struct http_req *r)
{
	wh_form(r, MSG_OP_WEBHOOK_DELETE, "id",
	    "/account/webhooks?done=delete");
}

/* POST /account/webhooks/redeliver: id (a delivery), idem. */
void
page_webhook_redeliver(struct http_req *r)
{
	wh_form(r, MSG_OP_WEBHOOK_REDELIVER, "id",
	    "/account/webhooks?done=redeliver");
}
