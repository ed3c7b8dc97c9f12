/*
 * The campaign page (/c/<id>), its two-step purchase (/c/<id>/buy), the
 * embed (/embed/<id>) and the JSON state (/api/c/<id>.json), SPEC 4.4.
 * Reads come from the cache (web/market.c); the purchase goes to
 * abc-worker, which alone decides; the buyer's own process forgets the
 * campaign at once so the next page shows the purchase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "cache.h"
#include "cachekey.h"
#include "chart.h"
#include "client.h"
#include "clock.h"
#include "abc_form.h"
#include "http.h"
#include "humane.h"
#include "log.h"
#include "market.h"
#include "money.h"
#include "msg.h"
#include "price.h"
#include "route.h"
#include "template.h"

#define CAMP_CHART_W	720
#define CAMP_CHART_H	300
#define CAMP_CHART_NARROW_W	360	/* phones: labels stay 12 px */
#define CAMP_CHART_NARROW_H	300
#define CAMP_SLOTS_MAX	10000
/*
 * How long the parts of a campaign page that are the same for every viewer
 * (display, price and chart, queue: partials/campaign_live and
 * _queue) are reused once rendered: the edge's rule for anonymous pages
 * (SPEC 6), here for logged-in viewers too.  Only what follows from the
 * clock can be that old (the price's decay, "in 3 minutes"): a change to
 * the campaign drops them at once with its state (c:<id>, a cache group),
 * so a buyer sees their purchase on the next page.  Rendering them is
 * most of what a campaign page costs abc-web.
 */
#define CAMP_SHARED_FRESH_MS	100

/* A slot length for people: "2 hours", "3 seconds". */
static void
camp_slot_len(int64_t ms, char *out, size_t len)
{
	if (ms % 3600000 == 0)
		snprintf(out, len, "%lld hour%s", (long long)(ms / 3600000),
		    ms == 3600000 ? "" : "s");
	else
		snprintf(out, len, "%lld second%s", (long long)(ms / 1000),
		    ms == 1000 ? "" : "s");
}

/* Sets key to a money amount from member mkey of o (satoshis). */
static void
camp_set_btc(struct tpl_val *v, const char *key, struct json_object *o,
    const char *mkey)
{
	char	 btc[32];
	int64_t	 sat = 0;

	(void)msg_get_int(o, mkey, &sat);
	market_btc(sat, btc, sizeof(btc));
	tpl_put_str(v, key, btc);
}

/* Copies string members of o into v. */
static void
camp_copy(struct tpl_val *v, struct json_object *o, const char *const *keys)
{
	const char	*s;

	for (; *keys != NULL; keys++) {
		s = msg_get_str(o, *keys);
		tpl_put_str(v, *keys, s != NULL ? s : "");
	}
}

/* The campaign's slots as a price_campaign array (for the chart). */
static struct price_slot *
camp_slots(struct json_object *st, size_t *n)
{
	struct json_object	*slots, *s;
	struct price_slot	*out;
	size_t			 i, len;

	*n = 0;
	if (!json_object_object_get_ex(st, "slots", &slots) ||
	    (len = json_object_array_length(slots)) == 0)
		return NULL;
	if (len > CAMP_SLOTS_MAX)
		len = CAMP_SLOTS_MAX;
	out = calloc(len, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		s = json_object_array_get_idx(slots, i);
		(void)msg_get_int(s, "bought_ms", &out[i].bought_ms);
		(void)msg_get_int(s, "start_ms", &out[i].start_ms);
		(void)msg_get_int(s, "end_ms", &out[i].end_ms);
		(void)msg_get_int(s, "price", &out[i].price_sat);
	}
	*n = len;
	return out;
}

/*
 * Draws the price chart as inline SVG into out: the wide one, a NUL, and
 * a narrower drawing for phones (the stylesheet shows one): scaled down,
 * the wide one's labels would be too small to read.  An empty drawing
 * stands for one that failed.
 */
static void
camp_draw_charts(struct buf *out, struct json_object *st, int64_t now)
{
	struct price_campaign	 pc;
	size_t			 mark;

	memset(&pc, 0, sizeof(pc));
	(void)msg_get_int(st, "min_price", &pc.min_price_sat);
	(void)msg_get_int(st, "slot_ms", &pc.slot_ms);
	pc.slots = camp_slots(st, &pc.nslots);
	if (chart_svg(out, &pc, now, CAMP_CHART_W, CAMP_CHART_H) != 0)
		buf_reset(out);
	(void)buf_add(out, "", 1);
	mark = out->len;
	if (chart_svg(out, &pc, now, CAMP_CHART_NARROW_W,
	    CAMP_CHART_NARROW_H) != 0)
		out->len = mark;
	free((void *)pc.slots);
}

/* A queue row's liveness (issue 15): seen_pct, and a refund when one. */
static void
camp_liveness(struct tpl_val *row, struct json_object *s)
{
	int64_t	 n = 0;

	(void)msg_get_int(s, "seen_pct", &n);
	tpl_put_int(row, "seen_pct", n);
	n = 0;
	(void)msg_get_int(s, "refund", &n);
	tpl_put_bool(row, "has_refund", n > 0);
	if (n > 0)
		camp_set_btc(row, "refund", s, "refund");
}

/*
 * What a queued slot is doing at now: the seller's moderation first (a
 * rejected ad never shows, a pending one not before its review time).
 */
static const char *
camp_slot_state(struct json_object *s, int64_t start, int64_t end,
    int64_t now)
{
	const char	*review = msg_get_str(s, "review");
	int64_t		 due = 0;

	if (review != NULL && strcmp(review, "rejected") == 0)
		return "rejected, refunded";
	if (review != NULL && strcmp(review, "pending") == 0 &&
	    msg_get_int(s, "due_ms", &due) == 0 && now < due && now < end)
		return "awaiting approval";
	return now >= end ? "done" : now >= start ? "on display" : "queued";
}

