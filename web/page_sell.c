/*
 * Selling and ads (SPEC 4.3, 4.4, 9): /sell creates a campaign, /ads lists
 * the user's ads and uploads a new one (multipart/form-data, the image's
 * type and size read from its bytes by common/image.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "client.h"
#include "field.h"
#include "http.h"
#include "image.h"
#include "market.h"
#include "money.h"
#include "msg.h"
#include "multipart.h"
#include "route.h"
#include "template.h"
#include "xmalloc.h"

#define SELL_UPLOAD_MAX	(300u * 1024u)	/* image + fields */
#define SELL_IMAGE_MAX	(256u * 1024u)

static void	sell_form_at(struct http_req *, int, const char *,
		    const char *);

/* Renders the sell form again with error and what was typed. */
static void
sell_form(struct http_req *r, int status, const char *error)
{
	sell_form_at(r, status, NULL, error);
}

/*
 * The same with the error tied to the input named field (err_<field> in
 * the template; NULL: the form as a whole).
 */
static void
sell_form_at(struct http_req *r, int status, const char *field,
    const char *error)
{
	static const char *const keys[] = { "name", "description", "width",
	    "height", "min_price", "slot_hours", "slot_seconds", NULL };
	struct tpl_val	*v;
	const char	*s;
	char		 idem[HTTP_IDEM_LEN + 1], key[32];
	size_t		 i;

	v = http_page(r, "Sell ad space");
	tpl_put_str(v, "error", error != NULL ? error : "");
	for (i = 0; keys[i] != NULL; i++) {
		snprintf(key, sizeof(key), "err_%s", keys[i]);
		tpl_put_str(v, key, field != NULL && error != NULL &&
		    strcmp(field, keys[i]) == 0 ? error : "");
	}
	for (i = 0; keys[i] != NULL; i++)
		tpl_put_str(v, keys[i], (s = form_get(&r->form, keys[i])) !=
		    NULL ? s : "");
	if (http_idem_ok(s = form_get(&r->form, "idem")))
		snprintf(idem, sizeof(idem), "%s", s);
	else
		http_new_idem(idem);
	tpl_put_str(v, "idem", idem);
	tpl_put_bool(v, "allow_short", r->app->allow_short_slots);
	(void)http_render(r, status, "sell", v);
	tpl_val_free(v);
}

/* Reads a positive integer field of at most max; 0 or -1. */
static int
sell_int(struct http_req *r, const char *name, int64_t max, int64_t *out)
{
	const char	*s = form_get(&r->form, name);

	if (s == NULL || *s == '\0' || strlen(s) > 12 ||
	    strspn(s, "0123456789") != strlen(s))
		return -1;
	*out = strtoll(s, NULL, 10);
	return *out >= 1 && *out <= max ? 0 : -1;
}

/* The slot length in ms from slot_hours (or slot_seconds in test mode). */
static int
sell_slot_ms(struct http_req *r, int64_t *ms)
{
	const char	*sec = form_get(&r->form, "slot_seconds");
	int64_t		 n;

	if (r->app->allow_short_slots && sec != NULL && *sec != '\0') {
		if (sell_int(r, "slot_seconds", 30 * 86400, &n) != 0)
			return -1;
		*ms = n * 1000;
		return 0;
	}
	if (sell_int(r, "slot_hours", 720, &n) != 0)
		return -1;
	*ms = n * 3600000;
	return 0;
}

/*
 * Checks form field f (absent counts as empty); NULL, or the message
 * that names it and its bound.
 */
static const char *
sell_text(struct http_req *r, enum field_id f)
{
	const char	*s = form_get(&r->form, field_name(f));

	if (s == NULL)
		s = "";
	return field_check(f, (const uint8_t *)s, strlen(s));
}

