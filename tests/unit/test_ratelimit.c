/* CUnit suite for worker/ratelimit.c: failure counters per key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "ratelimit.h"

#define W	1000		/* window, ms */

static uint64_t	 rng_next(uint64_t *state);

/* xorshift64*: a fixed-seed stream for reproducible "random" runs. */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static void
test_ratelimit_blocks_at_max(void)
{
	struct ratelimit	*rl;
	int64_t			 retry = -1;
	unsigned		 i;

	rl = ratelimit_new(16, 5, W);
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:alice", 0, &retry));
	CU_ASSERT_EQUAL(retry, -1);
	for (i = 0; i < 4; i++) {
		ratelimit_fail(rl, "u:alice", 10 + i);
		CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:alice", 10 + i,
		    &retry));
	}
	ratelimit_fail(rl, "u:alice", 20);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:alice", 20, &retry));
	/* The window started at the first failure, 10. */
	CU_ASSERT_EQUAL(retry, 10 + W - 20);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:alice", 500, NULL));
	/* Other keys are not affected. */
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:bob", 20, NULL));
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:Alice", 20, NULL));
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:alic", 20, NULL));
	/* More failures keep it blocked, without moving the window. */
	ratelimit_fail(rl, "u:alice", 600);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:alice", 600, &retry));
	CU_ASSERT_EQUAL(retry, 10 + W - 600);
	ratelimit_free(rl);
}

static void
test_ratelimit_window_expiry(void)
{
	struct ratelimit	*rl;
	int64_t			 retry = -1, t0 = 1000000;

	rl = ratelimit_new(8, 3, W);
	ratelimit_fail(rl, "a:10.0.0.1", t0);
	ratelimit_fail(rl, "a:10.0.0.1", t0 + 100);
	ratelimit_fail(rl, "a:10.0.0.1", t0 + 200);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "a:10.0.0.1", t0 + 200, &retry));
	CU_ASSERT_EQUAL(retry, W - 200);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "a:10.0.0.1", t0 + W - 1,
	    &retry));
	CU_ASSERT_EQUAL(retry, 1);
	/* The window is [t0, t0 + W): at its end the key is free again. */
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "a:10.0.0.1", t0 + W, NULL));
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "a:10.0.0.1", t0 + 5 * W,
	    NULL));
	/* A failure after the window starts a new one, counting from 1. */
	ratelimit_fail(rl, "a:10.0.0.1", t0 + W);
	ratelimit_fail(rl, "a:10.0.0.1", t0 + W + 1);
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "a:10.0.0.1", t0 + W + 1,
	    NULL));
	ratelimit_fail(rl, "a:10.0.0.1", t0 + W + 2);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "a:10.0.0.1", t0 + W + 2,
	    &retry));
	CU_ASSERT_EQUAL(retry, W - 2);
	ratelimit_free(rl);
}

static void
test_ratelimit_clear(void)
{
	struct ratelimit	*rl;

	rl = ratelimit_new(8, 2, W);
	ratelimit_fail(rl, "u:a", 0);
	ratelimit_fail(rl, "u:a", 1);
	ratelimit_fail(rl, "u:b", 1);
	ratelimit_fail(rl, "u:b", 2);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:a", 2, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:b", 2, NULL));
	ratelimit_clear(rl, "u:a");
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:a", 2, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:b", 2, NULL));
	/* Forgotten entirely: one failure is not enough again. */
	ratelimit_fail(rl, "u:a", 3);
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:a", 3, NULL));
	ratelimit_fail(rl, "u:a", 4);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:a", 4, NULL));
	/* Clearing an unknown key, or twice, is harmless. */
	ratelimit_clear(rl, "u:nobody");
	ratelimit_clear(rl, "");
	ratelimit_clear(rl, "u:b");
	ratelimit_clear(rl, "u:b");
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:b", 4, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "u:a", 4, NULL));
	ratelimit_free(rl);
}

static void
test_ratelimit_evicts_oldest(void)
{
	struct ratelimit	*rl;
	char			 k[16];
	int			 i;

	/* Four keys, each blocked, windows started at 0, 1, 2, 3. */
	rl = ratelimit_new(4, 2, W);
	for (i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		ratelimit_fail(rl, k, i);
		ratelimit_fail(rl, k, 10);
	}
	for (i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		CU_ASSERT_TRUE(ratelimit_blocked(rl, k, 10, NULL));
	}
	/* A fifth key takes the place of k0, the oldest window. */
	ratelimit_fail(rl, "k4", 20);
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "k0", 20, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "k1", 20, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "k2", 20, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "k3", 20, NULL));
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "k4", 20, NULL));
	ratelimit_fail(rl, "k4", 21);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "k4", 21, NULL));
	/* Then k1. */
	ratelimit_fail(rl, "k0", 30);
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "k0", 30, NULL));
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "k1", 30, NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "k2", 30, NULL));
	ratelimit_free(rl);
}

