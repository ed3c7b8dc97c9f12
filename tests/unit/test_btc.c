/*
 * CUnit suite for worker/btc.c: btc_parse_response, the strict reader of
 * bitcoind's JSON-RPC response envelope (reference/bitcoind-rpc.md 1-2).
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"
#include <json-c/json.h>

#include "btc.h"
#include "buf.h"
#include "abc_limits.h"

/* A real getblockchaininfo answer (v28, regtest), with bitcoind's '\n'. */
static const char gbci[] =
    "{\"result\":{\"chain\":\"regtest\",\"blocks\":101,\"headers\":101,"
    "\"bestblockhash\":\"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca"
    "590b1a11466e2206\",\"difficulty\":4.656542373906925e-10,"
    "\"time\":1700000000,\"mediantime\":1699999999,"
    "\"verificationprogress\":1,\"initialblockdownload\":false,"
    "\"chainwork\":\"00000000000000000000000000000000000000000000000000000"
    "000000000ca\",\"size_on_disk\":30000,\"pruned\":false,\"warnings\":[]},"
    "\"error\":null,\"id\":\"abc\"}\n";

/* Parses the NUL-terminated s, with out pre-filled with junk. */
static int
parse(const char *s, long status, struct btc_result *out)
{
	memset(out, 0x5a, sizeof(*out));
	return btc_parse_response(s, strlen(s), status, out);
}

/* Asserts the "body itself is unusable" outcome and clears r. */
static void
assert_unusable(const char *s, long status)
{
	struct btc_result	 r;

	CU_ASSERT_EQUAL(parse(s, status, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NULL(r.result);
	CU_ASSERT(r.message[0] != '\0');
	CU_ASSERT(memchr(r.message, '\0', sizeof(r.message)) != NULL);
	btc_result_clear(&r);
}

/* Returns non-zero when s is well-formed UTF-8. */
static int
utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n, i;

	while (*p != '\0') {
		if (*p < 0x80)
			n = 0;
		else if ((*p & 0xe0) == 0xc0)
			n = 1;
		else if ((*p & 0xf0) == 0xe0)
			n = 2;
		else if ((*p & 0xf8) == 0xf0)
			n = 3;
		else
			return 0;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n + 1;
	}
	return 1;
}

static void
test_btc_success_object(void)
{
	struct btc_result	 r;
	struct json_object	*v;

	CU_ASSERT_EQUAL_FATAL(parse(gbci, 200, &r), 0);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.result);
	CU_ASSERT(json_object_is_type(r.result, json_type_object));
	/* The result outlives the parsed envelope. */
	CU_ASSERT(json_object_object_get_ex(r.result, "blocks", &v));
	CU_ASSERT_EQUAL(json_object_get_int64(v), 101);
	CU_ASSERT(json_object_object_get_ex(r.result, "chain", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "regtest");
	btc_result_clear(&r);
	CU_ASSERT_PTR_NULL(r.result);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
}

static void
test_btc_success_scalars(void)
{
	struct btc_result	 r;

	/* getblockcount: a number. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"result\":250,\"error\":null,"
	    "\"id\":\"abc\"}\n", 200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_int));
	CU_ASSERT_EQUAL(json_object_get_int64(r.result), 250);
	btc_result_clear(&r);

	/* An amount keeps its source text (reference 4). */
	CU_ASSERT_EQUAL_FATAL(parse("{\"result\":1.50000000,\"error\":null,"
	    "\"id\":\"abc\"}", 200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_double));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(r.result),
	    "1.50000000");
	btc_result_clear(&r);

	/* getnewaddress: a string. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"result\":\"bcrt1qxyz\",\"error\":null,"
	    "\"id\":\"abc\"}", 200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_string));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(r.result), "bcrt1qxyz");
	btc_result_clear(&r);

	/* An array result, and a boolean. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"result\":[1,2,3],\"error\":null}",
	    200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_array));
	CU_ASSERT_EQUAL(json_object_array_length(r.result), 3);
	btc_result_clear(&r);
	CU_ASSERT_EQUAL_FATAL(parse("{\"result\":false,\"error\":null}",
	    200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_boolean));
	btc_result_clear(&r);

	/* A null result (walletlock, setlabel...) is a success. */
	CU_ASSERT_EQUAL(parse("{\"result\":null,\"error\":null,\"id\":\"abc\"}",
	    200, &r), 0);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NULL(r.result);
	btc_result_clear(&r);

	/* JSON-RPC 2.0 shape: no error member; v28 may leave out id. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"jsonrpc\":\"2.0\",\"result\":7,"
	    "\"id\":\"abc\"}", 200, &r), 0);
	CU_ASSERT_EQUAL(json_object_get_int64(r.result), 7);
	btc_result_clear(&r);
	CU_ASSERT_EQUAL_FATAL(parse("{\"result\":7,\"error\":null}", 200, &r),
	    0);
	btc_result_clear(&r);

	/* Whitespace around the object is fine. */
	CU_ASSERT_EQUAL_FATAL(parse(" \r\n{ \"result\" : 1 , \"error\" : null }"
	    " \r\n\n", 200, &r), 0);
	btc_result_clear(&r);
}

