/*
 * pglisten: one thread with its own PostgreSQL connection that LISTENs on
 * a channel and hands the payloads of its notifications to the event loop.
 * PostgreSQL delivers a NOTIFY only when the transaction that sent it
 * commits, so a payload always describes committed data, whichever
 * connection wrote it (the request path, the deposit follower, an admin's
 * psql).  abc-worker uses it to tell every abc-web which user's account
 * overview changed (sql/functions/abc_notify_account.sql).
 *
 * Losing the connection can lose notifications: after every (re)connect
 * the thread hands over PGLISTEN_ALL ("*"), meaning "anything may have
 * changed".  The queue is bounded: past PGLISTEN_MAX_QUEUED distinct
 * payloads it collapses into PGLISTEN_ALL.  Payloads waiting in the queue
 * are deduplicated.
 *
 * Ownership: pglisten_start copies conninfo and channel.  pglisten_take
 * returns a list the caller frees with pglisten_free_notes.  done_fd is
 * borrowed; it must stay open until pglisten_stop returns.
 */
#ifndef ABC_PGLISTEN_H
#define ABC_PGLISTEN_H

#define PGLISTEN_ALL		"*"
#define PGLISTEN_PAYLOAD_MAX	64
#define PGLISTEN_MAX_QUEUED	4096

struct pglisten;

struct pglisten_note {
	struct pglisten_note	*next;
	char			 payload[PGLISTEN_PAYLOAD_MAX];
};

struct pglisten	*pglisten_start(const char *conninfo, const char *channel,
		    int done_fd);
void		 pglisten_stop(struct pglisten *pl);
struct pglisten_note *pglisten_take(struct pglisten *pl);
void		 pglisten_free_notes(struct pglisten_note *list);

#endif /* ABC_PGLISTEN_H */
