/*
 * Accounts and sessions (SPEC 4.1, 4.6): register, login, session lookup,
 * logout, logout everywhere, password change, the account page's data and
 * purging the history.  Since issue 14 abc-web derives the scrypt key
 * itself (web/kdfpool.c) from the salt and parameters kdf_params gives it,
 * and sends only that key ("<field>_key", hex), which is compared here in
 * constant time with the stored hash; a request that still carries a
 * password (an abc-web of the previous release, during a rolling upgrade)
 * is hashed on the worker's pool as before.  The stored format is
 * pw_hash = SHA-256(scrypt(password, pw_salt, pw_n, pw_r, pw_p)) since
 * migration 022 (common/scrypt.h kdf_stored_hash: the key alone, which is
 * what logs in, is never stored).  Sessions are random 256-bit tokens of
 * which the database keeps only a SHA-256.  Failed logins are counted per username and per
 * (username, client address), never per address alone; an unknown
 * username costs the same hashing work as a known one and gets the same
 * answer, so neither timing nor wording tells whether a name exists.  A
 * registration checks its name before hashing and is limited per client
 * address and in all.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "btcq.h"
#include "clock.h"
#include "db.h"
#include "hex.h"
#include "kdf.h"
#include "listpage.h"
#include "msg.h"
#include "ops_req.h"
#include "ratelimit.h"
#include "req_apikey.h"
#include "req_common.h"
#include "xmalloc.h"

#define PASSWORD_MIN	10

/* The session of token $1 (renewed), joined to its user's hash. */
static const char sql_session_user[] =
    "SELECT u.id, u.username, u.pw_hash, u.pw_salt, u.pw_n, u.pw_r, u.pw_p "
    "FROM acct_session($1, $2) s JOIN users u ON u.id = s.user_id";

/*
 * The stages of each request.  Those that act on the session's user name
 * the shared stages first (ops_req.h: req_session_user, then
 * req_account_recheck for a re-entered password).
 */
enum register_stage {
	REGISTER_START = REQ_START,
	REGISTER_CHECKED,	/* the name and a stored answer looked up */
	REGISTER_HASHED,	/* the password hashed */
	REGISTER_STORED		/* acct_register answered */
};
enum login_stage {
	LOGIN_START = REQ_START,
	LOGIN_USER_READ,	/* the name looked up */
	LOGIN_CHECKED,		/* the password checked */
	LOGIN_OPENED,		/* the session stored */
	LOGIN_PENDING		/* 2FA on: the pending login stored */
};
enum session_stage {
	SESSION_START = REQ_START,
	SESSION_READ = REQ_SESSION_READ
};
enum logout_stage {
	LOGOUT_START = REQ_START,
	LOGOUT_DELETED		/* the session row deleted */
};
enum logout_all_stage {
	LOGOUT_ALL_START = REQ_START,
	LOGOUT_ALL_SESSION = REQ_SESSION_READ,
	LOGOUT_ALL_DONE = REQ_OWN_STAGES	/* every session deleted */
};
enum password_stage {
	PASSWORD_START = REQ_START,
	PASSWORD_SESSION = REQ_SESSION_READ,
	PASSWORD_OLD_CHECKED = REQ_PASSWORD_CHECKED,
	PASSWORD_NEW_HASHED,	/* the new one hashed */
	PASSWORD_STORED		/* acct_password answered */
};
enum purge_stage {
	PURGE_START = REQ_START,
	PURGE_SESSION = REQ_SESSION_READ,
	PURGE_CHECKED = REQ_PASSWORD_CHECKED,
	PURGE_DONE		/* acct_purge answered */
};
enum account_stage {
	ACCOUNT_START = REQ_START,
	ACCOUNT_SESSION = REQ_SESSION_READ,
	ACCOUNT_READ = REQ_OWN_STAGES	/* the overview or a page read */
};
enum kdf_params_stage {
	KDF_PARAMS_START = REQ_START,
	KDF_PARAMS_READ		/* the name looked up */
};
enum new_address_stage {
	NEW_ADDRESS_START = REQ_START,
	NEW_ADDRESS_SESSION = REQ_SESSION_READ,
	NEW_ADDRESS_MADE = REQ_OWN_STAGES	/* bitcoind answered */
};

