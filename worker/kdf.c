/*
 * scrypt password hashing on a pool of threads.  Jobs queue under a mutex
 * in two lanes, checks before new hashes (at most max_queued of them wait,
 * and no more than the pool can hash within max_wait_ms at its measured
 * pace); each thread takes the oldest check, else the oldest new hash,
 * runs the KDF without the lock, wipes the password, appends the job to the
 * done list and writes 1 to the completion eventfd.  Stopping lets the
 * running jobs finish and frees the queued and done ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "clock.h"
#include "kdf.h"
#include "log.h"
#include "xmalloc.h"

struct kdf_pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	pthread_t	*threads;	/* owned; nthreads of them */
	int		 nthreads;
	/* Per lane (enum kdf_kind): jobs waiting, FIFO, owned. */
	struct kdf_job	*queue[2];
	struct kdf_job	**queue_tail[2];
	size_t		 nqueued[2];
	int		 running[2];	/* jobs a thread is running */
	uint64_t	 ran[2], refused[2];
	size_t		 max_queued;
	int64_t		 max_wait_us;	/* refuse beyond this expected wait */
	int64_t		 avg_run_us;	/* moving average; 0 until one ran */
	struct kdf_job	*done;		/* owned; finished, FIFO */
	struct kdf_job	**done_tail;
	int		 stopping;
	int		 done_fd;	/* borrowed eventfd */
};

/*
 * The salt and hash of the dummy verification (kdf_job_new_dummy).  Any
 * constant does: the job's dummy flag forces ok to 0 whatever the KDF
 * yields, so these bytes only make the work identical to a real check.
 */
static const uint8_t kdf_dummy_salt[KDF_SALT_LEN] = {
	0x61, 0x62, 0x63, 0x2d, 0x64, 0x75, 0x6d, 0x6d,
	0x79, 0x2d, 0x73, 0x61, 0x6c, 0x74, 0x2d, 0x31
};
static const uint8_t kdf_dummy_hash[KDF_HASH_LEN] = { 0 };

/*
 * Returns a new job of kind with a copy of password, or NULL when pwlen
 * exceeds KDF_PASSWORD_MAX or params are invalid.  The caller owns it.
 */
static struct kdf_job *
kdf_job_new(enum kdf_kind kind, const char *password, size_t pwlen,
    const struct kdf_params *params, void *arg)
{
	struct kdf_job	*job;

	if (pwlen > KDF_PASSWORD_MAX || (password == NULL && pwlen > 0) ||
	    !kdf_params_valid(params))
		return NULL;
	job = xcalloc(1, sizeof(*job));
	job->kind = kind;
	job->password = xmalloc(pwlen + 1);
	if (pwlen > 0)
		memcpy(job->password, password, pwlen);
	job->password[pwlen] = '\0';
	job->pwlen = pwlen;
	job->params = *params;
	job->arg = arg;
	return job;
}

/*
 * Returns a new HASH job for password (copied) with params, or NULL when
 * pwlen exceeds KDF_PASSWORD_MAX or params are invalid.  The caller owns
 * it until kdf_submit takes it.
 */
struct kdf_job *
kdf_job_new_hash(const char *password, size_t pwlen,
    const struct kdf_params *params, void *arg)
{
	return kdf_job_new(KDF_HASH, password, pwlen, params, arg);
}

/*
 * Returns a new VERIFY job checking password (copied) against the stored
 * salt, hash and params, or NULL when pwlen exceeds KDF_PASSWORD_MAX or
 * params are invalid.  The caller owns it until kdf_submit takes it.
 */
struct kdf_job *
kdf_job_new_verify(const char *password, size_t pwlen,
    const struct kdf_params *params, const uint8_t salt[KDF_SALT_LEN],
    const uint8_t hash[KDF_HASH_LEN], void *arg)
{
	struct kdf_job	*job;

	if ((job = kdf_job_new(KDF_VERIFY, password, pwlen, params,
	    arg)) == NULL)
		return NULL;
	memcpy(job->salt, salt, KDF_SALT_LEN);
	memcpy(job->hash, hash, KDF_HASH_LEN);
	return job;
}

