/* CUnit suite for web/abc_form.c: the x-www-form-urlencoded parser. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "abc_form.h"

/* Parses the C string s into f. */
static enum form_err
parse_str(const char *s, struct form *f)
{
	return form_parse(s, strlen(s), f);
}

/*
 * Parses s, which must fail with want, and checks that the form was left
 * empty although it held garbage before.
 */
static void
expect_err(const char *s, enum form_err want)
{
	struct form	 f;

	f.fields = (struct form_field *)&f;
	f.n = 7;
	CU_ASSERT_EQUAL(parse_str(s, &f), want);
	CU_ASSERT_PTR_NULL(f.fields);
	CU_ASSERT_EQUAL(f.n, 0);
	form_clear(&f);
}

/* Parses s, which must succeed, and checks the value of name. */
static void
expect_value(const char *s, const char *name, const char *want)
{
	struct form	 f;
	const char	*v;

	CU_ASSERT_EQUAL_FATAL(parse_str(s, &f), FORM_OK);
	v = form_get(&f, name);
	CU_ASSERT_PTR_NOT_NULL(v);
	if (v != NULL)
		CU_ASSERT_STRING_EQUAL(v, want);
	form_clear(&f);
}

/* Appends n fields "fI=1" joined by '&' to b. */
static void
add_fields(struct buf *b, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(buf_printf(b, "%sf%d=1", i > 0 ? "&" : "", i),
		    0);
}

/* Appends n copies of the C string s to b. */
static void
add_repeat(struct buf *b, const char *s, size_t n)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < n; i++)
		rc |= buf_addstr(b, s);
	CU_ASSERT_EQUAL(rc, 0);
}

static void
test_form_basic(void)
{
	struct form	 f;

	CU_ASSERT_EQUAL_FATAL(parse_str("a=1&b=two&c=x=y", &f), FORM_OK);
	CU_ASSERT_EQUAL(f.n, 3);
	CU_ASSERT_STRING_EQUAL(f.fields[0].name, "a");
	CU_ASSERT_STRING_EQUAL(f.fields[0].value, "1");
	CU_ASSERT_EQUAL(f.fields[0].value_len, 1);
	CU_ASSERT_STRING_EQUAL(f.fields[1].value, "two");
	CU_ASSERT_STRING_EQUAL(f.fields[2].value, "x=y");
	form_clear(&f);
	CU_ASSERT_PTR_NULL(f.fields);
	CU_ASSERT_EQUAL(f.n, 0);
}

static void
test_form_empty_input(void)
{
	struct form	 f;

	CU_ASSERT_EQUAL(form_parse(NULL, 0, &f), FORM_OK);
	CU_ASSERT_EQUAL(f.n, 0);
	CU_ASSERT_PTR_NULL(f.fields);
	CU_ASSERT_EQUAL(parse_str("&&&", &f), FORM_OK);
	CU_ASSERT_EQUAL(f.n, 0);
	form_clear(&f);
	form_clear(NULL);
}

static void
test_form_plus_and_space(void)
{
	expect_value("q=a+b%20c++", "q", "a b c  ");
	expect_value("q=%2B", "q", "+");
	expect_value("q=%2b1", "q", "+1");
	expect_value("q=%25", "q", "%");
	expect_value("q=%26%3D", "q", "&=");
}

static void
test_form_hex_case(void)
{
	expect_value("a=%c3%a9", "a", "\xc3\xa9");
	expect_value("a=%C3%A9", "a", "\xc3\xa9");
	expect_value("a=%c3%A9", "a", "\xc3\xa9");
	expect_value("a=%4a%4A", "a", "JJ");
}

static void
test_form_bad_escape(void)
{
	static const char *const bad[] = {
		"%", "%4", "%zz", "a=%", "a=%4", "a=%zz", "a=%g0", "a=%0g",
		"a=1%", "a=%%41", "a=%4&b=1", "a=% 1", "a=%+1", "a=%-1",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], FORM_EBADESC);
}

static void
test_form_empty_segments(void)
{
	struct form	 f;

	CU_ASSERT_EQUAL_FATAL(parse_str("a&&b=1&", &f), FORM_OK);
	CU_ASSERT_EQUAL(f.n, 2);
	CU_ASSERT_STRING_EQUAL(form_get(&f, "a"), "");
	CU_ASSERT_EQUAL(f.fields[0].value_len, 0);
	CU_ASSERT_STRING_EQUAL(form_get(&f, "b"), "1");
	form_clear(&f);
	expect_value("&a=", "a", "");
}

