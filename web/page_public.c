/*
 * The pages other sites and scripts read: /embed/<id> (the ad on display,
 * for an iframe, switching at slot boundaries by itself, each view
 * counted: web/counter.h), /api/c/<id>.json
 * (the campaign's state with the price now and the server's clock, ETag
 * and 304) and /img/<sha256> (ad images, immutable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cache.h"
#include "cachekey.h"
#include "client.h"
#include "clock.h"
#include "counter.h"
#include "http.h"
#include "market.h"
#include "msg.h"
#include "route.h"
#include "statsbatch.h"
#include "template.h"
#include "xmalloc.h"

#define PUBLIC_IMAGE_MAX	(256u * 1024u)

/*
 * The viewer's keyed hash for the unique-viewer sketches: HMAC-SHA256 of
 * the day and the client address under the site's shared secret (the
 * CSRF key, which every abc-web has and which outlives a restart, so two
 * abc-webs and a restarted one hash a viewer alike; the "viewer" prefix
 * keeps it apart from CSRF tokens).  Only the first 64 bits go on, into
 * a register's maximum: no address can be read back.
 */
static uint64_t
public_viewer_hash(const struct http_req *r, int64_t now)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 msg[160];
	uint64_t	 h = 0;
	int		 n, i;

	n = snprintf(msg, sizeof(msg), "viewer\n%lld\n%s",
	    (long long)(now / STATSBATCH_DAY_MS), r->addr);
	if (n < 0 || (size_t)n >= sizeof(msg) || HMAC(EVP_sha256(),
	    r->app->csrf_key.secret, (int)r->app->csrf_key.len,
	    (const unsigned char *)msg, (size_t)n, md, &mdlen) == NULL ||
	    mdlen < 8)
		return 0;
	for (i = 0; i < 8; i++)
		h = h << 8 | md[i];
	return h;
}

/*
 * Counts a view of the slot d on display (issue 15): an impression in the
 * minute of now and the slot's time bucket as seen (liveness), in memory
 * only (web/counter.h flushes them).
 */
static void
public_count_view(struct http_req *r, int64_t id, struct json_object *d,
    int64_t now)
{
	int64_t	 idx, start, end;

	if (msg_get_int(d, "idx", &idx) == 0 &&
	    msg_get_int(d, "start_ms", &start) == 0 &&
	    msg_get_int(d, "end_ms", &end) == 0) {
		(void)counter_hit(r->app->counter, id, idx, now, 1, 0,
		    statsbatch_bucket(start, end, now));
		(void)counter_viewer(r->app->counter, id, idx, now,
		    public_viewer_hash(r, now));
	}
}

/*
 * GET /embed/<id>.  Never kept by nginx's microcache: every fetch must
 * reach this counter (an impression, and the liveness of the slot); the
 * campaign's state comes from abc-web's own cache, so it stays cheap.  An
 * unknown campaign is an empty box (404), not the site's error page.
 */
void
page_embed(struct http_req *r)
{
	static const char *const keys[] = { "nickname", "hover", "image",
	    NULL };
	struct json_object	*st = NULL, *d;
	struct tpl_val		*v, *dv;
	int64_t			 id, now = clock_real_ms(), next, n = 0;
	const char		*s;
	enum app_err		 why;
	enum lookup		 lk;
	size_t			 i;

	r->frameable = 1;
	lk = market_path_id(r->path, "/embed/", "", &id) != 0 ? LOOKUP_ABSENT :
	    market_campaign_lookup(r, id, &st, &why);
	if (lk == LOOKUP_UNKNOWN) {
		(void)http_unknown(r, why);
		return;
	}
	v = tpl_obj_new();
	if (lk == LOOKUP_ABSENT) {
		(void)http_render(r, 404, "embed_empty", v);
		tpl_val_free(v);
		return;
	}
	tpl_put_int(v, "id", id);
	(void)msg_get_int(st, "width", &n);
	tpl_put_int(v, "width", n);
	(void)msg_get_int(st, "height", &n);
	tpl_put_int(v, "height", n);
	d = market_on_display(st, now);
	tpl_put_bool(v, "has_display", d != NULL);
	if (d != NULL) {
		dv = tpl_put_obj(v, "display");
		for (i = 0; keys[i] != NULL; i++)
			tpl_put_str(dv, keys[i], (s = msg_get_str(d,
			    keys[i])) != NULL ? s : "");
		/* The click goes through /go/ (counted, then 303). */
		(void)msg_get_int(d, "idx", &n);
		tpl_put_int(dv, "idx", n);
		public_count_view(r, id, d, now);
	}
	/* Reload at the next boundary; with nothing queued, now and then. */
	next = market_next_boundary(st, now);
	n = next == -1 ? 60 : (next - now + 999) / 1000;
	tpl_put_int(v, "refresh", n < 1 ? 1 : n > 3600 ? 3600 : n);
	(void)http_render(r, 200, "embed", v);
	tpl_val_free(v);
	json_object_put(st);
}

