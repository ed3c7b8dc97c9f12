/*
 * The marketplace requests (SPEC 4.3, 4.4): campaigns, ads and their
 * images, and purchases.  A purchase reads the campaign, computes the
 * price at the worker's clock (common/price.c), then one durable SQL call
 * checks that the slot index is still the next one and applies slot,
 * transfers and campaign together; a loser learns what the next slot
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
#include "image.h"
#include "limits.h"
#include "msg.h"
#include "ops.h"
#include "price.h"
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

/* Finishes with a JSON reply the database returned as text. */
static void
mkt_json_reply(struct call *c, struct db_job *dj, const char *member)
{
	struct json_object	*rep, *v;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];

	if (text == NULL || (v = msg_parse_json((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL) {
		if (db_job_ok(dj) && text == NULL)
			ops_fail(c, "no_campaign", "There is no such campaign.");
		else
			ops_fail(c, "unavailable", "The database is "
			    "unavailable; try again.");
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, member, v);
	json_object_object_add(rep, "now_ms",
	    json_object_new_int64(clock_real_ms()));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* The price of campaign state text st at now, or -1. */
static int64_t
mkt_price_now(const char *st, int64_t now, int64_t *slots_sold)
{
	struct price_campaign	 pc;
	struct price_slot	 last;
	struct json_object	*o;
	char			 err[128];
	int64_t			 p = -1;

	if (st == NULL || (o = msg_parse((const uint8_t *)st, strlen(st), err,
	    sizeof(err))) == NULL)
		return -1;
	if (msg_campaign_price(o, &pc, &last) == 0 &&
	    msg_get_int(o, "slots_sold", slots_sold) == 0)
		p = price_now(&pc, now);
	json_object_put(o);
	return p;
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
		if (name == NULL || desc == NULL || strlen(name) < 1 ||
		    strlen(name) > 80 || strlen(desc) > 2000 ||
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
		    "$8, $9, $10, $11)", 1, NULL, 0);
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
	j = db_job_new("SELECT ad_create($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	    0, NULL, 0);
	db_job_paramf(j, "%" PRId64, c->user_id);
	db_job_param(j, msg_get_str(c->req, "nickname"));
	db_job_param(j, msg_get_str(c->req, "hover"));
	db_job_param(j, msg_get_str(c->req, "url"));
	db_job_param(j, sha);
	db_job_param(j, image_mime(ii->type));
	db_job_paramf(j, "%" PRIu32, ii->width);
	db_job_paramf(j, "%" PRIu32, ii->height);
	db_job_param_hex(j, img, len);
	ops_db(c, j);
}

/* ad_create: the user's new ad; the image's type and size from bytes. */
static void
mkt_ad(struct call *c, struct db_job *dj)
{
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

/* my_ads: the user's ads with their image sizes, newest first. */
static void
mkt_my_ads(struct call *c, struct db_job *dj)
{
	struct db_job	*j;

	if (c->stage <= 1) {
		if (req_session_user(c, dj) != 1)
			return;
		j = db_job_new("SELECT coalesce(jsonb_agg(jsonb_build_object("
		    "'id', a.id, 'nickname', a.nickname, 'hover', a.hover, "
		    "'url', a.url, 'image', a.image, 'width', i.width, "
		    "'height', i.height) ORDER BY a.id DESC), '[]')::text "
		    "FROM ads a JOIN images i ON i.sha256 = a.image "
		    "WHERE a.user_id = $1", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, c->user_id);
		ops_db(c, j);
		return;
	}
	mkt_json_reply(c, dj, "ads");
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
 * A slot index past the next one for sale (a form no page offers): no
 * charge, and the offer that stands instead.
 */
static void
mkt_buy_not_yet(struct call *c, int64_t next_idx, int64_t next_price)
{
	struct json_object	*rep;

	rep = msg_reply_error("That slot is not for sale yet.");
	json_object_object_add(rep, "code", json_object_new_string("not_yet"));
	json_object_object_add(rep, "next_idx", json_object_new_int64(next_idx));
	json_object_object_add(rep, "next_price",
	    json_object_new_int64(next_price));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* The durable purchase, with the price computed now from state st. */
static void
mkt_buy_apply(struct call *c, const char *st)
{
	int64_t		 now = clock_real_ms(), price, sold = 0;
	int64_t		 camp, idx, ad, max, fee;
	struct db_job	*j;

	if (mkt_int(c, "campaign", &camp) || mkt_int(c, "slot", &idx) ||
	    mkt_int(c, "ad", &ad) || mkt_int(c, "max_price", &max) ||
	    idx < 0 || idx > INT32_MAX || max < 1 ||
	    (price = mkt_price_now(st, now, &sold)) < 0) {
		ops_fail(c, "invalid", "The purchase form is incomplete.");
		return;
	}
	if (idx > sold) {
		mkt_buy_not_yet(c, sold, price);
		return;
	}
	fee = (int64_t)((unsigned __int128)price *
	    (uint64_t)ops_cfg(c)->fee_ppm / 1000000);
	j = db_job_new("SELECT camp_buy($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	    "$10, $11, $12)", 1, NULL, 0);
	db_job_param(j, c->client);
	db_job_paramf(j, "%" PRId64, c->epoch);
	db_job_paramf(j, "%" PRIu64, c->req_no);
	db_job_param(j, msg_get_str(c->req, "idem"));
	db_job_paramf(j, "%" PRId64, c->user_id);
	db_job_paramf(j, "%" PRId64, camp);
	db_job_paramf(j, "%" PRId64, idx);
	db_job_paramf(j, "%" PRId64, ad);
	db_job_paramf(j, "%" PRId64, price);
	db_job_paramf(j, "%" PRId64, max);
	db_job_paramf(j, "%" PRId64, fee);
	db_job_paramf(j, "%" PRId64, now);
	ops_db(c, j);
}

/* Queues a read of the campaign (and of a stored reply, if any). */
static void
mkt_buy_read(struct call *c)
{
	struct db_job	*j;
	int64_t		 camp;

	if (mkt_int(c, "campaign", &camp) != 0) {
		ops_fail(c, "no_campaign", "There is no such campaign.");
		return;
	}
	j = db_job_new("SELECT camp_state($1), request_log_find($2, $3, $4, "
	    "$5, $6, 'buy')::text", 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, camp);
	db_job_param(j, c->client);
	db_job_paramf(j, "%" PRId64, c->epoch);
	db_job_paramf(j, "%" PRIu64, c->req_no);
	db_job_param(j, msg_get_str(c->req, "idem"));
	db_job_paramf(j, "%" PRId64, c->user_id);
	ops_db(c, j);
}

/*
 * After the purchase call: a sale is broadcast; a lost race asks for the
 * campaign again to say what the next slot costs now.
 */
static void
mkt_buy_done(struct call *c, struct db_job *dj)
{
	struct json_object	*rep;
	const char		*text = db_job_value(dj, 0, 0), *code;
	char			 err[128];
	int64_t			 camp;
	int			 ok = 0;

	if (text == NULL || (rep = msg_parse((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL) {
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
		return;
	}
	(void)msg_get_bool(rep, "ok", &ok);
	code = msg_get_str(rep, "code");
	if (ok && mkt_int(c, "campaign", &camp) == 0)
		mkt_changed(c, camp);
	if (!ok && code != NULL && strcmp(code, "sold") == 0) {
		json_object_object_add(c->req, "outcome", rep);
		mkt_buy_read(c);
		return;
	}
	ops_finish(c, rep);
	json_object_put(rep);
}

/* A lost race: the stored outcome plus the next slot's price now. */
static void
mkt_buy_next(struct call *c, struct db_job *dj)
{
	struct json_object	*rep, *outcome;
	int64_t			 sold = 0, price;

	if (!json_object_object_get_ex(c->req, "outcome", &outcome)) {
		ops_fail(c, "internal", "lost the purchase outcome");
		return;
	}
	rep = json_object_get(outcome);
	price = mkt_price_now(db_job_value(dj, 0, 0), clock_real_ms(), &sold);
	if (price > 0) {
		json_object_object_add(rep, "next_idx",
		    json_object_new_int64(sold));
		json_object_object_add(rep, "next_price",
		    json_object_new_int64(price));
	}
	ops_finish(c, rep);
	json_object_put(rep);
}

/*
 * buy: who, then the campaign (or the stored outcome of this very
 * request), then the purchase, then for a lost race the next price.
 */
static void
mkt_buy(struct call *c, struct db_job *dj)
{
	const char		*stored;
	struct json_object	*rep;
	char			 err[128];

	if (c->stage <= 1) {
		if (req_session_user(c, dj) == 1)
			mkt_buy_read(c);
		return;
	}
	if (c->stage == 2) {
		stored = db_job_value(dj, 0, 1);
		if (stored != NULL && (rep = msg_parse((const uint8_t *)stored,
		    strlen(stored), err, sizeof(err))) != NULL) {
			ops_finish(c, rep);
			json_object_put(rep);
		} else if (db_job_value(dj, 0, 0) == NULL)
			ops_fail(c, "no_campaign", "There is no such campaign.");
		else
			mkt_buy_apply(c, db_job_value(dj, 0, 0));
	} else if (c->stage == 3)
		mkt_buy_done(c, dj);
	else
		mkt_buy_next(c, dj);
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
			ops_fail(c, "no_campaign", "There is no such campaign.");
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
