/*
 * The payer thread (see payer.h).  One run: first settle what an earlier
 * run left 'sending' (look it up in the wallet), then send up to per_run
 * queued withdrawals, each as BEGIN, wd_take (the intent), COMMIT,
 * sendtoaddress, wd_sent / wd_retry.  A transport failure around
 * sendtoaddress leaves the row 'sending': only the wallet lookup, grace_s
 * later, decides whether it was paid.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "bgdb.h"
#include "btc.h"
#include "lease.h"
#include "log.h"
#include "money.h"
#include "payer.h"
#include "periodic.h"
#include "review_due.h"
#include "xmalloc.h"

#define PAYER_COMMENT	"abc-withdrawal-"
#define PAYER_PAGE	1000	/* listtransactions entries per page */
#define PAYER_SKEW_S	60	/* wallet clock vs database clock */
#define PAYER_BACKOFF_MAX_MS 5000

struct payer {
	struct payer_cfg	 cfg;		/* strings owned; conninfo NULL */
	struct btc		*btc;		/* owned, this thread's */
	struct periodic		 job;		/* its thread and connection */
};

/* An unfinished payment being looked up. */
struct payer_open {
	char	 id[24];
	char	 txid[65];	/* found in the wallet, or "" */
};

/* Records id as sent in txid; 0 or -1. */
static int
payer_sent(struct payer *p, const char *id, const char *txid)
{
	const char	*params[2] = { id, txid };

	log_info("withdrawal_sent", "id=%s txid=%s", id, txid);
	return bgdb_write(&p->job.db, "SELECT wd_sent($1, $2)", 2, params);
}

/* Queues id again in retry_s seconds, with why; 0 or -1. */
static int
payer_retry(struct payer *p, const char *id, const char *why, int retry_s)
{
	const char	*params[3] = { id, why, NULL };
	char		 secs[16];

	snprintf(secs, sizeof(secs), "%d", retry_s);
	params[2] = secs;
	return bgdb_write(&p->job.db, "SELECT wd_retry($1, $2, $3)", 3, params);
}

/*
 * Notes the txids of the wallet's payments among one page of entries
 * (a "send" entry whose comment names an open withdrawal) and returns the
 * oldest entry's time (INT64_MAX when none has one).
 */
static int64_t
payer_match(struct json_object *page, struct payer_open *open, size_t n)
{
	struct json_object	*e, *v;
	const char		*cat, *comment, *txid;
	int64_t			 oldest = INT64_MAX, t;
	size_t			 i, k;

	for (i = 0; i < json_object_array_length(page); i++) {
		e = json_object_array_get_idx(page, i);
		if (json_object_object_get_ex(e, "timereceived", &v) &&
		    json_object_is_type(v, json_type_int) &&
		    (t = json_object_get_int64(v)) < oldest)
			oldest = t;
		cat = json_object_object_get_ex(e, "category", &v) ?
		    json_object_get_string(v) : NULL;
		comment = json_object_object_get_ex(e, "comment", &v) ?
		    json_object_get_string(v) : NULL;
		txid = json_object_object_get_ex(e, "txid", &v) &&
		    json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : NULL;
		if (cat == NULL || strcmp(cat, "send") != 0 || comment ==
		    NULL || strncmp(comment, PAYER_COMMENT,
		    strlen(PAYER_COMMENT)) != 0 || txid == NULL ||
		    strlen(txid) != 64 || strspn(txid, "0123456789abcdef") != 64)
			continue;
		for (k = 0; k < n; k++)
			if (open[k].txid[0] == '\0' && strcmp(comment +
			    strlen(PAYER_COMMENT), open[k].id) == 0)
				snprintf(open[k].txid, sizeof(open[k].txid),
				    "%s", txid);
	}
	return oldest;
}

/* Returns non-zero when every open withdrawal's payment was found. */
static int
payer_all_found(const struct payer_open *open, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (open[i].txid[0] == '\0')
			return 0;
	return 1;
}

/*
 * Pages listtransactions from the newest entry until a page reaches back
 * before since (unix time), the wallet ends or every open withdrawal's
 * payment is found, noting those payments.  An answer over the response bound is asked again for
 * half as many entries.  Returns 0, or -1 (err set): then nothing is
 * decided.
 */
