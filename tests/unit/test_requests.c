/*
 * CUnit suite for abc-worker's request modules (worker/req_*.c), run
 * through the real engine (worker/ops.c) with canned job runners
 * (reqharness.c): which job each stage hands over, and which reply each
 * canned answer becomes.  No PostgreSQL, hashing pool or bitcoind.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "btcq.h"
#include "db.h"
#include "hex.h"
#include "kdf.h"
#include "msg.h"
#include "ops.h"
#include "ops_req.h"
#include "req_common.h"
#include "reqharness.h"

/* 64 hex digits: a token as abc-web sends it. */
#define TOKEN	"00112233445566778899aabbccddeeff" \
		"00112233445566778899aabbccddeeff"

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
	.fee_ppm = 0,
};

/* A users row as req_session_user and login read it. */
/* alice's stored hash is SHA-256 of the all-zero key (kdf_stored_hash). */
static const char *const user_row[] = {
	"7", "alice",
	"\\x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
	"\\x00000000000000000000000000000000",
	"1024", "8", "1"
};

/* The last reply, compact. */
static const char *
reply_text(void)
{
	return json_object_to_json_string_ext(rh_reply(),
	    JSON_C_TO_STRING_PLAIN);
}

/* 1 when the parked database job's SQL contains s. */
static int
db_sql_has(const char *s)
{
	return rh_db_job() != NULL && strstr(rh_db_job()->sql, s) != NULL;
}

/*
 * Every request whose row says REQ_NEEDS_SESSION answers "no_session"
 * for a token that is not one, before any job; and the rows without the
 * flag are those that never ask for a session.
 */
static void
test_req_no_session(void)
{
	const struct req_row	*index[MSG_OP__MAX];
	char			 req[512];
	int			 op;

	CU_ASSERT_EQUAL_FATAL(ops_table_build(ops_req_modules, index), 0);
	rh_setup(&cfg);
	for (op = 0; op < MSG_OP__MAX; op++) {
		if (!(index[op]->flags & REQ_NEEDS_SESSION))
			continue;
		/* The fields a request checks before its session, valid. */
		snprintf(req, sizeof(req), "{\"op\":\"%s\",\"token\":\"zz\","
		    "\"new\":\"a long new password\",\"address\":"
		    "\"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\","
		    "\"amount\":20000,\"idem\":\"k1\",\"password\":"
		    "\"whatever it is\"}", msg_op_name((enum msg_op)op));
		rh_send(req);
		CU_ASSERT_STRING_EQUAL(rh_reply_code(), "no_session");
		if (strcmp(rh_reply_code(), "no_session") != 0)
			fprintf(stderr, "op %s: %s\n",
			    msg_op_name((enum msg_op)op), reply_text());
	}
	CU_ASSERT_EQUAL(rh_jobs(), 0);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* A well-formed token the database does not know: no_session, not 404. */
static void
test_req_session_unknown(void)
{
	rh_setup(&cfg);
	rh_send("{\"op\":\"session\",\"token\":\"" TOKEN "\"}");
	CU_ASSERT_FATAL(db_sql_has("acct_session($1, $2)"));
	rh_db_answer(0, 2, NULL);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "no_session");
	/* ...and a database that did not answer is not "logged out". */
	rh_send("{\"op\":\"my_ads\",\"token\":\"" TOKEN "\"}");
	rh_db_fail();
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "unavailable");
	CU_ASSERT_EQUAL(rh_replies(), 2);
	rh_teardown();
}

/*
 * A purchase is one durable job; its refusal (a lost race) is the reply
 * as the SQL function wrote it, byte for byte, with no notice; a sale
 * broadcasts campaign_changed before the reply.
 */
