/*
 * GET /go/<campaign>/<idx>: a click on an embedded ad (issue 15).  Counts
 * the click (web/counter.h, in memory) and answers 303 to the URL the
 * slot's buyer stored with the ad: only that URL, never one taken from
 * the request, so this is no open redirect.  An unknown campaign or slot
 * (or one older than the campaign state's last 200) is 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "counter.h"
#include "http.h"
#include "market.h"
#include "msg.h"
#include "route.h"

/* Parses "/go/<id>/<idx>"; 0, or -1. */
static int
go_parse(const char *path, int64_t *id, int64_t *idx)
{
	const char	*slash;
	char		 head[64];
	size_t		 n;

	if (strncmp(path, "/go/", 4) != 0 ||
	    (slash = strchr(path + 4, '/')) == NULL ||
	    (n = (size_t)(slash - path)) >= sizeof(head))
		return -1;
	memcpy(head, path, n);
	head[n] = '\0';
	if (market_path_id(head, "/go/", "", id) != 0)
		return -1;
	/* idx 0 is a slot: "0" alone, else no leading zero. */
	if (strcmp(slash + 1, "0") == 0) {
		*idx = 0;
		return 0;
	}
	snprintf(head, sizeof(head), "/%s", slash + 1);
	if (market_path_id(head, "/", "", idx) != 0 || *idx > INT32_MAX)
		return -1;
	return 0;
}

/* The slot idx of state st, or NULL. */
static struct json_object *
go_slot(struct json_object *st, int64_t idx)
{
	struct json_object	*slots, *s;
	int64_t			 i;
	size_t			 k;

	if (!json_object_object_get_ex(st, "slots", &slots))
		return NULL;
	for (k = 0; k < json_object_array_length(slots); k++) {
		s = json_object_array_get_idx(slots, k);
		if (msg_get_int(s, "idx", &i) == 0 && i == idx)
			return s;
	}
	return NULL;
}

/* A URL safe to put in a Location header (the database checks it too). */
static int
go_url_ok(const char *url)
{
	const char	*p;

	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) || strlen(url) > 2000)
		return 0;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

void
page_go(struct http_req *r)
{
	struct json_object	*st, *s;
	const char		*url;
	int64_t			 id, idx;

	if (go_parse(r->path, &id, &idx) != 0) {
		(void)http_error(r, 404, "There is nothing at this address.");
		return;
	}
	if ((st = market_campaign(r, id)) == NULL)
		return;
	s = go_slot(st, idx);
	url = s != NULL ? msg_get_str(s, "url") : NULL;
	if (!go_url_ok(url))
		(void)http_error(r, 404, "There is no such ad.");
	else {
		(void)counter_hit(r->app->counter, id, idx, clock_real_ms(), 0,
		    1, -1);
		(void)http_redirect(r, url);
	}
	json_object_put(st);
}