/*
 * Returns a new dummy VERIFY job for a login with an unknown username, or
 * NULL when pwlen exceeds KDF_PASSWORD_MAX.  It runs scrypt with the
 * default parameters on the given password, a fixed salt and a fixed hash,
 * and compares in constant time like a real check, so it costs the same
 * work and a login's duration does not reveal whether the username exists;
 * but its result is always ok = 0 (failed = 0 unless the KDF failed).
 * Users whose stored hash uses other parameters than the defaults take a
 * different time; the defaults are what new hashes use.
 */
struct kdf_job *
kdf_job_new_dummy(const char *password, size_t pwlen, void *arg)
{
	struct kdf_job	*job;

	if ((job = kdf_job_new_verify(password, pwlen, &kdf_params_default,
	    kdf_dummy_salt, kdf_dummy_hash, arg)) == NULL)
		return NULL;
	job->dummy = 1;
	return job;
}

/* Wipes and frees job and its password; NULL is ignored. */
void
kdf_job_free(struct kdf_job *job)
{
	if (job == NULL)
		return;
	if (job->password != NULL) {
		explicit_bzero(job->password, job->pwlen);
		free(job->password);
	}
	explicit_bzero(job, sizeof(*job));
	free(job);
}

/* Runs job on the calling thread and wipes its password; sets ok, failed. */
static void
kdf_run(struct kdf_job *job)
{
	uint8_t		 out[KDF_HASH_LEN], stored[KDF_HASH_LEN];

	job->ok = 0;
	job->failed = 0;
	switch (job->kind) {
	case KDF_HASH:
		if (RAND_bytes(job->salt, sizeof(job->salt)) != 1) {
			log_error("kdf_rand", "error=\"%lu\"",
			    ERR_get_error());
			job->failed = 1;
		} else if (kdf_scrypt(job->password, job->pwlen, job->salt,
		    sizeof(job->salt), &job->params, out, sizeof(out)) != 0 ||
		    kdf_stored_hash(out, job->hash) != 0)
			job->failed = 1;
		else
			job->ok = 1;
		OPENSSL_cleanse(out, sizeof(out));
		break;
	case KDF_VERIFY:
		if (kdf_scrypt(job->password, job->pwlen, job->salt,
		    sizeof(job->salt), &job->params, out, sizeof(out)) != 0 ||
		    kdf_stored_hash(out, stored) != 0)
			job->failed = 1;
		else {
			job->ok = CRYPTO_memcmp(stored, job->hash,
			    sizeof(stored)) == 0;
			if (job->dummy)
				job->ok = 0;
		}
		OPENSSL_cleanse(out, sizeof(out));
		break;
	default:
		job->failed = 1;
		break;
	}
	if (job->password != NULL) {
		explicit_bzero(job->password, job->pwlen);
		free(job->password);
		job->password = NULL;
	}
	job->pwlen = 0;
}

/* Signals the event loop that one job is done. */
static void
kdf_notify(struct kdf_pool *pool)
{
	uint64_t	 one = 1;

	while (write(pool->done_fd, &one, sizeof(one)) == -1 &&
	    errno == EINTR)
		continue;
}

/*
 * Folds one job's run time into the pool's average (weight 1/8), under the
 * pool's lock.
 */
static void
kdf_note_run(struct kdf_pool *pool, int64_t ran_us)
{
	if (ran_us < 1)
		ran_us = 1;
	if (pool->avg_run_us == 0)
		pool->avg_run_us = ran_us;
	else
		pool->avg_run_us += (ran_us - pool->avg_run_us) / 8;
}

/* Threads that may run new hashes at once: all but one when several. */
static int
kdf_hash_threads(const struct kdf_pool *pool)
{
	return pool->nthreads > 1 ? pool->nthreads - 1 : 1;
}

/* How many new hashes may wait: a quarter of the queue, at least 1. */
static size_t
kdf_hash_queue_max(const struct kdf_pool *pool)
{
	return pool->max_queued / 4 > 0 ? pool->max_queued / 4 : 1;
}

/*
 * 1 when one more job of kind must be refused: its lane is full, or it
 * would wait longer than max_wait_us for a thread at the measured pace
 * (unknown before the first job: then only the queue bounds bind).  A
 * check waits only for the checks ahead of it, a new hash for every job
 * ahead, on the threads hashes may use.  Under the pool's lock.
 */
