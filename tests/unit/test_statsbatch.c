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

	CU_ASSERT_EQUAL(parse("[]", out, 3), 0);	/* only sketches */
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

/* Parses text as the uniq array; returns the sketches parsed or -1. */
static long
parse_uniq(const char *text, struct stats_uniq *out, size_t max)
{
	struct json_object	*v = json_tokener_parse(text);
	const char		*why = NULL;
	size_t			 n = 99;
	int			 rc;

	rc = statsbatch_parse_uniq(v, out, max, &n, &why);
	json_object_put(v);
	return rc != 0 ? -1 : (long)n;
}

static void
test_statsbatch_uniq(void)
{
	static struct stats_uniq in[2], out[3];
	struct json_object	*arr;
	char			 text[1024], regs[513];
	struct buf		 a[4];
	int			 k;

	in[0].campaign = 3;
	in[0].idx = 1;
	in[0].day_ms = 86400000LL * 20000;
	in[0].regs[0] = 57;
	in[0].regs[255] = 1;
	in[1].campaign = 4;
	arr = statsbatch_encode_uniq(in, 2);
	CU_ASSERT_EQUAL(parse_uniq(json_object_to_json_string(arr), out, 3),
	    2);
	json_object_put(arr);
	CU_ASSERT(memcmp(in, out, sizeof(in)) == 0);
	for (k = 0; k < 4; k++)
		buf_init(&a[k], 1u << 20);
	CU_ASSERT_EQUAL(statsbatch_sql_uniq(out, 2, a), 0);
	CU_ASSERT_STRING_EQUAL((char *)a[0].data, "{3,4}");
	CU_ASSERT_EQUAL(strlen((char *)a[3].data), 2 + 512 * 2 + 1);
	CU_ASSERT_EQUAL(strncmp((char *)a[3].data, "{39", 3), 0);
	for (k = 0; k < 4; k++)
		buf_clear(&a[k]);
	/* Absent is none; the bounds. */
	CU_ASSERT_EQUAL(statsbatch_parse_uniq(NULL, out, 3, &(size_t){ 9 },
	    &(const char *){ NULL }), 0);
	memset(regs, '0', 512);
	regs[512] = '\0';
	snprintf(text, sizeof(text), "[[1,0,0,\"%s\"]]", regs);
	CU_ASSERT_EQUAL(parse_uniq(text, out, 3), 1);
	snprintf(text, sizeof(text), "[[1,0,1000,\"%s\"]]", regs);
	CU_ASSERT_EQUAL(parse_uniq(text, out, 3), -1);		/* day */
	snprintf(text, sizeof(text), "[[0,0,0,\"%s\"]]", regs);
	CU_ASSERT_EQUAL(parse_uniq(text, out, 3), -1);		/* campaign */
	snprintf(text, sizeof(text), "[[1,0,0,\"%s\"]]", regs + 1);
	CU_ASSERT_EQUAL(parse_uniq(text, out, 3), -1);		/* length */
	regs[10] = 'A';
	snprintf(text, sizeof(text), "[[1,0,0,\"%s\"]]", regs);
	CU_ASSERT_EQUAL(parse_uniq(text, out, 3), -1);		/* upper */
	regs[10] = '3';
	regs[11] = 'a';					/* 0x3a = 58 */
	snprintf(text, sizeof(text), "[[1,0,0,\"%s\"]]", regs);
	CU_ASSERT_EQUAL(parse_uniq(text, out, 3), -1);
	CU_ASSERT_EQUAL(parse_uniq("[[1,0,0,5]]", out, 3), -1);
	CU_ASSERT_EQUAL(parse_uniq("{}", out, 3), -1);
	CU_ASSERT_EQUAL(parse_uniq("[[1,0,0,\"\"],[1,0,0,\"\"],"
	    "[1,0,0,\"\"],[1,0,0,\"\"]]", out, 3), -1);	/* > max */
}

