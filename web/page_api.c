/*
 * The JSON API, /api/v1/... (issue 15, README "API"): a user's scripts
 * read their campaigns with figures, their ads and any campaign's state
 * and schedule (with an ETag), buy a slot and upload an ad.  Every
 * request carries "Authorization: Bearer <key>" (common/apikey.h);
 * cookies are never looked at, so no CSRF token is needed.  A key is
 * resolved by abc-worker (apikey_auth) and cached in app->apikeys for at
 * most 1 s (a revocation's notice drops it at once); each key has a token
 * bucket (web/apilimit.h).  Errors are JSON: {"error": {"code": C,
 * "message": M}} with C from MSG_CODE_MAP.  Acts go through the same ops,
 * SQL and rules as the forms, with the key in place of the session.
 *
 * Ownership: each handler owns what it parses and asks, and frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "apijson.h"
#include "apikey.h"
#include "apilimit.h"
#include "client.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "market.h"
#include "msg.h"
#include "route.h"
#include "xmalloc.h"

/* Scopes, as bits of cached_user.scopes. */
#define API_READ	1u
#define API_BUY		2u

#define API_ADS_B64_MAX	(4u * ((256u * 1024u + 2u) / 3u))

/* What one authenticated API request carries. */
struct api_caller {
	char			 key[APIKEY_LEN + 1];
	struct cached_user	 u;	/* id, name, key_id, scopes */
};

/* Sends obj as the JSON answer with status. */
static void
api_send(struct http_req *r, int status, struct json_object *obj)
{
	const char	*text;

	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	(void)http_send(r, status, "application/json", text, strlen(text));
}

/* Answers {"error": {"code": code, "message": message}} with status. */
static void
api_error(struct http_req *r, int status, enum msg_code code,
    const char *message)
{
	struct json_object	*doc, *e;

	doc = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(
	    msg_code_name(code)));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(doc, "error", e);
	api_send(r, status, doc);
	json_object_put(doc);
}

/* The HTTP status of a refused reply's code. */
static int
api_status(enum msg_code code)
{
	switch (code) {
	case MSG_CODE_NO_SESSION:
	case MSG_CODE_UNAUTHORIZED:
		return 401;
	case MSG_CODE_FORBIDDEN_SCOPE:
		return 403;
	case MSG_CODE_NO_CAMPAIGN:
	case MSG_CODE_NO_IMAGE:
	case MSG_CODE_NOT_FOUND:
		return 404;
	case MSG_CODE_SOLD:
	case MSG_CODE_PRICE_UP:
	case MSG_CODE_NOT_YET:
	case MSG_CODE_FUNDS:
	case MSG_CODE_QUOTA:
	case MSG_CODE_OWN_CAMPAIGN:
		return 409;
	case MSG_CODE_RATE_LIMITED:
		return 429;
	case MSG_CODE_UNAVAILABLE:
	case MSG_CODE_BUSY:
	case MSG_CODE_INTERNAL:
		return 503;
	default:
		return 400;
	}
}

/* Answers abc-worker's failed reply rep as a JSON error. */
static void
api_failed(struct http_req *r, struct json_object *rep)
{
	enum msg_code	 code = msg_reply_code(rep);
	const char	*text = msg_get_str(rep, "error");

	if (code == MSG_CODE_NONE)
		code = MSG_CODE_INTERNAL;
	if (api_status(code) == 503)
		(void)buf_printf(&r->headers, "Retry-After: 2\r\n");
	api_error(r, api_status(code), code, text != NULL ? text :
	    "That did not work.");
}

/*
 * Sends req to abc-worker.  Returns 0 with *rep a successful reply (the
 * caller puts it); otherwise answers (no answer in time: 503, to be sent
 * again with the same idem; a refusal: its code) and returns -1.
 */
static int
api_call(struct http_req *r, struct json_object *req,
    struct json_object **rep)
{
	enum app_err	 e;
	int		 ok = 0;

