/*
 * The marketplace requests (SPEC 4.3, 4.4): campaigns, ads and their
 * images, and purchases.  A purchase is one durable SQL call
 * (sql/functions/camp_purchase.sql) that checks the session, computes the
 * price at the database's clock with common/price.c's integer formula,
 * and applies slot, transfers and campaign together, in the worker's
 * group commit; a loser learns from the same answer what the next slot
 * costs now.  Every change is broadcast as "campaign_changed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "clock.h"
#include "db.h"
#include "field.h"
#include "image.h"
#include "listpage.h"
#include "abc_limits.h"
#include "log.h"
#include "msg.h"
#include "ops.h"
#include "xmalloc.h"

/* Most slots a campaign's price needs: only the last one matters. */
#define MARKET_IMAGE_MAX	(256u * 1024u)

int
req_market_owns(enum msg_op op)
{
	return (op >= MSG_OP_CAMPAIGN_CREATE && op <= MSG_OP_IMAGE_GET) ||
	    op == MSG_OP_MY_CAMPAIGNS;
}

/* Reads an integer request field; 0 or -1. */
static int
mkt_int(struct call *c, const char *key, int64_t *out)
{
	return msg_get_int(c->req, key, out);
}

/* Broadcasts that campaign id changed (a sale, or a new campaign). */
static void
mkt_changed(struct call *c, int64_t id)
{
	struct json_object	*n;

	n = json_object_new_object();
	json_object_object_add(n, "kind",
	    json_object_new_string("campaign_changed"));
	json_object_object_add(n, "campaign", json_object_new_int64(id));
	ops_notice(c, n);
	json_object_put(n);
}

/* Answers that the campaign or image the read looked for does not exist. */
static void
mkt_absent(struct call *c)
{
	if (c->op == MSG_OP_IMAGE_GET)
		ops_fail(c, MSG_CODE_NO_IMAGE, "There is no such image.");
	else
		ops_fail(c, MSG_CODE_NO_CAMPAIGN, "There is no such campaign.");
}

/*
 * Finishes with a JSON reply the database returned as text: absent only
 * when the read ran and found nothing; a read that failed, or returned
 * what does not parse, is "unavailable".
 */
static void
mkt_json_reply(struct call *c, struct db_job *dj, const char *member)
{
	struct json_object	*rep, *v = NULL;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];

	switch (db_job_lookup(dj)) {
	case LOOKUP_ABSENT:
		mkt_absent(c);
		return;
	case LOOKUP_FOUND:
		if ((v = msg_parse_json((const uint8_t *)text, strlen(text),
		    err, sizeof(err))) == NULL)
			log_error("db_reply", "op=%s error=\"%s\"",
			    msg_op_name(c->op), err);
		break;
	case LOOKUP_UNKNOWN:
		break;
	}
	if (v == NULL) {
		ops_unavailable(c);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, member, v);
	json_object_object_add(rep, "now_ms",
	    json_object_new_int64(clock_real_ms()));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* campaign_create: checks the fields, then one durable SQL call. */
static void
mkt_create(struct call *c, struct db_job *dj)
{
	const char	*name = msg_get_str(c->req, "name");
	const char	*desc = msg_get_str(c->req, "description");
	int64_t		 w, h, min, slot;
	struct db_job	*j;

	if (c->stage <= 1) {
		if (req_session_user(c, dj) != 1)
			return;
		if (name == NULL || desc == NULL ||
		    field_check(FIELD_CAMPAIGN_NAME, (const uint8_t *)name,
		    strlen(name)) != NULL || field_check(FIELD_CAMPAIGN_DESC,
		    (const uint8_t *)desc, strlen(desc)) != NULL ||
		    mkt_int(c, "width", &w) || mkt_int(c, "height", &h) ||
		    mkt_int(c, "min_price", &min) ||
		    mkt_int(c, "slot_ms", &slot) || w < 1 || w > 4096 ||
		    h < 1 || h > 4096 || !price_valid_campaign(min, slot,
		    ops_cfg(c)->allow_short_slots)) {
			ops_fail(c, "invalid", "A campaign needs a name (at most "
			    "80 characters), a size of 1-4096 pixels each way, "
			    "a minimum price of at least 1 satoshi and a slot "
			    "length of 1 hour to 30 days.");
			return;
		}
		j = db_job_new("SELECT camp_create($1, $2, $3, $4, $5, $6, $7, "
		    "$8, $9, $10, $11, $12)", 1, NULL, 0);
		db_job_param(j, c->client);
		db_job_paramf(j, "%" PRId64, c->epoch);
		db_job_paramf(j, "%" PRIu64, c->req_no);
		db_job_param(j, msg_get_str(c->req, "idem"));
		db_job_paramf(j, "%" PRId64, c->user_id);
		db_job_param(j, name);
		db_job_param(j, desc);
		db_job_paramf(j, "%" PRId64, w);
		db_job_paramf(j, "%" PRId64, h);
		db_job_paramf(j, "%" PRId64, min);
		db_job_paramf(j, "%" PRId64, slot);
		db_job_paramf(j, "%d", ops_cfg(c)->quota_campaigns);
		ops_db(c, j);
		return;
	}
	ops_finish_stored(c, dj);
}

