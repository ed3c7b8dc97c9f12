/*
 * Log lines written in batches; see logbuf.h.  Lines wait in pend; a
 * writer (the flush thread, or a thread whose line is urgent) takes the
 * write lock, swaps pend with the empty out under the buffer lock and
 * writes out with the buffer lock released.  Holding the write lock
 * across the swap and the write keeps the lines in order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "logbuf.h"
#include "xmalloc.h"

/* stdio's buffer for the stream: a line is handed over whole. */
#define LOGBUF_STDIO	(16u * 1024u)

struct logbuf {
	int		 fd;		/* borrowed */
	int		 flush_ms;	/* 0: every line at once */
	FILE		*file;		/* owned; its cookie is this */
	char		*stdio_buf;	/* owned; file's buffer */
	pthread_mutex_t	 lock;		/* pend, stopping */
	pthread_cond_t	 wake;
	pthread_mutex_t	 wlock;		/* out and the fd's order */
	struct buf	 pend;		/* lines not yet handed to write */
	struct buf	 out;		/* lines being written */
	int		 stopping;
	int		 thread_started;
	pthread_t	 thread;
};

/* Writes all n bytes at p to fd; a failure drops them (nowhere to say). */
static void
logbuf_write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/*
 * 1 when the line at p (n bytes, common/log.c's "ts=... level=L ...") is
 * of level debug or info and may wait; anything else is written at once.
 */
static int
logbuf_routine(const char *p, size_t n)
{
	const char	*l;

	l = memmem(p, n < 64 ? n : 64, " level=", 7);
	if (l == NULL)
		return 0;
	l += 7;
	n -= (size_t)(l - p);
	return (n >= 5 && memcmp(l, "info ", 5) == 0) ||
	    (n >= 6 && memcmp(l, "debug ", 6) == 0);
}

/* Writes what waits; the caller holds wlock. */
static void
logbuf_flush_locked(struct logbuf *lb)
{
	struct buf	 t;

	pthread_mutex_lock(&lb->lock);
	t = lb->out;		/* empty: written by the last flush */
	lb->out = lb->pend;
	lb->pend = t;
	pthread_mutex_unlock(&lb->lock);
	if (lb->out.len > 0)
		logbuf_write_all(lb->fd, (const char *)lb->out.data,
		    lb->out.len);
	buf_reset(&lb->out);
}

/* Writes every line kept so far, in order. */
void
logbuf_flush(struct logbuf *lb)
{
	pthread_mutex_lock(&lb->wlock);
	logbuf_flush_locked(lb);
	pthread_mutex_unlock(&lb->wlock);
}

/*
 * The stream's write: keeps the bytes, or writes them now (after what
 * waits) when they are urgent or do not fit.
 */
static ssize_t
logbuf_cookie_write(void *cookie, const char *p, size_t n)
{
	struct logbuf	*lb = cookie;
	int		 urgent, kept;

	pthread_mutex_lock(&lb->lock);
	urgent = lb->flush_ms == 0 || lb->stopping ||
	    !logbuf_routine(p, n) || lb->pend.len + n > LOGBUF_MAX;
	kept = buf_add(&lb->pend, p, n) == 0;
	pthread_mutex_unlock(&lb->lock);
	if (!urgent && kept)
		return (ssize_t)n;
	pthread_mutex_lock(&lb->wlock);
	logbuf_flush_locked(lb);
	if (!kept)
		logbuf_write_all(lb->fd, p, n);
	pthread_mutex_unlock(&lb->wlock);
	return (ssize_t)n;
}

/* The flush thread: writes what waits every flush_ms until stopped. */
static void *
logbuf_main(void *arg)
{
	struct logbuf	*lb = arg;
	struct timespec	 at;
	int		 waiting;

	pthread_mutex_lock(&lb->lock);
	while (!lb->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_nsec += (long)(lb->flush_ms % 1000) * 1000000L;
		at.tv_sec += lb->flush_ms / 1000 + at.tv_nsec / 1000000000L;
		at.tv_nsec %= 1000000000L;
		while (!lb->stopping && pthread_cond_timedwait(&lb->wake,
		    &lb->lock, &at) == 0)
			continue;
		waiting = lb->pend.len > 0;
		pthread_mutex_unlock(&lb->lock);
		if (waiting)
			logbuf_flush(lb);
		pthread_mutex_lock(&lb->lock);
	}
	pthread_mutex_unlock(&lb->lock);
	return NULL;
}

/*
 * A logbuf writing to fd every flush_ms (1 to 1000; 0 writes every line at
 * once).  NULL when the stream or the thread cannot be made: the caller
 * keeps logging to stderr.
 */
struct logbuf *
logbuf_start(int fd, int flush_ms)
{
	cookie_io_functions_t	 io = { .write = logbuf_cookie_write };
	pthread_condattr_t	 ca;
	struct logbuf		*lb;

	if (flush_ms < 0 || flush_ms > 1000)
		return NULL;
	lb = xcalloc(1, sizeof(*lb));
	lb->fd = fd;
	lb->flush_ms = flush_ms;
	buf_init(&lb->pend, LOGBUF_MAX);
	buf_init(&lb->out, LOGBUF_MAX);
	pthread_mutex_init(&lb->lock, NULL);
	pthread_mutex_init(&lb->wlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lb->wake, &ca);
	pthread_condattr_destroy(&ca);
	lb->stdio_buf = xmalloc(LOGBUF_STDIO);
	if ((lb->file = fopencookie(lb, "w", io)) == NULL ||
	    setvbuf(lb->file, lb->stdio_buf, _IOFBF, LOGBUF_STDIO) != 0)
		goto fail;
	if (flush_ms > 0) {
		if (pthread_create(&lb->thread, NULL, logbuf_main, lb) != 0)
			goto fail;
		lb->thread_started = 1;
	}
	return lb;
fail:
	logbuf_stop(lb);
	return NULL;
}

/* The stream to give log_set_output; lives until logbuf_stop. */
FILE *
logbuf_file(struct logbuf *lb)
{
	return lb->file;
}

/*
 * Writes every line kept and frees lb.  Nothing may write to its stream
 * any more (log_set_output(NULL) first).  NULL is a no-op.
 */
void
logbuf_stop(struct logbuf *lb)
{
	if (lb == NULL)
		return;
	pthread_mutex_lock(&lb->lock);
	lb->stopping = 1;
	pthread_cond_signal(&lb->wake);
	pthread_mutex_unlock(&lb->lock);
	if (lb->thread_started)
		pthread_join(lb->thread, NULL);
	if (lb->file != NULL)
		(void)fclose(lb->file);	/* hands over what stdio holds */
	logbuf_flush(lb);
	buf_clear(&lb->pend);
	buf_clear(&lb->out);
	pthread_cond_destroy(&lb->wake);
	pthread_mutex_destroy(&lb->wlock);
	pthread_mutex_destroy(&lb->lock);
	free(lb->stdio_buf);
	free(lb);
}