/* Adds the price now, the server's clock and the queue to a copy of st. */
static struct json_object *
public_api_doc(struct json_object *st, int64_t now)
{
	struct json_object	*doc;
	char			 btc[32];
	int64_t			 price = market_price(st, now);

	doc = json_object_get(st);
	json_object_object_add(doc, "price_now", json_object_new_int64(price));
	market_btc(price, btc, sizeof(btc));
	json_object_object_add(doc, "price_now_btc", json_object_new_string(btc));
	json_object_object_add(doc, "server_time_ms",
	    json_object_new_int64(now));
	return doc;
}

/*
 * Sends doc as JSON with <, > and & written as \u escapes (they can only
 * occur inside strings), so that no text a user chose can ever look like
 * markup, even to a careless consumer.
 */
static void
public_send_json(struct http_req *r, struct json_object *doc)
{
	const char	*text, *p;
	struct buf	 out;

	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	buf_init(&out, 16u * 1024 * 1024);
	for (p = text; *p != '\0'; p++)
		if (*p == '<' || *p == '>' || *p == '&')
			(void)buf_printf(&out, "\\u%04x", (unsigned char)*p);
		else
			(void)buf_add(&out, p, 1);
	(void)http_send(r, 200, "application/json", out.data, out.len);
	buf_clear(&out);
}

/* GET /api/c/<id>.json, with an ETag over the state (not the clock). */
void
page_api_campaign(struct http_req *r)
{
	struct json_object	*st, *doc;
	const char		*text, *inm;
	unsigned char		 md[32];
	unsigned int		 mdlen = sizeof(md);
	char			 etag[24];
	int64_t			 id;

	http_edge_cacheable(r);
	if (market_path_id(r->path, "/api/c/", ".json", &id) != 0) {
		(void)http_error(r, 404, "There is nothing at this address.");
		return;
	}
	if ((st = market_campaign(r, id)) == NULL)
		return;
	text = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
	(void)EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	snprintf(etag, sizeof(etag), "\"%02x%02x%02x%02x%02x%02x%02x%02x\"",
	    md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
	(void)buf_printf(&r->headers, "ETag: %s\r\n", etag);
	r->cache_control = "no-cache";
	inm = FCGX_GetParam("HTTP_IF_NONE_MATCH", r->fcgi->envp);
	if (inm != NULL && strcmp(inm, etag) == 0) {
		(void)http_send(r, 304, "application/json", "", 0);
		json_object_put(st);
		return;
	}
	doc = public_api_doc(st, clock_real_ms());
	public_send_json(r, doc);
	json_object_put(doc);
	json_object_put(st);
}

/* Decodes base64 b64 into a new buffer; NULL when malformed. */
static unsigned char *
public_unbase64(const char *b64, size_t *len)
{
	unsigned char	*raw;
	size_t		 n = strlen(b64);
	int		 got;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > PUBLIC_IMAGE_MAX + 3)
		return NULL;
	raw = malloc(n / 4 * 3 + 1);
	if (raw == NULL || (got = EVP_DecodeBlock(raw,
	    (const unsigned char *)b64, (int)n)) < 0) {
		free(raw);
		return NULL;
	}
	*len = (size_t)got - (b64[n - 1] == '=') - (b64[n - 2] == '=');
	return raw;
}

