/*
 * The marketplace requests (SPEC 4.3, 4.4): campaigns, ads and their
 * images, and purchases.  A purchase is one durable SQL call
 * (sql/functions/camp_purchase.sql, the batch's purchases together) that
 * checks the session, computes the
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
#include "hex.h"
#include "image.h"
#include "listpage.h"
#include "abc_limits.h"
#include "log.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"
#include "xmalloc.h"

/* Most slots a campaign's price needs: only the last one matters. */
#define MARKET_IMAGE_MAX	(256u * 1024u)

/* The seller's dashboard lists this many newest campaigns (bounded). */
#define MARKET_MY_CAMPAIGNS	50

/*
 * The stages of each request: those of the session's user start with the
 * shared session read (ops_req.h), then one job of their own.
 */
enum create_stage {
	CREATE_START = REQ_START,
	CREATE_SESSION = REQ_SESSION_READ,
	CREATE_STORED = REQ_OWN_STAGES	/* camp_create answered */
};
enum ad_stage {
	AD_START = REQ_START,
	AD_SESSION = REQ_SESSION_READ,
	AD_STORED = REQ_OWN_STAGES	/* ad_create answered */
};
enum my_ads_stage {
	MY_ADS_START = REQ_START,
	MY_ADS_SESSION = REQ_SESSION_READ,
	MY_ADS_READ = REQ_OWN_STAGES	/* a page of ads read */
};
enum my_campaigns_stage {
	MY_CAMPAIGNS_START = REQ_START,
	MY_CAMPAIGNS_SESSION = REQ_SESSION_READ,
	MY_CAMPAIGNS_READ = REQ_OWN_STAGES	/* the campaigns read */
};
enum buy_stage {
	BUY_START = REQ_START,
	BUY_DONE		/* camp_purchase answered */
};
enum read_stage {
	READ_START = REQ_START,
	READ_DONE		/* camp_state, camp_list or the image */
};

/* Reads an integer request field; 0 or -1. */
static int
mkt_int(struct request *rq, const char *key, int64_t *out)
{
	return msg_get_int(rq->body, key, out);
}

/* Broadcasts that campaign id changed (a sale, or a new campaign). */
static void
mkt_changed(struct request *rq, int64_t id)
{
	struct json_object	*n;

	n = msg_notice_new(MSG_NOTICE_CAMPAIGN_CHANGED);
	json_object_object_add(n, "campaign", json_object_new_int64(id));
	ops_notice(rq, n);
	json_object_put(n);
}

/* Answers that the campaign or image the read looked for does not exist. */
static void
mkt_absent(struct request *rq)
{
	if (rq->op == MSG_OP_IMAGE_GET)
		ops_fail(rq, MSG_CODE_NO_IMAGE, "There is no such image.");
	else
		ops_fail(rq, MSG_CODE_NO_CAMPAIGN,
		    "There is no such campaign.");
}

/*
 * Finishes with a JSON reply the database returned as text: absent only
 * when the read ran and found nothing; a read that failed, or returned
 * what does not parse, is "unavailable".
 */
static void
mkt_json_reply(struct request *rq, struct db_job *dj, const char *member)
{
	struct json_object	*rep, *v = NULL;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];

	switch (db_job_lookup(dj)) {
	case LOOKUP_ABSENT:
		mkt_absent(rq);
		return;
	case LOOKUP_FOUND:
		if ((v = msg_parse_json((const uint8_t *)text, strlen(text),
		    err, sizeof(err))) == NULL)
			log_error("db_reply", "op=%s error=\"%s\"",
			    msg_op_name(rq->op), err);
		break;
	case LOOKUP_UNKNOWN:
		break;
	}
	if (v == NULL) {
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, member, v);
	json_object_object_add(rep, "now_ms",
	    json_object_new_int64(clock_real_ms()));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* campaign_create: checks the fields, then one durable SQL call. */
