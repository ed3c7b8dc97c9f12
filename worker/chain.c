/*
 * The deposit follower and bitcoind job thread.  One loop: run queued
 * jobs, poll the wallet when the interval is up, sleep until the next poll
 * or a new job.  A failing poll (bitcoind down, warming up, answering
 * garbage; PostgreSQL down) is logged once per change and retried with
 * backoff up to 30 s; nothing is half-applied because each poll is one
 * transaction.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "btc.h"
#include "chain.h"
#include "clock.h"
#include "log.h"
#include "payer.h"
#include "xmalloc.h"

#define CHAIN_BACKOFF_MAX_MS	5000	/* a node back up is seen soon */
#define CHAIN_SEEN_MAX		10000	/* outputs examined per poll */

struct chain {
	struct chain_cfg	 cfg;		/* strings owned (copied) */
	struct btc		*btc;		/* owned, this thread's */
	PGconn			*pg;		/* owned, this thread's */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 lock;		/* guards what follows */
	pthread_cond_t		 wake;
	int			 stopping;
	struct chain_job	*queue;
	struct chain_job	*done;
	char			 last_error[256];	/* thread only */
};

/* One receive output of a listsinceblock or gettransaction answer. */
struct chain_out {
	char		 txid[65];
	int		 vout;
	char		 address[128];
	int64_t		 amount;
	int		 conf;
	int		 height;	/* its block's, -1 unconfirmed/unknown */
};

/* Wakes the event loop. */
static void
chain_signal(struct chain *ch)
{
	uint64_t	 one = 1;

	while (write(ch->cfg.done_fd, &one, sizeof(one)) == -1 &&
	    errno == EINTR)
		continue;
}

/* This thread's database connection, reconnected when needed. */
static PGconn *
chain_db(struct chain *ch)
{
	if (ch->pg != NULL && PQstatus(ch->pg) == CONNECTION_OK)
		return ch->pg;
	PQfinish(ch->pg);
	ch->pg = PQconnectdb(ch->cfg.conninfo);
	if (PQstatus(ch->pg) != CONNECTION_OK) {
		snprintf(ch->last_error, sizeof(ch->last_error), "database: %s",
		    PQerrorMessage(ch->pg));
		PQfinish(ch->pg);
		ch->pg = NULL;
	}
	return ch->pg;
}

