/*
 * CUnit suite for common/totp.c: RFC 6238 appendix B's SHA1 vectors, the
 * verdicts of totp_check on a fixed clock (window, reuse), and the parsers
 * of typed codes and recovery codes on their edge cases.
 */
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "totp.h"

/* RFC 6238 appendix B: the SHA1 key is the ASCII "1234567890" twice. */
static const uint8_t	 rfc_key[] = "12345678901234567890";
#define RFC_KEYLEN	20

static void
test_totp_rfc6238_vectors(void)
{
	static const struct {
		int64_t		 t;
		uint32_t	 code;	/* 8 digits, as the RFC prints */
	} v[] = {
		{ 59, 94287082 },
		{ 1111111109, 7081804 },
		{ 1111111111, 14050471 },
		{ 1234567890, 89005924 },
		{ 2000000000, 69279037 },
		{ INT64_C(20000000000), 65353130 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL(totp_hotp(rfc_key, RFC_KEYLEN,
		    (uint64_t)totp_step(v[i].t), 8), v[i].code);
		/* 6 digits are the last 6 of the same truncation. */
		CU_ASSERT_EQUAL(totp_hotp(rfc_key, RFC_KEYLEN,
		    (uint64_t)totp_step(v[i].t), 6), v[i].code % 1000000);
	}
	CU_ASSERT_EQUAL(totp_hotp(rfc_key, RFC_KEYLEN, 1, 5), UINT32_MAX);
	CU_ASSERT_EQUAL(totp_hotp(rfc_key, RFC_KEYLEN, 1, 9), UINT32_MAX);
	CU_ASSERT_EQUAL(totp_step(-5), 0);
	CU_ASSERT_EQUAL(totp_step(29), 0);
	CU_ASSERT_EQUAL(totp_step(30), 1);
}

/* The code of step s with the RFC key, 6 digits. */
static uint32_t
code_at(int64_t s)
{
	return totp_hotp(rfc_key, RFC_KEYLEN, (uint64_t)s, 6);
}

static void
test_totp_check_window(void)
{
	int64_t	 now = 1111111111, s = totp_step(now), got = -1;

	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s), 0,
	    &got), 1);
	CU_ASSERT_EQUAL(got, s);
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s - 1), 0,
	    &got), 1);
	CU_ASSERT_EQUAL(got, s - 1);
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s + 1), 0,
	    &got), 1);
	CU_ASSERT_EQUAL(got, s + 1);
	/* Two steps away is outside the window. */
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s - 2), 0,
	    &got), 0);
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s + 2), 0,
	    &got), 0);
	/* Another key's code is wrong. */
	CU_ASSERT_EQUAL(totp_check((const uint8_t *)"another key 20 bytes",
	    20, now, code_at(s), 0, &got), 0);
}

static void
test_totp_check_reuse(void)
{
	int64_t	 now = 2000000000, s = totp_step(now), got = -1;

	/* The step already accepted, or an older one: refused as used. */
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s), s,
	    &got), -1);
	CU_ASSERT_EQUAL(got, s);	/* which step: SQL says "used" */
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s - 1), s,
	    &got), -1);
	/* A later step after it is fine. */
	got = -1;
	CU_ASSERT_EQUAL(totp_check(rfc_key, RFC_KEYLEN, now, code_at(s + 1), s,
	    &got), 1);
	CU_ASSERT_EQUAL(got, s + 1);
}

static void
test_totp_parse_code(void)
{
	uint32_t	 c = 0;

	CU_ASSERT_EQUAL(totp_parse_code("123456", &c), 0);
	CU_ASSERT_EQUAL(c, 123456);
	CU_ASSERT_EQUAL(totp_parse_code("012 345", &c), 0);
	CU_ASSERT_EQUAL(c, 12345);
	CU_ASSERT_EQUAL(totp_parse_code(" 000000 ", &c), 0);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(totp_parse_code(NULL, &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("12345", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("1234567", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("12345a", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("-12345", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("12\t3456", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("99999999999999999999", &c), -1);
	CU_ASSERT_EQUAL(totp_parse_code("１２３４５６", &c), -1);
}

static void
test_totp_base32(void)
{
	char	 out[TOTP_B32_MAX];

	/* RFC 4648 section 10, without padding. */
	CU_ASSERT_EQUAL(totp_base32((const uint8_t *)"", 0, out, sizeof(out)),
	    0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(totp_base32((const uint8_t *)"f", 1, out, sizeof(out)),
	    0);
	CU_ASSERT_STRING_EQUAL(out, "MY");
	CU_ASSERT_EQUAL(totp_base32((const uint8_t *)"foobar", 6, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "MZXW6YTBOI");
	CU_ASSERT_EQUAL(totp_base32(rfc_key, RFC_KEYLEN, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	/* 32 letters need 33 bytes. */
	CU_ASSERT_EQUAL(totp_base32(rfc_key, RFC_KEYLEN, out, 32), -1);
	CU_ASSERT_EQUAL(totp_base32(rfc_key, RFC_KEYLEN, out, 33), 0);
}

static void
test_totp_recovery(void)
{
	char	 n[TOTP_RECOVERY_LEN + 1], show[TOTP_RECOVERY_LEN + 2];

	CU_ASSERT_EQUAL(totp_recovery_norm("abcde-fgh23", n, sizeof(n)), 0);
	CU_ASSERT_STRING_EQUAL(n, "ABCDEFGH23");
	totp_recovery_show(n, show);
	CU_ASSERT_STRING_EQUAL(show, "ABCDE-FGH23");
	CU_ASSERT_EQUAL(totp_recovery_norm(" AB CDE FGH 2 3 ", n, sizeof(n)),
	    0);
	CU_ASSERT_EQUAL(totp_recovery_norm(NULL, n, sizeof(n)), -1);
	CU_ASSERT_EQUAL(totp_recovery_norm("", n, sizeof(n)), -1);
	CU_ASSERT_EQUAL(totp_recovery_norm("ABCDEFGH2", n, sizeof(n)), -1);
	CU_ASSERT_EQUAL(totp_recovery_norm("ABCDEFGH234", n, sizeof(n)), -1);
	/* 0, 1, 8 and 9 are not base32 letters. */
	CU_ASSERT_EQUAL(totp_recovery_norm("ABCDEFGH01", n, sizeof(n)), -1);
	CU_ASSERT_EQUAL(totp_recovery_norm("ABCDEFGH\xc3\xa9", n, sizeof(n)),
	    -1);
	CU_ASSERT_EQUAL(totp_recovery_norm("ABCDEFGH23", n, 10), -1);
	/* A 6-digit code is never a recovery code. */
	CU_ASSERT_EQUAL(totp_recovery_norm("123456", n, sizeof(n)), -1);
}

static CU_TestInfo tests[] = {
	{ "test_totp_rfc6238_vectors", test_totp_rfc6238_vectors },
	{ "test_totp_check_window", test_totp_check_window },
	{ "test_totp_check_reuse", test_totp_check_reuse },
	{ "test_totp_parse_code", test_totp_parse_code },
	{ "test_totp_base32", test_totp_base32 },
	{ "test_totp_recovery", test_totp_recovery },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "totp", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
