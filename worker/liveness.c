/*
 * The liveness thread (see liveness.h): every poll_ms, the slots due
 * (liveness_due) and, for each, liveness_judge in a transaction of its
 * own.  Health changes are logged once, like the payer's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "bgdb.h"
#include "clock.h"
#include "lease.h"
#include "liveness.h"
#include "log.h"
#include "periodic.h"
#include "xmalloc.h"

struct liveness {
	struct liveness_cfg	 cfg;		/* conninfo not kept */
	struct periodic		 job;		/* its thread and connection */
};

/* Judges one slot in its own transaction; 0, or -1 with err set. */
static int
liveness_judge(struct liveness *l, const char *campaign, const char *idx)
{
	const char	*params[2] = { campaign, idx };
	PGresult	*res;

	if (bgdb_exec(&l->job.db, "BEGIN", 0, NULL) != 0)
		return -1;
	if ((res = bgdb_sql(&l->job.db, "SELECT liveness_judge($1, $2)", 2,
	    params)) == NULL) {
		bgdb_rollback(&l->job.db);
		return -1;
	}
	if (!PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		log_info("liveness_refund", "campaign=%s idx=%s refund=%s",
		    campaign, idx, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (bgdb_commit(&l->job.db) != 0) {
		bgdb_rollback(&l->job.db);
		return -1;
	}
	return 0;
}

/*
 * The job's step (l is the job's arg): the slots due, each judged; 0, or
 * -1 with the job's err set.
 */
static int
liveness_run(void *arg)
{
	struct liveness	*l = arg;
	const char	*params[2];
	char		 cutoff[24], limit[16];
	PGresult	*res;
	int		 i, rc = 0;

	if (!lease_may_act())
		return 0;
	snprintf(cutoff, sizeof(cutoff), "%" PRId64,
	    (int64_t)clock_real_ms() - l->cfg.wait_ms);
	snprintf(limit, sizeof(limit), "%d", l->cfg.per_run);
	params[0] = cutoff;
	params[1] = limit;
	if ((res = bgdb_sql(&l->job.db, "SELECT campaign_id, idx FROM "
	    "liveness_due($1, $2)", 2, params)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		/* Only the active worker moves money (worker/lease.h). */
		if (!lease_may_act())
			break;
		rc = liveness_judge(l, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return rc;
}

/* Starts the job; NULL (logged) when it cannot. */
struct liveness *
liveness_start(const struct liveness_cfg *cfg)
{
	struct periodic_cfg	 pc = { "liveness", cfg->conninfo,
				    cfg->poll_ms, cfg->poll_ms, liveness_run,
				    NULL };
	struct liveness		*l;

	l = xcalloc(1, sizeof(*l));
	l->cfg = *cfg;
	l->cfg.conninfo = NULL;		/* the job's connection keeps it */
	pc.arg = l;
	if (periodic_start(&l->job, &pc) != 0) {
		free(l);
		return NULL;
	}
	return l;
}

/* Stops the job (a running judgement finishes) and frees everything. */
void
liveness_stop(struct liveness *l)
{
	if (l == NULL)
		return;
	periodic_stop(&l->job);
	free(l);
}
