/*
 * CUnit suite for worker/dbmerge.c without a server: the PostgreSQL array
 * literals a merged call's parameters travel as (every element quoted,
 * '"' and '\' escaped, SQL NULL unquoted, so any text arrives as given:
 * braces, commas, spaces, the word NULL, UTF-8, long values); the plan of
 * a batch (merged durable jobs grouped by SQL text, in order, each with its
 * row; other durable jobs and reads left alone); a call's result split
 * into one result per job (dbmerge_row: every column, SQL NULLs kept; the
 * results built with libpq's PQmakeEmptyPGresult and PQsetvalue); and
 * dbmerge_fits, which takes a result only with one row per job.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"
#include <libpq-fe.h>

#include "buf.h"
#include "db.h"
#include "dbmerge.h"

#define SQL_A	"SELECT * FROM many_a($1::text[], $2::bigint[], $3::text[])"
#define SQL_B	"SELECT * FROM many_b($1::text[])"

/*
 * The closed array literal of values[0..n) (NULL: SQL NULL), as
 * dbmerge_plan closes it; the caller frees it.
 */
static char *
literal(const char *const *values, size_t n)
{
	struct buf	 b;
	size_t		 i;
	char		*s;

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		dbmerge_array_add(&b, values[i]);
	CU_ASSERT_FATAL(buf_add(&b, "}", 1) == 0);
	s = strdup((const char *)b.data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	buf_clear(&b);
	return s;
}

/* Asserts that values[0..n) make exactly the literal want. */
static void
assert_literal(const char *const *values, size_t n, const char *want)
{
	char	*got = literal(values, n);

	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

/* One value alone. */
static void
assert_one(const char *value, const char *want)
{
	assert_literal(&value, 1, want);
}

/* Plain values: each quoted, in order, separated by commas only. */
static void
test_dbmerge_array_plain(void)
{
	static const char *const v[] = { "1", "22", "web1", "-7" };

	assert_one("1", "{\"1\"}");
	assert_literal(v, 4, "{\"1\",\"22\",\"web1\",\"-7\"}");
}

/* The empty string is an element ("" quoted), not a missing one. */
static void
test_dbmerge_array_empty_string(void)
{
	static const char *const v[] = { "", "" };
	static const char *const w[] = { "a", "", "b" };

	assert_one("", "{\"\"}");
	assert_literal(v, 2, "{\"\",\"\"}");
	assert_literal(w, 3, "{\"a\",\"\",\"b\"}");
}

/* SQL NULL is the bare word; the text NULL (any case) stays quoted. */
static void
test_dbmerge_array_null(void)
{
	static const char *const v[] = { NULL, NULL };
	static const char *const w[] = { "a", NULL, "NULL", "null", NULL };

	assert_one(NULL, "{NULL}");
	assert_literal(v, 2, "{NULL,NULL}");
	assert_literal(w, 5, "{\"a\",NULL,\"NULL\",\"null\",NULL}");
	assert_one("NULL", "{\"NULL\"}");
	assert_one(" NULL ", "{\" NULL \"}");
}

/* '"' and '\' are the two characters escaped, each by one '\'. */
static void
test_dbmerge_array_quote_backslash(void)
{
	assert_one("a\"b", "{\"a\\\"b\"}");
	assert_one("\"", "{\"\\\"\"}");
	assert_one("\"\"", "{\"\\\"\\\"\"}");
	assert_one("a\\b", "{\"a\\\\b\"}");
	assert_one("\\", "{\"\\\\\"}");
	assert_one("ab\\", "{\"ab\\\\\"}");
	assert_one("\\\"", "{\"\\\\\\\"\"}");
	assert_one("\\x00ff1a", "{\"\\\\x00ff1a\"}");	/* bytea hex */
}

/* Braces, commas and spaces need no escape inside the quotes. */
static void
test_dbmerge_array_structure_chars(void)
{
	static const char *const v[] = { "{", "}", ",", "{a,b}" };

	assert_one("{a,b}", "{\"{a,b}\"}");
	assert_literal(v, 4, "{\"{\",\"}\",\",\",\"{a,b}\"}");
	assert_one(" lead and trail ", "{\" lead and trail \"}");
	assert_one("tab\tnl\n", "{\"tab\tnl\n\"}");
	/* The idempotency key of tests/it/t_079_purchase_batch.sh. */
	assert_one("a\"b\\c{d,e} NULL", "{\"a\\\"b\\\\c{d,e} NULL\"}");
}

/* UTF-8 passes byte for byte. */
static void
test_dbmerge_array_utf8(void)
{
	assert_one("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "{\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
}

/* A 64-character value (the longest API idempotency key), plain and
 * all backslashes (each doubled). */
static void
test_dbmerge_array_long(void)
{
	char	 v[65], want[64 * 2 + 5];
	size_t	 i;

	for (i = 0; i < 64; i++)
		v[i] = "0123456789abcdef"[i % 16];
	v[64] = '\0';
	snprintf(want, sizeof(want), "{\"%s\"}", v);
	assert_one(v, want);
	CU_ASSERT_EQUAL(strlen(want), 68);

	memset(v, '\\', 64);
	want[0] = '{';
	want[1] = '"';
	memset(want + 2, '\\', 128);
	memcpy(want + 130, "\"}", 3);
	assert_one(v, want);
	CU_ASSERT_EQUAL(strlen(want), 132);
}

/* A job of sql with params (NULL: SQL NULL), durable and merged as said. */
static struct db_job *
job(const char *sql, int durable, int merged, const char *const *params,
    int nparams)
{
	struct db_job	*j;
	int		 k;

	j = db_job_new(sql, durable, NULL, 0);
	j->merged = merged;
	for (k = 0; k < nparams; k++)
		db_job_param(j, params[k]);
	return j;
}

/*
 * A batch of durable jobs not merged, reads (one marked merged, which only
 * a durable job may be) and two merged SQLs, one of them also given as a
 * copy of its text: two calls, each job its row in order, the others no
 * call; each call's parameters are one array literal per parameter.
 */
static void
test_dbmerge_plan_mix(void)
{
	static const char *const p0[] = { "counter" };
	static const char *const a1[] = { "web1", "7", NULL };
	static const char *const b3[] = { "x" };
	static const char *const a4[] = { "web2", "8", "i\"d" };
	static const char *const r5[] = { "5" };
	static const char *const b6[] = { NULL };
	static const char *const a7[] = { "web1", "9", "a\\b{c,d}" };
	static const char *const p8[] = { "counter2" };
	char			 sql_a_copy[] = SQL_A;
	struct db_job		*jobs[9];
	struct dbmerge		 m;
	struct dbmerge_call	*a, *b, *c;
	size_t			 i;
	int			 row;

	jobs[0] = job("SELECT link_counter_add($1)", 1, 0, p0, 1);
	jobs[1] = job(SQL_A, 1, 1, a1, 3);
	jobs[2] = job(SQL_A, 0, 1, a1, 3);	/* a read: never merged */
	jobs[3] = job(SQL_B, 1, 1, b3, 1);
	jobs[4] = job(SQL_A, 1, 1, a4, 3);
	jobs[5] = job("SELECT camp_state($1)", 0, 0, r5, 1);
	jobs[6] = job(SQL_B, 1, 1, b6, 1);
	jobs[7] = job(sql_a_copy, 1, 1, a7, 3);	/* same text, other pointer */
	jobs[8] = job("SELECT link_counter_add($1)", 1, 0, p8, 1);

	dbmerge_plan(&m, jobs, 9);
	CU_ASSERT_EQUAL_FATAL(m.ncalls, 2);

	row = -1;
	a = dbmerge_call_of(&m, 1, &row);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(row, 0);
	CU_ASSERT_PTR_EQUAL(a, m.calls[0]);
	CU_ASSERT_PTR_EQUAL(a->sql, jobs[1]->sql);
	CU_ASSERT_EQUAL(a->nparams, 3);
	CU_ASSERT_EQUAL(a->njobs, 3);
	c = dbmerge_call_of(&m, 4, &row);
	CU_ASSERT_PTR_EQUAL(c, a);
	CU_ASSERT_EQUAL(row, 1);
	c = dbmerge_call_of(&m, 7, &row);
	CU_ASSERT_PTR_EQUAL(c, a);
	CU_ASSERT_EQUAL(row, 2);
	CU_ASSERT_STRING_EQUAL(a->params[0], "{\"web1\",\"web2\",\"web1\"}");
	CU_ASSERT_STRING_EQUAL(a->params[1], "{\"7\",\"8\",\"9\"}");
	CU_ASSERT_STRING_EQUAL(a->params[2],
	    "{NULL,\"i\\\"d\",\"a\\\\b{c,d}\"}");

	b = dbmerge_call_of(&m, 3, &row);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_EQUAL(b, m.calls[1]);
	CU_ASSERT_EQUAL(row, 0);
	c = dbmerge_call_of(&m, 6, &row);
	CU_ASSERT_PTR_EQUAL(c, b);
	CU_ASSERT_EQUAL(row, 1);
	CU_ASSERT_STRING_EQUAL(b->sql, SQL_B);
	CU_ASSERT_EQUAL(b->nparams, 1);
	CU_ASSERT_EQUAL(b->njobs, 2);
	CU_ASSERT_STRING_EQUAL(b->params[0], "{\"x\",NULL}");

	/* Not merged: durable without the mark, reads (marked or not). */
	for (i = 0; i < 9; i++) {
		if (i == 1 || i == 3 || i == 4 || i == 6 || i == 7)
			continue;
		CU_ASSERT_PTR_NULL(dbmerge_call_of(&m, i, &row));
		CU_ASSERT_EQUAL(m.call_of[i], -1);
	}
	CU_ASSERT_PTR_NULL(dbmerge_call_of(&m, DB_BATCH_MAX, &row));
	/* The jobs' own parameters are left as they were. */
	CU_ASSERT_PTR_NULL(jobs[1]->params[2]);
	CU_ASSERT_STRING_EQUAL(jobs[4]->params[2], "i\"d");

	dbmerge_clear(&m);
	CU_ASSERT_EQUAL(m.ncalls, 0);
	for (i = 0; i < 9; i++)
		db_job_free(jobs[i]);
}

/* No merged job: no call.  One merged job alone: a call of one. */
static void
test_dbmerge_plan_small(void)
{
	static const char *const a[] = { "web1", "1", "idem-0001" };
	struct db_job		*jobs[2];
	struct dbmerge		 m;
	struct dbmerge_call	*c;
	int			 row = -1;

	jobs[0] = job(SQL_A, 1, 0, a, 3);
	jobs[1] = job(SQL_A, 0, 0, a, 3);
	dbmerge_plan(&m, jobs, 2);
	CU_ASSERT_EQUAL(m.ncalls, 0);
	CU_ASSERT_PTR_NULL(dbmerge_call_of(&m, 0, &row));
	CU_ASSERT_PTR_NULL(dbmerge_call_of(&m, 1, &row));
	dbmerge_clear(&m);

	jobs[0]->merged = 1;
	dbmerge_plan(&m, jobs, 1);
	CU_ASSERT_EQUAL_FATAL(m.ncalls, 1);
	c = dbmerge_call_of(&m, 0, &row);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(row, 0);
	CU_ASSERT_EQUAL(c->njobs, 1);
	CU_ASSERT_STRING_EQUAL(c->params[0], "{\"web1\"}");
	CU_ASSERT_STRING_EQUAL(c->params[1], "{\"1\"}");
	CU_ASSERT_STRING_EQUAL(c->params[2], "{\"idem-0001\"}");
	dbmerge_clear(&m);

	dbmerge_plan(&m, jobs, 0);
	CU_ASSERT_EQUAL(m.ncalls, 0);
	dbmerge_clear(&m);
	db_job_free(jobs[0]);
	db_job_free(jobs[1]);
}

/*
 * A TUPLES_OK result of three columns (text r, int8 n, text x) and nrows
 * rows of cells[row * 3 + col] (NULL: SQL NULL).
 */
static PGresult *
result3(const char *const *cells, int nrows)
{
	PGresAttDesc	 cols[3];
	PGresult	*res;
	int		 i, f;

	memset(cols, 0, sizeof(cols));
	cols[0].name = (char *)"r";
	cols[0].typid = 25;		/* text */
	cols[0].typlen = -1;
	cols[0].atttypmod = -1;
	cols[1].name = (char *)"n";
	cols[1].typid = 20;		/* int8 */
	cols[1].typlen = 8;
	cols[1].atttypmod = -1;
	cols[2].name = (char *)"x";
	cols[2].typid = 25;
	cols[2].typlen = -1;
	cols[2].atttypmod = -1;
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_FATAL(PQsetResultAttrs(res, 3, cols) == 1);
	for (i = 0; i < nrows; i++)
		for (f = 0; f < 3; f++) {
			const char *v = cells[i * 3 + f];

			CU_ASSERT_FATAL(PQsetvalue(res, i, f, (char *)v,
			    v != NULL ? (int)strlen(v) : -1) == 1);
		}
	return res;
}

/* Asserts that one is a one-row result equal to row of all. */
static void
assert_row(const PGresult *one, const PGresult *all, int row)
{
	int	 f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_EQUAL(PQresultStatus(one), PGRES_TUPLES_OK);
	CU_ASSERT_EQUAL(PQntuples(one), 1);
	CU_ASSERT_EQUAL_FATAL(PQnfields(one), PQnfields(all));
	for (f = 0; f < PQnfields(all); f++) {
		CU_ASSERT_STRING_EQUAL(PQfname(one, f), PQfname(all, f));
		CU_ASSERT_EQUAL(PQftype(one, f), PQftype(all, f));
		CU_ASSERT_EQUAL(PQfsize(one, f), PQfsize(all, f));
		CU_ASSERT_EQUAL(PQfmod(one, f), PQfmod(all, f));
		CU_ASSERT_EQUAL(PQfformat(one, f), PQfformat(all, f));
		CU_ASSERT_EQUAL(PQgetisnull(one, 0, f),
		    PQgetisnull(all, row, f));
		CU_ASSERT_EQUAL(PQgetlength(one, 0, f),
		    PQgetlength(all, row, f));
		CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, f),
		    PQgetvalue(all, row, f));
	}
}

/* Each row comes out alone, every column, SQL NULL kept apart from "". */
static void
test_dbmerge_row(void)
{
	static const char *const cells[] = {
		"{\"ok\":true,\"idx\":0}", "10", NULL,
		NULL, "-3", "",
		"{\"ok\":false,\"code\":\"sold\"}", NULL, "caf\xc3\xa9",
	};
	PGresult	*all, *one;
	int		 row;

	all = result3(cells, 3);
	for (row = 0; row < 3; row++) {
		one = dbmerge_row(all, row);
		assert_row(one, all, row);
		PQclear(one);
	}

	one = dbmerge_row(all, 0);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, 0), "{\"ok\":true,\"idx\":0}");
	CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, 1), "10");
	CU_ASSERT(PQgetisnull(one, 0, 2));
	CU_ASSERT_EQUAL(PQfnumber(one, "n"), 1);
	PQclear(one);
	one = dbmerge_row(all, 1);
	CU_ASSERT(PQgetisnull(one, 0, 0));
	CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, 1), "-3");
	CU_ASSERT(!PQgetisnull(one, 0, 2));
	CU_ASSERT_EQUAL(PQgetlength(one, 0, 2), 0);
	PQclear(one);
	one = dbmerge_row(all, 2);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, 0),
	    "{\"ok\":false,\"code\":\"sold\"}");
	CU_ASSERT(PQgetisnull(one, 0, 1));
	CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, 2), "caf\xc3\xa9");
	PQclear(one);
	PQclear(all);
}

