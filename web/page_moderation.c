/*
 * The seller's moderation page (issue 15, SPEC 4.4): /my/approvals lists
 * the bought slots of the seller's campaigns waiting for review, with
 * approve, reject (a reason, shown to the buyer) and block (the buyer, or
 * the ad) forms, the last reviews, the seller's blocks, and each
 * campaign's moderation settings.  Its forms post to /my/approvals/review,
 * /my/approvals/block and /my/approvals/settings; each carries the CSRF
 * token and its own idempotency key, so sending one again does nothing
 * twice (abc-worker keeps the answer, worker/req_moderation.c).  A
 * success goes back to the page (303); a refusal shows the page with it.
 *
 * Ownership: every JSON reply is put here; template values are freed
 * after rendering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "abc_err.h"
#include "abc_form.h"
#include "client.h"
#include "clock.h"
#include "field.h"
#include "http.h"
#include "humane.h"
#include "market.h"
#include "msg.h"
#include "route.h"
#include "template.h"

/* Review times the form offers: minutes, or seconds in test mode. */
#define MOD_REVIEW_MAX_MIN	10080	/* 7 days */

/* Reads a decimal field of 1..max (at most 12 digits); 0 or -1. */
static int
mod_int(struct http_req *r, const char *name, int64_t max, int64_t *out)
{
	const char	*s = form_get(&r->form, name);

	if (s == NULL || *s == '\0' || strlen(s) > 12 ||
	    strspn(s, "0123456789") != strlen(s))
		return -1;
	*out = strtoll(s, NULL, 10);
	return *out >= 0 && *out <= max ? 0 : -1;
}

/* Puts a fresh idempotency key under key. */
static void
mod_idem(struct tpl_val *row, const char *key)
{
	char	 idem[HTTP_IDEM_LEN + 1];

	http_new_idem(idem);
	tpl_put_str(row, key, idem);
}

/* Copies string member key of o (or "") into row. */
static void
mod_str(struct tpl_val *row, struct json_object *o, const char *key)
{
	const char	*s = msg_get_str(o, key);

	tpl_put_str(row, key, s != NULL ? s : "");
}

/* One pending slot: what was bought, by whom, until when to review. */
static void
mod_pending_row(struct tpl_val *row, struct json_object *o, int64_t now)
{
	static const char *const keys[] = { "name", "buyer_name", "nickname",
	    "hover", "url", "image", NULL };
	char		 btc[32];
	int64_t		 n;
	size_t		 k;

	for (k = 0; keys[k] != NULL; k++)
		mod_str(row, o, keys[k]);
	n = 0;
	(void)msg_get_int(o, "campaign", &n);
	tpl_put_int(row, "campaign", n);
	n = 0;
	(void)msg_get_int(o, "idx", &n);
	tpl_put_int(row, "slot", n);		/* the API's index */
	tpl_put_int(row, "slot_no", n + 1);	/* people count from 1 */
	n = 0;
	(void)msg_get_int(o, "buyer", &n);
	tpl_put_int(row, "buyer", n);
	n = 0;
	(void)msg_get_int(o, "ad", &n);
	tpl_put_int(row, "ad", n);
	n = 0;
	(void)msg_get_int(o, "price", &n);
	market_btc(n, btc, sizeof(btc));
	tpl_put_str(row, "price", btc);
	n = 0;
	(void)msg_get_int(o, "start_ms", &n);
	humane_set_time(row, "start", n, NULL, now);
	n = 0;
	(void)msg_get_int(o, "due_ms", &n);
	humane_set_time(row, "due", n, NULL, now);
	mod_idem(row, "idem_approve");
	mod_idem(row, "idem_reject");
	mod_idem(row, "idem_block_buyer");
	mod_idem(row, "idem_block_ad");
}

/* One of the last reviews. */
static void
mod_reviewed_row(struct tpl_val *row, struct json_object *o, int64_t now)
{
	const char	*review = msg_get_str(o, "review");
	int64_t		 n = 0;

	mod_str(row, o, "name");
	mod_str(row, o, "nickname");
	mod_str(row, o, "reason");
	(void)msg_get_int(o, "idx", &n);
	tpl_put_int(row, "slot_no", n + 1);
	n = 0;
	(void)msg_get_int(o, "reviewed_ms", &n);
	humane_set_time(row, "at", n, NULL, now);
	tpl_put_str(row, "review", review == NULL ? "" :
	    strcmp(review, "rejected") == 0 ? "rejected, refunded" :
	    strcmp(review, "auto") == 0 ? "ran unreviewed" : "approved");
}

