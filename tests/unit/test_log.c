/* CUnit tests for common/log.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "log.h"

#define THREADS		4
#define PER_THREAD	200

static FILE	*out;

static int	 suite_init(void);
static int	 suite_clean(void);
static void	 setup(void);
static char	*slurp(size_t *len);
static size_t	 count_lines(const char *s, size_t len);
static const char *after_prefix(const char *line);
static void	*thread_main(void *arg);

static int
suite_init(void)
{
	if ((out = tmpfile()) == NULL)
		return -1;
	log_set_output(out);
	return 0;
}

static int
suite_clean(void)
{
	log_set_output(NULL);
	return fclose(out) == 0 ? 0 : -1;
}

/* Empty the capture file before each test. */
static void
setup(void)
{
	log_init("abc-test", LOG_LVL_DEBUG);
	rewind(out);
	CU_ASSERT_EQUAL(ftruncate(fileno(out), 0), 0);
}

/* Returns everything logged so far as a new NUL-terminated string. */
static char *
slurp(size_t *len)
{
	char	*s;
	long	 n;

	CU_ASSERT_EQUAL_FATAL(fflush(out), 0);
	n = ftell(out);
	CU_ASSERT_FATAL(n >= 0);
	s = calloc(1, (size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	rewind(out);
	CU_ASSERT_EQUAL(fread(s, 1, (size_t)n, out), (size_t)n);
	*len = (size_t)n;
	return s;
}

static size_t
count_lines(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return n;
}

/* Checks the timestamp shape and returns what follows "ts=... ". */
static const char *
after_prefix(const char *line)
{
	static const char	 shape[] = "ts=dddd-dd-ddTdd:dd:dd.dddZ ";
	size_t			 i;

	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd') {
			if (line[i] < '0' || line[i] > '9')
				return NULL;
		} else if (line[i] != shape[i])
			return NULL;
	}
	return line + sizeof(shape) - 1;
}

static void
test_log_line_format(void)
{
	char		*s;
	const char	*rest;
	size_t		 len;

	setup();
	log_info("http_listen", "port=%d addr=%s", 8080, "127.0.0.1");
	s = slurp(&len);
	rest = after_prefix(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rest);
	CU_ASSERT_STRING_EQUAL(rest, "level=info prog=abc-test "
	    "event=http_listen port=8080 addr=127.0.0.1\n");
	free(s);
}

static void
test_log_escapes_newline_and_non_ascii(void)
{
	char		*s;
	const char	*rest;
	size_t		 len;

	setup();
	log_warn("bad_input", "user=%s note=%s", "evil\nlevel=error",
	    "caf\xc3\xa9\t\x7f");
	s = slurp(&len);
	CU_ASSERT_EQUAL(count_lines(s, len), 1);
	rest = after_prefix(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rest);
	CU_ASSERT_STRING_EQUAL(rest, "level=warn prog=abc-test "
	    "event=bad_input user=evil\\x0alevel=error "
	    "note=caf\\xc3\\xa9\\x09\\x7f\n");
	free(s);
}

static void
test_log_one_line_per_call(void)
{
	char	*s;
	size_t	 len;

	setup();
	log_error("e1", "a=%s", "x\ny\nz");
	log_debug("e2", "b=\r\n");
	log_info("e3", "%s", "");
	s = slurp(&len);
	CU_ASSERT_EQUAL(count_lines(s, len), 3);
	CU_ASSERT_EQUAL(s[len - 1], '\n');
	free(s);
}

static void
test_log_level_filter(void)
{
	char	*s;
	size_t	 len;

	setup();
	log_init(NULL, LOG_LVL_WARN);
	log_debug("d", "x=1");
	log_info("i", "x=1");
	log_warn("w", "x=1");
	log_error("e", "x=1");
	s = slurp(&len);
	CU_ASSERT_EQUAL(count_lines(s, len), 2);
	CU_ASSERT_PTR_NULL(strstr(s, "event=i "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "level=error prog=abc-test event=e "));
	free(s);
}