/* POST /sell. */
static void
sell_post(struct http_req *r)
{
	struct json_object	*req, *rep = NULL;
	const char		*min = form_get(&r->form, "min_price");
	const char		*bad;
	char			 loc[48];
	int64_t			 w, h, slot, sat, id;
	enum money_err		 me;

	if ((bad = sell_text(r, FIELD_CAMPAIGN_NAME)) != NULL ||
	    (bad = sell_text(r, FIELD_CAMPAIGN_DESC)) != NULL) {
		sell_form(r, 400, bad);
		return;
	}
	if (sell_int(r, "width", 4096, &w) || sell_int(r, "height", 4096, &h)) {
		sell_form_at(r, 400, sell_int(r, "width", 4096, &w) != 0 ?
		    "width" : "height", "Width and height are whole pixels, "
		    "1 to 4096.");
		return;
	}
	me = min != NULL ? money_parse_btc(min, strlen(min), &sat) :
	    MONEY_EEMPTY;
	if (me != MONEY_OK || sat < 1) {
		sell_form_at(r, 400, "min_price", me != MONEY_OK ?
		    money_strerror(me) : "the minimum price is at least 1 "
		    "satoshi (0.00000001)");
		return;
	}
	if (sell_slot_ms(r, &slot) != 0) {
		sell_form_at(r, 400, "slot_hours", "A slot lasts 1 to 720 "
		    "hours.");
		return;
	}
	req = msg_request_new(MSG_OP_CAMPAIGN_CREATE);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	json_object_object_add(req, "name", json_object_new_string(
	    form_get(&r->form, "name") ? form_get(&r->form, "name") : ""));
	json_object_object_add(req, "description", json_object_new_string(
	    form_get(&r->form, "description") ? form_get(&r->form,
	    "description") : ""));
	json_object_object_add(req, "width", json_object_new_int64(w));
	json_object_object_add(req, "height", json_object_new_int64(h));
	json_object_object_add(req, "min_price", json_object_new_int64(sat));
	json_object_object_add(req, "slot_ms", json_object_new_int64(slot));
	if (form_get(&r->form, "idem") != NULL)
		json_object_object_add(req, "idem", json_object_new_string(
		    form_get(&r->form, "idem")));
	if (http_call(r, req, &rep) == 0) {
		if (msg_get_int(rep, "id", &id) == 0) {
			market_forget(r, id);
			snprintf(loc, sizeof(loc), "/c/%lld", (long long)id);
			(void)http_redirect(r, loc);
		} else
			sell_form_at(r, http_failed_status(rep, 400), "name",
			    msg_get_str(rep, "error") ? msg_get_str(rep,
			    "error") : "That did not work.");
		json_object_put(rep);
	}
	json_object_put(req);
}

/* GET/POST /sell. */
void
page_sell(struct http_req *r)
{
	if (strcmp(r->method, "POST") == 0) {
		if (http_read_form(r) != 0 || !http_csrf_check(r))
			return;
	}
	if (!http_post_session(r))
		return;
	if (strcmp(r->method, "POST") == 0)
		sell_post(r);
	else
		sell_form(r, 200, NULL);
}

/*
 * Copies the upload's idempotency key into idem (HTTP_IDEM_LEN + 1
 * bytes); 1 when m carries a well-formed one, else 0.
 */
static int
ads_idem(const struct multipart *m, char *idem)
{
	const struct mp_part	*p;

	p = m != NULL ? multipart_get(m, "idem") : NULL;
	if (p == NULL || p->len != HTTP_IDEM_LEN)
		return 0;
	memcpy(idem, p->data, HTTP_IDEM_LEN);
	idem[HTTP_IDEM_LEN] = '\0';
	return http_idem_ok(idem);
}