/*
 * Many keys through a small table, at random: a key is only ever blocked
 * when it really failed max times within the last window, and with no more
 * keys than capacity the table counts exactly like an unbounded one.
 */
static void
test_ratelimit_many_keys(void)
{
	enum { NKEYS = 24, NFAIL = 4000, CAP = 6, MAX = 3 };
	static int64_t		 fails[NKEYS][NFAIL];
	size_t			 nfails[NKEYS];
	int64_t			 ref_start[NKEYS], ref_count[NKEYS];
	struct ratelimit	*rl;
	uint64_t		 state = UINT64_C(0x243f6a8885a308d3);
	int64_t			 now = 5000, retry;
	char			 k[16];
	int			 round, step, key, nk, j, recent;
	int			 wrong = 0, inexact = 0, badretry = 0;
	size_t			 n;

	for (round = 0; round < 2; round++) {
		/* Round 0: more keys than room; round 1: they all fit. */
		nk = round == 0 ? NKEYS : CAP;
		rl = ratelimit_new(CAP, MAX, W);
		memset(nfails, 0, sizeof(nfails));
		for (j = 0; j < NKEYS; j++) {
			ref_start[j] = INT64_MIN / 2;
			ref_count[j] = 0;
		}
		for (step = 0; step < NFAIL; step++) {
			now += (int64_t)(rng_next(&state) % 120);
			key = (int)(rng_next(&state) % (uint64_t)nk);
			snprintf(k, sizeof(k), "key%d", key);
			if (!ratelimit_blocked(rl, k, now, NULL) &&
			    nfails[key] < NFAIL) {
				ratelimit_fail(rl, k, now);
				fails[key][nfails[key]++] = now;
				if (now - ref_start[key] >= W) {
					ref_start[key] = now;
					ref_count[key] = 0;
				}
				ref_count[key]++;
			}
			for (j = 0; j < nk; j++) {
				snprintf(k, sizeof(k), "key%d", j);
				retry = -1;
				recent = 0;
				for (n = nfails[j]; n > 0 &&
				    fails[j][n - 1] > now - W; n--)
					recent++;
				if (ratelimit_blocked(rl, k, now, &retry)) {
					if (recent < MAX)
						wrong++;
					if (retry <= 0 || retry > W)
						badretry++;
				}
				if (round == 1 &&
				    ratelimit_blocked(rl, k, now, NULL) !=
				    (now - ref_start[j] < W &&
				    ref_count[j] >= MAX))
					inexact++;
			}
		}
		ratelimit_free(rl);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(badretry, 0);
	CU_ASSERT_EQUAL(inexact, 0);
}

static void
test_ratelimit_stale_entry_reused(void)
{
	struct ratelimit	*rl;
	char			 k[16];
	int			 i;

	/* "a" fails once; its window lapses; other keys fill the table. */
	rl = ratelimit_new(3, 3, W);
	ratelimit_fail(rl, "a", 0);
	ratelimit_fail(rl, "b", W + 100);
	ratelimit_fail(rl, "c", W + 100);
	ratelimit_fail(rl, "d", W + 100);
	for (i = 0; i < 3; i++) {
		ratelimit_fail(rl, "a", W + 200);
		CU_ASSERT_EQUAL(ratelimit_blocked(rl, "a", W + 200, NULL),
		    i == 2);
	}
	ratelimit_free(rl);

	/* "a"'s stale entry sits after a free slot and a stale one. */
	rl = ratelimit_new(4, 2, W);
	ratelimit_fail(rl, "p", 0);
	ratelimit_fail(rl, "q", 0);
	ratelimit_fail(rl, "a", 10);
	ratelimit_clear(rl, "p");
	/* q and a are stale now: a must take its own entry back. */
	ratelimit_fail(rl, "a", 2 * W);
	/* Three more live keys fill the table: all four are counted. */
	for (i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "x%d", i);
		ratelimit_fail(rl, k, 2 * W + 1);
		ratelimit_fail(rl, k, 2 * W + 1);
	}
	ratelimit_fail(rl, "a", 2 * W + 2);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "a", 2 * W + 2, NULL));
	for (i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "x%d", i);
		CU_ASSERT_TRUE(ratelimit_blocked(rl, k, 2 * W + 2, NULL));
	}
	ratelimit_free(rl);
}