/*
 * Fetches image sha from abc-worker into a cache value: the MIME type, a
 * NUL, then the bytes, in *val (a new buffer, *len set) when FOUND.  ABSENT
 * only when abc-worker's read found no such image; UNKNOWN (*why set)
 * when it could not tell or sent what does not decode.
 */
static enum lookup
public_fetch_image(struct http_req *r, const char *sha, char **val,
    size_t *len, enum app_err *why)
{
	struct json_object	*req, *rep = NULL, *img;
	const char		*mime, *b64;
	unsigned char		*raw;
	enum lookup		 lk;
	size_t			 n;

	*val = NULL;
	req = msg_request_new(MSG_OP_IMAGE_GET);
	json_object_object_add(req, "sha256", json_object_new_string(sha));
	*why = client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    &rep);
	lk = *why == APP_OK ? msg_reply_lookup(rep, MSG_CODE_NO_IMAGE) :
	    LOOKUP_UNKNOWN;
	if (lk == LOOKUP_FOUND && (img = msg_get_obj(rep, "image")) != NULL &&
	    (mime = msg_get_str(img, "mime")) != NULL &&
	    (b64 = msg_get_str(img, "data")) != NULL &&
	    (raw = public_unbase64(b64, &n)) != NULL) {
		*len = strlen(mime) + 1 + n;
		*val = xmalloc(*len + 1);
		memcpy(*val, mime, strlen(mime) + 1);
		memcpy(*val + strlen(mime) + 1, raw, n);
		free(raw);
	} else if (lk == LOOKUP_FOUND)
		lk = LOOKUP_UNKNOWN;
	if (lk == LOOKUP_UNKNOWN && *why == APP_OK)
		*why = APP_EDB;
	json_object_put(req);
	json_object_put(rep);
	return lk;
}

/* GET /img/<sha256>: immutable, so cached here and by browsers for good. */
void
page_img(struct http_req *r)
{
	const char	*sha = r->path + strlen("/img/"), *inm;
	char		 key[CACHE_KEY_MAX], etag[70], *val;
	size_t		 len = 0, mlen = 0;
	uint64_t	 gen;
	enum lookup	 lk = LOOKUP_FOUND;
	enum app_err	 why = APP_OK;

	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64) {
		(void)http_error(r, 404, "There is no such image.");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", sha);
	(void)buf_printf(&r->headers, "ETag: %s\r\n", etag);
	r->cache_control = "public, max-age=31536000, immutable";
	inm = FCGX_GetParam("HTTP_IF_NONE_MATCH", r->fcgi->envp);
	if (inm != NULL && strcmp(inm, etag) == 0) {
		(void)http_send(r, 304, "image/png", "", 0);
		return;
	}
	cachekey_image(key, sha);
	if ((val = cache_get(r->app->cache, key, INT64_MAX / 2,
	    clock_mono_ms(), &len)) == NULL) {
		gen = cache_gen(r->app->cache);	/* before asking: cache.h */
		lk = public_fetch_image(r, sha, &val, &len, &why);
		if (lk == LOOKUP_FOUND)
			(void)cache_put(r->app->cache, key, val, len,
			    clock_mono_ms(), gen);
	}
	if (lk == LOOKUP_FOUND && (mlen = strnlen(val, len)) >= len)
		lk = LOOKUP_UNKNOWN;	/* a value we never store */
	r->cache_control = lk == LOOKUP_FOUND ? r->cache_control : NULL;
	switch (lk) {
	case LOOKUP_FOUND:
		(void)http_send(r, 200, val, val + mlen + 1, len - mlen - 1);
		break;
	case LOOKUP_ABSENT:
		(void)http_error(r, 404, "There is no such image.");
		break;
	case LOOKUP_UNKNOWN:
		(void)http_unknown(r, why);
		break;
	}
	free(val);
}
