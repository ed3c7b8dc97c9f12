/*
 * GET /: the newest campaigns, the ad on display and the price now.  The
 * page anonymous visitors get is the same for everyone, so it is kept
 * for HOME_FRESH_MS: prices on it are then at most that old (SPEC 6 asks
 * for 100 ms), and the busiest page costs a copy instead of a render.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "cache.h"
#include "cachekey.h"
#include "clock.h"
#include "http.h"
#include "humane.h"
#include "market.h"
#include "msg.h"
#include "price.h"
#include "route.h"
#include "template.h"

#define HOME_FRESH_MS	100

/* The ticker's inputs of campaign st (static/campaign.js, SPEC 4.4). */
static void
home_ticker(struct tpl_val *row, struct json_object *st)
{
	struct price_campaign	 pc;
	struct price_slot	 last;
	int			 have;

	memset(&pc, 0, sizeof(pc));
	have = msg_campaign_price(st, &pc, &last) == 0 && pc.nslots == 1;
	tpl_put_int(row, "t_min", pc.min_price_sat);
	tpl_put_int(row, "t_plast", have ? last.price_sat : 0);
	tpl_put_int(row, "t_t0", have ? last.bought_ms : 0);
	tpl_put_int(row, "t_t1", have ? last.end_ms : 0);
}

/* One campaign of the list: name, ad on display, size, slot, price. */
static void
home_row(struct tpl_val *row, struct json_object *st, int64_t now)
{
	struct json_object	*d;
	char			 text[64];
	int64_t			 n = 0;

	(void)msg_get_int(st, "id", &n);
	tpl_put_int(row, "id", n);
	tpl_put_str(row, "name", msg_get_str(st, "name"));
	d = market_on_display(st, now);
	tpl_put_bool(row, "has_ad", d != NULL && msg_get_str(d, "image"));
	tpl_put_str(row, "ad", d != NULL && msg_get_str(d, "nickname") ?
	    msg_get_str(d, "nickname") : "none");
	tpl_put_str(row, "image", d != NULL && msg_get_str(d, "image") ?
	    msg_get_str(d, "image") : "");
	n = 0;
	(void)msg_get_int(st, "width", &n);
	tpl_put_int(row, "width", n);
	n = 0;
	(void)msg_get_int(st, "height", &n);
	tpl_put_int(row, "height", n);
	n = 0;
	(void)msg_get_int(st, "slot_ms", &n);
	humane_span(n, text, sizeof(text));
	tpl_put_str(row, "slot_len", text);
	market_btc(market_price(st, now), text, sizeof(text));
	tpl_put_str(row, "price", text);
	home_ticker(row, st);
}

/* The home page's data from the campaign list. */
static struct tpl_val *
home_data(struct http_req *r, struct json_object *list, int64_t now)
{
	struct tpl_val		*data, *rows;
	size_t			 i, n;

	data = http_page(r, "Campaigns");
	rows = tpl_put_list(data, "campaigns");
	n = json_object_array_length(list);
	for (i = 0; i < n; i++)
		home_row(tpl_list_add(rows), json_object_array_get_idx(list,
		    i), now);
	tpl_put_bool(data, "has_campaigns", n > 0);
	tpl_put_int(data, "t_now", now);
	return data;
}

void
page_home(struct http_req *r)
{
	struct json_object	*list;
	struct tpl_val		*data;
	struct buf		 out;
	char			 err[256], *page;
	size_t			 len;
	uint64_t		 gen;
	int			 anonymous = r->token[0] == '\0';

	http_edge_cacheable(r);
	if (anonymous && (page = cache_get(r->app->cache, CACHEKEY_HOME,
	    HOME_FRESH_MS, clock_mono_ms(), &len)) != NULL) {
		(void)http_send(r, 200, "text/html; charset=utf-8", page, len);
		free(page);
		return;
	}
	gen = cache_gen(r->app->cache);	/* before the list: see cache.h */
	if ((list = market_list(r)) == NULL)
		return;
	(void)http_user(r);
	data = home_data(r, list, clock_real_ms());
	buf_init(&out, 8u * 1024 * 1024);
	if (tpl_render(r->app->tpl, "home", data, &out, err, sizeof(err)) != 0)
		(void)http_error(r, 500, "The page could not be made.");
	else {
		if (anonymous && r->user.id == 0)
			(void)cache_put(r->app->cache, CACHEKEY_HOME,
			    (const char *)out.data, out.len, clock_mono_ms(),
			    gen);
		(void)http_send(r, 200, "text/html; charset=utf-8", out.data,
		    out.len);
	}
	buf_clear(&out);
	tpl_val_free(data);
	json_object_put(list);
}