static void
test_form_length_not_nul(void)
{
	struct form	 f;

	/* Only the first len bytes count. */
	CU_ASSERT_EQUAL_FATAL(form_parse("a=1&b=2", 3, &f), FORM_OK);
	CU_ASSERT_EQUAL(f.n, 1);
	CU_ASSERT_PTR_NULL(form_get(&f, "b"));
	form_clear(&f);
	CU_ASSERT_EQUAL(form_parse("a=%41", 4, &f), FORM_EBADESC);
	CU_ASSERT_EQUAL(f.n, 0);
}

static void
test_form_name_rules(void)
{
	static const char *const bad[] = {
		"=x", "=", "%3D=1", "a+b=1", "a%20b=1", "a/b=1", "a%2Fb=1",
		"%C3%A9=1", "a;b=1", "a:b", "x=1&=2",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], FORM_ENAME);
	expect_value("Az09_.-=ok", "Az09_.-", "ok");
	expect_value("%61=1", "a", "1");
}

static void
test_form_name_length(void)
{
	struct buf	 b;
	struct form	 f;
	char		 name[66];

	memset(name, 'n', 64);
	name[64] = '\0';
	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_printf(&b, "%s=v", name), 0);
	CU_ASSERT_EQUAL_FATAL(parse_str((char *)b.data, &f), FORM_OK);
	CU_ASSERT_STRING_EQUAL(form_get(&f, name), "v");
	form_clear(&f);

	name[64] = 'n';
	name[65] = '\0';
	buf_reset(&b);
	CU_ASSERT_EQUAL(buf_printf(&b, "%s=v", name), 0);
	expect_err((char *)b.data, FORM_ENAME);
	/* Without '=' as well. */
	expect_err(name, FORM_ENAME);
	buf_clear(&b);
}

static void
test_form_field_count(void)
{
	struct buf	 b;
	struct form	 f;

	buf_init(&b, 0);
	add_fields(&b, FORM_MAX_FIELDS);
	CU_ASSERT_EQUAL_FATAL(parse_str((char *)b.data, &f), FORM_OK);
	CU_ASSERT_EQUAL(f.n, FORM_MAX_FIELDS);
	CU_ASSERT_STRING_EQUAL(form_get(&f, "f31"), "1");
	form_clear(&f);

	/* Empty segments do not count. */
	CU_ASSERT_EQUAL(buf_addstr(&b, "&&&"), 0);
	CU_ASSERT_EQUAL(parse_str((char *)b.data, &f), FORM_OK);
	form_clear(&f);

	buf_reset(&b);
	add_fields(&b, FORM_MAX_FIELDS + 1);
	expect_err((char *)b.data, FORM_ETOOMANY);
	buf_clear(&b);
}

static void
test_form_value_length(void)
{
	struct buf	 b;
	struct form	 f;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "v="), 0);
	add_repeat(&b, "x", FORM_MAX_VALUE);
	CU_ASSERT_EQUAL_FATAL(parse_str((char *)b.data, &f), FORM_OK);
	CU_ASSERT_EQUAL(f.fields[0].value_len, FORM_MAX_VALUE);
	CU_ASSERT_EQUAL(strlen(form_get(&f, "v")), FORM_MAX_VALUE);
	form_clear(&f);

	CU_ASSERT_EQUAL(buf_addstr(&b, "x"), 0);
	expect_err((char *)b.data, FORM_ETOOLONG);

	/* The limit is on decoded bytes: 3 * 8192 encoded is fine. */
	buf_reset(&b);
	CU_ASSERT_EQUAL(buf_addstr(&b, "v="), 0);
	add_repeat(&b, "%41", FORM_MAX_VALUE);
	CU_ASSERT_EQUAL_FATAL(parse_str((char *)b.data, &f), FORM_OK);
	CU_ASSERT_EQUAL(f.fields[0].value_len, FORM_MAX_VALUE);
	form_clear(&f);
	CU_ASSERT_EQUAL(buf_addstr(&b, "+"), 0);
	expect_err((char *)b.data, FORM_ETOOLONG);
	buf_clear(&b);
}

