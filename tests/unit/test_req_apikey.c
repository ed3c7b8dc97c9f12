/*
 * Issue 15's requests in abc-worker (worker/req_apikey.c) against the
 * request harness: which ops take an API key in place of a session (and
 * hash it as the database keeps it), a new key in the live answer only,
 * and a revocation broadcast to every abc-web.
 */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"

#include "apikey.h"
#include "db.h"
#include "msg.h"
#include "ops_req.h"
#include "req_apikey.h"
#include "reqharness.h"

#define TOKEN	"00112233445566778899aabbccddeeff" \
		"00112233445566778899aabbccddeeff"
#define KEY	"abc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct ops_cfg	 cfg = {
	.kdf_params = { 1024, 8, 1 },
	.session_ttl_s = 3600,
	.login_max_failures = 2,
	.login_window_ms = 600000,
	.register_max_per_addr = 10,
	.register_max = 100,
	.register_window_ms = 60000,
	.withdraw_min_sat = 10000,
	.withdraw_approval_sat = 10000000,
};

/* "\x" + the hex SHA-256 of key: how a key's hash is sent to SQL. */
static void
key_param(const char *key, char out[67])
{
	out[0] = '\\';
	out[1] = 'x';
	apikey_hash_hex(key, out + 2);
}

/*
 * A key stands for a session only in the API's ops: every other op that
 * needs a session answers no_session before any job; the API's own hash
 * the key into their first SQL parameter.
 */
static void
test_key_ops(void)
{
	const struct req_row	*index[MSG_OP__MAX];
	char			 req[512], want[67];
	int			 op;

	CU_ASSERT_EQUAL_FATAL(ops_table_build(ops_req_modules, index), 0);
	key_param(KEY, want);
	rh_setup(&cfg);
	for (op = 0; op < MSG_OP__MAX; op++) {
		if (!(index[op]->flags & REQ_NEEDS_SESSION))
			continue;
		snprintf(req, sizeof(req), "{\"op\":\"%s\",\"api_key\":\"%s\","
		    "\"campaign\":9,\"slot\":2,\"ad\":4,\"max_price\":1500,"
		    "\"idem\":\"idem-0001\",\"nickname\":\"n\",\"hover\":\"h\","
		    "\"url\":\"https://e.x/\",\"image\":\"R0lGODlhAQABAAAAACw=\","
		    "\"new\":\"a long new password\",\"password\":\"pw pw pw\","
		    "\"address\":\"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\","
		    "\"amount\":20000,\"name\":\"k\",\"scopes\":[\"read\"],"
		    "\"id\":3}", msg_op_name((enum msg_op)op), KEY);
		rh_send(req);
		if (op != MSG_OP_MY_ADS && op != MSG_OP_BUY &&
		    op != MSG_OP_AD_CREATE && op != MSG_OP_API_CAMPAIGNS &&
		    op != MSG_OP_APIKEY_AUTH) {
			CU_ASSERT_STRING_EQUAL(rh_reply_code(), "no_session");
			CU_ASSERT_PTR_NULL(rh_db_job());
			continue;
		}
		if (rh_db_job() == NULL) {
			/* ad_create refuses the 1x1 GIF's size first. */
			CU_ASSERT_EQUAL(op, MSG_OP_AD_CREATE);
			continue;
		}
		/* The key's hash is the session's hash parameter. */
		CU_ASSERT(strcmp(rh_db_job()->params[0], want) == 0 ||
		    (rh_db_job()->nparams > 4 &&
		    strcmp(rh_db_job()->params[4], want) == 0));
		rh_db_answer(0, 7, NULL);
	}
	/* Not a key's shape: no_session, no job. */
	rh_send("{\"op\":\"my_ads\",\"api_key\":\"abc_short\"}");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "no_session");
	CU_ASSERT_PTR_NULL(rh_db_job());
	rh_teardown();
}

/* What the session lookup finds (id, name, hash, salt, n, r, p). */
static const char *const session_row[] = {
	"7", "alice",
	"\\x0000000000000000000000000000000000000000000000000000000000000000",
	"\\x00000000000000000000000000000000", "1024", "8", "1"
};

