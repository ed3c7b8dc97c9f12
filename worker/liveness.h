/*
 * liveness: the job that judges ended slots (issue 15, SPEC 4).  abc-web
 * marks which of a slot's 64 time buckets its embed was served in
 * (slot_seen, through stats_flush); once a slot has ended and the last
 * flush that could cover it has had time to arrive (wait_ms after its
 * end), this thread calls liveness_judge for it: a slot whose embed went
 * unfetched for more than its campaign's share of the time is refunded to
 * its buyer pro rata, exactly once, in one transaction
 * (sql/functions/liveness_judge.sql has the rounding and who pays).
 *
 * Like the payer, it runs on a thread of its own with its own PostgreSQL
 * connection, and only while this worker is the active one
 * (lease_may_act, checked before every step).  A crash between slots
 * loses nothing: a slot is judged in the transaction that records it.
 *
 * Ownership: liveness_start copies conninfo.
 */
#ifndef ABC_LIVENESS_H
#define ABC_LIVENESS_H

struct liveness;

struct liveness_cfg {
	const char	*conninfo;
	int		 poll_ms;	/* between runs */
	int		 wait_ms;	/* after a slot's end before judging */
	int		 per_run;	/* slots judged per run at most */
};

struct liveness	*liveness_start(const struct liveness_cfg *cfg);
void		 liveness_stop(struct liveness *l);

#endif /* ABC_LIVENESS_H */