/* Queue rows: every slot with its times and whether it shows now. */
static void
camp_queue(struct tpl_val *v, struct json_object *st, int64_t now)
{
	struct json_object	*slots, *s;
	struct tpl_val		*list, *row;
	int64_t			 start = 0, end = 0, idx = 0;
	size_t			 i, len = 0;

	list = tpl_put_list(v, "queue");
	if (json_object_object_get_ex(st, "slots", &slots))
		len = json_object_array_length(slots);
	for (i = len; i-- > 0; ) {
		s = json_object_array_get_idx(slots, i);
		row = tpl_list_add(list);
		(void)msg_get_int(s, "idx", &idx);
		(void)msg_get_int(s, "start_ms", &start);
		(void)msg_get_int(s, "end_ms", &end);
		/* People count slots from 1; the API keeps its index. */
		tpl_put_int(row, "idx", idx + 1);
		tpl_put_str(row, "nickname", msg_get_str(s, "nickname"));
		humane_set_time(row, "start", start, NULL, now);
		humane_set_time(row, "end", end, NULL, now);
		camp_set_btc(row, "price", s, "price");
		tpl_put_str(row, "state", camp_slot_state(s, start, end, now));
		camp_liveness(row, s);
	}
	tpl_put_bool(v, "has_queue", len > 0);
}

/* The formula's inputs for the ticker (static/campaign.js). */
static void
camp_ticker(struct tpl_val *v, struct json_object *st, int64_t now)
{
	struct price_campaign	 pc;
	struct price_slot	 last;
	int			 have;

	have = msg_campaign_price(st, &pc, &last) == 0 && pc.nslots == 1;
	tpl_put_int(v, "t_min", pc.min_price_sat);
	tpl_put_int(v, "t_plast", have ? last.price_sat : 0);
	tpl_put_int(v, "t_t0", have ? last.bought_ms : 0);
	tpl_put_int(v, "t_t1", have ? last.end_ms : 0);
	tpl_put_int(v, "t_now", now);
}

/* The slot on display, as v's "display" (has_display says if any). */
static void
camp_display(struct tpl_val *v, struct json_object *st, int64_t now)
{
	static const char *const keys[] = { "nickname", "hover", "url",
	    "image", NULL };
	struct json_object	*d = market_on_display(st, now);

	tpl_put_bool(v, "has_display", d != NULL);
	if (d != NULL)
		camp_copy(tpl_put_obj(v, "display"), d, keys);
}

/*
 * The viewer's ads of w x h pixels as a record into out: FIT_RECORD_TAG,
 * then an id and a nickname per ad, each field ended by a NUL (a nickname
 * is a C string of the reply: it holds no NUL).  From the newest page of
 * their ads of that size (market_my_ads): a bounded list to pick from.
 * The lookup's outcome; out is filled only when FOUND.
 */
#define FIT_RECORD_TAG	"fit1"
static enum lookup
camp_fit_record(struct http_req *r, int64_t w, int64_t h, struct buf *out)
{
	struct market_ads_q	 q = { .before = -1, .after = -1, .width = w,
				    .height = h };
	struct json_object	*rep, *ads = NULL, *a;
	const char		*nick;
	char			 num[24];
	int64_t			 aw, ah, id;
	enum lookup		 lk;
	size_t			 i;

	if ((lk = market_my_ads(r, &q, &rep)) != LOOKUP_FOUND)
		return lk;
	(void)buf_add(out, FIT_RECORD_TAG, sizeof(FIT_RECORD_TAG));
	if (json_object_object_get_ex(rep, "ads", &ads))
		for (i = 0; i < json_object_array_length(ads); i++) {
			a = json_object_array_get_idx(ads, i);
			if (msg_get_int(a, "width", &aw) != 0 ||
			    msg_get_int(a, "height", &ah) != 0 || aw != w ||
			    ah != h || msg_get_int(a, "id", &id) != 0)
				continue;
			if ((nick = msg_get_str(a, "nickname")) == NULL)
				nick = "";
			snprintf(num, sizeof(num), "%lld", (long long)id);
			if (buf_add(out, num, strlen(num) + 1) != 0 ||
			    buf_add(out, nick, strlen(nick) + 1) != 0)
				break;	/* (bounded far above a page) */
		}
	json_object_put(rep);
	return LOOKUP_FOUND;
}

/*
 * Adds the ads of a record (camp_fit_record) to list; the number added,
 * or -1 when text is not such a record.
 */
static int
camp_fit_rows(struct tpl_val *list, const char *text, size_t len)
{
	const char	*p = text, *end = text + len, *nick;
	struct tpl_val	*row;
	char		*e;
	long long	 id;
	int		 n = 0;

	if (len < sizeof(FIT_RECORD_TAG) || memcmp(text, FIT_RECORD_TAG,
	    sizeof(FIT_RECORD_TAG)) != 0)
		return -1;
	for (p += sizeof(FIT_RECORD_TAG); p < end; p = nick + strlen(nick) + 1) {
		nick = p + strlen(p) + 1;
		if (nick >= end || *p == '\0' || (id = strtoll(p, &e, 10)) <= 0 ||
		    *e != '\0')
			return -1;
		row = tpl_list_add(list);
		tpl_put_int(row, "id", id);
		tpl_put_str(row, "nickname", nick);
		n++;
	}
	return n;
}

/*
 * The viewer's ads that fit the campaign's size (logged in only), from
 * the cached record, else made now and cached (in the viewer's group:
 * their upload drops it with their ads, cache.h).  Unknown is not "you
 * have no ads": the page says to reload.
 */