/* The key is in the live answer only, and hashed in the query. */
static void
test_key_create(void)
{
	const char		*row[1];
	const char		*key;
	char			 want[67], prefix[APIKEY_PREFIX_LEN + 1];

	rh_setup(&cfg);
	rh_send("{\"op\":\"apikey_create\",\"token\":\"" TOKEN "\","
	    "\"name\":\"bot\",\"scopes\":[\"buy\",\"read\"],\"idem\":\"i-00001\"}");
	/* The session's user, then its 2FA row (none: 2FA is off). */
	rh_db_answer(1, 7, session_row);
	rh_db_answer(0, 3, NULL);
	CU_ASSERT_FATAL(rh_db_job() != NULL &&
	    strstr(rh_db_job()->sql, "apikey_create(") != NULL);
	CU_ASSERT_EQUAL(rh_db_job()->durable, 1);
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[7], "{read,buy}");
	snprintf(prefix, sizeof(prefix), "%s", rh_db_job()->params[9]);
	snprintf(want, sizeof(want), "%s", rh_db_job()->params[8]);
	row[0] = "{\"ok\": true, \"id\": 5, \"prefix\": \"x\"}";
	rh_db_answer(1, 1, row);
	key = msg_get_str(rh_reply(), "key");
	CU_ASSERT_FATAL(key != NULL && apikey_valid(key));
	CU_ASSERT_EQUAL(strncmp(key, prefix, APIKEY_PREFIX_LEN), 0);
	CU_ASSERT_EQUAL(strlen(prefix), APIKEY_PREFIX_LEN);
	{
		char	 got[67];

		key_param(key, got);
		CU_ASSERT_STRING_EQUAL(got, want);
	}
	/* A repeat (the stored answer) shows no key. */
	rh_send("{\"op\":\"apikey_create\",\"token\":\"" TOKEN "\","
	    "\"name\":\"bot\",\"scopes\":[\"read\"],\"idem\":\"i-00001\"}");
	rh_db_answer(1, 7, session_row);
	rh_db_answer(0, 3, NULL);
	row[0] = "{\"ok\": true, \"id\": 5, \"prefix\": \"x\", \"repeat\": true}";
	rh_db_answer(1, 1, row);
	CU_ASSERT_PTR_NULL(msg_get_str(rh_reply(), "key"));
	/* Bad scopes or name: refused once the session is known, before
	 * the 2FA row and the key's call. */
	rh_send("{\"op\":\"apikey_create\",\"token\":\"" TOKEN "\","
	    "\"name\":\"bot\",\"scopes\":[\"read\",\"read\"]}");
	rh_db_answer(1, 7, session_row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	rh_send("{\"op\":\"apikey_create\",\"token\":\"" TOKEN "\","
	    "\"name\":\"bot\",\"scopes\":[\"admin\"]}");
	rh_db_answer(1, 7, session_row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	rh_send("{\"op\":\"apikey_create\",\"token\":\"" TOKEN "\","
	    "\"name\":\"\",\"scopes\":[\"read\"]}");
	rh_db_answer(1, 7, session_row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	CU_ASSERT_EQUAL(rh_jobs(), 9);
	rh_teardown();
}

/* A revocation tells every abc-web the key's hash; the reply does not. */
static void
test_key_revoke(void)
{
	const char	*row[1];

	rh_setup(&cfg);
	rh_send("{\"op\":\"apikey_revoke\",\"token\":\"" TOKEN "\","
	    "\"id\":5,\"idem\":\"r-00001\"}");
	CU_ASSERT_FATAL(rh_db_job() != NULL &&
	    strstr(rh_db_job()->sql, "apikey_revoke(") != NULL);
	row[0] = "{\"ok\": true, \"id\": 5, \"key_hash\": \"ab12\"}";
	rh_db_answer(1, 1, row);
	CU_ASSERT_EQUAL_FATAL(rh_notices(), 1);
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_notice(0), "kind"),
	    "apikey_revoked");
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_notice(0), "key"), "ab12");
	CU_ASSERT_PTR_NULL(msg_get_str(rh_reply(), "key_hash"));
	/* Not the user's key: refused, nothing broadcast. */
	rh_send("{\"op\":\"apikey_revoke\",\"token\":\"" TOKEN "\","
	    "\"id\":6,\"idem\":\"r-00002\"}");
	row[0] = "{\"ok\": false, \"code\": \"invalid\", \"error\": \"no\"}";
	rh_db_answer(1, 1, row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	CU_ASSERT_EQUAL(rh_notices(), 1);
	rh_teardown();
}

static CU_TestInfo tests[] = {
	{ "test_key_ops", test_key_ops },
	{ "test_key_create", test_key_create },
	{ "test_key_revoke", test_key_revoke },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "req_apikey", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
