/*
 * The retention thread (see retention.h): every poll_ms, webhook_retain in
 * its own transaction, again at once while a run still found a full batch.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "bgdb.h"
#include "lease.h"
#include "log.h"
#include "periodic.h"
#include "retention.h"
#include "xmalloc.h"

/* At most this many batches in one run: a backlog never holds the thread
 * for long, the next run goes on with it. */
#define RETENTION_BATCHES	20

struct retention {
	struct retention_cfg	 cfg;		/* conninfo not kept */
	struct periodic		 job;		/* its thread and connection */
};

/* One batch: *gone gets the rows deleted; 0, or -1 with the job's err. */
static int
retention_batch(struct retention *r, long long *gone)
{
	const char	*params[2];
	char		 days[16], limit[16];
	PGresult	*res;

	snprintf(days, sizeof(days), "%d", r->cfg.keep_days);
	snprintf(limit, sizeof(limit), "%d", r->cfg.per_run);
	params[0] = days;
	params[1] = limit;
	if ((res = bgdb_sql(&r->job.db, "SELECT webhook_retain($1, $2)", 2,
	    params)) == NULL)
		return -1;
	*gone = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* The job's step (arg is the retention): batches until one is not full. */
static int
retention_run(void *arg)
{
	struct retention	*r = arg;
	long long		 gone, total = 0;
	int			 i;

	for (i = 0; i < RETENTION_BATCHES; i++) {
		/* Only the active worker writes (worker/lease.h). */
		if (!lease_may_act())
			break;
		if (retention_batch(r, &gone) != 0)
			return -1;
		total += gone;
		if (gone < r->cfg.per_run)
			break;
	}
	if (total > 0)
		log_info("webhook_history_pruned", "rows=%lld keep_days=%d",
		    total, r->cfg.keep_days);
	return 0;
}

/* Starts the job; NULL (logged) when it cannot. */
struct retention *
retention_start(const struct retention_cfg *cfg)
{
	struct periodic_cfg	 pc = { "retention", cfg->conninfo,
				    cfg->poll_ms, cfg->poll_ms, retention_run,
				    NULL };
	struct retention	*r;

	r = xcalloc(1, sizeof(*r));
	r->cfg = *cfg;
	r->cfg.conninfo = NULL;		/* the job's connection keeps it */
	pc.arg = r;
	if (periodic_start(&r->job, &pc) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

/* Stops the job (a running batch finishes) and frees everything. */
void
retention_stop(struct retention *r)
{
	if (r == NULL)
		return;
	periodic_stop(&r->job);
	free(r);
}
