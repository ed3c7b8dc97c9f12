/* CUnit tests for common/conf.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "conf.h"
#include "abc_limits.h"

static struct conf *parse(const char *text);
static void	 expect_error(const char *text, size_t len, const char *want);
static char	*tmpfile_with(const char *text);

/* Parse a NUL-terminated text named "t.conf", asserting success. */
static struct conf *
parse(const char *text)
{
	struct conf	*c;
	char		 err[256] = "";

	c = conf_parse(text, strlen(text), "t.conf", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "");
	return c;
}

/* Assert that text fails to parse and err starts with want. */
static void
expect_error(const char *text, size_t len, const char *want)
{
	struct conf	*c;
	char		 err[256] = "";

	c = conf_parse(text, len, "t.conf", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	if (strncmp(err, want, strlen(want)) != 0)
		fprintf(stderr, "\n   got \"%s\", want \"%s...\"\n", err, want);
	conf_free(c);
}

/* Returns the name of a new temporary file holding text; caller frees. */
static char *
tmpfile_with(const char *text)
{
	char	*path;
	FILE	*f;
	int	 fd;

	path = strdup("/tmp/abc-test-conf-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd != -1);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fputs(text, f) >= 0 || text[0] == '\0', 1);
	CU_ASSERT_EQUAL(fclose(f), 0);
	return path;
}

static void
test_conf_basic_lookup(void)
{
	struct conf	*c;

	c = parse("a = 1\n  b_2=two words  \n\n# comment\n\t # indented\n"
	    "c\t=\tx # not a comment\nempty =\n");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "a", NULL), "1");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "b_2", NULL), "two words");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "c", NULL), "x # not a comment");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "empty", "def"), "");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "missing", "def"), "def");
	CU_ASSERT_PTR_NULL(conf_str(c, "missing", NULL));
	conf_free(c);
	conf_free(NULL);
}

static void
test_conf_hash_in_value(void)
{
	struct conf	*c;

	c = parse("color = #ff0000\nurl = http://x/#frag\n");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "color", NULL), "#ff0000");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "url", NULL), "http://x/#frag");
	conf_free(c);
}

static void
test_conf_crlf(void)
{
	struct conf	*c;

	c = parse("a = 1\r\nb = two\r\n\r\n# c\r\n");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "a", NULL), "1");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "b", NULL), "two");
	conf_free(c);
	expect_error("a = 1\r\nb = x\ry\n", 14, "t.conf:2: ");
	expect_error("a = 1\nb = 2\r", 12, "t.conf:2: ");
}

static void
test_conf_no_trailing_newline(void)
{
	struct conf	*c;

	c = parse("a = 1\nb = last");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "b", NULL), "last");
	conf_free(c);
	c = parse("");
	CU_ASSERT_PTR_NULL(conf_str(c, "a", NULL));
	conf_free(c);
}

static void
test_conf_missing_equals(void)
{
	expect_error("a = 1\n\nnot a pair\n", 18, "t.conf:3: missing '='");
}

static void
test_conf_bad_key(void)
{
	char	 text[128];

	expect_error("A = 1\n", 6, "t.conf:1: invalid key");
	expect_error("ok = 1\n1a = 1\n", 14, "t.conf:2: invalid key");
	expect_error("a-b = 1\n", 8, "t.conf:1: invalid key");
	expect_error("a b = 1\n", 8, "t.conf:1: invalid key");
	expect_error("= 1\n", 4, "t.conf:1: invalid key");
	expect_error("_a = 1\n", 7, "t.conf:1: invalid key");
	/* 64 characters are fine, 65 are not. */
	memset(text, 'k', 64);
	memcpy(text + 64, "=1\n", 4);
	conf_free(parse(text));
	memset(text, 'k', 65);
	memcpy(text + 65, "=1\n", 4);
	expect_error(text, strlen(text), "t.conf:1: invalid key");
}

static void
test_conf_duplicate_key(void)
{
	expect_error("a = 1\nb = 2\n\na = 3\n", 18,
	    "t.conf:4: duplicate key a (first on line 1)");
}

static void
test_conf_nul_byte(void)
{
	static const char	 text[] = "a = 1\nb = x\0y\nc = 3\n";

	expect_error(text, sizeof(text) - 1, "t.conf:2: NUL byte");
}

