/* CUnit suite for common/money.c: BTC text <-> int64 satoshis (SPEC 3). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "money.h"

#define BIGBUF	64

static enum money_err	 parse_str(const char *s, int64_t *sat);
static uint64_t		 rng_next(uint64_t *state);

/* Parses the whole of s, with no NUL terminator at len. */
static enum money_err
parse_str(const char *s, int64_t *sat)
{
	enum money_err	 e;
	size_t		 len = strlen(s);
	char		*copy;

	/* An exact-size copy: ASan catches a read past len. */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, s, len);
	e = money_parse_btc(copy, len, sat);
	free(copy);
	return e;
}

/* xorshift64*: a fixed-seed stream for reproducible "random" values. */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static void
test_money_parse_valid(void)
{
	static const struct {
		const char	*s;
		int64_t		 sat;
	} ok[] = {
		{ "0.00000001", 1 },
		{ "1", 100000000 },
		{ "0", 0 },
		{ "0.0", 0 },
		{ "0.00000000", 0 },
		{ "0.1", 10000000 },
		{ "0.0001", 10000 },
		{ "1.5", 150000000 },
		{ "21000000", MONEY_MAX_SAT },
		{ "21000000.0", MONEY_MAX_SAT },
		{ "21000000.00000000", MONEY_MAX_SAT },
		{ "20999999.97690000", INT64_C(2099999997690000) },
		{ "20999999.99999999", MONEY_MAX_SAT - 1 },
		{ "007.5", 750000000 },
		{ "0000000000000000000000000000001", 100000000 },
		{ "000000000000000000000000021000000", MONEY_MAX_SAT },
		{ " 1", 100000000 },
		{ "1 ", 100000000 },
		{ "   0.5   ", 50000000 },
		{ "12345678.12345678", INT64_C(1234567812345678) },
	};
	size_t	 i;
	int64_t	 sat;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sat = -42;
		CU_ASSERT_EQUAL((int)parse_str(ok[i].s, &sat), (int)MONEY_OK);
		CU_ASSERT_EQUAL(sat, ok[i].sat);
	}
}

static void
test_money_parse_errors(void)
{
	static const struct {
		const char	*s;
		enum money_err	 err;
	} bad[] = {
		{ "", MONEY_EEMPTY },
		{ " ", MONEY_EEMPTY },
		{ "      ", MONEY_EEMPTY },
		{ "-1", MONEY_ENEGATIVE },
		{ " -0.5", MONEY_ENEGATIVE },
		{ "-0", MONEY_ENEGATIVE },
		{ "0.000000001", MONEY_EDECIMALS },
		{ "1.123456789", MONEY_EDECIMALS },
		{ "1.000000000", MONEY_EDECIMALS },
		{ "21000000.00000001", MONEY_ERANGE },
		{ "21000001", MONEY_ERANGE },
		{ "99999999999999999999999", MONEY_ERANGE },
		{ "99999999999999999999999.5", MONEY_ERANGE },
		{ "9223372036854775807", MONEY_ERANGE },
		{ "9223372036854775808", MONEY_ERANGE },
		{ "18446744073709551616", MONEY_ERANGE },
		{ "1e-8", MONEY_ESYNTAX },
		{ "1e8", MONEY_ESYNTAX },
		{ "+1", MONEY_ESYNTAX },
		{ "1,5", MONEY_ESYNTAX },
		{ ".5", MONEY_ESYNTAX },
		{ "1.", MONEY_ESYNTAX },
		{ "1. ", MONEY_ESYNTAX },
		{ ".", MONEY_ESYNTAX },
		{ "abc", MONEY_ESYNTAX },
		{ "1.2.3", MONEY_ESYNTAX },
		{ "0x10", MONEY_ESYNTAX },
		{ "1 2", MONEY_ESYNTAX },
		{ "1 .5", MONEY_ESYNTAX },
		{ "1\t", MONEY_ESYNTAX },
		{ "\t1", MONEY_ESYNTAX },
		{ "1.5x", MONEY_ESYNTAX },
		{ "nan", MONEY_ESYNTAX },
		{ "inf", MONEY_ESYNTAX },
		{ "1_000", MONEY_ESYNTAX },
	};
	static const char	 nul[] = "1\0";
	size_t			 i;
	int64_t			 sat;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sat = -42;
		CU_ASSERT_EQUAL((int)parse_str(bad[i].s, &sat),
		    (int)bad[i].err);
		/* *sat is left alone on error. */
		CU_ASSERT_EQUAL(sat, -42);
	}
	/* An embedded NUL is garbage, not an end. */
	CU_ASSERT_EQUAL((int)money_parse_btc(nul, 2, &sat), (int)MONEY_ESYNTAX);
	/* len 0 reads nothing, even from NULL. */
	CU_ASSERT_EQUAL((int)money_parse_btc(NULL, 0, &sat), (int)MONEY_EEMPTY);
}

