/*
 * CUnit suite for worker/db.c's reading of a finished job: what a read
 * found (db_job_lookup) and its values.  Results are built with libpq's
 * PQmakeEmptyPGresult and PQsetvalue, so no server is needed.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"
#include <libpq-fe.h>

#include "db.h"

/* A TUPLES_OK result of one text column and rows (NULL: SQL NULL). */
static PGresult *
result_rows(const char *const *rows, int nrows)
{
	PGresAttDesc	 col;
	PGresult	*res;
	int		 i;

	memset(&col, 0, sizeof(col));
	col.name = (char *)"v";
	col.typid = 25;		/* text */
	col.typlen = -1;
	col.atttypmod = -1;
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_FATAL(PQsetResultAttrs(res, 1, &col) == 1);
	for (i = 0; i < nrows; i++)
		CU_ASSERT_FATAL(PQsetvalue(res, i, 0, (char *)rows[i],
		    rows[i] != NULL ? (int)strlen(rows[i]) : -1) == 1);
	return res;
}

/* A job as the database thread hands it back with res (taken). */
static struct db_job *
job_with(PGresult *res)
{
	struct db_job	*j;

	j = db_job_new("SELECT camp_state($1)", 0, NULL, 0);
	j->res = res;
	return j;
}

static void
test_db_lookup_found(void)
{
	static const char *const rows[] = { "{\"id\":1}" };
	struct db_job	*j = job_with(result_rows(rows, 1));

	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_FOUND);
	CU_ASSERT_STRING_EQUAL(db_job_value(j, 0, 0), "{\"id\":1}");
	db_job_free(j);
}

/* Both ways SQL says "none": no row, or a NULL (camp_state of no id). */
static void
test_db_lookup_absent(void)
{
	static const char *const nul[] = { NULL };
	struct db_job	*j;

	j = job_with(result_rows(NULL, 0));
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_ABSENT);
	db_job_free(j);
	j = job_with(result_rows(nul, 1));
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_ABSENT);
	CU_ASSERT_PTR_NULL(db_job_value(j, 0, 0));
	db_job_free(j);
	j = job_with(PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK));
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_ABSENT);
	db_job_free(j);
}

/* A read that did not run is never absence: no result, or an error. */
static void
test_db_lookup_unknown(void)
{
	struct db_job	*j;

	j = job_with(NULL);
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_UNKNOWN);
	CU_ASSERT_PTR_NULL(db_job_value(j, 0, 0));
	db_job_free(j);
	j = job_with(PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR));
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_UNKNOWN);
	db_job_free(j);
	j = job_with(PQmakeEmptyPGresult(NULL, PGRES_PIPELINE_ABORTED));
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_UNKNOWN);
	db_job_free(j);
}

static CU_TestInfo tests[] = {
	{ "test_db_lookup_found", test_db_lookup_found },
	{ "test_db_lookup_absent", test_db_lookup_absent },
	{ "test_db_lookup_unknown", test_db_lookup_unknown },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "db", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
