/*
 * The dashboards (issue 15, SPEC 4.3): the figures of /my/campaigns (a
 * seller's earnings, impressions, clicks, CTR and a chart per day) and of
 * /my/ads (where and when each ad ran, what it cost, what it drew), their
 * JSON twin /my/campaigns.json that static/dash.js polls, and a slot's
 * own page for its buyer, /my/slots/<campaign>/<idx> (+ ".json"), 404 for
 * anyone else.
 *
 * Every figure comes from abc-worker in one read per page (SQL functions
 * dash_campaigns, dash_ad_runs, dash_slot), from slots and slot_stats,
 * never from account history: a purge changes none of them.  The pages
 * are per user and change with every impression, so they are not cached;
 * but /my/ads' figures ride in the user's cached page of ads (market_my_ads,
 * u:<user>|ads|...), so they may be up to HTTP_FRESH_UP_MS (5 s) old.
 * A figure is formatted once (web/dashfig.c, money as BTC text) and the
 * same text goes to the HTML and to the JSON twin, so the live page shows
 * exactly what a reload would.
 *
 * Memory: every json-c reference and template tree is freed before a
 * handler returns; SVG is built in a local struct buf.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "client.h"
#include "clock.h"
#include "daychart.h"
#include "dashfig.h"
#include "http.h"
#include "humane.h"
#include "market.h"
#include "msg.h"
#include "page_dash.h"
#include "route.h"
#include "template.h"

#define DASH_CHART_W	360
#define DASH_CHART_H	120

/* Integer member key of o, or 0 when absent or not a number. */
static int64_t
dash_int(struct json_object *o, const char *key)
{
	int64_t	 v = 0;

	return msg_get_int(o, key, &v) == 0 ? v : 0;
}

/* Sets key of row to the BTC text of the satoshis at member key of o. */
static void
dash_btc(struct tpl_val *row, struct json_object *o, const char *key)
{
	char	 btc[32];

	market_btc(dash_int(o, key), btc, sizeof(btc));
	tpl_put_str(row, key, btc);
}

/* Adds key = the BTC text of o's member key to the JSON object out. */
static void
dash_json_btc(struct json_object *out, struct json_object *o,
    const char *key)
{
	char	 btc[32], sat[48];

	market_btc(dash_int(o, key), btc, sizeof(btc));
	json_object_object_add(out, key, json_object_new_string(btc));
	snprintf(sat, sizeof(sat), "%s_sat", key);
	json_object_object_add(out, sat, json_object_new_int64(dash_int(o,
	    key)));
}

