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
#include "ops.h"

/*
 * The hashing pool's counters, for /status's detail and the tests of
 * issue 10 ("a taken name hashes nothing").
 */
static void
req_status_kdf(struct call *c, struct json_object *rep)
{
	struct kdf_stats	 st;
	struct json_object	*k;

	kdf_get_stats(ops_cfg(c)->kdf, &st);
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
req_status_done(struct call *c, struct db_job *dj)
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
	req_status_kdf(c, rep);
	ops_cfg(c)->status(ops_cfg(c)->arg, rep);
	ops_finish(c, rep);
	json_object_put(rep);
}

/* Broadcast: a test notice of the requested kind to every abc-web. */
static void
req_broadcast(struct call *c)
{
	struct json_object	*n;
	const char		*kind = msg_get_str(c->req, "kind");

	if (kind == NULL || strlen(kind) < 1 || strlen(kind) > 32 ||
	    strspn(kind, "abcdefghijklmnopqrstuvwxyz_") != strlen(kind)) {
		ops_fail(c, "invalid", "broadcast needs a kind [a-z_]{1,32}");
		return;
	}
	n = json_object_new_object();
	json_object_object_add(n, "kind", json_object_new_string(kind));
	ops_notice(c, n);
	json_object_put(n);
	n = msg_reply_new();
	ops_finish(c, n);
	json_object_put(n);
}

/* counter_add: "key" += "n", once per request identity. */
static void
req_counter(struct call *c)
{
	struct db_job	*j;
	const char	*key = msg_get_str(c->req, "key");
	int64_t		 n;

	if (key == NULL || msg_get_int(c->req, "n", &n) != 0) {
		ops_fail(c, "invalid", "counter_add needs key and n");
		return;
	}
	j = db_job_new("SELECT link_counter_add($1, $2, $3, $4, $5, $6)", 1,
	    NULL, 0);
	db_job_param(j, c->client);
	db_job_paramf(j, "%" PRId64, c->epoch);
	db_job_paramf(j, "%" PRIu64, c->req_no);
	db_job_param(j, msg_get_str(c->req, "idem"));
	db_job_param(j, key);
	db_job_paramf(j, "%" PRId64, n);
	ops_db(c, j);
}

/* Runs the next stage of a basic request (dj NULL: the start). */
void
req_basic_step(struct call *c, struct db_job *dj)
{
	struct json_object	*rep;

	switch (c->op) {
	case MSG_OP_STATUS:
		if (dj == NULL)
			ops_db(c, db_job_new("SELECT current_setting("
			    "'server_version'), (SELECT max(version) FROM "
			    "schema_migrations), (SELECT count(*) FROM "
			    "deposit_reorgs WHERE resolved_at IS NULL), (SELECT lastblock FROM "
			    "chain_cursor)", 0, NULL, 0));
		else
			req_status_done(c, dj);
		return;
	case MSG_OP_ECHO:
		json_object_object_add(c->req, "ok", json_object_new_boolean(1));
		json_object_object_del(c->req, "op");
		rep = json_object_get(c->req);
		ops_finish(c, rep);
		json_object_put(rep);
		return;
	case MSG_OP_BROADCAST:
		req_broadcast(c);
		return;
	case MSG_OP_COUNTER_ADD:
		if (dj == NULL)
			req_counter(c);
		else
			ops_finish_stored(c, dj);
		return;
	default:
		ops_fail(c, "bad_request", "unknown operation");
		return;
	}
}
