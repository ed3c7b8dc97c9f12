/* CUnit suite for web/csrf.c: tokens bound to a session or pre-session. */
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "csrf.h"

#define SECRET	"0123456789abcdef0123456789abcdef0123456789abcdef"
#define SESS_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SESS_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
test_csrf_key(void)
{
	struct csrf_key	 k;

	CU_ASSERT_EQUAL(csrf_key_set(&k, NULL), -1);
	CU_ASSERT_EQUAL(csrf_key_set(&k, "short"), -1);
	CU_ASSERT_EQUAL(k.len, 0);
	CU_ASSERT_EQUAL(csrf_key_set(&k, SECRET), 0);
	CU_ASSERT_EQUAL(k.len, strlen(SECRET));
	CU_ASSERT_EQUAL(csrf_key_random(&k), 0);
	CU_ASSERT_EQUAL(k.len, 32);
}

static void
test_csrf_bound(void)
{
	struct csrf_key	 k, other;
	char		 a[CSRF_TOKEN_LEN + 1], a2[CSRF_TOKEN_LEN + 1];
	char		 b[CSRF_TOKEN_LEN + 1], p[CSRF_TOKEN_LEN + 1];

	CU_ASSERT_FATAL(csrf_key_set(&k, SECRET) == 0);
	CU_ASSERT_FATAL(csrf_key_set(&other, SECRET "x") == 0);
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_SESSION, SESS_A, a), 0);
	CU_ASSERT_EQUAL(strlen(a), CSRF_TOKEN_LEN);
	CU_ASSERT_EQUAL(strspn(a, "0123456789abcdef"), CSRF_TOKEN_LEN);
	/* Deterministic: both abc-web compute the same. */
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_SESSION, SESS_A, a2), 0);
	CU_ASSERT_STRING_EQUAL(a, a2);
	CU_ASSERT_TRUE(csrf_valid(&k, CSRF_SESSION, SESS_A, a));
	/* Session A's token is worthless for session B... */
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_SESSION, SESS_B, b), 0);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_SESSION, SESS_B, a));
	/* ...as a pre-session token of the same value, or under a key. */
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_PRE, SESS_A, p), 0);
	CU_ASSERT_STRING_NOT_EQUAL(a, p);
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_PRE, SESS_A, a));
	CU_ASSERT_FALSE(csrf_valid(&other, CSRF_SESSION, SESS_A, a));
	/* Near misses. */
	a2[0] = a2[0] == '0' ? '1' : '0';
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_SESSION, SESS_A, a2));
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_SESSION, SESS_A, ""));
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_SESSION, SESS_A, NULL));
	a[CSRF_TOKEN_LEN - 1] = '\0';
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_SESSION, SESS_A, a));
}

static void
test_csrf_refuses(void)
{
	struct csrf_key	 k, empty;
	char		 t[CSRF_TOKEN_LEN + 1], big[CSRF_BOUND_MAX + 2];

	CU_ASSERT_FATAL(csrf_key_set(&k, SECRET) == 0);
	memset(&empty, 0, sizeof(empty));
	CU_ASSERT_EQUAL(csrf_token(&empty, CSRF_SESSION, SESS_A, t), -1);
	CU_ASSERT_STRING_EQUAL(t, "");
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_SESSION, "", t), -1);
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_SESSION, NULL, t), -1);
	CU_ASSERT_EQUAL(csrf_token(&k, (enum csrf_kind)'x', SESS_A, t), -1);
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_PRE, big, t), -1);
	big[CSRF_BOUND_MAX] = '\0';
	CU_ASSERT_EQUAL(csrf_token(&k, CSRF_PRE, big, t), 0);
	/* Nothing is valid without a bound cookie, not even "". */
	CU_ASSERT_FALSE(csrf_valid(&k, CSRF_PRE, "", ""));
	CU_ASSERT_FALSE(csrf_valid(&empty, CSRF_PRE, SESS_A, t));
}

static CU_TestInfo tests[] = {
	{ "test_csrf_key", test_csrf_key },
	{ "test_csrf_bound", test_csrf_bound },
	{ "test_csrf_refuses", test_csrf_refuses },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "csrf", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
