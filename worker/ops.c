/*
 * The request engine: the request table, creation and dispatch of
 * requests to their rows' steps, and the one reply.  The hand-offs to the
 * job runners are in ops_jobs.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "msg.h"
#include "ops.h"
#include "ops_req.h"
#include "req_apikey.h"
#include "ratelimit.h"
#include "xmalloc.h"

#define OPS_RATELIMIT_KEYS	4096

struct ops {
	struct ops_cfg		 cfg;
	const struct req_row	*table[MSG_OP__MAX];	/* by op */
	struct ratelimit	*rl[OPS_RL_COUNT];	/* enum ops_rl */
	size_t			 pending;	/* requests not yet answered */
};

/* Every request module's rows; the table is built from these. */
const struct req_row *const ops_req_modules[] = {
	req_basic_rows,
	req_account_rows,
	req_market_rows,
	req_withdraw_rows,
	req_dash_rows,
	req_stats_rows,
	req_moderation_rows,
	req_apikey_rows,	/* issue 15 */
	req_totp_rows,
	req_webhook_rows,
	NULL
};

/*
 * Indexes the rows of modules (a NULL-terminated list of row arrays, each
 * ending with a NULL step) by op into index.  Returns 0, or -1 (logged)
 * when a row names no op of common/msg.h, or an op has no row or two: a
 * worker that would answer an op "unknown operation" must not start.
 */
int
ops_table_build(const struct req_row *const *modules,
    const struct req_row *index[MSG_OP__MAX])
{
	const struct req_row	*row;
	size_t			 m;
	int			 op, rc = 0;

	memset(index, 0, sizeof(index[0]) * MSG_OP__MAX);
	for (m = 0; modules[m] != NULL; m++)
		for (row = modules[m]; row->step != NULL; row++) {
			if ((unsigned)row->op >= MSG_OP__MAX) {
				log_error("request_table", "error=\"a row names "
				    "no operation\" row=%s", row->name);
				rc = -1;
			} else if (index[row->op] != NULL) {
				log_error("request_table", "error=\"two rows "
				    "for one operation\" op=%s",
				    msg_op_name(row->op));
				rc = -1;
			} else
				index[row->op] = row;
		}
	for (op = 0; op < MSG_OP__MAX; op++)
		if (index[op] == NULL) {
			log_error("request_table", "error=\"no row for an "
			    "operation\" op=%s", msg_op_name((enum msg_op)op));
			rc = -1;
		}
	return rc;
}

/* Checks the worker's own table; 0, or -1 logged (do not start). */
int
ops_table_check(void)
{
	const struct req_row	*index[MSG_OP__MAX];

	return ops_table_build(ops_req_modules, index);
}

/*
 * A new engine; NULL never (allocation aborts; a broken table, which
 * ops_table_check refused at start, aborts too).
 */
struct ops *
ops_new(const struct ops_cfg *cfg)
{
	struct ops	*ops;

	ops = xcalloc(1, sizeof(*ops));
	ops->cfg = *cfg;
	if (ops_table_build(ops_req_modules, ops->table) != 0)
		abort();
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
	/* Wrong 2FA codes per user: 10^6 codes, so a few tries a window. */
	ops->rl[OPS_RL_TOTP] = ratelimit_new(OPS_RATELIMIT_KEYS,
	    cfg->login_max_failures, cfg->login_window_ms);
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
ops_get_cfg(const struct ops *ops)
{
	return &ops->cfg;
}

const struct ops_cfg *
ops_cfg(const struct request *rq)
{
	return &rq->ops->cfg;
}

struct ratelimit *
ops_ratelimit(const struct request *rq, enum ops_rl which)
{
	return rq->ops->rl[which];
}

size_t
ops_pending(const struct ops *ops)
{
	return ops->pending;
}

/* Runs the request's next stage with the job that finished (or none). */
void
ops_continue(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	rq->row->step(rq, dj, kj, cj);
}

/*
 * Starts a request for a delivered body (taken).  The request's identity
 * (client, epoch, req_no) goes along to the reply and to request_log; the
 * client's address ("addr", abc-web's view of it) to the rate limits.
 */
void
ops_start(struct ops *ops, const char *client, int64_t epoch,
    uint64_t req_no, struct json_object *req)
{
	struct request	*rq;
	const char	*addr;

	rq = xcalloc(1, sizeof(*rq));
	rq->ops = ops;
	snprintf(rq->client, sizeof(rq->client), "%s", client);
	rq->epoch = epoch;
	rq->req_no = req_no;
	rq->body = req;
	rq->stage = REQ_START;
	ops->pending++;
	if (msg_request_op(req, &rq->op) != 0) {
		ops_fail(rq, MSG_CODE_BAD_REQUEST, "unknown operation");
		return;
	}
	rq->row = ops->table[rq->op];
	if ((addr = msg_get_str(req, "addr")) != NULL)
		snprintf(rq->addr, sizeof(rq->addr), "%s", addr);
	ops_continue(rq, NULL, NULL, NULL);
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

	n = msg_notice_new(MSG_NOTICE_ACCOUNT_CHANGED);
	json_object_object_add(n, "user", json_object_new_int64(user));
	ops->cfg.notice(ops->cfg.arg, n);
	json_object_put(n);
}

/*
 * Sends the request's one reply (borrowed) and frees the request; for a
 * change to the caller's account, after the notice that says so.
 */
void
ops_finish(struct request *rq, struct json_object *reply)
{
	struct ops	*ops = rq->ops;

	if (rq->user_id > 0 && rq->row != NULL &&
	    (rq->row->flags & REQ_CHANGES_ACCOUNT))
		ops_account_changed(ops, rq->user_id);
	ops->cfg.reply(ops->cfg.arg, rq->client, rq->epoch, rq->req_no,
	    reply);
	ops->pending--;
	json_object_put(rq->body);
	explicit_bzero(rq, sizeof(*rq));
	free(rq);
}

/*
 * Finishes a durable request with the reply its SQL function returned
 * (JSON text, also stored in request_log).
 */
void
ops_finish_stored(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];

	rep = text != NULL ? msg_parse((const uint8_t *)text, strlen(text),
	    err, sizeof(err)) : NULL;
	if (rep == NULL) {
		log_error("stored_reply", "client=%s error=\"%s\"", rq->client,
		    text != NULL ? err : dj->error);
		ops_fail(rq, MSG_CODE_INTERNAL, "unreadable reply from the "
		    "database");
		return;
	}
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* Finishes the request with {"ok":false,"error":text,"code":code}. */
void
ops_fail(struct request *rq, enum msg_code code, const char *text)
{
	struct json_object	*rep;

	rep = msg_reply_fail(code, text);
	ops_finish(rq, rep);
	json_object_put(rep);
}

/*
 * Finishes the request with "the database failed; try again": what a read
 * that did not run answers, never "not found" (abc-web shows it as a
 * retryable error, SPEC 6).
 */
void
ops_unavailable(struct request *rq)
{
	ops_fail(rq, MSG_CODE_UNAVAILABLE, "The database is unavailable; try "
	    "again.");
}

/* Broadcasts notice (borrowed) to every abc-web. */
void
ops_notice(struct request *rq, struct json_object *notice)
{
	rq->ops->cfg.notice(rq->ops->cfg.arg, notice);
}
