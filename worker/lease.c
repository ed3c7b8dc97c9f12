/*
 * lease: the advisory lock that makes one abc-worker the active one.  See
 * lease.h for the protocol and why the process ends when the lock is lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "lease.h"
#include "log.h"
#include "xmalloc.h"

#define LEASE_KEY_STR	"1633837943"

struct lease {
	PGconn		*pg;		/* the session that holds the lock */
	pthread_t	 thread;
	int		 watching;
};

/* 1 from the moment the lock is held until the process ends. */
static atomic_int	lease_is_held;
/* 1 once lease_acquire was called: this worker runs with a standby. */
static atomic_int	lease_in_use;
/* This holder's fence token, once the lock is held (0 before). */
static atomic_int	lease_token;

/*
 * The lock session tells the server to drop it after about 3 s without an
 * answer, so that a worker cut from the database frees the lock.
 */
static const char *const lease_session_sql =
    "SET tcp_keepalives_idle = 1; SET tcp_keepalives_interval = 1; "
    "SET tcp_keepalives_count = 2; SET tcp_user_timeout = 3000";

/*
 * And this end gives up on a server that stopped answering (its host died
 * without a word: no reset comes) after LEASE_ANSWER_MS of unacknowledged
 * data or about 3 s of silence, instead of the kernel's retransmissions
 * for a quarter of an hour: a standby waiting in pg_try_advisory_lock on
 * the dead primary would otherwise never look for the new one.  The
 * holder stops after LEASE_ANSWER_MS without an answer anyway
 * (lease_check).  Given after the configured connection string (expanded
 * from "dbname"), so these win.
 */