/* Returns non-zero for 3-32 characters of [A-Za-z0-9_.-]. */
static int
acct_valid_username(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n >= 3 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Returns non-zero for a password we accept for new hashes. */
static int
acct_valid_password(const char *s)
{
	return s != NULL && strlen(s) >= PASSWORD_MIN &&
	    strlen(s) <= KDF_PASSWORD_MAX;
}

/*
 * Reads the request's "token" (64 hex digits) into rq->token_hash.
 * Returns 0, or -1 after answering "no_session".
 */
static int
acct_take_token(struct request *rq)
{
	uint8_t	 token[32];

	/* Issue 15: the API's ops may stand on an API key instead. */
	if (msg_get_str(rq->body, "token") == NULL &&
	    msg_get_str(rq->body, "api_key") != NULL &&
	    apikey_op_allowed(rq->op))
		return apikey_take(rq);
	if (hex_decode(msg_get_str(rq->body, "token"), token, 32) != 0) {
		ops_fail(rq, MSG_CODE_NO_SESSION, "You are not logged in.");
		return -1;
	}
	req_sha256(token, 32, rq->token_hash);
	explicit_bzero(token, sizeof(token));
	return 0;
}

/*
 * For requests whose SQL checks the session itself: the request's token
 * hash into rq->token_hash.  Returns 0, or -1 after answering "no_session".
 */
int
req_session_token(struct request *rq)
{
	return acct_take_token(rq);
}

/*
 * Queues a query whose $1 is the token hash and $2 the session TTL; its
 * answer continues at REQ_SESSION_READ.
 */
static void
acct_db_session(struct request *rq, const char *sql)
{
	struct db_job	*j;

	j = db_job_new(sql, 0, NULL, 0);
	db_job_param_hex(j, rq->token_hash, 32);
	db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
	ops_db(rq, j, REQ_SESSION_READ);
}

/*
 * Reads the stored salt (column salt_col) and scrypt cost (n, r, p from
 * column n_col on) of dj's row into rq; 0, or -1 when unreadable.
 */
static int
acct_read_kdf(struct request *rq, struct db_job *dj, int salt_col, int n_col)
{
	rq->params.n = strtoull(db_job_value(dj, 0, n_col), NULL, 10);
	rq->params.r = (uint32_t)strtoul(db_job_value(dj, 0, n_col + 1), NULL,
	    10);
	rq->params.p = (uint32_t)strtoul(db_job_value(dj, 0, n_col + 2), NULL,
	    10);
	if (hex_decode(db_job_value(dj, 0, salt_col), rq->salt,
	    KDF_SALT_LEN) != 0 || !kdf_params_valid(&rq->params))
		return -1;
	return 0;
}

/*
 * Reads a users row (id, username, hash, salt, n, r, p) into c.  Returns
 * 1 when there was one, 0 when none, -1 after answering an error.
 */
static int
acct_read_user(struct request *rq, struct db_job *dj)
{
	int	 found;

	if ((found = req_row(rq, dj)) != 1)
		return found;
	rq->user_id = strtoll(db_job_value(dj, 0, 0), NULL, 10);
	snprintf(rq->username, sizeof(rq->username), "%s",
	    db_job_value(dj, 0, 1));
	if (hex_decode(db_job_value(dj, 0, 2), rq->hash, KDF_HASH_LEN) != 0 ||
	    acct_read_kdf(rq, dj, 3, 4) != 0) {
		ops_fail(rq, MSG_CODE_INTERNAL,
		    "stored password hash is unreadable");
		return -1;
	}
	return 1;
}

/*
 * Reads a (salt, n, r, p) row into rq.  Returns 1 when there was one, 0
 * when none, -1 after answering an error.
 */
static int
acct_read_salt(struct request *rq, struct db_job *dj)
{
	int	 found;

	if ((found = req_row(rq, dj)) != 1)
		return found;
	if (acct_read_kdf(rq, dj, 0, 1) != 0) {
		ops_fail(rq, MSG_CODE_INTERNAL,
		    "stored password salt is unreadable");
		return -1;
	}
	return 1;
}

/*
 * Verifies field against the hash in rq (or a dummy when none); the
 * verdict continues at stage next.
 */
static void
acct_verify(struct request *rq, const char *field, int known, int next)
{
	const char	*pw = msg_get_str(rq->body, field);
	char		 kfield[32];
	struct kdf_job	 verdict;
	uint8_t		 key[KDF_HASH_LEN], stored[KDF_HASH_LEN];

	snprintf(kfield, sizeof(kfield), "%s_key", field);
	if (msg_get_str(rq->body, kfield) != NULL) {
		/* abc-web derived it: compare here, no hashing. */
		memset(&verdict, 0, sizeof(verdict));
		verdict.kind = KDF_VERIFY;
		verdict.ok = hex_decode(msg_get_str(rq->body, kfield), key,
		    sizeof(key)) == 0 && kdf_stored_hash(key, stored) == 0 &&
		    known && CRYPTO_memcmp(stored, rq->hash,
		    sizeof(stored)) == 0;
		explicit_bzero(key, sizeof(key));
		rq->stage = next;
		ops_continue(rq, NULL, &verdict, NULL);
		return;
	}
	if (pw == NULL)
		pw = "";
	if (known)
		ops_kdf(rq, kdf_job_new_verify(pw, strlen(pw), &rq->params,
		    rq->salt, rq->hash, NULL), next);
	else
		ops_kdf(rq, kdf_job_new_dummy(pw, strlen(pw), NULL), next);
}

/* Finishes with {"ok":true}. */
static void
acct_ok(struct request *rq)
{
	struct json_object	*rep = msg_reply_new();

	ops_finish(rq, rep);
	json_object_put(rep);
}

/*
 * A new credential derived by abc-web: the key in field keyf and the salt
 * in saltf (hex), the parameters in "n", "r", "p", which must be this
 * worker's own (a front-end never chooses a weaker cost).  Returns 1 with
 * out filled, 0 when keyf is absent (a password instead), or -1 after
 * answering "invalid".
 */
static int
acct_new_key(struct request *rq, const char *keyf, const char *saltf,
    struct kdf_job *out)
{
	const struct kdf_params	*want = &ops_cfg(rq)->kdf_params;
	int64_t			 n = 0, r = 0, p = 0;
	uint8_t			 key[KDF_HASH_LEN];
	int			 bad;

	if (msg_get_str(rq->body, keyf) == NULL)
		return 0;
	memset(out, 0, sizeof(*out));
	out->kind = KDF_HASH;
	bad = hex_decode(msg_get_str(rq->body, keyf), key, sizeof(key)) != 0 ||
	    kdf_stored_hash(key, out->hash) != 0;
	explicit_bzero(key, sizeof(key));
	if (bad ||
	    hex_decode(msg_get_str(rq->body, saltf),
	    out->salt, KDF_SALT_LEN) != 0 ||
	    msg_get_int(rq->body, "n", &n) != 0 ||
	    msg_get_int(rq->body, "r", &r) != 0 ||
	    msg_get_int(rq->body, "p", &p) != 0 ||
	    (uint64_t)n != want->n || (uint64_t)r != want->r ||
	    (uint64_t)p != want->p) {
		ops_fail(rq, MSG_CODE_INVALID, "The password key or its "
		    "parameters are not the ones asked for; try again.");
		return -1;
	}
	out->params = *want;
	out->ok = 1;
	return 1;
}

/* Broadcasts that sessions ended: one token, or all of a user's. */
static void
acct_revoked(struct request *rq, int64_t user, const uint8_t *token_hash,
    const uint8_t *keep)
{
	struct json_object	*n;
	char			 hex[65];

	n = msg_notice_new(MSG_NOTICE_SESSION_REVOKED);
	if (user != 0)
		json_object_object_add(n, "user", json_object_new_int64(user));
	if (token_hash != NULL) {
		hex_encode(token_hash, 32, hex);
		json_object_object_add(n, "token", json_object_new_string(hex));
	}
	if (keep != NULL) {
		hex_encode(keep, 32, hex);
		json_object_object_add(n, "keep", json_object_new_string(hex));
	}
	ops_notice(rq, n);
	json_object_put(n);
}

/*
 * A registration may hash only within the per-address and overall limits
 * (issue 10: accounts are irreversible and hashing is the site's scarcest
 * resource).  Returns 1 after answering "rate_limited", else 0.
 */
static int
acct_register_blocked(struct request *rq)
{
	const struct ops_cfg	*cfg = ops_cfg(rq);
	char			 key[RATELIMIT_KEY_MAX], text[200];
	int64_t			 retry = 0, now = clock_mono_ms();
	unsigned		 max;

	snprintf(key, sizeof(key), "r:%s", rq->addr);
	max = cfg->register_max_per_addr;
	if (!ratelimit_blocked(ops_ratelimit(rq, OPS_RL_REG_ADDR), key, now,
	    &retry)) {
		max = cfg->register_max;
		if (!ratelimit_blocked(ops_ratelimit(rq, OPS_RL_REG_ALL), "r:*",
		    now, &retry))
			return 0;
		snprintf(text, sizeof(text), "Too many new accounts on this "
		    "site (at most %u in %lld minutes). Try again in %lld "
		    "minute(s).", max, (long long)(cfg->register_window_ms /
		    60000), (long long)(retry / 60000 + 1));
	} else
		snprintf(text, sizeof(text), "Too many new accounts from your "
		    "address (at most %u in %lld minutes). Try again in %lld "
		    "minute(s).", max, (long long)(cfg->register_window_ms /
		    60000), (long long)(retry / 60000 + 1));
	ops_fail(rq, MSG_CODE_RATE_LIMITED, text);
	return 1;
}

/* Counts one registration that is about to be hashed. */
static void
acct_register_count(struct request *rq)
{
	char	 key[RATELIMIT_KEY_MAX];
	int64_t	 now = clock_mono_ms();

	snprintf(key, sizeof(key), "r:%s", rq->addr);
	ratelimit_fail(ops_ratelimit(rq, OPS_RL_REG_ADDR), key, now);
	ratelimit_fail(ops_ratelimit(rq, OPS_RL_REG_ALL), "r:*", now);
}

static void	acct_register_store(struct request *, struct kdf_job *);

/*
 * REGISTER_CHECKED: the answer of the name check.  A request already
 * carried out (a retry over the link) gets its stored reply; a taken name
 * is answered without any hashing; else the password goes to the pool.
 */
static void
acct_register_checked(struct request *rq, struct db_job *dj)
{
	const char	*pw = msg_get_str(rq->body, "password");
	const char	*taken;
	struct kdf_job	 nk;
	int		 rc;

	if (!db_job_ok(dj) || PQntuples(dj->res) != 1) {
		ops_unavailable(rq);
		return;
	}
	if (db_job_value(dj, 0, 0) != NULL) {
		ops_finish_stored(rq, dj);
		return;
	}
	taken = db_job_value(dj, 0, 1);
	if (taken != NULL && strcmp(taken, "t") == 0) {
		ops_fail(rq, MSG_CODE_NAME_TAKEN, "That name is taken.");
		return;
	}
	if (acct_register_blocked(rq))
		return;
	if ((rc = acct_new_key(rq, "key", "salt", &nk)) == -1)
		return;
	acct_register_count(rq);
	if (rc == 1) {
		acct_register_store(rq, &nk);
		explicit_bzero(&nk, sizeof(nk));
		return;
	}
	ops_kdf(rq, kdf_job_new_hash(pw, strlen(pw), &ops_cfg(rq)->kdf_params,
	    NULL), REGISTER_HASHED);
}

/* REGISTER_START: the fields, then the name and a stored answer. */
static void
acct_register_start(struct request *rq)
{
	const char	*user = msg_get_str(rq->body, "username");
	struct db_job	*j;

	if (!acct_valid_username(user)) {
		ops_fail(rq, MSG_CODE_INVALID, "A name is 3 to 32 letters, "
		    "digits, dots, dashes or underscores.");
		return;
	}
	/* With a key, abc-web checked the password's length. */
	if (msg_get_str(rq->body, "key") == NULL &&
	    !acct_valid_password(msg_get_str(rq->body, "password"))) {
		ops_fail(rq, MSG_CODE_INVALID, "A password is 10 to 1024 "
		    "characters long.");
		return;
	}
	j = db_job_new("SELECT request_log_find($1, $2, $3, NULL, NULL, "
	    "'register')::text, EXISTS (SELECT 1 FROM users WHERE "
	    "lower(username) = lower($4))", 0, NULL, 0);
	db_job_param(j, rq->client);
	db_job_paramf(j, "%" PRId64, rq->epoch);
	db_job_paramf(j, "%" PRIu64, rq->req_no);
	db_job_param(j, user);
	ops_db(rq, j, REGISTER_CHECKED);
}

/* REGISTER_HASHED: the new account in one durable call. */
static void
acct_register_store(struct request *rq, struct kdf_job *kj)
{
	struct db_job	*j;

	if (!kj->ok) {
		ops_fail(rq, MSG_CODE_INTERNAL, "password hashing failed");
		return;
	}
	j = db_job_new("SELECT acct_register($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $10)", 1, NULL, 0);
	db_job_param(j, rq->client);
	db_job_paramf(j, "%" PRId64, rq->epoch);
	db_job_paramf(j, "%" PRIu64, rq->req_no);
	db_job_param(j, msg_get_str(rq->body, "username"));
	db_job_param_hex(j, kj->hash, KDF_HASH_LEN);
	db_job_param_hex(j, kj->salt, KDF_SALT_LEN);
	db_job_paramf(j, "%" PRIu64, kj->params.n);
	db_job_paramf(j, "%" PRIu32, kj->params.r);
	db_job_paramf(j, "%" PRIu32, kj->params.p);
	db_job_param(j, rq->addr);
	ops_db(rq, j, REGISTER_STORED);
}

/*
 * register: check the name (and whether this request was done already),
 * then hash the password, then one durable SQL call.  The name is checked
 * first so that a taken one costs no hashing; acct_register still decides
 * races between two new registrations of one name.
 */
static void
acct_register(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)cj;
	switch ((enum register_stage)rq->stage) {
	case REGISTER_START:
		acct_register_start(rq);
		break;
	case REGISTER_CHECKED:
		acct_register_checked(rq, dj);
		break;
	case REGISTER_HASHED:
		acct_register_store(rq, kj);
		break;
	case REGISTER_STORED:
		ops_finish_stored(rq, dj);
		break;
	}
}