static void
mkt_create(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*name = msg_get_str(rq->body, "name");
	const char	*desc = msg_get_str(rq->body, "description");
	int64_t		 w, h, min, slot;
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (rq->stage != CREATE_STORED) {
		if (req_session_user(rq, dj) != 1)
			return;
		if (name == NULL || desc == NULL ||
		    field_check(FIELD_CAMPAIGN_NAME, (const uint8_t *)name,
		    strlen(name)) != NULL || field_check(FIELD_CAMPAIGN_DESC,
		    (const uint8_t *)desc, strlen(desc)) != NULL ||
		    mkt_int(rq, "width", &w) || mkt_int(rq, "height", &h) ||
		    mkt_int(rq, "min_price", &min) ||
		    mkt_int(rq, "slot_ms", &slot) || w < 1 || w > 4096 ||
		    h < 1 || h > 4096 || !price_valid_campaign(min, slot,
		    ops_cfg(rq)->allow_short_slots)) {
			ops_fail(rq, MSG_CODE_INVALID,
			    "A campaign needs a name (at most "
			    "80 characters), a size of 1-4096 pixels each way, "
			    "a minimum price of at least 1 satoshi and a slot "
			    "length of 1 hour to 30 days.");
			return;
		}
		j = req_durable_user_job(rq, "SELECT camp_create($1, $2, $3, "
		    "$4, $5, $6, $7, $8, $9, $10, $11, $12)");
		db_job_param(j, name);
		db_job_param(j, desc);
		db_job_paramf(j, "%" PRId64, w);
		db_job_paramf(j, "%" PRId64, h);
		db_job_paramf(j, "%" PRId64, min);
		db_job_paramf(j, "%" PRId64, slot);
		db_job_paramf(j, "%d", ops_cfg(rq)->quota_campaigns);
		ops_db(rq, j, CREATE_STORED);
		return;
	}
	ops_finish_stored(rq, dj);
}

/* Decodes the request's base64 "image" into a new buffer; NULL if bad. */
static uint8_t *
mkt_image(struct request *rq, size_t *len)
{
	const char	*b64 = msg_get_str(rq->body, "image");
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
mkt_ad_insert(struct request *rq, const uint8_t *img, size_t len,
    const struct image_info *ii)
{
	uint8_t			 md[32];
	char			 sha[65];
	unsigned int		 mdlen = sizeof(md);
	struct db_job		*j;

	(void)EVP_Digest(img, len, md, &mdlen, EVP_sha256(), NULL);
	hex_encode(md, 32, sha);
	j = req_durable_user_job(rq, "SELECT ad_create($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $10, $11, $12, $13, $14, $15)");
	db_job_param(j, msg_get_str(rq->body, "nickname"));
	db_job_param(j, msg_get_str(rq->body, "hover"));
	db_job_param(j, msg_get_str(rq->body, "url"));
	db_job_param(j, sha);
	db_job_param(j, image_mime(ii->type));
	db_job_paramf(j, "%" PRIu32, ii->width);
	db_job_paramf(j, "%" PRIu32, ii->height);
	db_job_param_hex(j, img, len);
	db_job_paramf(j, "%d", ops_cfg(rq)->quota_ads);
	db_job_paramf(j, "%" PRId64, ops_cfg(rq)->quota_image_bytes);
	ops_db(rq, j, AD_STORED);
}

/* Checks an ad's text fields as abc-web did; NULL or the message. */
static const char *
mkt_ad_fields(struct request *rq)
{
	static const enum field_id	 fields[] = { FIELD_AD_NICKNAME,
					    FIELD_AD_HOVER, FIELD_AD_URL };
	const char			*s, *bad;
	size_t				 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		s = msg_get_str(rq->body, field_name(fields[i]));
		if ((bad = field_check(fields[i], (const uint8_t *)s,
		    strlen(s))) != NULL)
			return bad;
	}
	return NULL;
}

/* ad_create: the user's new ad; the image's type and size from bytes. */
static void
mkt_ad(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char		*bad;
	struct image_info	 ii;
	uint8_t			*img;
	size_t			 len = 0;

	(void)kj;
	(void)cj;
	if (rq->stage == AD_STORED) {
		ops_finish_stored(rq, dj);
		return;
	}
	if (req_session_user(rq, dj) != 1)
		return;
	if (msg_get_str(rq->body, "nickname") == NULL ||
	    msg_get_str(rq->body, "hover") == NULL ||
	    msg_get_str(rq->body, "url") == NULL) {
		ops_fail(rq, MSG_CODE_INVALID,
		    "An ad needs a nickname, hover text, a "
		    "link and an image.");
		return;
	}
	if ((bad = mkt_ad_fields(rq)) != NULL) {
		ops_fail(rq, MSG_CODE_INVALID, bad);
		return;
	}
	if ((img = mkt_image(rq, &len)) == NULL ||
	    image_probe(img, len, &ii) != 0) {
		free(img);
		ops_fail(rq, MSG_CODE_BAD_IMAGE,
		    "The image must be a PNG, JPEG or GIF "
		    "file of at most 256 KiB.");
		return;
	}
	mkt_ad_insert(rq, img, len, &ii);
	free(img);
}

