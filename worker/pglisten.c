/*
 * The listener thread: connect, LISTEN, then poll() on the connection's
 * socket and a stop eventfd; each readable turn consumes input and queues
 * the notifications' payloads.  A failed connection is retried with
 * backoff (100 ms doubling to 5 s), logged once per outage.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <libpq-fe.h>

#include "log.h"
#include "pglisten.h"
#include "xmalloc.h"

#define PGLISTEN_BACKOFF_MIN_MS	100
#define PGLISTEN_BACKOFF_MAX_MS	5000

struct pglisten {
	char			*conninfo;	/* owned */
	char			*channel;	/* owned */
	int			 done_fd;	/* borrowed eventfd */
	int			 stop_fd;	/* owned eventfd */
	PGconn			*pg;		/* thread only */
	int			 failing;	/* thread only: outage logged */
	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* guards what follows */
	struct pglisten_note	*queue;
	size_t			 nqueued;
};

/* Writes 1 to eventfd fd. */
static void
pglisten_signal(int fd)
{
	uint64_t	 one = 1;

	while (write(fd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

/*
 * Queues payload unless it already waits; a full queue, or a payload too
 * long to be an id, becomes PGLISTEN_ALL alone.  Lock held.
 */
static void
pglisten_push(struct pglisten *pl, const char *payload)
{
	struct pglisten_note	*n;

	if (strlen(payload) >= PGLISTEN_PAYLOAD_MAX ||
	    pl->nqueued >= PGLISTEN_MAX_QUEUED) {
		pglisten_free_notes(pl->queue);
		pl->queue = NULL;
		pl->nqueued = 0;
		payload = PGLISTEN_ALL;
	}
	for (n = pl->queue; n != NULL; n = n->next)
		if (strcmp(n->payload, payload) == 0 ||
		    strcmp(n->payload, PGLISTEN_ALL) == 0)
			return;
	n = xcalloc(1, sizeof(*n));
	snprintf(n->payload, sizeof(n->payload), "%s", payload);
	n->next = pl->queue;
	pl->queue = n;
	pl->nqueued++;
}

/* Logs a lost or refused connection once per outage, then drops it. */
static void
pglisten_fail(struct pglisten *pl, const char *what)
{
	if (!pl->failing)
		log_warn("pglisten_down", "channel=%s error=\"%s: %s\"",
		    pl->channel, what, pl->pg != NULL ?
		    PQerrorMessage(pl->pg) : "out of memory");
	pl->failing = 1;
	PQfinish(pl->pg);
	pl->pg = NULL;
}

/* Connects and LISTENs; 0, or -1 (logged once) with no connection. */
static int
pglisten_connect(struct pglisten *pl)
{
	PGresult	*res;
	char		*ident, sql[160];
	int		 ok;

	pl->pg = PQconnectdb(pl->conninfo);
	if (pl->pg == NULL || PQstatus(pl->pg) != CONNECTION_OK) {
		pglisten_fail(pl, "connect");
		return -1;
	}
	if ((ident = PQescapeIdentifier(pl->pg, pl->channel,
	    strlen(pl->channel))) == NULL) {
		pglisten_fail(pl, "channel");
		return -1;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", ident);
	PQfreemem(ident);
	res = PQexec(pl->pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok || PQsetnonblocking(pl->pg, 1) != 0) {
		pglisten_fail(pl, "listen");
		return -1;
	}
	if (pl->failing)
		log_info("pglisten_up", "channel=%s", pl->channel);
	pl->failing = 0;
	return 0;
}

/* Queues every notification that arrived; returns how many. */
static int
pglisten_drain(struct pglisten *pl)
{
	PGnotify	*n;
	int		 got = 0;

	pthread_mutex_lock(&pl->lock);
	while ((n = PQnotifies(pl->pg)) != NULL) {
		pglisten_push(pl, n->extra);
		PQfreemem(n);
		got++;
	}
	pthread_mutex_unlock(&pl->lock);
	return got;
}

/*
 * Waits up to timeout_ms (-1: no limit) for the connection (if any) or a
 * stop.  Returns 1 when stopping, 0 otherwise.
 */
static int
pglisten_wait(struct pglisten *pl, int timeout_ms)
{
	struct pollfd	 pfd[2];
	nfds_t		 n = 1;

	pfd[0].fd = pl->stop_fd;
	pfd[0].events = POLLIN;
	if (pl->pg != NULL) {
		pfd[1].fd = PQsocket(pl->pg);
		pfd[1].events = POLLIN;
		n = 2;
	}
	if (poll(pfd, n, timeout_ms) == -1 && errno != EINTR)
		log_warn("pglisten_poll", "error=\"%s\"", strerror(errno));
	return (pfd[0].revents & POLLIN) != 0;
}

/* The thread: (re)connect, hand over "*", then relay notifications. */
static void *
pglisten_thread(void *arg)
{
	struct pglisten	*pl = arg;
	int		 backoff = PGLISTEN_BACKOFF_MIN_MS;

	for (;;) {
		if (pl->pg == NULL) {
			if (pglisten_connect(pl) != 0) {
				if (pglisten_wait(pl, backoff))
					break;
				if ((backoff *= 2) > PGLISTEN_BACKOFF_MAX_MS)
					backoff = PGLISTEN_BACKOFF_MAX_MS;
				continue;
			}
			backoff = PGLISTEN_BACKOFF_MIN_MS;
			pthread_mutex_lock(&pl->lock);
			pglisten_push(pl, PGLISTEN_ALL);
			pthread_mutex_unlock(&pl->lock);
			pglisten_signal(pl->done_fd);
		}
		if (pglisten_wait(pl, -1))
			break;
		if (PQconsumeInput(pl->pg) == 0) {
			pglisten_fail(pl, "read");
			continue;
		}
		if (pglisten_drain(pl) > 0)
			pglisten_signal(pl->done_fd);
	}
	PQfinish(pl->pg);
	pl->pg = NULL;
	return NULL;
}

/* Frees pl's memory and descriptors (the thread is not running). */
static void
pglisten_free(struct pglisten *pl)
{
	pglisten_free_notes(pl->queue);
	if (pl->stop_fd != -1)
		close(pl->stop_fd);
	pthread_mutex_destroy(&pl->lock);
	free(pl->conninfo);
	free(pl->channel);
	free(pl);
}

/*
 * Starts listening on channel through a connection to conninfo; done_fd
 * (an eventfd) is written whenever payloads wait.  The thread blocks every
 * signal.  Returns NULL (logged) if the thread cannot start; a database
 * that is down is not an error: the thread keeps trying.
 */
struct pglisten *
pglisten_start(const char *conninfo, const char *channel, int done_fd)
{
	struct pglisten	*pl;
	sigset_t	 all, old;
	int		 rc;

	pl = xcalloc(1, sizeof(*pl));
	pl->conninfo = xstrdup(conninfo);
	pl->channel = xstrdup(channel);
	pl->done_fd = done_fd;
	pthread_mutex_init(&pl->lock, NULL);
	if ((pl->stop_fd = eventfd(0, EFD_CLOEXEC)) == -1) {
		log_error("pglisten_start", "error=\"eventfd: %s\"",
		    strerror(errno));
		pglisten_free(pl);
		return NULL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&pl->thread, NULL, pglisten_thread, pl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("pglisten_start", "error=\"%s\"", strerror(rc));
		pglisten_free(pl);
		return NULL;
	}
	return pl;
}

/* Stops the thread, closes its connection and frees pl (NULL is fine). */
void
pglisten_stop(struct pglisten *pl)
{
	if (pl == NULL)
		return;
	pglisten_signal(pl->stop_fd);
	pthread_join(pl->thread, NULL);
	pglisten_free(pl);
}

/* Takes the payloads that wait, in no particular order; NULL if none. */
struct pglisten_note *
pglisten_take(struct pglisten *pl)
{
	struct pglisten_note	*list;

	pthread_mutex_lock(&pl->lock);
	list = pl->queue;
	pl->queue = NULL;
	pl->nqueued = 0;
	pthread_mutex_unlock(&pl->lock);
	return list;
}

/* Frees a list from pglisten_take. */
void
pglisten_free_notes(struct pglisten_note *list)
{
	struct pglisten_note	*n;

	while ((n = list) != NULL) {
		list = n->next;
		free(n);
	}
}
