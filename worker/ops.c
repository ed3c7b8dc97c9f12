/*
 * The call engine: creation, dispatch to the request families, the hand-
 * offs to the database thread and the hashing pool, and the one reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btcq.h"
#include "clock.h"
#include "db.h"
#include "kdf.h"
#include "log.h"
#include "msg.h"
#include "ops.h"
#include "ratelimit.h"
#include "xmalloc.h"

#define OPS_RATELIMIT_KEYS	4096

struct ops {
	struct ops_cfg		 cfg;
	struct ratelimit	*rl[OPS_RL_COUNT];	/* enum ops_rl */
	size_t			 pending;	/* calls not yet finished */
};

/* A new engine; NULL never (allocation aborts). */
struct ops *
ops_new(const struct ops_cfg *cfg)
{
	struct ops	*ops;

	ops = xcalloc(1, sizeof(*ops));
	ops->cfg = *cfg;
	/*
	 * No table per address alone (issue 10): behind Tor, a carrier NAT
	 * or a proxy one address holds many users, and one guesser there
	 * must not lock out the others.  A name guessed from many addresses
	 * gets four times as many tries as one (name, address) pair.
	 */
	ops->rl[OPS_RL_PAIR] = ratelimit_new(OPS_RATELIMIT_KEYS,
	    cfg->login_max_failures, cfg->login_window_ms);
	ops->rl[OPS_RL_NAME] = ratelimit_new(OPS_RATELIMIT_KEYS,
	    cfg->login_max_failures * 4, cfg->login_window_ms);
	ops->rl[OPS_RL_REG_ADDR] = ratelimit_new(OPS_RATELIMIT_KEYS,
	    cfg->register_max_per_addr, cfg->register_window_ms);
	ops->rl[OPS_RL_REG_ALL] = ratelimit_new(1, cfg->register_max,
	    cfg->register_window_ms);
	return ops;
}

void
ops_free(struct ops *ops)
{
	int	 i;

	if (ops == NULL)
		return;
	for (i = 0; i < OPS_RL_COUNT; i++)
		ratelimit_free(ops->rl[i]);
	free(ops);
}

const struct ops_cfg *
ops_cfg(const struct call *c)
{
	return &c->ops->cfg;
}

struct ratelimit *
ops_ratelimit(const struct call *c, enum ops_rl which)
{
	return c->ops->rl[which];
}

size_t
ops_pending(const struct ops *ops)
{
	return ops->pending;
}

/* Runs the call's next stage after a job (all NULL: the start). */
static void
ops_step(struct call *c, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	if (req_account_owns(c->op))
		req_account_step(c, dj, kj, cj);
	else if (req_market_owns(c->op))
		req_market_step(c, dj);
	else if (c->op == MSG_OP_WITHDRAW)
		req_withdraw_step(c, dj, kj, cj);
	else
		req_basic_step(c, dj);
}

/*
 * Starts a call for a delivered request (taken).  The request's identity
 * (client, epoch, req_no) goes along to the reply and to request_log.
 */
void
ops_start(struct ops *ops, const char *client, int64_t epoch,
    uint64_t req_no, struct json_object *req)
{
	struct call	*c;

	c = xcalloc(1, sizeof(*c));
	c->ops = ops;
	snprintf(c->client, sizeof(c->client), "%s", client);
	c->epoch = epoch;
	c->req_no = req_no;
	c->req = req;
	ops->pending++;
	if (msg_request_op(req, &c->op) != 0) {
		ops_fail(c, "bad_request", "unknown operation");
		return;
	}
	ops_step(c, NULL, NULL, NULL);
}

/*
 * Tells every abc-web that user's account overview may have changed.
 * Sent before the reply of the user's own change, on every link, so the
 * next page the user opens, on any abc-web, reads it afresh (the database's
 * own notification, worker/pglisten.c, may come a moment later).
 */
static void
ops_account_changed(struct ops *ops, int64_t user)
{
	struct json_object	*n;

	n = json_object_new_object();
	json_object_object_add(n, "kind",
	    json_object_new_string("account_changed"));
	json_object_object_add(n, "user", json_object_new_int64(user));
	ops->cfg.notice(ops->cfg.arg, n);
	json_object_put(n);
}

