/*
 * CUnit tests for common/statsbatch.c (the stats_flush body abc-worker
 * parses from the link: outside bytes) and web/counter.c (abc-web's
 * bounded, thread-safe counters).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "cunit_main.h"

#include "buf.h"
#include "counter.h"
#include "log.h"
#include "statsbatch.h"

/* Parses text as the rows array; returns the rows parsed or -1. */
static long
parse(const char *text, struct stats_row *out, size_t max)
{
	struct json_object	*v = json_tokener_parse(text);
	const char		*why = NULL;
	size_t			 n = 99;
	int			 rc;

	rc = statsbatch_parse(v, out, max, &n, &why);
	json_object_put(v);
	if (rc != 0) {
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_EQUAL(n, 0);
		return -1;
	}
	return (long)n;
}

static void
test_statsbatch_roundtrip(void)
{
	struct stats_row	 in[2] = {
		{ 7, 0, 120000, 5, 1, 0x8000000000000001ULL },
		{ 9, 2147483647, 0, 0, 0, 0 }
	}, out[4];
	struct json_object	*arr;
	struct buf		 a[6];
	int			 k;

	arr = statsbatch_encode(in, 2);
	CU_ASSERT_EQUAL(parse(json_object_to_json_string(arr), out, 4), 2);
	json_object_put(arr);
	CU_ASSERT(memcmp(in, out, sizeof(in)) == 0);
	for (k = 0; k < 6; k++)
		buf_init(&a[k], 4096);
	CU_ASSERT_EQUAL(statsbatch_sql_arrays(out, 2, a), 0);
	CU_ASSERT_STRING_EQUAL((char *)a[0].data, "{7,9}");
	CU_ASSERT_STRING_EQUAL((char *)a[1].data, "{0,2147483647}");
	CU_ASSERT_STRING_EQUAL((char *)a[2].data, "{120000,0}");
	CU_ASSERT_STRING_EQUAL((char *)a[5].data,
	    "{-9223372036854775807,0}");
	for (k = 0; k < 6; k++)
		buf_clear(&a[k]);
}

static void
test_statsbatch_rejects(void)
{
	struct stats_row	 out[3];

	CU_ASSERT_EQUAL(parse("[]", out, 3), -1);		/* empty */
	CU_ASSERT_EQUAL(parse("{}", out, 3), -1);		/* not array */
	CU_ASSERT_EQUAL(parse("\"x\"", out, 3), -1);
	CU_ASSERT_EQUAL(statsbatch_parse(NULL, out, 3, &(size_t){ 0 },
	    &(const char *){ NULL }), -1);
	CU_ASSERT_EQUAL(parse("[[1,0,0,1,0,0],[1,0,0,1,0,0],"
	    "[1,0,0,1,0,0],[1,0,0,1,0,0]]", out, 3), -1);	/* > max */
	CU_ASSERT_EQUAL(parse("[[1,0,0,1,0]]", out, 3), -1);	/* 5 long */
	CU_ASSERT_EQUAL(parse("[[1,0,0,1,0,0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[0,0,0,1,0,0]]", out, 3), -1);	/* campaign */
	CU_ASSERT_EQUAL(parse("[[-5,0,0,1,0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[1,-1,0,1,0,0]]", out, 3), -1);	/* idx */
	CU_ASSERT_EQUAL(parse("[[1,2147483648,0,1,0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[1,0,60001,1,0,0]]", out, 3), -1); /* minute */
	CU_ASSERT_EQUAL(parse("[[1,0,-60000,1,0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[1,0,0,-1,0,0]]", out, 3), -1);	/* counts */
	CU_ASSERT_EQUAL(parse("[[1,0,0,0,1000000001,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[1,0,0,1.5,0,0]]", out, 3), -1);	/* types */
	CU_ASSERT_EQUAL(parse("[[1,0,0,\"1\",0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[1,0,0,true,0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[[1,0,0,null,0,0]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse("[{\"a\":1}]", out, 3), -1);
	/* Beyond int64: json-c clamps to INT64_MAX; refused. */
	CU_ASSERT_EQUAL(parse("[[9223372036854775808,0,0,1,0,0]]", out, 3),
	    -1);
	CU_ASSERT_EQUAL(parse("[[99999999999999999999,0,0,1,0,0]]", out, 3),
	    -1);
	CU_ASSERT_EQUAL(parse("[[1,0,0,1,0,99999999999999999999]]", out, 3),
	    -1);
	/* The edges that are fine. */
	CU_ASSERT_EQUAL(parse("[[9223372036854775807,0,0,1000000000,0,"
	    "-9223372036854775808]]", out, 3), 1);
	CU_ASSERT_EQUAL(parse("[[1,0,9223372036854720000,0,0,0]]", out, 3), 1);
}

static void
test_statsbatch_bucket(void)
{
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 7400, 1000), 0);
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 7400, 1099), 0);
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 7400, 1100), 1);
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 7400, 7399), 63);
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 7400, 7400), -1);
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 7400, 999), -1);
	CU_ASSERT_EQUAL(statsbatch_bucket(1000, 1000, 1000), -1);
	CU_ASSERT_EQUAL(statsbatch_bucket(INT64_MIN, INT64_MAX, INT64_MAX - 1),
	    63);
	CU_ASSERT_EQUAL(statsbatch_bucket(INT64_MIN, INT64_MAX, -1), 31);
	CU_ASSERT_EQUAL(statsbatch_bucket(INT64_MIN, INT64_MAX, 0), 32);
}