	*rep = NULL;
	e = client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    rep);
	if (e != APP_OK) {
		(void)buf_printf(&r->headers, "Retry-After: 2\r\n");
		api_error(r, e == APP_EINVAL ? 413 : 503, e == APP_EINVAL ?
		    MSG_CODE_INVALID : MSG_CODE_UNAVAILABLE, e == APP_EINVAL ?
		    "The request is too large." : "The service could not "
		    "answer in time; send the same request again (same idem)."
		    );
		json_object_put(*rep);
		*rep = NULL;
		return -1;
	}
	if (msg_get_bool(*rep, "ok", &ok) != 0 || !ok) {
		api_failed(r, *rep);
		json_object_put(*rep);
		*rep = NULL;
		return -1;
	}
	return 0;
}

/* Bits of a "read,buy" list. */
static unsigned
api_scope_bits(const char *s)
{
	unsigned	 bits = 0;
	char		 buf[32], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "");
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (strcmp(p, "read") == 0)
			bits |= API_READ;
		else if (strcmp(p, "buy") == 0)
			bits |= API_BUY;
	}
	return bits;
}

/*
 * Who holds the key, from the cache or abc-worker.  Returns 1 (c->u set),
 * 0 when abc-worker knows no such key (revoked or never made), or -1
 * after answering 503 when it could not tell.
 */
static int
api_resolve(struct http_req *r, struct api_caller *c, const char *hash)
{
	struct json_object	*req, *rep = NULL;
	enum lookup		 lk = LOOKUP_UNKNOWN;
	int64_t			 id = 0, kid = 0;
	const char		*name = NULL;

	if (usercache_get(r->app->apikeys, hash, &c->u, clock_mono_ms()))
		return 1;
	req = msg_request_new(MSG_OP_APIKEY_AUTH);
	json_object_object_add(req, "api_key", json_object_new_string(c->key));
	if (client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep) == APP_OK)
		lk = msg_reply_lookup(rep, MSG_CODE_NO_SESSION);
	if (lk == LOOKUP_FOUND && (msg_get_int(rep, "user", &id) != 0 ||
	    msg_get_int(rep, "key_id", &kid) != 0 || id <= 0 || kid <= 0 ||
	    (name = msg_get_str(rep, "username")) == NULL))
		lk = LOOKUP_UNKNOWN;
	if (lk == LOOKUP_FOUND) {
		memset(&c->u, 0, sizeof(c->u));
		c->u.id = id;
		c->u.key_id = kid;
		c->u.scopes = api_scope_bits(msg_get_str(rep, "scopes"));
		snprintf(c->u.name, sizeof(c->u.name), "%s", name);
		usercache_put(r->app->apikeys, hash, &c->u, clock_mono_ms());
	}
	json_object_put(req);
	json_object_put(rep);
	if (lk == LOOKUP_UNKNOWN) {
		(void)buf_printf(&r->headers, "Retry-After: 2\r\n");
		api_error(r, 503, MSG_CODE_UNAVAILABLE, "The service could not "
		    "check the key just now; try again in a moment.");
		return -1;
	}
	return lk == LOOKUP_FOUND;
}

/*
 * The key of the request, checked: known, not revoked, holding scope and
 * within its rate.  Returns 1, or 0 after answering (401, 403, 429, 503).
 */
