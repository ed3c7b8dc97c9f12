/*
 * The deposit follower (see deposits.h).  One loop: a round walks up to
 * DEP_WALK_MAX blocks, scans the wallet for new unconfirmed entries and
 * asks again about a page of unconfirmed deposits; then it sleeps poll_ms
 * (at once again while the walk is behind).  A failing round (bitcoind
 * down, warming up, answering garbage; PostgreSQL down) is logged once per
 * change and retried with backoff up to DEP_BACKOFF_MAX_MS; nothing is
 * half-applied because each step is one transaction.
 *
 * Outputs are handed to PostgreSQL a transaction at a time
 * (deposit_seen_many), and what a step credited or found gone is logged
 * after its COMMIT.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "bgdb.h"
#include "btc.h"
#include "buf.h"
#include "clock.h"
#include "deposits.h"
#include "lease.h"
#include "log.h"
#include "xmalloc.h"

#define DEP_BACKOFF_MAX_MS	5000	/* a node back up is seen soon */
#define DEP_WALK_MAX		50	/* blocks a round, then a scan */
#define DEP_ADDR_MAX		100	/* longest address (the table's) */
#define DEP_FIRST_PAGE		16	/* entries: most scans find no news */
#define DEP_BATCH		100	/* gettransaction calls a request */

struct deposits {
	struct deposits_cfg	 cfg;		/* strings owned (copied) */
	struct btc		*btc;		/* owned, this thread's */
	struct bgdb		 db;		/* this thread's */
	char			 err[256];	/* thread only */
	int			 page;		/* entries a page, adapts */
	int			 batch;		/* txids a batch, adapts */
	char			 after[65];	/* recheck resumes past it */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 lock;		/* guards stopping */
	pthread_cond_t		 wake;
	int			 stopping;
};

/* Where the follower is: the last block applied, and the scan's mark. */
struct dep_cursor {
	char		 hash[65];
	int64_t		 height;
	char		 mark[65];	/* newest txid a scan saw, or "" */
};

/* Log lines of one step, written once its transaction committed. */
struct dep_notes {
	char		**lines;	/* owned "event\0text" pairs */
	int		 *warn;
	size_t		  n;
};

/*
 * The receive outputs of one transaction at one depth, gathered for one
 * deposit_seen_many call: PostgreSQL array literals being built.
 */
struct dep_batch {
	char		 txid[65];
	int64_t		 conf;
	int64_t		 height;	/* -1: none */
	struct buf	 vouts, addrs, amounts;
	size_t		 n;
};

