/*
 * Campaign reads through the cache.  While the link is up, broadcasts
 * drop changed entries at once, so an entry may be kept for seconds; with
 * the link down nothing would tell us, so entries older than 100 ms are
 * fetched again (SPEC 6; http_fresh_ms).  When that read fails, a copy up
 * to HTTP_STALE_MS old is served rather than an error (stale-if-error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cache.h"
#include "cachekey.h"
#include "client.h"
#include "clock.h"
#include "abc_err.h"
#include "http.h"
#include "log.h"
#include "market.h"
#include "money.h"
#include "msg.h"
#include "price.h"

/* key's cached JSON if stored at most max_age_ms ago, or NULL. */
static struct json_object *
market_cached(struct http_req *r, const char *key, int64_t max_age_ms)
{
	struct json_object	*v;
	char			*text, err[128];
	size_t			 len;

	text = cache_get(r->app->cache, key, max_age_ms, clock_mono_ms(),
	    &len);
	if (text == NULL)
		return NULL;
	v = msg_parse_json((const uint8_t *)text, len, err, sizeof(err));
	free(text);
	return v;
}

/*
 * The JSON member of a reply to req, through the cache under key, into
 * *out (a new reference) when FOUND.  ABSENT only when abc-worker's read
 * succeeded and answered the code absent (MSG_CODE_NONE: never).  When
 * the read fails (UNKNOWN, *why set) a copy cached up to HTTP_STALE_MS ago
 * is served instead, marked stale: stale is better than wrong.
 */
static enum lookup
market_fetch(struct http_req *r, const char *key, struct json_object *req,
    const char *member, enum msg_code absent, struct json_object **out,
    enum app_err *why)
{
	struct json_object	*rep = NULL, *v;
	const char		*s;
	enum lookup		 lk;
	enum app_err		 e;
	uint64_t		 gen;

	*why = APP_OK;
	if ((*out = market_cached(r, key, http_fresh_ms(r))) != NULL)
		return LOOKUP_FOUND;
	gen = cache_gen(r->app->cache);	/* before asking: see cache.h */
	e = client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep);
	lk = e == APP_OK ? msg_reply_lookup(rep, absent) : LOOKUP_UNKNOWN;
	if (lk == LOOKUP_FOUND) {
		if (json_object_object_get_ex(rep, member, &v) &&
		    !json_object_is_type(v, json_type_null)) {
			*out = json_object_get(v);
			s = json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN);
			(void)cache_put(r->app->cache, key, s, strlen(s),
			    clock_mono_ms(), gen);
		} else {
			lk = LOOKUP_UNKNOWN;
			e = APP_EPROTO;
		}
	}
	json_object_put(rep);
	if (lk != LOOKUP_UNKNOWN)
		return lk;
	*why = e != APP_OK ? e : APP_EDB;
	if ((*out = market_cached(r, key, HTTP_STALE_MS)) == NULL)
		return LOOKUP_UNKNOWN;
	log_info("stale_served", "key=%s error=\"%s\"", key,
	    app_strerror(*why));
	http_mark_stale(r);
	return LOOKUP_FOUND;
}

/*
 * Campaign id's state into *st (a new reference) when FOUND; ABSENT when
 * abc-worker said there is none, UNKNOWN (*why set) when it could not
 * tell and nothing was cached.  Answers nothing itself (the embed shows
 * an empty box for an unknown campaign, not the site's error page).
 */
enum lookup
market_campaign_lookup(struct http_req *r, int64_t id, struct json_object **st,
    enum app_err *why)
{
	struct json_object	*req;
	char			 key[CACHE_KEY_MAX];
	enum lookup		 lk;

	cachekey_campaign(key, id);
	req = msg_request_new(MSG_OP_CAMPAIGN_GET);
	json_object_object_add(req, "id", json_object_new_int64(id));
	lk = market_fetch(r, key, req, "campaign", MSG_CODE_NO_CAMPAIGN, st,
	    why);
	json_object_put(req);
	return lk;
}

/*
 * Campaign id's state, or NULL after answering 404 (abc-worker said there
 * is none) or "try again" (it could not tell, and nothing was cached).
 */
struct json_object *
market_campaign(struct http_req *r, int64_t id)
{
	struct json_object	*st = NULL;
	enum app_err		 why;

	switch (market_campaign_lookup(r, id, &st, &why)) {
	case LOOKUP_FOUND:
		return st;
	case LOOKUP_ABSENT:
		(void)http_error(r, 404, "There is no such campaign.");
		break;
	case LOOKUP_UNKNOWN:
		(void)http_unknown(r, why);
		break;
	}
	return NULL;
}