static int
api_auth(struct http_req *r, struct api_caller *c, unsigned scope)
{
	char	 hash[APIKEY_HASH_HEX + 1];
	int64_t	 retry = 0;
	int	 rc;

	r->cache_control = NULL;	/* never kept by nginx nor browsers */
	if (apikey_bearer(FCGX_GetParam("HTTP_AUTHORIZATION", r->fcgi->envp),
	    c->key) != 0) {
		(void)buf_printf(&r->headers, "WWW-Authenticate: Bearer "
		    "realm=\"abc\"\r\n");
		api_error(r, 401, MSG_CODE_UNAUTHORIZED, "Send an API key: "
		    "Authorization: Bearer abc_... (create one on /account/api).");
		return 0;
	}
	apikey_hash_hex(c->key, hash);
	if ((rc = api_resolve(r, c, hash)) <= 0) {
		if (rc == 0) {
			(void)buf_printf(&r->headers, "WWW-Authenticate: "
			    "Bearer realm=\"abc\", error=\"invalid_token\"\r\n");
			api_error(r, 401, MSG_CODE_UNAUTHORIZED, "This API key "
			    "does not exist or was revoked.");
		}
		return 0;
	}
	if ((c->u.scopes & scope) != scope) {
		api_error(r, 403, MSG_CODE_FORBIDDEN_SCOPE, scope == API_BUY ?
		    "This key may not act: it lacks the scope \"buy\"." :
		    "This key may not read: it lacks the scope \"read\".");
		return 0;
	}
	if (!apilimit_take(r->app->apilimit, c->u.key_id, clock_mono_ms(),
	    &retry)) {
		(void)buf_printf(&r->headers, "Retry-After: %lld\r\n",
		    (long long)(retry + 999) / 1000);
		api_error(r, 429, MSG_CODE_RATE_LIMITED, "Too many requests "
		    "with this key; wait as long as Retry-After says.");
		return 0;
	}
	return 1;
}

/* A new request for op carrying the caller's key. */
static struct json_object *
api_request(enum msg_op op, const struct api_caller *c)
{
	struct json_object	*req = msg_request_new(op);

	json_object_object_add(req, "api_key", json_object_new_string(c->key));
	return req;
}

/* Answers {member: rep[member]} (and any paging ids) from a reply. */
static void
api_relay(struct http_req *r, struct json_object *rep, const char *member)
{
	struct json_object	*doc, *v;
	static const char *const extra[] = { "older", "newer", "now_ms" };
	size_t			 i;

	doc = json_object_new_object();
	if (json_object_object_get_ex(rep, member, &v))
		json_object_object_add(doc, member, json_object_get(v));
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (json_object_object_get_ex(rep, extra[i], &v))
			json_object_object_add(doc, extra[i],
			    json_object_get(v));
	api_send(r, 200, doc);
	json_object_put(doc);
}

/* GET /api/v1/me/campaigns and /api/v1/me/ads: the key owner's lists. */
void
page_api_me(struct http_req *r)
{
	struct api_caller	 c;
	struct json_object	*req, *rep;
	int64_t			 before = -1, after = -1;
	int			 ads = strcmp(r->path, "/api/v1/me/ads") == 0;

	if (!api_auth(r, &c, API_READ))
		return;
	/* Ads come a page of 20 (?before=ID, ?after=ID), as /my/ads. */
	if (ads && http_page_cursor(r, &before, &after) != 0) {
		api_error(r, 400, MSG_CODE_INVALID, "That is not a page of "
		    "your ads (?before=ID or ?after=ID).");
		return;
	}
	req = api_request(ads ? MSG_OP_MY_ADS : MSG_OP_API_CAMPAIGNS, &c);
	if (ads && before >= 0)
		json_object_object_add(req, "before",
		    json_object_new_int64(before));
	if (ads && after >= 0)
		json_object_object_add(req, "after",
		    json_object_new_int64(after));
	if (api_call(r, req, &rep) == 0) {
		api_relay(r, rep, ads ? "ads" : "campaigns");
		json_object_put(rep);
	}
	json_object_put(req);
	explicit_bzero(c.key, sizeof(c.key));
}

/*
 * Reads the request's JSON body (at most max bytes).  Returns it, or NULL
 * after answering 400 bad_json / 413.
 */