static void
test_form_utf8_valid(void)
{
	expect_value("a=%C3%A9", "a", "\xc3\xa9");		/* U+00E9 */
	expect_value("a=%C2%80", "a", "\xc2\x80");		/* U+0080 */
	expect_value("a=%E2%82%AC", "a", "\xe2\x82\xac");	/* U+20AC */
	expect_value("a=%E0%A0%80", "a", "\xe0\xa0\x80");	/* U+0800 */
	expect_value("a=%ED%9F%BF", "a", "\xed\x9f\xbf");	/* U+D7FF */
	expect_value("a=%EE%80%80", "a", "\xee\x80\x80");	/* U+E000 */
	expect_value("a=%EF%BF%BF", "a", "\xef\xbf\xbf");	/* U+FFFF */
	expect_value("a=%F0%9F%98%80", "a", "\xf0\x9f\x98\x80");
	expect_value("a=%F0%90%80%80", "a", "\xf0\x90\x80\x80");
	expect_value("a=%F4%8F%BF%BF", "a", "\xf4\x8f\xbf\xbf");
	/* Raw (unescaped) UTF-8 is accepted too. */
	expect_value("a=\xc3\xa9", "a", "\xc3\xa9");
}

static void
test_form_utf8_invalid(void)
{
	static const char *const bad[] = {
		"a=%C0%AF",		/* overlong '/' */
		"a=%C1%BF",		/* overlong */
		"a=%E0%80%AF",		/* overlong, 3 bytes */
		"a=%F0%80%80%AF",	/* overlong, 4 bytes */
		"a=%ED%A0%80",		/* surrogate U+D800 */
		"a=%ED%BF%BF",		/* surrogate U+DFFF */
		"a=%F4%90%80%80",	/* U+110000 */
		"a=%F5%80%80%80",	/* never a lead byte */
		"a=%FF",
		"a=%80",		/* lone continuation */
		"a=%C3",		/* truncated */
		"a=%E2%82",		/* truncated */
		"a=%F0%9F%98",		/* truncated */
		"a=%C3%28",		/* bad continuation */
		"a=%E2%28%AC",
		"a=%F0%9F%28%80",
		"a=%F0%9F%98%28",
		"a=x%C3&b=1",		/* truncated mid-form */
		"a=\xc0\xaf",		/* raw overlong */
		"%C0%AF=1",		/* in a name */
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], FORM_EUTF8);
}

static void
test_form_nul(void)
{
	struct form	 f;

	expect_err("a%00=1", FORM_ENUL);
	expect_err("%00", FORM_ENUL);
	expect_err("a=%00", FORM_ENUL);
	expect_err("a=x%00y", FORM_ENUL);
	/* A raw NUL inside len is rejected the same way. */
	CU_ASSERT_EQUAL(form_parse("a=x\0y", 5, &f), FORM_ENUL);
	CU_ASSERT_EQUAL(f.n, 0);
	CU_ASSERT_EQUAL(form_parse("a\0=y", 4, &f), FORM_ENUL);
	CU_ASSERT_EQUAL(f.n, 0);
}

static void
test_form_duplicate(void)
{
	struct form	 f;

	expect_err("a=1&a=2", FORM_EDUP);
	expect_err("a&a", FORM_EDUP);
	expect_err("a=1&b=2&a=1", FORM_EDUP);
	expect_err("a=1&%61=2", FORM_EDUP);
	/* Names are case-sensitive. */
	CU_ASSERT_EQUAL_FATAL(parse_str("a=1&A=2", &f), FORM_OK);
	CU_ASSERT_STRING_EQUAL(form_get(&f, "a"), "1");
	CU_ASSERT_STRING_EQUAL(form_get(&f, "A"), "2");
	form_clear(&f);
}

static void
test_form_get(void)
{
	struct form	 f;

	CU_ASSERT_EQUAL_FATAL(parse_str("user=bob&empty=&flag", &f), FORM_OK);
	CU_ASSERT_STRING_EQUAL(form_get(&f, "user"), "bob");
	CU_ASSERT_STRING_EQUAL(form_get(&f, "empty"), "");
	CU_ASSERT_STRING_EQUAL(form_get(&f, "flag"), "");
	CU_ASSERT_PTR_NULL(form_get(&f, "absent"));
	CU_ASSERT_PTR_NULL(form_get(&f, "use"));
	CU_ASSERT_PTR_NULL(form_get(&f, "userx"));
	CU_ASSERT_PTR_NULL(form_get(&f, "USER"));
	CU_ASSERT_PTR_NULL(form_get(&f, NULL));
	CU_ASSERT_PTR_NULL(form_get(NULL, "user"));
	form_clear(&f);
	CU_ASSERT_PTR_NULL(form_get(&f, "user"));
}