/* Decodes the request's base64 "image" into a new buffer; NULL if bad. */
static uint8_t *
mkt_image(struct call *c, size_t *len)
{
	const char	*b64 = msg_get_str(c->req, "image");
	uint8_t		*raw;
	size_t		 n;
	int		 got;

	if (b64 == NULL || (n = strlen(b64)) == 0 || n % 4 != 0 ||
	    n / 4 * 3 > MARKET_IMAGE_MAX + 3)
		return NULL;
	raw = xmalloc(n / 4 * 3 + 1);
	if ((got = EVP_DecodeBlock(raw, (const unsigned char *)b64,
	    (int)n)) < 0) {
		free(raw);
		return NULL;
	}
	*len = (size_t)got - (b64[n - 1] == '=') - (b64[n - 2] == '=');
	if (*len > MARKET_IMAGE_MAX) {
		free(raw);
		return NULL;
	}
	return raw;
}

/* Queues the ad's SQL: the image by hash, checked again here. */
static void
mkt_ad_insert(struct call *c, const uint8_t *img, size_t len,
    const struct image_info *ii)
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 md[32];
	char			 sha[65];
	unsigned int		 mdlen = sizeof(md);
	struct db_job		*j;
	size_t			 i;

	(void)EVP_Digest(img, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		sha[2 * i] = hex[md[i] >> 4];
		sha[2 * i + 1] = hex[md[i] & 15];
	}
	sha[64] = '\0';
	j = db_job_new("SELECT ad_create($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	    "$10, $11)", 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, c->user_id);
	db_job_param(j, msg_get_str(c->req, "nickname"));
	db_job_param(j, msg_get_str(c->req, "hover"));
	db_job_param(j, msg_get_str(c->req, "url"));
	db_job_param(j, sha);
	db_job_param(j, image_mime(ii->type));
	db_job_paramf(j, "%" PRIu32, ii->width);
	db_job_paramf(j, "%" PRIu32, ii->height);
	db_job_param_hex(j, img, len);
	db_job_paramf(j, "%d", ops_cfg(c)->quota_ads);
	db_job_paramf(j, "%" PRId64, ops_cfg(c)->quota_image_bytes);
	ops_db(c, j);
}

/* Checks an ad's text fields as abc-web did; NULL or the message. */
static const char *
mkt_ad_fields(struct call *c)
{
	static const enum field_id	 fields[] = { FIELD_AD_NICKNAME,
					    FIELD_AD_HOVER, FIELD_AD_URL };
	const char			*s, *bad;
	size_t				 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		s = msg_get_str(c->req, field_name(fields[i]));
		if ((bad = field_check(fields[i], (const uint8_t *)s,
		    strlen(s))) != NULL)
			return bad;
	}
	return NULL;
}

