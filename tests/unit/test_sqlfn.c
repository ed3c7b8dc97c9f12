/*
 * CUnit suite for worker/sqlfn.c: "-- requires:" header lines, the apply
 * order of sql/functions/ files, and the SHA-256 checksums of migrations.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "sqlfn.h"

/* Parses the whole of s from an exact-size copy (ASan sees overreads). */
static int
requires_of(const char *s, struct sqlfn_file *f)
{
	size_t	 len = strlen(s);
	char	*copy;
	int	 rc;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, s, len);
	memset(f, 0, sizeof(*f));
	rc = sqlfn_requires(copy, len, f);
	free(copy);
	return rc;
}

static void
test_sqlfn_requires_header(void)
{
	struct sqlfn_file	 f;

	CU_ASSERT_EQUAL(requires_of("-- requires: camp_state_slots\n\n"
	    "-- A campaign.\nCREATE OR REPLACE FUNCTION x() ...", &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 1);
	CU_ASSERT_STRING_EQUAL(f.req[0], "camp_state_slots");
	CU_ASSERT_EQUAL(requires_of("-- what it does\n-- requires: a, b c\r\n"
	    "-- requires:d\n", &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 4);
	CU_ASSERT_STRING_EQUAL(f.req[0], "a");
	CU_ASSERT_STRING_EQUAL(f.req[1], "b");
	CU_ASSERT_STRING_EQUAL(f.req[2], "c");
	CU_ASSERT_STRING_EQUAL(f.req[3], "d");
	/* Without a final newline, and empty lists. */
	CU_ASSERT_EQUAL(requires_of("-- requires: last", &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 1);
	CU_ASSERT_STRING_EQUAL(f.req[0], "last");
	CU_ASSERT_EQUAL(requires_of("-- requires:\n-- requires: ,\n", &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 0);
	CU_ASSERT_EQUAL(requires_of("", &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 0);
}

static void
test_sqlfn_requires_only_in_header(void)
{
	struct sqlfn_file	 f;

	/* After the first statement line, a requires line is just a comment. */
	CU_ASSERT_EQUAL(requires_of("CREATE FUNCTION x()\n-- requires: y\n",
	    &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 0);
	CU_ASSERT_EQUAL(requires_of("-- x\nSELECT 1;\n-- requires: y\n", &f),
	    0);
	CU_ASSERT_EQUAL(f.nreq, 0);
	/* Indented: not the tag. */
	CU_ASSERT_EQUAL(requires_of(" -- requires: y\n", &f), 0);
	CU_ASSERT_EQUAL(f.nreq, 0);
}

static void
test_sqlfn_requires_bad(void)
{
	struct sqlfn_file	 f;
	char			 many[512];
	int			 i;

	CU_ASSERT_EQUAL(requires_of("-- requires: Camp\n", &f), -1);
	CU_ASSERT_EQUAL(requires_of("-- requires: a; DROP\n", &f), -1);
	CU_ASSERT_EQUAL(requires_of("-- requires: a.b\n", &f), -1);
	CU_ASSERT_EQUAL(requires_of("-- requires: "
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    "\n", &f), -1);
	strcpy(many, "-- requires:");
	for (i = 0; i <= SQLFN_REQ_MAX; i++)
		strcat(many, " x");
	CU_ASSERT_EQUAL(requires_of(many, &f), -1);
	many[strlen(many) - 2] = '\0';
	CU_ASSERT_EQUAL(requires_of(many, &f), 0);
	CU_ASSERT_EQUAL(f.nreq, SQLFN_REQ_MAX);
}

static void
test_sqlfn_name_ok(void)
{
	CU_ASSERT_TRUE(sqlfn_name_ok("acct_overview", 13));
	CU_ASSERT_TRUE(sqlfn_name_ok("a1", 2));
	CU_ASSERT_FALSE(sqlfn_name_ok("", 0));
	CU_ASSERT_FALSE(sqlfn_name_ok("Acct", 4));
	CU_ASSERT_FALSE(sqlfn_name_ok("a-b", 3));
	CU_ASSERT_FALSE(sqlfn_name_ok("../x", 4));
}

/* Sets files[i] to name with the requirements in the NULL-ended list. */
static void
file_set(struct sqlfn_file *f, const char *name, const char *const *req)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	for (; req != NULL && *req != NULL; req++)
		strcpy(f->req[f->nreq++], *req);
}

static void
test_sqlfn_order_name_then_requires(void)
{
	static const char *const needs_slots[] = { "camp_state_slots", NULL };
	static const char *const needs_logout[] = { "acct_logout_all", NULL };
	struct sqlfn_file	 f[5];
	size_t			 order[5];
	char			 why[128];

	file_set(&f[0], "acct_logout_all", NULL);
	file_set(&f[1], "acct_password", needs_logout);
	file_set(&f[2], "camp_list", needs_slots);
	file_set(&f[3], "camp_state", needs_slots);
	file_set(&f[4], "camp_state_slots", NULL);
	CU_ASSERT_EQUAL(sqlfn_order(f, 5, order, why, sizeof(why)), 0);
	/* acct_logout_all, acct_password, then camp_state_slots moves up. */
	CU_ASSERT_EQUAL(order[0], 0);
	CU_ASSERT_EQUAL(order[1], 1);
	CU_ASSERT_EQUAL(order[2], 4);
	CU_ASSERT_EQUAL(order[3], 2);
	CU_ASSERT_EQUAL(order[4], 3);
	CU_ASSERT_EQUAL(sqlfn_order(f, 0, order, why, sizeof(why)), 0);
}

static void
test_sqlfn_order_chain(void)
{
	static const char *const needs_b[] = { "b", NULL };
	static const char *const needs_c[] = { "c", NULL };
	struct sqlfn_file	 f[3];
	size_t			 order[3];
	char			 why[128];

	file_set(&f[0], "a", needs_b);
	file_set(&f[1], "b", needs_c);
	file_set(&f[2], "c", NULL);
	CU_ASSERT_EQUAL(sqlfn_order(f, 3, order, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(order[0], 2);
	CU_ASSERT_EQUAL(order[1], 1);
	CU_ASSERT_EQUAL(order[2], 0);
}

static void
test_sqlfn_order_refused(void)
{
	static const char *const needs_a[] = { "a", NULL };
	static const char *const needs_b[] = { "b", NULL };
	static const char *const needs_z[] = { "z", NULL };
	struct sqlfn_file	 f[3];
	size_t			 order[3];
	char			 why[128];

	file_set(&f[0], "a", needs_b);
	file_set(&f[1], "b", needs_a);
	file_set(&f[2], "c", NULL);
	CU_ASSERT_EQUAL(sqlfn_order(f, 3, order, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "cycle"));
	file_set(&f[0], "a", needs_a);
	file_set(&f[1], "b", NULL);
	CU_ASSERT_EQUAL(sqlfn_order(f, 3, order, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "cycle through a"));
	file_set(&f[0], "a", needs_z);
	CU_ASSERT_EQUAL(sqlfn_order(f, 3, order, why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "a requires z, which has no file");
}

static void
test_sqlfn_sha256(void)
{
	char	 hex[SQLFN_HEX_LEN];

	CU_ASSERT_EQUAL(sqlfn_sha256_hex("", 0, hex), 0);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	CU_ASSERT_EQUAL(sqlfn_sha256_hex("abc", 3, hex), 0);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	/* One byte more (a trailing newline) is another checksum. */
	CU_ASSERT_EQUAL(sqlfn_sha256_hex("abc\n", 4, hex), 0);
	CU_ASSERT_STRING_NOT_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static CU_TestInfo tests[] = {
	{ "test_sqlfn_requires_header", test_sqlfn_requires_header },
	{ "test_sqlfn_requires_only_in_header",
	    test_sqlfn_requires_only_in_header },
	{ "test_sqlfn_requires_bad", test_sqlfn_requires_bad },
	{ "test_sqlfn_name_ok", test_sqlfn_name_ok },
	{ "test_sqlfn_order_name_then_requires",
	    test_sqlfn_order_name_then_requires },
	{ "test_sqlfn_order_chain", test_sqlfn_order_chain },
	{ "test_sqlfn_order_refused", test_sqlfn_order_refused },
	{ "test_sqlfn_sha256", test_sqlfn_sha256 },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "sqlfn", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