static void
test_req_buy(void)
{
	static const char	 sold[] = "{\"ok\": false, \"code\": \"sold\", "
				    "\"error\": \"That slot is already sold.\", "
				    "\"at_ms\": 5, \"next_idx\": 3, "
				    "\"campaign\": 9, \"next_price\": 2000}";
	static const char	 sale[] = "{\"ok\": true, \"campaign\": 9, "
				    "\"idx\": 2, \"price\": 1000}";
	const char		*row[1];

	rh_setup(&cfg);
	rh_send("{\"op\":\"buy\",\"token\":\"" TOKEN "\",\"campaign\":9,"
	    "\"slot\":2,\"ad\":4,\"max_price\":1500,\"idem\":\"i1\"}");
	CU_ASSERT_FATAL(db_sql_has("camp_purchase_many("));
	CU_ASSERT_EQUAL(rh_db_job()->merged, 1);
	CU_ASSERT_EQUAL(rh_db_job()->durable, 1);
	CU_ASSERT_EQUAL(rh_db_job()->nparams, 11);
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[6], "9");
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[9], "1500");
	row[0] = sold;
	rh_db_answer(1, 1, row);
	CU_ASSERT_EQUAL(rh_replies(), 1);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "sold");
	CU_ASSERT_EQUAL(rh_notices(), 0);
	CU_ASSERT_EQUAL(msg_reply_lookup(rh_reply(), MSG_CODE_NO_CAMPAIGN),
	    LOOKUP_UNKNOWN);
	CU_ASSERT_EQUAL(msg_reply_retryable(rh_reply()), 0);

	rh_send("{\"op\":\"buy\",\"token\":\"" TOKEN "\",\"campaign\":9,"
	    "\"slot\":2,\"ad\":4,\"max_price\":1500,\"idem\":\"i2\"}");
	row[0] = sale;
	rh_db_answer(1, 1, row);
	CU_ASSERT_EQUAL(rh_replies(), 2);
	CU_ASSERT_EQUAL_FATAL(rh_notices(), 1);
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_notice(0), "kind"),
	    "campaign_changed");
	CU_ASSERT_STRING_EQUAL(reply_text(), "{\"ok\":true,\"campaign\":9,"
	    "\"idx\":2,\"price\":1000}");

	/* An unreadable answer, or none, may be retried: never a sale. */
	rh_send("{\"op\":\"buy\",\"token\":\"" TOKEN "\",\"campaign\":9,"
	    "\"slot\":2,\"ad\":4,\"max_price\":1500,\"idem\":\"i3\"}");
	rh_db_fail();
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "unavailable");
	/* A form without its numbers: refused before the database. */
	rh_send("{\"op\":\"buy\",\"token\":\"" TOKEN "\",\"campaign\":9}");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	CU_ASSERT_EQUAL(rh_jobs(), 3);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* One failed login: the name read, the password checked and wrong. */
static void
login_wrong(void)
{
	rh_send("{\"op\":\"login\",\"username\":\"Alice\",\"password\":"
	    "\"not the one\",\"addr\":\"10.0.0.1\"}");
	CU_ASSERT_FATAL(db_sql_has("FROM users WHERE lower(username)"));
	rh_db_answer(1, 7, user_row);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_kdf_job());
	CU_ASSERT_EQUAL(rh_kdf_job()->kind, KDF_VERIFY);
	rh_kdf_answer(0);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_login");
}

/*
 * Login: after login_max_failures wrong passwords for a name from one
 * address the next attempt is refused before any job (rate_limited); the
 * same name from another address still gets its tries.  An unknown name
 * costs a (dummy) hash and gets the same answer.
 */
