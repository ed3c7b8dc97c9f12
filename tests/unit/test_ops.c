/*
 * CUnit suite for worker/ops.c, the request engine: the request table
 * (every op of common/msg.h exactly once; a table missing an op, or with
 * one twice, refused) and the one reply of every request, with canned job
 * runners (reqharness.c) instead of PostgreSQL.
 */
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "msg.h"
#include "ops.h"
#include "ops_req.h"
#include "reqharness.h"

static const struct ops_cfg	 cfg = {
	.session_ttl_s = 3600,
	.login_max_failures = 5,
	.login_window_ms = 60000,
	.register_max_per_addr = 10,
	.register_max = 100,
	.register_window_ms = 60000,
	.withdraw_min_sat = 10000,
};

/* The worker's own table: every op has exactly one row, named for it. */
static void
test_ops_table_every_op_once(void)
{
	const struct req_row	*index[MSG_OP__MAX];
	const struct req_row	*row;
	size_t			 m, seen[MSG_OP__MAX];
	int			 op;

	CU_ASSERT_EQUAL(ops_table_check(), 0);
	CU_ASSERT_EQUAL(ops_table_build(ops_req_modules, index), 0);
	memset(seen, 0, sizeof(seen));
	for (m = 0; ops_req_modules[m] != NULL; m++)
		for (row = ops_req_modules[m]; row->step != NULL; row++) {
			CU_ASSERT_FATAL((unsigned)row->op < MSG_OP__MAX);
			seen[row->op]++;
		}
	for (op = 0; op < MSG_OP__MAX; op++) {
		CU_ASSERT_EQUAL(seen[op], 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(index[op]);
		CU_ASSERT_EQUAL((int)index[op]->op, op);
		CU_ASSERT_STRING_EQUAL(index[op]->name,
		    msg_op_name((enum msg_op)op));
	}
}

static void
step_none(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)rq;
	(void)dj;
	(void)kj;
	(void)cj;
}

/* A module that forgot an op, or serves one another module serves too. */
static void
test_ops_table_refused(void)
{
	static const struct req_row	 extra_echo[] = {
		{ MSG_OP_ECHO, "echo", 0, step_none },
		{ MSG_OP__MAX, NULL, 0, NULL }
	};
	static const struct req_row	 bad_op[] = {
		{ (enum msg_op)MSG_OP__MAX, "nothing", 0, step_none },
		{ MSG_OP__MAX, NULL, 0, NULL }
	};
	const struct req_row		*missing[] = { req_basic_rows,
					    req_account_rows, req_market_rows,
					    NULL };	/* no withdraw */
	const struct req_row		*twice[] = { req_basic_rows,
					    req_account_rows, req_market_rows,
					    req_withdraw_rows, req_stats_rows,
					    req_dash_rows, req_moderation_rows,
					    extra_echo, NULL };
	const struct req_row		*named_none[] = { req_basic_rows,
					    req_account_rows, req_market_rows,
					    req_withdraw_rows, req_stats_rows,
					    req_dash_rows, req_moderation_rows,
					    bad_op, NULL };
	const struct req_row		*index[MSG_OP__MAX];

	CU_ASSERT_EQUAL(ops_table_build(missing, index), -1);
	CU_ASSERT_EQUAL(ops_table_build(twice, index), -1);
	CU_ASSERT_EQUAL(ops_table_build(named_none, index), -1);
}

/* Flags where they matter: what may change an account, what is stored. */
static void
test_ops_table_flags(void)
{
	const struct req_row	*index[MSG_OP__MAX];

	CU_ASSERT_EQUAL_FATAL(ops_table_build(ops_req_modules, index), 0);
	CU_ASSERT(index[MSG_OP_BUY]->flags & REQ_DURABLE);
	CU_ASSERT(index[MSG_OP_WITHDRAW]->flags & REQ_CHANGES_ACCOUNT);
	CU_ASSERT(index[MSG_OP_COUNTER_ADD]->flags & REQ_DURABLE);
	CU_ASSERT_FALSE(index[MSG_OP_CAMPAIGN_GET]->flags &
	    (REQ_DURABLE | REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION));
	CU_ASSERT_FALSE(index[MSG_OP_SESSION]->flags & REQ_CHANGES_ACCOUNT);
}

/* An unknown, missing or mistyped op: one error reply, nothing else. */
static void
test_ops_unknown_op(void)
{
	static const char *const reqs[] = {
		"{\"op\":\"nope\"}",
		"{}",
		"{\"op\":7}",
		"{\"op\":\"Buy\"}",
	};
	size_t	 i;

	rh_setup(&cfg);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		rh_send(reqs[i]);
		CU_ASSERT_EQUAL(rh_replies(), i + 1);
		CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(
		    rh_reply(), JSON_C_TO_STRING_PLAIN), "{\"ok\":false,"
		    "\"error\":\"unknown operation\",\"code\":\"bad_request\"}");
	}
	CU_ASSERT_EQUAL(rh_jobs(), 0);
	CU_ASSERT_EQUAL(rh_notices(), 0);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/*
 * Exactly one reply per request, whatever path it takes: answered at
 * once (echo), after a job (campaign_get), or refused after a job (the
 * database down); a request waiting for its job has none yet.
 */
static void
test_ops_one_reply(void)
{
	static const char *const state[] = { "{\"id\":3}" };

	rh_setup(&cfg);
	rh_send("{\"op\":\"echo\",\"data\":\"x\"}");
	CU_ASSERT_EQUAL(rh_replies(), 1);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(rh_reply(),
	    JSON_C_TO_STRING_PLAIN), "{\"data\":\"x\",\"ok\":true}");
	rh_send("{\"op\":\"campaign_get\",\"id\":3}");
	CU_ASSERT_EQUAL(rh_replies(), 1);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_db_job());
	rh_db_answer(1, 1, state);
	CU_ASSERT_EQUAL(rh_replies(), 2);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_send("{\"op\":\"campaign_get\",\"id\":3}");
	rh_db_fail();
	CU_ASSERT_EQUAL(rh_replies(), 3);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "unavailable");
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* broadcast: the notice goes out before the one reply. */
static void
test_ops_broadcast(void)
{
	rh_setup(&cfg);
	rh_send("{\"op\":\"broadcast\",\"kind\":\"hello\"}");
	CU_ASSERT_EQUAL(rh_notices(), 1);
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_notice(0), "kind"), "hello");
	CU_ASSERT_EQUAL(rh_replies(), 1);
	rh_send("{\"op\":\"broadcast\",\"kind\":\"Bad-Kind\"}");
	CU_ASSERT_EQUAL(rh_notices(), 1);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

static CU_TestInfo tests[] = {
	{ "test_ops_table_every_op_once",
	    test_ops_table_every_op_once },
	{ "test_ops_table_refused", test_ops_table_refused },
	{ "test_ops_table_flags", test_ops_table_flags },
	{ "test_ops_unknown_op", test_ops_unknown_op },
	{ "test_ops_one_reply", test_ops_one_reply },
	{ "test_ops_broadcast", test_ops_broadcast },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "ops", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
