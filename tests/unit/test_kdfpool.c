/*
 * web/kdfpool.c, abc-web's hashing pool (issue 14): keys equal to
 * kdf_scrypt's, the bounded queue, admission by deadline (refused at once
 * at the measured pace, or answered "busy" when the deadline passed in the
 * queue), shutdown with jobs waiting; and common/scrypt.c's derived salt
 * of a name without an account.  A job is held on a thread by costly
 * parameters (n = 2^17: 128 MiB, about half a second), and the tests wait for
 * the pool's own counters rather than for fixed sleeps.  The hashing
 * threads' priority is read back from the kernel (/proc/self/task).
 */
#include <sys/resource.h>

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cunit_main.h"
#include "clock.h"
#include "kdfpool.h"
#include "log.h"

static const struct kdf_params slow = { UINT64_C(1) << 17, 8, 1 };
static const struct kdf_params quick = { 1024, 8, 1 };
static const uint8_t salt[KDF_SALT_LEN] = "0123456789abcdef";

struct caller {
	struct kdfpool	*pool;
	enum kdfpool_rc	 rc;
	uint8_t		 key[KDF_HASH_LEN];
	pthread_t	 tid;
};

static void *
caller_run(void *arg)
{
	struct caller	*c = arg;

	c->rc = kdfpool_derive(c->pool, "secret password", 15, salt,
	    sizeof(salt), &slow, c->key, sizeof(c->key));
	return NULL;
}

static void
caller_start(struct caller *c, struct kdfpool *pool)
{
	memset(c, 0, sizeof(*c));
	c->pool = pool;
	CU_ASSERT_FATAL(pthread_create(&c->tid, NULL, caller_run, c) == 0);
}

/* Waits up to 20 s until the pool runs `running` jobs and queues `queued`. */
static int
wait_for(struct kdfpool *pool, int running, size_t queued)
{
	struct kdfpool_stats	 st;
	struct timespec		 ms = { 0, 1000000 };
	int			 i;

	for (i = 0; i < 20000; i++) {
		kdfpool_get_stats(pool, &st);
		if (st.running == running && st.queued == queued)
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static void
test_kdfpool_start_args(void)
{
	CU_ASSERT_PTR_NULL(kdfpool_start(0, 1, 100));
	CU_ASSERT_PTR_NULL(kdfpool_start(KDFPOOL_THREADS_MAX + 1, 1, 100));
	CU_ASSERT_PTR_NULL(kdfpool_start(1, 0, 100));
	CU_ASSERT_PTR_NULL(kdfpool_start(1, 1, 0));
	CU_ASSERT_PTR_NULL(kdfpool_start(1, 1, KDFPOOL_DEADLINE_MAX + 1));
	kdfpool_stop(NULL);
}

/* The pool's key is scrypt's; bad arguments fail without hashing. */
static void
test_kdfpool_same_key(void)
{
	struct kdfpool		*pool = kdfpool_start(2, 4, 5000);
	struct kdf_params	 bad = { 1000, 8, 1 };
	uint8_t			 a[KDF_HASH_LEN], b[KDF_HASH_LEN];
	char			 big[KDF_PASSWORD_MAX + 2];

	CU_ASSERT_FATAL(pool != NULL);
	CU_ASSERT_EQUAL(kdfpool_derive(pool, "pw", 2, salt, sizeof(salt),
	    &quick, a, sizeof(a)), KDFPOOL_OK);
	CU_ASSERT_EQUAL(kdf_scrypt("pw", 2, salt, sizeof(salt), &quick, b,
	    sizeof(b)), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(kdfpool_derive(pool, "", 0, salt, sizeof(salt),
	    &quick, a, sizeof(a)), KDFPOOL_OK);
	CU_ASSERT_EQUAL(kdfpool_derive(pool, "pw", 2, salt, sizeof(salt),
	    &bad, a, sizeof(a)), KDFPOOL_FAILED);
	memset(big, 'x', sizeof(big));
	CU_ASSERT_EQUAL(kdfpool_derive(pool, big, sizeof(big), salt,
	    sizeof(salt), &quick, a, sizeof(a)), KDFPOOL_FAILED);
	CU_ASSERT_EQUAL(kdfpool_derive(pool, NULL, 3, salt, sizeof(salt),
	    &quick, a, sizeof(a)), KDFPOOL_FAILED);
	CU_ASSERT_EQUAL(kdfpool_derive(pool, "pw", 2, salt, sizeof(salt),
	    &quick, NULL, 32), KDFPOOL_FAILED);
	CU_ASSERT_EQUAL(kdfpool_derive(NULL, "pw", 2, salt, sizeof(salt),
	    &quick, a, sizeof(a)), KDFPOOL_FAILED);
	kdfpool_stop(pool);
}

/* One running, one queued, a full queue: the third is refused at once. */
static void
test_kdfpool_bounded_queue(void)
{
	struct kdfpool		*pool = kdfpool_start(1, 1, 60000);
	struct kdfpool_stats	 st;
	struct caller		 a, b;
	uint8_t			 key[KDF_HASH_LEN];
	int64_t			 t0;

	CU_ASSERT_FATAL(pool != NULL);
	caller_start(&a, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 0));
	caller_start(&b, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 1));
	t0 = clock_mono_us();
	CU_ASSERT_EQUAL(kdfpool_derive(pool, "x", 1, salt, sizeof(salt),
	    &quick, key, sizeof(key)), KDFPOOL_BUSY);
	CU_ASSERT(clock_mono_us() - t0 < 100000);	/* no waiting */
	pthread_join(a.tid, NULL);
	pthread_join(b.tid, NULL);
	CU_ASSERT_EQUAL(a.rc, KDFPOOL_OK);
	CU_ASSERT_EQUAL(b.rc, KDFPOOL_OK);
	CU_ASSERT_EQUAL(memcmp(a.key, b.key, sizeof(a.key)), 0);
	kdfpool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.ran, 2);
	CU_ASSERT_EQUAL(st.refused, 1);
	CU_ASSERT(st.avg_run_us > 0);
	kdfpool_stop(pool);
}