static void
test_counter_sums_and_takes(void)
{
	struct counter		*c = counter_new();
	struct stats_row	*out = calloc(COUNTER_CAP, sizeof(*out));
	size_t			 n, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(counter_hit(c, 5, 1, 120500, 1, 0, 3), 0);
	CU_ASSERT_EQUAL(counter_hit(c, 5, 1, 179999, 1, 0, 4), 0);
	CU_ASSERT_EQUAL(counter_hit(c, 5, 1, 180000, 0, 1, -1), 0);
	CU_ASSERT_EQUAL(counter_hit(c, 5, 2, 120000, 1, 0, 64), 0);
	CU_ASSERT_EQUAL(counter_hit(c, 0, 1, 120000, 1, 0, 0), -1);
	CU_ASSERT_EQUAL(counter_hit(c, 5, -1, 120000, 1, 0, 0), -1);
	CU_ASSERT_EQUAL(counter_hit(c, 5, 1, -1, 1, 0, 0), -1);
	n = counter_take(c, out, COUNTER_CAP);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (i = 0; i < n; i++) {
		if (out[i].idx == 1 && out[i].minute_ms == 120000) {
			CU_ASSERT_EQUAL(out[i].impressions, 2);
			CU_ASSERT_EQUAL(out[i].mask, (1u << 3) | (1u << 4));
		} else if (out[i].idx == 1) {
			CU_ASSERT_EQUAL(out[i].minute_ms, 180000);
			CU_ASSERT_EQUAL(out[i].clicks, 1);
			CU_ASSERT_EQUAL(out[i].mask, 0);
		} else
			CU_ASSERT_EQUAL(out[i].mask, 0);	/* bucket 64 */
	}
	CU_ASSERT_EQUAL(counter_take(c, out, COUNTER_CAP), 0);
	free(out);
	counter_free(c);
}

static void
test_counter_bounded(void)
{
	struct counter		*c = counter_new();
	struct stats_row	*out = calloc(COUNTER_CAP, sizeof(*out));
	int64_t			 i;
	size_t			 n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (i = 0; i < COUNTER_CAP; i++)
		CU_ASSERT_EQUAL(counter_hit(c, 1, i, 0, 1, 0, -1), 0);
	CU_ASSERT_EQUAL(counter_hit(c, 1, COUNTER_CAP, 0, 1, 0, -1), -1);
	CU_ASSERT_EQUAL(counter_hit(c, 1, 5, 0, 1, 0, -1), 0);	/* exists */
	CU_ASSERT_EQUAL(counter_dropped(c), 1);
	/* Part of it: the rest stays, still found by its key. */
	n = counter_take(c, out, 10);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(out[5].impressions, 2);
	CU_ASSERT_EQUAL(counter_hit(c, 1, 11, 0, 1, 0, -1), 0);
	CU_ASSERT_EQUAL(counter_hit(c, 1, COUNTER_CAP, 0, 1, 0, -1), 0);
	n = counter_take(c, out, COUNTER_CAP);
	CU_ASSERT_EQUAL(n, COUNTER_CAP - 10 + 1);
	CU_ASSERT_EQUAL(out[1].idx, 11);
	CU_ASSERT_EQUAL(out[1].impressions, 2);
	free(out);
	counter_free(c);
}

#define THREADS		4
#define HITS		20000

static void *
hitter(void *arg)
{
	struct counter	*c = arg;
	int		 i;

	for (i = 0; i < HITS; i++)
		(void)counter_hit(c, 1 + i % 3, i % 7, 60000 * (i % 2), 1,
		    i % 5 == 0, i % 64);
	return NULL;
}

/* Page threads hit while a flusher takes: nothing lost, nothing twice. */
static void
test_counter_threads(void)
{
	struct counter		*c = counter_new();
	struct stats_row	*out = calloc(COUNTER_CAP, sizeof(*out));
	pthread_t		 t[THREADS];
	int64_t			 imp = 0, clk = 0;
	size_t			 n, i;
	int			 k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (k = 0; k < THREADS; k++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[k], NULL, hitter, c),
		    0);
	for (k = 0; k < 200; k++) {
		n = counter_take(c, out, COUNTER_CAP);
		for (i = 0; i < n; i++) {
			imp += out[i].impressions;
			clk += out[i].clicks;
		}
	}
	for (k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	n = counter_take(c, out, COUNTER_CAP);
	for (i = 0; i < n; i++) {
		imp += out[i].impressions;
		clk += out[i].clicks;
	}
	CU_ASSERT_EQUAL(imp, (int64_t)THREADS * HITS);
	CU_ASSERT_EQUAL(clk, (int64_t)THREADS * (HITS / 5));
	CU_ASSERT_EQUAL(counter_dropped(c), 0);
	free(out);
	counter_free(c);
}

static CU_TestInfo tests[] = {
	{ "test_statsbatch_roundtrip", test_statsbatch_roundtrip },
	{ "test_statsbatch_rejects", test_statsbatch_rejects },
	{ "test_statsbatch_bucket", test_statsbatch_bucket },
	{ "test_counter_sums_and_takes", test_counter_sums_and_takes },
	{ "test_counter_bounded", test_counter_bounded },
	{ "test_counter_threads", test_counter_threads },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "statsbatch", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
