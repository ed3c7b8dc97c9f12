/*
 * CUnit suite for worker/acctnote.c: which link notice a PostgreSQL
 * account notification payload becomes.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <json-c/json.h>

#include "cunit_main.h"

#include "acctnote.h"

/* The notice for one payload alone; the caller puts it. */
static struct json_object *
one(const char *payload)
{
	struct acctnote_batch	 b;

	acctnote_init(&b);
	CU_ASSERT_EQUAL(acctnote_add(&b, payload), 0);
	return acctnote_notice(&b);
}

/* Checks notice n (put here): its kind, and its user when user > 0. */
static void
expect_notice(struct json_object *n, const char *kind, long long user)
{
	struct json_object	*v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_FATAL(json_object_object_get_ex(n, "kind", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), kind);
	if (user > 0) {
		CU_ASSERT_FATAL(json_object_object_get_ex(n, "user", &v));
		CU_ASSERT_EQUAL(json_object_get_int64(v), user);
	} else
		CU_ASSERT_FALSE(json_object_object_get_ex(n, "user", NULL));
	CU_ASSERT_FALSE(json_object_object_get_ex(n, "users", NULL));
	json_object_put(n);
}

static void
expect(const char *payload, const char *kind, long long user)
{
	expect_notice(one(payload), kind, user);
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

/* Several users: one notice, each user once, in order of arrival. */
static void
test_acctnote_several(void)
{
	struct acctnote_batch	 b;
	struct json_object	*n, *v, *users;

	acctnote_init(&b);
	CU_ASSERT_PTR_NULL(acctnote_notice(&b));	/* nothing to say */
	CU_ASSERT_EQUAL(acctnote_add(&b, "7"), 0);
	CU_ASSERT_EQUAL(acctnote_add(&b, "3"), 0);
	CU_ASSERT_EQUAL(acctnote_add(&b, "7"), 0);
	n = acctnote_notice(&b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_FATAL(json_object_object_get_ex(n, "kind", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "accounts_changed");
	CU_ASSERT_FATAL(json_object_object_get_ex(n, "users", &users));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(users), 2);
	CU_ASSERT_EQUAL(json_object_get_int64(
	    json_object_array_get_idx(users, 0)), 7);
	CU_ASSERT_EQUAL(json_object_get_int64(
	    json_object_array_get_idx(users, 1)), 3);
	json_object_put(n);

	/* "every account" among them wins: no list. */
	CU_ASSERT_EQUAL(acctnote_add(&b, "*"), 0);
	CU_ASSERT_EQUAL(acctnote_add(&b, "9"), 0);
	expect_notice(acctnote_notice(&b), "accounts_changed", 0);
}

/* A full batch refuses a new user (and only a new one) until relayed. */
static void
test_acctnote_full(void)
{
	struct acctnote_batch	 b;
	char			 id[24];
	int			 i;

	acctnote_init(&b);
	for (i = 1; i <= ACCTNOTE_USERS_MAX; i++) {
		snprintf(id, sizeof(id), "%d", i);
		CU_ASSERT_EQUAL(acctnote_add(&b, id), 0);
	}
	CU_ASSERT_EQUAL(acctnote_add(&b, "1"), 0);	/* already in it */
	CU_ASSERT_EQUAL(acctnote_add(&b, "100000"), -1);
	CU_ASSERT_EQUAL(b.n, ACCTNOTE_USERS_MAX);
	acctnote_init(&b);
	CU_ASSERT_EQUAL(acctnote_add(&b, "100000"), 0);
	expect_notice(acctnote_notice(&b), "account_changed", 100000);
}

static CU_TestInfo tests[] = {
	{ "test_acctnote_user", test_acctnote_user },
	{ "test_acctnote_all", test_acctnote_all },
	{ "test_acctnote_several", test_acctnote_several },
	{ "test_acctnote_full", test_acctnote_full },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "acctnote", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
