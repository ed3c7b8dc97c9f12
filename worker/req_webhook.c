/*
 * The webhook requests (issue 15): a user's endpoints with their delivery
 * log (webhooks), and adding, deleting and redelivering, each one durable
 * SQL call that keeps its reply in request_log (exactly once, also by the
 * form's idempotency key).  abc-worker makes each endpoint's secret
 * (whsign.h); sending is worker/webhook.c's job, never a request's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"
#include "whsign.h"

#define WH_MAX_ENDPOINTS	5	/* per user */
#define WH_LOG_ROWS		20	/* deliveries shown per endpoint */

/* The stages: the shared session read, then one job of their own. */
enum wh_stage {
	WH_START = REQ_START,
	WH_SESSION = REQ_SESSION_READ,
	WH_DONE = REQ_OWN_STAGES	/* the SQL call answered */
};

/* The request's positive integer field name into out; 0, or -1 answered. */
static int
wh_id(struct request *rq, const char *name, int64_t *out)
{
	if (msg_get_int(rq->body, name, out) != 0 || *out < 1) {
		ops_fail(rq, MSG_CODE_INVALID, "No such webhook endpoint or "
		    "delivery.");
		return -1;
	}
	return 0;
}

/* webhooks: the user's endpoints, each with its last deliveries. */
static void
wh_list(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep, *v;
	struct db_job		*j;

	(void)kj;
	(void)cj;
	if (rq->stage != WH_DONE) {
		if (req_session_user(rq, dj) != 1)
			return;
		j = db_job_new("SELECT webhook_list($1, $2)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		db_job_paramf(j, "%d", WH_LOG_ROWS);
		ops_db(rq, j, WH_DONE);
		return;
	}
	if ((v = req_row_json(rq, dj)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "endpoints", v);
	json_object_object_add(rep, "max", json_object_new_int(
	    WH_MAX_ENDPOINTS));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* webhook_add: url, idem; the secret is made here. */
static void
wh_add(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*url = msg_get_str(rq->body, "url");
	char		 secret[WH_SECRET_LEN + 1];
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (!req_user_call(rq, dj, WH_DONE, ops_finish_stored))
		return;
	if (!wh_url_ok(url)) {
		ops_fail(rq, MSG_CODE_INVALID, "A webhook address is an "
		    "http:// or https:// URL of at most 500 characters, "
		    "without spaces.");
		return;
	}
	if (req_need_idem(rq) != 0)
		return;
	if (wh_new_secret(secret) != 0) {
		ops_fail(rq, MSG_CODE_INTERNAL, "No secret could be made; "
		    "try again.");
		return;
	}
	j = req_durable_user_job(rq, "SELECT webhook_endpoint_add($1, $2, $3, "
	    "$4, $5, $6, $7, $8)");
	db_job_param(j, url);
	db_job_param(j, secret);
	db_job_paramf(j, "%d", WH_MAX_ENDPOINTS);
	explicit_bzero(secret, sizeof(secret));
	ops_db(rq, j, WH_DONE);
}

/* webhook_delete (id: an endpoint) and webhook_redeliver (a delivery). */
static void
wh_by_id(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;
	int64_t		 id;

	(void)kj;
	(void)cj;
	if (!req_user_call(rq, dj, WH_DONE, ops_finish_stored))
		return;
	if (wh_id(rq, "id", &id) != 0 || req_need_idem(rq) != 0)
		return;
	j = req_durable_user_job(rq, rq->op == MSG_OP_WEBHOOK_DELETE ?
	    "SELECT webhook_endpoint_delete($1, $2, $3, $4, $5, $6)" :
	    "SELECT webhook_redeliver($1, $2, $3, $4, $5, $6)");
	db_job_paramf(j, "%" PRId64, id);
	ops_db(rq, j, WH_DONE);
}

const struct req_row req_webhook_rows[] = {
	{ MSG_OP_WEBHOOKS, "webhooks", REQ_NEEDS_SESSION, wh_list },
	{ MSG_OP_WEBHOOK_ADD, "webhook_add", REQ_DURABLE | REQ_NEEDS_SESSION,
	    wh_add },
	{ MSG_OP_WEBHOOK_DELETE, "webhook_delete", REQ_DURABLE |
	    REQ_NEEDS_SESSION, wh_by_id },
	{ MSG_OP_WEBHOOK_REDELIVER, "webhook_redeliver", REQ_DURABLE |
	    REQ_NEEDS_SESSION, wh_by_id },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