static void
test_ratelimit_capacity_zero(void)
{
	struct ratelimit	*rl;
	int			 i;

	rl = ratelimit_new(0, 1, W);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	for (i = 0; i < 100; i++) {
		ratelimit_fail(rl, "u:a", i);
		CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:a", i, NULL));
	}
	ratelimit_clear(rl, "u:a");
	CU_ASSERT_FALSE(ratelimit_blocked(rl, "u:a", 100, NULL));
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

/*
 * A key longer than the table stores must still be limited: it is stored
 * cut to RATELIMIT_KEY_MAX - 1 bytes, and must still be found.
 */
static void
test_ratelimit_long_key(void)
{
	struct ratelimit	*rl;
	char			 k[RATELIMIT_KEY_MAX + 40];
	int			 i;

	rl = ratelimit_new(8, 3, W);
	/* The longest key kept whole. */
	memset(k, 'x', RATELIMIT_KEY_MAX - 1);
	k[RATELIMIT_KEY_MAX - 1] = '\0';
	for (i = 0; i < 3; i++)
		ratelimit_fail(rl, k, i);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, k, 3, NULL));
	/* One byte more. */
	memset(k, 'y', sizeof(k) - 1);
	k[sizeof(k) - 1] = '\0';
	for (i = 0; i < 3; i++)
		ratelimit_fail(rl, k, i);
	CU_ASSERT_TRUE(ratelimit_blocked(rl, k, 3, NULL));
	ratelimit_free(rl);
}

/*
 * Issue 10: a login key waits a growing time instead of the rest of the
 * window: none before max failures, then W/16 from the latest failure,
 * doubled with each further one, never past the window's end.
 */
static void
test_ratelimit_backoff_grows(void)
{
	struct ratelimit	*rl;
	int64_t			 retry = -1, t0 = 100000, b = 1600 / 16;
	int			 i;

	rl = ratelimit_new(8, 3, 1600);
	for (i = 0; i < 2; i++)
		ratelimit_fail(rl, "p:bob|1.2.3.4", t0 + i);
	CU_ASSERT_FALSE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 2,
	    &retry));
	CU_ASSERT_EQUAL(retry, -1);
	CU_ASSERT_EQUAL(ratelimit_count(rl, "p:bob|1.2.3.4", t0 + 2), 2);
	ratelimit_fail(rl, "p:bob|1.2.3.4", t0 + 10);
	CU_ASSERT_TRUE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 10,
	    &retry));
	CU_ASSERT_EQUAL(retry, b);
	CU_ASSERT_TRUE(ratelimit_backoff(rl, "p:bob|1.2.3.4",
	    t0 + 10 + b - 1, &retry));
	CU_ASSERT_EQUAL(retry, 1);
	/* The first wait is over: one more try. */
	CU_ASSERT_FALSE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 10 + b,
	    NULL));
	/* It failed: twice as long from then. */
	ratelimit_fail(rl, "p:bob|1.2.3.4", t0 + 200);
	CU_ASSERT_TRUE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 200,
	    &retry));
	CU_ASSERT_EQUAL(retry, 2 * b);
	ratelimit_fail(rl, "p:bob|1.2.3.4", t0 + 400);
	CU_ASSERT_TRUE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 400,
	    &retry));
	CU_ASSERT_EQUAL(retry, 4 * b);
	/* 8 * b from t0 + 1000 would pass the window's end, t0 + 1600. */
	ratelimit_fail(rl, "p:bob|1.2.3.4", t0 + 1000);
	CU_ASSERT_TRUE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 1000,
	    &retry));
	CU_ASSERT_EQUAL(retry, 600);
	CU_ASSERT_FALSE(ratelimit_backoff(rl, "p:bob|1.2.3.4", t0 + 1600,
	    NULL));
	/* Other keys, and the fixed-window view, are not confused. */
	CU_ASSERT_FALSE(ratelimit_backoff(rl, "p:bob|1.2.3.5", t0 + 1000,
	    NULL));
	CU_ASSERT_TRUE(ratelimit_blocked(rl, "p:bob|1.2.3.4", t0 + 1000,
	    NULL));
	/* Many failures: the shift is bounded, the wait is the window's. */
	for (i = 0; i < 100; i++)
		ratelimit_fail(rl, "u:many", t0 + 2000 + i);
	CU_ASSERT_TRUE(ratelimit_backoff(rl, "u:many", t0 + 2100, &retry));
	CU_ASSERT_EQUAL(retry, 1500);
	ratelimit_clear(rl, "u:many");
	CU_ASSERT_FALSE(ratelimit_backoff(rl, "u:many", t0 + 2100, NULL));
	CU_ASSERT_EQUAL(ratelimit_count(rl, "u:many", t0 + 2100), 0);
	ratelimit_free(rl);
}

static CU_TestInfo tests[] = {
	{ "test_ratelimit_blocks_at_max",
	    test_ratelimit_blocks_at_max },
	{ "test_ratelimit_window_expiry",
	    test_ratelimit_window_expiry },
	{ "test_ratelimit_clear", test_ratelimit_clear },
	{ "test_ratelimit_evicts_oldest",
	    test_ratelimit_evicts_oldest },
	{ "test_ratelimit_many_keys", test_ratelimit_many_keys },
	{ "test_ratelimit_stale_entry_reused",
	    test_ratelimit_stale_entry_reused },
	{ "test_ratelimit_capacity_zero",
	    test_ratelimit_capacity_zero },
	{ "test_ratelimit_long_key", test_ratelimit_long_key },
	{ "test_ratelimit_backoff_grows",
	    test_ratelimit_backoff_grows },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "ratelimit", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