/* The chart of o's "days" as SVG into row's key; "" when it cannot be. */
static void
dash_chart(struct tpl_val *row, const char *key, struct json_object *o)
{
	struct daychart_day	 days[DAYCHART_MAX_DAYS];
	struct json_object	*arr, *d;
	struct buf		 svg;
	size_t			 i, n = 0, len;

	if (!json_object_object_get_ex(o, "days", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	len = json_object_array_length(arr);
	/* The newest days when there are more than a chart draws. */
	for (i = len > DAYCHART_MAX_DAYS ? len - DAYCHART_MAX_DAYS : 0;
	    i < len; i++, n++) {
		d = json_object_array_get_idx(arr, i);
		days[n].day_ms = dash_int(d, "day_ms");
		days[n].impressions = dash_int(d, "impressions");
		days[n].clicks = dash_int(d, "clicks");
	}
	buf_init(&svg, DAYCHART_MAX_BYTES);
	if (daychart_svg(&svg, days, n, DASH_CHART_W, DASH_CHART_H) == 0)
		tpl_put_strn(row, key, (const char *)svg.data, svg.len);
	buf_clear(&svg);
}

/* Sets impressions, clicks and ctr of row from o's members. */
static void
dash_counts(struct tpl_val *row, struct json_object *o)
{
	char	 ctr[DASHFIG_TEXT_MAX];

	tpl_put_int(row, "impressions", dash_int(o, "impressions"));
	tpl_put_int(row, "clicks", dash_int(o, "clicks"));
	dashfig_ctr(dash_int(o, "clicks"), dash_int(o, "impressions"), ctr,
	    sizeof(ctr));
	tpl_put_str(row, "ctr", ctr);
}

/* Adds impressions, clicks and ctr of o to the JSON object out. */
static void
dash_json_counts(struct json_object *out, struct json_object *o)
{
	char	 ctr[DASHFIG_TEXT_MAX];

	json_object_object_add(out, "impressions",
	    json_object_new_int64(dash_int(o, "impressions")));
	json_object_object_add(out, "clicks",
	    json_object_new_int64(dash_int(o, "clicks")));
	dashfig_ctr(dash_int(o, "clicks"), dash_int(o, "impressions"), ctr,
	    sizeof(ctr));
	json_object_object_add(out, "ctr", json_object_new_string(ctr));
}

/* The figures of campaign c (a dash_campaigns row) into its table row. */
void
dash_campaign_row(struct tpl_val *row, struct json_object *c)
{
	dash_btc(row, c, "earned");
	dash_btc(row, c, "earned_7d");
	dash_counts(row, c);
	dash_chart(row, "chart", c);
}

/*
 * The figures of one ad of /my/ads (its "ran": dash_ad_runs): how many
 * slots it bought, the price paid for them, impressions, clicks, CTR, and
 * its newest slots with where, when and a link to each slot's page.
 */
void
dash_ad_row(struct tpl_val *row, struct json_object *ad, int64_t now_ms)
{
	struct json_object	*ran, *last, *s;
	struct tpl_val		*list, *sr;
	const char		*name;
	size_t			 i;

	if (!json_object_object_get_ex(ad, "ran", &ran))
		return;
	tpl_put_int(row, "slots", dash_int(ran, "slots"));
	tpl_put_bool(row, "ran", dash_int(ran, "slots") > 0);
	dash_btc(row, ran, "paid");
	dash_counts(row, ran);
	if (!json_object_object_get_ex(ran, "last", &last) ||
	    !json_object_is_type(last, json_type_array))
		return;
	list = tpl_put_list(row, "runs");
	for (i = 0; i < json_object_array_length(last); i++) {
		s = json_object_array_get_idx(last, i);
		sr = tpl_list_add(list);
		tpl_put_int(sr, "campaign", dash_int(s, "campaign"));
		name = msg_get_str(s, "name");
		tpl_put_str(sr, "name", name != NULL ? name : "");
		tpl_put_int(sr, "idx", dash_int(s, "idx"));
		tpl_put_int(sr, "number", dash_int(s, "idx") + 1);
		humane_set_time(sr, "start", dash_int(s, "start_ms"), NULL,
		    now_ms);
		humane_set_time(sr, "end", dash_int(s, "end_ms"), NULL,
		    now_ms);
		dash_btc(sr, s, "price");
		dash_counts(sr, s);
	}
	tpl_put_bool(row, "more_runs", dash_int(ran, "slots") >
	    (int64_t)json_object_array_length(last));
}

/*
 * Sends req (taken) for the logged-in viewer and reads the answer: FOUND
 * with *rep (a new reference), ABSENT when abc-worker answered absent
 * (the session, or code absent), UNKNOWN when it could not tell.
 */
static enum lookup
dash_ask(struct http_req *r, struct json_object *req, enum msg_code absent,
    struct json_object **rep)
{
	enum lookup	 lk = LOOKUP_UNKNOWN;

	*rep = NULL;
	json_object_object_add(req, "token", json_object_new_string(r->token));
	if (client_call(r->app->client, req, r->app->request_timeout_ms, 0,
	    rep) == APP_OK) {
		lk = msg_reply_lookup(*rep, absent);
		if (lk == LOOKUP_UNKNOWN && msg_reply_code(*rep) ==
		    MSG_CODE_NO_SESSION)
			lk = LOOKUP_ABSENT;
	}
	if (lk != LOOKUP_FOUND) {
		json_object_put(*rep);
		*rep = NULL;
	}
	json_object_put(req);
	return lk;
}

/*
 * The viewer's dashboard: the reply of my_campaigns, whose "campaigns"
 * is an array (checked) of dash_campaigns rows and "more" tells there are
 * older ones than it holds.  As dash_ask.
 */
enum lookup
dash_my_campaigns(struct http_req *r, struct json_object **rep)
{
	struct json_object	*v;
	enum lookup		 lk;

	lk = dash_ask(r, msg_request_new(MSG_OP_MY_CAMPAIGNS),
	    MSG_CODE_NO_SESSION, rep);
	if (lk == LOOKUP_FOUND && (!json_object_object_get_ex(*rep,
	    "campaigns", &v) || !json_object_is_type(v, json_type_array))) {
		json_object_put(*rep);
		*rep = NULL;
		lk = LOOKUP_UNKNOWN;
	}
	return lk;
}

/* Sends JSON text for the lookup that failed: 403 or 503 "try again". */
static void
dash_json_failed(struct http_req *r, enum lookup lk)
{
	if (lk == LOOKUP_ABSENT) {
		(void)http_send(r, 403, "application/json",
		    "{\"error\":\"not logged in\"}", 26);
		return;
	}
	(void)buf_printf(&r->headers, "Retry-After: 2\r\n");
	(void)http_send(r, 503, "application/json",
	    "{\"error\":\"try again\"}", 21);
}

/* Sends o as the JSON answer, then puts it. */
static void
dash_json_send(struct http_req *r, struct json_object *o)
{
	const char	*text;

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	(void)http_send(r, 200, "application/json", text, strlen(text));
	json_object_put(o);
}

/* One campaign of /my/campaigns.json: the figures the page shows. */
static struct json_object *
dash_campaign_json(struct json_object *c, int64_t now)
{
	struct json_object	*o = json_object_new_object(), *days, *d, *a;
	const char		*name = msg_get_str(c, "name");
	char			 btc[32];
	size_t			 i;

	json_object_object_add(o, "id", json_object_new_int64(dash_int(c,
	    "id")));
	json_object_object_add(o, "name", json_object_new_string(name !=
	    NULL ? name : ""));
	json_object_object_add(o, "sold", json_object_new_int64(dash_int(c,
	    "slots_sold")));
	market_btc(market_price(c, now), btc, sizeof(btc));
	json_object_object_add(o, "price", json_object_new_string(btc));
	dash_json_btc(o, c, "earned");
	dash_json_btc(o, c, "earned_7d");
	dash_json_counts(o, c);
	a = json_object_new_array();
	if (json_object_object_get_ex(c, "days", &days) &&
	    json_object_is_type(days, json_type_array))
		for (i = 0; i < json_object_array_length(days); i++) {
			d = json_object_array_get_idx(days, i);
			json_object_array_add(a, json_object_get(d));
		}
	json_object_object_add(o, "days", a);
	return o;
}

/*
 * GET /my/campaigns.json: the figures of /my/campaigns, polled by
 * static/dash.js every few seconds: {"campaigns": [{id, name, sold,
 * price, earned, earned_sat, earned_7d, earned_7d_sat, impressions,
 * clicks, ctr, days: [{day_ms, earned, impressions, clicks}]}], "more"}.
 */
void
page_my_campaigns_json(struct http_req *r)
{
	struct json_object	*rep, *list, *out, *arr;
	int64_t			 now = clock_real_ms();
	enum lookup		 lk;
	int			 more = 0;
	size_t			 i;

	if ((lk = http_session(r)) != LOOKUP_FOUND ||
	    (lk = dash_my_campaigns(r, &rep)) != LOOKUP_FOUND) {
		dash_json_failed(r, lk);
		return;
	}
	(void)json_object_object_get_ex(rep, "campaigns", &list);
	out = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < json_object_array_length(list); i++)
		json_object_array_add(arr, dash_campaign_json(
		    json_object_array_get_idx(list, i), now));
	json_object_object_add(out, "campaigns", arr);
	(void)msg_get_bool(rep, "more", &more);
	json_object_object_add(out, "more", json_object_new_boolean(more));
	json_object_put(rep);
	dash_json_send(r, out);
}

/* The slot's figures (CTR, page seen) as text into row and/or json. */
static void
dash_slot_figures(struct json_object *s, struct tpl_val *row,
    struct json_object *out)
{
	char	 seen[DASHFIG_TEXT_MAX];

	dashfig_seen(dash_int(s, "minutes_seen"), dash_int(s,
	    "minutes_so_far"), seen, sizeof(seen));
	if (row != NULL) {
		dash_counts(row, s);
		tpl_put_str(row, "seen", seen);
	}
	if (out != NULL) {
		dash_json_counts(out, s);
		json_object_object_add(out, "seen",
		    json_object_new_string(seen));
		json_object_object_add(out, "minutes_seen",
		    json_object_new_int64(dash_int(s, "minutes_seen")));
		json_object_object_add(out, "minutes_so_far",
		    json_object_new_int64(dash_int(s, "minutes_so_far")));
	}
}

/* The slot page's HTML: the ad, the campaign, when, price, figures. */
static void
dash_slot_page(struct http_req *r, struct json_object *s, int64_t now)
{
	static const char *const keys[] = { "campaign_name", "nickname",
	    "hover", "url", "image", NULL };
	struct tpl_val	*v;
	const char	*t;
	int64_t		 start = dash_int(s, "start_ms");
	int64_t		 end = dash_int(s, "end_ms");
	char		 title[64], span[32];
	size_t		 k;

	snprintf(title, sizeof(title), "Slot %" PRId64 " of campaign %"
	    PRId64, dash_int(s, "idx") + 1, dash_int(s, "campaign"));
	v = http_page(r, title);
	for (k = 0; keys[k] != NULL; k++)
		tpl_put_str(v, keys[k], (t = msg_get_str(s, keys[k])) !=
		    NULL ? t : "");
	tpl_put_int(v, "campaign", dash_int(s, "campaign"));
	tpl_put_int(v, "idx", dash_int(s, "idx"));
	tpl_put_int(v, "number", dash_int(s, "idx") + 1);
	tpl_put_int(v, "width", dash_int(s, "width"));
	tpl_put_int(v, "height", dash_int(s, "height"));
	humane_set_time(v, "start", start, NULL, now);
	humane_set_time(v, "end", end, NULL, now);
	humane_set_time(v, "bought", dash_int(s, "bought_ms"), NULL, now);
	humane_span(end - start, span, sizeof(span));
	tpl_put_str(v, "length", span);
	tpl_put_bool(v, "running", start <= now && now < end);
	tpl_put_bool(v, "upcoming", now < start);
	tpl_put_bool(v, "over", end <= now);
	dash_btc(v, s, "price");
	dash_slot_figures(s, v, NULL);
	dash_chart(v, "chart", s);
	(void)http_render(r, 200, "my_slot", v);
	tpl_val_free(v);
}

/*
 * GET /my/slots/<campaign>/<idx> (+ ".json"): the slot for its buyer;
 * 404 when there is no such slot or the viewer did not buy it.
 */
void
page_my_slot(struct http_req *r)
{
	struct json_object	*req, *rep, *s, *out;
	int64_t			 camp, idx, now = clock_real_ms();
	enum lookup		 lk = LOOKUP_UNKNOWN;
	int			 json;

	json = dashfig_slot_path(r->path, ".json", &camp, &idx) == 0;
	if (!json && dashfig_slot_path(r->path, "", &camp, &idx) != 0) {
		(void)http_error(r, 404, "There is no such slot.");
		return;
	}
	if (json ? (lk = http_session(r)) != LOOKUP_FOUND :
	    !http_need_user(r)) {
		if (json)
			dash_json_failed(r, lk);
		return;
	}
	req = msg_request_new(MSG_OP_MY_SLOT);
	json_object_object_add(req, "campaign", json_object_new_int64(camp));
	json_object_object_add(req, "slot", json_object_new_int64(idx));
	lk = dash_ask(r, req, MSG_CODE_NO_CAMPAIGN, &rep);
	if (lk != LOOKUP_FOUND || !json_object_object_get_ex(rep, "slot",
	    &s)) {
		if (json && lk != LOOKUP_ABSENT)
			dash_json_failed(r, LOOKUP_UNKNOWN);
		else if (json)
			(void)http_send(r, 404, "application/json",
			    "{\"error\":\"no such slot\"}", 24);
		else if (lk == LOOKUP_ABSENT)
			(void)http_error(r, 404, "There is no such slot.");
		else
			(void)http_unknown(r, APP_EDB);
		json_object_put(rep);
		return;
	}
	if (!json) {
		dash_slot_page(r, s, now);
		json_object_put(rep);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "campaign", json_object_new_int64(camp));
	json_object_object_add(out, "idx", json_object_new_int64(idx));
	dash_json_btc(out, s, "price");
	dash_slot_figures(s, NULL, out);
	json_object_object_add(out, "days", json_object_object_get_ex(s,
	    "days", &s) ? json_object_get(s) : json_object_new_array());
	json_object_put(rep);
	dash_json_send(r, out);
}