/* The rate-limit keys of a login: "u:<name>" and "p:<name>|<address>". */
static void
acct_login_keys(const struct request *rq, const char *user, char *ukey,
    char *pkey)
{
	size_t	 i;

	snprintf(ukey, RATELIMIT_KEY_MAX, "u:%.40s", user != NULL ? user : "");
	for (i = 0; ukey[i] != '\0'; i++)
		ukey[i] = (char)tolower((unsigned char)ukey[i]);
	snprintf(pkey, RATELIMIT_KEY_MAX, "p:%s|%.36s", ukey + 2, rq->addr);
}

/*
 * Refuses a login attempt for a name that failed too often, from this
 * address or from all (a growing wait, ratelimit_backoff).  The address
 * alone never blocks: one guesser behind a shared address (Tor, a NAT, a
 * proxy) must not lock out the other users there.
 */
static int
acct_login_blocked(struct request *rq, const char *ukey, const char *pkey)
{
	char	 text[160];
	int64_t	 retry = 0, now = clock_mono_ms();

	if (!ratelimit_backoff(ops_ratelimit(rq, OPS_RL_PAIR), pkey, now,
	    &retry) &&
	    !ratelimit_backoff(ops_ratelimit(rq, OPS_RL_NAME), ukey, now,
	    &retry))
		return 0;
	if (retry < 120000)
		snprintf(text, sizeof(text), "Too many failed logins for this "
		    "name. Try again in %lld seconds.",
		    (long long)(retry / 1000 + 1));
	else
		snprintf(text, sizeof(text), "Too many failed logins for this "
		    "name. Try again in %lld minutes.",
		    (long long)(retry / 60000 + 1));
	ops_fail(rq, MSG_CODE_RATE_LIMITED, text);
	return 1;
}

