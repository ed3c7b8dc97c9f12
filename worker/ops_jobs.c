/*
 * The request engine's hand-offs: a stage's job goes to the database
 * thread, the hashing pool or the bitcoind thread with the stage that
 * continues it, and each finished job continues its request.  Kept apart
 * from ops.c so the request modules' unit tests can link ops.c with
 * canned job runners instead (tests/unit/reqharness.c).
 */
#include <stdlib.h>

#include "btcq.h"
#include "db.h"
#include "kdf.h"
#include "log.h"
#include "ops.h"
#include "ops_req.h"

/* Hands job to the database thread; its completion continues rq. */
void
ops_db(struct request *rq, struct db_job *job, int next)
{
	job->ctx = rq;
	rq->stage = next;
	db_submit(ops_cfg(rq)->db, job);
}

/*
 * Hands job to the hashing pool; its completion continues rq.  A full pool
 * answers "busy" at once: back-pressure instead of an unbounded queue.
 */
void
ops_kdf(struct request *rq, struct kdf_job *job, int next)
{
	struct kdf_pool	*pool = ops_cfg(rq)->kdf;

	job->arg = rq;
	if (kdf_submit(pool, job) != 0) {
		kdf_job_free(job);
		log_info("kdf_busy", "queued=%zu", kdf_queued(pool));
		ops_fail(rq, MSG_CODE_BUSY, "The server is busy; try again in "
		    "a moment.");
		return;
	}
	rq->stage = next;
}

/* Hands job to the bitcoind thread; its completion continues rq. */
void
ops_chain(struct request *rq, struct btcq_job *job, int next)
{
	job->arg = rq;
	rq->stage = next;
	btcq_submit(ops_cfg(rq)->chain, job);
}

/* Continues every request whose bitcoind job finished. */
void
ops_chain_done(struct ops *ops)
{
	struct btcq_job	*j, *next;

	for (j = btcq_take_done(ops_get_cfg(ops)->chain); j != NULL;
	    j = next) {
		next = j->next;
		ops_continue(j->arg, NULL, NULL, j);
		free(j);
	}
}

/* Continues every request whose database job finished. */
void
ops_db_done(struct ops *ops)
{
	struct db_job	*j, *next;

	for (j = db_take_done(ops_get_cfg(ops)->db); j != NULL; j = next) {
		next = j->next;
		ops_continue(j->ctx, j, NULL, NULL);
		db_job_free(j);
	}
}

/* Continues every request whose hashing job finished. */
void
ops_kdf_done(struct ops *ops)
{
	struct kdf_job	*j, *next;

	for (j = kdf_take_done(ops_get_cfg(ops)->kdf); j != NULL; j = next) {
		next = j->next;
		ops_continue(j->arg, NULL, j, NULL);
		kdf_job_free(j);
	}
}