/*
 * A deadline of 100 ms, well below one run and well above a thread's
 * wake-up even on a loaded machine: before any run the pace is unknown,
 * so a second job is queued, then answered "busy" unrun once the first
 * ends; after that the measured pace refuses the next one at once.
 */
static void
test_kdfpool_deadline(void)
{
	struct kdfpool		*pool = kdfpool_start(1, 4, 100);
	struct kdfpool_stats	 st;
	struct caller		 a, b, c;
	int64_t			 t0;

	CU_ASSERT_FATAL(pool != NULL);
	caller_start(&a, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 0));
	caller_start(&b, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 1));
	pthread_join(a.tid, NULL);
	pthread_join(b.tid, NULL);
	CU_ASSERT_EQUAL(a.rc, KDFPOOL_OK);
	CU_ASSERT_EQUAL(b.rc, KDFPOOL_BUSY);
	kdfpool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.ran, 1);
	CU_ASSERT_EQUAL(st.expired, 1);
	/* Now the pace is known: with a job running, one more is refused. */
	caller_start(&a, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 0));
	t0 = clock_mono_us();
	caller_start(&c, pool);
	pthread_join(c.tid, NULL);
	CU_ASSERT_EQUAL(c.rc, KDFPOOL_BUSY);
	CU_ASSERT(clock_mono_us() - t0 < 100000);
	pthread_join(a.tid, NULL);
	CU_ASSERT_EQUAL(a.rc, KDFPOOL_OK);
	kdfpool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.refused, 1);
	kdfpool_stop(pool);
}

/* Stopping answers the queued jobs "busy" and lets the running one end. */
static void
test_kdfpool_stop_with_waiters(void)
{
	struct kdfpool	*pool = kdfpool_start(1, 4, 60000);
	struct caller	 a, b, c;

	CU_ASSERT_FATAL(pool != NULL);
	caller_start(&a, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 0));
	caller_start(&b, pool);
	caller_start(&c, pool);
	CU_ASSERT_FATAL(wait_for(pool, 1, 2));
	kdfpool_stop(pool);
	pthread_join(a.tid, NULL);
	pthread_join(b.tid, NULL);
	pthread_join(c.tid, NULL);
	CU_ASSERT_EQUAL(a.rc, KDFPOOL_OK);
	CU_ASSERT_EQUAL(b.rc, KDFPOOL_BUSY);
	CU_ASSERT_EQUAL(c.rc, KDFPOOL_BUSY);
}

/*
 * Reads /proc/self/task/<tid>/stat: the thread's name into comm, its nice
 * value (field 19) and scheduling policy (field 41).  Returns 0 or -1.
 */
static int
task_stat(const char *tid, char *comm, size_t commsz, long *nice,
    long *policy)
{
	char	 path[64], line[1024], *open, *close, *p;
	FILE	*f;
	int	 field;
	size_t	 len;

	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* "tid (comm) state ...": comm may hold spaces and parentheses. */
	if (p == NULL || (open = strchr(line, '(')) == NULL ||
	    (close = strrchr(line, ')')) == NULL || close < open)
		return -1;
	len = (size_t)(close - open - 1);
	if (len >= commsz)
		len = commsz - 1;
	memcpy(comm, open + 1, len);
	comm[len] = '\0';
	*nice = *policy = -100;
	p = close + 2;
	for (field = 3; p != NULL && *p != '\0'; field++) {
		if (field == 19)
			*nice = strtol(p, NULL, 10);
		else if (field == 41)
			*policy = strtol(p, NULL, 10);
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	}
	return *nice == -100 || *policy == -100 ? -1 : 0;
}

