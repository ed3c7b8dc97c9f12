/*
 * The dashboards' own request (issue 15): my_slot, a sold slot's page for
 * its buyer, in one SQL call (sql/functions/dash_slot.sql).  The seller's
 * dashboard is my_campaigns and the buyer's list my_ads (req_market.c).
 * Nothing is kept between requests; the reply is built and freed here.
 */
#include <inttypes.h>
#include <stdint.h>

#include <json-c/json.h>

#include "clock.h"
#include "db.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"

enum my_slot_stage {
	MY_SLOT_START = REQ_START,
	MY_SLOT_SESSION = REQ_SESSION_READ,
	MY_SLOT_READ = REQ_OWN_STAGES	/* dash_slot answered */
};

/*
 * Answers dash_slot's row: the slot as "slot", or no_campaign (absent:
 * abc-web answers 404) when there is none or the user did not buy it
 * (dash_slot's NULL); unavailable when the read failed.
 */
static void
dash_slot_reply(struct request *rq, struct db_job *dj)
{
	struct json_object	*v, *rep;

	if (req_row_or_fail(rq, dj, MSG_CODE_NO_CAMPAIGN,
	    "You bought no such slot.") != 1)
		return;
	if ((v = req_row_json(rq, dj)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "slot", v);
	json_object_object_add(rep, "now_ms",
	    json_object_new_int64(clock_real_ms()));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* my_slot (token, campaign, slot): the session, then one read. */
static void
dash_my_slot(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;
	int64_t		 camp, idx;

	(void)kj;
	(void)cj;
	if (rq->stage != MY_SLOT_READ) {
		/* The session first: no_session before anything else. */
		if (req_session_user(rq, dj) != 1)
			return;
		if (msg_get_int(rq->body, "campaign", &camp) != 0 ||
		    msg_get_int(rq->body, "slot", &idx) != 0 || camp < 1 ||
		    idx < 0 || idx > INT32_MAX) {
			ops_fail(rq, MSG_CODE_INVALID,
			    "The request names no slot.");
			return;
		}
		j = db_job_new("SELECT dash_slot($1, $2, $3, $4)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		db_job_paramf(j, "%" PRId64, camp);
		db_job_paramf(j, "%" PRId64, idx);
		db_job_paramf(j, "%" PRId64, clock_real_ms());
		ops_db(rq, j, MY_SLOT_READ);
		return;
	}
	dash_slot_reply(rq, dj);
}

const struct req_row req_dash_rows[] = {
	{ MSG_OP_MY_SLOT, "my_slot", REQ_NEEDS_SESSION, dash_my_slot },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