/* The newest campaigns (an array), or NULL after answering "try again". */
struct json_object *
market_list(struct http_req *r)
{
	struct json_object	*req, *list = NULL;
	enum app_err		 why;

	req = msg_request_new(MSG_OP_CAMPAIGN_LIST);
	if (market_fetch(r, CACHEKEY_LIST, req, "campaigns", MSG_CODE_NONE,
	    &list, &why) != LOOKUP_FOUND)
		(void)http_unknown(r, why);
	json_object_put(req);
	return list;
}

/* Forgets what this process cached about campaign id (read-your-writes). */
void
market_forget(struct http_req *r, int64_t id)
{
	char	 key[CACHE_KEY_MAX];

	cachekey_campaign(key, id);
	cache_drop(r->app->cache, key);
	cache_drop(r->app->cache, CACHEKEY_LIST);
	cache_drop(r->app->cache, CACHEKEY_HOME);
}

/* The price of the next slot at now_ms, or -1 for a malformed state. */
int64_t
market_price(struct json_object *state, int64_t now_ms)
{
	struct price_campaign	 pc;
	struct price_slot	 last;

	if (msg_campaign_price(state, &pc, &last) != 0)
		return -1;
	return price_now(&pc, now_ms);
}

/*
 * Whether slot s's ad may show at now_ms as the seller's moderation
 * stands: not when rejected, and when pending only once its review time
 * has passed (it runs unreviewed; the worker pays it out a moment later).
 */
static int
market_reviewed(struct json_object *s, int64_t now_ms)
{
	const char	*review = msg_get_str(s, "review");
	int64_t		 due;

	if (review == NULL)
		return 1;
	if (strcmp(review, "rejected") == 0)
		return 0;
	if (strcmp(review, "pending") == 0)
		return msg_get_int(s, "due_ms", &due) == 0 && now_ms >= due;
	return 1;
}

/* The slot on display at now_ms (borrowed), or NULL. */
struct json_object *
market_on_display(struct json_object *state, int64_t now_ms)
{
	struct json_object	*slots, *s;
	int64_t			 start, end;
	size_t			 i;

	if (!json_object_object_get_ex(state, "slots", &slots))
		return NULL;
	for (i = 0; i < json_object_array_length(slots); i++) {
		s = json_object_array_get_idx(slots, i);
		if (msg_get_int(s, "start_ms", &start) == 0 &&
		    msg_get_int(s, "end_ms", &end) == 0 &&
		    start <= now_ms && now_ms < end &&
		    market_reviewed(s, now_ms))
			return s;
	}
	return NULL;
}

/* When what is on display next changes (ms), or -1 when never. */
int64_t
market_next_boundary(struct json_object *state, int64_t now_ms)
{
	struct json_object	*slots, *s;
	int64_t			 t, next = -1;
	size_t			 i;

	if (!json_object_object_get_ex(state, "slots", &slots))
		return -1;
	for (i = 0; i < json_object_array_length(slots); i++) {
		s = json_object_array_get_idx(slots, i);
		if (msg_get_int(s, "start_ms", &t) == 0 && t > now_ms &&
		    (next == -1 || t < next))
			next = t;
		if (msg_get_int(s, "end_ms", &t) == 0 && t > now_ms &&
		    (next == -1 || t < next))
			next = t;
		if (msg_get_int(s, "due_ms", &t) == 0 && t > now_ms &&
		    (next == -1 || t < next))
			next = t;
	}
	return next;
}

/* sat as BTC text ("0.00010000"). */
void
market_btc(int64_t sat, char *out, size_t len)
{
	if (money_format_btc(sat, out, len) != 0)
		snprintf(out, len, "?");
}

/*
 * Reads the decimal id in path between prefix and suffix ("/c/" "12" "",
 * "/api/c/" "12" ".json").  Returns 0, or -1 when it is not just digits.
 */
int
market_path_id(const char *path, const char *prefix, const char *suffix,
    int64_t *id)
{
	size_t	 plen = strlen(prefix), slen = strlen(suffix), n;
	char	 digits[20];

	if (strncmp(path, prefix, plen) != 0)
		return -1;
	path += plen;
	n = strlen(path);
	if (n <= slen || strcmp(path + n - slen, suffix) != 0)
		return -1;
	n -= slen;
	if (n == 0 || n > 15 || strspn(path, "0123456789") < n ||
	    path[0] == '0')
		return -1;
	memcpy(digits, path, n);
	digits[n] = '\0';
	*id = strtoll(digits, NULL, 10);
	return 0;
}

/* Adds key = v to req when v is at least min. */
static void
market_arg(struct json_object *req, const char *key, int64_t v, int64_t min)
{
	if (v >= min)
		json_object_object_add(req, key, json_object_new_int64(v));
}