static void
camp_fitting_ads(struct http_req *r, struct tpl_val *v, int64_t w, int64_t h)
{
	struct tpl_val	*list;
	struct buf	 rec;
	char		 key[CACHE_KEY_MAX];
	const char	*text;
	enum lookup	 lk = LOOKUP_FOUND;
	uint64_t	 gen;
	size_t		 len = 0;
	int		 n = -1;

	list = tpl_put_list(v, "ads");
	cachekey_ads_fit(key, r->user.id, w, h);
	buf_init(&rec, 64 * 1024);
	if ((text = cache_get_ref(r->app->cache, key, http_fresh_ms(r),
	    clock_mono_ms(), &len)) != NULL)
		n = camp_fit_rows(list, text, len);
	if (n < 0) {
		list = tpl_put_list(v, "ads");	/* (a bad record's rows) */
		gen = cache_gen(r->app->cache);	/* before the read: cache.h */
		lk = camp_fit_record(r, w, h, &rec);
		if (lk == LOOKUP_FOUND && (n = camp_fit_rows(list,
		    (const char *)rec.data, rec.len)) >= 0)
			(void)cache_put(r->app->cache, key,
			    (const char *)rec.data, rec.len, clock_mono_ms(),
			    gen);
	}
	tpl_put_bool(v, "ads_unknown", lk == LOOKUP_UNKNOWN);
	tpl_put_bool(v, "has_ads", n > 0);
	buf_clear(&rec);
	cache_unref(text);
}

/*
 * The iframe snippet a seller pastes into their page.  nginx passes the
 * host without its port (HTTP_HOST is $host), so a port other than the
 * scheme's default is added from SERVER_PORT.
 */
static void
camp_embed_snippet(struct http_req *r, struct tpl_val *v, int64_t id,
    int64_t w, int64_t h)
{
	const char	*host = FCGX_GetParam("HTTP_HOST", r->fcgi->envp);
	const char	*port = FCGX_GetParam("SERVER_PORT", r->fcgi->envp);
	char		 s[512], hp[280];

	if (host == NULL || strlen(host) > 200 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-[]:") !=
	    strlen(host))
		host = "localhost";
	if (port != NULL && strspn(port, "0123456789") == strlen(port) &&
	    strlen(port) <= 5 && strchr(host, ':') == NULL &&
	    strcmp(port, r->https ? "443" : "80") != 0)
		snprintf(hp, sizeof(hp), "%s:%s", host, port);
	else
		snprintf(hp, sizeof(hp), "%s", host);
	snprintf(s, sizeof(s), "<iframe src=\"%s://%s/embed/%lld\" width=\"%lld\" "
	    "height=\"%lld\" style=\"border:0\" title=\"Ad space\"></iframe>",
	    r->https ? "https" : "http", hp, (long long)id, (long long)w,
	    (long long)h);
	tpl_put_str(v, "embed", s);
}

/*
 * After a purchase: what was bought, what it cost and when it runs, for
 * slot idx (people count from 1).
 */
static void
camp_bought(struct json_object *st, int64_t idx, int64_t now, char *out,
    size_t len)
{
	struct json_object	*slots, *s;
	char			 btc[32], at[40], rel[40], span[40];
	int64_t			 i = -1, price = 0, start = 0, end = 0;
	size_t			 k;

	snprintf(out, len, "You bought slot #%lld.", (long long)idx + 1);
	if (!json_object_object_get_ex(st, "slots", &slots))
		return;
	for (k = 0; k < json_object_array_length(slots); k++) {
		s = json_object_array_get_idx(slots, k);
		if (msg_get_int(s, "idx", &i) == 0 && i == idx &&
		    msg_get_int(s, "price", &price) == 0 &&
		    msg_get_int(s, "start_ms", &start) == 0 &&
		    msg_get_int(s, "end_ms", &end) == 0)
			break;
	}
	if (k == json_object_array_length(slots))
		return;
	market_btc(price, btc, sizeof(btc));
	humane_span(end - start, span, sizeof(span));
	if (start <= now) {
		humane_abs(end, at, sizeof(at));
		snprintf(out, len, "You bought slot #%lld for %s BTC. Your ad "
		    "is on display now, for %s (until %s).", (long long)idx +
		    1, btc, span, at);
		return;
	}
	humane_abs(start, at, sizeof(at));
	humane_rel(start, now, rel, sizeof(rel));
	snprintf(out, len, "You bought slot #%lld for %s BTC. Your ad shows "
	    "%s (%s) for %s.", (long long)idx + 1, btc, rel, at, span);
}

/*
 * The entry c:<id>|html: what a campaign page shows that is the same for
 * every viewer, made from the campaign's state once and reused for at
 * most CAMP_SHARED_FRESH_MS, so that a page served from it needs neither
 * the state nor its JSON parsed (parsing it was a third of abc-web's CPU
 * per logged-in page).  One record of CF_N text fields, each but the last
 * ended by a NUL, in the order below; the numbers in decimal.  Fields are
 * C strings of the state (a string with a NUL in it ends there, as when
 * the page took it from the state directly) or HTML our templates made:
 * no field holds a NUL.
 */
enum camp_field {
	CF_TAG,			/* CAMP_RECORD_TAG: the format */
	CF_NAME, CF_DESCRIPTION, CF_SELLER_NAME,
	CF_WIDTH, CF_HEIGHT, CF_SELLER, CF_NEXT_IDX, CF_LIVENESS,
	CF_MIN_PRICE,		/* BTC text */
	CF_SLOT_LEN,		/* for people: "1 hour" */
	CF_LIVE,		/* partials/campaign_live, rendered */
	CF_QUEUE,		/* partials/campaign_queue, rendered */
	/*
	 * The whole page as any logged-in viewer but the seller sees it
	 * without a notice, cut where viewers differ (camp_frame): before
	 * their name, before their CSRF token, before their part of the buy
	 * section, and after it.  All four empty when there is no frame.
	 */
	CF_FRAME0, CF_FRAME1, CF_FRAME2, CF_FRAME3,
	CF_N
};
#define CAMP_RECORD_TAG	"camp2"