/* ad_create: the user's new ad; the image's type and size from bytes. */
static void
mkt_ad(struct call *c, struct db_job *dj)
{
	const char		*bad;
	struct image_info	 ii;
	uint8_t			*img;
	size_t			 len = 0;

	if (c->stage > 1) {
		ops_finish_stored(c, dj);
		return;
	}
	if (req_session_user(c, dj) != 1)
		return;
	if (msg_get_str(c->req, "nickname") == NULL ||
	    msg_get_str(c->req, "hover") == NULL ||
	    msg_get_str(c->req, "url") == NULL) {
		ops_fail(c, "invalid", "An ad needs a nickname, hover text, a "
		    "link and an image.");
		return;
	}
	if ((bad = mkt_ad_fields(c)) != NULL) {
		ops_fail(c, "invalid", bad);
		return;
	}
	if ((img = mkt_image(c, &len)) == NULL ||
	    image_probe(img, len, &ii) != 0) {
		free(img);
		ops_fail(c, "bad_image", "The image must be a PNG, JPEG or GIF "
		    "file of at most 256 KiB.");
		return;
	}
	mkt_ad_insert(c, img, len, &ii);
	free(img);
}

/* Adds the optional integer filter key of the request as a parameter. */
static void
mkt_filter_param(struct call *c, struct db_job *j, const char *key)
{
	int64_t	 v;

	if (msg_get_int(c->req, key, &v) == 0)
		db_job_paramf(j, "%" PRId64, v);
	else
		db_job_param(j, NULL);
}

/*
 * my_ads: a page of the user's ads with their image sizes, newest first
 * ("before"/"after" an id), optionally only those of a size ("width" and
 * "height") or one ad ("id").
 */
static void
mkt_my_ads(struct call *c, struct db_job *dj)
{
	struct listpage_cur	 cur;
	struct json_object	*rep;
	struct db_job		*j;
	char			 cp[24];

	if (listpage_cursor(c->req, &cur) != 0) {
		ops_fail(c, "invalid", "No such page.");
		return;
	}
	if (c->stage <= 1) {
		if (req_session_user(c, dj) != 1)
			return;
		listpage_cursor_param(&cur, cp, sizeof(cp));
		j = db_job_new(listpage_sql(LISTPAGE_ADS, cur.after), 0, NULL,
		    0);
		db_job_paramf(j, "%" PRId64, c->user_id);
		db_job_param(j, cp);
		mkt_filter_param(c, j, "width");
		mkt_filter_param(c, j, "height");
		mkt_filter_param(c, j, "id");
		ops_db(c, j);
		return;
	}
	rep = msg_reply_new();
	if (listpage_fill(rep, "ads", db_job_value(dj, 0, 0), &cur) != 0)
		ops_unavailable(c);
	else
		ops_finish(c, rep);
	json_object_put(rep);
}

/*
 * my_campaigns: the session's user's campaigns, newest first, each with
 * what the list of campaigns has (the slots on display or queued and the
 * last one, for the price).  A plain read: no SQL function of its own.
 */
static void
mkt_my_campaigns(struct call *c, struct db_job *dj)
{
	struct db_job	*j;

	if (c->stage <= 1) {
		if (req_session_user(c, dj) != 1)
			return;
		j = db_job_new("SELECT coalesce(jsonb_agg(jsonb_build_object("
		    "'id', c.id, 'name', c.name, 'width', c.width, "
		    "'height', c.height, 'min_price', c.min_price, "
		    "'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold, "
		    "'slots', camp_state_slots(c.id, 1000, "
		    "(extract(epoch FROM now()) * 1000)::bigint)) "
		    "ORDER BY c.id DESC), '[]')::text FROM (SELECT * FROM "
		    "campaigns WHERE seller_id = $1 ORDER BY id DESC "
		    "LIMIT 200) c", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, c->user_id);
		ops_db(c, j);
		return;
	}
	mkt_json_reply(c, dj, "campaigns");
}

/*
 * The purchase, in one durable SQL call (camp_purchase): the session, the
 * stored answer of a repeated request, the price at the database's clock
 * (the integers of common/price.c) and the sale itself.  A refusal carries
 * the state it was decided on (next_idx, next_price), so abc-web can show
 * a lost race without another read.
 */
