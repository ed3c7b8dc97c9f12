/*
 * The front-end hashing pool: a FIFO of jobs under one mutex, threads that
 * take the oldest job (or answer it "busy" when its deadline passed while
 * it waited), run scrypt without the lock and wake its caller through one
 * shared condition variable.  A job is the caller's stack frame; the pool
 * writes only its rc, state and key buffer, and never after state DONE.
 *
 * The threads run at the lowest priority the scheduler has (SCHED_IDLE,
 * else nice 19): on a front-end's CPU a page thread that wakes takes the
 * CPU from a hash at once, so a login storm slows logins, not pages.  The
 * hashing still gets every cycle the pages leave, so logins/s do not drop
 * on an idle front-end.
 */
#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kdfpool.h"
#include "log.h"
#include "xmalloc.h"

enum kdfpool_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE
};

struct kdfpool_job {
	const char		*password;	/* the caller's */
	size_t			 pwlen;
	const uint8_t		*salt;		/* the caller's */
	size_t			 saltlen;
	struct kdf_params	 params;
	uint8_t			*out;		/* the caller's */
	size_t			 outlen;
	int64_t			 deadline_us;	/* clock_mono_us to start by */
	enum kdfpool_state	 state;
	enum kdfpool_rc		 rc;
	struct kdfpool_job	*next;
};

struct kdfpool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* a job queued, or stopping */
	pthread_cond_t		 done;		/* a job answered */
	pthread_t		*threads;	/* owned; nthreads */
	int			 nthreads;
	struct kdfpool_job	*head, **tail;	/* callers' jobs, FIFO */
	size_t			 nqueued;
	int			 nrunning;
	size_t			 max_queued;
	int64_t			 deadline_us;
	int64_t			 avg_run_us;	/* moving average, 0 at first */
	uint64_t		 ran, refused, expired;
	int			 waiters;	/* callers inside derive */
	int			 stopping;
	int			 started;	/* threads past kdfpool_lower */
	int			 lowered;	/* of them, at idle or nice 19 */
	int			 prio_errno;	/* why one could not, or 0 */
};

/* Answers job (under the lock) and wakes its caller. */
static void
kdfpool_answer(struct kdfpool *pool, struct kdfpool_job *job,
    enum kdfpool_rc rc)
{
	job->rc = rc;
	job->state = JOB_DONE;
	pthread_cond_broadcast(&pool->done);
}

/* The oldest queued job, taken off the queue, or NULL.  Under the lock. */
static struct kdfpool_job *
kdfpool_take(struct kdfpool *pool)
{
	struct kdfpool_job	*job = pool->head;

	if (job == NULL)
		return NULL;
	pool->head = job->next;
	if (pool->head == NULL)
		pool->tail = &pool->head;
	pool->nqueued--;
	job->next = NULL;
	return job;
}

/* Folds one run into the average (weight 1/8).  Under the lock. */
static void
kdfpool_note_run(struct kdfpool *pool, int64_t us)
{
	if (us < 1)
		us = 1;
	if (pool->avg_run_us == 0)
		pool->avg_run_us = us;
	else
		pool->avg_run_us += (us - pool->avg_run_us) / 8;
}

/*
 * Puts the calling thread at the lowest priority: SCHED_IDLE (which any
 * thread may choose), else nice 19 (on Linux the nice value of
 * PRIO_PROCESS 0 is the calling thread's).  Names it "abc-kdf" for top -H
 * and the tests.  Returns 0, or an errno when neither could be set.
 */
static int
kdfpool_lower(void)
{
	struct sched_param	 sp;
	int			 rc;

	(void)pthread_setname_np(pthread_self(), "abc-kdf");
	memset(&sp, 0, sizeof(sp));
	if ((rc = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp)) == 0)
		return 0;
	if (setpriority(PRIO_PROCESS, 0, 19) == 0)
		return 0;
	return errno != 0 ? errno : rc;
}