/* Renders /ads: the user's ads and the upload form (error or notice). */
static void
ads_page(struct http_req *r, int status, const char *error,
    const char *notice, const struct multipart *m)
{
	static const char *const keys[] = { "nickname", "hover", "url",
	    "image", NULL };
	static const char *const typed[] = { "nickname", "hover", "url", NULL };
	struct market_ads_q	 q;
	struct json_object	*rep = NULL, *ads = NULL, *a;
	struct tpl_val		*v, *list, *row;
	const struct mp_part	*p;
	const char		*s;
	char			 idem[HTTP_IDEM_LEN + 1];
	int64_t			 n;
	size_t			 i, k;

	memset(&q, 0, sizeof(q));
	if (http_page_cursor(r, &q.before, &q.after) != 0) {
		(void)http_error(r, 400, "That is not a page of your ads.");
		return;
	}
	v = http_page(r, "Your ads");
	tpl_put_str(v, "error", error != NULL ? error : "");
	tpl_put_str(v, "notice", notice != NULL ? notice : "");
	for (k = 0; typed[k] != NULL; k++) {
		p = m != NULL ? multipart_get(m, typed[k]) : NULL;
		tpl_put_strn(v, typed[k], p != NULL ? (const char *)p->data :
		    "", p != NULL ? p->len : 0);
	}
	/* A form shown again after an error keeps its key: one upload. */
	if (!ads_idem(m, idem))
		http_new_idem(idem);
	tpl_put_str(v, "idem", idem);
	list = tpl_put_list(v, "ads");
	if (market_my_ads(r, &q, &rep) == LOOKUP_UNKNOWN) {
		/* Not "you have no ads": they could not be read. */
		tpl_put_bool(v, "ads_unknown", 1);
		if (error == NULL)
			tpl_put_str(v, "error", "Your ads could not be read "
			    "just now; reload in a moment.");
		if (error == NULL && notice == NULL)
			status = 503;
	}
	if (rep != NULL && json_object_object_get_ex(rep, "ads", &ads))
		for (i = 0; i < json_object_array_length(ads); i++) {
			a = json_object_array_get_idx(ads, i);
			row = tpl_list_add(list);
			for (k = 0; keys[k] != NULL; k++)
				tpl_put_str(row, keys[k], (s = msg_get_str(a,
				    keys[k])) != NULL ? s : "");
			(void)msg_get_int(a, "width", &n);
			tpl_put_int(row, "width", n);
			(void)msg_get_int(a, "height", &n);
			tpl_put_int(row, "height", n);
		}
	tpl_put_bool(v, "has_ads", ads != NULL &&
	    json_object_array_length(ads) > 0);
	http_pager(v, "pager", "/ads", rep, "ads");
	json_object_put(rep);
	(void)http_render(r, status, "ads", v);
	tpl_val_free(v);
}

/* Answers an error page; returns -1 for early exits. */
static int
ads_fail(struct http_req *r, int status, const char *message)
{
	(void)http_error(r, status, message);
	return -1;
}

/*
 * Reads a multipart body of at most SELL_UPLOAD_MAX bytes into *body and
 * parses it into m.  Returns 0, or -1 after answering (413, 415, 400).
 */
static int
ads_read(struct http_req *r, uint8_t **body, struct multipart *m)
{
	const char	*type, *lenp;
	char		 boundary[80], *end;
	unsigned long	 len;
	enum mp_err	 e;

	type = FCGX_GetParam("CONTENT_TYPE", r->fcgi->envp);
	lenp = FCGX_GetParam("CONTENT_LENGTH", r->fcgi->envp);
	if (type == NULL || multipart_boundary(type, boundary,
	    sizeof(boundary)) != 0)
		return ads_fail(r, 415, "Upload the ad with the form on this "
		    "page (multipart/form-data).");
	len = lenp != NULL ? strtoul(lenp, &end, 10) : 0;
	if (lenp == NULL || *end != '\0' || len == 0)
		return ads_fail(r, 400, "The upload came without a length.");
	if (len > SELL_UPLOAD_MAX)
		return ads_fail(r, 413, "The upload is too large: images "
		    "are at most 256 KiB.");
	*body = xmalloc(len);
	if (FCGX_GetStr((char *)*body, (int)len, r->fcgi->in) != (int)len)
		return ads_fail(r, 400, "The upload arrived incomplete.");
	if ((e = multipart_parse(*body, len, boundary, m)) != MP_OK)
		return ads_fail(r, 400, multipart_strerror(e));
	return 0;
}