static void
test_btc_error_warmup(void)
{
	static const char *const bodies[] = {
		/* raw UTF-8 U+2026, as bitcoind sends it */
		"{\"result\":null,\"error\":{\"code\":-28,\"message\":"
		    "\"Loading block index\xe2\x80\xa6\"},\"id\":\"abc\"}\n",
		/* the same, escaped */
		"{\"result\":null,\"error\":{\"code\":-28,\"message\":"
		    "\"Loading block index\\u2026\"},\"id\":null}",
		/* 2.0 shape, HTTP 200, no result member */
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-28,\"message\":"
		    "\"Loading block index\xe2\x80\xa6\"},\"id\":\"abc\"}",
	};
	static const long statuses[] = { 500, 500, 200 };
	struct btc_result	 r;
	size_t			 i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		CU_ASSERT_EQUAL(parse(bodies[i], statuses[i], &r), -1);
		CU_ASSERT_EQUAL(r.rpc_code, BTC_RPC_IN_WARMUP);
		CU_ASSERT_STRING_EQUAL(r.message,
		    "Loading block index\xe2\x80\xa6");
		CU_ASSERT_PTR_NULL(r.result);
		btc_result_clear(&r);
	}
}

static void
test_btc_error_codes(void)
{
	struct btc_result	 r;

	CU_ASSERT_EQUAL(parse("{\"result\":null,\"error\":{\"code\":-32601,"
	    "\"message\":\"Method not found\"},\"id\":\"abc\"}\n", 404, &r),
	    -1);
	CU_ASSERT_EQUAL(r.rpc_code, -32601);
	CU_ASSERT_STRING_EQUAL(r.message, "Method not found");
	CU_ASSERT_PTR_NULL(r.result);
	btc_result_clear(&r);

	CU_ASSERT_EQUAL(parse("{\"result\":null,\"error\":{\"code\":-18,"
	    "\"message\":\"Requested wallet does not exist or is not loaded\"},"
	    "\"id\":\"abc\"}\n", 500, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -18);
	CU_ASSERT_STRING_EQUAL(r.message,
	    "Requested wallet does not exist or is not loaded");
	btc_result_clear(&r);

	/* -3 messages carry newlines and quotes: kept as they are. */
	CU_ASSERT_EQUAL(parse("{\"result\":null,\"error\":{\"code\":-3,"
	    "\"message\":\"Wrong type passed:\\n{\\n    \\\"Position 1\\\"\\n}"
	    "\"},\"id\":\"abc\"}", 500, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -3);
	CU_ASSERT_STRING_EQUAL(r.message,
	    "Wrong type passed:\n{\n    \"Position 1\"\n}");
	btc_result_clear(&r);

	/* An error wins over a (non-conforming) non-null result. */
	CU_ASSERT_EQUAL(parse("{\"result\":5,\"error\":{\"code\":-1,"
	    "\"message\":\"x\"}}", 500, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -1);
	CU_ASSERT_PTR_NULL(r.result);
	btc_result_clear(&r);

	/* Missing or non-string message. */
	CU_ASSERT_EQUAL(parse("{\"error\":{\"code\":-5}}", 500, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -5);
	CU_ASSERT(r.message[0] != '\0');
	btc_result_clear(&r);
	CU_ASSERT_EQUAL(parse("{\"error\":{\"code\":-5,\"message\":42}}", 500,
	    &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -5);
	CU_ASSERT(r.message[0] != '\0');
	btc_result_clear(&r);

	/* A message with an escaped NUL is cut there, never overruns. */
	CU_ASSERT_EQUAL(parse("{\"error\":{\"code\":-1,\"message\":"
	    "\"ab\\u0000cd\"}}", 500, &r), -1);
	CU_ASSERT_STRING_EQUAL(r.message, "ab");
	btc_result_clear(&r);
}

static void
test_btc_error_code_zero(void)
{
	struct btc_result	 r;

	/* Code 0 would read as "envelope failure": it becomes -1. */
	CU_ASSERT_EQUAL(parse("{\"result\":null,\"error\":{\"code\":0,"
	    "\"message\":\"zero\"},\"id\":\"abc\"}", 500, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -1);
	CU_ASSERT_STRING_EQUAL(r.message, "zero");
	CU_ASSERT_PTR_NULL(r.result);
	btc_result_clear(&r);
}

static void
test_btc_error_malformed(void)
{
	static const char *const bad[] = {
		/* missing code */
		"{\"result\":null,\"error\":{\"message\":\"x\"},\"id\":1}",
		/* non-integer codes */
		"{\"error\":{\"code\":\"-28\",\"message\":\"x\"}}",
		"{\"error\":{\"code\":-28.0,\"message\":\"x\"}}",
		"{\"error\":{\"code\":-28.5,\"message\":\"x\"}}",
		"{\"error\":{\"code\":true,\"message\":\"x\"}}",
		"{\"error\":{\"code\":null,\"message\":\"x\"}}",
		"{\"error\":{\"code\":[-28],\"message\":\"x\"}}",
		"{\"error\":{\"code\":{},\"message\":\"x\"}}",
		/* error that is not an object */
		"{\"result\":null,\"error\":\"boom\",\"id\":1}",
		"{\"result\":null,\"error\":-28,\"id\":1}",
		"{\"result\":null,\"error\":[],\"id\":1}",
		"{\"result\":null,\"error\":true,\"id\":1}",
		"{\"result\":1,\"error\":false,\"id\":1}",
		"{\"result\":1,\"error\":{},\"id\":1}",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_unusable(bad[i], 500);
}

/*
 * A code outside int's range must not be truncated into another code:
 * 2^32 - 28 cast to int is -28, which the monitor reads as "warming up".
 */
static void
test_btc_error_code_range(void)
{
	static const char *const big[] = {
		"{\"error\":{\"code\":4294967268,\"message\":\"x\"}}",
		"{\"error\":{\"code\":-4294967324,\"message\":\"x\"}}",
		"{\"error\":{\"code\":4294967296,\"message\":\"x\"}}",
	};
	struct btc_result	 r;
	size_t			 i;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		CU_ASSERT_EQUAL(parse(big[i], 500, &r), -1);
		CU_ASSERT_NOT_EQUAL(r.rpc_code, BTC_RPC_IN_WARMUP);
		CU_ASSERT_PTR_NULL(r.result);
		btc_result_clear(&r);
	}
	/* In range, at the edges: kept. */
	CU_ASSERT_EQUAL(parse("{\"error\":{\"code\":-2147483648}}", 500, &r),
	    -1);
	CU_ASSERT_EQUAL(r.rpc_code, -2147483647 - 1);
	btc_result_clear(&r);
	CU_ASSERT_EQUAL(parse("{\"error\":{\"code\":2147483647}}", 500, &r),
	    -1);
	CU_ASSERT_EQUAL(r.rpc_code, 2147483647);
	btc_result_clear(&r);
}

static void
test_btc_null_error_and_missing(void)
{
	struct btc_result	 r;

	/* "error": null with a result is plain success. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"error\":null,\"result\":{\"a\":1}}",
	    200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_object));
	btc_result_clear(&r);

	/* Neither result nor error. */
	assert_unusable("{}", 200);
	assert_unusable("{\"id\":\"abc\"}\n", 200);
	assert_unusable("{\"error\":null,\"id\":\"abc\"}", 200);
	assert_unusable("{\"Result\":1,\"ERROR\":null}", 200);
}

static void
test_btc_empty_and_auth(void)
{
	struct btc_result	 r;

	/* bitcoind's 401 has an empty body (reference 1.1, 5.9). */
	memset(&r, 0x5a, sizeof(r));
	CU_ASSERT_EQUAL(btc_parse_response("", 0, 401, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NULL(r.result);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.message, "authentication"));
	btc_result_clear(&r);

	/* Empty 200, 403, 404, 204: unusable, and not called an auth error. */
	assert_unusable("", 200);
	assert_unusable("", 403);
	assert_unusable("", 404);
	assert_unusable("", 204);
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(btc_parse_response("", 0, 200, &r), -1);
	CU_ASSERT_PTR_NULL(strstr(r.message, "authentication"));

	/* Plain-text bodies: 503 work queue, 405 for GET. */
	assert_unusable("Work queue depth exceeded", 503);
	assert_unusable("JSONRPC server handles only POST requests", 405);
	assert_unusable("\n", 200);
	assert_unusable("   ", 200);
}

static void
test_btc_body_with_nul(void)
{
	static const char	 body[] = "{\"result\":1,\"error\":null}\0junk";
	static const char	 mid[] = "{\"result\":\"a\0b\",\"error\":null}";
	struct btc_result	 r;

	memset(&r, 0x5a, sizeof(r));
	CU_ASSERT_EQUAL(btc_parse_response(body, sizeof(body) - 1, 200, &r),
	    -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NULL(r.result);
	memset(&r, 0x5a, sizeof(r));
	CU_ASSERT_EQUAL(btc_parse_response(mid, sizeof(mid) - 1, 200, &r), -1);
	CU_ASSERT_PTR_NULL(r.result);
	memset(&r, 0x5a, sizeof(r));
	CU_ASSERT_EQUAL(btc_parse_response("\0", 1, 200, &r), -1);
	CU_ASSERT_PTR_NULL(r.result);
}

/* A valid response of exactly n bytes: {"result":"xxx...","error":null} */
static char *
sized_response(size_t n)
{
	static const char	 head[] = "{\"result\":\"";
	static const char	 tail[] = "\",\"error\":null}";
	char			*p;

	p = malloc(n);
	if (p == NULL)
		return NULL;
	memcpy(p, head, sizeof(head) - 1);
	memset(p + sizeof(head) - 1, 'x', n - (sizeof(head) - 1) -
	    (sizeof(tail) - 1));
	memcpy(p + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	return p;
}

static void
test_btc_body_size_limit(void)
{
	struct btc_result	 r;
	char			*p;

	/* Exactly the limit parses; one byte more is refused unread. */
	p = sized_response(LIMIT_RPC_BODY + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(btc_parse_response(p, LIMIT_RPC_BODY + 1, 200, &r),
	    -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NULL(r.result);
	btc_result_clear(&r);
	free(p);

	p = sized_response(LIMIT_RPC_BODY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(btc_parse_response(p, LIMIT_RPC_BODY, 200, &r), 0);
	CU_ASSERT(json_object_is_type(r.result, json_type_string));
	CU_ASSERT_EQUAL(json_object_get_string_len(r.result),
	    (int)(LIMIT_RPC_BODY - 26));
	btc_result_clear(&r);
	free(p);

	/*
	 * Absurd lengths (a size_t that wrapped, or >2 GiB which would not
	 * fit json-c's int) are refused before the body is touched.
	 */
	CU_ASSERT_EQUAL(btc_parse_response("{}", (size_t)-1, 200, &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_EQUAL(btc_parse_response("{}", (size_t)1 << 31, 200, &r),
	    -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
}

static void
test_btc_not_object(void)
{
	static const char *const bad[] = {
		/* a batch reply */
		"[{\"result\":1,\"error\":null,\"id\":1},"
		    "{\"result\":null,\"error\":{\"code\":-32601,"
		    "\"message\":\"Method not found\"},\"id\":2}]\n",
		"[]", "250", "-28", "\"result\"", "null", "true", "1.5",
		/*
		 * Not JSON, or not strict JSON.  (json-c 0.16 accepts
		 * 'single quotes' and NaN even with JSON_TOKENER_STRICT;
		 * bitcoind never sends them, so they are not asserted.)
		 */
		"<html>502 Bad Gateway</html>",
		"{\"result\":1,}", "{result:1}", "{\"result\":1 /* c */}",
		"{\"result\":01}", "{\"result\":1}x",
		"{\"result\":1}{\"result\":2}", "{\"result\":1}[]",
		"{\"result\":\"\\x41\"}",
		"\xef\xbb\xbf{\"result\":1}",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_unusable(bad[i], 200);
}

static void
test_btc_truncated(void)
{
	struct btc_result	 r;
	size_t			 n, full = strlen(gbci) - 1;	/* no '\n' */
	int			 ok = 1;

	/* Every proper prefix of a response is refused as unusable. */
	for (n = 1; n < full; n++) {
		memset(&r, 0x5a, sizeof(r));
		if (btc_parse_response(gbci, n, 200, &r) != -1 ||
		    r.rpc_code != 0 || r.result != NULL)
			ok = 0;
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(btc_parse_response(gbci, full, 200, &r), 0);
	btc_result_clear(&r);
}

/* {"result": + levels-1 arrays; levels counts the envelope itself. */
static void
nested(struct buf *b, int levels)
{
	int	 i;

	buf_reset(b);
	(void)buf_addstr(b, "{\"result\":");
	for (i = 0; i < levels - 1; i++)
		(void)buf_addstr(b, "[");
	for (i = 0; i < levels - 1; i++)
		(void)buf_addstr(b, "]");
	(void)buf_addstr(b, ",\"error\":null}");
}

static void
test_btc_depth(void)
{
	struct btc_result	 r;
	struct buf		 b;
	int			 i;

	buf_init(&b, 0);
	nested(&b, LIMIT_JSON_DEPTH);
	CU_ASSERT_EQUAL(btc_parse_response((const char *)b.data, b.len, 200,
	    &r), 0);
	btc_result_clear(&r);

	nested(&b, LIMIT_JSON_DEPTH + 1);
	CU_ASSERT_EQUAL(btc_parse_response((const char *)b.data, b.len, 200,
	    &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	CU_ASSERT_PTR_NULL(r.result);

	/* Very deep: refused without exhausting the stack. */
	nested(&b, 200000);
	CU_ASSERT_EQUAL(btc_parse_response((const char *)b.data, b.len, 200,
	    &r), -1);
	CU_ASSERT_PTR_NULL(r.result);

	/* Depth inside the error object counts too. */
	buf_reset(&b);
	(void)buf_addstr(&b, "{\"error\":{\"code\":-1,\"message\":\"m\","
	    "\"data\":");
	for (i = 0; i < LIMIT_JSON_DEPTH; i++)
		(void)buf_addstr(&b, "[");
	for (i = 0; i < LIMIT_JSON_DEPTH; i++)
		(void)buf_addstr(&b, "]");
	(void)buf_addstr(&b, "}}");
	CU_ASSERT_EQUAL(btc_parse_response((const char *)b.data, b.len, 500,
	    &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, 0);
	buf_clear(&b);
}

static void
test_btc_long_message(void)
{
	struct btc_result	 r;
	struct buf		 b;
	size_t			 i;

	/* A -1 help text can be kilobytes long: cut, NUL-terminated. */
	buf_init(&b, 0);
	(void)buf_addstr(&b, "{\"result\":null,\"error\":{\"code\":-1,"
	    "\"message\":\"");
	for (i = 0; i < 5000; i++)
		(void)buf_addstr(&b, i % 2 ? "b" : "a");
	(void)buf_addstr(&b, "\"},\"id\":\"abc\"}");
	CU_ASSERT_EQUAL(btc_parse_response((const char *)b.data, b.len, 500,
	    &r), -1);
	CU_ASSERT_EQUAL(r.rpc_code, -1);
	CU_ASSERT_EQUAL(strlen(r.message), sizeof(r.message) - 1);
	CU_ASSERT_EQUAL(strncmp(r.message, "abababab", 8), 0);
	CU_ASSERT_EQUAL(r.message[sizeof(r.message) - 2], 'a');
	btc_result_clear(&r);
	buf_clear(&b);
}

/*
 * The message ends up on /status (text/html; charset=utf-8) and in link
 * JSON: cutting it must not leave half a UTF-8 sequence at the end.
 */
static void
test_btc_long_message_utf8(void)
{
	struct btc_result	 r;
	struct buf		 b;
	size_t			 i, pad;

	buf_init(&b, 0);
	/* Each ellipsis starts at a different offset against the cut. */
	for (pad = 0; pad < 3; pad++) {
		buf_reset(&b);
		(void)buf_addstr(&b, "{\"error\":{\"code\":-28,\"message\":\"");
		for (i = 0; i < pad; i++)
			(void)buf_addstr(&b, ".");
		for (i = 0; i < 200; i++)
			(void)buf_addstr(&b, "\xe2\x80\xa6");
		(void)buf_addstr(&b, "\"}}");
		CU_ASSERT_EQUAL(btc_parse_response((const char *)b.data, b.len,
		    500, &r), -1);
		CU_ASSERT_EQUAL(r.rpc_code, BTC_RPC_IN_WARMUP);
		CU_ASSERT(strlen(r.message) < sizeof(r.message));
		CU_ASSERT(strlen(r.message) >= sizeof(r.message) - 4);
		CU_ASSERT(utf8_valid(r.message));
		btc_result_clear(&r);
	}
	buf_clear(&b);
}

/* Amounts from JSON number text, exactly (issue 5's edge cases). */
static void
test_btc_amount_text(void)
{
	static const struct {
		const char	*text;
		int		 rc;
		int64_t		 sat;
	} cases[] = {
		{ "0.00000001", 0, 1 },
		{ "20999999.97690000", 0, INT64_C(2099999997690000) },
		{ "21000000", 0, INT64_C(2100000000000000) },
		{ "21000000.00000001", -1, 0 },
		{ "1", 0, 100000000 },
		{ "0", 0, 0 },
		{ "0.5", 0, 50000000 },
		{ "-0.5", 0, -50000000 },
		{ "1e-8", 0, 1 },
		{ "1E-8", 0, 1 },
		{ "1.5E+2", 0, INT64_C(15000000000) },
		{ "0.1e1", 0, 100000000 },
		{ "10e-9", 0, 1 },
		{ "1e-9", -1, 0 },
		{ "0.000000001", -1, 0 },
		{ "0.000000010", 0, 1 },
		{ "1.", -1, 0 },
		{ ".5", -1, 0 },
		{ "1..5", -1, 0 },
		{ "1e", -1, 0 },
		{ "1e+", -1, 0 },
		{ "1e99", -1, 0 },
		{ "abc", -1, 0 },
		{ "", -1, 0 },
		{ "-", -1, 0 },
		{ "0x10", -1, 0 },
		{ "1 ", -1, 0 },
		{ "99999999999999999999999999999999999999999", -1, 0 },
		{ "2.1e7", 0, INT64_C(2100000000000000) },
		{ "2.1000001e7", -1, 0 },
	};
	size_t	 i;
	int64_t	 sat;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sat = -12345;
		CU_ASSERT_EQUAL(btc_amount_text(cases[i].text, &sat),
		    cases[i].rc);
		if (cases[i].rc == 0)
			CU_ASSERT_EQUAL(sat, cases[i].sat);
		if (btc_amount_text(cases[i].text, &sat) != cases[i].rc ||
		    (cases[i].rc == 0 && sat != cases[i].sat))
			fprintf(stderr, "amount case %s failed\n",
			    cases[i].text);
	}
}

/* The same through json-c: its number objects keep their source text. */
static void
test_btc_amount_json(void)
{
	struct json_object	*o, *v;
	int64_t			 sat = 0;

	o = json_tokener_parse("{\"a\":0.00010000,\"b\":1e-8,\"c\":\"1\","
	    "\"d\":3}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "a", &v));
	CU_ASSERT_EQUAL(btc_amount(v, &sat), 0);
	CU_ASSERT_EQUAL(sat, 10000);
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "b", &v));
	CU_ASSERT_EQUAL(btc_amount(v, &sat), 0);
	CU_ASSERT_EQUAL(sat, 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "c", &v));
	CU_ASSERT_EQUAL(btc_amount(v, &sat), -1);	/* a string */
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "d", &v));
	CU_ASSERT_EQUAL(btc_amount(v, &sat), 0);
	CU_ASSERT_EQUAL(sat, 300000000);
	json_object_put(o);
}

/* Parses a batch answer s for n requests into outs (poisoned first). */
static int
parse_batch(const char *s, size_t n, struct btc_result *outs)
{
	memset(outs, 0x5a, n * sizeof(*outs));
	return btc_parse_batch(s, strlen(s), 200, n, outs);
}

static void
clear_all(struct btc_result *outs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		btc_result_clear(&outs[i]);
}

/* Replies in any order land by id; each keeps its own success or error. */
static void
test_btc_batch_by_id(void)
{
	struct btc_result	 o[3];

	CU_ASSERT_EQUAL(parse_batch("[{\"result\":null,\"error\":{\"code\":-5,"
	    "\"message\":\"Invalid or non-wallet transaction id\"},\"id\":2},"
	    "{\"result\":{\"confirmations\":3},\"error\":null,\"id\":0},"
	    "{\"result\":7,\"error\":null,\"id\":1}]", 3, o), 0);
	CU_ASSERT_EQUAL(o[0].rpc_code, 0);
	CU_ASSERT(json_object_is_type(o[0].result, json_type_object));
	CU_ASSERT_EQUAL(json_object_get_int(o[1].result), 7);
	CU_ASSERT_EQUAL(o[2].rpc_code, -5);
	CU_ASSERT_PTR_NULL(o[2].result);
	CU_ASSERT_STRING_EQUAL(o[2].message,
	    "Invalid or non-wallet transaction id");
	clear_all(o, 3);
	/* A 2.0-shaped element (no error member) and a warm-up error. */
	CU_ASSERT_EQUAL(parse_batch("[{\"jsonrpc\":\"2.0\",\"result\":1,"
	    "\"id\":0},{\"result\":null,\"error\":{\"code\":-28,\"message\":"
	    "\"Loading\"},\"id\":1}]", 2, o), 0);
	CU_ASSERT_EQUAL(json_object_get_int(o[0].result), 1);
	CU_ASSERT_EQUAL(o[1].rpc_code, BTC_RPC_IN_WARMUP);
	clear_all(o, 2);
}

/* Anything but one reply per id fails the whole batch, never half of it. */
static void
test_btc_batch_malformed(void)
{
	static const char *const bad[] = {
		"", "[", "{}", "[]", "null", "7",
		"[{\"result\":1,\"error\":null,\"id\":0}]",		/* too few */
		"[{\"result\":1,\"id\":0},{\"result\":2,\"id\":0}]",	/* dup */
		"[{\"result\":1,\"id\":0},{\"result\":2,\"id\":2}]",	/* range */
		"[{\"result\":1,\"id\":0},{\"result\":2,\"id\":-1}]",
		"[{\"result\":1,\"id\":0},{\"result\":2,\"id\":\"1\"}]",
		"[{\"result\":1,\"id\":0},{\"result\":2}]",		/* no id */
		"[{\"result\":1,\"id\":0},7]",
		"[{\"result\":1,\"id\":0},{\"result\":2,\"id\":1},{\"id\":2}]",
		"[{\"result\":1,\"id\":0},{\"result\":2,\"id\":1}] x",
	};
	struct btc_result	 o[2];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse_batch(bad[i], 2, o), -1);
		CU_ASSERT_PTR_NULL(o[0].result);
		CU_ASSERT_PTR_NULL(o[1].result);
		CU_ASSERT_EQUAL(o[0].rpc_code, 0);
		CU_ASSERT(o[0].message[0] != '\0');
		CU_ASSERT(memchr(o[1].message, '\0', sizeof(o[1].message)) !=
		    NULL);
		clear_all(o, 2);
	}
	/* The node refusing the whole batch with one error object. */
	CU_ASSERT_EQUAL(parse_batch("{\"result\":null,\"error\":{\"code\":"
	    "-32700,\"message\":\"Parse error\"},\"id\":null}", 2, o), -1);
	CU_ASSERT_STRING_EQUAL(o[0].message, "Parse error");
	clear_all(o, 2);
	/* ...with an empty message: the batch still says why (the fuzzer
	 * found this one). */
	CU_ASSERT_EQUAL(parse_batch("{\"result\":null,\"error\":{\"code\":"
	    "-32601,\"message\":\"\"},\"id\":\"a\"}", 2, o), -1);
	CU_ASSERT_STRING_EQUAL(o[0].message, "(no message)");
	CU_ASSERT_STRING_EQUAL(o[1].message, "(no message)");
	clear_all(o, 2);
}

/* A body over the bound or with a NUL fails before any parsing. */
static void
test_btc_batch_limits(void)
{
	static const char	 nul[] = "[{\"result\":1,\"id\":0}]\0x";
	struct btc_result	 o[1];
	char			*big;

	CU_ASSERT_EQUAL(btc_parse_batch(nul, sizeof(nul) - 1, 200, 1, o), -1);
	CU_ASSERT_PTR_NULL(o[0].result);
	clear_all(o, 1);
	big = calloc(1, LIMIT_RPC_BODY + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', LIMIT_RPC_BODY + 1);
	big[0] = '[';
	CU_ASSERT_EQUAL(btc_parse_batch(big, LIMIT_RPC_BODY + 1, 200, 1, o),
	    -1);
	clear_all(o, 1);
	free(big);
	CU_ASSERT_EQUAL(btc_parse_batch("[]", 2, 200, 0, o), 0);
}

static CU_TestInfo tests[] = {
	{ "test_btc_success_object", test_btc_success_object },
	{ "test_btc_success_scalars", test_btc_success_scalars },
	{ "test_btc_error_warmup", test_btc_error_warmup },
	{ "test_btc_error_codes", test_btc_error_codes },
	{ "test_btc_error_code_zero", test_btc_error_code_zero },
	{ "test_btc_error_malformed", test_btc_error_malformed },
	{ "test_btc_error_code_range", test_btc_error_code_range },
	{ "test_btc_null_error_and_missing",
	    test_btc_null_error_and_missing },
	{ "test_btc_empty_and_auth", test_btc_empty_and_auth },
	{ "test_btc_body_with_nul", test_btc_body_with_nul },
	{ "test_btc_body_size_limit", test_btc_body_size_limit },
	{ "test_btc_not_object", test_btc_not_object },
	{ "test_btc_truncated", test_btc_truncated },
	{ "test_btc_depth", test_btc_depth },
	{ "test_btc_long_message", test_btc_long_message },
	{ "test_btc_long_message_utf8", test_btc_long_message_utf8 },
	{ "test_btc_amount_text", test_btc_amount_text },
	{ "test_btc_amount_json", test_btc_amount_json },
	{ "test_btc_batch_by_id", test_btc_batch_by_id },
	{ "test_btc_batch_malformed", test_btc_batch_malformed },
	{ "test_btc_batch_limits", test_btc_batch_limits },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "btc", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