/* Counts one failed login (or wrong re-entered password) for the keys. */
static void
acct_login_failed(struct request *rq, const char *ukey, const char *pkey)
{
	int64_t	 now = clock_mono_ms();

	ratelimit_fail(ops_ratelimit(rq, OPS_RL_PAIR), pkey, now);
	ratelimit_fail(ops_ratelimit(rq, OPS_RL_NAME), ukey, now);
}

/* A checked password: count a failure, or open a session. */
static void
acct_login_checked(struct request *rq, struct kdf_job *kj, const char *ukey,
    const char *pkey)
{
	struct db_job	*j;

	if (!kj->ok) {
		acct_login_failed(rq, ukey, pkey);
		ops_fail(rq, MSG_CODE_BAD_LOGIN, "Wrong username or password.");
		return;
	}
	/* This address knew the password; others guessing keep their count. */
	ratelimit_clear(ops_ratelimit(rq, OPS_RL_PAIR), pkey);
	if (rq->totp_on) {	/* no session before the code (req_totp.c) */
		req_totp_login_pending(rq, LOGIN_PENDING);
		return;
	}
	if (req_new_token(rq, "a session token") != 0)
		return;
	j = db_job_new("SELECT acct_login($1, $2, $3, $4)", 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	db_job_param_hex(j, rq->token_hash, 32);
	db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
	db_job_param(j, rq->addr);
	ops_db(rq, j, LOGIN_OPENED);
}

/* login: look the name up, check the password, open a session. */
static void
acct_login(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*user = msg_get_str(rq->body, "username");
	char		 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];
	struct db_job	*j;
	int		 known;

	(void)cj;
	acct_login_keys(rq, user, ukey, pkey);
	switch ((enum login_stage)rq->stage) {
	case LOGIN_START:
		if (user == NULL || strlen(user) > 64 ||
		    (msg_get_str(rq->body, "password") == NULL &&
		    msg_get_str(rq->body, "password_key") == NULL)) {
			ops_fail(rq, MSG_CODE_BAD_LOGIN, "Wrong username or "
			    "password.");
			return;
		}
		if (acct_login_blocked(rq, ukey, pkey))
			return;
		j = db_job_new("SELECT id, username, pw_hash, pw_salt, pw_n, "
		    "pw_r, pw_p, EXISTS (SELECT 1 FROM user_totp t WHERE "
		    "t.user_id = users.id AND t.enabled) FROM users WHERE "
		    "lower(username) = lower($1)", 0, NULL, 0);
		db_job_param(j, user);
		ops_db(rq, j, LOGIN_USER_READ);
		break;
	case LOGIN_USER_READ:
		if ((known = acct_read_user(rq, dj)) == 1)
			rq->totp_on = db_job_value(dj, 0, 7) != NULL &&
			    strcmp(db_job_value(dj, 0, 7), "t") == 0;
		if (known != -1)
			acct_verify(rq, "password", known, LOGIN_CHECKED);
		break;
	case LOGIN_CHECKED:
		acct_login_checked(rq, kj, ukey, pkey);
		break;
	case LOGIN_OPENED:
		if (!db_job_ok(dj))
			ops_unavailable(rq);
		else
			req_session_reply(rq);
		break;
	case LOGIN_PENDING:
		req_totp_login_pending_done(rq, dj);
		break;
	}
}

