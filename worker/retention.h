/*
 * retention: the job that deletes history past its keeping time, so that no
 * table of abc grows for ever with what nobody reads any more.  Today it is
 * the webhook history (sql/functions/webhook_retain.sql): deliveries that
 * ended over keep_days ago and then the events left without any.  (The
 * request_log is pruned by the writer itself, worker/db.c, because only
 * the writer knows which requests can still be resent.)
 *
 * Like the payer, it runs on a thread of its own with its own PostgreSQL
 * connection, only while this worker is the active one (lease_may_act),
 * and in short transactions of at most per_run rows of each kind; a
 * backlog is worked off run after run without waiting the whole period.
 *
 * Ownership: retention_start copies conninfo.
 */
#ifndef ABC_RETENTION_H
#define ABC_RETENTION_H

struct retention;

struct retention_cfg {
	const char	*conninfo;
	int		 poll_ms;	/* between runs */
	int		 keep_days;	/* webhook history kept */
	int		 per_run;	/* rows of each kind per transaction */
};

struct retention	*retention_start(const struct retention_cfg *cfg);
void			 retention_stop(struct retention *r);

#endif /* ABC_RETENTION_H */
