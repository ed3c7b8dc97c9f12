/*
 * Tests of worker/pgprep.c, the bookkeeping of a connection's prepared
 * statements: a text is new once and ready after it was prepared; the
 * same text at another address is the same statement; a refused prepare
 * is tried again; a new session (pgprep_forget) has nothing; past three
 * quarters of the table a text goes unnamed, and texts already there
 * keep their names.
 */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "pgprep.h"

static void
test_pgprep_new_then_ready(void)
{
	struct pgprep	*p = pgprep_new();
	const char	*name, *again;
	char		 copy[64];

	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT 1", &name), PGPREP_NEW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_EQUAL(strncmp(name, "abc_", 4), 0);
	/* Not reported yet: still new, under the same name. */
	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT 1", &again), PGPREP_NEW);
	CU_ASSERT_STRING_EQUAL(again, name);
	pgprep_done(p, "SELECT 1", 1);
	snprintf(copy, sizeof(copy), "SELECT %d", 1);	/* another address */
	CU_ASSERT_EQUAL(pgprep_lookup(p, copy, &again), PGPREP_READY);
	CU_ASSERT_STRING_EQUAL(again, name);
	CU_ASSERT_EQUAL(pgprep_count(p), 1);
	/* Another text, another name. */
	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT 2", &again), PGPREP_NEW);
	CU_ASSERT_STRING_NOT_EQUAL(again, name);
	pgprep_free(p);
}

static void
test_pgprep_refused_retried(void)
{
	struct pgprep	*p = pgprep_new();
	const char	*name;

	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT nosuch()", &name),
	    PGPREP_NEW);
	pgprep_done(p, "SELECT nosuch()", 0);
	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT nosuch()", &name),
	    PGPREP_NEW);
	CU_ASSERT_EQUAL(pgprep_count(p), 0);
	/* Reporting a text never looked up changes nothing. */
	pgprep_done(p, "SELECT other()", 1);
	CU_ASSERT_EQUAL(pgprep_count(p), 0);
	pgprep_free(p);
}

static void
test_pgprep_forget(void)
{
	struct pgprep	*p = pgprep_new();
	const char	*name;

	(void)pgprep_lookup(p, "SELECT 1", &name);
	pgprep_done(p, "SELECT 1", 1);
	pgprep_forget(p);
	CU_ASSERT_EQUAL(pgprep_count(p), 0);
	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT 1", &name), PGPREP_NEW);
	pgprep_free(p);
}

static void
test_pgprep_full(void)
{
	struct pgprep	*p = pgprep_new();
	const char	*name;
	char		 sql[32];
	int		 i, limit = PGPREP_MAX / 4 * 3;

	for (i = 0; i < limit; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		CU_ASSERT_EQUAL(pgprep_lookup(p, sql, &name), PGPREP_NEW);
		pgprep_done(p, sql, 1);
	}
	CU_ASSERT_EQUAL(pgprep_count(p), limit);
	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT 'one more'", &name),
	    PGPREP_FULL);
	CU_ASSERT_PTR_NULL(name);
	/* Those in the table keep working. */
	for (i = 0; i < limit; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		CU_ASSERT_EQUAL(pgprep_lookup(p, sql, &name), PGPREP_READY);
	}
	pgprep_forget(p);
	CU_ASSERT_EQUAL(pgprep_lookup(p, "SELECT 'one more'", &name),
	    PGPREP_NEW);
	pgprep_free(p);
}

static CU_TestInfo pgprep_tests[] = {
	{ "a text is new, then ready", test_pgprep_new_then_ready },
	{ "a refused prepare is tried again", test_pgprep_refused_retried },
	{ "a new session has nothing prepared", test_pgprep_forget },
	{ "a full table sends unnamed", test_pgprep_full },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "pgprep", NULL, NULL, NULL, NULL, pgprep_tests },
	CU_SUITE_INFO_NULL
};
