/*
 * What the marketplace pages share: campaign states from the cache (or
 * abc-worker on a miss), the price now, the slot on display, and money
 * formatting.  A campaign state is the JSON document of campaign_get.
 *
 * Ownership: market_campaign and market_list return a json-c reference the
 * caller puts; market_on_display borrows from the state it is given.
 */
#ifndef ABC_MARKET_H
#define ABC_MARKET_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "abc_err.h"

struct http_req;

struct json_object *market_campaign(struct http_req *r, int64_t id);
enum lookup	 market_campaign_lookup(struct http_req *r, int64_t id,
		    struct json_object **st, enum app_err *why);
struct json_object *market_list(struct http_req *r);
void		 market_forget(struct http_req *r, int64_t id);
/* Which of the viewer's ads: a page, and optionally a size or one ad. */
struct market_ads_q {
	int64_t		 before, after;	/* page cursor, -1: none (newest) */
	int64_t		 width, height;	/* 0: any size */
	int64_t		 id;		/* 0: any ad */
};

enum lookup	 market_my_ads(struct http_req *r,
		    const struct market_ads_q *q, struct json_object **rep);
int64_t		 market_price(struct json_object *state, int64_t now_ms);
int64_t		 market_my_balance(struct http_req *r);
int64_t		 market_next_start(struct json_object *state, int64_t now_ms);
struct json_object *market_on_display(struct json_object *state,
		    int64_t now_ms);
int64_t		 market_next_boundary(struct json_object *state,
		    int64_t now_ms);
void		 market_btc(int64_t sat, char *out, size_t len);
int		 market_path_id(const char *path, const char *prefix,
		    const char *suffix, int64_t *id);

#endif /* ABC_MARKET_H */