/* Adds the optional integer filter key of the request as a parameter. */
static void
mkt_filter_param(struct request *rq, struct db_job *j, const char *key)
{
	int64_t	 v;

	if (msg_get_int(rq->body, key, &v) == 0)
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
mkt_my_ads(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct listpage_cur	 cur;
	struct json_object	*rep;
	struct db_job		*j;
	char			 cp[24];

	(void)kj;
	(void)cj;
	if (listpage_cursor(rq->body, &cur) != 0) {
		ops_fail(rq, MSG_CODE_INVALID, "No such page.");
		return;
	}
	if (rq->stage != MY_ADS_READ) {
		if (req_session_user(rq, dj) != 1)
			return;
		listpage_cursor_param(&cur, cp, sizeof(cp));
		j = db_job_new(listpage_sql(LISTPAGE_ADS, cur.after), 0, NULL,
		    0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		db_job_param(j, cp);
		mkt_filter_param(rq, j, "width");
		mkt_filter_param(rq, j, "height");
		mkt_filter_param(rq, j, "id");
		ops_db(rq, j, MY_ADS_READ);
		return;
	}
	rep = msg_reply_new();
	if (listpage_fill(rep, "ads", db_job_value(dj, 0, 0), &cur) != 0)
		ops_unavailable(rq);
	else
		ops_finish(rq, rep);
	json_object_put(rep);
}

/*
 * my_campaigns: the seller's dashboard (issue 15) in one SQL call
 * (sql/functions/dash_campaigns.sql): the user's MARKET_MY_CAMPAIGNS newest
 * campaigns, each with what the list of campaigns has (the slots the price
 * needs) and its figures (earnings, impressions, clicks, days); "more"
 * when there are older ones.
 */
static void
mkt_my_campaigns(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*v, *rep, *m;
	struct db_job		*j;
	const char		*text;
	char			 err[128];

	(void)kj;
	(void)cj;
	if (rq->stage != MY_CAMPAIGNS_READ) {
		if (req_session_user(rq, dj) != 1)
			return;
		j = db_job_new("SELECT dash_campaigns($1, $2, $3)", 0, NULL,
		    0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		db_job_paramf(j, "%" PRId64, clock_real_ms());
		db_job_paramf(j, "%d", MARKET_MY_CAMPAIGNS);
		ops_db(rq, j, MY_CAMPAIGNS_READ);
		return;
	}
	text = db_job_lookup(dj) == LOOKUP_FOUND ? db_job_value(dj, 0, 0) :
	    NULL;
	if (text == NULL || (v = msg_parse_json((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL) {
		if (text != NULL)
			log_error("db_reply", "op=my_campaigns error=\"%s\"",
			    err);
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	if (json_object_object_get_ex(v, "campaigns", &m))
		json_object_object_add(rep, "campaigns", json_object_get(m));
	if (json_object_object_get_ex(v, "more", &m))
		json_object_object_add(rep, "more", json_object_get(m));
	json_object_object_add(rep, "now_ms",
	    json_object_new_int64(clock_real_ms()));
	ops_finish(rq, rep);
	json_object_put(rep);
	json_object_put(v);
}

/*
 * The purchase, in one durable SQL call (camp_purchase_many, with the
 * other purchases of its batch): the session, the
 * stored answer of a repeated request, the price at the database's clock
 * (the integers of common/price.c) and the sale itself.  A refusal carries
 * the state it was decided on (next_idx, next_price), so abc-web can show
 * a lost race without another read.
 */
static void
mkt_buy_submit(struct request *rq)
{
	int64_t		 camp, idx, ad, max;
	struct db_job	*j;

	if (req_session_token(rq) != 0)
		return;		/* answered */
	if (mkt_int(rq, "campaign", &camp) || mkt_int(rq, "slot", &idx) ||
	    mkt_int(rq, "ad", &ad) || mkt_int(rq, "max_price", &max) ||
	    camp < 1 || ad < 1 || idx < 0 || idx > INT32_MAX || max < 1) {
		ops_fail(rq, MSG_CODE_INVALID,
		    "The purchase form is incomplete.");
		return;
	}
	/* Merged: the batch's purchases are one call (worker/dbmerge.h). */
	j = req_durable_job(rq, "SELECT * FROM camp_purchase_many($1::text[], "
	    "$2::bigint[], $3::bigint[], $4::text[], $5::bytea[], "
	    "$6::integer[], $7::bigint[], $8::bigint[], $9::bigint[], "
	    "$10::bigint[], $11::bigint[])");
	j->merged = 1;
	db_job_param_hex(j, rq->token_hash, sizeof(rq->token_hash));
	db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
	db_job_paramf(j, "%" PRId64, camp);
	db_job_paramf(j, "%" PRId64, idx);
	db_job_paramf(j, "%" PRId64, ad);
	db_job_paramf(j, "%" PRId64, max);
	db_job_paramf(j, "%" PRId64, ops_cfg(rq)->fee_ppm);
	ops_db(rq, j, BUY_DONE);
}

/* The purchase's answer; a sale is broadcast. */
static void
mkt_buy_done(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];
	int64_t			 camp;
	int			 ok = 0;

	if (text == NULL || (rep = msg_parse((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL) {
		ops_unavailable(rq);
		return;
	}
	(void)msg_get_bool(rep, "ok", &ok);
	if (ok && mkt_int(rq, "campaign", &camp) == 0)
		mkt_changed(rq, camp);
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* buy: one durable job, then its answer. */
static void
mkt_buy(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)kj;
	(void)cj;
	if (rq->stage == BUY_START)
		mkt_buy_submit(rq);
	else
		mkt_buy_done(rq, dj);
}

/* campaign_get / campaign_list / image_get: plain reads. */
static void
mkt_read(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;
	int64_t		 id;

	(void)kj;
	(void)cj;
	if (rq->stage == READ_DONE) {
		mkt_json_reply(rq, dj, rq->op == MSG_OP_CAMPAIGN_LIST ?
		    "campaigns" : rq->op == MSG_OP_IMAGE_GET ? "image" :
		    "campaign");
		return;
	}
	if (rq->op == MSG_OP_CAMPAIGN_LIST) {
		j = db_job_new("SELECT camp_list(50)", 0, NULL, 0);
	} else if (rq->op == MSG_OP_IMAGE_GET) {
		j = db_job_new("SELECT jsonb_build_object('mime', mime, "
		    "'data', translate(encode(data, 'base64'), E'\\n', ''))"
		    "::text FROM images WHERE sha256 = $1", 0, NULL, 0);
		db_job_param(j, msg_get_str(rq->body, "sha256") != NULL ?
		    msg_get_str(rq->body, "sha256") : "");
	} else {
		if (mkt_int(rq, "id", &id) != 0) {
			ops_fail(rq, MSG_CODE_INVALID,
			    "The request names no campaign.");
			return;
		}
		j = db_job_new("SELECT camp_state($1)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, id);
	}
	ops_db(rq, j, READ_DONE);
}

const struct req_row req_market_rows[] = {
	{ MSG_OP_CAMPAIGN_CREATE, "campaign_create", REQ_DURABLE |
	    REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION, mkt_create },
	{ MSG_OP_CAMPAIGN_GET, "campaign_get", 0, mkt_read },
	{ MSG_OP_CAMPAIGN_LIST, "campaign_list", 0, mkt_read },
	{ MSG_OP_AD_CREATE, "ad_create", REQ_DURABLE | REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, mkt_ad },
	{ MSG_OP_MY_ADS, "my_ads", REQ_NEEDS_SESSION, mkt_my_ads },
	{ MSG_OP_BUY, "buy", REQ_DURABLE | REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, mkt_buy },
	{ MSG_OP_IMAGE_GET, "image_get", 0, mkt_read },
	{ MSG_OP_MY_CAMPAIGNS, "my_campaigns", REQ_NEEDS_SESSION,
	    mkt_my_campaigns },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