/*
 * Counts this process's threads named "abc-kdf" (all of them into *named)
 * and those of them at the lowest priority, SCHED_IDLE or nice 19 (the
 * return value); *other_low counts other threads at that priority.
 */
static int
count_low(int *named, int *other_low)
{
	DIR		*d;
	struct dirent	*de;
	char		 comm[64];
	long		 nice, policy;
	int		 low = 0, is_low;

	*named = *other_low = 0;
	CU_ASSERT_FATAL((d = opendir("/proc/self/task")) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (task_stat(de->d_name, comm, sizeof(comm), &nice,
		    &policy) != 0)
			continue;	/* a thread that just ended */
		is_low = policy == SCHED_IDLE || nice == 19;
		if (strcmp(comm, "abc-kdf") == 0) {
			(*named)++;
			low += is_low;
		} else
			*other_low += is_low;
	}
	closedir(d);
	return low;
}

/*
 * The hashing threads run at SCHED_IDLE (nice 19 where refused) from the
 * moment kdfpool_start returns, and only they: the caller's threads keep
 * their priority, so page threads are scheduled before any hash.
 */
static void
test_kdfpool_priority(void)
{
	struct kdfpool		*pool;
	struct kdfpool_stats	 st;
	uint8_t			 key[KDF_HASH_LEN];
	int			 named, other, low;

	CU_ASSERT_EQUAL(count_low(&named, &other), 0);
	CU_ASSERT_EQUAL(named, 0);
	pool = kdfpool_start(3, 2, 5000);
	CU_ASSERT_FATAL(pool != NULL);
	low = count_low(&named, &other);
	CU_ASSERT_EQUAL(named, 3);
	CU_ASSERT_EQUAL(low, 3);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT_EQUAL(sched_getscheduler(0), SCHED_OTHER);
	kdfpool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.lowered, 3);
	/* Still low after running a job (scrypt does not reset it). */
	CU_ASSERT_EQUAL(kdfpool_derive(pool, "pw", 2, salt, sizeof(salt),
	    &quick, key, sizeof(key)), KDFPOOL_OK);
	CU_ASSERT_EQUAL(count_low(&named, &other), 3);
	kdfpool_stop(pool);
	count_low(&named, &other);
	CU_ASSERT_EQUAL(named, 0);
}

/* The salt of a name without an account: stable, per name and secret. */
static void
test_fake_salt(void)
{
	static const uint8_t k1[32] = "first secret", k2[32] = "other";
	uint8_t		 a[KDF_SALT_LEN], b[KDF_SALT_LEN], zero[KDF_SALT_LEN];
	char		 longname[66];

	memset(zero, 0, sizeof(zero));
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), "Alice", a), 0);
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), "alice", b), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);	/* names ignore case */
	CU_ASSERT_NOT_EQUAL(memcmp(a, zero, sizeof(a)), 0);
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), "alicf", b), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(kdf_fake_salt(k2, sizeof(k2), "alice", b), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), "", b), 0);
	memset(longname, 'n', 64);
	longname[64] = '\0';
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), longname, b), 0);
	longname[64] = 'n';
	longname[65] = '\0';
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), longname, b), -1);
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, sizeof(k1), NULL, b), -1);
	CU_ASSERT_EQUAL(kdf_fake_salt(k1, 0, "alice", b), -1);
	CU_ASSERT_EQUAL(kdf_fake_salt(NULL, 32, "alice", b), -1);
}

static CU_TestInfo tests[] = {
	{ "test_kdfpool_start_args", test_kdfpool_start_args },
	{ "test_kdfpool_same_key", test_kdfpool_same_key },
	{ "test_kdfpool_bounded_queue", test_kdfpool_bounded_queue },
	{ "test_kdfpool_deadline", test_kdfpool_deadline },
	{ "test_kdfpool_stop_with_waiters", test_kdfpool_stop_with_waiters },
	{ "test_kdfpool_priority", test_kdfpool_priority },
	{ "test_fake_salt", test_fake_salt },
	CU_TEST_INFO_NULL
};

/* The argument tests log on purpose: keep only what is worse. */
static int
suite_init(void)
{
	log_init("test_kdfpool", LOG_LVL_ERROR);
	return 0;
}

CU_SuiteInfo unit_suites[] = {
	{ "kdfpool", suite_init, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