/* A pool thread: runs jobs until the pool stops.  Returns NULL. */
static void *
kdfpool_thread(void *arg)
{
	struct kdfpool		*pool = arg;
	struct kdfpool_job	*job;
	int64_t			 t0;
	int			 rc;

	rc = kdfpool_lower();
	pthread_mutex_lock(&pool->lock);
	pool->started++;
	if (rc == 0)
		pool->lowered++;
	else
		pool->prio_errno = rc;
	pthread_cond_broadcast(&pool->done);
	for (;;) {
		while (!pool->stopping && (job = kdfpool_take(pool)) == NULL)
			pthread_cond_wait(&pool->work, &pool->lock);
		if (pool->stopping)
			break;
		t0 = clock_mono_us();
		if (t0 > job->deadline_us) {
			/* Its caller would see the answer too late to use. */
			pool->expired++;
			kdfpool_answer(pool, job, KDFPOOL_BUSY);
			continue;
		}
		job->state = JOB_RUNNING;
		pool->nrunning++;
		pthread_mutex_unlock(&pool->lock);
		rc = kdf_scrypt(job->password, job->pwlen, job->salt,
		    job->saltlen, &job->params, job->out, job->outlen);
		pthread_mutex_lock(&pool->lock);
		pool->nrunning--;
		pool->ran++;
		kdfpool_note_run(pool, clock_mono_us() - t0);
		kdfpool_answer(pool, job, rc == 0 ? KDFPOOL_OK :
		    KDFPOOL_FAILED);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/*
 * 1 when a new job must be refused: the queue is full, or at the measured
 * pace it would not start within the deadline (each job ahead of it beyond
 * the free threads costs one run, spread over the threads).  Under the
 * lock.
 */
static int
kdfpool_refuse(const struct kdfpool *pool)
{
	int64_t	 ahead, rounds;

	if (pool->stopping || pool->nqueued >= pool->max_queued)
		return 1;
	ahead = (int64_t)pool->nqueued + pool->nrunning - pool->nthreads + 1;
	if (ahead <= 0 || pool->avg_run_us == 0)
		return 0;
	rounds = (ahead + pool->nthreads - 1) / pool->nthreads;
	return rounds * pool->avg_run_us > pool->deadline_us;
}

/* Stops and joins the first n threads, answers what waits, frees pool. */
static void
kdfpool_free(struct kdfpool *pool, int n)
{
	struct kdfpool_job	*job;
	int			 i;

	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->work);
	while ((job = kdfpool_take(pool)) != NULL)
		kdfpool_answer(pool, job, KDFPOOL_BUSY);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < n; i++)
		pthread_join(pool->threads[i], NULL);
	/* Callers answered must leave derive before the lock goes. */
	pthread_mutex_lock(&pool->lock);
	while (pool->waiters > 0)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->work);
	pthread_cond_destroy(&pool->done);
	free(pool->threads);
	free(pool);
}

/*
 * Starts threads (1 to KDFPOOL_THREADS_MAX) hashing threads; at most
 * max_queued (at least 1) jobs wait, each at most deadline_ms (1 to
 * KDFPOOL_DEADLINE_MAX) before starting.  The threads block every signal.
 * Returns the pool, or NULL (logged).
 */
