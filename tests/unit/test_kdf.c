/*
 * CUnit suite for worker/kdf.c: scrypt against the RFC 7914 test vectors,
 * parameter checks, and the hashing pool (completion through a real
 * eventfd, back-pressure, stopping with queued jobs).  Run it under ASan
 * too: stopping a pool must not leak the jobs it still held.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "clock.h"
#include "kdf.h"
#include "log.h"

#define WAIT_MS		60000	/* generous: ASan builds are slow */

static const struct kdf_params small = { 1024, 8, 1 };
static const struct kdf_params slow = { 1 << 14, 8, 1 };

/*
 * Waits on efd until want jobs finished or WAIT_MS passed; stores them in
 * jobs (oldest first).  Returns how many were collected.
 */
static size_t
wait_done(struct kdf_pool *pool, int efd, struct kdf_job **jobs,
    size_t want)
{
	struct pollfd	 pfd = { .fd = efd, .events = POLLIN };
	struct kdf_job	*j;
	uint64_t	 cnt;
	int64_t		 deadline = clock_mono_ms() + WAIT_MS, left;
	size_t		 got = 0;

	while (got < want && (left = deadline - clock_mono_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (read(efd, &cnt, sizeof(cnt)) != (ssize_t)sizeof(cnt))
			continue;
		while ((j = kdf_take_done(pool)) != NULL) {
			for (; j != NULL; j = j->next) {
				if (got < want)
					jobs[got] = j;
				got++;
			}
		}
	}
	return got;
}

/* Frees the n jobs of the array jobs. */
static void
free_jobs(struct kdf_job **jobs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		kdf_job_free(jobs[i]);
}

/* A check of password against a zero salt and hash: the login lane. */
static struct kdf_job *
new_check(const struct kdf_params *params, void *arg)
{
	static const uint8_t	 zsalt[KDF_SALT_LEN], zhash[KDF_HASH_LEN];

	return kdf_job_new_verify("password", 8, params, zsalt, zhash, arg);
}

/* Returns a new non-blocking eventfd, or -1. */
static int
new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static void
test_kdf_rfc7914_vectors(void)
{
	static const struct {
		const char	*pw;
		const char	*salt;
		struct kdf_params params;
		uint8_t		 dk[64];
	} v[] = {
		{ "", "", { 16, 1, 1 }, {
		    0x77, 0xd6, 0x57, 0x62, 0x38, 0x65, 0x7b, 0x20,
		    0x3b, 0x19, 0xca, 0x42, 0xc1, 0x8a, 0x04, 0x97,
		    0xf1, 0x6b, 0x48, 0x44, 0xe3, 0x07, 0x4a, 0xe8,
		    0xdf, 0xdf, 0xfa, 0x3f, 0xed, 0xe2, 0x14, 0x42,
		    0xfc, 0xd0, 0x06, 0x9d, 0xed, 0x09, 0x48, 0xf8,
		    0x32, 0x6a, 0x75, 0x3a, 0x0f, 0xc8, 0x1f, 0x17,
		    0xe8, 0xd3, 0xe0, 0xfb, 0x2e, 0x0d, 0x36, 0x28,
		    0xcf, 0x35, 0xe2, 0x0c, 0x38, 0xd1, 0x89, 0x06 } },
		{ "password", "NaCl", { 1024, 8, 16 }, {
		    0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00,
		    0x78, 0x56, 0xe7, 0x19, 0x0d, 0x01, 0xe9, 0xfe,
		    0x7c, 0x6a, 0xd7, 0xcb, 0xc8, 0x23, 0x78, 0x30,
		    0xe7, 0x73, 0x76, 0x63, 0x4b, 0x37, 0x31, 0x62,
		    0x2e, 0xaf, 0x30, 0xd9, 0x2e, 0x22, 0xa3, 0x88,
		    0x6f, 0xf1, 0x09, 0x27, 0x9d, 0x98, 0x30, 0xda,
		    0xc7, 0x27, 0xaf, 0xb9, 0x4a, 0x83, 0xee, 0x6d,
		    0x83, 0x60, 0xcb, 0xdf, 0xa2, 0xcc, 0x06, 0x40 } },
		{ "pleaseletmein", "SodiumChloride", { 16384, 8, 1 }, {
		    0x70, 0x23, 0xbd, 0xcb, 0x3a, 0xfd, 0x73, 0x48,
		    0x46, 0x1c, 0x06, 0xcd, 0x81, 0xfd, 0x38, 0xeb,
		    0xfd, 0xa8, 0xfb, 0xba, 0x90, 0x4f, 0x8e, 0x3e,
		    0xa9, 0xb5, 0x43, 0xf6, 0x54, 0x5d, 0xa1, 0xf2,
		    0xd5, 0x43, 0x29, 0x55, 0x61, 0x3f, 0x0f, 0xcf,
		    0x62, 0xd4, 0x97, 0x05, 0x24, 0x2a, 0x9a, 0xf9,
		    0xe6, 0x1e, 0x85, 0xdc, 0x0d, 0x65, 0x1e, 0x40,
		    0xdf, 0xcf, 0x01, 0x7b, 0x45, 0x57, 0x58, 0x87 } },
	};
	uint8_t	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(out, 0xaa, sizeof(out));
		CU_ASSERT_EQUAL(kdf_scrypt(v[i].pw, strlen(v[i].pw),
		    (const uint8_t *)v[i].salt, strlen(v[i].salt),
		    &v[i].params, out, sizeof(out)), 0);
		CU_ASSERT_EQUAL(memcmp(out, v[i].dk, sizeof(out)), 0);
	}
	/* The empty vector again, with NULL for the empty inputs. */
	CU_ASSERT_EQUAL(kdf_scrypt(NULL, 0, NULL, 0, &v[0].params, out,
	    sizeof(out)), 0);
	CU_ASSERT_EQUAL(memcmp(out, v[0].dk, sizeof(out)), 0);
}