static const char *const lease_conn_keys[] = { "dbname", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout", NULL };
#define LEASE_STR(x)		#x
#define LEASE_XSTR(x)		LEASE_STR(x)

int
lease_may_act(void)
{
	return !atomic_load(&lease_in_use) || atomic_load(&lease_is_held);
}

int
lease_fence_token(void)
{
	if (!atomic_load(&lease_in_use))
		return 0;
	/* -1 before the lock is held: a token never drawn. */
	return atomic_load(&lease_token) != 0 ? atomic_load(&lease_token) : -1;
}

/*
 * Waits up to ms for SIGTERM or SIGINT (blocked in every thread, see
 * main.c): the standby's sleep between two tries.  1 when one came.
 */
static int
lease_sleep(int ms)
{
	sigset_t	 set;
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return sigtimedwait(&set, NULL, &ts) > 0;
}

/* One try: 1 when the lock is now held on *pg, 0 when not, -1 on error. */
static int
lease_try(PGconn **pg, const char *conninfo, char *err, size_t errlen)
{
	const char	*p[1] = { LEASE_KEY_STR };
	const char	*vals[] = { conninfo, "1", "1", "1", "2",
	    LEASE_XSTR(LEASE_ANSWER_MS), NULL };
	PGresult	*res;
	int		 got;

	if (*pg == NULL || PQstatus(*pg) != CONNECTION_OK) {
		PQfinish(*pg);
		*pg = PQconnectdbParams(lease_conn_keys, vals, 1);
		if (PQstatus(*pg) != CONNECTION_OK) {
			snprintf(err, errlen, "%s", PQerrorMessage(*pg));
			goto fail;
		}
		res = PQexec(*pg, lease_session_sql);
		got = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!got)
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		PQclear(res);
		if (!got)
			goto fail;
	}
	res = PQexecParams(*pg, "SELECT pg_try_advisory_lock($1::bigint)",
	    1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return got;
fail:
	err[strcspn(err, "\r\n")] = '\0';
	PQfinish(*pg);
	*pg = NULL;
	return -1;
}

static const char *lease_check(PGconn *pg);

/*
 * The fence's other half (sql/functions/lease_fence.sql): this holder's
 * token, a random number other than 0 and -1, locked on the lock session;
 * then write transactions a previous holder still has open are ended, and
 * waited for, before this worker acts.  0, or -1 (logged).
 */
static int
lease_barrier(PGconn *pg)
{
	const char	*p[1];
	char		 buf[16];
	PGresult	*res;
	int32_t		 token;
	int		 rc = -1;

	do {
		if (getrandom(&token, sizeof(token), 0) != sizeof(token)) {
			log_warn("standby", "key=%d reason=\"getrandom: %s\"",
			    LEASE_KEY, strerror(errno));
			return -1;
		}
	} while (token == 0 || token == -1);
	snprintf(buf, sizeof(buf), "%" PRId32, token);
	p[0] = buf;
	res = PQexecParams(pg, "SELECT lease_fence_barrier($1)", 1, NULL, p,
	    NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
			log_warn("lease_fence_barrier", "key=%d ended=%s",
			    LEASE_KEY, PQgetvalue(res, 0, 0));
		atomic_store(&lease_token, token);
		rc = 0;
	} else
		log_warn("standby", "key=%d reason=\"fence barrier: %.200s\"",
		    LEASE_KEY, PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/*
 * Holding the lock is not enough to act: a previous holder whose session
 * was killed (not cut) learns it only at its next check.  Waiting
 * LEASE_GRACE_MS and checking again lets it stop first; the barrier then
 * ends whatever write of it is still open (its new ones fail the fence).
 * 0, or -1 when stopped or the lock is gone meanwhile.
 */
static int
lease_grace(PGconn *pg, int *stopped)
{
	const char	*why;

	if (lease_sleep(LEASE_GRACE_MS)) {
		*stopped = 1;
		return -1;
	}
	if ((why = lease_check(pg)) != NULL) {
		log_warn("standby", "key=%d reason=\"%s\"", LEASE_KEY, why);
		return -1;
	}
	return lease_barrier(pg);
}

struct lease *
lease_acquire(const char *conninfo, int *stopped)
{
	struct lease	*l;
	PGconn		*pg = NULL;
	char		 err[256], shown[256] = "";
	int		 said = 0, r;

	*stopped = 0;
	atomic_store(&lease_in_use, 1);
	for (;;) {
		if ((r = lease_try(&pg, conninfo, err, sizeof(err))) == 1) {
			if (lease_grace(pg, stopped) == 0)
				break;
			PQfinish(pg);
			pg = NULL;
			if (*stopped)
				return NULL;
		}
		if (r == 0 && !said) {
			log_info("standby", "key=%d reason=\"another worker "
			    "holds the lock\"", LEASE_KEY);
			said = 1;
		} else if (r < 0 && strcmp(err, shown) != 0) {
			/* Logged when it changes, not every try. */
			log_warn("standby", "key=%d reason=\"no primary: %s\"",
			    LEASE_KEY, err);
			snprintf(shown, sizeof(shown), "%s", err);
		}
		/* No writable server: a failover is under way, and the
		 * new primary is to be taken as soon as it takes writes. */
		if (lease_sleep(r < 0 ? LEASE_RETRY_MS : LEASE_POLL_MS)) {
			PQfinish(pg);
			*stopped = 1;
			return NULL;
		}
	}
	atomic_store(&lease_is_held, 1);
	log_info("active", "key=%d backend_pid=%d", LEASE_KEY,
	    PQbackendPID(pg));
	l = xcalloc(1, sizeof(*l));
	l->pg = pg;
	return l;
}

/* Ends the process now: whatever a thread was about to do, it does not. */
static void
lease_lost(const char *why)
{
	atomic_store(&lease_is_held, 0);
	log_error("lost_lock", "key=%d reason=\"%s\" exit=%d", LEASE_KEY, why,
	    LEASE_EXIT_LOST);
	_exit(LEASE_EXIT_LOST);
}

/*
 * One check: the session answers within LEASE_ANSWER_MS that it is on a
 * primary and holds the lock.  NULL, or why not.
 */
static const char *
lease_check(PGconn *pg)
{
	const char	*p[1] = { LEASE_KEY_STR };
	struct pollfd	 pfd;
	PGresult	*res;
	const char	*why = NULL;
	int64_t		 deadline = clock_mono_ms() + LEASE_ANSWER_MS, left;

	if (!PQsendQueryParams(pg, "SELECT count(*) FROM pg_locks WHERE "
	    "locktype = 'advisory' AND classid = 0 AND objid = $1::oid AND "
	    "objsubid = 1 AND pid = pg_backend_pid() AND granted AND "
	    "NOT pg_is_in_recovery()", 1, NULL, p, NULL, NULL, 0))
		return "the lock session is gone";
	/* Every PQgetResult only once PQisBusy says it will not block: the
	 * one that ends the query (NULL) waits for ReadyForQuery, which a
	 * network that trickles could hold back for as long as it likes. */
	for (;;) {
		while (PQisBusy(pg)) {
			if ((left = deadline - clock_mono_ms()) <= 0)
				return "no answer from the lock session in time";
			pfd.fd = PQsocket(pg);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return "poll failed";
			if (!PQconsumeInput(pg))
				return "the lock session is gone";
		}
		if ((res = PQgetResult(pg)) == NULL)
			return why;
		if (why == NULL && (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0),
		    "1") != 0))
			why = PQresultStatus(res) == PGRES_TUPLES_OK ?
			    "the lock is not held" : "the lock session failed";
		PQclear(res);
	}
}

/*
 * Waits up to LEASE_POLL_MS between two checks, less when the lock
 * session's socket has news: the server ended the session (its FATAL
 * message, then the end of the stream) or the connection broke.  A holder
 * whose session was killed so stops at once, not at its next check, which
 * is what lets LEASE_GRACE_MS be short.  Unasked input that is harmless (a
 * notice, a parameter's new value) is read here and the check that
 * follows passes.
 */
static void
lease_idle(PGconn *pg)
{
	struct pollfd	 pfd;
	struct timespec	 ts;
	int64_t		 deadline = clock_mono_ms() + LEASE_POLL_MS, left;
	int		 n;

	pfd.fd = PQsocket(pg);
	pfd.events = POLLIN;
	while ((left = deadline - clock_mono_ms()) > 0) {
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, (int)left)) > 0) {
			if (!PQconsumeInput(pg))
				lease_lost("the lock session is gone");
			return;
		}
		if (n < 0 && errno != EINTR) {
			/* Cannot wait on the socket: the plain interval. */
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (long)(left % 1000) * 1000000L;
			nanosleep(&ts, NULL);
			return;
		}
	}
}

static void *
lease_thread(void *arg)
{
	struct lease	*l = arg;
	const char	*why;

	for (;;) {
		if ((why = lease_check(l->pg)) != NULL)
			lease_lost(why);
		lease_idle(l->pg);
	}
	return NULL;
}

int
lease_watch(struct lease *l)
{
	if (pthread_create(&l->thread, NULL, lease_thread, l) != 0) {
		log_error("lease", "error=\"cannot start the lock watch\"");
		return -1;
	}
	l->watching = 1;
	return 0;
}

void
lease_release(struct lease *l)
{
	if (l == NULL)
		return;
	/* The watch cannot be told to stop mid-check; cancelling it is safe
	 * only between checks, so it is detached and the connection kept
	 * until exit, which drops the lock with the session. */
	if (l->watching)
		pthread_detach(l->thread);
	atomic_store(&lease_is_held, 0);
	log_info("lease_released", "key=%d", LEASE_KEY);
}
