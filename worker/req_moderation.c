/*
 * Moderation by the seller (issue 15, SPEC 4.4): the seller's list of ads
 * waiting for review, the review itself (approve, or reject with a reason:
 * the buyer is refunded in full and the slot's time passes to the queue),
 * a campaign's moderation settings, and blocks of a buyer or an ad.  Each
 * change is one durable SQL call that keeps its answer in request_log
 * (sql/functions/camp_review.sql, camp_settings.sql, seller_block.sql), so
 * a repeat, or a retry after abc-worker died, answers once; the money is
 * in those functions, never here.  What a review changes on a campaign's
 * page is broadcast as "campaign_changed".
 *
 * Ownership: as every request module (ops_req.h): the request owns its
 * body, steps borrow the finished job.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "abc_limits.h"
#include "clock.h"
#include "db.h"
#include "field.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"

/* Review times a seller may set (ms): a minute to a week; with short
 * slots allowed (tests, demos) from a second. */
#define MOD_REVIEW_MIN_MS	60000
#define MOD_REVIEW_SHORT_MS	1000
#define MOD_REVIEW_MAX_MS	604800000

/* Every request here: the session's user, then one job of its own. */
enum mod_stage {
	MOD_START = REQ_START,
	MOD_SESSION = REQ_SESSION_READ,
	MOD_DONE = REQ_OWN_STAGES	/* the SQL function answered */
};

/*
 * Finishes with the stored answer; a review that succeeded changed what
 * the campaign's page and embed show, so it is broadcast.
 */
static void
mod_done(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep, *n;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128];
	int64_t			 camp;
	int			 ok = 0;

	if (text == NULL || (rep = msg_parse((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL) {
		ops_unavailable(rq);
		return;
	}
	(void)msg_get_bool(rep, "ok", &ok);
	if (ok && msg_get_int(rep, "campaign", &camp) == 0) {
		n = msg_notice_new(MSG_NOTICE_CAMPAIGN_CHANGED);
		json_object_object_add(n, "campaign",
		    json_object_new_int64(camp));
		ops_notice(rq, n);
		json_object_put(n);
	}
	ops_finish(rq, rep);
	json_object_put(rep);
}

/*
 * campaign_review: campaign, slot, approve (bool) and, to reject, a
 * reason (FIELD_REJECT_REASON).
 */
static void
mod_review(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*reason = msg_get_str(rq->body, "reason");
	int64_t		 camp, idx;
	int		 approve;
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (!req_user_call(rq, dj, MOD_DONE, mod_done))
		return;
	if (msg_get_int(rq->body, "campaign", &camp) ||
	    msg_get_int(rq->body, "slot", &idx) ||
	    msg_get_bool(rq->body, "approve", &approve) || camp < 1 ||
	    idx < 0 || idx > INT32_MAX) {
		ops_fail(rq, MSG_CODE_INVALID, "The review form is incomplete.");
		return;
	}
	if (!approve && (reason == NULL || field_check(FIELD_REJECT_REASON,
	    (const uint8_t *)reason, strlen(reason)) != NULL)) {
		ops_fail(rq, MSG_CODE_INVALID, field_check(FIELD_REJECT_REASON,
		    (const uint8_t *)"", 0));
		return;
	}
	j = req_durable_user_job(rq, "SELECT camp_review($1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9)");
	db_job_paramf(j, "%" PRId64, camp);
	db_job_paramf(j, "%" PRId64, idx);
	db_job_param(j, approve ? "true" : "false");
	db_job_param(j, approve ? NULL : reason);
	ops_db(rq, j, MOD_DONE);
}

/*
 * campaign_settings: id, requires_approval (bool), review_s, and
 * liveness_pct (0-100; absent: unchanged).
 */
static void
mod_settings(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	int64_t		 id, review_s, lo, pct = -1;
	int		 requires;
	struct db_job	*j;
	char		 msg[160];

	(void)kj;
	(void)cj;
	if (!req_user_call(rq, dj, MOD_DONE, mod_done))
		return;
	lo = ops_cfg(rq)->allow_short_slots ? MOD_REVIEW_SHORT_MS :
	    MOD_REVIEW_MIN_MS;
	if (msg_get_int(rq->body, "id", &id) || id < 1 ||
	    msg_get_bool(rq->body, "requires_approval", &requires) ||
	    msg_get_int(rq->body, "review_s", &review_s) ||
	    review_s < lo / 1000 || review_s > MOD_REVIEW_MAX_MS / 1000) {
		snprintf(msg, sizeof(msg), "The review time is %" PRId64
		    " seconds to 7 days.", lo / 1000);
		ops_fail(rq, MSG_CODE_INVALID, msg);
		return;
	}
	if (json_object_object_get_ex(rq->body, "liveness_pct", NULL)) {
		if (msg_get_int(rq->body, "liveness_pct", &pct) || pct < 0 ||
		    pct > 100) {
			ops_fail(rq, MSG_CODE_INVALID, "The liveness share is "
			    "0 to 100 percent.");
			return;
		}
	}
	j = req_durable_user_job(rq, "SELECT camp_settings($1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9)");
	db_job_paramf(j, "%" PRId64, id);
	db_job_param(j, requires ? "true" : "false");
	db_job_paramf(j, "%" PRId64, review_s * 1000);
	if (pct >= 0)
		db_job_paramf(j, "%" PRId64, pct);
	else
		db_job_param(j, NULL);
	ops_db(rq, j, MOD_DONE);
}

/* seller_block: kind ("buyer" or "ad"), target (its id), on (bool). */
static void
mod_block(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*kind = msg_get_str(rq->body, "kind");
	int64_t		 target;
	int		 on;
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (!req_user_call(rq, dj, MOD_DONE, mod_done))
		return;
	if (kind == NULL || (strcmp(kind, "buyer") != 0 &&
	    strcmp(kind, "ad") != 0) || msg_get_int(rq->body, "target",
	    &target) || target < 1 || msg_get_bool(rq->body, "on", &on)) {
		ops_fail(rq, MSG_CODE_INVALID, "Block a buyer or an ad.");
		return;
	}
	j = req_durable_user_job(rq, "SELECT seller_block($1, $2, $3, $4, $5, "
	    "$6, $7, $8)");
	db_job_param(j, kind);
	db_job_paramf(j, "%" PRId64, target);
	db_job_param(j, on ? "true" : "false");
	ops_db(rq, j, MOD_DONE);
}

/* my_approvals: what the seller's review page shows (mod_approvals). */
static void
mod_list(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep, *v;
	struct db_job		*j;

	(void)kj;
	(void)cj;
	if (rq->stage != MOD_DONE) {
		if (req_session_user(rq, dj) != 1)
			return;
		j = db_job_new("SELECT mod_approvals($1)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		ops_db(rq, j, MOD_DONE);
		return;
	}
	if ((v = req_row_json(rq, dj)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "approvals", v);
	json_object_object_add(rep, "now_ms",
	    json_object_new_int64(clock_real_ms()));
	ops_finish(rq, rep);
	json_object_put(rep);
}

const struct req_row req_moderation_rows[] = {
	{ MSG_OP_MY_APPROVALS, "my_approvals", REQ_NEEDS_SESSION, mod_list },
	{ MSG_OP_CAMPAIGN_REVIEW, "campaign_review", REQ_DURABLE |
	    REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION, mod_review },
	{ MSG_OP_CAMPAIGN_SETTINGS, "campaign_settings", REQ_DURABLE |
	    REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION, mod_settings },
	{ MSG_OP_SELLER_BLOCK, "seller_block", REQ_DURABLE |
	    REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION, mod_block },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