static void
test_req_login_rate_limited(void)
{
	size_t	 jobs;

	rh_setup(&cfg);
	login_wrong();
	login_wrong();
	jobs = rh_jobs();
	rh_send("{\"op\":\"login\",\"username\":\"alice\",\"password\":"
	    "\"right at last\",\"addr\":\"10.0.0.1\"}");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "rate_limited");
	CU_ASSERT_PTR_NOT_NULL(strstr(msg_get_str(rh_reply(), "error"),
	    "Too many failed logins"));
	CU_ASSERT_EQUAL(rh_jobs(), jobs);

	rh_send("{\"op\":\"login\",\"username\":\"bob\",\"password\":"
	    "\"anything at all\",\"addr\":\"10.0.0.2\"}");
	rh_db_answer(0, 7, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_kdf_job());
	CU_ASSERT_EQUAL(rh_kdf_job()->dummy, 1);
	rh_kdf_answer(1);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_login");

	rh_send("{\"op\":\"login\",\"username\":\"alice\",\"password\":"
	    "\"right at last\",\"addr\":\"10.0.0.9\"}");
	rh_db_answer(1, 7, user_row);
	rh_kdf_answer(1);
	CU_ASSERT_FATAL(db_sql_has("acct_login("));
	rh_db_answer(1, 1, (const char *const[]){ "" });
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_reply(), "username"), "alice");
	CU_ASSERT_EQUAL(strlen(msg_get_str(rh_reply(), "token")), 64);
	/* login changes the account: its notice comes first. */
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_notice(rh_notices() - 1),
	    "kind"), "account_changed");
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* A full hashing pool answers "busy" at once, retryable. */
static void
test_req_login_busy(void)
{
	rh_setup(&cfg);
	rh_kdf_refuse(1);
	rh_send("{\"op\":\"login\",\"username\":\"alice\",\"password\":"
	    "\"whatever it is\",\"addr\":\"10.0.0.1\"}");
	rh_db_answer(1, 7, user_row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "busy");
	CU_ASSERT_EQUAL(msg_reply_retryable(rh_reply()), 1);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* Withdraw's fields are refused before any job, each with its code. */
static void
test_req_withdraw_fields(void)
{
	static const struct {
		const char	*fields;
		const char	*code;
	} cases[] = {
		{ "\"address\":\"short\",\"amount\":20000,\"idem\":\"k\"",
		    "bad_address" },
		{ "\"address\":\"bcrt1q-has-a-dash-in-it-xxxxxxxx\","
		    "\"amount\":20000,\"idem\":\"k\"", "bad_address" },
		{ "\"amount\":20000,\"idem\":\"k\"", "bad_address" },
		{ "\"address\":\"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\","
		    "\"amount\":0,\"idem\":\"k\"", "invalid" },
		{ "\"address\":\"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\","
		    "\"amount\":\"1\",\"idem\":\"k\"", "invalid" },
		{ "\"address\":\"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\","
		    "\"amount\":9999,\"idem\":\"k\"", "too_small" },
		{ "\"address\":\"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\","
		    "\"amount\":20000", "invalid" },
	};
	char	 req[512];
	size_t	 i;

	rh_setup(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "{\"op\":\"withdraw\",\"token\":\""
		    TOKEN "\",\"password\":\"pw\",%s}", cases[i].fields);
		rh_send(req);
		CU_ASSERT_EQUAL(rh_replies(), i + 1);
		CU_ASSERT_STRING_EQUAL(rh_reply_code(), cases[i].code);
	}
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_reply(), "error"),
	    "The form is incomplete; reload it.");
	CU_ASSERT_EQUAL(rh_jobs(), 0);
	rh_teardown();
}

/* Answers the 2FA row read (req_totp.c) with none: 2FA is off. */
static void
no_totp(void)
{
	CU_ASSERT_FATAL(db_sql_has("FROM user_totp"));
	rh_db_answer(0, 3, NULL);
}

/*
 * Withdraw all the way: the session, the password, bitcoind's verdict on
 * the address, then one durable wd_request whose stored reply is the
 * answer.  A wrong password is counted like a failed login.
 */
