/*
 * CUnit suite for worker/acctnote.c: which link notice a PostgreSQL
 * account notification payload becomes.
 */
#include <string.h>

#include <CUnit/CUnit.h>
#include <json-c/json.h>

#include "cunit_main.h"

#include "acctnote.h"

/* Checks the notice for payload: its kind, and its user when user > 0. */
static void
expect(const char *payload, const char *kind, long long user)
{
	struct json_object	*n, *v;

	n = acctnote_notice(payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_FATAL(json_object_object_get_ex(n, "kind", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), kind);
	if (user > 0) {
		CU_ASSERT_FATAL(json_object_object_get_ex(n, "user", &v));
		CU_ASSERT_EQUAL(json_object_get_int64(v), user);
	} else
		CU_ASSERT_FALSE(json_object_object_get_ex(n, "user", NULL));
	json_object_put(n);
}

static void
test_acctnote_user(void)
{
	expect("1", "account_changed", 1);
	expect("42", "account_changed", 42);
	expect("9223372036854775807", "account_changed", 9223372036854775807LL);
}

static void
test_acctnote_all(void)
{
	expect("*", "accounts_changed", 0);
	expect("", "accounts_changed", 0);
	expect("0", "accounts_changed", 0);
	expect("-5", "accounts_changed", 0);
	expect("+5", "accounts_changed", 0);
	expect(" 5", "accounts_changed", 0);
	expect("5 ", "accounts_changed", 0);
	expect("12x", "accounts_changed", 0);
	expect("9223372036854775808", "accounts_changed", 0);
}

static CU_TestInfo tests[] = {
	{ "test_acctnote_user", test_acctnote_user },
	{ "test_acctnote_all", test_acctnote_all },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "acctnote", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
