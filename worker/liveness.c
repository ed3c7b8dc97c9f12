/*
 * The liveness thread (see liveness.h): every poll_ms, the slots due
 * (liveness_due) and, for each, liveness_judge in a transaction of its
 * own.  Health changes are logged once, like the payer's.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "bgdb.h"
#include "clock.h"
#include "lease.h"
#include "liveness.h"
#include "log.h"
#include "xmalloc.h"

struct liveness {
	struct liveness_cfg	 cfg;		/* conninfo owned (copied) */
	struct bgdb		 db;		/* this thread's */
	char			 err[256];	/* thread only */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 lock;		/* guards stopping */
	pthread_cond_t		 wake;
	int			 stopping;
};

/* Judges one slot in its own transaction; 0, or -1 with err set. */
static int
liveness_judge(struct liveness *l, const char *campaign, const char *idx)
{
	const char	*params[2] = { campaign, idx };
	PGresult	*res;

	if (bgdb_exec(&l->db, "BEGIN", 0, NULL) != 0)
		return -1;
	if ((res = bgdb_sql(&l->db, "SELECT liveness_judge($1, $2)", 2,
	    params)) == NULL) {
		bgdb_rollback(&l->db);
		return -1;
	}
	if (!PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		log_info("liveness_refund", "campaign=%s idx=%s refund=%s",
		    campaign, idx, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (bgdb_commit(&l->db) != 0) {
		bgdb_rollback(&l->db);
		return -1;
	}
	return 0;
}

/* One run: the slots due, each judged; 0, or -1 with err set. */
static int
liveness_run(struct liveness *l)
{
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
	if ((res = bgdb_sql(&l->db, "SELECT campaign_id, idx FROM "
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

/* Logs a change of health once, not once per run. */
static void
liveness_health(struct liveness *l, int ok, char *prev, size_t prevlen)
{
	const char	*now = ok ? "" : l->err;

	if (strcmp(prev, now) == 0)
		return;
	if (ok)
		log_info("liveness_ok", "was=\"%s\"", prev);
	else
		log_warn("liveness_failing", "error=\"%s\"", now);
	snprintf(prev, prevlen, "%s", now);
}

static void *
liveness_thread(void *arg)
{
	struct liveness	*l = arg;
	struct timespec	 deadline;
	char		 prev[256] = "";

	pthread_mutex_lock(&l->lock);
	while (!l->stopping) {
		pthread_mutex_unlock(&l->lock);
		liveness_health(l, liveness_run(l) == 0, prev, sizeof(prev));
		clock_abs_deadline(&deadline, l->cfg.poll_ms);
		pthread_mutex_lock(&l->lock);
		while (!l->stopping && pthread_cond_timedwait(&l->wake,
		    &l->lock, &deadline) != ETIMEDOUT)
			continue;
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* Starts the thread; NULL (logged) when it cannot. */
struct liveness *
liveness_start(const struct liveness_cfg *cfg)
{
	pthread_condattr_t	 attr;
	struct liveness		*l;

	l = xcalloc(1, sizeof(*l));
	l->cfg = *cfg;
	l->cfg.conninfo = xstrdup(cfg->conninfo);
	bgdb_init(&l->db, cfg->conninfo, l->err, sizeof(l->err));
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&l->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&l->thread, NULL, liveness_thread, l) != 0) {
		log_error("liveness_start", "error=\"cannot start thread\"");
		liveness_stop(l);
		return NULL;
	}
	l->started = 1;
	return l;
}

/* Stops the thread (a running judgement finishes) and frees everything. */
void
liveness_stop(struct liveness *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->lock);
		l->stopping = 1;
		pthread_cond_signal(&l->wake);
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
	}
	bgdb_close(&l->db);
	free((char *)l->cfg.conninfo);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->wake);
	free(l);
}
