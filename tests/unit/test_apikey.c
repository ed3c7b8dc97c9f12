/*
 * Issue 15's outside bytes and limits: API keys as text and the Bearer
 * header (common/apikey.c), JSON request bodies (web/apijson.c) and the
 * per-key token bucket (web/apilimit.c).
 */
#include <string.h>

#include "cunit_main.h"

#include "apijson.h"
#include "apikey.h"
#include "apilimit.h"

#define K43	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static void
test_key_shape(void)
{
	uint8_t	 raw[32];
	char	 key[APIKEY_LEN + 1], other[APIKEY_LEN + 1];
	char	 want[APIKEY_LEN + 1];

	/* 0xff.. is "_" for each 6 bits; the last 2 bits padded: "8". */
	memset(raw, 0xff, sizeof(raw));
	apikey_from_raw(raw, key);
	CU_ASSERT_EQUAL(strlen(key), APIKEY_LEN);
	memcpy(want, "abc_", 4);
	memset(want + 4, '_', 42);
	memcpy(want + 46, "8", 2);
	CU_ASSERT_STRING_EQUAL(key, want);
	CU_ASSERT_TRUE(apikey_valid(key));
	memset(raw, 0, sizeof(raw));
	apikey_from_raw(raw, key);
	CU_ASSERT_STRING_EQUAL(key, "abc_" K43);
	CU_ASSERT_EQUAL(apikey_random(raw), 0);
	apikey_from_raw(raw, key);
	CU_ASSERT_EQUAL(apikey_random(raw), 0);
	apikey_from_raw(raw, other);
	CU_ASSERT_TRUE(apikey_valid(key) && apikey_valid(other));
	CU_ASSERT_STRING_NOT_EQUAL(key, other);
}