static void
test_money_parse_huge(void)
{
	char	*s;
	size_t	 n = 100000;
	int64_t	 sat;

	/* A long run of digits: ERANGE, never a signed overflow (UBSan). */
	if ((s = malloc(n)) == NULL)
		abort();
	memset(s, '9', n);
	CU_ASSERT_EQUAL((int)money_parse_btc(s, n, &sat), (int)MONEY_ERANGE);
	/* Many leading zeros are still a small number. */
	memset(s, '0', n);
	s[n - 1] = '1';
	CU_ASSERT_EQUAL((int)money_parse_btc(s, n, &sat), (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, 100000000);
	/* Many spaces around it too. */
	memset(s, ' ', n);
	s[n / 2] = '3';
	CU_ASSERT_EQUAL((int)money_parse_btc(s, n, &sat), (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, 300000000);
	free(s);
}

static void
test_money_parse_len_bounded(void)
{
	const char	*s = "1.50000000999";
	int64_t		 sat;

	/* Only len bytes count: what follows is not looked at. */
	CU_ASSERT_EQUAL((int)money_parse_btc(s, 1, &sat), (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, 100000000);
	CU_ASSERT_EQUAL((int)money_parse_btc(s, 2, &sat), (int)MONEY_ESYNTAX);
	CU_ASSERT_EQUAL((int)money_parse_btc(s, 3, &sat), (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, 150000000);
	CU_ASSERT_EQUAL((int)money_parse_btc(s, 10, &sat), (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, 150000000);
	CU_ASSERT_EQUAL((int)money_parse_btc(s, 11, &sat),
	    (int)MONEY_EDECIMALS);
	CU_ASSERT_EQUAL((int)money_parse_btc("21000000.5", 8, &sat),
	    (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, MONEY_MAX_SAT);
	CU_ASSERT_EQUAL((int)money_parse_btc("  7  x", 5, &sat), (int)MONEY_OK);
	CU_ASSERT_EQUAL(sat, 700000000);
}

static void
test_money_strerror(void)
{
	int	 i;

	for (i = 0; i < MONEY_ERR__MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL(money_strerror((enum money_err)i));
		CU_ASSERT(money_strerror((enum money_err)i)[0] != '\0');
	}
	CU_ASSERT_STRING_EQUAL(money_strerror(MONEY_ERR__MAX), "bad amount");
	CU_ASSERT_STRING_EQUAL(money_strerror((enum money_err)-1),
	    "bad amount");
}

static void
test_money_format(void)
{
	static const struct {
		int64_t		 sat;
		const char	*s;
	} f[] = {
		{ 0, "0.00000000" },
		{ 1, "0.00000001" },
		{ 10000, "0.00010000" },
		{ 100000000, "1.00000000" },
		{ 150000000, "1.50000000" },
		{ -150000000, "-1.50000000" },
		{ -1, "-0.00000001" },
		{ MONEY_MAX_SAT, "21000000.00000000" },
		{ INT64_C(2099999997690000), "20999999.97690000" },
		{ INT64_MAX, "92233720368.54775807" },
		{ INT64_MIN, "-92233720368.54775808" },
	};
	char	 out[BIGBUF];
	size_t	 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		memset(out, 'X', sizeof(out));
		CU_ASSERT_EQUAL(money_format_btc(f[i].sat, out, sizeof(out)),
		    0);
		CU_ASSERT_STRING_EQUAL(out, f[i].s);
	}
}

static void
test_money_format_small_buffer(void)
{
	char	 out[BIGBUF];

	/* "1.00000000" is 10 characters: 11 bytes fit, 10 do not. */
	CU_ASSERT_EQUAL(money_format_btc(100000000, out, 11), 0);
	CU_ASSERT_STRING_EQUAL(out, "1.00000000");
	memset(out, 'X', sizeof(out));
	CU_ASSERT_EQUAL(money_format_btc(100000000, out, 10), -1);
	/* Whatever was written stays inside the buffer, NUL-terminated. */
	CU_ASSERT_EQUAL(out[9], '\0');
	CU_ASSERT_EQUAL(out[10], 'X');
	CU_ASSERT_EQUAL(money_format_btc(-150000000, out, 11), -1);
	CU_ASSERT_EQUAL(money_format_btc(-150000000, out, 12), 0);
	CU_ASSERT_EQUAL(money_format_btc(INT64_MIN, out, 21), -1);
	CU_ASSERT_EQUAL(money_format_btc(INT64_MIN, out, 22), 0);
	CU_ASSERT_EQUAL(money_format_btc(1, out, 1), -1);
	CU_ASSERT_EQUAL(out[0], '\0');
	CU_ASSERT_EQUAL(money_format_btc(1, NULL, 0), -1);
}

static void
test_money_round_trip(void)
{
	static const int64_t	 fixed[] = {
		0, 1, 9, 10, 99, 100, 12345678, 99999999, 100000000,
		100000001, 150000000, 999999999, 1000000000,
		INT64_C(2099999997690000), MONEY_MAX_SAT - 1, MONEY_MAX_SAT,
	};
	char			 out[BIGBUF];
	uint64_t		 state = UINT64_C(0x9e3779b97f4a7c15);
	int64_t			 x, back;
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(money_format_btc(fixed[i], out,
		    sizeof(out)), 0);
		back = -1;
		CU_ASSERT_EQUAL((int)parse_str(out, &back), (int)MONEY_OK);
		CU_ASSERT_EQUAL(back, fixed[i]);
	}
	/* Every small amount, then random ones over the whole range. */
	for (x = 0; x < 100000; x++) {
		if (money_format_btc(x, out, sizeof(out)) != 0 ||
		    money_parse_btc(out, strlen(out), &back) != MONEY_OK ||
		    back != x)
			bad++;
	}
	for (i = 0; i < 200000; i++) {
		x = (int64_t)(rng_next(&state) % (uint64_t)(MONEY_MAX_SAT + 1));
		if (money_format_btc(x, out, sizeof(out)) != 0 ||
		    money_parse_btc(out, strlen(out), &back) != MONEY_OK ||
		    back != x)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* Above the maximum and below zero the text does not parse back. */
	CU_ASSERT_EQUAL(money_format_btc(MONEY_MAX_SAT + 1, out, sizeof(out)),
	    0);
	CU_ASSERT_EQUAL((int)parse_str(out, &back), (int)MONEY_ERANGE);
	CU_ASSERT_EQUAL(money_format_btc(-1, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL((int)parse_str(out, &back), (int)MONEY_ENEGATIVE);
}

static CU_TestInfo tests[] = {
	{ "test_money_parse_valid", test_money_parse_valid },
	{ "test_money_parse_errors", test_money_parse_errors },
	{ "test_money_parse_huge", test_money_parse_huge },
	{ "test_money_parse_len_bounded",
	    test_money_parse_len_bounded },
	{ "test_money_strerror", test_money_strerror },
	{ "test_money_format", test_money_format },
	{ "test_money_format_small_buffer",
	    test_money_format_small_buffer },
	{ "test_money_round_trip", test_money_round_trip },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "money", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
