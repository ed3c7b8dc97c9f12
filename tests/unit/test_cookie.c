/* CUnit suite for web/cookie.c: Cookie parsing and Set-Cookie building. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "cookie.h"

/* Looks name up in header, which must succeed with the value want. */
static void
expect_cookie(const char *header, const char *name, const char *want)
{
	char	 out[128];

	CU_ASSERT_EQUAL(cookie_get(header, name, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
}

/* Looks name up in header, which must fail with rc and leave out alone. */
static void
expect_fail(const char *header, const char *name, int rc)
{
	char	 out[128];

	memcpy(out, "untouched", sizeof("untouched"));
	CU_ASSERT_EQUAL(cookie_get(header, name, out, sizeof(out)), rc);
	CU_ASSERT_STRING_EQUAL(out, "untouched");
}

/*
 * Builds a header of exactly len bytes: "pad=xxx...; s=1".  len must be
 * at least 12.
 */
static void
make_header(struct buf *b, size_t len)
{
	size_t	 i;
	int	 rc;

	buf_reset(b);
	rc = buf_addstr(b, "pad=");
	for (i = 0; i < len - 4 - 5; i++)
		rc |= buf_addstr(b, "x");
	rc |= buf_addstr(b, "; s=1");
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(b->len, len);
}

static void
test_cookie_single(void)
{
	expect_cookie("session=abc123", "session", "abc123");
	expect_cookie("session=abc123;", "session", "abc123");
	expect_cookie("s=a!#$%&'()*+-./:<=>?@[]^_`{|}~", "s",
	    "a!#$%&'()*+-./:<=>?@[]^_`{|}~");
}

static void
test_cookie_several_with_spaces(void)
{
	static const char	*h = "a=1; b=2;c=3 ;  d=4\t;\te=5 ";

	expect_cookie(h, "a", "1");
	expect_cookie(h, "b", "2");
	expect_cookie(h, "c", "3");
	expect_cookie(h, "d", "4");
	expect_cookie(h, "e", "5");
	expect_cookie("  a = 1 ", "a", "1");
}

static void
test_cookie_quoted(void)
{
	expect_cookie("s=\"abc\"", "s", "abc");
	expect_cookie("t=1; s=\"abc\"; u=2", "s", "abc");
	expect_cookie("s=\"\"", "s", "");
	expect_fail("s=\"abc", "s", -2);
	expect_fail("s=abc\"", "s", -2);
	expect_fail("s=\"", "s", -2);
	expect_fail("s=\"a\"b\"", "s", -2);
}

static void
test_cookie_duplicate_first_wins(void)
{
	expect_cookie("s=first; s=second", "s", "first");
	/* Even when the first one is empty. */
	expect_cookie("s=; s=second", "s", "");
	/* A malformed first one is not skipped for a later good one. */
	expect_fail("s=a b; s=good", "s", -2);
}

static void
test_cookie_suffix_name(void)
{
	expect_cookie("xsession=bad; session=good", "session", "good");
	expect_cookie("session=good; xsession=bad", "xsession", "bad");
	expect_fail("xsession=bad", "session", -1);
	expect_fail("sessionx=bad", "session", -1);
	expect_fail("session=bad", "Session", -1);
	expect_fail("ession=bad", "session", -1);
}

static void
test_cookie_missing(void)
{
	expect_fail(NULL, "s", -1);
	expect_fail("", "s", -1);
	expect_fail(";;; ", "s", -1);
	expect_fail("a=1; b=2", "s", -1);
	expect_fail("a=1", "", -1);
	expect_fail("=1", "", -1);
	expect_fail("a=1", NULL, -1);
}

static void
test_cookie_empty_value(void)
{
	expect_cookie("s=", "s", "");
	expect_cookie("s=; t=1", "s", "");
	expect_cookie("t=1; s=", "s", "");
	expect_cookie("s= ; t=1", "s", "");
}

static void
test_cookie_pair_without_equals(void)
{
	expect_cookie("junk; s=1", "s", "1");
	expect_cookie("s; t=1; s=2", "s", "2");
	expect_fail("s", "s", -1);
	expect_fail("s;", "s", -1);
	/* Malformed values elsewhere do not matter. */
	expect_cookie("t=a b; u=\"; s=ok", "s", "ok");
}

static void
test_cookie_header_limit(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	make_header(&b, COOKIE_MAX_HEADER);
	expect_cookie((char *)b.data, "s", "1");
	make_header(&b, COOKIE_MAX_HEADER + 1);
	expect_fail((char *)b.data, "s", -2);
	expect_fail((char *)b.data, "pad", -2);
	expect_fail((char *)b.data, "absent", -2);
	buf_clear(&b);
}

static void
test_cookie_bad_octets(void)
{
	static const char *const bad[] = {
		"s=a b", "s=a,b", "s=\"a;b\"", "s=a\\b", "s=a\x7f", "s=\x7f",
		"s=a\"b", "s=\"a b\"", "s=a\x01", "s=\xc3\xa9", "s=a\tb",
		"s=\"a\\b\"",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i], "s", -2);
}

static void
test_cookie_out_too_small(void)
{
	char	 out[8];

	memcpy(out, "keep", 5);
	CU_ASSERT_EQUAL(cookie_get("s=abcd", "s", out, 4), -2);
	CU_ASSERT_STRING_EQUAL(out, "keep");
	CU_ASSERT_EQUAL(cookie_get("s=abcd", "s", out, 0), -2);
	CU_ASSERT_EQUAL(cookie_get("s=", "s", out, 0), -2);
	CU_ASSERT_EQUAL(cookie_get("s=abcd", "s", out, 5), 0);
	CU_ASSERT_STRING_EQUAL(out, "abcd");
	CU_ASSERT_EQUAL(cookie_get("s=\"abcd\"", "s", out, 5), 0);
	CU_ASSERT_STRING_EQUAL(out, "abcd");
	CU_ASSERT_EQUAL(cookie_get("s=", "s", out, 1), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void
test_cookie_set_flags(void)
{
	struct buf	 b, want;
	int		 flags, rc;

	buf_init(&b, 0);
	buf_init(&want, 0);
	for (flags = 0; flags <= COOKIE__ALL; flags++) {
		buf_reset(&b);
		rc = cookie_set(&b, "sid", "v1", -1, flags);
		if ((flags & COOKIE_LAX) && (flags & COOKIE_STRICT)) {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_EQUAL(b.len, 0);
			continue;
		}
		CU_ASSERT_EQUAL(rc, 0);
		buf_reset(&want);
		CU_ASSERT_EQUAL(buf_printf(&want,
		    "Set-Cookie: sid=v1; Path=/%s%s%s%s\r\n",
		    (flags & COOKIE_HTTPONLY) ? "; HttpOnly" : "",
		    (flags & COOKIE_SECURE) ? "; Secure" : "",
		    (flags & COOKIE_LAX) ? "; SameSite=Lax" : "",
		    (flags & COOKIE_STRICT) ? "; SameSite=Strict" : ""), 0);
		CU_ASSERT_STRING_EQUAL(b.data, want.data);
	}
	buf_reset(&b);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "v", -1, 0x100), -1);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "v", -1, -1), -1);
	CU_ASSERT_EQUAL(b.len, 0);
	buf_clear(&want);
	buf_clear(&b);
}