static struct json_object *
api_body(struct http_req *r, size_t max)
{
	const char		*lenp;
	char			*end, err[160];
	unsigned long		 len;
	uint8_t			*body;
	struct json_object	*obj;

	lenp = FCGX_GetParam("CONTENT_LENGTH", r->fcgi->envp);
	len = lenp != NULL ? strtoul(lenp, &end, 10) : 0;
	if (lenp == NULL || *end != '\0' || len == 0) {
		api_error(r, 400, MSG_CODE_BAD_JSON, "Send a JSON object "
		    "(Content-Type: application/json) with a length.");
		return NULL;
	}
	if (len > max) {
		api_error(r, 413, MSG_CODE_BAD_JSON, "The body is too large.");
		return NULL;
	}
	body = xmalloc(len);
	if (FCGX_GetStr((char *)body, (int)len, r->fcgi->in) != (int)len) {
		free(body);
		api_error(r, 400, MSG_CODE_BAD_JSON, "The body arrived "
		    "incomplete.");
		return NULL;
	}
	obj = apijson_parse(body, len, max, err, sizeof(err));
	free(body);
	if (obj == NULL)
		api_error(r, 400, MSG_CODE_BAD_JSON, err);
	return obj;
}

/* An API idempotency key: 8-64 of [A-Za-z0-9_.-]. */
static int
api_idem_ok(const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0;

	return n >= 8 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The campaign's state and schedule, with an ETag (If-None-Match: 304). */
static void
api_campaign_get(struct http_req *r, int64_t id)
{
	struct api_caller	 c;
	struct json_object	*req, *rep, *st;
	const char		*text, *inm;
	unsigned char		 md[32];
	unsigned int		 mdlen = sizeof(md);
	char			 etag[40];
	int64_t			 now = clock_real_ms();

	if (!api_auth(r, &c, API_READ))
		return;
	req = msg_request_new(MSG_OP_CAMPAIGN_GET);
	json_object_object_add(req, "id", json_object_new_int64(id));
	if (api_call(r, req, &rep) == 0) {
		if (json_object_object_get_ex(rep, "campaign", &st) &&
		    json_object_is_type(st, json_type_object)) {
			/* The schedule is the etag's input: not the clock. */
			text = json_object_to_json_string_ext(st,
			    JSON_C_TO_STRING_PLAIN);
			(void)EVP_Digest(text, strlen(text), md, &mdlen,
			    EVP_sha256(), NULL);
			snprintf(etag, sizeof(etag), "\"%02x%02x%02x%02x%02x"
			    "%02x%02x%02x\"", md[0], md[1], md[2], md[3],
			    md[4], md[5], md[6], md[7]);
			(void)buf_printf(&r->headers, "ETag: %s\r\n", etag);
			inm = FCGX_GetParam("HTTP_IF_NONE_MATCH",
			    r->fcgi->envp);
			st = json_object_get(st);
			if (inm != NULL && strcmp(inm, etag) == 0)
				(void)http_send(r, 304, "application/json",
				    "", 0);
			else {
				json_object_object_add(st, "price_now",
				    json_object_new_int64(market_price(st,
				    now)));
				json_object_object_add(st, "next_start_ms",
				    json_object_new_int64(market_next_start(
				    st, now)));
				api_send(r, 200, st);
			}
			json_object_put(st);
		} else
			api_error(r, 503, MSG_CODE_INTERNAL, "The campaign "
			    "came back garbled.");
		json_object_put(rep);
	}
	json_object_put(req);
	explicit_bzero(c.key, sizeof(c.key));
}

/*
 * POST .../buy: {"slot": N, "ad": ID, "max_price": SAT, "idem": KEY}.
 * The same op and SQL as the form (camp_purchase): a repeat of the same
 * idem answers what the first got, so one slot is bought at most.
 */
static void
api_buy(struct http_req *r, int64_t id)
{
	struct api_caller	 c;
	struct json_object	*body, *req, *rep;
	int64_t			 slot, ad, max;
	const char		*idem;

	if (!api_auth(r, &c, API_BUY))
		return;
	if ((body = api_body(r, 4096)) == NULL)
		goto out;
	idem = apijson_str(body, "idem", 64);
	if (apijson_int(body, "slot", 0, INT32_MAX, &slot) != 0 ||
	    apijson_int(body, "ad", 1, INT64_MAX, &ad) != 0 ||
	    apijson_int(body, "max_price", 1, INT64_MAX, &max) != 0 ||
	    !api_idem_ok(idem)) {
		api_error(r, 400, MSG_CODE_INVALID, "A purchase needs "
		    "\"slot\" (the index for sale), \"ad\" (your ad's id), "
		    "\"max_price\" (satoshis, > 0) and \"idem\" (8-64 of "
		    "A-Z a-z 0-9 _ . -).");
		json_object_put(body);
		goto out;
	}
	req = api_request(MSG_OP_BUY, &c);
	json_object_object_add(req, "campaign", json_object_new_int64(id));
	json_object_object_add(req, "slot", json_object_new_int64(slot));
	json_object_object_add(req, "ad", json_object_new_int64(ad));
	json_object_object_add(req, "max_price", json_object_new_int64(max));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	json_object_put(body);
	if (api_call(r, req, &rep) == 0) {
		api_send(r, 200, rep);
		json_object_put(rep);
	}
	json_object_put(req);
out:
	explicit_bzero(c.key, sizeof(c.key));
}

/* GET /api/v1/campaigns/<id>, POST /api/v1/campaigns/<id>/buy. */
void
page_api_campaign_v1(struct http_req *r)
{
	int64_t	 id;
	int	 post = strcmp(r->method, "POST") == 0;

	if (market_path_id(r->path, "/api/v1/campaigns/", post ? "/buy" :
	    "", &id) != 0) {
		r->cache_control = NULL;
		api_error(r, 404, MSG_CODE_NOT_FOUND, "There is nothing at "
		    "this address.");
		return;
	}
	if (post)
		api_buy(r, id);
	else
		api_campaign_get(r, id);
}

/*
 * POST /api/v1/ads: {"nickname", "hover", "url", "image": base64 of a
 * PNG, JPEG or GIF of at most 256 KiB, "idem" optional}.  abc-worker
 * checks it all as for the form (ad_create).  Needs the scope "buy".
 */
void
page_api_ads(struct http_req *r)
{
	struct api_caller	 c;
	struct json_object	*body, *req, *rep;
	static const char *const fields[] = { "nickname", "hover", "url" };
	const char		*v, *img, *idem;
	size_t			 i;

	if (!api_auth(r, &c, API_BUY))
		return;
	if ((body = api_body(r, APIJSON_MAX)) == NULL)
		goto out;
	img = apijson_str(body, "image", API_ADS_B64_MAX);
	idem = apijson_str(body, "idem", 64);
	req = api_request(MSG_OP_AD_CREATE, &c);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((v = apijson_str(body, fields[i], 2000)) != NULL)
			json_object_object_add(req, fields[i],
			    json_object_new_string(v));
	if (img == NULL || (idem != NULL && !api_idem_ok(idem))) {
		api_error(r, 400, MSG_CODE_INVALID, "An ad needs \"nickname\", "
		    "\"hover\", \"url\" and \"image\" (base64, at most 256 KiB "
		    "decoded); \"idem\" is optional (8-64 of A-Z a-z 0-9 _ . -).");
		goto done;
	}
	json_object_object_add(req, "image", json_object_new_string(img));
	if (idem != NULL)
		json_object_object_add(req, "idem", json_object_new_string(idem));
	if (api_call(r, req, &rep) == 0) {
		api_send(r, 201, rep);
		json_object_put(rep);
	}
done:
	json_object_put(req);
	json_object_put(body);
out:
	explicit_bzero(c.key, sizeof(c.key));
}

/* Anything else under /api/v1/: a JSON 404. */
void
page_api_none(struct http_req *r)
{
	r->cache_control = NULL;
	api_error(r, 404, MSG_CODE_NOT_FOUND, "There is nothing at this "
	    "address.");
}
