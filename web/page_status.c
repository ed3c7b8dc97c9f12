/*
 * GET /status: live health of every hop.  The link row comes from the link
 * thread's state; PostgreSQL and bitcoind come from a status request to
 * abc-worker with a short deadline, so the page answers in bounded time
 * even when the worker is dead or stuck.
 *
 * Issue 10: the public page says only up, degraded or down per part (and
 * the block height); error texts, versions, the hashing pool and this
 * process's numbers are on GET /status/detail, which like /metrics only
 * admin_addrs may see (http_admin; others get 404).
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
#include "kdfpool.h"
#include "metrics.h"
#include "msg.h"
#include "route.h"
#include "template.h"

/* How long /status waits for the worker before saying "no answer". */
#define STATUS_TIMEOUT_MS	1000

/* The rows being built, and whether details may be shown. */
struct status_page {
	struct tpl_val	*checks;
	int		 full;		/* /status/detail */
};

/*
 * Appends one row: state "up", "down" or, for a part that works with a
 * fault (ok and degraded), "degraded".  detail only on the full page;
 * public (may be NULL) on both.
 */
static void
status_row_as(struct status_page *p, const char *name, int ok, int degraded,
    const char *detail, const char *public)
{
	struct tpl_val	*row;

	row = tpl_list_add(p->checks);
	tpl_put_str(row, "name", name);
	tpl_put_str(row, "state", !ok ? "down" : degraded ? "degraded" : "up");
	tpl_put_bool(row, "ok", ok && !degraded);
	tpl_put_str(row, "detail", p->full ? detail : public != NULL ? public :
	    "");
}

/* A row with nothing public beyond its state. */
static void
status_row(struct status_page *p, const char *name, int ok,
    const char *detail)
{
	status_row_as(p, name, ok, 0, detail, NULL);
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
status_reorgs(struct status_page *checks, struct json_object *rep)
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
	status_row_as(checks, "deposits", 1, n > 0, text, NULL);
}

/* The hashing pool's counters (issue 10), on the full page only. */
static void
status_kdf(struct status_page *p, struct json_object *rep)
{
	struct json_object	*k = msg_get_obj(rep, "kdf");
	int64_t			 v[6] = { 0, 0, 0, 0, 0, 0 };
	char			 text[256];

	if (!p->full || k == NULL)
		return;
	(void)msg_get_int(k, "hashed", &v[0]);
	(void)msg_get_int(k, "checked", &v[1]);
	(void)msg_get_int(k, "refused_hash", &v[2]);
	(void)msg_get_int(k, "refused_check", &v[3]);
	(void)msg_get_int(k, "queued", &v[4]);
	(void)msg_get_int(k, "avg_ms", &v[5]);
	snprintf(text, sizeof(text), "hashed %lld, checked %lld, refused "
	    "%lld new hashes and %lld checks, %lld waiting, %lld ms each",
	    (long long)v[0], (long long)v[1], (long long)v[2],
	    (long long)v[3], (long long)v[4], (long long)v[5]);
	status_row(p, "password hashing", 1, text);
}

/* Rows for PostgreSQL and bitcoind from the worker's status reply. */
static void
status_worker_rows(struct status_page *checks, struct json_object *rep)
{
	struct json_object	*db, *btc;
	const char		*detail;
	char			 text[384];
	char			 public[64];
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
	snprintf(public, sizeof(public), "block height %lld",
	    (long long)height);
	if (!up) {
		detail = btc != NULL ? msg_get_str(btc, "state") : NULL;
		snprintf(text, sizeof(text), "%s: %s",
		    detail != NULL ? detail : "unknown",
		    btc != NULL && msg_get_str(btc, "detail") != NULL ?
		    msg_get_str(btc, "detail") : "no answer");
	}
	status_since(text + strlen(text), sizeof(text) - strlen(text), "",
	    up ? 0 : since);
	status_row_as(checks, "bitcoind", up, 0, text, up ? public : NULL);
	status_reorgs(checks, rep);
	status_kdf(checks, rep);
}

/* Asks the worker and fills the rows that depend on it. */
static void
status_ask_worker(struct http_req *r, struct status_page *checks)
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
status_web_numbers(struct http_req *r, struct status_page *checks)
{
	struct cache_stats	 cs;
	struct kdfpool_stats	 ks;
	char			 text[256];
	uint64_t		 total;

	if (!checks->full)
		return;
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
	kdfpool_get_stats(r->app->kdf, &ks);
	snprintf(text, sizeof(text), "derived %llu keys, busy %llu at once "
	    "and %llu past their deadline, %zu waiting, %lld ms each (this "
	    "abc-web's pool)", (unsigned long long)ks.ran,
	    (unsigned long long)ks.refused, (unsigned long long)ks.expired,
	    ks.queued, (long long)(ks.avg_run_us / 1000));
	status_row(checks, "password keys", 1, text);
}

/* GET /metrics: Prometheus text, for admin_addrs only (else 404). */
void
page_metrics(struct http_req *r)
{
	struct buf	 out;

	if (!http_admin(r)) {
		(void)http_error(r, 404, "There is no such page.");
		return;
	}
	buf_init(&out, 64 * 1024);
	metrics_render(r->app->metrics, r->app, &out);
	(void)http_send(r, 200, "text/plain; version=0.0.4", out.data,
	    out.len);
	buf_clear(&out);
}

/* Renders the status page, public or full. */
static void
status_render(struct http_req *r, int full)
{
	struct client_stats	 st;
	struct status_page	 p;
	struct tpl_val		*data;
	char			 text[256];

	data = tpl_obj_new();
	tpl_put_str(data, "title", full ? "Status (detail)" : "Status");
	p.checks = tpl_put_list(data, "checks");
	p.full = full;
	snprintf(text, sizeof(text), "pid %d, %d threads", (int)getpid(),
	    r->app->threads);
	status_row(&p, "abc-web", 1, text);
	client_stats(r->app->client, &st);
	status_since(text, sizeof(text), st.detail, st.since_ms);
	status_row(&p, "link to abc-worker", st.up, text);
	status_ask_worker(r, &p);
	status_web_numbers(r, &p);
	if (clock_format_utc(clock_real_ms(), text, sizeof(text)) != 0)
		text[0] = '\0';
	tpl_put_str(data, "generated_at", text);
	(void)http_render(r, 200, "status", data);
	tpl_val_free(data);
}

void
page_status(struct http_req *r)
{
	status_render(r, 0);
}

/* GET /status/detail: the same with every detail, for admin_addrs. */
void
page_status_detail(struct http_req *r)
{
	if (!http_admin(r)) {
		(void)http_error(r, 404, "There is no such page.");
		return;
	}
	status_render(r, 1);
}