struct kdfpool *
kdfpool_start(int threads, size_t max_queued, int64_t deadline_ms)
{
	struct kdfpool	*pool;
	sigset_t	 all, old;
	int		 i, rc = 0;

	if (threads < 1 || threads > KDFPOOL_THREADS_MAX || max_queued < 1 ||
	    deadline_ms < 1 || deadline_ms > KDFPOOL_DEADLINE_MAX) {
		log_error("kdfpool_args", "threads=%d queue=%zu deadline_ms=%"
		    PRId64, threads, max_queued, deadline_ms);
		return NULL;
	}
	pool = xcalloc(1, sizeof(*pool));
	pool->threads = xcalloc((size_t)threads, sizeof(*pool->threads));
	pool->nthreads = threads;
	pool->max_queued = max_queued;
	pool->deadline_us = deadline_ms * 1000;
	pool->tail = &pool->head;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->done, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < threads; i++)
		if ((rc = pthread_create(&pool->threads[i], NULL,
		    kdfpool_thread, pool)) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("kdfpool_thread", "error=\"%s\"", strerror(rc));
		kdfpool_free(pool, i);
		return NULL;
	}
	/* Return with every thread at its priority: the tests read it. */
	pthread_mutex_lock(&pool->lock);
	while (pool->started < threads)
		pthread_cond_wait(&pool->done, &pool->lock);
	rc = pool->prio_errno;
	pthread_mutex_unlock(&pool->lock);
	if (rc != 0)
		log_warn("kdfpool_priority", "error=\"%s\" note=\"hashing "
		    "runs at the page threads' priority\"", strerror(rc));
	return pool;
}

/*
 * Derives outlen bytes (1 to 64) from password and salt with scrypt and
 * params on one of the pool's threads; the calling thread waits.  Returns
 * KDFPOOL_OK (out holds the key), KDFPOOL_BUSY (refused at once, queued
 * past its deadline or the pool stopping: out zeroed; the caller answers
 * "busy, try again") or KDFPOOL_FAILED (bad arguments, or the KDF failed,
 * logged).  Must not be called once kdfpool_stop has begun returning.
 */
enum kdfpool_rc
kdfpool_derive(struct kdfpool *pool, const char *password, size_t pwlen,
    const uint8_t *salt, size_t saltlen, const struct kdf_params *params,
    uint8_t *out, size_t outlen)
{
	struct kdfpool_job	 job;

	if (pool == NULL || out == NULL || outlen == 0 || outlen > 64 ||
	    pwlen > KDF_PASSWORD_MAX || (password == NULL && pwlen > 0) ||
	    (salt == NULL && saltlen > 0) || !kdf_params_valid(params))
		return KDFPOOL_FAILED;
	memset(out, 0, outlen);
	memset(&job, 0, sizeof(job));
	job.password = password;
	job.pwlen = pwlen;
	job.salt = salt;
	job.saltlen = saltlen;
	job.params = *params;
	job.out = out;
	job.outlen = outlen;
	job.state = JOB_QUEUED;

	pthread_mutex_lock(&pool->lock);
	if (kdfpool_refuse(pool)) {
		pool->refused++;
		pthread_mutex_unlock(&pool->lock);
		return KDFPOOL_BUSY;
	}
	job.deadline_us = clock_mono_us() + pool->deadline_us;
	*pool->tail = &job;
	pool->tail = &job.next;
	pool->nqueued++;
	pool->waiters++;
	pthread_cond_signal(&pool->work);
	while (job.state != JOB_DONE)
		pthread_cond_wait(&pool->done, &pool->lock);
	pool->waiters--;
	if (pool->stopping)
		pthread_cond_broadcast(&pool->done);
	pthread_mutex_unlock(&pool->lock);
	return job.rc;
}

/* Copies the pool's counters into st (zeroes when pool is NULL). */
void
kdfpool_get_stats(struct kdfpool *pool, struct kdfpool_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	st->ran = pool->ran;
	st->refused = pool->refused;
	st->expired = pool->expired;
	st->queued = pool->nqueued;
	st->running = pool->nrunning;
	st->avg_run_us = pool->avg_run_us;
	st->lowered = pool->lowered;
	pthread_mutex_unlock(&pool->lock);
}

/*
 * Stops the pool: queued jobs are answered "busy", running ones finish,
 * the threads end, and it returns once every caller has left
 * kdfpool_derive.  NULL is ignored.
 */
void
kdfpool_stop(struct kdfpool *pool)
{
	if (pool == NULL)
		return;
	kdfpool_free(pool, pool->nthreads);
}