/* One campaign's settings form. */
static void
mod_campaign_row(struct tpl_val *row, struct json_object *o, int allow_s)
{
	int64_t		 id = 0, ms = 0;
	int		 on = 0;

	(void)msg_get_int(o, "id", &id);
	(void)msg_get_int(o, "review_ms", &ms);
	(void)msg_get_bool(o, "requires_approval", &on);
	tpl_put_int(row, "id", id);
	mod_str(row, o, "name");
	tpl_put_bool(row, "requires_approval", on);
	tpl_put_int(row, "review_minutes", ms / 60000 > 0 ? ms / 60000 : 1);
	/* NULL: the default (liveness_judge: 50 for slots of a minute or more). */
	if (msg_get_int(o, "liveness_pct", &ms) == 0)
		tpl_put_int(row, "liveness_pct", ms);
	else
		tpl_put_str(row, "liveness_pct", "");
	tpl_put_bool(row, "allow_short", allow_s);
	mod_idem(row, "idem");
}

/* One block, with its unblock form. */
static void
mod_block_row(struct tpl_val *row, struct json_object *o)
{
	int64_t	 target = 0;

	mod_str(row, o, "kind");
	mod_str(row, o, "label");
	(void)msg_get_int(o, "target", &target);
	tpl_put_int(row, "target", target);
	mod_idem(row, "idem");
}

/* Fills list key of v from array member key of the reply. */
static void
mod_list(struct tpl_val *v, struct json_object *all, const char *key,
    struct http_req *r, int64_t now)
{
	struct json_object	*arr, *o;
	struct tpl_val		*list, *row;
	size_t			 i, n = 0;
	char			 has[32];

	list = tpl_put_list(v, key);
	if (all != NULL && json_object_object_get_ex(all, key, &arr) &&
	    json_object_is_type(arr, json_type_array))
		n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		row = tpl_list_add(list);
		if (strcmp(key, "pending") == 0)
			mod_pending_row(row, o, now);
		else if (strcmp(key, "reviewed") == 0)
			mod_reviewed_row(row, o, now);
		else if (strcmp(key, "campaigns") == 0)
			mod_campaign_row(row, o, r->app->allow_short_slots);
		else
			mod_block_row(row, o);
	}
	snprintf(has, sizeof(has), "has_%s", key);
	tpl_put_bool(v, has, n > 0);
}

/*
 * The reply carries the 100 pending slots with the nearest deadlines
 * (sql/functions/mod_approvals.sql) and how many wait in all: the page
 * says so when there are more, rather than hide them.
 */
static void
mod_pending_more(struct tpl_val *v, struct json_object *all)
{
	struct json_object	*arr;
	int64_t			 total = 0;
	size_t			 shown = 0;

	if (all == NULL || msg_get_int(all, "pending_total", &total) != 0)
		return;
	if (json_object_object_get_ex(all, "pending", &arr) &&
	    json_object_is_type(arr, json_type_array))
		shown = json_object_array_length(arr);
	tpl_put_bool(v, "pending_more", total > (int64_t)shown);
	tpl_put_int(v, "pending_shown", (int64_t)shown);
	tpl_put_int(v, "pending_total", total);
}

/* Renders /my/approvals with status and error (NULL: none). */
static void
mod_page(struct http_req *r, int status, const char *error)
{
	static const char *const lists[] = { "pending", "reviewed", "blocks",
	    "campaigns", NULL };
	struct json_object	*req, *rep = NULL, *all = NULL;
	struct tpl_val		*v;
	int64_t			 now = clock_real_ms();
	enum lookup		 lk = LOOKUP_UNKNOWN;
	size_t			 i;

	req = msg_request_new(MSG_OP_MY_APPROVALS);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	if (client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep) == APP_OK)
		lk = msg_reply_lookup(rep, MSG_CODE_NO_SESSION);
	if (lk == LOOKUP_FOUND)
		all = msg_get_obj(rep, "approvals");
	v = http_page(r, "Ads to review");
	for (i = 0; lists[i] != NULL; i++)
		mod_list(v, all, lists[i], r, now);
	mod_pending_more(v, all);
	if (error != NULL)
		tpl_put_str(v, "error", error);
	tpl_put_bool(v, "unavailable", all == NULL);
	(void)http_render(r, all == NULL && status == 200 ? 503 : status,
	    "approvals", v);
	tpl_val_free(v);
	json_object_put(req);
	json_object_put(rep);
}

/* Adds the form's idem to req when it has one. */
static void
mod_add_idem(struct http_req *r, struct json_object *req)
{
	const char	*s = form_get(&r->form, "idem");

	if (s != NULL)
		json_object_object_add(req, "idem", json_object_new_string(s));
}

/*
 * Builds the request of the posted form, or NULL after setting *error
 * (a message for the person).
 */