static void
test_req_withdraw_flow(void)
{
	static const char	 req[] = "{\"op\":\"withdraw\",\"token\":\""
				    TOKEN "\",\"password\":\"the password\","
				    "\"address\":\"bcrt1qw508d6qejxtdg4y5r3z"
				    "arvary0c5xw7kygt080\",\"amount\":20000,"
				    "\"idem\":\"k\",\"addr\":\"10.0.0.1\"}";
	const char		*stored[] = { "{\"ok\": true, \"id\": 5, "
				    "\"status\": \"queued\"}" };

	rh_setup(&cfg);
	rh_send(req);
	CU_ASSERT_FATAL(db_sql_has("acct_session($1, $2)"));
	rh_db_answer(1, 7, user_row);
	rh_kdf_answer(1);
	no_totp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_chain_job());
	CU_ASSERT_EQUAL(rh_chain_job()->kind, BTCQ_VALIDATE_ADDRESS);
	rh_chain_answer(1, 1, NULL, 0);
	CU_ASSERT_FATAL(db_sql_has("wd_request_guarded("));
	CU_ASSERT_EQUAL(rh_db_job()->durable, 1);
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[4], "7");	/* user */
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[6], "20000");
	CU_ASSERT_PTR_NULL(rh_db_job()->params[8]);	/* no 2FA step */
	rh_db_answer(1, 1, stored);
	CU_ASSERT_STRING_EQUAL(reply_text(), "{\"ok\":true,\"id\":5,"
	    "\"status\":\"queued\"}");
	CU_ASSERT_STRING_EQUAL(msg_get_str(rh_notice(0), "kind"),
	    "account_changed");

	/* bitcoind down: retryable, nothing taken; an invalid address. */
	rh_send(req);
	rh_db_answer(1, 7, user_row);
	rh_kdf_answer(1);
	no_totp();
	rh_chain_answer(0, 0, NULL, 0);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "unavailable");
	rh_send(req);
	rh_db_answer(1, 7, user_row);
	rh_kdf_answer(1);
	no_totp();
	rh_chain_answer(1, 0, NULL, 0);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_address");

	rh_send(req);
	rh_db_answer(1, 7, user_row);
	rh_kdf_answer(0);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_password");
	CU_ASSERT_EQUAL(rh_replies(), 4);
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/*
 * register: a taken name is refused without hashing; a free one is
 * hashed and stored in one durable call whose reply is the answer.
 */
static void
test_req_register(void)
{
	static const char	 req[] = "{\"op\":\"register\",\"username\":"
				    "\"carol\",\"password\":\"long enough pw\","
				    "\"addr\":\"10.0.0.3\"}";
	const char		*taken[] = { NULL, "t" };
	const char		*free_name[] = { NULL, "f" };
	const char		*stored[] = { "{\"ok\": true, \"user\": 8}" };

	rh_setup(&cfg);
	rh_send(req);
	rh_db_answer(1, 2, taken);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "name_taken");
	CU_ASSERT_EQUAL(rh_jobs(), 1);
	rh_send(req);
	rh_db_answer(1, 2, free_name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_kdf_job());
	CU_ASSERT_EQUAL(rh_kdf_job()->kind, KDF_HASH);
	rh_kdf_answer(1);
	CU_ASSERT_FATAL(db_sql_has("acct_register("));
	CU_ASSERT_EQUAL(rh_db_job()->durable, 1);
	rh_db_answer(1, 1, stored);
	CU_ASSERT_STRING_EQUAL(reply_text(), "{\"ok\":true,\"user\":8}");
	rh_send("{\"op\":\"register\",\"username\":\"x\",\"password\":"
	    "\"long enough pw\"}");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/*
 * Issue 14: a login carrying the key abc-web derived is compared at once
 * (no hashing job): the key whose SHA-256 is stored logs in; the stored
 * hash itself (a copy of the database) does not, and anything else is a failed
 * login, as is a name without an account or a malformed key.
 */