static void
test_cookie_set_max_age(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "x", -1, COOKIE_HTTPONLY), 0);
	CU_ASSERT_STRING_EQUAL(b.data,
	    "Set-Cookie: sid=x; Path=/; HttpOnly\r\n");
	buf_reset(&b);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "", 0,
	    COOKIE_HTTPONLY | COOKIE_SECURE | COOKIE_LAX), 0);
	CU_ASSERT_STRING_EQUAL(b.data,
	    "Set-Cookie: sid=; Path=/; Max-Age=0; "
	    "Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; "
	    "SameSite=Lax\r\n");
	buf_reset(&b);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "x", 86400, COOKIE_STRICT), 0);
	CU_ASSERT_STRING_EQUAL(b.data,
	    "Set-Cookie: sid=x; Path=/; Max-Age=86400; SameSite=Strict\r\n");
	buf_reset(&b);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "x", -86400, 0), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "Set-Cookie: sid=x; Path=/\r\n");
	buf_clear(&b);
}

static void
test_cookie_set_appends(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "Status: 200\r\n"), 0);
	CU_ASSERT_EQUAL(cookie_set(&b, "a", "1", -1, 0), 0);
	CU_ASSERT_EQUAL(cookie_set(&b, "b", "2", -1, 0), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "Status: 200\r\n"
	    "Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n");
	buf_clear(&b);
}

