/* CUnit suite for common/msg.c: the link's JSON message bodies. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "abc_limits.h"
#include "msg.h"

static struct json_object *
parse_str(const char *s)
{
	char	 err[128];

	return msg_parse((const uint8_t *)s, strlen(s), err, sizeof(err));
}

static void
test_msg_parse_object(void)
{
	struct json_object	*o;
	enum msg_op		 op;

	o = parse_str("{\"op\":\"status\"}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(msg_request_op(o, &op), 0);
	CU_ASSERT_EQUAL(op, MSG_OP_STATUS);
	json_object_put(o);
}

static void
test_msg_parse_rejects(void)
{
	static const char *const bad[] = {
		"", "[]", "1", "\"s\"", "null", "{",
		"{\"a\":1}{}", "{\"a\":}", "nul",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_PTR_NULL(parse_str(bad[i]));
}

static void
test_msg_parse_nul_and_depth(void)
{
	static const uint8_t	 nul[] = "{\"a\":\"x\0y\"}";
	struct buf		 deep;
	char			 err[128];
	int			 i;

	CU_ASSERT_PTR_NULL(msg_parse(nul, sizeof(nul) - 1, err, sizeof(err)));
	buf_init(&deep, 0);
	for (i = 0; i < LIMIT_JSON_DEPTH + 2; i++)
		(void)buf_addstr(&deep, "{\"a\":");
	(void)buf_addstr(&deep, "1");
	for (i = 0; i < LIMIT_JSON_DEPTH + 2; i++)
		(void)buf_addstr(&deep, "}");
	CU_ASSERT_PTR_NULL(msg_parse(deep.data, deep.len, err, sizeof(err)));
	buf_clear(&deep);
}

/*
 * Each thread keeps its tokener between bodies (msg.c): whatever a body
 * that failed half-way left in it (an open string, escape, array or
 * object, too deep a nesting) must not reach the next body.
 */
static void
check_good_after(const char *bad)
{
	struct json_object	*o;
	int64_t			 n = 0;
	const char		*s;

	if (bad != NULL)
		CU_ASSERT_PTR_NULL(parse_str(bad));
	o = parse_str("{\"n\":42,\"s\":\"x\\u00e9y\",\"l\":[1,{\"k\":2}]}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(msg_get_int(o, "n", &n), 0);
	CU_ASSERT_EQUAL(n, 42);
	s = msg_get_str(o, "s");
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s != NULL)
		CU_ASSERT_STRING_EQUAL(s, "x\xc3\xa9y");
	CU_ASSERT_EQUAL(json_object_object_length(o), 3);
	json_object_put(o);
}

static void
test_msg_parse_after_failures(void)
{
	static const char *const bad[] = {
		"{\"a\":\"abc", "{\"a\":\"\\u12", "{\"a\":\"\\ud83d",
		"{\"a\":[1,{\"b\":", "{\"a\":12", "{\"a\":1.5e", "{\"ab",
		"{\"a\":tru", "{\"a\":1}{\"b\":2}", "[1,2", "{\"a\":1}x",
	};
	static const char *const odd[] = {
		"{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ud83dz\"}",
		"{\"a\":\"\\ud83d\\u0041\"}", "{\"a\":\"\\ude00\"}",
		"{\"a\":\"\\ud83d\\n\"}", "{\"a\":-1.5e3,\"b\":[[],{}]}",
	};
	struct json_object	*o;
	struct buf		 deep;
	size_t			 i;
	int			 k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_good_after(bad[i]);
	/* Bodies that parse, with odd escapes: nothing of them stays. */
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		o = parse_str(odd[i]);
		CU_ASSERT_PTR_NOT_NULL(o);
		json_object_put(o);
		check_good_after(NULL);
	}
	buf_init(&deep, 0);
	for (k = 0; k < LIMIT_JSON_DEPTH + 2; k++)
		(void)buf_addstr(&deep, "{\"a\":");
	check_good_after((const char *)deep.data);
	buf_clear(&deep);
}

/* A body over the size a kept tokener takes parses the same. */
static void
test_msg_parse_big_body(void)
{
	struct json_object	*o;
	struct buf		 b;
	const char		*s;
	size_t			 n = 200 * 1024, i;

	buf_init(&b, 0);
	(void)buf_addstr(&b, "{\"big\":\"");
	for (i = 0; i < n; i++)
		(void)buf_add(&b, "q", 1);
	(void)buf_addstr(&b, "\"}");
	o = msg_parse(b.data, b.len, (char[128]){ 0 }, 128);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	s = msg_get_str(o, "big");
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_EQUAL(s != NULL ? strlen(s) : 0, n);
	json_object_put(o);
	b.data[b.len - 1] = ',';	/* unfinished: refused, then all is well */
	CU_ASSERT_PTR_NULL(msg_parse(b.data, b.len, (char[128]){ 0 }, 128));
	check_good_after("{");
	buf_clear(&b);
}

