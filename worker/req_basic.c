/*
 * Requests that need no account: status (database and bitcoind health),
 * echo (benchmarks), broadcast (tests of notices) and counter_add (the
 * link's exactly-once test: a durable effect stored with its reply).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "kdf.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"

/*
 * The hashing pool's counters, for /status's detail and the tests of
 * issue 10 ("a taken name hashes nothing").
 */
static void
req_status_kdf(struct request *rq, struct json_object *rep)
{
	struct kdf_stats	 st;
	struct json_object	*k;

	kdf_get_stats(ops_cfg(rq)->kdf, &st);
	k = json_object_new_object();
	json_object_object_add(k, "hashed",
	    json_object_new_int64((int64_t)st.ran[KDF_HASH]));
	json_object_object_add(k, "checked",
	    json_object_new_int64((int64_t)st.ran[KDF_VERIFY]));
	json_object_object_add(k, "refused_hash",
	    json_object_new_int64((int64_t)st.refused[KDF_HASH]));
	json_object_object_add(k, "refused_check",
	    json_object_new_int64((int64_t)st.refused[KDF_VERIFY]));
	json_object_object_add(k, "queued", json_object_new_int64(
	    (int64_t)(st.queued[KDF_HASH] + st.queued[KDF_VERIFY])));
	json_object_object_add(k, "avg_ms",
	    json_object_new_int64(st.avg_run_us / 1000));
	json_object_object_add(rep, "kdf", k);
}

/* Status, once the database answered (or did not). */
static void
req_status_done(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep, *d;
	const char		*version = db_job_value(dj, 0, 0);
	const char		*schema = db_job_value(dj, 0, 1);

	rep = msg_reply_new();
	d = json_object_new_object();
	json_object_object_add(d, "up", json_object_new_boolean(
	    version != NULL));
	json_object_object_add(d, "detail", json_object_new_string(
	    version != NULL ? version : dj->error));
	if (schema != NULL)
		json_object_object_add(d, "schema", json_object_new_string(
		    schema));
	json_object_object_add(rep, "db", d);
	if (db_job_value(dj, 0, 2) != NULL)
		json_object_object_add(rep, "deposit_reorgs",
		    json_object_new_int64(strtoll(db_job_value(dj, 0, 2), NULL,
		    10)));
	if (db_job_value(dj, 0, 3) != NULL)
		json_object_object_add(rep, "follower_block",
		    json_object_new_string(db_job_value(dj, 0, 3)));
	req_status_kdf(rq, rep);
	ops_cfg(rq)->status(ops_cfg(rq)->arg, rep);
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* Broadcast: a test notice of the requested kind to every abc-web. */
static void
req_broadcast(struct request *rq)
{
	struct json_object	*n;
	const char		*kind = msg_get_str(rq->body, "kind");

	if (kind == NULL || strlen(kind) < 1 || strlen(kind) > 32 ||
	    strspn(kind, "abcdefghijklmnopqrstuvwxyz_") != strlen(kind)) {
		ops_fail(rq, MSG_CODE_INVALID,
		    "broadcast needs a kind [a-z_]{1,32}");
		return;
	}
	/* Any kind, known or not: the tests' own notices. */
	n = json_object_new_object();
	json_object_object_add(n, "kind", json_object_new_string(kind));
	ops_notice(rq, n);
	json_object_put(n);
	n = msg_reply_new();
	ops_finish(rq, n);
	json_object_put(n);
}

/* Stages of counter_add. */
enum counter_stage {
	COUNTER_START = REQ_START,
	COUNTER_STORED		/* link_counter_add answered */
};

/* counter_add: "key" += "n", once per request identity. */
static void
req_counter(struct request *rq)
{
	struct db_job	*j;
	const char	*key = msg_get_str(rq->body, "key");
	int64_t		 n;

	if (key == NULL || msg_get_int(rq->body, "n", &n) != 0) {
		ops_fail(rq, MSG_CODE_INVALID, "counter_add needs key and n");
		return;
	}
	j = req_durable_job(rq, "SELECT link_counter_add($1, $2, $3, $4, $5, "
	    "$6)");
	db_job_param(j, key);
	db_job_paramf(j, "%" PRId64, n);
	ops_db(rq, j, COUNTER_STORED);
}

/* Stages of status. */
enum status_stage {
	STATUS_START = REQ_START,
	STATUS_READ		/* the database's facts */
};

/* status: the database's version and facts, the pool's, the loop's. */
static void
req_status(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)kj;
	(void)cj;
	if (rq->stage == STATUS_START)
		ops_db(rq, db_job_new("SELECT current_setting("
		    "'server_version'), (SELECT max(version) FROM "
		    "schema_migrations), (SELECT count(*) FROM "
		    "deposit_reorgs WHERE resolved_at IS NULL), (SELECT "
		    "lastblock FROM chain_cursor)", 0, NULL, 0), STATUS_READ);
	else
		req_status_done(rq, dj);
}

/* echo: the request itself back, "ok" for "op". */
static void
req_echo(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;

	(void)dj;
	(void)kj;
	(void)cj;
	json_object_object_add(rq->body, "ok", json_object_new_boolean(1));
	json_object_object_del(rq->body, "op");
	rep = json_object_get(rq->body);
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* broadcast: one stage, no job. */
static void
req_broadcast_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)dj;
	(void)kj;
	(void)cj;
	req_broadcast(rq);
}

/* counter_add: one durable call, then its stored reply. */
static void
req_counter_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)kj;
	(void)cj;
	if (rq->stage == COUNTER_START)
		req_counter(rq);
	else
		ops_finish_stored(rq, dj);
}

const struct req_row req_basic_rows[] = {
	{ MSG_OP_STATUS, "status", 0, req_status },
	{ MSG_OP_ECHO, "echo", 0, req_echo },
	{ MSG_OP_COUNTER_ADD, "counter_add", REQ_DURABLE, req_counter_step },
	{ MSG_OP_BROADCAST, "broadcast", 0, req_broadcast_step },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