static int
kdf_refuse(const struct kdf_pool *pool, enum kdf_kind kind)
{
	int64_t	 ahead;

	if (kind == KDF_VERIFY) {
		if (pool->nqueued[KDF_VERIFY] >= pool->max_queued)
			return 1;
		ahead = (int64_t)pool->nqueued[KDF_VERIFY] + 1;
		return pool->avg_run_us > 0 && ahead * pool->avg_run_us /
		    pool->nthreads > pool->max_wait_us;
	}
	if (pool->nqueued[KDF_HASH] >= kdf_hash_queue_max(pool))
		return 1;
	ahead = (int64_t)(pool->nqueued[KDF_VERIFY] +
	    pool->nqueued[KDF_HASH]) + 1;
	return pool->avg_run_us > 0 && ahead * pool->avg_run_us /
	    kdf_hash_threads(pool) > pool->max_wait_us;
}

/*
 * The next job a free thread should run, taken off its queue, or NULL:
 * the oldest check first; a new hash only while fewer than
 * kdf_hash_threads run.  Under the pool's lock.
 */
static struct kdf_job *
kdf_next(struct kdf_pool *pool)
{
	struct kdf_job	*job;
	int		 k;

	if (pool->queue[KDF_VERIFY] != NULL)
		k = KDF_VERIFY;
	else if (pool->queue[KDF_HASH] != NULL &&
	    pool->running[KDF_HASH] < kdf_hash_threads(pool))
		k = KDF_HASH;
	else
		return NULL;
	job = pool->queue[k];
	pool->queue[k] = job->next;
	if (pool->queue[k] == NULL)
		pool->queue_tail[k] = &pool->queue[k];
	pool->nqueued[k]--;
	pool->running[k]++;
	job->next = NULL;
	return job;
}

/*
 * A pool thread: runs the oldest queued job until the pool stops.
 * Returns NULL.
 */
static void *
kdf_thread(void *arg)
{
	struct kdf_pool	*pool = arg;
	struct kdf_job	*job;
	int64_t		 started, ran;
	int		 kind;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stopping && (job = kdf_next(pool)) == NULL)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stopping)
			break;
		kind = job->kind == KDF_HASH ? KDF_HASH : KDF_VERIFY;
		pthread_mutex_unlock(&pool->lock);

		started = clock_mono_us();
		kdf_run(job);
		ran = clock_mono_us() - started;

		pthread_mutex_lock(&pool->lock);
		kdf_note_run(pool, ran);
		pool->running[kind]--;
		pool->ran[kind]++;
		*pool->done_tail = job;
		pool->done_tail = &job->next;
		kdf_notify(pool);
		/* A hash may have waited for this thread share to free up. */
		if (pool->queue[KDF_HASH] != NULL)
			pthread_cond_broadcast(&pool->wake);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Frees every job of list; returns how many there were. */
static size_t
kdf_free_list(struct kdf_job *list)
{
	struct kdf_job	*j;
	size_t		 n = 0;

	while ((j = list) != NULL) {
		list = j->next;
		kdf_job_free(j);
		n++;
	}
	return n;
}

/* Stops and joins the first n threads of pool, then frees it. */
static void
kdf_pool_free(struct kdf_pool *pool, int n)
{
	size_t	 dropped;
	int	 i;

	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < n; i++)
		pthread_join(pool->threads[i], NULL);
	dropped = kdf_free_list(pool->queue[KDF_VERIFY]) +
	    kdf_free_list(pool->queue[KDF_HASH]);
	kdf_free_list(pool->done);
	if (dropped > 0)
		log_info("kdf_pool_dropped", "jobs=%zu", dropped);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	free(pool->threads);
	free(pool);
}

/*
 * Starts threads (1 to KDF_THREADS_MAX) hashing threads; at most
 * max_queued (at least 1) jobs may wait for one, and none that would wait
 * more than max_wait_ms (at least 1) at the pace measured so far.
 * done_fd is an eventfd, borrowed, written (an 8-byte 1) after each
 * finished job; it must stay open until kdf_pool_stop returns.  The threads block every signal.
 * Returns the pool, or NULL (logged) on bad arguments or if a thread
 * cannot start.
 */