static struct json_object *
mod_request(struct http_req *r, const char **error)
{
	const char		*what = r->path + strlen("/my/approvals/");
	const char		*s;
	struct json_object	*req = NULL;
	int64_t			 a, b;

	*error = "That form is incomplete.";
	if (strcmp(what, "review") == 0) {
		s = form_get(&r->form, "reason");
		if (mod_int(r, "campaign", INT64_MAX / 2, &a) ||
		    mod_int(r, "slot", INT32_MAX, &b))
			return NULL;
		if (form_get(&r->form, "approve") == NULL && (s == NULL ||
		    (*error = field_check(FIELD_REJECT_REASON,
		    (const uint8_t *)s, strlen(s))) != NULL))
			return NULL;
		req = msg_request_new(MSG_OP_CAMPAIGN_REVIEW);
		json_object_object_add(req, "campaign",
		    json_object_new_int64(a));
		json_object_object_add(req, "slot", json_object_new_int64(b));
		json_object_object_add(req, "approve", json_object_new_boolean(
		    form_get(&r->form, "approve") != NULL));
		if (form_get(&r->form, "approve") == NULL)
			json_object_object_add(req, "reason",
			    json_object_new_string(s));
	} else if (strcmp(what, "block") == 0) {
		s = form_get(&r->form, "kind");
		if (s == NULL || (strcmp(s, "buyer") != 0 &&
		    strcmp(s, "ad") != 0) || mod_int(r, "target",
		    INT64_MAX / 2, &a))
			return NULL;
		req = msg_request_new(MSG_OP_SELLER_BLOCK);
		json_object_object_add(req, "kind", json_object_new_string(s));
		json_object_object_add(req, "target", json_object_new_int64(a));
		json_object_object_add(req, "on", json_object_new_boolean(
		    form_get(&r->form, "unblock") == NULL));
	} else if (strcmp(what, "settings") == 0) {
		*error = r->app->allow_short_slots ? "The review time is 1 "
		    "second to 7 days." : "The review time is 1 minute to "
		    "7 days (10080 minutes).";
		if (mod_int(r, "id", INT64_MAX / 2, &a))
			return NULL;
		s = form_get(&r->form, "review_seconds");
		if (r->app->allow_short_slots && s != NULL && *s != '\0') {
			if (mod_int(r, "review_seconds",
			    MOD_REVIEW_MAX_MIN * 60, &b) || b < 1)
				return NULL;
		} else if (mod_int(r, "review_minutes", MOD_REVIEW_MAX_MIN,
		    &b) || b < 1)
			return NULL;
		else
			b *= 60;
		req = msg_request_new(MSG_OP_CAMPAIGN_SETTINGS);
		json_object_object_add(req, "id", json_object_new_int64(a));
		json_object_object_add(req, "requires_approval",
		    json_object_new_boolean(form_get(&r->form,
		    "requires_approval") != NULL));
		json_object_object_add(req, "review_s",
		    json_object_new_int64(b));
		/* Issue 15: the liveness share (empty: unchanged). */
		s = form_get(&r->form, "liveness_pct");
		if (s != NULL && *s != '\0') {
			if (mod_int(r, "liveness_pct", 100, &b)) {
				*error = "The liveness share is 0 to 100 "
				    "percent.";
				json_object_put(req);
				return NULL;
			}
			json_object_object_add(req, "liveness_pct",
			    json_object_new_int64(b));
		}
	}
	return req;
}

/* POST /my/approvals/<review|block|settings>. */
static void
mod_post(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	const char		*error;
	int64_t			 camp;
	int			 ok = 0;

	if ((req = mod_request(r, &error)) == NULL) {
		mod_page(r, 400, error);
		return;
	}
	json_object_object_add(req, "token", json_object_new_string(r->token));
	mod_add_idem(r, req);
	if (http_call(r, req, &rep) == 0) {
		(void)msg_get_bool(rep, "ok", &ok);
		if (ok) {
			if (msg_get_int(rep, "campaign", &camp) == 0)
				market_forget(r, camp);
			(void)http_redirect(r, "/my/approvals");
		} else
			mod_page(r, http_failed_status(rep, 409),
			    msg_get_str(rep, "error") != NULL ?
			    msg_get_str(rep, "error") : "That did not work.");
		json_object_put(rep);
	}
	json_object_put(req);
}

/* GET /my/approvals, POST /my/approvals/... */
void
page_approvals(struct http_req *r)
{
	if (strcmp(r->method, "POST") == 0) {
		if (!http_post_user(r))
			return;
		mod_post(r);
		return;
	}
	if (!http_need_user(r))
		return;
	mod_page(r, 200, NULL);
}