static void
test_req_key_login(void)
{
	static const char	 zero[] = "0000000000000000000000000000000000"
				    "000000000000000000000000000000";
	char			 req[256];

	rh_setup(&cfg);
	snprintf(req, sizeof(req), "{\"op\":\"login\",\"username\":"
	    "\"alice\",\"password_key\":\"%s\",\"addr\":\"10.0.0.9\"}",
	    zero);
	rh_send(req);
	rh_db_answer(1, 7, user_row);
	CU_ASSERT_PTR_NULL(rh_kdf_job());
	CU_ASSERT_FATAL(db_sql_has("acct_login("));
	rh_db_answer(0, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(msg_get_str(rh_reply(), "token"));
	/* One bit off. */
	snprintf(req, sizeof(req), "{\"op\":\"login\",\"username\":"
	    "\"alice\",\"password_key\":\"%.63s1\",\"addr\":"
	    "\"10.0.0.9\"}", zero);
	rh_send(req);
	rh_db_answer(1, 7, user_row);
	CU_ASSERT_PTR_NULL(rh_kdf_job());
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_login");
	/* The stored hash itself, as a copy of the database would give it. */
	rh_send("{\"op\":\"login\",\"username\":\"alice\",\"password_key\":"
	    "\"66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925\","
	    "\"addr\":\"10.0.0.9\"}");
	rh_db_answer(1, 7, user_row);
	CU_ASSERT_PTR_NULL(rh_kdf_job());
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_login");
	/* The right key for a name without an account. */
	snprintf(req, sizeof(req), "{\"op\":\"login\",\"username\":"
	    "\"nobody\",\"password_key\":\"%s\",\"addr\":\"10.0.0.9\"}",
	    zero);
	rh_send(req);
	rh_db_answer(0, 7, NULL);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_login");
	rh_send("{\"op\":\"login\",\"username\":\"bob\",\"password_key\":"
	    "\"zz\",\"addr\":\"10.0.0.9\"}");
	rh_db_answer(1, 7, user_row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_login");
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* The salt kdf_params answers, as hex. */
static const char *
reply_salt(void)
{
	return msg_get_str(rh_reply(), "salt");
}

/*
 * kdf_params: an account's stored salt and parameters; a name without one
 * gets the HMAC-derived salt (the same whatever the letter case) and the
 * current parameters, with the same keys; a registration's is refused for
 * a taken name; and a key registered with other parameters is refused.
 */
static void
test_req_kdf_params(void)
{
	static const char *const salt_row[] = {
		"\\x0102030405060708090a0b0c0d0e0f10", "16384", "8", "1"
	};
	uint8_t		 fake[KDF_SALT_LEN];
	char		 hex[2 * KDF_SALT_LEN + 1], first[256];
	size_t		 i;

	rh_setup(&cfg);
	rh_send("{\"op\":\"kdf_params\",\"username\":\"alice\"}");
	CU_ASSERT_FATAL(db_sql_has("FROM users"));
	rh_db_answer(1, 4, salt_row);
	CU_ASSERT_STRING_EQUAL(reply_salt(), "0102030405060708090a0b0c0d0e0f10");
	CU_ASSERT_STRING_EQUAL(reply_text(), "{\"ok\":true,\"salt\":"
	    "\"0102030405060708090a0b0c0d0e0f10\",\"n\":16384,\"r\":8,"
	    "\"p\":1,\"new_n\":1024,\"new_r\":8,\"new_p\":1}");

	CU_ASSERT_EQUAL_FATAL(kdf_fake_salt(cfg.salt_secret,
	    sizeof(cfg.salt_secret), "ghost", fake), 0);
	for (i = 0; i < KDF_SALT_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", fake[i]);
	rh_send("{\"op\":\"kdf_params\",\"username\":\"Ghost\"}");
	CU_ASSERT_FATAL(db_sql_has("FROM users"));
	rh_db_answer(0, 4, NULL);
	CU_ASSERT_STRING_EQUAL(reply_salt(), hex);
	snprintf(first, sizeof(first), "%s", reply_text());
	CU_ASSERT_PTR_NOT_NULL(strstr(first, "\"n\":1024,\"r\":8,\"p\":1,"));
	rh_send("{\"op\":\"kdf_params\",\"username\":\"GHOST\"}");
	rh_db_answer(0, 4, NULL);
	CU_ASSERT_STRING_EQUAL(reply_salt(), hex);

	rh_send("{\"op\":\"kdf_params\",\"username\":\"alice\","
	    "\"for\":\"register\"}");
	rh_db_answer(1, 4, salt_row);
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "name_taken");
	rh_send("{\"op\":\"kdf_params\",\"username\":\"x\","
	    "\"for\":\"register\"}");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");

	rh_send("{\"op\":\"register\",\"username\":\"carol\",\"key\":"
	    "\"00000000000000000000000000000000000000000000000000000000000000"
	    "00\",\"salt\":\"00000000000000000000000000000000\",\"n\":2,"
	    "\"r\":8,\"p\":1,\"addr\":\"10.0.0.3\"}");
	{
		const char	*free_name[] = { NULL, "f" };

		rh_db_answer(1, 2, free_name);
	}
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
	CU_ASSERT_PTR_NULL(rh_kdf_job());
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
}

/* The RFC 6238 test key, as the database gives a bytea. */
static const char	 rfc_secret[] = "\\x3132333435363738393031323334353637383930";

/* cfg with a fixed 2FA clock at 1111111111 (step 37037037). */
static struct ops_cfg
fixed_clock_cfg(void)
{
	struct ops_cfg	 c = cfg;
	FILE		*f;

	snprintf(c.totp_clock_file, sizeof(c.totp_clock_file),
	    "/tmp/abc-test-totp-clock.%ld", (long)getpid());
	f = fopen(c.totp_clock_file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "1111111111\n");
	fclose(f);
	return c;
}

/* Sends a withdrawal with code through the password to the 2FA row. */
static void
withdraw_with(const char *code, const char *last_step)
{
	char		 req[512];
	const char	*row[] = { "t", rfc_secret, last_step };

	snprintf(req, sizeof(req), "{\"op\":\"withdraw\",\"token\":\"" TOKEN
	    "\",\"password\":\"the password\",\"address\":\"bcrt1qw508d6qejx"
	    "tdg4y5r3zarvary0c5xw7kygt080\",\"amount\":20000,\"idem\":\"k\","
	    "\"addr\":\"10.0.0.1\"%s%s%s}", code != NULL ? ",\"code\":\"" : "",
	    code != NULL ? code : "", code != NULL ? "\"" : "");
	rh_send(req);
	rh_db_answer(1, 7, user_row);
	rh_kdf_answer(1);
	CU_ASSERT_FATAL(db_sql_has("FROM user_totp"));
	rh_db_answer(1, 3, row);
}

/*
 * 2FA on, on a fixed clock: a withdrawal without a code, with a wrong one
 * or with one already used is refused before bitcoind is asked; the right
 * one (RFC 6238's code at 1111111111, 6 digits) goes on with its step.
 */
static void
test_req_withdraw_totp(void)
{
	struct ops_cfg	 c = fixed_clock_cfg();

	rh_setup(&c);
	withdraw_with(NULL, "0");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "totp_needed");
	withdraw_with("123456", "0");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_code");
	withdraw_with("654321", "0");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "bad_code");
	/* Two wrong codes (login_max_failures): even the right one waits. */
	withdraw_with("050471", "0");
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "rate_limited");
	rh_teardown();
	rh_setup(&c);
	withdraw_with("050 471", "0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_chain_job());
	rh_chain_answer(1, 1, NULL, 0);
	CU_ASSERT_FATAL(db_sql_has("wd_request_guarded("));
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[8], "37037037");
	rh_db_answer(1, 1, (const char *const[]){ "{\"ok\": true}" });
	/*
	 * A used code goes on to the durable call, with its step: a retried
	 * request gets its stored reply there, a new one totp_consume's no.
	 */
	withdraw_with("050471", "37037037");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rh_chain_job());
	rh_chain_answer(1, 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(rh_db_job()->params[8], "37037037");
	rh_db_answer(1, 1, (const char *const[]){ "{\"ok\": false, "
	    "\"code\": \"code_used\", \"error\": \"used\"}" });
	CU_ASSERT_STRING_EQUAL(rh_reply_code(), "code_used");
	CU_ASSERT_EQUAL(ops_pending(rh_ops()), 0);
	rh_teardown();
	(void)unlink(c.totp_clock_file);
}

