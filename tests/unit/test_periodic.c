/*
 * Tests of worker/periodic.c, the thread under the payer, the liveness
 * judge and the webhook sender: the step runs every poll_ms, every
 * fail_ms after a failure, at once after periodic_wake; periodic_stop
 * ends a long wait at once; a change of health is logged once each way.
 * No database: the job's connection is made on first use and these steps
 * never use it.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cunit_main.h"
#include "log.h"
#include "periodic.h"

#define NO_DB	"host=/nonexistent dbname=none connect_timeout=1"

struct counted {
	struct periodic	 job;
	atomic_int	 runs;
	int		 fail_first;	/* runs that fail, then all succeed */
};

static int
counted_step(void *arg)
{
	struct counted	*c = arg;
	int		 n = atomic_fetch_add(&c->runs, 1) + 1;

	if (n > c->fail_first)
		return 0;
	snprintf(c->job.err, sizeof(c->job.err), "boom %d", n > 1);
	return -1;
}

/* Starts c's job with poll_ms and fail_ms; CUnit-fatal when it cannot. */
static void
counted_start(struct counted *c, const char *name, int poll_ms, int fail_ms)
{
	struct periodic_cfg	 cfg = { name, NO_DB, poll_ms, fail_ms,
				    counted_step, NULL };

	cfg.arg = c;
	atomic_init(&c->runs, 0);
	CU_ASSERT_EQUAL_FATAL(periodic_start(&c->job, &cfg), 0);
}

/* Waits up to ms for c to have run at least n times; 1 when it did. */
static int
runs_reach(struct counted *c, int n, int ms)
{
	struct timespec	 nap = { 0, 2 * 1000 * 1000 };
	int64_t		 end = clock_mono_ms() + ms;

	while (atomic_load(&c->runs) < n && clock_mono_ms() < end)
		nanosleep(&nap, NULL);
	return atomic_load(&c->runs) >= n;
}

/* Runs keep coming every poll_ms; the connection string is copied. */
static void
test_periodic_polls(void)
{
	struct counted	 c = { .fail_first = 0 };
	char		 conninfo[] = NO_DB;
	struct periodic_cfg cfg = { "t_poll", conninfo, 10, 10, counted_step,
			    &c };

	atomic_init(&c.runs, 0);
	CU_ASSERT_EQUAL_FATAL(periodic_start(&c.job, &cfg), 0);
	memset(conninfo, 'x', sizeof(conninfo) - 1);
	CU_ASSERT_STRING_EQUAL(c.job.db.conninfo, NO_DB);
	CU_ASSERT_TRUE(runs_reach(&c, 5, 5000));
	periodic_stop(&c.job);
}

/*
 * With a period of a minute: one run at start, the next only when woken,
 * a wake during a step is not lost, and stop ends the wait at once.
 */
static void
test_periodic_wake_stop(void)
{
	struct counted	 c = { .fail_first = 0 };
	struct timespec	 nap = { 0, 100 * 1000 * 1000 };
	int64_t		 t0;

	counted_start(&c, "t_wake", 60000, 60000);
	CU_ASSERT_TRUE(runs_reach(&c, 1, 5000));
	nanosleep(&nap, NULL);
	CU_ASSERT_EQUAL(atomic_load(&c.runs), 1);
	periodic_wake(&c.job);
	CU_ASSERT_TRUE(runs_reach(&c, 2, 5000));
	periodic_wake(&c.job);
	CU_ASSERT_TRUE(runs_reach(&c, 3, 5000));
	nanosleep(&nap, NULL);
	CU_ASSERT_EQUAL(atomic_load(&c.runs), 3);
	t0 = clock_mono_ms();
	periodic_stop(&c.job);
	CU_ASSERT_TRUE(clock_mono_ms() - t0 < 2000);
	CU_ASSERT_EQUAL(atomic_load(&c.runs), 3);
}

/* A failed run waits fail_ms, not poll_ms. */
static void
test_periodic_fail_wait(void)
{
	struct counted	 c = { .fail_first = 1 };
	struct timespec	 nap = { 0, 300 * 1000 * 1000 };

	counted_start(&c, "t_fail", 5, 60000);
	CU_ASSERT_TRUE(runs_reach(&c, 1, 5000));
	nanosleep(&nap, NULL);
	CU_ASSERT_EQUAL(atomic_load(&c.runs), 1);
	periodic_stop(&c.job);
}

/* Counts the lines of log holding both a and b. */
static int
log_lines(FILE *log, const char *a, const char *b)
{
	char	 line[LOG_LINE_MAX];
	int	 n = 0;

	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL)
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	return n;
}

/*
 * Three failed runs (two errors) then good ones: "_failing" logged once
 * per error, "_ok" once with the last error.
 */
static void
test_periodic_health_log(void)
{
	struct counted	 c = { .fail_first = 3 };
	FILE		*log;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log = tmpfile());
	log_set_output(log);
	counted_start(&c, "t_health", 2, 2);
	CU_ASSERT_TRUE(runs_reach(&c, 8, 5000));
	periodic_stop(&c.job);
	log_set_output(stderr);
	CU_ASSERT_EQUAL(log_lines(log, "event=t_health_failing",
	    "error=\"boom 0\""), 1);
	CU_ASSERT_EQUAL(log_lines(log, "event=t_health_failing",
	    "error=\"boom 1\""), 1);
	CU_ASSERT_EQUAL(log_lines(log, "event=t_health_failing", ""), 2);
	CU_ASSERT_EQUAL(log_lines(log, "event=t_health_ok",
	    "was=\"boom 1\""), 1);
	CU_ASSERT_EQUAL(log_lines(log, "event=t_health_ok", ""), 1);
	fclose(log);
}

static int
periodic_suite_init(void)
{
	log_init("test_periodic", LOG_LVL_INFO);
	return 0;
}

static CU_TestInfo periodic_tests[] = {
	{ "test_periodic_polls", test_periodic_polls },
	{ "test_periodic_wake_stop", test_periodic_wake_stop },
	{ "test_periodic_fail_wait", test_periodic_fail_wait },
	{ "test_periodic_health_log", test_periodic_health_log },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "periodic", periodic_suite_init, NULL, NULL, NULL, periodic_tests },
	CU_SUITE_INFO_NULL
};