/*
 * Sends the call's one reply (borrowed) and frees the call; for a change
 * to the caller's account, after the notice that says so.
 */
void
ops_finish(struct call *c, struct json_object *reply)
{
	struct ops	*ops = c->ops;

	if (c->user_id > 0 && msg_op_changes_account(c->op))
		ops_account_changed(ops, c->user_id);
	ops->cfg.reply(ops->cfg.arg, c->client, c->epoch, c->req_no, reply);
	ops->pending--;
	json_object_put(c->req);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/*
 * Finishes a durable call with the reply its SQL function returned (JSON
 * text, also stored in request_log).
 */
void
ops_finish_stored(struct call *c, struct db_job *dj)
{
	struct json_object	*rep;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];

	rep = text != NULL ? msg_parse((const uint8_t *)text, strlen(text),
	    err, sizeof(err)) : NULL;
	if (rep == NULL) {
		log_error("stored_reply", "client=%s error=\"%s\"", c->client,
		    text != NULL ? err : dj->error);
		ops_fail(c, "internal", "unreadable reply from the database");
		return;
	}
	ops_finish(c, rep);
	json_object_put(rep);
}

/* Finishes the call with {"ok":false,"code":code,"error":text}. */
void
ops_fail(struct call *c, const char *code, const char *text)
{
	struct json_object	*rep;

	rep = msg_reply_error(text);
	json_object_object_add(rep, "code", json_object_new_string(code));
	ops_finish(c, rep);
	json_object_put(rep);
}

/*
 * Finishes the call with "the database failed; try again": what a read
 * that did not run answers, never "not found" (abc-web shows it as a
 * retryable error, SPEC 6).
 */
void
ops_unavailable(struct call *c)
{
	ops_fail(c, MSG_CODE_UNAVAILABLE, "The database is unavailable; try "
	    "again.");
}

/* Hands job to the database thread; its completion continues c. */
void
ops_db(struct call *c, struct db_job *job)
{
	job->ctx = c;
	c->stage++;
	db_submit(c->ops->cfg.db, job);
}

/*
 * Hands job to the hashing pool; its completion continues c.  A full pool
 * answers "busy" at once: back-pressure instead of an unbounded queue.
 */
void
ops_kdf(struct call *c, struct kdf_job *job)
{
	job->arg = c;
	if (kdf_submit(c->ops->cfg.kdf, job) != 0) {
		kdf_job_free(job);
		log_info("kdf_busy", "queued=%zu", kdf_queued(c->ops->cfg.kdf));
		ops_fail(c, "busy", "The server is busy; try again in a "
		    "moment.");
		return;
	}
	c->stage++;
}

/* Hands job to the bitcoind thread; its completion continues c. */
void
ops_chain(struct call *c, struct btcq_job *job)
{
	job->arg = c;
	c->stage++;
	btcq_submit(c->ops->cfg.chain, job);
}

/* Continues every call whose bitcoind job finished. */
void
ops_chain_done(struct ops *ops)
{
	struct btcq_job	*j, *next;

	for (j = btcq_take_done(ops->cfg.chain); j != NULL; j = next) {
		next = j->next;
		ops_step(j->arg, NULL, NULL, j);
		free(j);
	}
}

/* Broadcasts notice (borrowed) to every abc-web. */
void
ops_notice(struct call *c, struct json_object *notice)
{
	c->ops->cfg.notice(c->ops->cfg.arg, notice);
}

/* Continues every call whose database job finished. */
void
ops_db_done(struct ops *ops)
{
	struct db_job	*j, *next;

	for (j = db_take_done(ops->cfg.db); j != NULL; j = next) {
		next = j->next;
		ops_step(j->ctx, j, NULL, NULL);
		db_job_free(j);
	}
}

/* Continues every call whose hashing job finished. */
void
ops_kdf_done(struct ops *ops)
{
	struct kdf_job	*j, *next;

	for (j = kdf_take_done(ops->cfg.kdf); j != NULL; j = next) {
		next = j->next;
		ops_step(j->arg, NULL, j, NULL);
		kdf_job_free(j);
	}
}