/* 2FA on: a right password gives a pending login, never a session. */
static void
test_req_login_totp_pending(void)
{
	const char	*row[] = { "7", "alice", user_row[2], user_row[3],
			    "1024", "8", "1", "t" };

	rh_setup(&cfg);
	rh_send("{\"op\":\"login\",\"username\":\"alice\",\"password\":"
	    "\"right at last\",\"addr\":\"10.0.0.9\"}");
	rh_db_answer(1, 8, row);
	rh_kdf_answer(1);
	CU_ASSERT_FATAL(db_sql_has("INSERT INTO login_pending"));
	CU_ASSERT_FALSE(db_sql_has("acct_login("));
	rh_db_answer(0, 0, NULL);
	CU_ASSERT_PTR_NULL(msg_get_str(rh_reply(), "token"));
	CU_ASSERT_EQUAL(strlen(msg_get_str(rh_reply(), "pending")), 64);
	rh_teardown();
}

/*
 * webhook_add: after the session, a URL that is not http(s) or has no
 * idempotency key is refused with no further job; a good one is one
 * durable webhook_endpoint_add carrying a fresh 64-hex secret (another
 * for each request), whose stored reply is the answer.
 */
static void
test_req_webhook_add(void)
{
	static const char *const bad[] = {
		"\"url\":\"ftp://example.com/\",\"idem\":\"k\"",
		"\"url\":\"https://a b/\",\"idem\":\"k\"",
		"\"idem\":\"k\"",
		"\"url\":\"https://example.com/\"",
	};
	const char	*stored[] = { "{\"ok\": true, \"id\": 3}" };
	char		 req[512], first[65];
	size_t		 i;

	rh_setup(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(req, sizeof(req), "{\"op\":\"webhook_add\",\"token\":"
		    "\"" TOKEN "\",%s}", bad[i]);
		rh_send(req);
		CU_ASSERT_FATAL(db_sql_has("acct_session($1, $2)"));
		rh_db_answer(1, 7, user_row);
		CU_ASSERT_EQUAL(rh_replies(), i + 1);
		CU_ASSERT_STRING_EQUAL(rh_reply_code(), "invalid");
		CU_ASSERT_PTR_NULL(rh_db_job());
	}
	for (i = 0; i < 2; i++) {
		rh_send("{\"op\":\"webhook_add\",\"token\":\"" TOKEN "\","
		    "\"url\":\"https://example.com/hook\",\"idem\":\"k\"}");
		rh_db_answer(1, 7, user_row);
		CU_ASSERT_FATAL(db_sql_has("webhook_endpoint_add("));
		CU_ASSERT_EQUAL(rh_db_job()->durable, 1);
		CU_ASSERT_STRING_EQUAL(rh_db_job()->params[4], "7");
		CU_ASSERT_STRING_EQUAL(rh_db_job()->params[5],
		    "https://example.com/hook");
		CU_ASSERT_EQUAL(strlen(rh_db_job()->params[6]), 64);
		CU_ASSERT_EQUAL(strspn(rh_db_job()->params[6],
		    "0123456789abcdef"), 64);
		if (i == 0)
			snprintf(first, sizeof(first), "%s",
			    rh_db_job()->params[6]);
		else
			CU_ASSERT_STRING_NOT_EQUAL(first,
			    rh_db_job()->params[6]);
		rh_db_answer(1, 1, stored);
		CU_ASSERT_STRING_EQUAL(reply_text(), "{\"ok\":true,\"id\":3}");
	}
	rh_teardown();
}