static int
payer_scan(struct payer *p, struct payer_open *open, size_t n, int64_t since)
{
	struct json_object	*r;
	struct btc_result	 why;
	char			 params[64];
	int64_t			 skip = 0, oldest;
	int			 page = PAYER_PAGE;
	size_t			 len;

	for (;;) {
		snprintf(params, sizeof(params), "[\"*\", %d, %" PRId64 "]",
		    page, skip);
		if ((r = btc_get(p->btc, "listtransactions", params, 3,
		    p->job.err, sizeof(p->job.err), &why)) == NULL) {
			if (why.oversized && page > 1) {
				page /= 2;
				continue;
			}
			return -1;
		}
		if (!json_object_is_type(r, json_type_array)) {
			snprintf(p->job.err, sizeof(p->job.err),
			    "listtransactions: not an array");
			json_object_put(r);
			return -1;
		}
		len = json_object_array_length(r);
		oldest = payer_match(r, open, n);
		json_object_put(r);
		if (len < (size_t)page || oldest < since ||
		    payer_all_found(open, n))
			return 0;
		skip += (int64_t)len;
	}
}

/*
 * Settles the withdrawals left 'sending' for longer than grace_s: paid
 * (found in the wallet) or queued again (not found).  0 or -1.
 */
static int
payer_recover(struct payer *p)
{
	struct payer_open	*open;
	PGresult		*res;
	const char		*params[1];
	char			 grace[16];
	int64_t			 since;
	size_t			 i, n;
	int			 rc = 0;

	snprintf(grace, sizeof(grace), "%d", p->cfg.grace_s);
	params[0] = grace;
	if ((res = bgdb_sql(&p->job.db, "SELECT id, floor(extract(epoch FROM "
	    "attempt_at))::bigint FROM withdrawals WHERE status = 'sending' "
	    "AND attempt_at < now() - make_interval(secs => $1) ORDER BY id "
	    "LIMIT 100", 1, params)) == NULL)
		return -1;
	if ((n = (size_t)PQntuples(res)) == 0) {
		PQclear(res);
		return 0;
	}
	open = xcalloc(n, sizeof(*open));
	since = INT64_MAX;
	for (i = 0; i < n; i++) {
		snprintf(open[i].id, sizeof(open[i].id), "%s",
		    PQgetvalue(res, (int)i, 0));
		if (strtoll(PQgetvalue(res, (int)i, 1), NULL, 10) < since)
			since = strtoll(PQgetvalue(res, (int)i, 1), NULL, 10);
	}
	PQclear(res);
	if (payer_scan(p, open, n, since - PAYER_SKEW_S) != 0)
		rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (open[i].txid[0] != '\0') {
			rc = payer_sent(p, open[i].id, open[i].txid);
			continue;
		}
		log_warn("withdrawal_unpaid", "id=%s detail=\"not in the wallet "
		    "after an unfinished send: sending again\"", open[i].id);
		rc = payer_retry(p, open[i].id, "not in the wallet after an "
		    "unfinished send", 0);
	}
	free(open);
	return rc;
}

/*
 * Takes the next queued withdrawal and commits the intent to send it.
 * Returns 1 with id, address and amount (sat) filled, 0 when none waits,
 * -1 on error.
 */
