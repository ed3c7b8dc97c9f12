/*
 * Tests of common/hex.c, the hex of tokens, keys and salts from abc-web
 * and of PostgreSQL's bytea: exact lengths only, either case, an
 * optional "\x", nothing else (NULL, odd digits, a stray byte, a NUL
 * inside), and out untouched when refused.
 */
#include <stdint.h>
#include <string.h>

#include "cunit_main.h"
#include "hex.h"

static void
test_hex_encode(void)
{
	const uint8_t	 in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char		 out[2 * sizeof(in) + 1];

	memset(out, 'x', sizeof(out));
	hex_encode(in, sizeof(in), out);
	CU_ASSERT_STRING_EQUAL(out, "00017f80abff");
	hex_encode(in, 0, out);
	CU_ASSERT_STRING_EQUAL(out, "");
}

/* Decoding what was encoded gives the bytes back; either case reads. */
static void
test_hex_round_trip(void)
{
	uint8_t		 in[32], back[32];
	char		 text[65];
	size_t		 i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 5);
	hex_encode(in, sizeof(in), text);
	CU_ASSERT_EQUAL(hex_decode(text, back, sizeof(back)), 0);
	CU_ASSERT_EQUAL(memcmp(in, back, sizeof(in)), 0);
	CU_ASSERT_EQUAL(hex_decode("ABcd", back, 2), 0);
	CU_ASSERT_EQUAL(back[0], 0xab);
	CU_ASSERT_EQUAL(back[1], 0xcd);
}

/* PostgreSQL's bytea output: "\x" then the digits; only at the start. */
static void
test_hex_bytea(void)
{
	uint8_t	 out[2];

	CU_ASSERT_EQUAL(hex_decode("\\x0aff", out, 2), 0);
	CU_ASSERT_EQUAL(out[0], 0x0a);
	CU_ASSERT_EQUAL(out[1], 0xff);
	CU_ASSERT_EQUAL(hex_decode("\\x", out, 0), 0);
	CU_ASSERT_EQUAL(hex_decode("0a\\xff", out, 3), -1);
	CU_ASSERT_EQUAL(hex_decode("\\X0aff", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("\\x\\x0aff", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("x0aff", out, 2), -1);
}

/* Anything but exactly 2*len hex digits is refused, out untouched. */
static void
test_hex_refused(void)
{
	uint8_t	 out[2] = { 0x55, 0x55 };

	CU_ASSERT_EQUAL(hex_decode(NULL, out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("0a", out, 2), -1);		/* short */
	CU_ASSERT_EQUAL(hex_decode("0a0b0", out, 2), -1);	/* odd */
	CU_ASSERT_EQUAL(hex_decode("0a0b0c", out, 2), -1);	/* long */
	CU_ASSERT_EQUAL(hex_decode("0g0b", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("0a 0", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("+a0b", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("0a\n0", out, 2), -1);
	CU_ASSERT_EQUAL(hex_decode("0a\3200", out, 2), -1);	/* high byte */
	CU_ASSERT_EQUAL(hex_decode("\\x0a", out, 2), -1);
	CU_ASSERT_EQUAL(out[0], 0x55);
	CU_ASSERT_EQUAL(out[1], 0x55);
	CU_ASSERT_EQUAL(hex_decode("", out, 0), 0);
}

static CU_TestInfo hex_tests[] = {
	{ "test_hex_encode", test_hex_encode },
	{ "test_hex_round_trip", test_hex_round_trip },
	{ "test_hex_bytea", test_hex_bytea },
	{ "test_hex_refused", test_hex_refused },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "hex", NULL, NULL, NULL, NULL, hex_tests },
	CU_SUITE_INFO_NULL
};