/* Asks abc-worker for the page of the viewer's ads q selects (see below). */
static enum lookup
market_ask_ads(struct http_req *r, const struct market_ads_q *q,
    struct json_object **rep)
{
	struct json_object	*req, *v;
	enum lookup		 lk = LOOKUP_UNKNOWN;

	*rep = NULL;
	req = msg_request_new(MSG_OP_MY_ADS);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	market_arg(req, "before", q->before, 0);
	market_arg(req, "after", q->after, 0);
	market_arg(req, "width", q->width, 1);
	market_arg(req, "height", q->height, 1);
	market_arg(req, "id", q->id, 1);
	if (client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    rep) == APP_OK)
		lk = msg_reply_lookup(*rep, MSG_CODE_NO_SESSION);
	if (lk == LOOKUP_FOUND && (!json_object_object_get_ex(*rep, "ads",
	    &v) || !json_object_is_type(v, json_type_array)))
		lk = LOOKUP_UNKNOWN;
	if (lk != LOOKUP_FOUND) {
		json_object_put(*rep);
		*rep = NULL;
	}
	json_object_put(req);
	return lk;
}

/*
 * One page of the logged-in viewer's ads that q selects, newest first.
 * FOUND: *rep is the reply (a new reference), holding "ads" (an array of
 * {id, nickname, hover, url, image, width, height}) and "ads_older" /
 * "ads_newer" (cursor ids) when those pages exist; ABSENT when abc-worker
 * says the session is gone; UNKNOWN when it could not tell (the page must
 * not say "you have no ads").  *rep is NULL unless FOUND.
 *
 * Once the session is known (r->user), the page is cached in the user's
 * group: the "account_changed" notice abc-worker sends before it answers
 * the user's own upload drops the whole group on every abc-web, so the
 * user sees a new ad at once (read-your-writes), whichever abc-web serves
 * the next page; an ad cannot change otherwise.  A logged-in campaign
 * page is then a cache read, no round trip.
 */
enum lookup
market_my_ads(struct http_req *r, const struct market_ads_q *q,
    struct json_object **rep)
{
	struct cachekey_ads	 kq = { q->before, q->after, q->width,
				    q->height, q->id };
	char			 key[CACHE_KEY_MAX];
	const char		*s;
	enum lookup		 lk;
	uint64_t		 gen;

	/* Not cached while who it is is not known yet, or for a query too
	 * long for a key (never a real one). */
	if (r->user.id <= 0 || cachekey_ads(key, r->user.id, &kq) != 0)
		return market_ask_ads(r, q, rep);
	if ((*rep = market_cached(r, key, http_fresh_ms(r))) != NULL)
		return LOOKUP_FOUND;
	gen = cache_gen(r->app->cache);	/* before asking: see cache.h */
	if ((lk = market_ask_ads(r, q, rep)) == LOOKUP_FOUND) {
		s = json_object_to_json_string_ext(*rep,
		    JSON_C_TO_STRING_PLAIN);
		(void)cache_put(r->app->cache, key, s, strlen(s),
		    clock_mono_ms(), gen);
	}
	return lk;
}

/*
 * The logged-in viewer's confirmed balance in satoshis from their account
 * overview (the cached one when fresh), or -1 when it cannot be had.
 */
int64_t
market_my_balance(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	char			 key[CACHE_KEY_MAX], *text, err[128];
	int64_t			 bal = -1;
	size_t			 len;

	cachekey_account(key, r->user.id);
	if ((text = cache_get(r->app->cache, key, http_fresh_ms(r),
	    clock_mono_ms(), &len)) != NULL) {
		rep = msg_parse_json((const uint8_t *)text, len, err,
		    sizeof(err));
		free(text);
	}
	if (rep == NULL) {
		req = msg_request_new(MSG_OP_ACCOUNT);
		json_object_object_add(req, "addr",
		    json_object_new_string(r->addr));
		json_object_object_add(req, "token",
		    json_object_new_string(r->token));
		if (client_call(r->app->client, req,
		    r->app->request_timeout_ms, 0, &rep) != APP_OK)
			rep = NULL;
		json_object_put(req);
	}
	if (rep == NULL || msg_get_int(rep, "balance", &bal) != 0)
		bal = -1;
	json_object_put(rep);
	return bal;
}

/* When the next slot of campaign state would start if bought at now. */
int64_t
market_next_start(struct json_object *state, int64_t now_ms)
{
	struct json_object	*slots;
	int64_t			 end = 0;
	size_t			 n;

	if (!json_object_object_get_ex(state, "slots", &slots) ||
	    (n = json_object_array_length(slots)) == 0 ||
	    msg_get_int(json_object_array_get_idx(slots, n - 1), "end_ms",
	    &end) != 0 || end < now_ms)
		return now_ms;
	return end;
}
