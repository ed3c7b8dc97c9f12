/*
 * The dashboards of issue 15 as the pages of web/page_my.c use them: the
 * seller's campaigns with their figures, one row of figures per campaign
 * and per ad.  The pages of their own (the JSON twin /my/campaigns.json
 * and a slot's page for its buyer, /my/slots/<campaign>/<idx>) are in
 * route.h.
 *
 * Memory: dash_my_campaigns gives a new json-c reference the caller puts;
 * the row functions borrow the JSON and add to the caller's template row.
 */
#ifndef ABC_PAGE_DASH_H
#define ABC_PAGE_DASH_H

#include <stdint.h>

#include <json-c/json.h>

#include "abc_err.h"

struct http_req;
struct tpl_val;

enum lookup	 dash_my_campaigns(struct http_req *r,
		    struct json_object **rep);
void		 dash_campaign_row(struct tpl_val *row,
		    struct json_object *c);
void		 dash_ad_row(struct tpl_val *row, struct json_object *ad,
		    int64_t now_ms);

#endif /* ABC_PAGE_DASH_H */
