/*
 * A periodic job's thread (see periodic.h): step, log a change of
 * health, wait on a CLOCK_MONOTONIC condition variable (so a change of
 * the wall clock neither skips nor stretches a wait) until the period
 * ends, periodic_wake or periodic_stop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bgdb.h"
#include "clock.h"
#include "log.h"
#include "periodic.h"

/* Logs a change of health once, not once per run. */
static void
periodic_health(struct periodic *pj, int ok, char *prev, size_t prevlen)
{
	const char	*now = ok ? "" : pj->err;
	char		 event[64];

	if (strcmp(prev, now) == 0)
		return;
	if (ok) {
		snprintf(event, sizeof(event), "%s_ok", pj->cfg.name);
		log_info(event, "was=\"%s\"", prev);
	} else {
		snprintf(event, sizeof(event), "%s_failing", pj->cfg.name);
		log_warn(event, "error=\"%s\"", now);
	}
	snprintf(prev, prevlen, "%s", now);
}

/*
 * Waits wait_ms, or less when woken or stopped; called and returns with
 * pj->lock held.
 */
static void
periodic_wait(struct periodic *pj, int wait_ms)
{
	struct timespec	 deadline;

	clock_abs_deadline(&deadline, wait_ms);
	while (!pj->stopping && !pj->woken && pthread_cond_timedwait(
	    &pj->wake, &pj->lock, &deadline) != ETIMEDOUT)
		continue;
	pj->woken = 0;
}

static void *
periodic_thread(void *arg)
{
	struct periodic	*pj = arg;
	char		 prev[sizeof(pj->err)] = "";
	int		 ok;

	pthread_mutex_lock(&pj->lock);
	while (!pj->stopping) {
		pthread_mutex_unlock(&pj->lock);
		ok = pj->cfg.step(pj->cfg.arg) == 0;
		periodic_health(pj, ok, prev, sizeof(prev));
		pthread_mutex_lock(&pj->lock);
		periodic_wait(pj, ok ? pj->cfg.poll_ms : pj->cfg.fail_ms);
	}
	pthread_mutex_unlock(&pj->lock);
	return NULL;
}

/* Frees what periodic_start made (the thread is not running). */
static void
periodic_clear(struct periodic *pj)
{
	bgdb_close(&pj->db);
	pthread_mutex_destroy(&pj->lock);
	pthread_cond_destroy(&pj->wake);
}

/* Starts the job's thread; 0, or -1 (logged, nothing left) when it cannot. */
int
periodic_start(struct periodic *pj, const struct periodic_cfg *cfg)
{
	pthread_condattr_t	 attr;
	char			 event[64];

	memset(pj, 0, sizeof(*pj));
	pj->cfg = *cfg;
	pj->cfg.conninfo = NULL;	/* bgdb keeps its own copy */
	bgdb_init(&pj->db, cfg->conninfo, pj->err, sizeof(pj->err));
	pthread_mutex_init(&pj->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pj->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&pj->thread, NULL, periodic_thread, pj) != 0) {
		snprintf(event, sizeof(event), "%s_start", cfg->name);
		log_error(event, "error=\"cannot start thread\"");
		periodic_clear(pj);
		return -1;
	}
	return 0;
}

/* Sets *flag (woken or stopping) under the lock and ends the wait. */
static void
periodic_signal(struct periodic *pj, int *flag)
{
	pthread_mutex_lock(&pj->lock);
	*flag = 1;
	pthread_cond_signal(&pj->wake);
	pthread_mutex_unlock(&pj->lock);
}

/* Runs the next step now (after the running one, if any). */
void
periodic_wake(struct periodic *pj)
{
	periodic_signal(pj, &pj->woken);
}

/* Stops the thread (a running step finishes) and frees the connection. */
void
periodic_stop(struct periodic *pj)
{
	periodic_signal(pj, &pj->stopping);
	pthread_join(pj->thread, NULL);
	periodic_clear(pj);
}