/* session: who holds this token (renewing it). */
static void
acct_session(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;

	(void)kj;
	(void)cj;
	if (rq->stage == SESSION_START) {
		if (acct_take_token(rq) == 0)
			acct_db_session(rq, "SELECT user_id, username FROM "
			    "acct_session($1, $2)");
		return;
	}
	if (req_row_or_fail(rq, dj, MSG_CODE_NO_SESSION,
	    "You are not logged in.") != 1)
		return;
	rep = msg_reply_new();
	json_object_object_add(rep, "user", json_object_new_int64(
	    strtoll(db_job_value(dj, 0, 0), NULL, 10)));
	json_object_object_add(rep, "username",
	    json_object_new_string(db_job_value(dj, 0, 1)));
	json_object_object_add(rep, "ttl_s",
	    json_object_new_int(ops_cfg(rq)->session_ttl_s));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* logout: this session ends on every abc-web. */
static void
acct_logout(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (rq->stage == LOGOUT_START) {
		if (acct_take_token(rq) != 0)
			return;
		j = db_job_new("DELETE FROM user_sessions WHERE "
		    "token_hash = $1", 0, NULL, 0);
		db_job_param_hex(j, rq->token_hash, 32);
		ops_db(rq, j, LOGOUT_DELETED);
		return;
	}
	if (!db_job_ok(dj)) {
		ops_unavailable(rq);
		return;
	}
	acct_revoked(rq, 0, rq->token_hash, NULL);
	acct_ok(rq);
}

/*
 * The first stages of the requests that act on the session's user:
 * REQ_START checks the token and reads the user with its password hash,
 * REQ_SESSION_READ takes the answer.  Returns 1 when rq
 * holds the user, 0 when a job was queued, -1 after answering.
 */
int
req_session_user(struct request *rq, struct db_job *dj)
{
	int	 rc;

	if (rq->stage == REQ_START) {
		if (acct_take_token(rq) != 0)
			return -1;	/* answered: rq is gone */
		acct_db_session(rq, sql_session_user);
		return 0;
	}
	if ((rc = acct_read_user(rq, dj)) == 0)
		ops_fail(rq, MSG_CODE_NO_SESSION, "You are not logged in.");
	return rc == 1 ? 1 : -1;
}


/* logout everywhere: every session of the user ends. */
static void
acct_logout_all(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;

	(void)kj;
	(void)cj;
	switch ((enum logout_all_stage)rq->stage) {
	case LOGOUT_ALL_START:
	case LOGOUT_ALL_SESSION:
		if (req_session_user(rq, dj) != 1)
			return;
		j = db_job_new("SELECT acct_logout_all($1, NULL, 'logout_all')",
		    0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		ops_db(rq, j, LOGOUT_ALL_DONE);
		break;
	case LOGOUT_ALL_DONE:
		if (!db_job_ok(dj)) {
			ops_unavailable(rq);
			return;
		}
		acct_revoked(rq, rq->user_id, NULL, NULL);
		acct_ok(rq);
		break;
	}
}

/* 1 (answered) when the user's re-entered passwords failed too often. */
static int
acct_check_blocked(struct request *rq)
{
	char	 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];

	acct_login_keys(rq, rq->username, ukey, pkey);
	return acct_login_blocked(rq, ukey, pkey);
}

/* A wrong current password: counted like a failed login. */
void
req_account_wrong_password(struct request *rq)
{
	char	 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];

	acct_login_keys(rq, rq->username, ukey, pkey);
	acct_login_failed(rq, ukey, pkey);
	ops_fail(rq, MSG_CODE_BAD_PASSWORD, "The password is wrong.");
}