/* req_sha256 (a fetched SHA-256 kept for every call): FIPS 180-2 vectors. */
static void
test_req_sha256(void)
{
	static const char *const in[] = { "", "abc",
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" };
	static const char *const want[] = {
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	};
	uint8_t	 h[32];
	char	 hex[65];
	size_t	 i;
	int	 k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			req_sha256(in[i], strlen(in[i]), h);
			hex_encode(h, sizeof(h), hex);
			CU_ASSERT_STRING_EQUAL(hex, want[i]);
		}
}

static CU_TestInfo tests[] = {
	{ "test_req_sha256", test_req_sha256 },
	{ "test_req_no_session", test_req_no_session },
	{ "test_req_session_unknown", test_req_session_unknown },
	{ "test_req_buy", test_req_buy },
	{ "test_req_login_rate_limited", test_req_login_rate_limited },
	{ "test_req_login_busy", test_req_login_busy },
	{ "test_req_key_login", test_req_key_login },
	{ "test_req_kdf_params", test_req_kdf_params },
	{ "test_req_withdraw_fields", test_req_withdraw_fields },
	{ "test_req_withdraw_flow", test_req_withdraw_flow },
	{ "test_req_register", test_req_register },
	{ "test_req_withdraw_totp", test_req_withdraw_totp },
	{ "test_req_login_totp_pending", test_req_login_totp_pending },
	{ "test_req_webhook_add", test_req_webhook_add },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "requests", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
