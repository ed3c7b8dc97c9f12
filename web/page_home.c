/* GET /: the newest campaigns, the ad on display and the price now. */
#include <json-c/json.h>

#include "clock.h"
#include "http.h"
#include "market.h"
#include "msg.h"
#include "route.h"
#include "template.h"

void
page_home(struct http_req *r)
{
	struct json_object	*list, *st, *d;
	struct tpl_val		*data, *rows, *row;
	char			 btc[32];
	int64_t			 now = clock_real_ms(), id = 0;
	size_t			 i, n;

	if ((list = market_list(r)) == NULL)
		return;
	(void)http_user(r);
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
	(void)http_render(r, 200, "home", data);
	tpl_val_free(data);
	json_object_put(list);
}