/*
 * What stands in a frame's rendering for the viewer's name, CSRF token and
 * part of the buy section: bytes no template escapes, and a name holding
 * \x01 itself (the state's text, not ours) makes the count wrong: no
 * frame then.
 */
#define CAMP_MARK_ME	"\x01" "M" "\x01"
#define CAMP_MARK_CSRF	"\x01" "C" "\x01"
#define CAMP_MARK_BUY	"\x01" "B" "\x01"

/*
 * A record's text: the cache's value itself (ref, let go of with
 * cache_unref), or one made for this page (own, freed).
 */
struct camp_text {
	const char	*ref;
	char		*own;
};

/* Lets go of t's text. */
static void
camp_text_free(struct camp_text *t)
{
	cache_unref(t->ref);
	free(t->own);
	t->ref = NULL;
	t->own = NULL;
}

/* A record read back: pointers into its text, which must outlive it. */
struct camp_view {
	const char	*f[CF_N];
	size_t		 len[CF_N];
	int64_t		 width, height, seller, next_idx, liveness;
};

static void	camp_put_view(struct tpl_val *, const struct camp_view *,
		    int64_t);

/* Appends s and a NUL to out; 0 or -1 (too large). */
static int
camp_add_field(struct buf *out, const char *s)
{
	if (s == NULL)
		s = "";
	return buf_add(out, s, strlen(s) + 1);
}

/* Appends the decimal n and a NUL to out; 0 or -1. */
static int
camp_add_int(struct buf *out, int64_t n)
{
	char	 text[24];

	snprintf(text, sizeof(text), "%lld", (long long)n);
	return camp_add_field(out, text);
}

/*
 * Appends the scalar fields of the record (CF_TAG to CF_SLOT_LEN) from
 * the state st to out; 0 or -1 (too large).
 */
static int
camp_record_head(struct buf *out, struct json_object *st)
{
	char	 btc[32], len[64];
	int64_t	 w = 0, h = 0, seller = 0, sold = 0, live = 100, slot = 0;

	(void)msg_get_int(st, "width", &w);
	(void)msg_get_int(st, "height", &h);
	(void)msg_get_int(st, "seller", &seller);
	(void)msg_get_int(st, "slots_sold", &sold);
	(void)msg_get_int(st, "liveness_pct", &live);
	(void)msg_get_int(st, "slot_ms", &slot);
	camp_slot_len(slot, len, sizeof(len));
	slot = 0;
	(void)msg_get_int(st, "min_price", &slot);
	market_btc(slot, btc, sizeof(btc));
	if (camp_add_field(out, CAMP_RECORD_TAG) != 0 ||
	    camp_add_field(out, msg_get_str(st, "name")) != 0 ||
	    camp_add_field(out, msg_get_str(st, "description")) != 0 ||
	    camp_add_field(out, msg_get_str(st, "seller_name")) != 0 ||
	    camp_add_int(out, w) != 0 || camp_add_int(out, h) != 0 ||
	    camp_add_int(out, seller) != 0 || camp_add_int(out, sold) != 0 ||
	    camp_add_int(out, live) != 0 || camp_add_field(out, btc) != 0 ||
	    camp_add_field(out, len) != 0)
		return -1;
	return 0;
}

/* Reads the decimal field i of v into *n; 0, or -1 when it is not one. */
static int
camp_view_int(const struct camp_view *v, enum camp_field i, int64_t *n)
{
	char	*end;

	if (v->len[i] == 0 || v->len[i] > 19 ||
	    strspn(v->f[i], "-0123456789") != v->len[i])
		return -1;
	*n = strtoll(v->f[i], &end, 10);
	return *end == '\0' ? 0 : -1;
}

/*
 * Splits the record text (len bytes, NUL-terminated after them as
 * cache_get returns it) into v.  0, or -1 when it is not one of ours
 * (another format): the caller renders it again.
 */
static int
camp_view_parse(const char *text, size_t len, struct camp_view *v)
{
	const char	*p = text, *end = text + len, *nul;
	int		 i;

	for (i = 0; i < CF_N; i++) {
		nul = i + 1 < CF_N ? memchr(p, '\0', (size_t)(end - p)) : end;
		if (nul == NULL)
			return -1;
		v->f[i] = p;
		v->len[i] = (size_t)(nul - p);
		p = nul + (i + 1 < CF_N);
	}
	if (strcmp(v->f[CF_TAG], CAMP_RECORD_TAG) != 0 ||
	    memchr(v->f[CF_N - 1], '\0', v->len[CF_N - 1]) != NULL ||
	    camp_view_int(v, CF_WIDTH, &v->width) != 0 ||
	    camp_view_int(v, CF_HEIGHT, &v->height) != 0 ||
	    camp_view_int(v, CF_SELLER, &v->seller) != 0 ||
	    camp_view_int(v, CF_NEXT_IDX, &v->next_idx) != 0 ||
	    camp_view_int(v, CF_LIVENESS, &v->liveness) != 0)
		return -1;
	return 0;
}

/*
 * Renders the record of campaign id's page from its state st at now into
 * out (see camp_field).  0, or -1 (err set).
 */
static int
camp_render_shared(struct http_req *r, struct json_object *st, int64_t now,
    struct buf *out, char *err, size_t errlen)
{
	struct tpl_val	*v;
	struct buf	 svg;
	char		 text[64];
	int64_t		 w = 0, h = 0;
	size_t		 wlen;
	int		 rc;

