/*
 * CUnit suite for runtime link faults: the fault line parser
 * (link_fault_parse, common/abc_link.c), its log form, the file loader
 * (common/faultfile.c) and applying new settings to a live session
 * (link_session_set_fault).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "cunit_main.h"

#include "abc_link.h"
#include "faultfile.h"
#include "log.h"

/* Parses text, expecting success with these settings. */
static void
ok(const char *text, unsigned ppm, unsigned delay, unsigned cut)
{
	struct link_fault	 f;
	char			 err[128] = "";

	memset(&f, 0x5a, sizeof(f));
	CU_ASSERT_EQUAL_FATAL(link_fault_parse(text, strlen(text), &f, err,
	    sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, ppm);
	CU_ASSERT_EQUAL(f.delay_ms, delay);
	CU_ASSERT_EQUAL(f.cut_ms, cut);
	CU_ASSERT_EQUAL(f.rng, 0);
}

/* Parses len bytes of text, expecting a refusal mentioning what. */
static void
bad_len(const char *text, size_t len, const char *what)
{
	struct link_fault	 f;
	char			 err[128] = "";

	memset(&f, 0x5a, sizeof(f));
	CU_ASSERT_EQUAL(link_fault_parse(text, len, &f, err, sizeof(err)), -1);
	if (strstr(err, what) == NULL)
		fprintf(stderr, "\"%.*s\": got \"%s\", wanted \"%s\"\n",
		    (int)len, text, err, what);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	CU_ASSERT_EQUAL(f.drop_ppm, 0x5a5a5a5au);	/* untouched */
}

static void
bad(const char *text, const char *what)
{
	bad_len(text, strlen(text), what);
}

static void
test_faults_parse_good(void)
{
	ok("", 0, 0, 0);
	ok("\n", 0, 0, 0);
	ok("   \t ", 0, 0, 0);
	ok("drop_pct=20 delay_ms=50 cut_ms=3000", 200000, 50, 3000);
	ok("drop_pct=20 delay_ms=50 cut_ms=3000\n", 200000, 50, 3000);
	ok("drop_pct=20 delay_ms=50 cut_ms=3000\r\n", 200000, 50, 3000);
	ok("cut_ms=400", 0, 0, 400);
	ok("  cut_ms=400\tdrop_pct=2.5  ", 25000, 0, 400);
	ok("drop_pct=100", 1000000, 0, 0);
	ok("drop_pct=0.0001", 1, 0, 0);
	ok("drop_pct=0 delay_ms=0 cut_ms=0", 0, 0, 0);
	ok("delay_ms=3600000", 0, 3600000, 0);
}

static void
test_faults_parse_bad(void)
{
	bad("drop=20", "unknown key");
	bad("DROP_PCT=20", "unknown key");
	bad("drop_pct 20", "want key=value");
	bad("drop_pct=", "drop_pct: bad value");
	bad("drop_pct=101", "drop_pct: bad value");
	bad("drop_pct=100.5", "drop_pct: bad value");
	bad("drop_pct=-1", "drop_pct: bad value");
	bad("drop_pct=1e2", "drop_pct: bad value");
	bad("delay_ms=3600001", "delay_ms: bad value");
	bad("cut_ms=x", "cut_ms: bad value");
	bad("cut_ms=+5", "cut_ms: bad value");
	bad("cut_ms=99999999999999999999999", "value too long");
	bad("cut_ms=1 cut_ms=2", "given twice");
	bad("cut_ms=1\ndrop_pct=2", "one line");
	bad("cut_ms=1\n\n", "one line");
	bad("cut_ms=1,drop_pct=2", "cut_ms: bad value");
	bad("cut_ms=1 \x01", "byte 0x01");
	bad("cut_ms=1 \xc3\xa9", "byte 0xc3");
	bad_len("cut_ms=1\0drop_pct=2", 19, "byte 0x00");
	bad("=5", "unknown key");
}

static void
test_faults_format(void)
{
	struct link_fault	 f;
	char			 out[96];

	memset(&f, 0, sizeof(f));
	link_fault_format(&f, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "drop_pct=0 delay_ms=0 cut_ms=0");
	f.drop_ppm = 300000;
	f.delay_ms = 50;
	f.cut_ms = 3000;
	link_fault_format(&f, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "drop_pct=30 delay_ms=50 cut_ms=3000");
	f.drop_ppm = 25000;
	link_fault_format(&f, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "drop_pct=2.5 delay_ms=50 cut_ms=3000");
	f.drop_ppm = 1;
	link_fault_format(&f, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "drop_pct=0.0001 delay_ms=50 cut_ms=3000");
}

/* Writes text into a fresh temporary file; returns its path (static). */
static const char *
tmpfile_with(const char *text, size_t len)
{
	static char	 path[64];
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/test_faultfile.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
	close(fd);
	return path;
}

static void
test_faults_load(void)
{
	struct link_fault	 f;
	char			 err[256], big[FAULTFILE_MAX + 2];
	const char		*p;

	p = tmpfile_with("drop_pct=30 cut_ms=3000\n", 24);
	CU_ASSERT_EQUAL(faultfile_load(p, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, 300000);
	CU_ASSERT_EQUAL(f.cut_ms, 3000);
	CU_ASSERT_EQUAL(faultfile_reload(p, &f), 0);
	unlink(p);
	/* Missing: all off. */
	f.drop_ppm = 7;
	CU_ASSERT_EQUAL(faultfile_load(p, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, 0);
	/* Empty: all off. */
	p = tmpfile_with("", 0);
	f.cut_ms = 7;
	CU_ASSERT_EQUAL(faultfile_load(p, &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.cut_ms, 0);
	unlink(p);
	/* Malformed: refused, *f kept, and reload says so. */
	p = tmpfile_with("drop_pct=\"x\"", 12);
	f.cut_ms = 7;
	CU_ASSERT_EQUAL(faultfile_load(p, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(f.cut_ms, 7);
	CU_ASSERT_EQUAL(faultfile_reload(p, &f), -1);
	CU_ASSERT_EQUAL(f.cut_ms, 7);
	unlink(p);
	/* Too long, even if it were blanks. */
	memset(big, ' ', sizeof(big));
	p = tmpfile_with(big, sizeof(big));
	CU_ASSERT_EQUAL(faultfile_load(p, &f, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than"));
	unlink(p);
	/* A directory cannot be read; no file name configured at all. */
	CU_ASSERT_EQUAL(faultfile_load("/", &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(faultfile_reload("", &f), -1);
	CU_ASSERT_EQUAL(faultfile_reload(NULL, &f), -1);
}

static void
test_faults_apply(void)
{
	struct link_session	 s;
	struct link_fault	 f, start;
	int64_t			 now = 1000;
	uint64_t		 rng;

	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&start, "", "", "", 42), 0);
	link_session_init(&s, 16, 1 << 20, &start);
	link_session_connected(&s, now);
	CU_ASSERT_EQUAL(s.cut_at_ms, 0);
	rng = s.fault.rng;

	CU_ASSERT_EQUAL_FATAL(link_fault_parse("drop_pct=30 cut_ms=3000", 23,
	    &f, NULL, 0), 0);
	link_session_set_fault(&s, &f, now);
	CU_ASSERT_EQUAL(s.fault.drop_ppm, 300000);
	CU_ASSERT_EQUAL(s.fault.cut_ms, 3000);
	CU_ASSERT(s.fault.rng != 0 && s.fault.rng != rng);	/* stepped */
	/* The next cut is armed within [cut/2, cut*3/2] of now. */
	CU_ASSERT(s.cut_at_ms >= now + 1500 && s.cut_at_ms <= now + 4500);
	CU_ASSERT_FALSE(link_session_should_cut(&s, now + 1499));
	CU_ASSERT_TRUE(link_session_should_cut(&s, now + 4500));

	CU_ASSERT_EQUAL_FATAL(link_fault_parse("", 0, &f, NULL, 0), 0);
	link_session_set_fault(&s, &f, now);
	CU_ASSERT_EQUAL(s.fault.drop_ppm, 0);
	CU_ASSERT_EQUAL(s.cut_at_ms, 0);
	CU_ASSERT_FALSE(link_session_should_cut(&s, now + 100000));
	link_session_clear(&s);
}

static CU_TestInfo tests[] = {
	{ "test_faults_parse_good", test_faults_parse_good },
	{ "test_faults_parse_bad", test_faults_parse_bad },
	{ "test_faults_format", test_faults_format },
	{ "test_faults_load", test_faults_load },
	{ "test_faults_apply", test_faults_apply },
	CU_TEST_INFO_NULL
};

/* Reload logs its outcome; keep the test output clean. */
static int
suite_init(void)
{
	log_init("test_faultfile", LOG_LVL_ERROR);
	return 0;
}

CU_SuiteInfo unit_suites[] = {
	{ "faultfile", suite_init, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