static void
test_key_valid_edges(void)
{
	CU_ASSERT_FALSE(apikey_valid(NULL));
	CU_ASSERT_FALSE(apikey_valid(""));
	CU_ASSERT_FALSE(apikey_valid("abc_"));
	CU_ASSERT_FALSE(apikey_valid("abc_" K43 "A"));		/* long */
	CU_ASSERT_FALSE(apikey_valid("abc_" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	CU_ASSERT_FALSE(apikey_valid("ABC_" K43));		/* tag case */
	CU_ASSERT_FALSE(apikey_valid("abc_AAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAAA"));
	CU_ASSERT_FALSE(apikey_valid("abc_AAAAAAAAAAAAAAAAAAAA=AAAAAAAAAAAAAAAAAAAAAA"));
	CU_ASSERT_FALSE(apikey_valid("abc_AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA"));
	CU_ASSERT_TRUE(apikey_valid("abc_AAAAAAAAAAAAAAAAAAAA-_AAAAAAAAAAAAAAAAAAAAA"));
}

static void
test_key_hash(void)
{
	char	 hex[APIKEY_HASH_HEX + 1];

	/* sha256("abc"), the FIPS 180-2 vector: the hash is of the text. */
	apikey_hash_hex("abc", hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_bearer(void)
{
	char	 key[APIKEY_LEN + 1];

	CU_ASSERT_EQUAL(apikey_bearer("Bearer abc_" K43, key), 0);
	CU_ASSERT_STRING_EQUAL(key, "abc_" K43);
	CU_ASSERT_EQUAL(apikey_bearer("bearer \t abc_" K43 "  ", key), 0);
	CU_ASSERT_STRING_EQUAL(key, "abc_" K43);
	CU_ASSERT_EQUAL(apikey_bearer(NULL, key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("", key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearer", key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearer ", key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearerabc_" K43, key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Basic abc_" K43, key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearer abc_" K43 "x", key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearer abc_" K43 " x", key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearer garbage", key), -1);
	CU_ASSERT_EQUAL(apikey_bearer("Bearer abc_AAAAAAAAAAAAAAAAAAAAAA%AAAAAAAAAAAAAAAAAAAAA", key), -1);
	CU_ASSERT_EQUAL(key[0], '\0');
}

/* Parses s (its length) with max; returns the object or NULL. */
static struct json_object *
parse(const char *s, size_t max)
{
	char	 err[160];

	return apijson_parse((const uint8_t *)s, strlen(s), max, err,
	    sizeof(err));
}

static void
test_json_refusals(void)
{
	char	 err[160] = "";

	CU_ASSERT_PTR_NULL(apijson_parse((const uint8_t *)"", 0, 10, err,
	    sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "The body is empty.");
	CU_ASSERT_PTR_NULL(parse("{\"a\":1}", 6));		/* too large */
	CU_ASSERT_PTR_NULL(parse("{\"a\":", 100));		/* cut */
	CU_ASSERT_PTR_NULL(parse("[1,2]", 100));		/* not object */
	CU_ASSERT_PTR_NULL(parse("\"s\"", 100));
	CU_ASSERT_PTR_NULL(parse("null", 100));
	CU_ASSERT_PTR_NULL(parse("{\"a\":1} {}", 100));	/* trailing */
	CU_ASSERT_PTR_NULL(parse("{\"a\":1}x", 100));
	CU_ASSERT_PTR_NULL(parse("{\"a\":1,}", 100));
	CU_ASSERT_PTR_NULL(parse("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", 100));
	CU_ASSERT_PTR_NULL(parse("{\"a\":\"\xff\"}", 100));	/* not UTF-8 */
	CU_ASSERT_PTR_NULL(parse("{\"a\":\"\xc0\xaf\"}", 100));
}

static void
test_json_members(void)
{
	struct json_object	*o;
	int64_t			 n = -7;

	o = parse("{\"slot\":0,\"ad\":12,\"max_price\":100000,"
	    "\"big\":9223372036854775808,\"neg\":-1,\"frac\":1.5,"
	    "\"str\":\"12\",\"idem\":\"abcdefgh\",\"nul\":\"a\\u0000b\","
	    "\"nested\":{\"a\":[1]}}", 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(apijson_int(o, "slot", 0, 10, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(apijson_int(o, "ad", 1, INT64_MAX, &n), 0);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(apijson_int(o, "ad", 13, 20, &n), -1);
	CU_ASSERT_EQUAL(apijson_int(o, "big", 1, INT64_MAX, &n), -1);
	CU_ASSERT_EQUAL(apijson_int(o, "neg", 0, 10, &n), -1);
	CU_ASSERT_EQUAL(apijson_int(o, "frac", 0, 10, &n), -1);
	CU_ASSERT_EQUAL(apijson_int(o, "str", 0, 100, &n), -1);
	CU_ASSERT_EQUAL(apijson_int(o, "none", 0, 100, &n), -1);
	CU_ASSERT_STRING_EQUAL(apijson_str(o, "idem", 8), "abcdefgh");
	CU_ASSERT_PTR_NULL(apijson_str(o, "idem", 7));
	CU_ASSERT_PTR_NULL(apijson_str(o, "nul", 100));	/* embedded NUL */
	CU_ASSERT_PTR_NULL(apijson_str(o, "slot", 100));
	CU_ASSERT_PTR_NULL(apijson_str(o, "nested", 100));
	CU_ASSERT_PTR_NULL(apijson_str(NULL, "idem", 100));
	json_object_put(o);
}

static void
test_limit_bucket(void)
{
	struct apilimit	*al = apilimit_new(2, 5, 3);
	int64_t		 retry = 0;

	/* A burst of 3, then one every 200 ms. */
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1000, &retry));
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1000, &retry));
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1000, &retry));
	CU_ASSERT_FALSE(apilimit_take(al, 7, 1000, &retry));
	CU_ASSERT_EQUAL(retry, 200);
	CU_ASSERT_FALSE(apilimit_take(al, 7, 1100, &retry));
	CU_ASSERT_EQUAL(retry, 100);
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1200, &retry));
	/* Another key has its own bucket. */
	CU_ASSERT_TRUE(apilimit_take(al, 8, 1200, &retry));
	/* A long idle time refills to the burst, not beyond. */
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1000000000, &retry));
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1000000000, &retry));
	CU_ASSERT_TRUE(apilimit_take(al, 7, 1000000000, &retry));
	CU_ASSERT_FALSE(apilimit_take(al, 7, 1000000000, &retry));
	/* Full table (2): a third key takes the slot idle longest (8's). */
	CU_ASSERT_TRUE(apilimit_take(al, 9, 1000000000, &retry));
	CU_ASSERT_FALSE(apilimit_take(al, 7, 1000000000, &retry));
	apilimit_free(al);
}

static CU_TestInfo tests[] = {
	{ "test_key_shape", test_key_shape },
	{ "test_key_valid_edges", test_key_valid_edges },
	{ "test_key_hash", test_key_hash },
	{ "test_bearer", test_bearer },
	{ "test_json_refusals", test_json_refusals },
	{ "test_json_members", test_json_members },
	{ "test_limit_bucket", test_limit_bucket },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "apikey", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