static int
payer_take(struct payer *p, char *id, size_t idlen, char *addr,
    size_t addrlen, int64_t *amount)
{
	PGresult	*res;
	int		 got;

	if (bgdb_begin(&p->job.db) != 0)
		return -1;
	if ((res = bgdb_sql(&p->job.db, "SELECT id, address, amount FROM "
	    "wd_take()", 0, NULL)) == NULL) {
		bgdb_rollback(&p->job.db);
		return -1;
	}
	if ((got = PQntuples(res) == 1)) {
		snprintf(id, idlen, "%s", PQgetvalue(res, 0, 0));
		snprintf(addr, addrlen, "%s", PQgetvalue(res, 0, 1));
		*amount = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	if (bgdb_commit(&p->job.db) != 0) {
		bgdb_rollback(&p->job.db);
		return -1;
	}
	return got;
}

/*
 * Sends withdrawal id; the intent is committed.  Returns 0 when the
 * outcome is recorded (sent, or refused and queued again), -1 when it is
 * not (a transport failure: the row stays 'sending' for payer_recover).
 */
static int
payer_send(struct payer *p, const char *id, const char *addr, int64_t amount)
{
	struct btc_result	 r;
	char			 btc_amount[32], params[256];
	const char		*txid;
	int			 rc;

	if (money_format_btc(amount, btc_amount, sizeof(btc_amount)) != 0) {
		snprintf(p->job.err, sizeof(p->job.err), "withdrawal %s: "
		    "amount %" PRId64 " out of range", id, amount);
		return -1;
	}
	snprintf(params, sizeof(params), "[\"%s\", %s, \"" PAYER_COMMENT
	    "%s\", \"\", true]", addr, btc_amount, id);
	if (p->cfg.crash == PAYER_CRASH_BEFORE_SEND)
		raise(SIGKILL);
	rc = btc_call(p->btc, "sendtoaddress", params, &r);
	if (p->cfg.crash == PAYER_CRASH_AFTER_SEND)
		raise(SIGKILL);
	if (rc == 0 && json_object_is_type(r.result, json_type_string) &&
	    strlen(txid = json_object_get_string(r.result)) == 64)
		rc = payer_sent(p, id, txid);
	else if (rc != 0 && r.rpc_code != 0) {
		log_warn("withdrawal_refused", "id=%s code=%d error=\"%s\"", id,
		    r.rpc_code, r.message);
		rc = payer_retry(p, id, r.message, p->cfg.retry_s);
	} else {
		snprintf(p->job.err, sizeof(p->job.err), "sendtoaddress for "
		    "withdrawal %s: %.150s; the wallet decides after %d s", id,
		    rc != 0 ? r.message : "no txid in the answer",
		    p->cfg.grace_s);
		rc = -1;
	}
	btc_result_clear(&r);
	return rc;
}

/*
 * Settles unfinished payments, then sends up to per_run queued ones.
 * Returns 0, or -1 with err set (logged by the thread; tried again later).
 */
static int
payer_run(struct payer *p)
{
	char		 id[24], addr[128];
	int64_t		 amount;
	int		 i, got;

	/* Only the active worker pays (worker/lease.h). */
	if (!lease_may_act() || payer_recover(p) != 0)
		return -1;
	for (i = 0; i < p->cfg.per_run; i++) {
		if (!lease_may_act())
			return -1;
		if ((got = payer_take(p, id, sizeof(id), addr, sizeof(addr),
		    &amount)) <= 0)
			return got;
		if (payer_send(p, id, addr, amount) != 0)
			return -1;
	}
	return 0;
}

/* Frees p but its job (stopped, or never started). */
static void
payer_free(struct payer *p)
{
	btc_free(p->btc);
	explicit_bzero((char *)p->cfg.password, strlen(p->cfg.password));
	free((char *)p->cfg.url);
	free((char *)p->cfg.user);
	free((char *)p->cfg.password);
	free(p);
}

/*
 * The job's step.  Moderated slots past their review time run and are
 * paid out first (worker/review_due.h), on this job's connection, idle
 * between runs; then the payments.
 */
static int
payer_step(void *arg)
{
	struct payer	*p = arg;
	int		 ok;

	ok = review_due_run(&p->job.db) >= 0;
	ok = payer_run(p) == 0 && ok;
	return ok ? 0 : -1;
}

/* Starts the job; NULL (logged) when it cannot. */
struct payer *
payer_start(const struct payer_cfg *cfg)
{
	struct periodic_cfg	 pc = { "payer", cfg->conninfo, cfg->poll_ms,
				    cfg->poll_ms * 2 > PAYER_BACKOFF_MAX_MS ?
				    PAYER_BACKOFF_MAX_MS : cfg->poll_ms * 2,
				    payer_step, NULL };
	struct payer		*p;

	p = xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->cfg.conninfo = NULL;		/* the job's connection keeps it */
	p->cfg.url = xstrdup(cfg->url);
	p->cfg.user = xstrdup(cfg->user);
	p->cfg.password = xstrdup(cfg->password);
	p->btc = btc_new(cfg->url, cfg->user, cfg->password);
	btc_set_body_max(p->btc, cfg->body_max);
	pc.arg = p;
	if (periodic_start(&p->job, &pc) != 0) {
		payer_free(p);
		return NULL;
	}
	return p;
}

/* Stops the job (a running payment finishes) and frees everything. */
void
payer_stop(struct payer *p)
{
	if (p == NULL)
		return;
	periodic_stop(&p->job);
	payer_free(p);
}

/* Reads a fault_withdraw_crash setting; 0, or -1 when unknown. */
int
payer_crash_parse(const char *s, enum payer_crash *out)
{
	if (s == NULL || *s == '\0' || strcmp(s, "none") == 0)
		*out = PAYER_CRASH_NONE;
	else if (strcmp(s, "before_send") == 0)
		*out = PAYER_CRASH_BEFORE_SEND;
	else if (strcmp(s, "after_send") == 0)
		*out = PAYER_CRASH_AFTER_SEND;
	else
		return -1;
	return 0;
}