/*
 * REQ_START and REQ_SESSION_READ of a request that re-enters the password
 * in field: who the session is, the login rate limit, then the password
 * check on the hashing pool, whose verdict continues at
 * REQ_PASSWORD_CHECKED.  Answers by itself on failure.
 */
void
req_account_recheck(struct request *rq, struct db_job *dj, const char *field)
{
	if (req_session_user(rq, dj) == 1 && !acct_check_blocked(rq))
		acct_verify(rq, field, 1, REQ_PASSWORD_CHECKED);
}

/* PASSWORD_NEW_HASHED: the new hash stored, other sessions ended. */
static void
acct_password_store(struct request *rq, struct kdf_job *kj)
{
	struct db_job	*j;

	j = db_job_new("SELECT acct_password($1, $2, $3, $4, $5, $6, $7)", 0,
	    NULL, 0);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	db_job_param_hex(j, kj->hash, KDF_HASH_LEN);
	db_job_param_hex(j, kj->salt, KDF_SALT_LEN);
	db_job_paramf(j, "%" PRIu64, kj->params.n);
	db_job_paramf(j, "%" PRIu32, kj->params.r);
	db_job_paramf(j, "%" PRIu32, kj->params.p);
	db_job_param_hex(j, rq->token_hash, 32);
	ops_db(rq, j, PASSWORD_STORED);
}

/* password: check the old one, hash the new one, end other sessions. */
static void
acct_password(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*pw = msg_get_str(rq->body, "new");
	struct kdf_job	 nk;
	int		 rc;

	(void)cj;
	switch ((enum password_stage)rq->stage) {
	case PASSWORD_START:
		if (msg_get_str(rq->body, "new_key") != NULL) {
			if (acct_new_key(rq, "new_key", "new_salt", &nk) == 1)
				req_account_recheck(rq, dj, "old");
			return;
		}
		if (!acct_valid_password(pw)) {
			ops_fail(rq, MSG_CODE_INVALID, "A password is 10 to "
			    "1024 characters long.");
			return;
		}
		/* FALLTHROUGH */
	case PASSWORD_SESSION:
		req_account_recheck(rq, dj, "old");
		break;
	case PASSWORD_OLD_CHECKED:
		if (!kj->ok)
			req_account_wrong_password(rq);
		else if ((rc = acct_new_key(rq, "new_key", "new_salt",
		    &nk)) == 1) {
			rq->stage = PASSWORD_NEW_HASHED;
			acct_password_store(rq, &nk);
			explicit_bzero(&nk, sizeof(nk));
		} else if (rc == 0)
			ops_kdf(rq, kdf_job_new_hash(pw, strlen(pw),
			    &ops_cfg(rq)->kdf_params, NULL),
			    PASSWORD_NEW_HASHED);
		break;
	case PASSWORD_NEW_HASHED:
		acct_password_store(rq, kj);
		break;
	case PASSWORD_STORED:
		if (!db_job_ok(dj)) {
			ops_unavailable(rq);
			return;
		}
		acct_revoked(rq, rq->user_id, NULL, rq->token_hash);
		acct_ok(rq);
		break;
	}
}

