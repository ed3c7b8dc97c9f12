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
#include "clock.h"
#include "http.h"
#include "market.h"
#include "msg.h"
#include "route.h"
#include "template.h"

#define HOME_FRESH_MS	100

/* The rows of the home page from the campaign list. */
static struct tpl_val *
home_data(struct http_req *r, struct json_object *list, int64_t now)
{
	struct json_object	*st, *d;
	struct tpl_val		*data, *rows, *row;
	char			 btc[32];
	int64_t			 id = 0;
	size_t			 i, n;

	data = http_page(r, "Campaigns");
	rows = tpl_set_list(data, "campaigns");
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		st = json_object_array_get_idx(list, i);
		row = tpl_list_add(rows);
		(void)msg_get_int(st, "id", &id);
		tpl_set_int(row, "id", id);
		tpl_set_str(row, "name", msg_get_str(st, "name"));
		d = market_on_display(st, now);
		tpl_set_str(row, "ad", d != NULL && msg_get_str(d, "nickname") ?
		    msg_get_str(d, "nickname") : "none");
		market_btc(market_price(st, now), btc, sizeof(btc));
		tpl_set_str(row, "price", btc);
	}
	tpl_set_bool(data, "has_campaigns", n > 0);
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
	if (anonymous && (page = cache_get(r->app->cache, "page:/",
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
			(void)cache_put(r->app->cache, "page:/",
			    (const char *)out.data, out.len, clock_mono_ms(),
			    gen);
		(void)http_send(r, 200, "text/html; charset=utf-8", out.data,
		    out.len);
	}
	buf_clear(&out);
	tpl_val_free(data);
	json_object_put(list);
}