/* A 64-bit mix of i: the stand-in for the keyed hash of an address. */
static uint64_t
mix(uint64_t i)
{
	i += 0x9e3779b97f4a7c15ULL;
	i = (i ^ (i >> 30)) * 0xbf58476d1ce4e5b9ULL;
	i = (i ^ (i >> 27)) * 0x94d049bb133111ebULL;
	return i ^ (i >> 31);
}

/* The estimate within 4 standard errors (6.5 %) from 1 to 10^6, exact
 * for repeats; two halves merged by max estimate the whole. */
static void
test_statsbatch_hll(void)
{
	static const int64_t	 ns[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000 };
	uint8_t			 r[STATSBATCH_HLL_M], a[STATSBATCH_HLL_M],
				 b[STATSBATCH_HLL_M];
	int64_t			 i, e;
	size_t			 k, j;

	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		memset(r, 0, sizeof(r));
		for (i = 0; i < ns[k]; i++) {
			statsbatch_hll_add(r, mix((uint64_t)i));
			statsbatch_hll_add(r, mix((uint64_t)i));
		}
		e = statsbatch_hll_estimate(r);
		CU_ASSERT(e >= ns[k] - ns[k] * 26 / 100 - 1 &&
		    e <= ns[k] + ns[k] * 26 / 100 + 1);
	}
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(r, 0, sizeof(r));
	for (i = 0; i < 20000; i++) {
		statsbatch_hll_add(i % 2 ? a : b, mix((uint64_t)i));
		statsbatch_hll_add(r, mix((uint64_t)i));
	}
	for (j = 0; j < STATSBATCH_HLL_M; j++)
		a[j] = a[j] > b[j] ? a[j] : b[j];
	CU_ASSERT(memcmp(a, r, sizeof(r)) == 0);
	memset(r, 0, sizeof(r));
	CU_ASSERT_EQUAL(statsbatch_hll_estimate(r), 0);
	statsbatch_hll_add(r, 0);		/* all zero bits: rank 57 */
	CU_ASSERT_EQUAL(r[0], 57);
}

static void
test_counter_viewers(void)
{
	struct counter		*c = counter_new();
	static struct stats_uniq out[COUNTER_UNIQ];
	int64_t			 i;

	for (i = 0; i < 500; i++)
		CU_ASSERT_EQUAL(counter_viewer(c, 1, 0, 86400000 + i,
		    mix((uint64_t)(i % 50))), 0);
	CU_ASSERT_EQUAL(counter_viewer(c, 1, 0, 2 * 86400000, mix(1)), 0);
	for (i = 2; i < COUNTER_UNIQ; i++)
		CU_ASSERT_EQUAL(counter_viewer(c, 2, i, 0, mix(1)), 0);
	CU_ASSERT_EQUAL(counter_viewer(c, 3, 0, 0, mix(1)), -1);	/* full */
	CU_ASSERT_EQUAL(counter_dropped(c), 1);
	CU_ASSERT_EQUAL(counter_take_uniq(c, out, COUNTER_UNIQ), COUNTER_UNIQ);
	CU_ASSERT_EQUAL(out[0].day_ms, 86400000);
	CU_ASSERT(statsbatch_hll_estimate(out[0].regs) >= 45 &&
	    statsbatch_hll_estimate(out[0].regs) <= 55);
	CU_ASSERT_EQUAL(out[1].day_ms, 2 * 86400000);
	CU_ASSERT_EQUAL(statsbatch_hll_estimate(out[1].regs), 1);
	CU_ASSERT_EQUAL(counter_take_uniq(c, out, COUNTER_UNIQ), 0);
	counter_free(c);
}

static CU_TestInfo tests[] = {
	{ "test_statsbatch_uniq", test_statsbatch_uniq },
	{ "test_statsbatch_hll", test_statsbatch_hll },
	{ "test_counter_viewers", test_counter_viewers },
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