/* A job's result is a result of its own: it outlives the call's. */
static void
test_dbmerge_row_outlives(void)
{
	static const char *const cells[] = { "answer", "1", NULL };
	PGresult	*all, *one;

	all = result3(cells, 1);
	one = dbmerge_row(all, 0);
	PQclear(all);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(one, 0, 0), "answer");
	CU_ASSERT(PQgetisnull(one, 0, 2));
	PQclear(one);
}

/* One row per job fits; fewer, more, none, an error or no result do not. */
static void
test_dbmerge_fits(void)
{
	static const char *const cells[] = {
		"a", "1", NULL, "b", "2", NULL, "c", "3", NULL,
	};
	struct dbmerge_call	 call;
	PGresult		*res;

	memset(&call, 0, sizeof(call));
	call.njobs = 2;
	res = result3(cells, 2);
	CU_ASSERT(dbmerge_fits(&call, res));
	PQclear(res);
	res = result3(cells, 1);
	CU_ASSERT(!dbmerge_fits(&call, res));
	PQclear(res);
	res = result3(cells, 3);
	CU_ASSERT(!dbmerge_fits(&call, res));
	PQclear(res);
	res = result3(cells, 0);
	CU_ASSERT(!dbmerge_fits(&call, res));
	PQclear(res);
	CU_ASSERT(!dbmerge_fits(&call, NULL));
	res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
	CU_ASSERT(!dbmerge_fits(&call, res));
	PQclear(res);
	res = PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
	CU_ASSERT(!dbmerge_fits(&call, res));
	PQclear(res);
	res = PQmakeEmptyPGresult(NULL, PGRES_PIPELINE_ABORTED);
	CU_ASSERT(!dbmerge_fits(&call, res));
	PQclear(res);
	call.njobs = 1;
	res = result3(cells, 1);
	CU_ASSERT(dbmerge_fits(&call, res));
	PQclear(res);
}

static CU_TestInfo tests[] = {
	{ "test_dbmerge_array_plain", test_dbmerge_array_plain },
	{ "test_dbmerge_array_empty_string", test_dbmerge_array_empty_string },
	{ "test_dbmerge_array_null", test_dbmerge_array_null },
	{ "test_dbmerge_array_quote_backslash",
	    test_dbmerge_array_quote_backslash },
	{ "test_dbmerge_array_structure_chars",
	    test_dbmerge_array_structure_chars },
	{ "test_dbmerge_array_utf8", test_dbmerge_array_utf8 },
	{ "test_dbmerge_array_long", test_dbmerge_array_long },
	{ "test_dbmerge_plan_mix", test_dbmerge_plan_mix },
	{ "test_dbmerge_plan_small", test_dbmerge_plan_small },
	{ "test_dbmerge_row", test_dbmerge_row },
	{ "test_dbmerge_row_outlives", test_dbmerge_row_outlives },
	{ "test_dbmerge_fits", test_dbmerge_fits },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "dbmerge", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