struct kdf_pool *
kdf_pool_start(int threads, size_t max_queued, int64_t max_wait_ms,
    int done_fd)
{
	struct kdf_pool	*pool;
	sigset_t	 all, old;
	int		 i, rc = 0;

	if (threads < 1 || threads > KDF_THREADS_MAX || max_queued < 1 ||
	    max_wait_ms < 1 || max_wait_ms > KDF_MAX_WAIT_MS_MAX ||
	    done_fd < 0) {
		log_error("kdf_pool_args", "threads=%d max_queued=%zu "
		    "max_wait_ms=%" PRId64 " done_fd=%d", threads, max_queued,
		    max_wait_ms, done_fd);
		return NULL;
	}
	pool = xcalloc(1, sizeof(*pool));
	pool->threads = xcalloc((size_t)threads, sizeof(*pool->threads));
	pool->nthreads = threads;
	pool->max_queued = max_queued;
	pool->max_wait_us = max_wait_ms * 1000;
	pool->done_fd = done_fd;
	pool->queue_tail[KDF_HASH] = &pool->queue[KDF_HASH];
	pool->queue_tail[KDF_VERIFY] = &pool->queue[KDF_VERIFY];
	pool->done_tail = &pool->done;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < threads; i++)
		if ((rc = pthread_create(&pool->threads[i], NULL, kdf_thread,
		    pool)) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("kdf_thread", "error=\"%s\"", strerror(rc));
		kdf_pool_free(pool, i);
		return NULL;
	}
	return pool;
}

/*
 * Queues job for the pool.  Returns 0 when the pool took it, or -1 when
 * max_queued jobs already wait, when it would wait longer than max_wait_ms,
 * or when the pool is stopping: the job was NOT
 * taken, stays the caller's, and the caller should answer "busy, try
 * again".
 */
int
kdf_submit(struct kdf_pool *pool, struct kdf_job *job)
{
	int	 k;

	if (pool == NULL || job == NULL)
		return -1;
	k = job->kind == KDF_HASH ? KDF_HASH : KDF_VERIFY;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping || kdf_refuse(pool, (enum kdf_kind)k)) {
		pool->refused[k]++;
		pthread_mutex_unlock(&pool->lock);
		return -1;
	}
	job->next = NULL;
	*pool->queue_tail[k] = job;
	pool->queue_tail[k] = &job->next;
	pool->nqueued[k]++;
	/* Every thread: the one woken must be free to take this lane. */
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

/*
 * Takes every finished job, oldest first, linked by next; NULL if none.
 * The caller frees each with kdf_job_free.
 */
struct kdf_job *
kdf_take_done(struct kdf_pool *pool)
{
	struct kdf_job	*done;

	pthread_mutex_lock(&pool->lock);
	done = pool->done;
	pool->done = NULL;
	pool->done_tail = &pool->done;
	pthread_mutex_unlock(&pool->lock);
	return done;
}

/* Returns how many jobs wait for a thread (running ones not counted). */
size_t
kdf_queued(struct kdf_pool *pool)
{
	size_t	 n;

	pthread_mutex_lock(&pool->lock);
	n = pool->nqueued[KDF_HASH] + pool->nqueued[KDF_VERIFY];
	pthread_mutex_unlock(&pool->lock);
	return n;
}

/* Copies the pool's counters into st. */
void
kdf_get_stats(struct kdf_pool *pool, struct kdf_stats *st)
{
	int	 k;

	memset(st, 0, sizeof(*st));
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	for (k = 0; k < 2; k++) {
		st->ran[k] = pool->ran[k];
		st->refused[k] = pool->refused[k];
		st->queued[k] = pool->nqueued[k];
	}
	st->avg_run_us = pool->avg_run_us;
	pthread_mutex_unlock(&pool->lock);
}

/*
 * Lets the running jobs finish, stops the threads and frees the pool with
 * its queued and finished jobs (never run, never taken: the caller's
 * arg pointers in them are dropped, not touched).  NULL is ignored.
 */
void
kdf_pool_stop(struct kdf_pool *pool)
{
	if (pool == NULL)
		return;
	kdf_pool_free(pool, pool->nthreads);
}