static void
test_log_truncates_at_limit(void)
{
	char	*s, *big;
	size_t	 len;

	setup();
	big = malloc(5000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'v', 4999);
	big[4999] = '\0';
	log_info("big", "v=%s", big);
	s = slurp(&len);
	CU_ASSERT_EQUAL(len, LOG_LINE_MAX);
	CU_ASSERT_EQUAL(count_lines(s, len), 1);
	CU_ASSERT_EQUAL(s[len - 1], '\n');
	free(s);

	/* An escape is never cut in half. */
	setup();
	memset(big, 1, 4999);
	log_info("big", "v=%s", big);
	s = slurp(&len);
	CU_ASSERT(len <= LOG_LINE_MAX);
	CU_ASSERT_EQUAL(count_lines(s, len), 1);
	CU_ASSERT(len > 6 && memcmp(s + len - 5, "\\x01\n", 5) == 0);
	free(s);
	free(big);
}

static void
test_log_keeps_errno(void)
{
	setup();
	errno = EBADF;
	log_info("e", "x=%d", 1);
	CU_ASSERT_EQUAL(errno, EBADF);
	errno = ENOENT;
	log_debug("e", "x=%d", 1);
	log_init("p", LOG_LVL_ERROR);
	log_debug("e", "x=%d", 1);
	CU_ASSERT_EQUAL(errno, ENOENT);
}

static void
test_log_level_parse(void)
{
	enum log_level	 l = LOG_LVL__MAX;

	CU_ASSERT_EQUAL(log_level_parse("debug", &l), 0);
	CU_ASSERT_EQUAL(l, LOG_LVL_DEBUG);
	CU_ASSERT_EQUAL(log_level_parse("info", &l), 0);
	CU_ASSERT_EQUAL(l, LOG_LVL_INFO);
	CU_ASSERT_EQUAL(log_level_parse("warn", &l), 0);
	CU_ASSERT_EQUAL(l, LOG_LVL_WARN);
	CU_ASSERT_EQUAL(log_level_parse("error", &l), 0);
	CU_ASSERT_EQUAL(l, LOG_LVL_ERROR);
	CU_ASSERT_EQUAL(log_level_parse("loud", &l), -1);
	CU_ASSERT_EQUAL(log_level_parse("", &l), -1);
	CU_ASSERT_EQUAL(log_level_parse(NULL, &l), -1);
	CU_ASSERT_EQUAL(l, LOG_LVL_ERROR);
}

static void *
thread_main(void *arg)
{
	int	 i, t = *(int *)arg;

	for (i = 0; i < PER_THREAD; i++)
		log_info("tick", "thread=%d i=%d pad=%s", t, i,
		    "0123456789abcdef0123456789abcdef");
	return NULL;
}

static void
test_log_threads_do_not_interleave(void)
{
	pthread_t	 th[THREADS];
	int		 ids[THREADS], i;
	char		*s, *line, *nl;
	size_t		 len, n = 0;

	setup();
	for (i = 0; i < THREADS; i++) {
		ids[i] = i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, thread_main,
		    &ids[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		CU_ASSERT_EQUAL(pthread_join(th[i], NULL), 0);
	s = slurp(&len);
	CU_ASSERT_EQUAL(count_lines(s, len), THREADS * PER_THREAD);
	for (line = s; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		CU_ASSERT_PTR_NOT_NULL(strstr(line,
		    " pad=0123456789abcdef0123456789abcdef"));
		n++;
	}
	CU_ASSERT_EQUAL(n, THREADS * PER_THREAD);
	free(s);
}

static CU_TestInfo log_tests[] = {
	{ "test_log_line_format", test_log_line_format },
	{ "test_log_escapes_newline_and_non_ascii",
	    test_log_escapes_newline_and_non_ascii },
	{ "test_log_one_line_per_call", test_log_one_line_per_call },
	{ "test_log_level_filter", test_log_level_filter },
	{ "test_log_truncates_at_limit", test_log_truncates_at_limit },
	{ "test_log_keeps_errno", test_log_keeps_errno },
	{ "test_log_level_parse", test_log_level_parse },
	{ "test_log_threads_do_not_interleave",
	    test_log_threads_do_not_interleave },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suites[] = {
	{ "log", suite_init, suite_clean, NULL, NULL, log_tests },
	CU_SUITE_INFO_NULL,
};