static void
test_kdf_params_valid(void)
{
	static const struct {
		struct kdf_params p;
		int		  valid;
	} c[] = {
		{ { 2, 1, 1 }, 1 },
		{ { 16, 1, 1 }, 1 },
		{ { 1 << 17, 8, 1 }, 1 },
		{ { 1 << 20, 8, 1 }, 1 },	/* exactly 1 GiB */
		{ { 1 << 20, 8, 2 }, 0 },	/* 2 GiB */
		{ { 1 << 20, 16, 1 }, 0 },
		{ { 1 << 14, 32, 16 }, 1 },	/* 1 GiB */
		{ { 1 << 15, 32, 16 }, 0 },
		{ { 1 << 21, 1, 1 }, 0 },
		{ { UINT64_C(1) << 63, 1, 1 }, 0 },
		{ { 0, 8, 1 }, 0 },
		{ { 1, 8, 1 }, 0 },
		{ { 3, 8, 1 }, 0 },
		{ { 1000, 8, 1 }, 0 },
		{ { (1 << 17) + 1, 8, 1 }, 0 },
		{ { 1024, 0, 1 }, 0 },
		{ { 1024, 32, 1 }, 1 },
		{ { 1024, 33, 1 }, 0 },
		{ { 1024, 8, 0 }, 0 },
		{ { 1024, 8, 16 }, 1 },
		{ { 1024, 8, 17 }, 0 },
		{ { 1024, UINT32_MAX, UINT32_MAX }, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		CU_ASSERT_EQUAL(kdf_params_valid(&c[i].p), c[i].valid);
	CU_ASSERT_EQUAL(kdf_params_valid(NULL), 0);
	CU_ASSERT_EQUAL(kdf_params_valid(&kdf_params_default), 1);
}

static void
test_kdf_scrypt_rejects(void)
{
	static const struct kdf_params bad = { 1000, 8, 1 };
	static char	 big[KDF_PASSWORD_MAX + 1];
	uint8_t		 out[KDF_HASH_LEN];

	memset(big, 'x', sizeof(big));
	memset(out, 0xaa, sizeof(out));
	CU_ASSERT_EQUAL(kdf_scrypt("pw", 2, (const uint8_t *)"s", 1, &bad,
	    out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(kdf_scrypt("pw", 2, (const uint8_t *)"s", 1, NULL,
	    out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(kdf_scrypt(big, sizeof(big), (const uint8_t *)"s", 1,
	    &small, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(kdf_scrypt(big, KDF_PASSWORD_MAX,
	    (const uint8_t *)"s", 1, &small, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(kdf_scrypt("pw", 2, (const uint8_t *)"s", 1, &small,
	    NULL, 32), -1);
	CU_ASSERT_EQUAL(kdf_scrypt("pw", 2, (const uint8_t *)"s", 1, &small,
	    out, 0), -1);
	CU_ASSERT_EQUAL(kdf_scrypt(NULL, 2, (const uint8_t *)"s", 1, &small,
	    out, sizeof(out)), -1);

	CU_ASSERT_PTR_NULL(kdf_job_new_hash(big, sizeof(big), &small, NULL));
	CU_ASSERT_PTR_NULL(kdf_job_new_hash("pw", 2, &bad, NULL));
	CU_ASSERT_PTR_NULL(kdf_job_new_dummy(big, sizeof(big), NULL));
}

static void
test_kdf_pool_start_args(void)
{
	int	 efd = new_efd();

	CU_ASSERT_FATAL(efd >= 0);
	CU_ASSERT_PTR_NULL(kdf_pool_start(0, 4, 1000, efd));
	CU_ASSERT_PTR_NULL(kdf_pool_start(KDF_THREADS_MAX + 1, 4, 1000, efd));
	CU_ASSERT_PTR_NULL(kdf_pool_start(1, 0, 1000, efd));
	CU_ASSERT_PTR_NULL(kdf_pool_start(1, 4, 0, efd));
	CU_ASSERT_PTR_NULL(kdf_pool_start(1, 4, KDF_MAX_WAIT_MS_MAX + 1,
	    efd));
	CU_ASSERT_PTR_NULL(kdf_pool_start(1, 4, 1000, -1));
	kdf_pool_stop(NULL);
	close(efd);
}

static void
test_kdf_pool_hash_verify(void)
{
	static const char *const pw[4] = {
		"same password", "same password", "another one!", "",
	};
	struct kdf_pool	*pool;
	struct kdf_job	*hashed[4], *ver[10], *j;
	uint8_t		 direct[KDF_HASH_LEN];
	size_t		 i, n, nv = 0;
	int		 efd = new_efd(), tags[10];

	CU_ASSERT_FATAL(efd >= 0);
	pool = kdf_pool_start(2, 16, KDF_MAX_WAIT_MS_MAX, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);

	for (i = 0; i < 4; i++) {
		tags[i] = (int)i;
		j = kdf_job_new_hash(pw[i], strlen(pw[i]), &small, &tags[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		CU_ASSERT_EQUAL(kdf_submit(pool, j), 0);
	}
	n = wait_done(pool, efd, hashed, 4);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(hashed[i]->kind, KDF_HASH);
		CU_ASSERT_EQUAL(hashed[i]->ok, 1);
		CU_ASSERT_EQUAL(hashed[i]->failed, 0);
		CU_ASSERT_PTR_NULL(hashed[i]->password);	/* wiped */
		/* Threads may finish out of order: find the job by arg. */
		CU_ASSERT_PTR_NOT_NULL(hashed[i]->arg);
	}
	/* Put them in submission order. */
	for (i = 0; i < 4; i++)
		while (*(int *)hashed[i]->arg != (int)i) {
			n = (size_t)*(int *)hashed[i]->arg;
			j = hashed[n];
			hashed[n] = hashed[i];
			hashed[i] = j;
		}
	for (i = 0; i < 4; i++) {
		/* What is stored is the key's SHA-256, not the key. */
		CU_ASSERT_EQUAL(kdf_scrypt(pw[i], strlen(pw[i]),
		    hashed[i]->salt, KDF_SALT_LEN, &small, direct,
		    sizeof(direct)), 0);
		CU_ASSERT_NOT_EQUAL(memcmp(direct, hashed[i]->hash,
		    KDF_HASH_LEN), 0);
		CU_ASSERT_EQUAL(kdf_stored_hash(direct, direct), 0);
		CU_ASSERT_EQUAL(memcmp(direct, hashed[i]->hash,
		    KDF_HASH_LEN), 0);
	}
	/* Same password twice: fresh salts, so different hashes. */
	CU_ASSERT_NOT_EQUAL(memcmp(hashed[0]->salt, hashed[1]->salt,
	    KDF_SALT_LEN), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(hashed[0]->hash, hashed[1]->hash,
	    KDF_HASH_LEN), 0);

	/* Right password, then a wrong one, for each hash. */
	for (i = 0; i < 4; i++) {
		tags[nv] = 1;
		ver[nv] = kdf_job_new_verify(pw[i], strlen(pw[i]), &small,
		    hashed[i]->salt, hashed[i]->hash, &tags[nv]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ver[nv]);
		CU_ASSERT_EQUAL(kdf_submit(pool, ver[nv]), 0);
		nv++;
		tags[nv] = 0;
		ver[nv] = kdf_job_new_verify(i == 2 ? "another one?" :
		    "wrong", i == 2 ? 12 : 5, &small, hashed[i]->salt,
		    hashed[i]->hash, &tags[nv]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ver[nv]);
		CU_ASSERT_EQUAL(kdf_submit(pool, ver[nv]), 0);
		nv++;
	}
	/* A dummy check (unknown user), even with a known password. */
	tags[nv] = 0;
	ver[nv] = kdf_job_new_dummy(pw[0], strlen(pw[0]), &tags[nv]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ver[nv]);
	CU_ASSERT_EQUAL(ver[nv]->params.n, KDF_N_DEFAULT);
	CU_ASSERT_EQUAL(kdf_submit(pool, ver[nv]), 0);
	nv++;

	n = wait_done(pool, efd, ver, nv);
	CU_ASSERT_EQUAL_FATAL(n, nv);
	for (i = 0; i < nv; i++) {
		CU_ASSERT_EQUAL(ver[i]->kind, KDF_VERIFY);
		CU_ASSERT_EQUAL(ver[i]->failed, 0);
		CU_ASSERT_EQUAL(ver[i]->ok, *(int *)ver[i]->arg);
		CU_ASSERT_PTR_NULL(ver[i]->password);
	}
	CU_ASSERT_EQUAL(kdf_queued(pool), 0);
	CU_ASSERT_PTR_NULL(kdf_take_done(pool));
	free_jobs(ver, nv);
	free_jobs(hashed, 4);
	kdf_pool_stop(pool);
	close(efd);
}

static void
test_kdf_pool_backpressure(void)
{
	struct kdf_pool	*pool;
	struct kdf_job	*j, *done[8];
	size_t		 accepted = 0, n;
	int		 efd = new_efd();

	CU_ASSERT_FATAL(efd >= 0);
	/* One thread, two waiting: the 3rd or 4th submission is refused. */
	pool = kdf_pool_start(1, 2, KDF_MAX_WAIT_MS_MAX, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (;;) {
		j = new_check(&slow, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		if (kdf_submit(pool, j) != 0)
			break;
		if (++accepted > 3)
			break;
	}
	CU_ASSERT(accepted == 2 || accepted == 3);
	CU_ASSERT(kdf_queued(pool) <= 2);
	/* Not taken: still ours, untouched, and freed here exactly once. */
	CU_ASSERT_PTR_NULL(j->next);
	CU_ASSERT_PTR_NOT_NULL(j->password);
	CU_ASSERT_EQUAL(j->ok, 0);
	kdf_job_free(j);

	n = wait_done(pool, efd, done, accepted);
	CU_ASSERT_EQUAL(n, accepted);
	free_jobs(done, n < accepted ? n : accepted);
	CU_ASSERT_EQUAL(kdf_queued(pool), 0);
	/* Room again once the queue drained. */
	j = kdf_job_new_hash("password", 8, &small, NULL);
	CU_ASSERT_EQUAL(kdf_submit(pool, j), 0);
	n = wait_done(pool, efd, done, 1);
	CU_ASSERT_EQUAL(n, 1);
	free_jobs(done, n > 1 ? 1 : n);
	kdf_pool_stop(pool);
	close(efd);
}

/* Runs one job of params through pool and frees it: it learns the pace. */
static void
prime(struct kdf_pool *pool, int efd, const struct kdf_params *params)
{
	struct kdf_job	*j, *done[1];

	j = kdf_job_new_hash("password", 8, params, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(kdf_submit(pool, j), 0);
	CU_ASSERT_EQUAL_FATAL(wait_done(pool, efd, done, 1), 1);
	free_jobs(done, 1);
}

/*
 * Once the pool knows a hash takes far longer than max_wait_ms, it refuses
 * even an empty queue's first job; a burst of cheap hashes that fits in
 * max_wait_ms is taken whole, beyond what a fixed small queue would hold.
 */
static void
test_kdf_pool_wait_bound(void)
{
	struct kdf_pool	*pool;
	struct kdf_job	*j, *done[40];
	size_t		 i, n;
	int		 efd = new_efd();

	CU_ASSERT_FATAL(efd >= 0);
	pool = kdf_pool_start(1, 64, 1, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	prime(pool, efd, &slow);	/* N=2^14: several ms, > 1 ms */
	j = kdf_job_new_hash("password", 8, &slow, NULL);
	CU_ASSERT_EQUAL(kdf_submit(pool, j), -1);
	CU_ASSERT_PTR_NOT_NULL(j->password);	/* still ours */
	kdf_job_free(j);
	CU_ASSERT_EQUAL(kdf_queued(pool), 0);
	kdf_pool_stop(pool);

	pool = kdf_pool_start(1, 64, 10000, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	prime(pool, efd, &small);
	for (i = 0; i < 40; i++) {
		j = new_check(&small, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		CU_ASSERT_EQUAL(kdf_submit(pool, j), 0);
	}
	n = wait_done(pool, efd, done, 40);
	CU_ASSERT_EQUAL(n, 40);
	free_jobs(done, n < 40 ? n : 40);
	kdf_pool_stop(pool);
	close(efd);
}

static void
test_kdf_pool_stop_frees_queued(void)
{
	struct kdf_pool	*pool;
	struct kdf_job	*j;
	int		 efd = new_efd(), i;

	CU_ASSERT_FATAL(efd >= 0);
	pool = kdf_pool_start(1, 8, KDF_MAX_WAIT_MS_MAX, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (i = 0; i < 8; i++) {
		j = new_check(&slow, NULL);
		CU_ASSERT_EQUAL(kdf_submit(pool, j), 0);
	}
	CU_ASSERT(kdf_queued(pool) >= 6);
	/* Running, queued and done jobs are all freed (ASan: no leaks). */
	kdf_pool_stop(pool);
	close(efd);
}

/*
 * Issue 10: new hashes (registrations) hold at most a quarter of the
 * queue, and a check (a login) submitted behind them runs before the
 * ones still waiting: it is admitted and answered while they queue.
 */
static void
test_kdf_pool_login_lane(void)
{
	struct kdf_pool		*pool;
	struct kdf_job		*j, *done[8];
	struct kdf_stats	 st;
	size_t			 hashes = 0, n, i, pos = 99;
	int			 efd = new_efd(), tag = 7;

	CU_ASSERT_FATAL(efd >= 0);
	pool = kdf_pool_start(1, 8, KDF_MAX_WAIT_MS_MAX, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (i = 0; i < 6; i++) {
		j = kdf_job_new_hash("password", 8, &slow, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		if (kdf_submit(pool, j) != 0)
			kdf_job_free(j);
		else
			hashes++;
	}
	/* 8 / 4 = 2 may wait, plus the one a thread may have taken. */
	CU_ASSERT(hashes == 2 || hashes == 3);
	j = new_check(&small, &tag);
	CU_ASSERT_EQUAL_FATAL(kdf_submit(pool, j), 0);
	kdf_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.refused[KDF_HASH], 6 - hashes);
	CU_ASSERT_EQUAL(st.refused[KDF_VERIFY], 0);
	n = wait_done(pool, efd, done, hashes + 1);
	CU_ASSERT_EQUAL_FATAL(n, hashes + 1);
	for (i = 0; i < n; i++)
		if (done[i]->arg == &tag)
			pos = i;
	/* At most the hash already running finished before it. */
	CU_ASSERT(pos <= 1);
	kdf_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.ran[KDF_HASH], hashes);
	CU_ASSERT_EQUAL(st.ran[KDF_VERIFY], 1);
	CU_ASSERT_EQUAL(st.queued[KDF_HASH] + st.queued[KDF_VERIFY], 0);
	free_jobs(done, n);
	kdf_pool_stop(pool);
	close(efd);
}

/*
 * With several threads, new hashes never hold all of them: a check finds
 * a free thread even while hashes wait.
 */
static void
test_kdf_pool_hash_share(void)
{
	struct kdf_pool	*pool;
	struct kdf_job	*j, *done[8];
	size_t		 hashes = 0, n, i, pos = 99;
	int		 efd = new_efd(), tag = 7;

	CU_ASSERT_FATAL(efd >= 0);
	pool = kdf_pool_start(2, 16, KDF_MAX_WAIT_MS_MAX, efd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (i = 0; i < 4; i++) {
		j = kdf_job_new_hash("password", 8, &slow, NULL);
		if (kdf_submit(pool, j) != 0)
			kdf_job_free(j);
		else
			hashes++;
	}
	CU_ASSERT_EQUAL(hashes, 4);
	usleep(2000);	/* let the threads take what they may */
	j = new_check(&small, &tag);
	CU_ASSERT_EQUAL_FATAL(kdf_submit(pool, j), 0);
	n = wait_done(pool, efd, done, hashes + 1);
	CU_ASSERT_EQUAL_FATAL(n, hashes + 1);
	for (i = 0; i < n; i++)
		if (done[i]->arg == &tag)
			pos = i;
	/* The second thread was free for it: it ran at once. */
	CU_ASSERT(pos <= 1);
	free_jobs(done, n);
	kdf_pool_stop(pool);
	close(efd);
}

static void
test_kdf_time_default(void)
{
	uint8_t		 salt[KDF_SALT_LEN] = { 1, 2, 3 };
	uint8_t		 out[KDF_HASH_LEN];
	int64_t		 t0, t1;

	t0 = clock_mono_ms();
	CU_ASSERT_EQUAL(kdf_scrypt("correct horse battery", 21, salt,
	    sizeof(salt), &kdf_params_default, out, sizeof(out)), 0);
	t1 = clock_mono_ms();
	printf("\n    scrypt N=2^17 r=8 p=1 (128 MiB): %lld ms ... ",
	    (long long)(t1 - t0));
	fflush(stdout);
}

static CU_TestInfo tests[] = {
	{ "test_kdf_rfc7914_vectors", test_kdf_rfc7914_vectors },
	{ "test_kdf_params_valid", test_kdf_params_valid },
	{ "test_kdf_scrypt_rejects", test_kdf_scrypt_rejects },
	{ "test_kdf_pool_start_args", test_kdf_pool_start_args },
	{ "test_kdf_pool_hash_verify", test_kdf_pool_hash_verify },
	{ "test_kdf_pool_backpressure", test_kdf_pool_backpressure },
	{ "test_kdf_pool_wait_bound", test_kdf_pool_wait_bound },
	{ "test_kdf_pool_stop_frees_queued",
	    test_kdf_pool_stop_frees_queued },
	{ "test_kdf_pool_login_lane", test_kdf_pool_login_lane },
	{ "test_kdf_pool_hash_share", test_kdf_pool_hash_share },
	{ "test_kdf_time_default", test_kdf_time_default },
	CU_TEST_INFO_NULL
};

/* The rejection tests log warnings on purpose: keep only errors. */
static int
suite_init(void)
{
	log_init("test_kdf", LOG_LVL_ERROR);
	return 0;
}

CU_SuiteInfo unit_suites[] = {
	{ "kdf", suite_init, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
