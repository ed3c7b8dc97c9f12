/*
 * lease: exactly one active abc-worker (SPEC 8).  A worker is active only
 * while it holds the PostgreSQL session-level advisory lock LEASE_KEY on
 * the primary, on a connection of its own.  lease_acquire waits (a
 * standby) until it gets the lock: it tries every LEASE_POLL_MS while
 * another worker holds it, every LEASE_RETRY_MS while no writable server
 * answers (a failover is under way: the new primary is taken the moment
 * it accepts writes).  With the lock it waits LEASE_GRACE_MS for any
 * previous holder to have stopped and runs the fence barrier (below);
 * nothing else of the worker (link listener, payer, follower, start-up
 * writes) runs before.  lease_watch then checks every LEASE_POLL_MS, and
 * at once when the lock session's socket has news (the server ended the
 * session, or the connection broke), that the session still answers
 * within LEASE_ANSWER_MS and still holds the lock;
 * the moment it does not, it logs event=lost_lock and ends the process
 * (_exit(LEASE_EXIT_LOST)), so no thread can take another step without
 * the lock; the supervisor starts it again, as a standby.
 *
 * The lock session asks the server to drop it within about 3 s of
 * silence (TCP keepalives and tcp_user_timeout), so a worker cut from the
 * database frees the lock for the standby; it has stopped itself
 * (LEASE_ANSWER_MS) before that.  lease_may_act is for the threads that
 * pay or follow the chain: they check it before every step (it is 1 for
 * a worker configured without a lock, active_lock = no: one host).
 *
 * The fence (sql/functions/lease_fence.sql): a new holder draws a random
 * token and locks (LEASE_KEY, token) on its lock session too, then ends
 * the write transactions its predecessor still has open (the barrier).
 * Every write transaction of a worker with a lock calls
 * lease_fence(lease_fence_token()) first, which refuses (SQLSTATE
 * LEASE_FENCED_STATE; retried, never answered) unless that token's lock is
 * held, i.e. the lock session lives: so even in the moment between losing
 * the lock and _exit nothing commits.  lease_fence_token is 0 without a
 * lock (one host: no fence, nothing to pay for it).
 *
 * Ownership: lease_acquire copies nothing it keeps but the connection;
 * the struct is freed by lease_release (which also drops the lock).
 */
#ifndef ABC_LEASE_H
#define ABC_LEASE_H

/* The advisory lock key: "abcw" as a 32-bit number, so that pg_locks
 * shows it as classid 0, objid LEASE_KEY, objsubid 1. */
#define LEASE_KEY		1633837943	/* 0x61626377 */
#define LEASE_POLL_MS		250
/* A standby's tries while no server takes writes: each costs a connection
 * attempt per data node (a refusal, a login to the read-only one), a few
 * a second only while a failover is under way; the 250 ms poll cost up to
 * a quarter second of every failover (SPEC 8: 5 s). */
#define LEASE_RETRY_MS		100
#define LEASE_ANSWER_MS		1000
#define LEASE_EXIT_LOST		3
/*
 * After taking the lock, before acting: time for a previous holder to
 * have stopped.  Not what keeps it from writing: the fence does that (a
 * write of it fails the moment its lock is gone, and the barrier ends its
 * open ones).  A holder whose session the server ended (killed, its
 * PostgreSQL stopped) learns it at once, as its watch wakes on the
 * socket, and exits; one cut from the server (no news) has exited within
 * LEASE_POLL_MS + LEASE_ANSWER_MS of the cut, well before the server drops
 * its session (about 3 s, keepalives: lease.c) and frees the lock; one
 * whose host died runs no more.  So the grace only covers the killed
 * holder's wake-up and exit: 100 ms, where it was two of its 250 ms checks
 * (0.5 s) when the watch only polled; it is part of every failover
 * (SPEC 8: 5 s).
 */
#define LEASE_GRACE_MS		100
/* What lease_fence raises when the session does not hold the lock. */
#define LEASE_FENCED_STATE	"WL001"

struct lease;

struct lease	*lease_acquire(const char *conninfo, int *stopped);
int		 lease_watch(struct lease *l);
int		 lease_may_act(void);
int		 lease_fence_token(void);
void		 lease_release(struct lease *l);

#endif /* ABC_LEASE_H */