	if (camp_record_head(out, st) != 0) {
		snprintf(err, errlen, "campaign record: too large");
		return -1;
	}
	v = tpl_obj_new();
	(void)msg_get_int(st, "width", &w);
	(void)msg_get_int(st, "height", &h);
	tpl_put_int(v, "width", w);
	tpl_put_int(v, "height", h);
	market_btc(market_price(st, now), text, sizeof(text));
	tpl_put_str(v, "price", text);
	camp_ticker(v, st, now);
	buf_init(&svg, 128 * 1024);
	camp_draw_charts(&svg, st, now);
	wlen = strnlen((const char *)svg.data, svg.len);
	tpl_put_strn(v, "chart", (const char *)svg.data, wlen);
	tpl_put_strn(v, "chart_narrow", (const char *)svg.data + wlen + 1,
	    svg.len - wlen - 1);
	buf_clear(&svg);
	camp_display(v, st, now);
	camp_queue(v, st, now);
	rc = tpl_render(r->app->tpl, "partials/campaign_live", v, out, err,
	    errlen);
	if (rc == 0 && buf_add(out, "", 1) != 0) {
		snprintf(err, errlen, "partials/campaign_live: too large");
		rc = -1;
	}
	if (rc == 0)
		rc = tpl_render(r->app->tpl, "partials/campaign_queue", v, out,
		    err, errlen);
	tpl_val_free(v);
	return rc;
}