/* Runs sql with params; returns the result (caller clears) or NULL. */
static PGresult *
chain_sql(struct chain *ch, const char *sql, int n, const char *const *p)
{
	PGresult	*res;
	PGconn		*pg;

	if ((pg = chain_db(ch)) == NULL)
		return NULL;
	res = PQexecParams(pg, sql, n, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(ch->last_error, sizeof(ch->last_error), "database: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Returns non-zero for 64 lowercase hex digits. */
static int
chain_is_hash(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

/* Reads a JSON amount exactly (worker/btc.c); only positive ones count. */
static int
chain_amount(struct json_object *v, int64_t *sat)
{
	return btc_amount(v, sat) == 0 && *sat > 0 ? 0 : -1;
}

/* Reads member key of o as a string (NULL when absent or not one). */
static const char *
chain_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Reads member key of o as an int into *out; 0 or -1. */
static int
chain_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

/*
 * Reads the optional "blockheight" of a wallet entry or transaction (only
 * there when it is confirmed); -1 when absent or not a valid height.
 */
static int64_t
chain_height(struct json_object *o)
{
	int64_t	 h;

	if (chain_int(o, "blockheight", &h) != 0 || h < 0 || h > INT32_MAX)
		return -1;
	return h;
}

/*
 * Reads one wallet entry (listsinceblock transaction, or gettransaction
 * detail with txid, confirmations and block height given: INT64_MIN reads
 * them from the entry) of category "receive".  Returns 0, or -1 when it
 * is something else or malformed (skipped).
 */
static int
chain_parse_out(struct json_object *e, const char *txid, int64_t conf,
    int64_t height, struct chain_out *out)
{
	struct json_object	*amt;
	const char		*cat = chain_str(e, "category");
	const char		*addr = chain_str(e, "address");
	int64_t			 vout;

	if (txid == NULL)
		txid = chain_str(e, "txid");
	if (conf == INT64_MIN && chain_int(e, "confirmations", &conf) != 0)
		return -1;
	if (height == INT64_MIN)
		height = chain_height(e);
	if (cat == NULL || strcmp(cat, "receive") != 0 ||
	    !chain_is_hash(txid) || addr == NULL || strlen(addr) >= 128 ||
	    chain_int(e, "vout", &vout) != 0 || vout < 0 || vout > INT32_MAX ||
	    !json_object_object_get_ex(e, "amount", &amt) ||
	    chain_amount(amt, &out->amount) != 0 || out->amount <= 0 ||
	    conf < INT32_MIN || conf > INT32_MAX)
		return -1;
	snprintf(out->txid, sizeof(out->txid), "%s", txid);
	snprintf(out->address, sizeof(out->address), "%s", addr);
	out->vout = (int)vout;
	out->conf = (int)conf;
	out->height = conf > 0 && height >= 0 && height <= INT32_MAX ?
	    (int)height : -1;
	return 0;
}

/*
 * Calls method; returns the result (caller puts) or NULL (last_error).
 * Reads are retried briefly (btc_call_retry); getnewaddress is not: each
 * call makes a new address, so a lost answer is not repeated.
 */
static struct json_object *
chain_rpc(struct chain *ch, const char *method, const char *params,
    int *code)
{
	struct btc_result	 r;
	struct json_object	*res;

	if (btc_call_retry(ch->btc, method, params, &r,
	    strcmp(method, "getnewaddress") == 0 ? 1 : 3) != 0) {
		snprintf(ch->last_error, sizeof(ch->last_error), "%s: %s%.200s",
		    method, r.rpc_code == BTC_RPC_IN_WARMUP ? "warming up: " :
		    "", r.message);
		if (code != NULL)
			*code = r.rpc_code;
		btc_result_clear(&r);
		return NULL;
	}
	res = json_object_get(r.result);
	btc_result_clear(&r);
	return res;
}

/* What one poll found, before it is applied. */
struct chain_poll {
	struct chain_out	*outs;		/* owned */
	size_t			 nouts;
	char			(*gone)[65];	/* owned: txids no longer there */
	size_t			 ngone;
	char			 lastblock[65];
	int64_t			 tip;		/* getblockcount before the poll */
};

static void
chain_poll_clear(struct chain_poll *p)
{
	free(p->outs);
	free(p->gone);
	memset(p, 0, sizeof(*p));
}

/* Appends an output; -1 past CHAIN_SEEN_MAX. */
static int
chain_poll_out(struct chain_poll *p, const struct chain_out *o)
{
	if (p->nouts >= CHAIN_SEEN_MAX)
		return -1;
	p->outs = xreallocarray(p->outs, p->nouts + 1, sizeof(*p->outs));
	p->outs[p->nouts++] = *o;
	return 0;
}

/* Appends a vanished txid (once). */
static void
chain_poll_gone(struct chain_poll *p, const char *txid)
{
	size_t	 i;

	for (i = 0; i < p->ngone; i++)
		if (strcmp(p->gone[i], txid) == 0)
			return;
	if (p->ngone >= CHAIN_SEEN_MAX)
		return;
	p->gone = xreallocarray(p->gone, p->ngone + 1, sizeof(*p->gone));
	snprintf(p->gone[p->ngone++], 65, "%s", txid);
}

/* Returns non-zero when the poll already saw txid. */
static int
chain_poll_has(const struct chain_poll *p, const char *txid)
{
	size_t	 i;

	for (i = 0; i < p->nouts; i++)
		if (strcmp(p->outs[i].txid, txid) == 0)
			return 1;
	return 0;
}

/*
 * Returns non-zero when the poll saw txid in a block: listsinceblock lists
 * a transaction a reorg disconnected under "removed" even when the new
 * chain mined it again, and then it is not gone.
 */
static int
chain_poll_mined(const struct chain_poll *p, const char *txid)
{
	size_t	 i;

	for (i = 0; i < p->nouts; i++)
		if (p->outs[i].conf > 0 && strcmp(p->outs[i].txid, txid) == 0)
			return 1;
	return 0;
}

/*
 * listsinceblock from the stored cursor: receive outputs, the txids of
 * removed (reorged) entries and the new cursor.  Returns 0 or -1.
 */
static int
chain_fetch(struct chain *ch, const char *cursor, struct chain_poll *p)
{
	struct json_object	*r, *list, *e;
	struct chain_out	 o;
	const char		*lb;
	char			 params[160];
	size_t			 i;
	int			 code = 0;

	if ((r = chain_rpc(ch, "getblockcount", "[]", NULL)) == NULL)
		return -1;
	p->tip = json_object_is_type(r, json_type_int) ?
	    json_object_get_int64(r) : -1;
	json_object_put(r);
	if (p->tip < 0 || p->tip > INT32_MAX) {
		snprintf(ch->last_error, sizeof(ch->last_error),
		    "getblockcount: not a height");
		return -1;
	}
	snprintf(params, sizeof(params), "[%s%s%s, %d, false, true]",
	    cursor[0] ? "\"" : "", cursor[0] ? cursor : "null",
	    cursor[0] ? "\"" : "", ch->cfg.min_conf);
	if ((r = chain_rpc(ch, "listsinceblock", params, &code)) == NULL &&
	    code == -5 && cursor[0] != '\0') {
		/* A node that never saw our cursor (a new chain): start over.
		 * Safe, because crediting is idempotent per output. */
		log_warn("follower_rescan", "cursor=%s error=\"%s\"", cursor,
		    ch->last_error);
		snprintf(params, sizeof(params), "[null, %d, false, true]",
		    ch->cfg.min_conf);
		r = chain_rpc(ch, "listsinceblock", params, NULL);
	}
	if (r == NULL)
		return -1;
	lb = chain_str(r, "lastblock");
	if (!chain_is_hash(lb) ||
	    !json_object_object_get_ex(r, "transactions", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		snprintf(ch->last_error, sizeof(ch->last_error),
		    "listsinceblock: malformed answer");
		json_object_put(r);
		return -1;
	}
	snprintf(p->lastblock, sizeof(p->lastblock), "%s", lb);
	for (i = 0; i < json_object_array_length(list); i++)
		if (chain_parse_out(json_object_array_get_idx(list, i), NULL,
		    INT64_MIN, INT64_MIN, &o) == 0)
			(void)chain_poll_out(p, &o);
	if (json_object_object_get_ex(r, "removed", &list) &&
	    json_object_is_type(list, json_type_array))
		for (i = 0; i < json_object_array_length(list); i++) {
			e = json_object_array_get_idx(list, i);
			if (chain_is_hash(chain_str(e, "txid")))
				chain_poll_gone(p, chain_str(e, "txid"));
		}
	json_object_put(r);
	return 0;
}

/*
 * Pending deposits this poll did not mention: asks gettransaction about
 * each.  Unknown to the wallet or conflicted: gone.  Otherwise their
 * outputs with the current confirmations.  Returns 0 or -1.
 */
static int
chain_recheck(struct chain *ch, struct chain_poll *p)
{
	struct json_object	*t, *det;
	struct chain_out	 o;
	PGresult		*res;
	const char		*txid;
	char			 params[80];
	int64_t			 conf;
	int			 i, n, code = 0;
	size_t			 k;

	if ((res = chain_sql(ch, "SELECT DISTINCT txid FROM deposits WHERE "
	    "status = 'pending' LIMIT 1000", 0, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		txid = PQgetvalue(res, i, 0);
		if (chain_poll_has(p, txid))
			continue;
		snprintf(params, sizeof(params), "[\"%s\"]", txid);
		if ((t = chain_rpc(ch, "gettransaction", params, &code)) ==
		    NULL) {
			if (code != -5)
				break;	/* bitcoind trouble: next poll */
			chain_poll_gone(p, txid);
			continue;
		}
		if (chain_int(t, "confirmations", &conf) != 0)
			;	/* malformed: ask again next poll */
		else if (conf < 0)
			chain_poll_gone(p, txid);
		else if (json_object_object_get_ex(t, "details",
		    &det) && json_object_is_type(det, json_type_array))
			for (k = 0; k < json_object_array_length(det); k++)
				if (chain_parse_out(json_object_array_get_idx(
				    det, k), txid, conf, chain_height(t),
				    &o) == 0)
					(void)chain_poll_out(p, &o);
		json_object_put(t);
	}
	PQclear(res);
	return i == n ? 0 : -1;
}

/*
 * Applies one output inside the poll's transaction.  Returns 1 when it
 * credited the output, 0 when not, -1 on error.
 */
static int
chain_apply_out(struct chain *ch, const struct chain_out *o)
{
	char		 vout[16], amount[32], conf[16], min[16], height[16];
	const char	*params[7];
	PGresult	*res;
	int		 credited;

	snprintf(vout, sizeof(vout), "%d", o->vout);
	snprintf(amount, sizeof(amount), "%" PRId64, o->amount);
	snprintf(conf, sizeof(conf), "%d", o->conf);
	snprintf(min, sizeof(min), "%d", ch->cfg.min_conf);
	snprintf(height, sizeof(height), "%d", o->height);
	params[0] = o->txid;
	params[1] = vout;
	params[2] = o->address;
	params[3] = amount;
	params[4] = conf;
	params[5] = min;
	params[6] = o->height >= 0 ? height : NULL;
	if ((res = chain_sql(ch, "SELECT deposit_seen($1, $2, $3, $4, $5, $6, "
	    "$7)", 7, params)) == NULL)
		return -1;
	credited = strncmp(PQgetvalue(res, 0, 0), "credited:", 9) == 0;
	PQclear(res);
	return credited;
}

/* Logs the outputs a committed poll credited (credited[i] set). */
static void
chain_log_credits(const struct chain_poll *p, const unsigned char *credited)
{
	const struct chain_out	*o;
	size_t			 i;

	for (i = 0; i < p->nouts; i++) {
		if (!credited[i])
			continue;
		o = &p->outs[i];
		log_info("deposit_credited", "txid=%s vout=%d sat=%" PRId64
		    " conf=%d height=%d", o->txid, o->vout, o->amount, o->conf,
		    o->height);
	}
}

/*
 * Applies a vanished transaction inside the poll's transaction; sets
 * *users to the users it concerned (comma-separated, for the log after
 * the COMMIT; NULL when none; the caller frees it).  Returns 0 or -1.
 */
static int
chain_apply_gone(struct chain *ch, const char *txid, char **users)
{
	const char	*params[1] = { txid };
	PGresult	*res;

	*users = NULL;
	if ((res = chain_sql(ch, "SELECT deposit_gone($1)", 1, params)) == NULL)
		return -1;
	if (PQgetvalue(res, 0, 0)[0] != '\0')
		*users = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Logs what a committed poll found gone (users[i] set for gone[i]). */
static void
chain_log_gone(const struct chain_poll *p, char *const *users)
{
	size_t	 i;

	for (i = 0; i < p->ngone; i++)
		if (users[i] != NULL)
			log_warn("deposit_gone", "txid=%s users=%s",
			    p->gone[i], users[i]);
}

/*
 * Commits the poll's transaction; 0, or -1 (last_error set) when it did
 * not commit: a COMMIT of a failed transaction answers "ROLLBACK".
 */
static int
chain_commit(struct chain *ch)
{
	PGresult	*res;
	int		 ok;

	if ((res = chain_sql(ch, "COMMIT", 0, NULL)) == NULL)
		return -1;
	ok = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!ok) {
		snprintf(ch->last_error, sizeof(ch->last_error),
		    "database: COMMIT rolled back");
		return -1;
	}
	return 0;
}

/*
 * Applies a poll in one transaction together with the new cursor, and
 * logs its credits and what it found gone once the COMMIT succeeded.
 * On failure everything rolls back.  The pages hear of what changed from
 * the database itself (sql/functions/abc_notify_account.sql), at COMMIT.
 */
static int
chain_apply(struct chain *ch, const struct chain_poll *p)
{
	const char	*params[2] = { p->lastblock, NULL };
	PGresult	*res;
	unsigned char	*credited;
	char		 tip[24], **gone_users;
	size_t		 i;
	int		 rc = -1, r;

	snprintf(tip, sizeof(tip), "%" PRId64, p->tip);
	params[1] = tip;
	if ((res = chain_sql(ch, "BEGIN", 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	credited = xcalloc(p->nouts + 1, 1);
	gone_users = xcalloc(p->ngone + 1, sizeof(*gone_users));
	/* Gone first: an output seen again (back in the mempool) revives. */
	for (i = 0; i < p->ngone; i++)
		if (!chain_poll_mined(p, p->gone[i]) &&
		    chain_apply_gone(ch, p->gone[i], &gone_users[i]) != 0)
			goto out;
	for (i = 0; i < p->nouts; i++) {
		if ((r = chain_apply_out(ch, &p->outs[i])) == -1)
			goto out;
		credited[i] = r == 1;
	}
	if ((res = chain_sql(ch, "INSERT INTO chain_cursor (id, lastblock, "
	    "height) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET "
	    "lastblock = $1, height = $2, updated_at = now()", 2,
	    params)) == NULL)
		goto out;
	PQclear(res);
	if (chain_commit(ch) != 0)
		goto out;
	rc = 0;
	chain_log_gone(p, gone_users);
	chain_log_credits(p, credited);
out:
	if (rc != 0 && ch->pg != NULL)
		PQclear(PQexec(ch->pg, "ROLLBACK"));
	for (i = 0; i < p->ngone; i++)
		free(gone_users[i]);
	free(gone_users);
	free(credited);
	return rc;
}

/* One poll: fetch, recheck, apply.  Returns 0 or -1 (last_error set). */
static int
chain_poll(struct chain *ch)
{
	struct chain_poll	 p;
	PGresult		*res;
	char			 cursor[65] = "";
	int			 rc = -1;

	memset(&p, 0, sizeof(p));
	if ((res = chain_sql(ch, "SELECT lastblock FROM chain_cursor WHERE "
	    "id = 1", 0, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && chain_is_hash(PQgetvalue(res, 0, 0)))
		snprintf(cursor, sizeof(cursor), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (chain_fetch(ch, cursor, &p) == 0 && chain_recheck(ch, &p) == 0 &&
	    chain_apply(ch, &p) == 0)
		rc = 0;
	chain_poll_clear(&p);
	return rc;
}

/*
 * 1 when the user already has addresses_per_day addresses from the last
 * 24 hours (issue 10: each is a key the wallet keeps for ever); -1 when
 * the database did not answer (job->error set).  This thread alone adds
 * deposit addresses, one job at a time, so the count cannot race.
 */
static int
chain_over_quota(struct chain *ch, struct chain_job *job)
{
	const char	*params[1];
	char		 uid[24];
	PGresult	*res;
	long		 n;

	snprintf(uid, sizeof(uid), "%" PRId64, job->user_id);
	params[0] = uid;
	if ((res = chain_sql(ch, "SELECT count(*) FROM deposit_addresses "
	    "WHERE user_id = $1 AND created_at > now() - interval '1 day'", 1,
	    params)) == NULL) {
		snprintf(job->error, sizeof(job->error), "%s", ch->last_error);
		return -1;
	}
	n = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return n >= ch->cfg.addresses_per_day;
}

/* getnewaddress with a label naming the user, then stores it. */
static void
chain_new_address(struct chain *ch, struct chain_job *job)
{
	struct json_object	*r;
	const char		*params[2];
	char			 p[96], uid[24];
	PGresult		*res;
	int			 over;

	if ((over = chain_over_quota(ch, job)) != 0) {
		job->over_quota = over == 1;
		job->ok = over == 1;
		return;
	}
	snprintf(p, sizeof(p), "[\"abc-user-%" PRId64 "\"]", job->user_id);
	if ((r = chain_rpc(ch, "getnewaddress", p, NULL)) == NULL ||
	    !json_object_is_type(r, json_type_string) ||
	    strlen(json_object_get_string(r)) < 14 ||
	    strlen(json_object_get_string(r)) >= sizeof(job->address)) {
		snprintf(job->error, sizeof(job->error), "%s", r == NULL ?
		    ch->last_error : "getnewaddress: malformed answer");
		json_object_put(r);
		return;
	}
	snprintf(job->address, sizeof(job->address), "%s",
	    json_object_get_string(r));
	json_object_put(r);
	snprintf(uid, sizeof(uid), "%" PRId64, job->user_id);
	params[0] = job->address;
	params[1] = uid;
	if ((res = chain_sql(ch, "INSERT INTO deposit_addresses (address, "
	    "user_id) VALUES ($1, $2)", 2, params)) == NULL) {
		snprintf(job->error, sizeof(job->error), "%s", ch->last_error);
		return;
	}
	PQclear(res);
	job->ok = 1;
}

/* validateaddress: job->ok when bitcoind answered, job->valid its verdict. */
static void
chain_validate_address(struct chain *ch, struct chain_job *job)
{
	struct json_object	*r, *v;
	char			 p[160];

	if (strspn(job->address, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZ0123456789") != strlen(job->address)) {
		job->ok = 1;	/* not an address: nothing to ask */
		return;
	}
	snprintf(p, sizeof(p), "[\"%s\"]", job->address);
	if ((r = chain_rpc(ch, "validateaddress", p, NULL)) == NULL) {
		snprintf(job->error, sizeof(job->error), "%s", ch->last_error);
		return;
	}
	job->ok = 1;
	job->valid = json_object_object_get_ex(r, "isvalid", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
	json_object_put(r);
}

/* Pays queued withdrawals (worker/payer.c); 0, or -1 (last_error set). */
static int
chain_pay(struct chain *ch)
{
	PGconn	*pg;

	if ((pg = chain_db(ch)) == NULL)
		return -1;
	return payer_run(pg, ch->btc, &ch->cfg.payer, ch->last_error,
	    sizeof(ch->last_error));
}

/* Runs every queued job; lock held on entry and exit. */
static void
chain_run_jobs(struct chain *ch)
{
	struct chain_job	*job;

	while ((job = ch->queue) != NULL) {
		ch->queue = job->next;
		pthread_mutex_unlock(&ch->lock);
		if (job->kind == CHAIN_NEW_ADDRESS)
			chain_new_address(ch, job);
		else
			chain_validate_address(ch, job);
		pthread_mutex_lock(&ch->lock);
		job->next = ch->done;
		ch->done = job;
		chain_signal(ch);
	}
}

/* Logs a change of health once, not once per poll. */
static void
chain_health(struct chain *ch, int ok, char *prev, size_t prevlen)
{
	const char	*now = ok ? "" : ch->last_error;

	if (strcmp(prev, now) == 0)
		return;
	if (ok)
		log_info("follower_ok", "was=\"%s\"", prev);
	else
		log_warn("follower_failing", "error=\"%s\"", now);
	snprintf(prev, prevlen, "%s", now);
}

static void *
chain_thread(void *arg)
{
	struct chain	*ch = arg;
	struct timespec	 deadline;
	char		 prev[256] = "";
	int		 wait_ms = 0, ok;

	pthread_mutex_lock(&ch->lock);
	while (!ch->stopping) {
		chain_run_jobs(ch);
		clock_abs_deadline(&deadline, wait_ms);
		while (!ch->stopping && ch->queue == NULL &&
		    pthread_cond_timedwait(&ch->wake, &ch->lock, &deadline) !=
		    ETIMEDOUT)
			continue;
		if (ch->stopping || ch->queue != NULL)
			continue;
		pthread_mutex_unlock(&ch->lock);
		ok = chain_poll(ch) == 0 && chain_pay(ch) == 0;
		chain_health(ch, ok, prev, sizeof(prev));
		wait_ms = ok ? ch->cfg.poll_ms : wait_ms < ch->cfg.poll_ms ?
		    ch->cfg.poll_ms : wait_ms * 2 > CHAIN_BACKOFF_MAX_MS ?
		    CHAIN_BACKOFF_MAX_MS : wait_ms * 2;
		pthread_mutex_lock(&ch->lock);
	}
	pthread_mutex_unlock(&ch->lock);
	return NULL;
}

/*
 * Starts the thread.  Returns NULL (logged) when it cannot.  The first
 * poll happens at once; bitcoind or PostgreSQL being down is not an error
 * here, only a reason to retry.
 */
struct chain *
chain_start(const struct chain_cfg *cfg)
{
	pthread_condattr_t	 attr;
	struct chain		*ch;

	ch = xcalloc(1, sizeof(*ch));
	ch->cfg = *cfg;
	ch->cfg.conninfo = xstrdup(cfg->conninfo);
	ch->cfg.url = xstrdup(cfg->url);
	ch->cfg.user = xstrdup(cfg->user);
	ch->cfg.password = xstrdup(cfg->password);
	ch->btc = btc_new(cfg->url, cfg->user, cfg->password);
	pthread_mutex_init(&ch->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ch->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&ch->thread, NULL, chain_thread, ch) != 0) {
		log_error("chain_start", "error=\"cannot start thread\"");
		chain_stop(ch);
		return NULL;
	}
	ch->started = 1;
	return ch;
}

static void
chain_free_jobs(struct chain_job *j)
{
	struct chain_job	*next;

	for (; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
}

/* Stops the thread (a running poll finishes) and frees everything. */
void
chain_stop(struct chain *ch)
{
	if (ch == NULL)
		return;
	if (ch->started) {
		pthread_mutex_lock(&ch->lock);
		ch->stopping = 1;
		pthread_cond_signal(&ch->wake);
		pthread_mutex_unlock(&ch->lock);
		pthread_join(ch->thread, NULL);
	}
	chain_free_jobs(ch->queue);
	chain_free_jobs(ch->done);
	btc_free(ch->btc);
	PQfinish(ch->pg);
	explicit_bzero((char *)ch->cfg.password, strlen(ch->cfg.password));
	free((char *)ch->cfg.conninfo);
	free((char *)ch->cfg.url);
	free((char *)ch->cfg.user);
	free((char *)ch->cfg.password);
	pthread_mutex_destroy(&ch->lock);
	pthread_cond_destroy(&ch->wake);
	free(ch);
}

/* Queues job (taken) for the thread. */
void
chain_submit(struct chain *ch, struct chain_job *job)
{
	pthread_mutex_lock(&ch->lock);
	job->next = ch->queue;
	ch->queue = job;
	pthread_cond_signal(&ch->wake);
	pthread_mutex_unlock(&ch->lock);
}

/* Takes the finished jobs (the caller frees each with free()). */
struct chain_job *
chain_take_done(struct chain *ch)
{
	struct chain_job	*done;

	pthread_mutex_lock(&ch->lock);
	done = ch->done;
	ch->done = NULL;
	pthread_mutex_unlock(&ch->lock);
	return done;
}
