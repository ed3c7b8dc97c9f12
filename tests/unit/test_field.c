/* CUnit tests for common/field.c: bounds of the ad and campaign fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "field.h"
#include "abc_limits.h"

/* field_check on a NUL-terminated string. */
static const char *
check(enum field_id f, const char *s)
{
	return field_check(f, (const uint8_t *)s, strlen(s));
}

/* A string of n copies of unit (unit may be several bytes); caller frees. */
static char *
repeat(const char *unit, size_t n)
{
	size_t	 u = strlen(unit), i;
	char	*s = malloc(u * n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

static void
test_field_hover_counts_characters(void)
{
	char	*s;

	s = repeat("a", LIMIT_AD_HOVER);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_HOVER, s));
	free(s);
	s = repeat("a", LIMIT_AD_HOVER + 1);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, s));
	CU_ASSERT_PTR_NOT_NULL(strstr(check(FIELD_AD_HOVER, s), "140"));
	free(s);
	/* 140 characters of two, three and four bytes each fit. */
	s = repeat("\xc3\xa9", LIMIT_AD_HOVER);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_HOVER, s));
	free(s);
	s = repeat("\xe2\x82\xac", LIMIT_AD_HOVER);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_HOVER, s));
	free(s);
	s = repeat("\xf0\x9f\x98\x80", LIMIT_AD_HOVER);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_HOVER, s));
	free(s);
	s = repeat("\xf0\x9f\x98\x80", LIMIT_AD_HOVER + 1);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, s));
	free(s);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_HOVER, ""));
}

static void
test_field_control_and_bad_utf8(void)
{
	static const uint8_t	 nul[] = { 'a', 0, 'b' };

	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, "a\x01" "b"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, "a\nb"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, "a\x7f"));
	CU_ASSERT_PTR_NOT_NULL(field_check(FIELD_AD_HOVER, nul, sizeof(nul)));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, "\xc3"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, "\xc0\xaf"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_HOVER, "\xed\xa0\x80"));
	/* The description may have lines; the name may not. */
	CU_ASSERT_PTR_NULL(check(FIELD_CAMPAIGN_DESC, "one\r\ntwo\tthree"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_CAMPAIGN_DESC, "a\x1b[0m"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_CAMPAIGN_NAME, "a\nb"));
}

static void
test_field_nickname_and_names(void)
{
	char	*s;

	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_NICKNAME, ""));
	CU_ASSERT_PTR_NULL(check(FIELD_AD_NICKNAME, "x"));
	s = repeat("n", LIMIT_AD_NICKNAME);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_NICKNAME, s));
	free(s);
	s = repeat("n", LIMIT_AD_NICKNAME + 1);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_NICKNAME, s));
	free(s);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_CAMPAIGN_NAME, ""));
	s = repeat("\xc3\xa9", LIMIT_CAMPAIGN_NAME);
	CU_ASSERT_PTR_NULL(check(FIELD_CAMPAIGN_NAME, s));
	free(s);
	s = repeat("c", LIMIT_CAMPAIGN_NAME + 1);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_CAMPAIGN_NAME, s));
	free(s);
	s = repeat("d", LIMIT_CAMPAIGN_DESC);
	CU_ASSERT_PTR_NULL(check(FIELD_CAMPAIGN_DESC, s));
	free(s);
	s = repeat("d", LIMIT_CAMPAIGN_DESC + 1);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_CAMPAIGN_DESC, s));
	free(s);
	/* A rejection's reason (moderation): 1-200 characters, one line. */
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_REJECT_REASON, ""));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_REJECT_REASON, "bad\nads"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_REJECT_REASON, "\xc3"));
	s = repeat("\xe2\x82\xac", LIMIT_REJECT_REASON);
	CU_ASSERT_PTR_NULL(check(FIELD_REJECT_REASON, s));
	free(s);
	s = repeat("r", LIMIT_REJECT_REASON + 1);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_REJECT_REASON, s));
	free(s);
	CU_ASSERT_STRING_EQUAL(field_name(FIELD_REJECT_REASON), "reason");
	CU_ASSERT_STRING_EQUAL(field_name(FIELD_AD_URL), "url");
	CU_ASSERT_STRING_EQUAL(field_name(FIELD_CAMPAIGN_DESC), "description");
	CU_ASSERT_STRING_EQUAL(field_name(FIELD__MAX), "?");
	CU_ASSERT_PTR_NOT_NULL(check(FIELD__MAX, "x"));
}

static void
test_field_url(void)
{
	char	*s;

	CU_ASSERT_PTR_NULL(check(FIELD_AD_URL, "http://x"));
	CU_ASSERT_PTR_NULL(check(FIELD_AD_URL, "https://example.com/a?b=c#d"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, ""));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "http://"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "https://"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "ftp://x"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "javascript:alert(1)"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "HTTP://x"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "http://x y"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "http://x\"y"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "http://x<y"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "http://x\x01"));
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, "http://\xc3\xa9"));
	/* The bound is in bytes, exactly. */
	s = repeat("a", LIMIT_AD_URL);
	memcpy(s, "http://", 7);
	CU_ASSERT_PTR_NULL(check(FIELD_AD_URL, s));
	free(s);
	s = repeat("a", LIMIT_AD_URL + 1);
	memcpy(s, "http://", 7);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, s));
	CU_ASSERT_PTR_NOT_NULL(strstr(check(FIELD_AD_URL, s), "2000"));
	free(s);
	/* What made a request over the frame limit (issue 10). */
	s = repeat("\x01", 175000);
	memcpy(s, "http://", 7);
	CU_ASSERT_PTR_NOT_NULL(check(FIELD_AD_URL, s));
	free(s);
}

static CU_TestInfo tests[] = {
	{ "test_field_hover_counts_characters",
	    test_field_hover_counts_characters },
	{ "test_field_control_and_bad_utf8",
	    test_field_control_and_bad_utf8 },
	{ "test_field_nickname_and_names",
	    test_field_nickname_and_names },
	{ "test_field_url", test_field_url },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "field", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