/* history purge: check the password, delete the events. */
static void
acct_purge(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;

	(void)cj;
	switch ((enum purge_stage)rq->stage) {
	case PURGE_START:
	case PURGE_SESSION:
		req_account_recheck(rq, dj, "password");
		break;
	case PURGE_CHECKED:
		if (!kj->ok) {
			req_account_wrong_password(rq);
			return;
		}
		j = db_job_new("SELECT acct_purge($1)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		ops_db(rq, j, PURGE_DONE);
		break;
	case PURGE_DONE:
		if (!db_job_ok(dj))
			ops_unavailable(rq);
		else
			acct_ok(rq);
		break;
	}
}

/*
 * What an account request asks for: one page of one list ("list" and a
 * cursor), or (no "list") the overview with the newest page of each.
 * Returns 0, or -1 when malformed.
 */
static int
acct_list_args(struct request *rq, int *one, enum listpage_list *l,
    struct listpage_cur *cur)
{
	const char	*name = msg_get_str(rq->body, "list");

	*one = name != NULL;
	if (listpage_cursor(rq->body, cur) != 0)
		return -1;
	if (!*one)
		return cur->id == 0 ? 0 : -1;
	return listpage_parse(name, l) == 0 && *l != LISTPAGE_ADS ? 0 : -1;
}

/* The statement of an account request for rq->user_id; NULL if malformed. */
static struct db_job *
acct_account_job(struct request *rq)
{
	struct listpage_cur	 cur;
	enum listpage_list	 l;
	struct db_job		*j;
	char			 cp[24];
	int			 one;

	if (acct_list_args(rq, &one, &l, &cur) != 0)
		return NULL;
	listpage_cursor_param(&cur, cp, sizeof(cp));
	j = db_job_new(one ? listpage_sql(l, cur.after) :
	    listpage_overview_sql(), 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	db_job_param(j, cp);
	return j;
}

/*
 * The reply of an account request from its statement's row: the overview
 * with its lists a page each, or {list, <list>, <list>_older/_newer}.
 * NULL when the database's answer is unreadable.
 */
static struct json_object *
acct_account_reply(struct request *rq, struct db_job *dj)
{
	static const enum listpage_list	 lists[] = { LISTPAGE_DEPOSITS,
					    LISTPAGE_WITHDRAWALS,
					    LISTPAGE_HISTORY };
	struct listpage_cur		 cur, newest = { 0, 0 };
	struct json_object		*rep;
	enum listpage_list		 l;
	const char			*text;
	char				 err[128];
	size_t				 i;
	int				 one;

	if (acct_list_args(rq, &one, &l, &cur) != 0)
		return NULL;
	if (one) {
		rep = json_object_new_object();
		json_object_object_add(rep, "list",
		    json_object_new_string(listpage_name(l)));
		if (listpage_fill(rep, listpage_name(l), db_job_value(dj, 0, 0),
		    &cur) == 0)
			return rep;
		json_object_put(rep);
		return NULL;
	}
	text = db_job_value(dj, 0, 0);
	if (text == NULL || (rep = msg_parse((const uint8_t *)text,
	    strlen(text), err, sizeof(err))) == NULL)
		return NULL;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (listpage_fill(rep, listpage_name(lists[i]),
		    db_job_value(dj, 0, (int)i + 1), &newest) != 0) {
			json_object_put(rep);
			return NULL;
		}
	return rep;
}

/*
 * account: who, balances, deposit address, and the newest page of
 * deposits, withdrawals and history; or one page of one of those lists.
 */
static void
acct_account(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;
	struct db_job		*j;

	(void)kj;
	(void)cj;
	if (rq->stage == ACCOUNT_START) {
		if (acct_take_token(rq) == 0)
			acct_db_session(rq, "SELECT user_id, username FROM "
			    "acct_session($1, $2)");
		return;
	}
	if (rq->stage == ACCOUNT_SESSION) {
		if (req_row_or_fail(rq, dj, MSG_CODE_NO_SESSION,
		    "You are not logged in.") != 1)
			return;
		rq->user_id = strtoll(db_job_value(dj, 0, 0), NULL, 10);
		snprintf(rq->username, sizeof(rq->username), "%s",
		    db_job_value(dj, 0, 1));
		if ((j = acct_account_job(rq)) == NULL) {
			ops_fail(rq, MSG_CODE_INVALID, "No such list or page.");
			return;
		}
		ops_db(rq, j, ACCOUNT_READ);
		return;
	}
	if ((rep = acct_account_reply(rq, dj)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	json_object_object_add(rep, "ok", json_object_new_boolean(1));
	json_object_object_add(rep, "user", json_object_new_int64(rq->user_id));
	json_object_object_add(rep, "username",
	    json_object_new_string(rq->username));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* new_address: a fresh deposit address from bitcoind, labelled. */
static void
acct_new_address(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;
	char			 text[200];

	(void)kj;
	if (rq->stage != NEW_ADDRESS_MADE) {
		if (req_session_user(rq, dj) != 1)
			return;
		cj = xcalloc(1, sizeof(*cj));
		cj->kind = BTCQ_NEW_ADDRESS;
		cj->user_id = rq->user_id;
		ops_chain(rq, cj, NEW_ADDRESS_MADE);
		return;
	}
	if (!cj->ok) {
		ops_fail(rq, MSG_CODE_UNAVAILABLE,
		    "bitcoind did not give an address; "
		    "try again in a moment.");
		return;
	}
	if (cj->over_quota) {
		snprintf(text, sizeof(text), "You have made %d deposit "
		    "addresses in the last 24 hours, the most allowed; use one "
		    "of them, or try again tomorrow.",
		    ops_cfg(rq)->addresses_per_day);
		ops_fail(rq, MSG_CODE_QUOTA, text);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "address",
	    json_object_new_string(cj->address));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/*
 * The kdf_params answer: the salt (hex) and scrypt parameters of the
 * name's credential, and those of a new one (new_n, new_r, new_p).
 */
static void
acct_kdf_params_reply(struct request *rq, const uint8_t *salt,
    const struct kdf_params *kp)
{
	struct json_object	*rep = msg_reply_new();
	char			 hex[2 * KDF_SALT_LEN + 1];

	hex_encode(salt, KDF_SALT_LEN, hex);
	json_object_object_add(rep, "salt", json_object_new_string(hex));
	json_object_object_add(rep, "n", json_object_new_int64((int64_t)kp->n));
	json_object_object_add(rep, "r", json_object_new_int64(kp->r));
	json_object_object_add(rep, "p", json_object_new_int64(kp->p));
	/* What a new credential (registration, new password) must use. */
	json_object_object_add(rep, "new_n",
	    json_object_new_int64((int64_t)ops_cfg(rq)->kdf_params.n));
	json_object_object_add(rep, "new_r",
	    json_object_new_int64(ops_cfg(rq)->kdf_params.r));
	json_object_object_add(rep, "new_p",
	    json_object_new_int64(ops_cfg(rq)->kdf_params.p));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/*
 * KDF_PARAMS_READ: a name with an account gets its stored salt and
 * parameters; one without gets a salt derived from the server secret and
 * the current parameters, stable like a real one, so the answer does not
 * tell whether the name exists (both take the same database read).  For a
 * registration a taken name is answered at once, before any hashing.
 */
static void
acct_kdf_params_read(struct request *rq, struct db_job *dj, int reg)
{
	const struct ops_cfg	*cfg = ops_cfg(rq);
	const char		*user = msg_get_str(rq->body, "username");
	uint8_t			 salt[KDF_SALT_LEN];
	int			 known;

	if ((known = acct_read_salt(rq, dj)) == -1)
		return;
	if (known && reg) {
		ops_fail(rq, MSG_CODE_NAME_TAKEN, "That name is taken.");
		return;
	}
	if (known) {
		acct_kdf_params_reply(rq, rq->salt, &rq->params);
		return;
	}
	if (kdf_fake_salt(cfg->salt_secret, sizeof(cfg->salt_secret), user,
	    salt) != 0) {
		ops_fail(rq, MSG_CODE_INTERNAL, "no salt for that name");
		return;
	}
	acct_kdf_params_reply(rq, salt, &cfg->kdf_params);
}

/*
 * kdf_params: what abc-web needs to derive a password's key itself for
 * "username" ("for": "login", the default, also for a re-entered password;
 * or "register").  The rate limits answer first, so a blocked name costs
 * the front-end no hashing either.
 */
static void
acct_kdf_params(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*user = msg_get_str(rq->body, "username");
	const char	*purpose = msg_get_str(rq->body, "for");
	char		 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];
	int		 reg = purpose != NULL && strcmp(purpose, "register") == 0;
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (rq->stage == KDF_PARAMS_READ) {
		acct_kdf_params_read(rq, dj, reg);
		return;
	}
	if (!reg && (user == NULL || strlen(user) > 64)) {
		ops_fail(rq, MSG_CODE_BAD_LOGIN, "Wrong username or "
		    "password.");
		return;
	}
	if (reg && !acct_valid_username(user)) {
		ops_fail(rq, MSG_CODE_INVALID, "A name is 3 to 32 letters, "
		    "digits, dots, dashes or underscores.");
		return;
	}
	acct_login_keys(rq, user, ukey, pkey);
	if (reg ? acct_register_blocked(rq) :
	    acct_login_blocked(rq, ukey, pkey))
		return;
	j = db_job_new("SELECT pw_salt, pw_n, pw_r, pw_p FROM users "
	    "WHERE lower(username) = lower($1)", 0, NULL, 0);
	db_job_param(j, user);
	ops_db(rq, j, KDF_PARAMS_READ);
}

const struct req_row req_account_rows[] = {
	{ MSG_OP_REGISTER, "register", REQ_DURABLE | REQ_CHANGES_ACCOUNT,
	    acct_register },
	{ MSG_OP_LOGIN, "login", REQ_CHANGES_ACCOUNT, acct_login },
	{ MSG_OP_SESSION, "session", REQ_NEEDS_SESSION, acct_session },
	{ MSG_OP_LOGOUT, "logout", REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION,
	    acct_logout },
	{ MSG_OP_LOGOUT_ALL, "logout_all", REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, acct_logout_all },
	{ MSG_OP_PASSWORD, "password", REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION,
	    acct_password },
	{ MSG_OP_ACCOUNT, "account", REQ_NEEDS_SESSION, acct_account },
	{ MSG_OP_PURGE, "history_purge", REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, acct_purge },
	{ MSG_OP_NEW_ADDRESS, "new_address", REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, acct_new_address },
	{ MSG_OP_KDF_PARAMS, "kdf_params", 0, acct_kdf_params },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