/* Copies part name as a NUL-terminated string into the request. */
static void
ads_field(struct json_object *req, const struct multipart *m,
    const char *name)
{
	const struct mp_part	*p = multipart_get(m, name);

	json_object_object_add(req, name, json_object_new_string_len(
	    p != NULL ? (const char *)p->data : "", p != NULL ? (int)p->len :
	    0));
}

/*
 * Checks the typed fields of an ad; NULL, or the message naming the
 * first one out of bounds (an absent part counts as empty).
 */
static const char *
ads_check(const struct multipart *m)
{
	static const enum field_id	 fields[] = { FIELD_AD_NICKNAME,
					    FIELD_AD_HOVER, FIELD_AD_URL };
	const struct mp_part		*p;
	const char			*bad;
	size_t				 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		p = multipart_get(m, field_name(fields[i]));
		if ((bad = field_check(fields[i], p != NULL ? p->data :
		    (const uint8_t *)"", p != NULL ? p->len : 0)) != NULL)
			return bad;
	}
	return NULL;
}

/* Checks the fields and the image, then sends the ad to abc-worker. */
static void
ads_post(struct http_req *r, const struct multipart *m)
{
	const struct mp_part	*img = multipart_get(m, "image");
	struct json_object	*req, *rep = NULL;
	struct image_info	 ii;
	const char		*bad;
	char			*b64, idem[HTTP_IDEM_LEN + 1];
	int			 ok = 0;

	if ((bad = ads_check(m)) != NULL) {
		ads_page(r, 400, bad, NULL, m);
		return;
	}
	if (img == NULL || img->len == 0) {
		ads_page(r, 400, "Choose an image file.", NULL, m);
		return;
	}
	if (img->len > SELL_IMAGE_MAX || image_probe(img->data, img->len,
	    &ii) != 0) {
		ads_page(r, img->len > SELL_IMAGE_MAX ? 413 : 400, "The image "
		    "must be a PNG, JPEG or GIF file of at most 256 KiB.", NULL,
		    m);
		return;
	}
	b64 = xmalloc(4 * ((img->len + 2) / 3) + 1);
	(void)EVP_EncodeBlock((unsigned char *)b64, img->data, (int)img->len);
	req = msg_request_new(MSG_OP_AD_CREATE);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	ads_field(req, m, "nickname");
	ads_field(req, m, "hover");
	ads_field(req, m, "url");
	if (ads_idem(m, idem))
		json_object_object_add(req, "idem", json_object_new_string(
		    idem));
	json_object_object_add(req, "image", json_object_new_string(b64));
	free(b64);
	if (http_call(r, req, &rep) == 0) {
		if (msg_get_bool(rep, "ok", &ok) == 0 && ok)
			ads_page(r, 200, NULL, "Your ad is uploaded.", NULL);
		else
			ads_page(r, http_failed_status(rep, 400),
			    msg_get_str(rep, "error") ? msg_get_str(rep,
			    "error") : "That did not work.", NULL, m);
		json_object_put(rep);
	}
	json_object_put(req);
}

/* GET/POST /ads. */
void
page_ads(struct http_req *r)
{
	struct multipart	 m;
	const struct mp_part	*csrf;
	uint8_t			*body = NULL;
	char			 sent[33];

	memset(&m, 0, sizeof(m));
	if (strcmp(r->method, "POST") == 0) {
		if (ads_read(r, &body, &m) != 0)
			goto out;
		csrf = multipart_get(&m, "csrf");
		snprintf(sent, sizeof(sent), "%.*s", csrf != NULL &&
		    csrf->len < sizeof(sent) ? (int)csrf->len : 0,
		    csrf != NULL ? (const char *)csrf->data : "");
		if (!http_csrf_check_value(r, sent))
			goto out;
	}
	if (!http_post_session(r))
		goto out;
	if (strcmp(r->method, "POST") == 0)
		ads_post(r, &m);
	else
		ads_page(r, 200, NULL, NULL, NULL);
out:
	multipart_clear(&m);
	free(body);
}
