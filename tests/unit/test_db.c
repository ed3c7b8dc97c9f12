/*
 * CUnit suite for worker/db.c without a server: the reading of a finished
 * job (what a read found, db_job_lookup, and its values; results built
 * with libpq's PQmakeEmptyPGresult and PQsetvalue), a job's parameters,
 * and the job queue of the database thread against a database that
 * cannot be reached (reads come back failed, in order, with the eventfd
 * written; a durable job is retried, never answered as failed), and that
 * a worker without a lock puts no lease fence in its transactions.
 */
#include <sys/eventfd.h>

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"
#include <libpq-fe.h>

#include "db.h"
#include "lease.h"

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

/* Parameters are copies, SQL NULL stays NULL, bytes go as bytea hex. */
static void
test_db_job_params(void)
{
	static const uint8_t	 bytes[] = { 0x00, 0xff, 0x1a };
	struct db_job		*j;
	char			 v[] = "abc";

	j = db_job_new("SELECT $1, $2, $3, $4", 1, &v, 7);
	db_job_param(j, v);
	v[0] = 'X';
	db_job_param(j, NULL);
	db_job_paramf(j, "%d-%s", 42, "x");
	db_job_param_hex(j, bytes, sizeof(bytes));
	CU_ASSERT_EQUAL(j->nparams, 4);
	CU_ASSERT_STRING_EQUAL(j->params[0], "abc");
	CU_ASSERT_PTR_NULL(j->params[1]);
	CU_ASSERT_STRING_EQUAL(j->params[2], "42-x");
	CU_ASSERT_STRING_EQUAL(j->params[3], "\\x00ff1a");
	CU_ASSERT_EQUAL(j->durable, 1);
	CU_ASSERT_PTR_EQUAL(j->ctx, &v);
	CU_ASSERT_EQUAL(j->tag, 7);
	/* A command's result: ok, but no value to read. */
	j->res = PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
	CU_ASSERT(db_job_ok(j));
	CU_ASSERT_PTR_NULL(db_job_value(j, 0, 0));
	CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_ABSENT);
	db_job_free(j);
	db_job_free(NULL);
}

/* A database nobody listens for: a socket folder that does not exist. */
#define DB_NOWHERE	"host=/nonexistent-abc-test port=1 dbname=x " \
			"connect_timeout=2"

/* Waits up to 10 s for the eventfd; 1 when it was written. */
static int
wait_done(int fd)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };
	uint64_t	 n;

	if (poll(&p, 1, 10000) != 1)
		return 0;
	return read(fd, &n, sizeof(n)) == sizeof(n) && n > 0;
}

/*
 * Reads handed to the thread come back, oldest first, each failed with
 * a reason and never "absent"; the eventfd says so.
 */
static void
test_db_queue_reads_unreachable(void)
{
	struct db_job	*j, *done = NULL, **tail = &done;
	struct db_stats	 st;
	struct db	*db;
	int		 fd, i, n = 0;

	fd = eventfd(0, EFD_CLOEXEC);
	CU_ASSERT_FATAL(fd != -1);
	db = db_start(DB_NOWHERE, fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	for (i = 0; i < 3; i++)
		db_submit(db, db_job_new("SELECT 1", 0, NULL, i));
	while (n < 3 && wait_done(fd))
		for (*tail = db_take_done(db); *tail != NULL;
		    tail = &(*tail)->next)
			n++;
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0, j = done; j != NULL; j = j->next, i++) {
		CU_ASSERT_EQUAL(j->tag, i);
		CU_ASSERT_PTR_NULL(j->res);
		CU_ASSERT(j->error[0] != '\0');
		CU_ASSERT_EQUAL(db_job_lookup(j), LOOKUP_UNKNOWN);
	}
	while ((j = done) != NULL) {
		done = j->next;
		db_job_free(j);
	}
	CU_ASSERT_PTR_NULL(db_take_done(db));
	db_get_stats(db, &st);
	CU_ASSERT_EQUAL(st.jobs, 3);
	db_stop(db);
	close(fd);
}

/*
 * A durable job is never answered "failed" because the database is
 * down: the thread retries it (its request_log row decides on the
 * retry), and at stop it is dropped unanswered, for the client to send
 * again to the next worker.
 */
static void
test_db_queue_durable_retried(void)
{
	struct pollfd	 p;
	struct db_stats	 st;
	struct db	*db;
	int		 fd, i;

	fd = eventfd(0, EFD_CLOEXEC);
	CU_ASSERT_FATAL(fd != -1);
	db = db_start(DB_NOWHERE, fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	db_submit(db, db_job_new("SELECT link_counter_add($1)", 1, NULL, 0));
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 100 && st.retries < 2; i++) {
		usleep(50 * 1000);
		db_get_stats(db, &st);
	}
	CU_ASSERT(st.retries >= 2);
	CU_ASSERT_EQUAL(st.jobs, 0);
	CU_ASSERT_PTR_NULL(db_take_done(db));
	p.fd = fd;
	p.events = POLLIN;
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);
	db_stop(db);		/* frees the unanswered job */
	close(fd);
}

/*
 * A worker without a lock (one host, active_lock = no) may act and puts
 * no fence in its transactions: lease_fence_token is 0, and db.c then
 * sends BEGIN and the jobs alone (the durable test above runs that way).
 */
static void
test_db_no_fence_without_lock(void)
{
	CU_ASSERT_EQUAL(lease_fence_token(), 0);
	CU_ASSERT(lease_may_act());
}

static CU_TestInfo tests[] = {
	{ "test_db_lookup_found", test_db_lookup_found },
	{ "test_db_lookup_absent", test_db_lookup_absent },
	{ "test_db_lookup_unknown", test_db_lookup_unknown },
	{ "test_db_job_params", test_db_job_params },
	{ "test_db_queue_reads_unreachable", test_db_queue_reads_unreachable },
	{ "test_db_queue_durable_retried", test_db_queue_durable_retried },
	{ "test_db_no_fence_without_lock", test_db_no_fence_without_lock },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "db", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