static int	dep_stopping(struct deposits *d);
static int	dep_fail(struct deposits *d, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static void	dep_note(struct dep_notes *nt, int warn, const char *event,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fails the step with a message in d->err; returns -1. */
static int
dep_fail(struct deposits *d, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void
dep_note(struct dep_notes *nt, int warn, const char *event,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 text[512];
	size_t	 el = strlen(event) + 1, tl;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tl = strlen(text) + 1;
	nt->lines = xreallocarray(nt->lines, nt->n + 1, sizeof(*nt->lines));
	nt->warn = xreallocarray(nt->warn, nt->n + 1, sizeof(*nt->warn));
	nt->lines[nt->n] = xmalloc(el + tl);
	memcpy(nt->lines[nt->n], event, el);
	memcpy(nt->lines[nt->n] + el, text, tl);
	nt->warn[nt->n++] = warn;
}

/* Writes (when emit) and frees the notes. */
static void
dep_notes_done(struct dep_notes *nt, int emit)
{
	const char	*ev;
	size_t		 i;

	for (i = 0; i < nt->n; i++) {
		ev = nt->lines[i];
		if (emit && nt->warn[i])
			log_warn(ev, "%s", ev + strlen(ev) + 1);
		else if (emit)
			log_info(ev, "%s", ev + strlen(ev) + 1);
		free(nt->lines[i]);
	}
	free(nt->lines);
	free(nt->warn);
	memset(nt, 0, sizeof(*nt));
}

/* Returns non-zero for 64 lowercase hex digits. */
static int
dep_is_hash(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

/* Member key of o as a string (NULL when absent or not one). */
static const char *
dep_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Member key of o as an int into *out; 0 or -1. */
static int
dep_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

/* Calls a read-only method (retried briefly); the result or NULL. */
static struct json_object *
dep_rpc(struct deposits *d, const char *method, const char *params,
    struct btc_result *why)
{
	return btc_get(d->btc, method, params, 3, d->err, sizeof(d->err),
	    why);
}

/* Empties the batch: each list is "{" until the flush closes it. */
static void
dep_batch_empty(struct dep_batch *b)
{
	buf_reset(&b->vouts);
	buf_reset(&b->addrs);
	buf_reset(&b->amounts);
	(void)buf_addstr(&b->vouts, "{");
	(void)buf_addstr(&b->addrs, "{");
	(void)buf_addstr(&b->amounts, "{");
	b->n = 0;
}

static void
dep_batch_reset(struct dep_batch *b, const char *txid, int64_t conf,
    int64_t height)
{
	snprintf(b->txid, sizeof(b->txid), "%s", txid);
	b->conf = conf;
	b->height = height;
	dep_batch_empty(b);
}

static void
dep_batch_init(struct dep_batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->vouts, 0);
	buf_init(&b->addrs, 0);
	buf_init(&b->amounts, 0);
	dep_batch_empty(b);
}

static void
dep_batch_clear(struct dep_batch *b)
{
	buf_clear(&b->vouts);
	buf_clear(&b->addrs);
	buf_clear(&b->amounts);
}

/*
 * Adds entry e (a wallet entry or gettransaction detail) when it is a
 * receive output with a plain address and a positive exact amount;
 * anything else is not a deposit and is left out.
 */
static void
dep_batch_add(struct dep_batch *b, struct json_object *e)
{
	struct json_object	*amt;
	const char		*cat = dep_str(e, "category");
	const char		*addr = dep_str(e, "address");
	int64_t			 vout, sat;
	size_t			 alen;

	if (cat == NULL || strcmp(cat, "receive") != 0 || addr == NULL ||
	    (alen = strlen(addr)) < 14 || alen > DEP_ADDR_MAX ||
	    strspn(addr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
	    "XYZ0123456789") != alen || dep_int(e, "vout", &vout) != 0 ||
	    vout < 0 || vout > INT32_MAX ||
	    !json_object_object_get_ex(e, "amount", &amt) ||
	    btc_amount(amt, &sat) != 0 || sat <= 0)
		return;
	(void)buf_printf(&b->vouts, "%s%" PRId64, b->n ? "," : "", vout);
	(void)buf_printf(&b->addrs, "%s%s", b->n ? "," : "", addr);
	(void)buf_printf(&b->amounts, "%s%" PRId64, b->n ? "," : "", sat);
	b->n++;
}

/*
 * Hands the batch to deposit_seen_many inside the step's transaction and
 * notes what it credited.  0 or -1.
 */
static int
dep_batch_flush(struct deposits *d, struct dep_batch *b, struct dep_notes *nt)
{
	const char	*p[7];
	char		 conf[24], min[16], height[24];
	PGresult	*res;
	int		 i;

	if (b->n == 0)
		return 0;
	(void)buf_addstr(&b->vouts, "}");
	(void)buf_addstr(&b->addrs, "}");
	(void)buf_addstr(&b->amounts, "}");
	snprintf(conf, sizeof(conf), "%" PRId64, b->conf);
	snprintf(min, sizeof(min), "%d", d->cfg.min_conf);
	snprintf(height, sizeof(height), "%" PRId64, b->height);
	p[0] = b->txid;
	p[1] = (const char *)b->vouts.data;
	p[2] = (const char *)b->addrs.data;
	p[3] = (const char *)b->amounts.data;
	p[4] = conf;
	p[5] = min;
	p[6] = b->height >= 0 ? height : NULL;
	res = bgdb_sql(&d->db, "SELECT vout, amount, result FROM "
	    "deposit_seen_many($1, $2, $3, $4, $5, $6, $7)", 7, p);
	dep_batch_empty(b);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		if (strncmp(PQgetvalue(res, i, 2), "credited:", 9) == 0)
			dep_note(nt, 0, "deposit_credited", "txid=%s vout=%s "
			    "sat=%s conf=%s height=%s", b->txid,
			    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), conf,
			    b->height >= 0 ? height : "-1");
	PQclear(res);
	return 0;
}

/* Adds every receive output of a gettransaction answer and flushes. */
static int
dep_seen_tx(struct deposits *d, struct json_object *t, const char *txid,
    int64_t conf, int64_t height, struct dep_notes *nt)
{
	struct json_object	*det;
	struct dep_batch	 b;
	size_t			 k;
	int			 rc;

	if (!json_object_object_get_ex(t, "details", &det) ||
	    !json_object_is_type(det, json_type_array))
		return dep_fail(d, "gettransaction %s: no details", txid);
	dep_batch_init(&b);
	dep_batch_reset(&b, txid, conf, height);
	for (k = 0; k < json_object_array_length(det); k++)
		dep_batch_add(&b, json_object_array_get_idx(det, k));
	rc = dep_batch_flush(d, &b, nt);
	dep_batch_clear(&b);
	return rc;
}

/* deposit_gone(txid) inside the step; notes the users it concerned. */
static int
dep_gone(struct deposits *d, const char *txid, struct dep_notes *nt)
{
	const char	*p[1] = { txid };
	PGresult	*res;

	if ((res = bgdb_sql(&d->db, "SELECT deposit_gone($1)", 1, p)) == NULL)
		return -1;
	if (PQgetvalue(res, 0, 0)[0] != '\0')
		dep_note(nt, 1, "deposit_gone", "txid=%s users=%s", txid,
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/*
 * What bitcoind says now about txid, which holds deposits we know (t, or
 * NULL with the RPC error code), with the walk at height walked.  Gone
 * from the wallet or conflicted: gone.  Out of its block and back to the
 * mempool when undo is set (its block was disconnected): gone too, which
 * drops a pending deposit (seen again below: pending anew) and records a
 * credited one as reorged, as SPEC 4.2 asks.  In a block the walk has
 * passed: seen there.  0 or -1.
 */
static int
dep_recheck_tx(struct deposits *d, const char *txid, struct json_object *t,
    int code, int64_t walked, int undo, struct dep_notes *nt)
{
	int64_t		 conf, bh;

	if (t == NULL)
		return code == -5 ? dep_gone(d, txid, nt) : -1;
	if (dep_int(t, "confirmations", &conf) != 0)
		return dep_fail(d, "gettransaction %s: no confirmations", txid);
	if ((conf < 0 || (undo && conf == 0)) && dep_gone(d, txid, nt) != 0)
		return -1;
	if (conf <= 0)
		return dep_seen_tx(d, t, txid, conf, -1, nt);
	if (dep_int(t, "blockheight", &bh) != 0 || bh < 0)
		return dep_fail(d, "gettransaction %s: no blockheight", txid);
	return bh <= walked ? dep_seen_tx(d, t, txid, walked - bh + 1, bh, nt) :
	    0;
}

/* What a batch of gettransaction answers is handed to. */
typedef int (*dep_tx_fn)(struct deposits *d, const char *txid,
    struct json_object *t, int code, void *arg);

/*
 * gettransaction for each of txids[0 .. n-1], in JSON-RPC batches of up
 * to d->batch: an answer over the response bound is asked again in half
 * the batch (never skipped; one transaction alone over the bound stops
 * here with an error).  Calls fn in order with each answer (NULL and the
 * RPC error code when it failed); fn returns 0, 1 to stop early, or -1.
 * Returns 0, 1 (fn stopped) or -1 (d->err set).
 */
static int
dep_txs(struct deposits *d, char *const *txids, size_t n, dep_tx_fn fn,
    void *arg)
{
	struct btc_result	 outs[DEP_BATCH];
	const char		*pp[DEP_BATCH];
	char			 params[DEP_BATCH][72];
	size_t			 i = 0, k, m;
	int			 rc = 0;

	while (i < n && rc == 0) {
		m = n - i < (size_t)d->batch ? n - i : (size_t)d->batch;
		for (k = 0; k < m; k++) {
			snprintf(params[k], sizeof(params[k]), "[\"%s\"]",
			    txids[i + k]);
			pp[k] = params[k];
		}
		if (btc_call_batch(d->btc, "gettransaction", pp, m, outs) != 0) {
			if (outs[0].oversized && m > 1) {
				d->batch = (int)m / 2;
				continue;
			}
			return dep_fail(d, "gettransaction of %s%s: %s",
			    txids[i], m > 1 ? " and others" : "",
			    outs[0].oversized ? "the answer of this one "
			    "transaction is over the response bound; the "
			    "follower waits here" : outs[0].message);
		}
		for (k = 0; k < m && rc == 0; k++) {
			if (outs[k].result == NULL && outs[k].rpc_code != -5)
				snprintf(d->err, sizeof(d->err), "gettransaction "
				    "%s: %s", txids[i + k], outs[k].message);
			rc = fn(d, txids[i + k], outs[k].result,
			    outs[k].rpc_code, arg);
		}
		for (k = 0; k < m; k++)
			btc_result_clear(&outs[k]);
		i += m;
		if (d->batch < DEP_BATCH)
			d->batch = d->batch * 2 > DEP_BATCH ? DEP_BATCH :
			    d->batch * 2;
	}
	return rc;
}

/* A recheck (of an undone block, or of unconfirmed deposits). */
struct dep_recheck_arg {
	int64_t			 walked;
	int			 undo;
	struct dep_notes	*nt;
};

static int
dep_recheck_one(struct deposits *d, const char *txid, struct json_object *t,
    int code, void *arg)
{
	struct dep_recheck_arg	*a = arg;

	return dep_recheck_tx(d, txid, t, code, a->walked, a->undo, a->nt);
}

/* Rechecks the txids of column 0 of res; 0 or -1. */
static int
dep_recheck_rows(struct deposits *d, PGresult *res, int64_t walked, int undo,
    struct dep_notes *nt)
{
	struct dep_recheck_arg	 a = { walked, undo, nt };
	char			**txids;
	int			 i, n = PQntuples(res), rc;

	txids = xcalloc((size_t)n + 1, sizeof(*txids));
	for (i = 0; i < n; i++)
		txids[i] = PQgetvalue(res, i, 0);
	rc = dep_txs(d, txids, (size_t)n, dep_recheck_one, &a);
	free(txids);
	return rc == 0 ? 0 : -1;
}

/* Stores the cursor inside the step's transaction; 0 or -1. */
static int
dep_cursor_save(struct deposits *d, const struct dep_cursor *cur)
{
	const char	*p[3];
	char		 height[24];

	snprintf(height, sizeof(height), "%" PRId64, cur->height);
	p[0] = cur->hash;
	p[1] = height;
	p[2] = cur->mark[0] != '\0' ? cur->mark : NULL;
	return bgdb_write(&d->db, "INSERT INTO chain_cursor (id, lastblock, "
	    "height, mempool_mark) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO "
	    "UPDATE SET lastblock = $1, height = $2, mempool_mark = $3, "
	    "updated_at = now()", 3, p);
}

/* BEGIN (behind the lease fence); 0 or -1. */
static int
dep_begin(struct deposits *d)
{
	return bgdb_begin(&d->db);
}

/* COMMIT and write the notes, or roll back and drop them. */
static int
dep_end(struct deposits *d, int rc, struct dep_notes *nt)
{
	if (rc == 0 && bgdb_commit(&d->db) != 0)
		rc = -1;
	if (rc != 0)
		bgdb_rollback(&d->db);
	dep_notes_done(nt, rc == 0);
	return rc;
}

/*
 * Reads the cursor; a first start begins at the node's tip (the wallet
 * holds no deposit address older than abc-worker).  0 or -1.
 */
static int
dep_cursor_load(struct deposits *d, struct dep_cursor *cur)
{
	struct json_object	*r;
	PGresult		*res;
	char			 params[80];
	int			 have;

	memset(cur, 0, sizeof(*cur));
	if ((res = bgdb_sql(&d->db, "SELECT lastblock, coalesce(height, -1), "
	    "coalesce(mempool_mark, '') FROM chain_cursor WHERE id = 1", 0,
	    NULL)) == NULL)
		return -1;
	if ((have = PQntuples(res) == 1 &&
	    dep_is_hash(PQgetvalue(res, 0, 0)))) {
		snprintf(cur->hash, sizeof(cur->hash), "%s",
		    PQgetvalue(res, 0, 0));
		cur->height = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		if (dep_is_hash(PQgetvalue(res, 0, 2)))
			snprintf(cur->mark, sizeof(cur->mark), "%s",
			    PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	if (have)
		return 0;
	if ((r = dep_rpc(d, "getbestblockhash", "[]", NULL)) == NULL)
		return -1;
	if (!dep_is_hash(json_object_get_string(r))) {
		json_object_put(r);
		return dep_fail(d, "getbestblockhash: not a hash");
	}
	snprintf(params, sizeof(params), "[\"%s\", 1]",
	    json_object_get_string(r));
	json_object_put(r);
	if ((r = dep_rpc(d, "getblock", params, NULL)) == NULL)
		return -1;
	if (!dep_is_hash(dep_str(r, "hash")) ||
	    dep_int(r, "height", &cur->height) != 0 || cur->height < 0 ||
	    cur->height > INT32_MAX) {
		json_object_put(r);
		return dep_fail(d, "getblock: malformed answer");
	}
	snprintf(cur->hash, sizeof(cur->hash), "%s", dep_str(r, "hash"));
	json_object_put(r);
	/* Stored at once: blocks mined from now on are walked. */
	if (dep_cursor_save(d, cur) != 0)
		return -1;
	log_info("follower_start", "height=%" PRId64 " block=%s", cur->height,
	    cur->hash);
	return 0;
}

/*
 * Undoes the cursor block (no longer in the active chain, or unknown to
 * the node): asks again about each of its deposits and moves the cursor
 * to its parent, in one transaction.  prev is the parent's hash.
 */
static int
dep_undo(struct deposits *d, struct dep_cursor *cur, const char *prev)
{
	struct dep_notes	 nt = { 0 };
	struct dep_cursor	 to = *cur;
	const char		*p[1];
	PGresult		*res;
	char			 height[24];
	int			 rc = 0;

	snprintf(to.hash, sizeof(to.hash), "%s", prev);
	to.height = cur->height - 1;
	snprintf(height, sizeof(height), "%" PRId64, cur->height);
	p[0] = height;
	if (dep_begin(d) != 0)
		return -1;
	if ((res = bgdb_sql(&d->db, "SELECT DISTINCT txid FROM deposits "
	    "WHERE block_height = $1 AND status IN ('pending', 'credited')",
	    1, p)) == NULL)
		return dep_end(d, -1, &nt);
	rc = dep_recheck_rows(d, res, to.height, 1, &nt);
	PQclear(res);
	if (rc == 0)
		rc = dep_cursor_save(d, &to);
	if (rc == 0)
		dep_note(&nt, 1, "follower_undo", "height=%" PRId64 " block=%s "
		    "parent=%s", cur->height, cur->hash, prev);
	if ((rc = dep_end(d, rc, &nt)) == 0)
		*cur = to;
	return rc;
}

/* deposit_confirm (params: height, min_conf); notes its credits. */
static int
dep_confirm(struct deposits *d, const char *const *p, struct dep_notes *nt)
{
	PGresult	*res;
	int		 i;

	if ((res = bgdb_sql(&d->db, "SELECT txid, vout, amount FROM "
	    "deposit_confirm($1, $2)", 2, p)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		dep_note(nt, 0, "deposit_credited", "txid=%s vout=%s sat=%s "
		    "walked=%s", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), p[0]);
	PQclear(res);
	return 0;
}

/* A block being applied. */
struct dep_block_arg {
	const char		*hash;
	int64_t			 height;
	int			 moved;		/* reorg meanwhile */
	struct dep_notes	*nt;
};

/* One of the block's transactions: ours (t) or not (-5). */
static int
dep_block_tx(struct deposits *d, const char *txid, struct json_object *t,
    int code, void *arg)
{
	struct dep_block_arg	*a = arg;
	const char		*bh;

	if (t == NULL)
		return code == -5 ? 0 : -1;
	if ((bh = dep_str(t, "blockhash")) == NULL || strcmp(bh, a->hash) != 0) {
		a->moved = 1;	/* the next step looks again */
		return 1;
	}
	return dep_seen_tx(d, t, txid, 1, a->height, a->nt);
}

/*
 * Applies block b (getblock answer) at cur->height + 1: every wallet
 * transaction's receive outputs at 1 confirmation, the deposits that
 * reach min_conf with it, and the cursor past it, in one transaction.
 * Returns 1 when applied, 0 when the chain moved meanwhile (the next step
 * looks again), -1 on error.
 */
static int
dep_apply_block(struct deposits *d, struct dep_cursor *cur,
    struct json_object *b, const char *hash)
{
	struct dep_notes	 nt = { 0 };
	struct dep_cursor	 to = *cur;
	struct dep_block_arg	 a;
	struct json_object	*txs;
	const char		*p[2];
	char			**txids, height[24], min[16];
	size_t			 i, n;
	int			 rc = 0;

	if (!json_object_object_get_ex(b, "tx", &txs) ||
	    !json_object_is_type(txs, json_type_array))
		return dep_fail(d, "getblock %s: no tx array", hash);
	n = json_object_array_length(txs);
	txids = xcalloc(n + 1, sizeof(*txids));
	for (i = 0; i < n && rc == 0; i++)
		if (!dep_is_hash(txids[i] = (char *)json_object_get_string(
		    json_object_array_get_idx(txs, i))))
			rc = dep_fail(d, "getblock %s: bad txid", hash);
	snprintf(to.hash, sizeof(to.hash), "%s", hash);
	to.height = cur->height + 1;
	a.hash = hash;
	a.height = to.height;
	a.moved = 0;
	a.nt = &nt;
	if (rc == 0 && dep_begin(d) != 0)
		rc = -1;
	else if (rc == 0)
		rc = dep_txs(d, txids, n, dep_block_tx, &a) < 0 ? -1 : 0;
	free(txids);
	snprintf(height, sizeof(height), "%" PRId64, to.height);
	snprintf(min, sizeof(min), "%d", d->cfg.min_conf);
	p[0] = height;
	p[1] = min;
	if (rc == 0 && !a.moved && d->cfg.min_conf > 1)
		rc = dep_confirm(d, p, &nt);
	if (rc == 0 && !a.moved)
		rc = dep_cursor_save(d, &to);
	if (a.moved) {
		dep_end(d, -1, &nt);
		return 0;
	}
	if ((rc = dep_end(d, rc, &nt)) != 0)
		return -1;
	log_info("follower_block", "height=%" PRId64 " block=%s txs=%zu",
	    to.height, hash, n);
	*cur = to;
	return 1;
}

/*
 * One step of the walk.  Returns 1 when it moved (a block applied or
 * undone, or the chain moved under it), 0 when the cursor is the tip,
 * -1 on error.
 */
static int
dep_walk_step(struct deposits *d, struct dep_cursor *cur)
{
	struct json_object	*b, *nb = NULL;
	struct btc_result	 why;
	const char		*next, *prev;
	char			 params[80], parent[65];
	int64_t			 conf, height;
	int			 rc;

	snprintf(params, sizeof(params), "[\"%s\", 1]", cur->hash);
	if ((b = dep_rpc(d, "getblock", params, &why)) == NULL) {
		if (why.rpc_code != -5 || cur->height < 1)
			return -1;
		/* The node never saw our block (a new chain): undo it and
		 * go on from the node's block below it. */
		snprintf(params, sizeof(params), "[%" PRId64 "]",
		    cur->height - 1);
		if ((b = dep_rpc(d, "getblockhash", params, NULL)) == NULL)
			return -1;
		snprintf(parent, sizeof(parent), "%s",
		    json_object_get_string(b));
		json_object_put(b);
		if (!dep_is_hash(parent))
			return dep_fail(d, "getblockhash: not a hash");
		return dep_undo(d, cur, parent) == 0 ? 1 : -1;
	}
	if (dep_int(b, "confirmations", &conf) != 0 ||
	    dep_int(b, "height", &height) != 0 || height < 0 ||
	    height > INT32_MAX) {
		json_object_put(b);
		return dep_fail(d, "getblock %s: malformed answer", cur->hash);
	}
	/* A first start, or a cursor written by listsinceblock (which kept
	 * the node's tip beside it): the block says its height. */
	cur->height = height;
	prev = dep_str(b, "previousblockhash");
	next = dep_str(b, "nextblockhash");
	if (conf < 0 && dep_is_hash(prev)) {
		snprintf(parent, sizeof(parent), "%s", prev);
		json_object_put(b);
		return dep_undo(d, cur, parent) == 0 ? 1 : -1;
	}
	if (conf < 0 || next == NULL) {
		json_object_put(b);
		return conf < 0 ? dep_fail(d, "genesis block not active") : 0;
	}
	if (!dep_is_hash(next)) {
		json_object_put(b);
		return dep_fail(d, "getblock %s: bad nextblockhash", cur->hash);
	}
	snprintf(params, sizeof(params), "[\"%s\", 1]", next);
	json_object_put(b);
	if ((nb = dep_rpc(d, "getblock", params, NULL)) == NULL)
		return -1;
	prev = dep_str(nb, "previousblockhash");
	if (!dep_is_hash(dep_str(nb, "hash")) ||
	    dep_int(nb, "height", &height) != 0 || prev == NULL ||
	    strcmp(prev, cur->hash) != 0 || height != cur->height + 1) {
		json_object_put(nb);
		return 1;	/* the chain moved between the two calls */
	}
	rc = dep_apply_block(d, cur, nb, dep_str(nb, "hash"));
	json_object_put(nb);
	return rc < 0 ? -1 : 1;
}

/*
 * Adds one listtransactions entry to the page's batches: unconfirmed
 * receive outputs as seen now, confirmed ones only in a block the walk
 * has passed (a transaction the wallet learnt of late); the walk brings
 * the others.  0 or -1.
 */
static int
dep_scan_entry(struct deposits *d, const struct dep_cursor *cur,
    struct json_object *e, struct dep_batch *b, struct dep_notes *nt)
{
	const char	*txid = dep_str(e, "txid");
	int64_t		 conf, bh = -1;

	if (!dep_is_hash(txid) || dep_int(e, "confirmations", &conf) != 0)
		return 0;
	if (conf > 0 && (dep_int(e, "blockheight", &bh) != 0 || bh < 0 ||
	    bh > cur->height))
		return 0;
	if (conf > 0)
		conf = cur->height - bh + 1;
	if (b->n > 0 && (strcmp(b->txid, txid) != 0 || b->conf != conf ||
	    b->height != bh) && dep_batch_flush(d, b, nt) != 0)
		return -1;
	if (b->n == 0)
		dep_batch_reset(b, txid, conf, bh);
	dep_batch_add(b, e);
	return 0;
}

/*
 * Applies one page of entries (oldest first, as listtransactions answers)
 * newer than the mark, newest first; sets *found when it reached the mark.
 * In the caller's transaction.  0 or -1.
 */
static int
dep_scan_page(struct deposits *d, const struct dep_cursor *cur,
    struct json_object *page, int *found, struct dep_notes *nt)
{
	struct dep_batch	 b;
	struct json_object	*e;
	size_t			 i;
	int			 rc = 0;

	dep_batch_init(&b);
	for (i = json_object_array_length(page); i > 0 && rc == 0; i--) {
		e = json_object_array_get_idx(page, i - 1);
		if (cur->mark[0] != '\0' && dep_str(e, "txid") != NULL &&
		    strcmp(dep_str(e, "txid"), cur->mark) == 0) {
			*found = 1;
			break;
		}
		rc = dep_scan_entry(d, cur, e, &b, nt);
	}
	if (rc == 0)
		rc = dep_batch_flush(d, &b, nt);
	dep_batch_clear(&b);
	return rc;
}

/*
 * Scans the wallet for entries newer than the mark, a page (one
 * transaction) at a time, pages growing from DEP_FIRST_PAGE to the
 * configured size (or the size the bound allowed); the last page also
 * stores the new mark.  With
 * no mark yet (a first start) one page is enough: older entries predate
 * abc-worker.  0 or -1.
 */
static int
dep_scan(struct deposits *d, struct dep_cursor *cur)
{
	struct dep_notes	 nt = { 0 };
	struct json_object	*r;
	struct btc_result	 why;
	char			 params[64], first[65] = "";
	const char		*txid;
	int64_t			 skip = 0;
	size_t			 len;
	int			 found = 0, last, rc;
	int			 want = d->page < DEP_FIRST_PAGE ? d->page :
				    DEP_FIRST_PAGE;

	for (;;) {
		snprintf(params, sizeof(params), "[\"*\", %d, %" PRId64 "]",
		    want, skip);
		if ((r = dep_rpc(d, "listtransactions", params, &why)) ==
		    NULL) {
			if (!why.oversized || want == 1)
				return -1;
			d->page = want = want / 2;
			log_info("follower_page", "entries=%d detail=\"answer "
			    "over the bound: asking for fewer\"", want);
			continue;
		}
		if (!json_object_is_type(r, json_type_array)) {
			json_object_put(r);
			return dep_fail(d, "listtransactions: not an array");
		}
		len = json_object_array_length(r);
		if (skip == 0 && len > 0 && dep_is_hash(txid = dep_str(
		    json_object_array_get_idx(r, len - 1), "txid")))
			snprintf(first, sizeof(first), "%s", txid);
		if (skip == 0 && strcmp(first, cur->mark) == 0) {
			json_object_put(r);	/* nothing new: no writes */
			break;
		}
		rc = dep_begin(d) != 0 ? -1 :
		    dep_scan_page(d, cur, r, &found, &nt);
		json_object_put(r);
		last = found || len < (size_t)want || cur->mark[0] == '\0';
		if (rc == 0 && last && first[0] != '\0') {
			snprintf(cur->mark, sizeof(cur->mark), "%s", first);
			rc = dep_cursor_save(d, cur);
		}
		if (dep_end(d, rc, &nt) != 0)
			return -1;
		if (last)
			break;
		skip += (int64_t)len;
		want = want * 4 > d->page ? d->page : want * 4;
		if (dep_stopping(d))
			return 0;
	}
	if (d->page < d->cfg.page)
		d->page = d->page * 2 > d->cfg.page ? d->cfg.page : d->page * 2;
	return 0;
}

/*
 * Asks again about up to DEP_RECHECK unconfirmed deposits' transactions,
 * going round them all over the rounds, in one transaction.  0 or -1.
 */
static int
dep_recheck(struct deposits *d, const struct dep_cursor *cur)
{
	struct dep_notes	 nt = { 0 };
	const char		*p[1] = { d->after };
	PGresult		*res;
	int			 n, rc = 0;

	if ((res = bgdb_sql(&d->db, "SELECT DISTINCT txid FROM deposits "
	    "WHERE status = 'pending' AND block_height IS NULL AND txid > $1 "
	    "ORDER BY txid LIMIT 100", 1, p)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 0) {
		d->after[0] = '\0';	/* round done: start over */
		PQclear(res);
		return 0;
	}
	if (dep_begin(d) != 0) {
		PQclear(res);
		return -1;
	}
	rc = dep_recheck_rows(d, res, cur->height, 0, &nt);
	if (rc == 0)
		snprintf(d->after, sizeof(d->after), "%s",
		    PQgetvalue(res, n - 1, 0));
	PQclear(res);
	return dep_end(d, rc, &nt);
}

/*
 * One round.  Returns 1 when the walk is still behind (go on at once),
 * 0 when caught up, -1 on error (d->err).
 */
static int
dep_round(struct deposits *d)
{
	struct dep_cursor	 cur;
	struct json_object	*best;
	int			 i, r = 0, same = 0;

	/* Only the active worker follows the chain (worker/lease.h). */
	if (!lease_may_act() || dep_cursor_load(d, &cur) != 0)
		return -1;
	if (cur.height >= 0) {
		/* The cheap question first: is the cursor still the tip? */
		if ((best = dep_rpc(d, "getbestblockhash", "[]", NULL)) == NULL)
			return -1;
		same = strcmp(json_object_get_string(best), cur.hash) == 0;
		json_object_put(best);
	}
	for (i = 0; i < DEP_WALK_MAX && !same && !dep_stopping(d); i++)
		if ((r = dep_walk_step(d, &cur)) <= 0)
			break;
	if (r < 0)
		return -1;
	if (cur.height < 0)
		return 1;
	if (dep_scan(d, &cur) != 0 || dep_recheck(d, &cur) != 0)
		return -1;
	return r > 0;
}

static int
dep_stopping(struct deposits *d)
{
	int	 s;

	pthread_mutex_lock(&d->lock);
	s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
}

/* Logs a change of health once, not once per round. */
static void
dep_health(struct deposits *d, int ok, char *prev, size_t prevlen)
{
	const char	*now = ok ? "" : d->err;

	if (strcmp(prev, now) == 0)
		return;
	if (ok)
		log_info("follower_ok", "was=\"%s\"", prev);
	else
		log_warn("follower_failing", "error=\"%s\"", now);
	snprintf(prev, prevlen, "%s", now);
}

static void *
dep_thread(void *arg)
{
	struct deposits	*d = arg;
	struct timespec	 deadline;
	char		 prev[256] = "";
	int		 wait_ms = 0, r;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		pthread_mutex_unlock(&d->lock);
		r = dep_round(d);
		dep_health(d, r >= 0, prev, sizeof(prev));
		wait_ms = r > 0 ? 0 : r == 0 ? d->cfg.poll_ms :
		    wait_ms < d->cfg.poll_ms ? d->cfg.poll_ms :
		    wait_ms * 2 > DEP_BACKOFF_MAX_MS ? DEP_BACKOFF_MAX_MS :
		    wait_ms * 2;
		clock_abs_deadline(&deadline, wait_ms);
		pthread_mutex_lock(&d->lock);
		while (!d->stopping && wait_ms > 0 && pthread_cond_timedwait(
		    &d->wake, &d->lock, &deadline) != ETIMEDOUT)
			continue;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/*
 * Starts the thread.  Returns NULL (logged) when it cannot.  The first
 * round happens at once; bitcoind or PostgreSQL being down is not an
 * error here, only a reason to retry.
 */
struct deposits *
deposits_start(const struct deposits_cfg *cfg)
{
	pthread_condattr_t	 attr;
	struct deposits		*d;

	d = xcalloc(1, sizeof(*d));
	d->cfg = *cfg;
	d->cfg.conninfo = xstrdup(cfg->conninfo);
	d->cfg.url = xstrdup(cfg->url);
	d->cfg.user = xstrdup(cfg->user);
	d->cfg.password = xstrdup(cfg->password);
	if (d->cfg.page < 1)
		d->cfg.page = 1;
	d->page = d->cfg.page;
	d->batch = DEP_BATCH;
	d->btc = btc_new(cfg->url, cfg->user, cfg->password);
	btc_set_body_max(d->btc, cfg->body_max);
	bgdb_init(&d->db, cfg->conninfo, d->err, sizeof(d->err));
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&d->thread, NULL, dep_thread, d) != 0) {
		log_error("deposits_start", "error=\"cannot start thread\"");
		deposits_stop(d);
		return NULL;
	}
	d->started = 1;
	return d;
}

/* Stops the thread (a running step finishes) and frees everything. */
void
deposits_stop(struct deposits *d)
{
	if (d == NULL)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->lock);
		d->stopping = 1;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
	}
	btc_free(d->btc);
	bgdb_close(&d->db);
	explicit_bzero((char *)d->cfg.password, strlen(d->cfg.password));
	free((char *)d->cfg.conninfo);
	free((char *)d->cfg.url);
	free((char *)d->cfg.user);
	free((char *)d->cfg.password);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	free(d);
}
