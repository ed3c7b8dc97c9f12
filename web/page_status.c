/*
 * GET /status: live health of every hop.  The link row comes from the link
 * thread's state; PostgreSQL and bitcoind come from a status request to
 * abc-worker with a short deadline, so the page answers in bounded time
 * even when the worker is dead or stuck.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "cache.h"
#include "client.h"
#include "clock.h"
#include "http.h"
#include "metrics.h"
#include "msg.h"
#include "route.h"
#include "template.h"

/* How long /status waits for the worker before saying "no answer". */
#define STATUS_TIMEOUT_MS	1000

/* Appends one row to the checks list. */
static void
status_row(struct tpl_val *checks, const char *name, int ok,
    const char *detail)
{
	struct tpl_val	*row;

	row = tpl_list_add(checks);
	tpl_set_str(row, "name", name);
	tpl_set_str(row, "state", ok ? "up" : "down");
	tpl_set_bool(row, "ok", ok);
	tpl_set_str(row, "detail", detail);
}

/* Formats "since <time>" for a state that began at since_ms. */
static void
status_since(char *dst, size_t dstlen, const char *what, long long since_ms)
{
	char	 when[64];

	if (since_ms <= 0 || clock_format_utc(since_ms, when,
	    sizeof(when)) != 0)
		snprintf(dst, dstlen, "%s", what);
	else
		snprintf(dst, dstlen, "%s (since %s)", what, when);
}

/*
 * The deposit follower's row: credited deposits that a reorg removed are
 * an admin's business (sql/admin/deposit_reorgs.sql lists them).
 */
static void
status_reorgs(struct tpl_val *checks, struct json_object *rep)
{
	const char	*block = msg_get_str(rep, "follower_block");
	char		 text[256];
	int64_t		 n = 0;

	(void)msg_get_int(rep, "deposit_reorgs", &n);
	if (n > 0)
		snprintf(text, sizeof(text), "%lld credited deposit(s) reorged "
		    "out: see sql/admin/deposit_reorgs.sql", (long long)n);
	else
		snprintf(text, sizeof(text), "following the wallet%s%.16s%s",
		    block != NULL ? " at block " : "", block != NULL ? block : "",
		    block != NULL ? "…" : "");
	status_row(checks, "deposits", n == 0, text);
}

/* Rows for PostgreSQL and bitcoind from the worker's status reply. */
static void
status_worker_rows(struct tpl_val *checks, struct json_object *rep)
{
	struct json_object	*db, *btc;
	const char		*detail;
	char			 text[384];
	int64_t			 height, since;
	int			 up;

	db = msg_get_obj(rep, "db");
	up = 0;
	if (db != NULL)
		(void)msg_get_bool(db, "up", &up);
	detail = db != NULL ? msg_get_str(db, "detail") : NULL;
	snprintf(text, sizeof(text), "%s%s", up ? "PostgreSQL " : "",
	    detail != NULL ? detail : "no answer");
	status_row(checks, "PostgreSQL", up, text);

	btc = msg_get_obj(rep, "btc");
	up = 0;
	height = -1;
	since = 0;
	if (btc != NULL) {
		(void)msg_get_bool(btc, "up", &up);
		(void)msg_get_int(btc, "height", &height);
		(void)msg_get_int(btc, "since_ms", &since);
	}
	if (up)
		snprintf(text, sizeof(text), "block height %lld",
		    (long long)height);
	else {
		detail = btc != NULL ? msg_get_str(btc, "state") : NULL;
		snprintf(text, sizeof(text), "%s: %s",
		    detail != NULL ? detail : "unknown",
		    btc != NULL && msg_get_str(btc, "detail") != NULL ?
		    msg_get_str(btc, "detail") : "no answer");
	}
	status_since(text + strlen(text), sizeof(text) - strlen(text), "",
	    up ? 0 : since);
	status_row(checks, "bitcoind", up, text);
	status_reorgs(checks, rep);
}

/* Asks the worker and fills the rows that depend on it. */
static void
status_ask_worker(struct http_req *r, struct tpl_val *checks)
{
	struct json_object	*req, *rep = NULL;
	enum app_err		 e;
	char			 text[256];
	int64_t			 t0 = clock_mono_ms();

	req = msg_request_new(MSG_OP_STATUS);
	e = client_call(r->app->client, req, STATUS_TIMEOUT_MS, CLIENT_FAIL_FAST,
	    &rep);
	json_object_put(req);
	if (e != APP_OK) {
		snprintf(text, sizeof(text), "unknown: abc-worker %s",
		    e == APP_ETIMEDOUT ? "did not answer in time" :
		    app_strerror(e));
		status_row(checks, "abc-worker", 0, text);
		status_row(checks, "PostgreSQL", 0, text);
		status_row(checks, "bitcoind", 0, text);
		return;
	}
	snprintf(text, sizeof(text), "answered in %lld ms",
	    (long long)(clock_mono_ms() - t0));
	status_row(checks, "abc-worker", 1, text);
	status_worker_rows(checks, rep);
	json_object_put(rep);
}

/* This abc-web's own numbers: cache hit rate and latency percentiles. */
static void
status_web_numbers(struct http_req *r, struct tpl_val *checks)
{
	struct cache_stats	 cs;
	char			 text[256];
	uint64_t		 total;

	cache_get_stats(r->app->cache, &cs);
	total = cs.hits + cs.misses;
	snprintf(text, sizeof(text), "%llu%% of %llu reads from the cache "
	    "(%zu entries, %zu bytes)", (unsigned long long)(total > 0 ?
	    cs.hits * 100 / total : 0), (unsigned long long)total, cs.entries,
	    cs.bytes);
	status_row(checks, "cache", 1, text);
	snprintf(text, sizeof(text), "p50 under %lld us, p99 under %lld us "
	    "(this abc-web, since it started)",
	    (long long)metrics_percentile_us(r->app->metrics, 500),
	    (long long)metrics_percentile_us(r->app->metrics, 990));
	status_row(checks, "request latency", 1, text);
}

/* GET /metrics: Prometheus text. */
void
page_metrics(struct http_req *r)
{
	struct buf	 out;

	buf_init(&out, 64 * 1024);
	metrics_render(r->app->metrics, r->app, &out);
	(void)http_send(r, 200, "text/plain; version=0.0.4", out.data,
	    out.len);
	buf_clear(&out);
}

void
page_status(struct http_req *r)
{
	struct client_stats	 st;
	struct tpl_val		*data, *checks;
	char			 text[256];

	data = tpl_obj_new();
	tpl_set_str(data, "title", "Status");
	checks = tpl_set_list(data, "checks");
	snprintf(text, sizeof(text), "pid %d, %d threads", (int)getpid(),
	    r->app->threads);
	status_row(checks, "abc-web", 1, text);
	client_stats(r->app->client, &st);
	status_since(text, sizeof(text), st.detail, st.since_ms);
	status_row(checks, "link to abc-worker", st.up, text);
	status_ask_worker(r, checks);
	status_web_numbers(r, checks);
	if (clock_format_utc(clock_real_ms(), text, sizeof(text)) != 0)
		text[0] = '\0';
	tpl_set_str(data, "generated_at", text);
	(void)http_render(r, 200, "status", data);
	tpl_val_free(data);
}
