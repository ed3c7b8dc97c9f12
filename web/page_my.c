/*
 * The logged-in user's own lists (/my/campaigns, /my/ads) and the
 * explanation of the market for newcomers (/how).  /my/campaigns is the
 * seller's dashboard, read from abc-worker on every request (it changes
 * with every purchase and impression); /my/ads is a page of the user's
 * ads with what each bought (the figures: web/page_dash.c); /how is a
 * fixed page.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "http.h"
#include "humane.h"
#include "market.h"
#include "msg.h"
#include "page_dash.h"
#include "route.h"
#include "template.h"

/* One row of /my/campaigns: name, size, slot, slots sold, price now. */
static void
my_campaign_row(struct tpl_val *row, struct json_object *st, int64_t now)
{
	char	 text[64];
	int64_t	 n = 0, w = 0, h = 0;

	(void)msg_get_int(st, "id", &n);
	tpl_put_int(row, "id", n);
	tpl_put_str(row, "name", msg_get_str(st, "name") ?
	    msg_get_str(st, "name") : "");
	(void)msg_get_int(st, "width", &w);
	(void)msg_get_int(st, "height", &h);
	snprintf(text, sizeof(text), "%lld × %lld", (long long)w,
	    (long long)h);
	tpl_put_str(row, "size", text);
	n = 0;
	(void)msg_get_int(st, "slot_ms", &n);
	humane_span(n, text, sizeof(text));
	tpl_put_str(row, "slot_len", text);
	n = 0;
	(void)msg_get_int(st, "slots_sold", &n);
	tpl_put_int(row, "sold", n);
	market_btc(market_price(st, now), text, sizeof(text));
	tpl_put_str(row, "price", text);
	dash_campaign_row(row, st);
}

/* GET /my/campaigns. */
void
page_my_campaigns(struct http_req *r)
{
	struct json_object	*rep, *list = NULL;
	struct tpl_val		*v, *rows;
	int64_t			 now = clock_real_ms();
	size_t			 i, n = 0;
	enum lookup		 lk;
	int			 more = 0;

	if (!http_need_user(r))
		return;
	if ((lk = dash_my_campaigns(r, &rep)) == LOOKUP_FOUND) {
		(void)json_object_object_get_ex(rep, "campaigns", &list);
		(void)msg_get_bool(rep, "more", &more);
	}
	v = http_page(r, "My campaigns");
	rows = tpl_put_list(v, "campaigns");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++)
		my_campaign_row(tpl_list_add(rows),
		    json_object_array_get_idx(list, i), now);
	n = list != NULL ? json_object_array_length(list) : 0;
	tpl_put_bool(v, "has_campaigns", n > 0);
	tpl_put_bool(v, "more", more);
	tpl_put_bool(v, "unavailable", lk != LOOKUP_FOUND);
	(void)http_render(r, lk == LOOKUP_FOUND ? 200 : 503, "my_campaigns", v);
	tpl_val_free(v);
	json_object_put(rep);
}

/* GET /my/ads. */
void
page_my_ads(struct http_req *r)
{
	static const char *const keys[] = { "nickname", "hover", "url",
	    "image", NULL };
	struct market_ads_q	 q;
	struct json_object	*rep = NULL, *ads = NULL, *a;
	struct tpl_val		*v, *rows, *row;
	const char		*s;
	int64_t			 n;
	size_t			 i, k;
	enum lookup		 lk;

	if (!http_need_user(r))
		return;
	memset(&q, 0, sizeof(q));
	if (http_page_cursor(r, &q.before, &q.after) != 0) {
		(void)http_error(r, 400, "That is not a page of your ads.");
		return;
	}
	if ((lk = market_my_ads(r, &q, &rep)) == LOOKUP_FOUND)
		(void)json_object_object_get_ex(rep, "ads", &ads);
	v = http_page(r, "My ads");
	rows = tpl_put_list(v, "ads");
	for (i = 0; ads != NULL && i < json_object_array_length(ads); i++) {
		a = json_object_array_get_idx(ads, i);
		row = tpl_list_add(rows);
		for (k = 0; keys[k] != NULL; k++)
			tpl_put_str(row, keys[k], (s = msg_get_str(a,
			    keys[k])) != NULL ? s : "");
		n = 0;
		(void)msg_get_int(a, "width", &n);
		tpl_put_int(row, "width", n);
		n = 0;
		(void)msg_get_int(a, "height", &n);
		tpl_put_int(row, "height", n);
		dash_ad_row(row, a, clock_real_ms());
	}
	tpl_put_bool(v, "has_ads", ads != NULL &&
	    json_object_array_length(ads) > 0);
	tpl_put_bool(v, "unavailable", lk != LOOKUP_FOUND);
	http_pager(v, "pager", "/my/ads", rep, "ads");
	(void)http_render(r, lk == LOOKUP_FOUND ? 200 : 503, "my_ads", v);
	tpl_val_free(v);
	json_object_put(rep);
}

/* GET /how: how the market works, for anyone. */
void
page_how(struct http_req *r)
{
	struct tpl_val	*v;

	(void)http_user(r);
	v = http_page(r, "How it works");
	(void)http_render(r, 200, "how", v);
	tpl_val_free(v);
}