/* Threads parse side by side, each with its own tokener, then exit. */
static void *
parse_thread(void *arg)
{
	struct json_object	*o;
	char			 body[64];
	int64_t			 v = -1;
	int			 i, id = *(int *)arg, fails = 0;

	for (i = 0; i < 2000; i++) {
		snprintf(body, sizeof(body), "{\"t\":%d,\"i\":%d}", id, i);
		if (i % 7 == 0 && parse_str("{\"t\":\"open") != NULL)
			fails++;
		if ((o = parse_str(body)) == NULL ||
		    msg_get_int(o, "i", &v) != 0 || v != i)
			fails++;
		json_object_put(o);
	}
	*(int *)arg = fails;
	return NULL;
}

static void
test_msg_parse_threads(void)
{
	pthread_t	 th[4];
	int		 ids[4], i;

	for (i = 0; i < 4; i++) {
		ids[i] = i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL,
		    parse_thread, &ids[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(ids[i], 0);
	}
}

static void
test_msg_op_names(void)
{
	enum msg_op	 op;
	int		 i;

	for (i = 0; i < MSG_OP__MAX; i++) {
		CU_ASSERT_EQUAL(msg_op_parse(msg_op_name((enum msg_op)i), &op),
		    0);
		CU_ASSERT_EQUAL((int)op, i);
	}
	CU_ASSERT_EQUAL(msg_op_parse("nope", &op), -1);
	CU_ASSERT_STRING_EQUAL(msg_op_name(MSG_OP__MAX), "unknown");
}

static void
test_msg_getters_check_types(void)
{
	struct json_object	*o;
	int64_t			 n = 0;
	int			 b = 0;

	o = parse_str("{\"s\":\"x\",\"i\":42,\"b\":true,\"o\":{},"
	    "\"f\":1.5}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(msg_get_str(o, "s"), "x");
	CU_ASSERT_PTR_NULL(msg_get_str(o, "i"));
	CU_ASSERT_EQUAL(msg_get_int(o, "i", &n), 0);
	CU_ASSERT_EQUAL(n, 42);
	CU_ASSERT_EQUAL(msg_get_int(o, "f", &n), -1);
	CU_ASSERT_EQUAL(msg_get_int(o, "s", &n), -1);
	CU_ASSERT_EQUAL(msg_get_bool(o, "b", &b), 0);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(msg_get_bool(o, "missing", &b), -1);
	CU_ASSERT_PTR_NOT_NULL(msg_get_obj(o, "o"));
	CU_ASSERT_PTR_NULL(msg_get_obj(o, "s"));
	json_object_put(o);
}

static void
test_msg_reply_round_trip(void)
{
	struct json_object	*rep, *back;
	struct buf		 b;
	int			 ok = 1;

	rep = msg_reply_error("no such <thing>");
	buf_init(&b, 0);
	CU_ASSERT_EQUAL(msg_serialize(rep, &b), 0);
	back = msg_parse(b.data, b.len, (char[64]){0}, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(msg_get_bool(back, "ok", &ok), 0);
	CU_ASSERT_EQUAL(ok, 0);
	CU_ASSERT_STRING_EQUAL(msg_get_str(back, "error"), "no such <thing>");
	json_object_put(back);
	json_object_put(rep);
	buf_clear(&b);
}

/*
 * A reply's failure is absence only when it names the absent code the
 * caller expects; anything else, including no reply, garbage and codes
 * unknown today, is "could not tell".
 */
static void
test_msg_reply_lookup(void)
{
	static const struct {
		const char	*reply;		/* NULL: no reply at all */
		enum msg_code	 absent;
		enum lookup	 want;
		int		 retry;
	} cases[] = {
		{ "{\"ok\":true,\"campaign\":{}}", MSG_CODE_NO_CAMPAIGN,
		    LOOKUP_FOUND, 0 },
		{ "{\"ok\":true}", MSG_CODE_NONE, LOOKUP_FOUND, 0 },
		{ "{\"ok\":false,\"code\":\"no_campaign\"}",
		    MSG_CODE_NO_CAMPAIGN,
		    LOOKUP_ABSENT, 0 },
		{ "{\"ok\":false,\"code\":\"no_session\"}", MSG_CODE_NO_SESSION,
		    LOOKUP_ABSENT, 0 },
		/* the wrong absence is not this absence */
		{ "{\"ok\":false,\"code\":\"no_session\"}",
		    MSG_CODE_NO_CAMPAIGN,
		    LOOKUP_UNKNOWN, 0 },
		{ "{\"ok\":false,\"code\":\"no_campaign\"}", MSG_CODE_NONE,
		    LOOKUP_UNKNOWN, 0 },
		{ "{\"ok\":false,\"code\":\"unavailable\"}",
		    MSG_CODE_NO_CAMPAIGN,
		    LOOKUP_UNKNOWN, 1 },
		{ "{\"ok\":false,\"code\":\"busy\"}", MSG_CODE_NO_SESSION,
		    LOOKUP_UNKNOWN, 1 },
		{ "{\"ok\":false,\"code\":\"internal\"}", MSG_CODE_NO_SESSION,
		    LOOKUP_UNKNOWN, 1 },
		{ "{\"ok\":false}", MSG_CODE_NO_SESSION, LOOKUP_UNKNOWN, 1 },
		{ "{\"ok\":false,\"code\":7}",
		    MSG_CODE_NO_SESSION, LOOKUP_UNKNOWN,
		    1 },
		{ "{\"ok\":\"false\",\"code\":\"no_session\"}",
		    MSG_CODE_NO_SESSION, LOOKUP_UNKNOWN, 1 },
		{ "{\"code\":\"no_session\"}",
		    MSG_CODE_NO_SESSION, LOOKUP_UNKNOWN,
		    1 },
		/* definite refusals: not absence, not retryable */
		{ "{\"ok\":false,\"code\":\"sold\"}", MSG_CODE_NO_CAMPAIGN,
		    LOOKUP_UNKNOWN, 0 },
		{ "{\"ok\":false,\"code\":\"funds\"}",
		    MSG_CODE_NONE, LOOKUP_UNKNOWN,
		    0 },
		{ NULL, MSG_CODE_NO_CAMPAIGN, LOOKUP_UNKNOWN, 1 },
	};
	struct json_object	*rep;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rep = cases[i].reply != NULL ? parse_str(cases[i].reply) : NULL;
		CU_ASSERT_FATAL(cases[i].reply == NULL || rep != NULL);
		CU_ASSERT_EQUAL(msg_reply_lookup(rep, cases[i].absent),
		    cases[i].want);
		CU_ASSERT_EQUAL(msg_reply_retryable(rep), cases[i].retry);
		json_object_put(rep);
	}
	CU_ASSERT_STRING_EQUAL(lookup_name(LOOKUP_FOUND), "found");
	CU_ASSERT_STRING_EQUAL(lookup_name(LOOKUP_ABSENT), "absent");
	CU_ASSERT_STRING_EQUAL(lookup_name(LOOKUP_UNKNOWN), "unknown");
}

/*
 * A reply too big for a frame becomes the error "reply too large" (issue
 * 10: it used to be dropped, leaving the page waiting); one that fits is
 * sent as it is.  Control bytes grow six-fold when escaped, so a string of
 * a sixth of the limit is enough.
 */
static void
test_msg_reply_too_large_becomes_error(void)
{
	struct json_object	*rep, *back;
	struct buf		 b;
	char			*big;
	size_t			 n = LIMIT_FRAME_BODY / 6 + 16;
	int			 ok = 1;

	big = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 0x01, n);
	big[n] = '\0';
	rep = msg_reply_new();
	json_object_object_add(rep, "url", json_object_new_string(big));
	buf_init(&b, LIMIT_FRAME_BODY);
	CU_ASSERT_EQUAL(msg_serialize_reply(rep, &b), 1);
	CU_ASSERT(b.len > 0 && b.len < 100);
	back = msg_parse(b.data, b.len, (char[64]){0}, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(msg_get_bool(back, "ok", &ok), 0);
	CU_ASSERT_EQUAL(ok, 0);
	CU_ASSERT_STRING_EQUAL(msg_get_str(back, "error"), "reply too large");
	json_object_put(back);
	json_object_put(rep);
	buf_clear(&b);

	/* Just under the limit: sent whole. */
	big[n / 2] = '\0';
	rep = msg_reply_new();
	json_object_object_add(rep, "url", json_object_new_string(big));
	buf_init(&b, LIMIT_FRAME_BODY);
	CU_ASSERT_EQUAL(msg_serialize_reply(rep, &b), 0);
	CU_ASSERT(b.len > 6 * (n / 2));
	json_object_put(rep);
	buf_clear(&b);

	/* Not even the error fits: nothing, and says so. */
	rep = msg_reply_new();
	buf_init(&b, 4);
	CU_ASSERT_EQUAL(msg_serialize_reply(rep, &b), -1);
	CU_ASSERT_EQUAL(b.len, 0);
	json_object_put(rep);
	buf_clear(&b);
	free(big);
}

static CU_TestInfo tests[] = {
	{ "test_msg_parse_object", test_msg_parse_object },
	{ "test_msg_parse_rejects", test_msg_parse_rejects },
	{ "test_msg_parse_nul_and_depth", test_msg_parse_nul_and_depth },
	{ "test_msg_parse_after_failures", test_msg_parse_after_failures },
	{ "test_msg_parse_big_body", test_msg_parse_big_body },
	{ "test_msg_parse_threads", test_msg_parse_threads },
	{ "test_msg_op_names", test_msg_op_names },
	{ "test_msg_getters_check_types", test_msg_getters_check_types },
	{ "test_msg_reply_round_trip", test_msg_reply_round_trip },
	{ "test_msg_reply_lookup", test_msg_reply_lookup },
	{ "test_msg_reply_too_large_becomes_error",
	    test_msg_reply_too_large_becomes_error },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "msg", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