static void
test_conf_line_too_long(void)
{
	char	*text;
	size_t	 n;

	n = 6 + LIMIT_CONF_LINE + 1;
	text = calloc(1, n + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memcpy(text, "a = 1\n", 6);
	memcpy(text + 6, "b = ", 4);
	memset(text + 10, 'v', LIMIT_CONF_LINE - 4);
	text[6 + LIMIT_CONF_LINE] = '\n';
	conf_free(parse(text));		/* exactly the limit */
	memset(text + 10, 'v', LIMIT_CONF_LINE - 3);
	text[6 + LIMIT_CONF_LINE + 1] = '\n';
	expect_error(text, strlen(text), "t.conf:2: line too long");
	free(text);
}

static void
test_conf_too_many_lines(void)
{
	char	*text;

	text = malloc(LIMIT_CONF_LINES + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, '\n', LIMIT_CONF_LINES + 1);
	text[LIMIT_CONF_LINES] = '\0';
	conf_free(parse(text));
	text[LIMIT_CONF_LINES] = 'x';	/* line 10001, without newline */
	text[LIMIT_CONF_LINES + 1] = '\0';
	expect_error(text, LIMIT_CONF_LINES + 1, "t.conf:10001: too many");
	free(text);
}

static void
test_conf_env_override(void)
{
	struct conf	*c;
	long long	 n;
	char		 err[256];

	c = parse("http_port = 8080\n");
	CU_ASSERT_EQUAL(unsetenv("ABC_HTTP_PORT"), 0);
	CU_ASSERT_STRING_EQUAL(conf_str(c, "http_port", NULL), "8080");
	CU_ASSERT_EQUAL(setenv("ABC_HTTP_PORT", "9090", 1), 0);
	CU_ASSERT_STRING_EQUAL(conf_str(c, "http_port", NULL), "9090");
	CU_ASSERT_EQUAL(conf_int(c, "http_port", 1, 65535, 80, &n, err,
	    sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 9090);
	CU_ASSERT_EQUAL(setenv("ABC_HTTP_PORT", "", 1), 0);
	CU_ASSERT_STRING_EQUAL(conf_str(c, "http_port", NULL), "");
	CU_ASSERT_EQUAL(setenv("ABC_HTTP_PORT", "x", 1), 0);
	CU_ASSERT_EQUAL(conf_int(c, "http_port", 1, 65535, 80, &n, err,
	    sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "http_port"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ABC_HTTP_PORT"));
	CU_ASSERT_EQUAL(unsetenv("ABC_HTTP_PORT"), 0);
	CU_ASSERT_STRING_EQUAL(conf_str(c, "http_port", NULL), "8080");
	/* The environment also supplies keys the file lacks. */
	CU_ASSERT_EQUAL(setenv("ABC_ONLY_ENV", "e", 1), 0);
	CU_ASSERT_STRING_EQUAL(conf_str(c, "only_env", NULL), "e");
	CU_ASSERT_STRING_EQUAL(conf_str(NULL, "only_env", NULL), "e");
	CU_ASSERT_EQUAL(unsetenv("ABC_ONLY_ENV"), 0);
	conf_free(c);
}

static void
test_conf_int_range_and_garbage(void)
{
	struct conf	*c;
	long long	 n = 0;
	char		 err[256];

	c = parse("ok = 42\nneg = -7\nbig = 99999999999999999999\n"
	    "junk = 12x\nsp = 1 2\nhex = 0x10\nempty =\nplus = +5\n");
	CU_ASSERT_EQUAL(conf_int(c, "ok", 0, 100, 1, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 42);
	CU_ASSERT_EQUAL(conf_int(c, "neg", -10, 0, 1, &n, err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(n, -7);
	CU_ASSERT_EQUAL(conf_int(c, "plus", 0, 10, 1, &n, err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(conf_int(c, "nope", 0, 10, 3, &n, err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(n, 3);
	n = 1234;
	CU_ASSERT_EQUAL(conf_int(c, "ok", 0, 41, 1, &n, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(n, 1234);
	CU_ASSERT_STRING_EQUAL(err, "ok: 42 out of range 0..41 (from t.conf:1)");
	CU_ASSERT_EQUAL(conf_int(c, "neg", 0, 10, 1, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(conf_int(c, "big", 0, 10, 1, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(conf_int(c, "junk", 0, 100, 1, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_STRING_EQUAL(err,
	    "junk: not an integer: \"12x\" (from t.conf:4)");
	CU_ASSERT_EQUAL(conf_int(c, "sp", 0, 100, 1, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(conf_int(c, "hex", 0, 100, 1, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(conf_int(c, "empty", 0, 100, 1, &n, NULL, 0), -1);
	CU_ASSERT_EQUAL(n, 1234);
	conf_free(c);
}

static void
test_conf_bool(void)
{
	static const char *const yes[] = { "yes", "true", "1", "on", "YES" };
	static const char *const no[] = { "no", "false", "0", "off", "Off" };
	struct conf	*c;
	char		 text[64], err[256];
	size_t		 i;
	int		 b;

	for (i = 0; i < 5; i++) {
		(void)snprintf(text, sizeof(text), "y = %s\nn = %s\n", yes[i],
		    no[i]);
		c = parse(text);
		CU_ASSERT_EQUAL(conf_bool(c, "y", 0, &b, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(b, 1);
		CU_ASSERT_EQUAL(conf_bool(c, "n", 1, &b, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(b, 0);
		conf_free(c);
	}
	c = parse("m = maybe\n");
	CU_ASSERT_EQUAL(conf_bool(c, "m", 0, &b, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err,
	    "m: not a boolean: \"maybe\" (from t.conf:1)");
	CU_ASSERT_EQUAL(conf_bool(c, "absent", 1, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b, 1);
	conf_free(c);
}

static void
test_conf_secret_from_file(void)
{
	struct conf	*c;
	char		*path, *s, text[512], err[512];

	path = tmpfile_with("s3cret\r\nsecond line\n");
	(void)snprintf(text, sizeof(text), "db_password_file = %s\n"
	    "api_key = inline\n", path);
	c = parse(text);
	s = conf_secret(c, "db_password", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s != NULL)
		CU_ASSERT_STRING_EQUAL(s, "s3cret");
	free(s);
	s = conf_secret(c, "api_key", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s != NULL)
		CU_ASSERT_STRING_EQUAL(s, "inline");
	free(s);
	CU_ASSERT_PTR_NULL(conf_secret(c, "nothing", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nothing_file"));
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_PTR_NULL(conf_secret(c, "db_password", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "db_password"));
	free(path);
	path = tmpfile_with("last-line-no-newline");
	CU_ASSERT_EQUAL(setenv("ABC_DB_PASSWORD_FILE", path, 1), 0);
	s = conf_secret(c, "db_password", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s != NULL)
		CU_ASSERT_STRING_EQUAL(s, "last-line-no-newline");
	free(s);
	CU_ASSERT_EQUAL(unsetenv("ABC_DB_PASSWORD_FILE"), 0);
	CU_ASSERT_EQUAL(unlink(path), 0);
	free(path);
	conf_free(c);
}

static void
test_conf_secret_empty_refused(void)
{
	struct conf	*c;
	char		*path, text[512], err[512];

	path = tmpfile_with("\nsecond\n");
	(void)snprintf(text, sizeof(text), "a_file = %s\nb =\n", path);
	c = parse(text);
	CU_ASSERT_PTR_NULL(conf_secret(c, "a", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
	CU_ASSERT_PTR_NULL(conf_secret(c, "b", err, sizeof(err)));
	CU_ASSERT_EQUAL(unlink(path), 0);
	free(path);
	conf_free(c);
}

static void
test_conf_load_file(void)
{
	struct conf	*c;
	char		*path, err[512];

	c = conf_load(NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_PTR_NULL(conf_str(c, "a", NULL));
	conf_free(c);
	path = tmpfile_with("# sample\nworker_port = 7000\nx = y");
	c = conf_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(conf_str(c, "worker_port", NULL), "7000");
	CU_ASSERT_STRING_EQUAL(conf_str(c, "x", NULL), "y");
	conf_free(c);
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_PTR_NULL(conf_load(path, err, sizeof(err)));
	CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
	free(path);
}

static CU_TestInfo conf_tests[] = {
	{ "test_conf_basic_lookup", test_conf_basic_lookup },
	{ "test_conf_hash_in_value", test_conf_hash_in_value },
	{ "test_conf_crlf", test_conf_crlf },
	{ "test_conf_no_trailing_newline", test_conf_no_trailing_newline },
	{ "test_conf_missing_equals", test_conf_missing_equals },
	{ "test_conf_bad_key", test_conf_bad_key },
	{ "test_conf_duplicate_key", test_conf_duplicate_key },
	{ "test_conf_nul_byte", test_conf_nul_byte },
	{ "test_conf_line_too_long", test_conf_line_too_long },
	{ "test_conf_too_many_lines", test_conf_too_many_lines },
	{ "test_conf_env_override", test_conf_env_override },
	{ "test_conf_int_range_and_garbage", test_conf_int_range_and_garbage },
	{ "test_conf_bool", test_conf_bool },
	{ "test_conf_secret_from_file", test_conf_secret_from_file },
	{ "test_conf_secret_empty_refused", test_conf_secret_empty_refused },
	{ "test_conf_load_file", test_conf_load_file },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suites[] = {
	{ "conf", NULL, NULL, NULL, NULL, conf_tests },
	CU_SUITE_INFO_NULL,
};