static void
mkt_buy_submit(struct call *c)
{
	int64_t		 camp, idx, ad, max;
	struct db_job	*j;

	if (req_session_token(c) != 0)
		return;		/* answered */
	if (mkt_int(c, "campaign", &camp) || mkt_int(c, "slot", &idx) ||
	    mkt_int(c, "ad", &ad) || mkt_int(c, "max_price", &max) ||
	    camp < 1 || ad < 1 || idx < 0 || idx > INT32_MAX || max < 1) {
		ops_fail(c, "invalid", "The purchase form is incomplete.");
		return;
	}
	j = db_job_new("SELECT camp_purchase($1, $2, $3, $4, $5, $6, $7, $8, "
	    "$9, $10, $11)", 1, NULL, 0);
	db_job_param(j, c->client);
	db_job_paramf(j, "%" PRId64, c->epoch);
	db_job_paramf(j, "%" PRIu64, c->req_no);
	db_job_param(j, msg_get_str(c->req, "idem"));
	db_job_param_hex(j, c->token_hash, sizeof(c->token_hash));
	db_job_paramf(j, "%d", ops_cfg(c)->session_ttl_s);
	db_job_paramf(j, "%" PRId64, camp);
	db_job_paramf(j, "%" PRId64, idx);
	db_job_paramf(j, "%" PRId64, ad);
	db_job_paramf(j, "%" PRId64, max);
	db_job_paramf(j, "%" PRId64, ops_cfg(c)->fee_ppm);
	ops_db(c, j);
}

/* The purchase's answer; a sale is broadcast. */
static void
mkt_buy_done(struct call *c, struct db_job *dj)
{
	struct json_object	*rep;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];
	int64_t			 camp;
	int			 ok = 0;

	if (text == NULL || (rep = msg_parse((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL) {
		ops_unavailable(c);
		return;
	}
	(void)msg_get_bool(rep, "ok", &ok);
	if (ok && mkt_int(c, "campaign", &camp) == 0)
		mkt_changed(c, camp);
	ops_finish(c, rep);
	json_object_put(rep);
}

/* buy: one durable job, then its answer. */
static void
mkt_buy(struct call *c, struct db_job *dj)
{
	if (c->stage == 0)
		mkt_buy_submit(c);
	else
		mkt_buy_done(c, dj);
}

/* campaign_get / campaign_list / image_get: plain reads. */
static void
mkt_read(struct call *c, struct db_job *dj)
{
	struct db_job	*j;
	int64_t		 id;

	if (c->stage > 0) {
		mkt_json_reply(c, dj, c->op == MSG_OP_CAMPAIGN_LIST ?
		    "campaigns" : c->op == MSG_OP_IMAGE_GET ? "image" :
		    "campaign");
		return;
	}
	if (c->op == MSG_OP_CAMPAIGN_LIST) {
		j = db_job_new("SELECT camp_list(50)", 0, NULL, 0);
	} else if (c->op == MSG_OP_IMAGE_GET) {
		j = db_job_new("SELECT jsonb_build_object('mime', mime, 'data', "
		    "translate(encode(data, 'base64'), E'\\n', ''))::text FROM "
		    "images WHERE sha256 = $1", 0, NULL, 0);
		db_job_param(j, msg_get_str(c->req, "sha256") != NULL ?
		    msg_get_str(c->req, "sha256") : "");
	} else {
		if (mkt_int(c, "id", &id) != 0) {
			ops_fail(c, "invalid", "The request names no campaign.");
			return;
		}
		j = db_job_new("SELECT camp_state($1)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, id);
	}
	ops_db(c, j);
}

/* Runs the next stage of a marketplace request (dj NULL: the start). */
void
req_market_step(struct call *c, struct db_job *dj)
{
	const char	*addr;

	if (c->stage == 0 && (addr = msg_get_str(c->req, "addr")) != NULL)
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
	switch (c->op) {
	case MSG_OP_CAMPAIGN_CREATE:
		mkt_create(c, dj);
		break;
	case MSG_OP_AD_CREATE:
		mkt_ad(c, dj);
		break;
	case MSG_OP_MY_ADS:
		mkt_my_ads(c, dj);
		break;
	case MSG_OP_MY_CAMPAIGNS:
		mkt_my_campaigns(c, dj);
		break;
	case MSG_OP_BUY:
		mkt_buy(c, dj);
		break;
	default:
		mkt_read(c, dj);
		break;
	}
}
