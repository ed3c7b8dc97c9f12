/*
 * A periodic job of abc-worker: a thread of its own with its own
 * PostgreSQL connection (worker/bgdb.h) that calls a step function, waits
 * a period (a longer one after a failed step), and again, until it is
 * stopped.  The payer, the liveness judge and the webhook sender are each
 * one; a job that must run only on the active worker checks
 * lease_may_act in its step.  A change of the job's health is logged
 * once, as "<name>_failing" (with the step's error) and "<name>_ok",
 * not once per run.  periodic_wake cuts the current wait short;
 * periodic_stop lets a running step finish, then joins the thread.
 *
 * The caller allocates struct periodic inside its own state (it is the
 * job's connection and error buffer, which the step uses: pj->db and
 * pj->err) and never touches the other fields.
 *
 * Ownership: periodic_start copies conninfo and borrows name and arg,
 * which must outlive periodic_stop; periodic_stop frees what
 * periodic_start made, not the struct itself.
 */
#ifndef ABC_PERIODIC_H
#define ABC_PERIODIC_H

#include <pthread.h>

#include "bgdb.h"

/* One run of the job: 0, or -1 with the job's err (pj->err) set. */
typedef int	(*periodic_step_fn)(void *arg);

struct periodic_cfg {
	const char		*name;		/* borrowed: "payer"... */
	const char		*conninfo;	/* copied */
	int			 poll_ms;	/* between runs */
	int			 fail_ms;	/* after a failed run */
	periodic_step_fn	 step;
	void			*arg;		/* borrowed: the step's */
};

struct periodic {
	struct bgdb		 db;		/* the job's connection */
	char			 err[256];	/* the step's; thread only */
	struct periodic_cfg	 cfg;		/* conninfo not kept */
	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* stopping, woken */
	pthread_cond_t		 wake;		/* on CLOCK_MONOTONIC */
	int			 stopping;
	int			 woken;		/* since the last wait */
};

int	periodic_start(struct periodic *pj, const struct periodic_cfg *cfg);
void	periodic_wake(struct periodic *pj);
void	periodic_stop(struct periodic *pj);

#endif /* ABC_PERIODIC_H */
