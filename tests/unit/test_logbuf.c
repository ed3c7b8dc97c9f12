/* CUnit suite for web/logbuf.c: abc-web's log lines written in batches. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "log.h"
#include "logbuf.h"

#define INFO1	"ts=2026-01-01T00:00:00.000Z level=info prog=t event=a x=1\n"
#define INFO2	"ts=2026-01-01T00:00:00.000Z level=debug prog=t event=b x=2\n"
#define WARN1	"ts=2026-01-01T00:00:00.000Z level=warn prog=t event=c x=3\n"

static int	 pfd[2];

/* A pipe whose read end does not block. */
static void
mkpipe(void)
{
	CU_ASSERT_FATAL(pipe(pfd) == 0);
	CU_ASSERT_FATAL(fcntl(pfd[0], F_SETFL, O_NONBLOCK) == 0);
}

static void
rmpipe(void)
{
	close(pfd[0]);
	close(pfd[1]);
}

/* Reads what the pipe holds into out (NUL-ended); its length. */
static size_t
drain(char *out, size_t size)
{
	size_t	 len = 0;
	ssize_t	 n;

	while (len + 1 < size &&
	    (n = read(pfd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	return len;
}

/* Writes one line to the stream as common/log.c does. */
static void
line(FILE *f, const char *s)
{
	CU_ASSERT(fwrite(s, 1, strlen(s), f) == strlen(s));
	CU_ASSERT(fflush(f) == 0);
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* Info and debug lines wait for the flush; then come out whole, in order. */
static void
test_logbuf_routine_lines_wait(void)
{
	struct logbuf	*lb;
	char		 got[1024];

	mkpipe();
	lb = logbuf_start(pfd[1], 1000);
	CU_ASSERT_FATAL(lb != NULL);
	line(logbuf_file(lb), INFO1);
	line(logbuf_file(lb), INFO2);
	CU_ASSERT_EQUAL(drain(got, sizeof(got)), 0);
	logbuf_flush(lb);
	drain(got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, INFO1 INFO2);
	logbuf_stop(lb);
	rmpipe();
}

/* A warning is written at once, after the lines before it. */
static void
test_logbuf_warning_at_once(void)
{
	struct logbuf	*lb;
	char		 got[1024];

	mkpipe();
	lb = logbuf_start(pfd[1], 1000);
	CU_ASSERT_FATAL(lb != NULL);
	line(logbuf_file(lb), INFO1);
	line(logbuf_file(lb), WARN1);
	drain(got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, INFO1 WARN1);
	/* A line that does not look like ours is not held back either. */
	line(logbuf_file(lb), "abc-web: something\n");
	drain(got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "abc-web: something\n");
	logbuf_stop(lb);
	rmpipe();
}

/* The thread writes what waits within flush_ms; stop writes the rest. */
static void
test_logbuf_timer_and_stop(void)
{
	struct logbuf	*lb;
	char		 got[1024];
	int		 i;

	mkpipe();
	lb = logbuf_start(pfd[1], 10);
	CU_ASSERT_FATAL(lb != NULL);
	line(logbuf_file(lb), INFO1);
	got[0] = '\0';
	for (i = 0; i < 100 && got[0] == '\0'; i++) {
		sleep_ms(5);
		drain(got, sizeof(got));
	}
	CU_ASSERT_STRING_EQUAL(got, INFO1);
	logbuf_stop(lb);
	lb = logbuf_start(pfd[1], 1000);
	CU_ASSERT_FATAL(lb != NULL);
	line(logbuf_file(lb), INFO2);
	logbuf_stop(lb);
	drain(got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, INFO2);
	rmpipe();
}

/* flush_ms 0: every line at once (the old behaviour); bad values refused. */
static void
test_logbuf_zero_and_bounds(void)
{
	struct logbuf	*lb;
	char		 got[1024];

	mkpipe();
	lb = logbuf_start(pfd[1], 0);
	CU_ASSERT_FATAL(lb != NULL);
	line(logbuf_file(lb), INFO1);
	drain(got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, INFO1);
	logbuf_stop(lb);
	CU_ASSERT_PTR_NULL(logbuf_start(pfd[1], -1));
	CU_ASSERT_PTR_NULL(logbuf_start(pfd[1], 1001));
	logbuf_stop(NULL);
	rmpipe();
}

/* Through common/log.c: the lines it formats, info held, warn at once. */
static void
test_logbuf_with_log(void)
{
	struct logbuf	*lb;
	char		 got[2048];

	mkpipe();
	lb = logbuf_start(pfd[1], 1000);
	CU_ASSERT_FATAL(lb != NULL);
	log_init("t", LOG_LVL_INFO);
	log_set_output(logbuf_file(lb));
	log_info("request", "path=\"/c/1\" status=200");
	CU_ASSERT_EQUAL(drain(got, sizeof(got)), 0);
	log_warn("oops", "n=1");
	drain(got, sizeof(got));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "level=info prog=t event=request "
	    "path=\"/c/1\" status=200\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "level=warn prog=t event=oops "
	    "n=1\n"));
	CU_ASSERT(strstr(got, "event=request") < strstr(got, "event=oops"));
	log_set_output(NULL);
	logbuf_stop(lb);
	rmpipe();
}

static CU_TestInfo tests[] = {
	{ "test_logbuf_routine_lines_wait", test_logbuf_routine_lines_wait },
	{ "test_logbuf_warning_at_once", test_logbuf_warning_at_once },
	{ "test_logbuf_timer_and_stop", test_logbuf_timer_and_stop },
	{ "test_logbuf_zero_and_bounds", test_logbuf_zero_and_bounds },
	{ "test_logbuf_with_log", test_logbuf_with_log },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "logbuf", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
