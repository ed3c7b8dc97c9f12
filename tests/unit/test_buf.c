/* CUnit tests for common/buf.c. */
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"

static void
test_buf_init_empty(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	CU_ASSERT_PTR_NULL(b.data);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(b.max, SIZE_MAX / 2);
	buf_clear(&b);
	CU_ASSERT_PTR_NULL(b.data);
}

static void
test_buf_add_nul_terminated(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_add(&b, "abc", 3), 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "def"), 0);
	CU_ASSERT_EQUAL(b.len, 6);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "abcdef");
	CU_ASSERT_EQUAL(buf_add(&b, NULL, 0), 0);
	CU_ASSERT_EQUAL(b.len, 6);
	buf_clear(&b);
}

static void
test_buf_grows(void)
{
	struct buf	 b;
	size_t		 i;
	uint8_t		 ch;

	buf_init(&b, 0);
	for (i = 0; i < 10000; i++) {
		ch = (uint8_t)i;
		CU_ASSERT_EQUAL_FATAL(buf_add(&b, &ch, 1), 0);
	}
	CU_ASSERT_EQUAL(b.len, 10000);
	CU_ASSERT(b.cap > b.len);
	for (i = 0; i < 10000; i++)
		if (b.data[i] != (uint8_t)i)
			break;
	CU_ASSERT_EQUAL(i, 10000);
	CU_ASSERT_EQUAL(b.data[b.len], 0);
	buf_clear(&b);
}

static void
test_buf_max_enforced(void)
{
	struct buf	 b;

	buf_init(&b, 5);
	CU_ASSERT_EQUAL(buf_add(&b, "abcd", 4), 0);
	CU_ASSERT_EQUAL(buf_add(&b, "xy", 2), -1);
	CU_ASSERT_EQUAL(b.len, 4);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "abcd");
	CU_ASSERT_EQUAL(buf_add(&b, "x", 1), 0);
	CU_ASSERT_EQUAL(b.len, 5);
	CU_ASSERT(b.cap <= 6);
	CU_ASSERT_EQUAL(buf_add(&b, "x", 1), -1);
	CU_ASSERT_EQUAL(buf_reserve(&b, 1), -1);
	CU_ASSERT_EQUAL(buf_reserve(&b, 0), 0);
	CU_ASSERT_EQUAL(buf_reserve(&b, SIZE_MAX), -1);
	buf_clear(&b);
	CU_ASSERT_EQUAL(b.max, 5);
}

static void
test_buf_reserve_huge_refused(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_add(&b, "a", 1), 0);
	CU_ASSERT_EQUAL(buf_reserve(&b, SIZE_MAX), -1);
	CU_ASSERT_EQUAL(buf_reserve(&b, SIZE_MAX / 2), -1);
	CU_ASSERT_EQUAL(buf_add(&b, "b", SIZE_MAX - 1), -1);
	CU_ASSERT_EQUAL(b.len, 1);
	CU_ASSERT_EQUAL(buf_reserve(&b, 100), 0);
	CU_ASSERT(b.cap >= 102);
	buf_clear(&b);
}

static void
test_buf_printf(void)
{
	struct buf	 b;
	int		 i;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_printf(&b, "%d-%s", 42, "x"), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "42-x");
	for (i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(buf_printf(&b, "%08d", i), 0);
	CU_ASSERT_EQUAL(b.len, 4 + 800);
	CU_ASSERT_EQUAL(memcmp(b.data + b.len - 8, "00000099", 8), 0);
	CU_ASSERT_EQUAL(b.data[b.len], 0);
	buf_clear(&b);
}

static void
test_buf_printf_over_max(void)
{
	struct buf	 b;

	buf_init(&b, 8);
	CU_ASSERT_EQUAL(buf_printf(&b, "%s", "12345"), 0);
	CU_ASSERT_EQUAL(buf_printf(&b, "%s", "6789"), -1);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "12345");
	CU_ASSERT_EQUAL(buf_printf(&b, "%s", "678"), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "12345678");
	buf_clear(&b);
}

static void
test_buf_consume(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "hello world"), 0);
	buf_consume(&b, 6);
	CU_ASSERT_EQUAL(b.len, 5);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "world");
	buf_consume(&b, 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "world");
	buf_consume(&b, 100);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "");
	buf_clear(&b);
	buf_consume(&b, 3);
	CU_ASSERT_EQUAL(b.len, 0);
}

static void
test_buf_reset_keeps_memory(void)
{
	struct buf	 b;
	uint8_t		*p;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "abc"), 0);
	p = b.data;
	buf_reset(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_PTR_EQUAL(b.data, p);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "");
	CU_ASSERT_EQUAL(buf_addstr(&b, "z"), 0);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "z");
	buf_clear(&b);
}

static CU_TestInfo buf_tests[] = {
	{ "test_buf_init_empty", test_buf_init_empty },
	{ "test_buf_add_nul_terminated", test_buf_add_nul_terminated },
	{ "test_buf_grows", test_buf_grows },
	{ "test_buf_max_enforced", test_buf_max_enforced },
	{ "test_buf_reserve_huge_refused", test_buf_reserve_huge_refused },
	{ "test_buf_printf", test_buf_printf },
	{ "test_buf_printf_over_max", test_buf_printf_over_max },
	{ "test_buf_consume", test_buf_consume },
	{ "test_buf_reset_keeps_memory", test_buf_reset_keeps_memory },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suites[] = {
	{ "buf", NULL, NULL, NULL, NULL, buf_tests },
	CU_SUITE_INFO_NULL,
};