static void
test_form_error_frees_earlier_fields(void)
{
	/* Fields parsed before the error are released (ASan checks). */
	expect_err("a=1&b=2&c=%zz", FORM_EBADESC);
	expect_err("a=1&b=2&c=%C0%AF", FORM_EUTF8);
	expect_err("a=1&b=%00", FORM_ENUL);
	expect_err("a=1&b=2&=3", FORM_ENAME);
	expect_err("a=1&b=2&a=3", FORM_EDUP);
	expect_err("abc=1&d=%", FORM_EBADESC);
}

static void
test_form_strerror(void)
{
	int	 i, j;

	for (i = 0; i < FORM_ERR__MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(form_strerror((enum form_err)i));
		CU_ASSERT(strlen(form_strerror((enum form_err)i)) > 0);
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(form_strerror((enum form_err)i),
			    form_strerror((enum form_err)j)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(form_strerror(FORM_EDUP),
	    "a field is sent twice");
	CU_ASSERT_STRING_EQUAL(form_strerror(FORM_ERR__MAX), "unknown error");
}

static void
test_form_local_path(void)
{
	char	 big[FORM_LOCAL_MAX + 2];

	CU_ASSERT(form_local_path("/"));
	CU_ASSERT(form_local_path("/sell"));
	CU_ASSERT(form_local_path("/c/12/buy?ad=3"));
	CU_ASSERT(form_local_path("/account?done=a&x=1"));
	CU_ASSERT(!form_local_path(NULL));
	CU_ASSERT(!form_local_path(""));
	CU_ASSERT(!form_local_path("sell"));
	CU_ASSERT(!form_local_path("//evil.example/"));
	CU_ASSERT(!form_local_path("https://evil.example/"));
	CU_ASSERT(!form_local_path("/\\evil.example"));
	CU_ASSERT(!form_local_path("/a b"));
	CU_ASSERT(!form_local_path("/a\r\nLocation: x"));
	CU_ASSERT(!form_local_path("/a?b?c"));
	CU_ASSERT(!form_local_path("/a%2f"));
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[FORM_LOCAL_MAX] = '\0';
	CU_ASSERT(form_local_path(big));
	big[FORM_LOCAL_MAX] = 'a';
	big[FORM_LOCAL_MAX + 1] = '\0';
	CU_ASSERT(!form_local_path(big));
}

static void
test_form_encode(void)
{
	char	 out[32];

	CU_ASSERT_EQUAL(form_encode("/c/1/buy?ad=3&x", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/c/1/buy%3Fad%3D3%26x");
	CU_ASSERT_EQUAL(form_encode("", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(form_encode("a b\xff", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a%20b%FF");
	/* Exactly full, then one byte short: never a cut escape. */
	CU_ASSERT_EQUAL(form_encode("abc", out, 4), 0);
	CU_ASSERT_STRING_EQUAL(out, "abc");
	CU_ASSERT_EQUAL(form_encode("abcd", out, 4), -1);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(form_encode("a?", out, 4), -1);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(form_encode("a", out, 0), -1);
}

static CU_TestInfo tests[] = {
	{ "test_form_basic", test_form_basic },
	{ "test_form_empty_input", test_form_empty_input },
	{ "test_form_plus_and_space", test_form_plus_and_space },
	{ "test_form_hex_case", test_form_hex_case },
	{ "test_form_bad_escape", test_form_bad_escape },
	{ "test_form_empty_segments", test_form_empty_segments },
	{ "test_form_length_not_nul", test_form_length_not_nul },
	{ "test_form_name_rules", test_form_name_rules },
	{ "test_form_name_length", test_form_name_length },
	{ "test_form_field_count", test_form_field_count },
	{ "test_form_value_length", test_form_value_length },
	{ "test_form_utf8_valid", test_form_utf8_valid },
	{ "test_form_utf8_invalid", test_form_utf8_invalid },
	{ "test_form_nul", test_form_nul },
	{ "test_form_duplicate", test_form_duplicate },
	{ "test_form_get", test_form_get },
	{ "test_form_error_frees_earlier_fields",
	    test_form_error_frees_earlier_fields },
	{ "test_form_strerror", test_form_strerror },
	{ "test_form_local_path", test_form_local_path },
	{ "test_form_encode", test_form_encode },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "form", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