static void
test_cookie_set_bad_chars(void)
{
	static const char *const bad_names[] = {
		"", "a=b", "a;b", "a b", "a,b", "a\"b", "a\\b", "a/b", "(a)",
		"a\x01", "a\x7f", "\xc3\xa9", "a:b", "a{b}", "a\tb",
	};
	static const char *const bad_values[] = {
		"a b", "a;b", "a,b", "\"ab\"", "a\\b", "a\x7f", "\xc3\xa9",
		"a\r\nSet-Cookie: x=y", "a\x01", "a\tb",
	};
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "keep"), 0);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		CU_ASSERT_EQUAL(cookie_set(&b, bad_names[i], "v", -1,
		    COOKIE_HTTPONLY), -1);
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
		CU_ASSERT_EQUAL(cookie_set(&b, "sid", bad_values[i], 0,
		    COOKIE_HTTPONLY), -1);
	CU_ASSERT_EQUAL(cookie_set(&b, NULL, "v", -1, 0), -1);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", NULL, -1, 0), -1);
	CU_ASSERT_STRING_EQUAL(b.data, "keep");
	CU_ASSERT_EQUAL(b.len, 4);
	/* Token characters that are not separators are fine. */
	CU_ASSERT_EQUAL(cookie_set(&b, "a!#$%&'*+-.^_`|~", "v", -1, 0), 0);
	buf_clear(&b);
}

static void
test_cookie_set_limits(void)
{
	struct buf	 b;
	char		*v;

	/* A full output buffer gets nothing, not half a line. */
	buf_init(&b, 20);
	CU_ASSERT_EQUAL(cookie_set(&b, "sid", "x", -1, 0), -1);
	CU_ASSERT_EQUAL(b.len, 0);
	buf_clear(&b);

	buf_init(&b, 0);
	v = malloc(COOKIE_MAX_PAIR + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	memset(v, 'v', COOKIE_MAX_PAIR - 1);
	v[COOKIE_MAX_PAIR - 1] = '\0';
	CU_ASSERT_EQUAL(cookie_set(&b, "s", v, -1, 0), 0);
	buf_reset(&b);
	v[COOKIE_MAX_PAIR - 1] = 'v';
	v[COOKIE_MAX_PAIR] = '\0';
	CU_ASSERT_EQUAL(cookie_set(&b, "s", v, -1, 0), -1);
	CU_ASSERT_EQUAL(b.len, 0);
	free(v);
	buf_clear(&b);
}

static void
test_cookie_round_trip(void)
{
	struct buf	 b;
	char		 out[64];
	const char	*h;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(cookie_set(&b, "session", "Zm9vYmFy-_.~", 3600,
	    COOKIE_HTTPONLY | COOKIE_LAX), 0);
	/* The Cookie header a client sends back is the pair alone. */
	h = (const char *)b.data + strlen("Set-Cookie: ");
	CU_ASSERT_EQUAL(cookie_get(h, "session", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "Zm9vYmFy-_.~");
	CU_ASSERT_EQUAL(cookie_get(h, "Path", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/");
	buf_clear(&b);
}

static CU_TestInfo tests[] = {
	{ "test_cookie_single", test_cookie_single },
	{ "test_cookie_several_with_spaces",
	    test_cookie_several_with_spaces },
	{ "test_cookie_quoted", test_cookie_quoted },
	{ "test_cookie_duplicate_first_wins",
	    test_cookie_duplicate_first_wins },
	{ "test_cookie_suffix_name", test_cookie_suffix_name },
	{ "test_cookie_missing", test_cookie_missing },
	{ "test_cookie_empty_value", test_cookie_empty_value },
	{ "test_cookie_pair_without_equals",
	    test_cookie_pair_without_equals },
	{ "test_cookie_header_limit", test_cookie_header_limit },
	{ "test_cookie_bad_octets", test_cookie_bad_octets },
	{ "test_cookie_out_too_small", test_cookie_out_too_small },
	{ "test_cookie_set_flags", test_cookie_set_flags },
	{ "test_cookie_set_max_age", test_cookie_set_max_age },
	{ "test_cookie_set_appends", test_cookie_set_appends },
	{ "test_cookie_set_bad_chars", test_cookie_set_bad_chars },
	{ "test_cookie_set_limits", test_cookie_set_limits },
	{ "test_cookie_round_trip", test_cookie_round_trip },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "cookie", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
