/*
 * CUnit suite for worker/acctnote.c: which link notice a PostgreSQL
 * account notification payload becomes.
 */
#include <string.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

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

int
main(void)
{
	static CU_TestInfo tests[] = {
		{ "test_acctnote_user", test_acctnote_user },
		{ "test_acctnote_all", test_acctnote_all },
		CU_TEST_INFO_NULL
	};
	static CU_SuiteInfo suites[] = {
		{ "acctnote", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL
	};
	unsigned int	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    CU_register_suites(suites) != CUE_SUCCESS)
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