/* The number of bytes c in the n bytes at p. */
static size_t
camp_count(const char *p, size_t n, char c)
{
	const char	*e = p + n;
	size_t		 k = 0;

	while ((p = memchr(p, c, (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/*
 * Appends the frame fields (CF_FRAME0 to CF_FRAME3) of the record out,
 * whose other fields v points to (v is not used after: out may move):
 * the page "campaign" rendered for a logged-in viewer who is not the
 * seller, with marks where viewers differ, cut at the marks.  No frame
 * (four empty fields) when it cannot be made: pages are then rendered
 * whole, as before.  0, or -1 when out is full.
 */
static int
camp_frame(struct http_req *r, const struct camp_view *v, int64_t id,
    struct buf *out)
{
	struct tpl_val	*d;
	struct buf	 fr;
	char		 err[256], *p, *m[3];
	int		 rc = -1, i, rendered;

	d = http_page_logged_in(r, v->f[CF_NAME], CAMP_MARK_CSRF, CAMP_MARK_ME);
	camp_put_view(d, v, id);
	tpl_put_bool(d, "is_seller", 0);
	tpl_put_bool(d, "has_ads", 0);
	tpl_put_str(d, "notice", "");
	tpl_put_str(d, "buy_mark", CAMP_MARK_BUY);
	buf_init(&fr, 8u * 1024 * 1024);
	rendered = tpl_render(r->app->tpl, "campaign", d, &fr, err,
	    sizeof(err)) == 0;
	if (rendered && fr.len > 0 &&
	    camp_count((char *)fr.data, fr.len, '\x01') == 6 &&
	    (m[0] = memmem(fr.data, fr.len, CAMP_MARK_ME, 3)) != NULL &&
	    (m[1] = memmem(m[0], fr.len - (size_t)(m[0] - (char *)fr.data),
	    CAMP_MARK_CSRF, 3)) != NULL &&
	    (m[2] = memmem(m[1], fr.len - (size_t)(m[1] - (char *)fr.data),
	    CAMP_MARK_BUY, 3)) != NULL && memchr(fr.data, '\0', fr.len) ==
	    NULL) {
		/* Each mark becomes the end of a field. */
		p = (char *)fr.data;
		for (i = 0; i < 3; i++) {
			if (buf_add(out, p, (size_t)(m[i] - p)) != 0 ||
			    buf_add(out, "", 1) != 0)
				goto out;
			p = m[i] + 3;
		}
		rc = buf_add(out, p, fr.len - (size_t)(p - (char *)fr.data));
	} else {
		/* Pages are still right (rendered whole), only slower. */
		log_warn("campaign_frame", "id=%" PRId64 " error=\"%s\"", id,
		    rendered ? "the marks are not there once each, in order" :
		    err);
		rc = buf_add(out, "\0\0\0", 3);	/* (the last ends the text) */
	}
out:
	buf_clear(&fr);
	tpl_val_free(d);
	return rc;
}

/*
 * Ends the record out (made up to CF_QUEUE) with its frame fields.  0, or
 * -1 when out is full.
 */
static int
camp_frame_add(struct http_req *r, int64_t id, struct buf *out)
{
	struct camp_view	 v;
	struct buf		 head;
	int			 rc;

	/* The fields so far, with empty frames, to render the frame from. */
	buf_init(&head, 8u * 1024 * 1024);
	if (buf_add(&head, out->data, out->len) != 0 ||
	    buf_add(&head, "\0\0\0\0", 4) != 0 ||
	    camp_view_parse((const char *)head.data, head.len, &v) != 0) {
		buf_clear(&head);
		return -1;
	}
	rc = buf_add(out, "", 1) != 0 ? -1 : camp_frame(r, &v, id, out);
	buf_clear(&head);
	return rc;
}

/*
 * The record of campaign id's page into *text (camp_text_free) and
 * *view (pointing into it): rendered at most CAMP_SHARED_FRESH_MS ago by
 * any page (the cache), or now from the state.  *st is the state when it
 * was read (a new reference, the caller puts it), else NULL.  0, or -1
 * after answering (no such campaign, "try again", or a render failure,
 * logged).
 */
static int
camp_shared(struct http_req *r, int64_t id, int64_t now,
    struct json_object **st, struct camp_text *text, struct camp_view *view)
{
	struct buf	 out;
	char		 key[CACHE_KEY_MAX], err[256];
	uint64_t	 gen;
	size_t		 len;

	*st = NULL;
	cachekey_campaign_html(key, id);
	gen = cache_gen(r->app->cache);	/* before the state: cache.h */
	/* The cache's own copy, not one per page: 10-20 KB. */
	text->own = NULL;
	text->ref = cache_get_ref(r->app->cache, key, r->wrote ? -1 :
	    CAMP_SHARED_FRESH_MS, clock_mono_ms(), &len);
	if (text->ref != NULL && camp_view_parse(text->ref, len, view) == 0)
		return 0;
	cache_unref(text->ref);
	text->ref = NULL;
	if ((*st = market_campaign(r, id)) == NULL)
		return -1;
	buf_init(&out, 8u * 1024 * 1024);
	if (camp_render_shared(r, *st, now, &out, err, sizeof(err)) != 0 ||
	    (camp_frame_add(r, id, &out) != 0 &&
	    snprintf(err, sizeof(err), "campaign record: too large") > 0) ||
	    (camp_view_parse((const char *)out.data, out.len, view) != 0 &&
	    snprintf(err, sizeof(err), "campaign record: unreadable") > 0)) {
		log_error("template", "name=campaign error=\"%s\"", err);
		buf_clear(&out);
		(void)http_error(r, 500, "The page could not be made.");
		return -1;
	}
	(void)cache_put(r->app->cache, key, (const char *)out.data, out.len,
	    clock_mono_ms(), gen);
	text->own = (char *)out.data;	/* the view points into it */
	return 0;
}

/*
 * The slot bought (?bought=N, the purchase's redirect) into *idx; 0, or
 * -1 when the query names none.
 */
static int
camp_bought_idx(struct http_req *r, int64_t *idx)
{
	struct form	 q;
	const char	*s;
	int		 rc = -1;

	if (r->query[0] == '\0')	/* most views */
		return -1;
	memset(&q, 0, sizeof(q));
	if (form_parse(r->query, strlen(r->query), &q) == FORM_OK &&
	    (s = form_get(&q, "bought")) != NULL &&
	    (*idx = strtoll(s, NULL, 10)) >= 0)
		rc = 0;
	form_clear(&q);
	return rc;
}

/*
 * The page's data from the record view: the campaign's own fields, and
 * the parts for everyone already rendered.  v borrows from the record's
 * text: free v first.
 */
static void
camp_put_view(struct tpl_val *v, const struct camp_view *cv, int64_t id)
{
	tpl_put_int(v, "id", id);
	tpl_put_strn(v, "name", cv->f[CF_NAME], cv->len[CF_NAME]);
	tpl_put_strn(v, "description", cv->f[CF_DESCRIPTION],
	    cv->len[CF_DESCRIPTION]);
	tpl_put_strn(v, "seller_name", cv->f[CF_SELLER_NAME],
	    cv->len[CF_SELLER_NAME]);
	tpl_put_int(v, "width", cv->width);
	tpl_put_int(v, "height", cv->height);
	tpl_put_strn(v, "min_price", cv->f[CF_MIN_PRICE],
	    cv->len[CF_MIN_PRICE]);
	tpl_put_strn(v, "slot_len", cv->f[CF_SLOT_LEN], cv->len[CF_SLOT_LEN]);
	tpl_put_int(v, "next_idx", cv->next_idx);
	tpl_put_bool(v, "has_liveness", cv->liveness < 100);
	tpl_put_int(v, "liveness_pct", cv->liveness);
	/* Most of the page's bytes: borrowed, the record outlives v. */
	tpl_put_strref(v, "live_html", cv->f[CF_LIVE], cv->len[CF_LIVE]);
	tpl_put_strref(v, "queue_html", cv->f[CF_QUEUE], cv->len[CF_QUEUE]);
}

/*
 * A logged-in viewer's page from the record's frame (see CF_FRAME0): the
 * frame's bytes with their name, CSRF token and part of the buy section
 * (partials/campaign_buy) put in, the same bytes the page "campaign"
 * renders for them without rendering the rest again.  0 after answering,
 * or -1 when the page must be rendered whole (a query, not logged in,
 * the seller, no frame): nothing was sent then.
 */
static int
camp_page_framed(struct http_req *r, const struct camp_view *cv, int64_t id)
{
	struct http_part	 part[7];
	struct tpl_val		*d;
	struct buf		 me, csrf, buy;
	const char		*tok;
	char			 err[256];
	int			 rc;

	/* Only the plain URL: a view with a query (?bought= and any other)
	 * is rendered whole, which is also what tests compare frames with. */
	if (r->query[0] != '\0' || r->user.id == 0 ||
	    r->user.id == cv->seller || cv->len[CF_FRAME0] == 0)
		return -1;
	tok = http_page_csrf(r);
	d = tpl_obj_new();
	tpl_put_int(d, "id", id);
	tpl_put_int(d, "width", cv->width);
	tpl_put_int(d, "height", cv->height);
	camp_fitting_ads(r, d, cv->width, cv->height);
	buf_init(&me, 64 * 1024);
	buf_init(&csrf, 64 * 1024);
	buf_init(&buy, 1024 * 1024);
	rc = tpl_escape_html(&me, r->user.name, strlen(r->user.name)) != 0 ||
	    tpl_escape_html(&csrf, tok, strlen(tok)) != 0 ||
	    tpl_render(r->app->tpl, "partials/campaign_buy", d, &buy, err,
	    sizeof(err)) != 0 ? -1 : 0;
	tpl_val_free(d);
	if (rc == 0) {
		/* The frame's bytes go out from the record as they are. */
		part[0] = (struct http_part){ cv->f[CF_FRAME0],
		    cv->len[CF_FRAME0] };
		part[1] = (struct http_part){ me.data, me.len };
		part[2] = (struct http_part){ cv->f[CF_FRAME1],
		    cv->len[CF_FRAME1] };
		part[3] = (struct http_part){ csrf.data, csrf.len };
		part[4] = (struct http_part){ cv->f[CF_FRAME2],
		    cv->len[CF_FRAME2] };
		part[5] = (struct http_part){ buy.data, buy.len };
		part[6] = (struct http_part){ cv->f[CF_FRAME3],
		    cv->len[CF_FRAME3] };
		(void)http_send_parts(r, 200, "text/html; charset=utf-8", part,
		    7);
	}
	buf_clear(&me);
	buf_clear(&csrf);
	buf_clear(&buy);
	return rc;
}

/*
 * GET /c/<id>: everything about one campaign.  The parts for everyone come
 * from the record (camp_shared); the state itself is read only to make it,
 * or for the notice after a purchase.
 */
static void
camp_page(struct http_req *r, int64_t id)
{
	struct json_object	*st;
	struct camp_view	 cv;
	struct tpl_val		*v;
	struct camp_text	 text;
	char			 notice[256];
	int64_t			 now = clock_real_ms(), bought;

	if (camp_shared(r, id, now, &st, &text, &cv) != 0)
		return;
	notice[0] = '\0';
	if (camp_bought_idx(r, &bought) == 0) {
		if (st == NULL && (st = market_campaign(r, id)) == NULL) {
			camp_text_free(&text);
			return;
		}
		camp_bought(st, bought, now, notice, sizeof(notice));
	}
	json_object_put(st);
	(void)http_user(r);
	http_edge_cacheable(r);
	if (notice[0] == '\0' && camp_page_framed(r, &cv, id) == 0) {
		camp_text_free(&text);
		return;
	}
	v = http_page(r, cv.f[CF_NAME]);
	camp_put_view(v, &cv, id);
	tpl_put_bool(v, "is_seller", r->user.id != 0 &&
	    r->user.id == cv.seller);
	if (r->user.id != 0 && r->user.id == cv.seller)	/* theirs only */
		camp_embed_snippet(r, v, id, cv.width, cv.height);
	if (r->user.id != 0)
		camp_fitting_ads(r, v, cv.width, cv.height);
	else
		tpl_put_bool(v, "has_ads", 0);
	tpl_put_str(v, "notice", notice);
	(void)http_render(r, 200, "campaign", v);
	tpl_val_free(v);
	camp_text_free(&text);
}

/*
 * Finds ad id among the viewer's ads into *found (a new reference, or
 * NULL when not theirs); UNKNOWN when their ads could not be read.
 */
static enum lookup
camp_my_ad(struct http_req *r, int64_t ad_id, struct json_object **found)
{
	struct market_ads_q	 q = { .before = -1, .after = -1, .id = ad_id };
	struct json_object	*rep, *ads, *a;
	enum lookup		 lk;
	int64_t			 id;
	size_t			 i;

	*found = NULL;
	if ((lk = market_my_ads(r, &q, &rep)) != LOOKUP_FOUND)
		return lk;
	ads = json_object_object_get(rep, "ads");
	for (i = 0; i < json_object_array_length(ads); i++) {
		a = json_object_array_get_idx(ads, i);
		if (msg_get_int(a, "id", &id) == 0 && id == ad_id) {
			*found = json_object_get(a);
			break;
		}
	}
	json_object_put(rep);
	return *found != NULL ? LOOKUP_FOUND : LOOKUP_ABSENT;
}

/*
 * What the confirm step tells before anyone pays: the slot's number for
 * people, when it would start and end, its length, the live price's
 * inputs, the buyer's balance and, when it is below the price, how much
 * to deposit.
 */
static void
camp_confirm_facts(struct http_req *r, struct tpl_val *v,
    struct json_object *st, int64_t slot, int64_t price)
{
	char	 text[64];
	int64_t	 now = clock_real_ms(), start, len = 0, bal;

	tpl_put_int(v, "slot_no", slot + 1);
	start = market_next_start(st, now);
	(void)msg_get_int(st, "slot_ms", &len);
	humane_set_time(v, "start", start, NULL, now);
	humane_set_time(v, "end", start + len, NULL, now);
	tpl_put_bool(v, "starts_now", start <= now);
	humane_span(len, text, sizeof(text));
	tpl_put_str(v, "slot_len", text);
	camp_ticker(v, st, now);
	bal = market_my_balance(r);
	tpl_put_bool(v, "has_balance", bal >= 0);
	market_btc(bal >= 0 ? bal : 0, text, sizeof(text));
	tpl_put_str(v, "balance", text);
	tpl_put_bool(v, "low", bal >= 0 && price > 0 && bal < price);
	market_btc(bal >= 0 && price > bal ? price - bal : 0, text,
	    sizeof(text));
	tpl_put_str(v, "missing", text);
}

/*
 * Renders the confirmation step for ad_id and slot at price (satoshis;
 * -1: no form, only the error).
 */
static void
camp_confirm(struct http_req *r, int status, int64_t id,
    struct json_object *st, int64_t ad_id, int64_t slot, int64_t price,
    const char *error)
{
	static const char *const keys[] = { "nickname", "image", NULL };
	struct json_object	*ad = NULL;
	struct tpl_val		*v, *av;
	char			 btc[32], idem[33];
	int64_t			 n;

	v = http_page(r, "Buy a slot");
	tpl_put_int(v, "id", id);
	tpl_put_str(v, "name", msg_get_str(st, "name"));
	if (price > 0 && camp_my_ad(r, ad_id, &ad) == LOOKUP_UNKNOWN &&
	    error == NULL) {
		/* No form without the ad; and no "not yours" either. */
		status = 503;
		error = "Your ads could not be read just now; try again in a "
		    "moment.";
	}
	tpl_put_str(v, "error", error != NULL ? error : "");
	if (ad != NULL) {
		av = tpl_put_obj(v, "ad");
		tpl_put_int(av, "id", ad_id);
		camp_copy(av, ad, keys);
		(void)msg_get_int(ad, "width", &n);
		tpl_put_int(av, "width", n);
		(void)msg_get_int(ad, "height", &n);
		tpl_put_int(av, "height", n);
	}
	tpl_put_bool(v, "can_buy", ad != NULL);
	tpl_put_int(v, "slot", slot);
	market_btc(price, btc, sizeof(btc));
	tpl_put_str(v, "price", btc);
	camp_confirm_facts(r, v, st, slot, price);
	http_new_idem(idem);
	tpl_put_str(v, "idem", idem);
	(void)http_render(r, status, "buy", v);
	tpl_val_free(v);
	json_object_put(ad);
}

/* GET /c/<id>/buy?ad=N: step 1 of 2, the price now for that ad. */
static void
camp_buy_get(struct http_req *r, int64_t id)
{
	struct json_object	*st;
	struct form		 q;
	const char		*ad;
	int64_t			 slot = 0;

	if (!http_need_user(r))
		return;
	memset(&q, 0, sizeof(q));
	if (form_parse(r->query, strlen(r->query), &q) != FORM_OK ||
	    (ad = form_get(&q, "ad")) == NULL || strspn(ad, "0123456789") !=
	    strlen(ad) || strlen(ad) == 0 || strlen(ad) > 15) {
		form_clear(&q);
		(void)http_error(r, 400, "Pick one of your ads first.");
		return;
	}
	if ((st = market_campaign(r, id)) != NULL) {
		(void)msg_get_int(st, "slots_sold", &slot);
		camp_confirm(r, 200, id, st, strtoll(ad, NULL, 10), slot,
		    market_price(st, clock_real_ms()), NULL);
		json_object_put(st);
	}
	form_clear(&q);
}

/* Reads a non-negative decimal form field; 0, or -1 when malformed. */
static int
camp_field_int(struct http_req *r, const char *name, int64_t *out)
{
	const char	*s = form_get(&r->form, name);

	if (s == NULL || *s == '\0' || strlen(s) > 15 ||
	    strspn(s, "0123456789") != strlen(s))
		return -1;
	*out = strtoll(s, NULL, 10);
	return 0;
}

/* HTTP status of a failed purchase: 503 when it may simply be retried. */
static int
camp_buy_status(struct json_object *rep)
{
	if (msg_reply_retryable(rep))
		return 503;
	switch (msg_reply_code(rep)) {
	case MSG_CODE_SOLD:
	case MSG_CODE_NOT_YET:
	case MSG_CODE_PRICE_UP:
	case MSG_CODE_FUNDS:
		return 409;
	case MSG_CODE_NO_CAMPAIGN:
		return 404;
	case MSG_CODE_BAD_AD:
	case MSG_CODE_OWN_CAMPAIGN:
	case MSG_CODE_BLOCKED:
		return 403;
	default:
		return 400;
	}
}

/* Answers a failed purchase: the reason, and for a lost race the offer. */
static void
camp_buy_failed(struct http_req *r, int64_t id, int64_t ad,
    struct json_object *rep)
{
	struct json_object	*st;
	enum msg_code		 code = msg_reply_code(rep);
	char			 msg[256], btc[32];
	int64_t			 next = -1, next_idx = 0;

	if ((st = market_campaign(r, id)) == NULL)
		return;
	if ((code == MSG_CODE_SOLD || code == MSG_CODE_NOT_YET) &&
	    msg_get_int(rep, "next_price", &next) == 0 &&
	    msg_get_int(rep, "next_idx", &next_idx) == 0) {
		market_btc(next, btc, sizeof(btc));
		snprintf(msg, sizeof(msg), "That slot is %s; the next one "
		    "costs %s BTC now.", code == MSG_CODE_SOLD ?
		    "already sold" : "not for sale yet", btc);
	} else
		snprintf(msg, sizeof(msg), "%s", msg_get_str(rep, "error") ?
		    msg_get_str(rep, "error") : "The purchase did not go "
		    "through.");
	camp_confirm(r, camp_buy_status(rep), id, st, ad, next_idx, next, msg);
	json_object_put(st);
}

/* POST /c/<id>/buy: step 2 of 2, the purchase itself. */
static void
camp_buy_post(struct http_req *r, int64_t id)
{
	struct json_object	*req, *rep = NULL;
	const char		*maxs, *idem;
	char			 loc[64];
	int64_t			 ad, slot, max = 0;
	int			 ok = 0;

	if (!http_post_user(r))
		return;
	maxs = form_get(&r->form, "max_price");
	idem = form_get(&r->form, "idem");
	if (camp_field_int(r, "ad", &ad) != 0 ||
	    camp_field_int(r, "slot", &slot) != 0 || maxs == NULL ||
	    money_parse_btc(maxs, strlen(maxs), &max) != MONEY_OK || max < 1 ||
	    !http_idem_ok(idem)) {
		(void)http_error(r, 400, "The purchase form is incomplete or "
		    "its amount is not a positive BTC amount.");
		return;
	}
	req = msg_request_new(MSG_OP_BUY);
	json_object_object_add(req, "token", json_object_new_string(r->token));
	json_object_object_add(req, "campaign", json_object_new_int64(id));
	json_object_object_add(req, "slot", json_object_new_int64(slot));
	json_object_object_add(req, "ad", json_object_new_int64(ad));
	json_object_object_add(req, "max_price", json_object_new_int64(max));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return;
	}
	json_object_put(req);
	/* A retryable failure changed nothing: keep the copy (stale-if-error). */
	if (!msg_reply_retryable(rep))
		market_forget(r, id);
	if (msg_get_bool(rep, "ok", &ok) == 0 && ok) {
		/* The slot the worker sold (a resent form: the first one). */
		(void)msg_get_int(rep, "idx", &slot);
		snprintf(loc, sizeof(loc), "/c/%lld?bought=%lld",
		    (long long)id, (long long)slot);
		(void)http_redirect(r, loc);
	} else
		camp_buy_failed(r, id, ad, rep);
	json_object_put(rep);
}

/* Dispatches /c/<id> and /c/<id>/buy. */
void
page_campaign(struct http_req *r)
{
	int64_t	 id;

	if (market_path_id(r->path, "/c/", "/buy", &id) == 0) {
		if (strcmp(r->method, "POST") == 0)
			camp_buy_post(r, id);
		else
			camp_buy_get(r, id);
	} else if (market_path_id(r->path, "/c/", "", &id) == 0 &&
	    strcmp(r->method, "POST") != 0)
		camp_page(r, id);
	else
		(void)http_error(r, 404, "There is nothing at this address.");
}
