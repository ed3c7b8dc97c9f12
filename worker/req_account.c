/*
 * Accounts and sessions (SPEC 4.1, 4.6): register, login, session lookup,
 * logout, logout everywhere, password change, the account page's data and
 * purging the history.  Passwords are hashed and checked on the hashing
 * pool; sessions are random 256-bit tokens of which the database keeps
 * only a SHA-256.  Failed logins are counted per username and per
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
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "btcq.h"
#include "clock.h"
#include "db.h"
#include "kdf.h"
#include "listpage.h"
#include "msg.h"
#include "ops.h"
#include "ratelimit.h"
#include "xmalloc.h"

#define PASSWORD_MIN	10

/* The session of token $1 (renewed), joined to its user's hash. */
static const char sql_session_user[] =
    "SELECT u.id, u.username, u.pw_hash, u.pw_salt, u.pw_n, u.pw_r, u.pw_p "
    "FROM acct_session($1, $2) s JOIN users u ON u.id = s.user_id";

int
req_account_owns(enum msg_op op)
{
	return op >= MSG_OP_REGISTER && op <= MSG_OP_NEW_ADDRESS;
}

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

/* The value of hex digit ch (already checked with isxdigit). */
static int
acct_hexval(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0' :
	    tolower((unsigned char)ch) - 'a' + 10;
}

/* Decodes 2*len hex digits (after an optional "\x") into out. */
static int
acct_unhex(const char *s, uint8_t *out, size_t len)
{
	size_t	 i;
	int	 hi, lo;

	if (s == NULL)
		return -1;
	if (s[0] == '\\' && s[1] == 'x')
		s += 2;
	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < 2 * len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	for (i = 0; i < len; i++) {
		hi = acct_hexval(s[2 * i]);
		lo = acct_hexval(s[2 * i + 1]);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Writes len bytes as lowercase hex into out (2*len + 1 bytes). */
static void
acct_hex(const uint8_t *p, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* SHA-256 of a session token: what the database stores. */
static void
acct_token_hash(const uint8_t token[32], uint8_t out[32])
{
	unsigned int	 n = 32;

	(void)EVP_Digest(token, 32, out, &n, EVP_sha256(), NULL);
}

/*
 * Reads the request's "token" (64 hex digits) into c->token_hash.
 * Returns 0, or -1 after answering "no_session".
 */
static int
acct_take_token(struct call *c)
{
	uint8_t	 token[32];

	if (acct_unhex(msg_get_str(c->req, "token"), token, 32) != 0) {
		ops_fail(c, "no_session", "You are not logged in.");
		return -1;
	}
	acct_token_hash(token, c->token_hash);
	explicit_bzero(token, sizeof(token));
	return 0;
}

/*
 * For requests whose SQL checks the session itself: the request's token
 * hash into c->token_hash.  Returns 0, or -1 after answering "no_session".
 */
int
req_session_token(struct call *c)
{
	return acct_take_token(c);
}

/* Queues a query whose $1 is the token hash and $2 the session TTL. */
static void
acct_db_session(struct call *c, const char *sql)
{
	struct db_job	*j;

	j = db_job_new(sql, 0, NULL, 0);
	db_job_param_hex(j, c->token_hash, 32);
	db_job_paramf(j, "%d", ops_cfg(c)->session_ttl_s);
	ops_db(c, j);
}

/*
 * Reads a users row (id, username, hash, salt, n, r, p) into c.  Returns
 * 1 when there was one, 0 when none, -1 after answering an error.
 */
static int
acct_read_user(struct call *c, struct db_job *dj)
{
	switch (db_job_lookup(dj)) {
	case LOOKUP_UNKNOWN:
		ops_unavailable(c);
		return -1;
	case LOOKUP_ABSENT:
		return 0;
	case LOOKUP_FOUND:
		break;
	}
	c->user_id = strtoll(db_job_value(dj, 0, 0), NULL, 10);
	snprintf(c->username, sizeof(c->username), "%s",
	    db_job_value(dj, 0, 1));
	c->params.n = strtoull(db_job_value(dj, 0, 4), NULL, 10);
	c->params.r = (uint32_t)strtoul(db_job_value(dj, 0, 5), NULL, 10);
	c->params.p = (uint32_t)strtoul(db_job_value(dj, 0, 6), NULL, 10);
	if (acct_unhex(db_job_value(dj, 0, 2), c->hash, KDF_HASH_LEN) != 0 ||
	    acct_unhex(db_job_value(dj, 0, 3), c->salt, KDF_SALT_LEN) != 0 ||
	    !kdf_params_valid(&c->params)) {
		ops_fail(c, "internal", "stored password hash is unreadable");
		return -1;
	}
	return 1;
}

/* Verifies field against the hash in c (or a dummy when none). */
static void
acct_verify(struct call *c, const char *field, int known)
{
	const char	*pw = msg_get_str(c->req, field);

	if (pw == NULL)
		pw = "";
	if (known)
		ops_kdf(c, kdf_job_new_verify(pw, strlen(pw), &c->params,
		    c->salt, c->hash, NULL));
	else
		ops_kdf(c, kdf_job_new_dummy(pw, strlen(pw), NULL));
}

/* Finishes with {"ok":true}. */
static void
acct_ok(struct call *c)
{
	struct json_object	*rep = msg_reply_new();

	ops_finish(c, rep);
	json_object_put(rep);
}

/* Broadcasts that sessions ended: one token, or all of a user's. */
static void
acct_revoked(struct call *c, int64_t user, const uint8_t *token_hash,
    const uint8_t *keep)
{
	struct json_object	*n;
	char			 hex[65];

	n = json_object_new_object();
	json_object_object_add(n, "kind",
	    json_object_new_string("session_revoked"));
	if (user != 0)
		json_object_object_add(n, "user", json_object_new_int64(user));
	if (token_hash != NULL) {
		acct_hex(token_hash, 32, hex);
		json_object_object_add(n, "token", json_object_new_string(hex));
	}
	if (keep != NULL) {
		acct_hex(keep, 32, hex);
		json_object_object_add(n, "keep", json_object_new_string(hex));
	}
	ops_notice(c, n);
	json_object_put(n);
}

/*
 * A registration may hash only within the per-address and overall limits
 * (issue 10: accounts are irreversible and hashing is the site's scarcest
 * resource).  Returns 1 after answering "rate_limited", else 0.
 */
static int
acct_register_blocked(struct call *c)
{
	const struct ops_cfg	*cfg = ops_cfg(c);
	char			 key[RATELIMIT_KEY_MAX], text[200];
	int64_t			 retry = 0, now = clock_mono_ms();
	unsigned		 max;

	snprintf(key, sizeof(key), "r:%s", c->addr);
	max = cfg->register_max_per_addr;
	if (!ratelimit_blocked(ops_ratelimit(c, OPS_RL_REG_ADDR), key, now,
	    &retry)) {
		max = cfg->register_max;
		if (!ratelimit_blocked(ops_ratelimit(c, OPS_RL_REG_ALL), "r:*",
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
	ops_fail(c, "rate_limited", text);
	return 1;
}

/* Counts one registration that is about to be hashed. */
static void
acct_register_count(struct call *c)
{
	char	 key[RATELIMIT_KEY_MAX];
	int64_t	 now = clock_mono_ms();

	snprintf(key, sizeof(key), "r:%s", c->addr);
	ratelimit_fail(ops_ratelimit(c, OPS_RL_REG_ADDR), key, now);
	ratelimit_fail(ops_ratelimit(c, OPS_RL_REG_ALL), "r:*", now);
}

/*
 * Stage 1 of register: the answer of the name check.  A request already
 * carried out (a retry over the link) gets its stored reply; a taken name
 * is answered without any hashing; else the password goes to the pool.
 */
static void
acct_register_checked(struct call *c, struct db_job *dj)
{
	const char	*pw = msg_get_str(c->req, "password");
	const char	*taken;

	if (!db_job_ok(dj) || PQntuples(dj->res) != 1) {
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
		return;
	}
	if (db_job_value(dj, 0, 0) != NULL) {
		ops_finish_stored(c, dj);
		return;
	}
	taken = db_job_value(dj, 0, 1);
	if (taken != NULL && strcmp(taken, "t") == 0) {
		ops_fail(c, "name_taken", "That name is taken.");
		return;
	}
	if (acct_register_blocked(c))
		return;
	acct_register_count(c);
	ops_kdf(c, kdf_job_new_hash(pw, strlen(pw), &ops_cfg(c)->kdf_params,
	    NULL));
}

/*
 * register: check the name (and whether this request was done already),
 * then hash the password, then one durable SQL call.  The name is checked
 * first so that a taken one costs no hashing; acct_register still decides
 * races between two new registrations of one name.
 */
static void
acct_register(struct call *c, struct db_job *dj, struct kdf_job *kj)
{
	const char	*user = msg_get_str(c->req, "username");
	const char	*pw = msg_get_str(c->req, "password");
	struct db_job	*j;

	if (c->stage == 0) {
		if (!acct_valid_username(user)) {
			ops_fail(c, "invalid", "A name is 3 to 32 letters, "
			    "digits, dots, dashes or underscores.");
			return;
		}
		if (!acct_valid_password(pw)) {
			ops_fail(c, "invalid", "A password is 10 to 1024 "
			    "characters long.");
			return;
		}
		j = db_job_new("SELECT request_log_find($1, $2, $3, NULL, NULL, "
		    "'register')::text, EXISTS (SELECT 1 FROM users WHERE "
		    "lower(username) = lower($4))", 0, NULL, 0);
		db_job_param(j, c->client);
		db_job_paramf(j, "%" PRId64, c->epoch);
		db_job_paramf(j, "%" PRIu64, c->req_no);
		db_job_param(j, user);
		ops_db(c, j);
	} else if (c->stage == 1) {
		acct_register_checked(c, dj);
	} else if (c->stage == 2) {
		if (!kj->ok) {
			ops_fail(c, "internal", "password hashing failed");
			return;
		}
		j = db_job_new("SELECT acct_register($1, $2, $3, $4, $5, $6, "
		    "$7, $8, $9, $10)", 1, NULL, 0);
		db_job_param(j, c->client);
		db_job_paramf(j, "%" PRId64, c->epoch);
		db_job_paramf(j, "%" PRIu64, c->req_no);
		db_job_param(j, user);
		db_job_param_hex(j, kj->hash, KDF_HASH_LEN);
		db_job_param_hex(j, kj->salt, KDF_SALT_LEN);
		db_job_paramf(j, "%" PRIu64, kj->params.n);
		db_job_paramf(j, "%" PRIu32, kj->params.r);
		db_job_paramf(j, "%" PRIu32, kj->params.p);
		db_job_param(j, c->addr);
		ops_db(c, j);
	} else
		ops_finish_stored(c, dj);
}

/* The rate-limit keys of a login: "u:<name>" and "p:<name>|<address>". */
static void
acct_login_keys(const struct call *c, const char *user, char *ukey,
    char *pkey)
{
	size_t	 i;

	snprintf(ukey, RATELIMIT_KEY_MAX, "u:%.40s", user != NULL ? user : "");
	for (i = 0; ukey[i] != '\0'; i++)
		ukey[i] = (char)tolower((unsigned char)ukey[i]);
	snprintf(pkey, RATELIMIT_KEY_MAX, "p:%s|%.36s", ukey + 2, c->addr);
}

/*
 * Refuses a login attempt for a name that failed too often, from this
 * address or from all (a growing wait, ratelimit_backoff).  The address
 * alone never blocks: one guesser behind a shared address (Tor, a NAT, a
 * proxy) must not lock out the other users there.
 */
static int
acct_login_blocked(struct call *c, const char *ukey, const char *pkey)
{
	char	 text[160];
	int64_t	 retry = 0, now = clock_mono_ms();

	if (!ratelimit_backoff(ops_ratelimit(c, OPS_RL_PAIR), pkey, now,
	    &retry) &&
	    !ratelimit_backoff(ops_ratelimit(c, OPS_RL_NAME), ukey, now, &retry))
		return 0;
	if (retry < 120000)
		snprintf(text, sizeof(text), "Too many failed logins for this "
		    "name. Try again in %lld seconds.",
		    (long long)(retry / 1000 + 1));
	else
		snprintf(text, sizeof(text), "Too many failed logins for this "
		    "name. Try again in %lld minutes.",
		    (long long)(retry / 60000 + 1));
	ops_fail(c, "rate_limited", text);
	return 1;
}

/* Counts one failed login (or wrong re-entered password) for the keys. */
static void
acct_login_failed(struct call *c, const char *ukey, const char *pkey)
{
	int64_t	 now = clock_mono_ms();

	ratelimit_fail(ops_ratelimit(c, OPS_RL_PAIR), pkey, now);
	ratelimit_fail(ops_ratelimit(c, OPS_RL_NAME), ukey, now);
}

/* The answer to a successful login: the new session's token. */
static void
acct_login_done(struct call *c)
{
	struct json_object	*rep;
	char			 hex[65];

	acct_hex(c->token, 32, hex);
	rep = msg_reply_new();
	json_object_object_add(rep, "token", json_object_new_string(hex));
	json_object_object_add(rep, "user", json_object_new_int64(c->user_id));
	json_object_object_add(rep, "username",
	    json_object_new_string(c->username));
	json_object_object_add(rep, "ttl_s",
	    json_object_new_int(ops_cfg(c)->session_ttl_s));
	explicit_bzero(hex, sizeof(hex));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* A checked password: count a failure, or open a session. */
static void
acct_login_checked(struct call *c, struct kdf_job *kj, const char *ukey,
    const char *pkey)
{
	struct db_job	*j;

	if (!kj->ok) {
		acct_login_failed(c, ukey, pkey);
		ops_fail(c, "bad_login", "Wrong username or password.");
		return;
	}
	/* This address knew the password; others guessing keep their count. */
	ratelimit_clear(ops_ratelimit(c, OPS_RL_PAIR), pkey);
	if (RAND_bytes(c->token, sizeof(c->token)) != 1) {
		ops_fail(c, "internal", "no randomness for a session token");
		return;
	}
	acct_token_hash(c->token, c->token_hash);
	j = db_job_new("SELECT acct_login($1, $2, $3, $4)", 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, c->user_id);
	db_job_param_hex(j, c->token_hash, 32);
	db_job_paramf(j, "%d", ops_cfg(c)->session_ttl_s);
	db_job_param(j, c->addr);
	ops_db(c, j);
}

/* login: look the name up, check the password, open a session. */
static void
acct_login(struct call *c, struct db_job *dj, struct kdf_job *kj)
{
	const char	*user = msg_get_str(c->req, "username");
	char		 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];
	struct db_job	*j;
	int		 known;

	acct_login_keys(c, user, ukey, pkey);
	if (c->stage == 0) {
		if (user == NULL || msg_get_str(c->req, "password") == NULL ||
		    strlen(user) > 64) {
			ops_fail(c, "bad_login", "Wrong username or password.");
			return;
		}
		if (acct_login_blocked(c, ukey, pkey))
			return;
		j = db_job_new("SELECT id, username, pw_hash, pw_salt, pw_n, "
		    "pw_r, pw_p FROM users WHERE lower(username) = lower($1)",
		    0, NULL, 0);
		db_job_param(j, user);
		ops_db(c, j);
	} else if (c->stage == 1) {
		if ((known = acct_read_user(c, dj)) != -1)
			acct_verify(c, "password", known);
	} else if (c->stage == 2)
		acct_login_checked(c, kj, ukey, pkey);
	else if (!db_job_ok(dj))
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
	else
		acct_login_done(c);
}

/* session: who holds this token (renewing it). */
static void
acct_session(struct call *c, struct db_job *dj)
{
	struct json_object	*rep;

	if (c->stage == 0) {
		if (acct_take_token(c) == 0)
			acct_db_session(c, "SELECT user_id, username FROM "
			    "acct_session($1, $2)");
		return;
	}
	switch (db_job_lookup(dj)) {
	case LOOKUP_UNKNOWN:
		ops_unavailable(c);
		return;
	case LOOKUP_ABSENT:
		ops_fail(c, MSG_CODE_NO_SESSION, "You are not logged in.");
		return;
	case LOOKUP_FOUND:
		break;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "user", json_object_new_int64(
	    strtoll(db_job_value(dj, 0, 0), NULL, 10)));
	json_object_object_add(rep, "username",
	    json_object_new_string(db_job_value(dj, 0, 1)));
	json_object_object_add(rep, "ttl_s",
	    json_object_new_int(ops_cfg(c)->session_ttl_s));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* logout: this session ends on every abc-web. */
static void
acct_logout(struct call *c, struct db_job *dj)
{
	struct db_job	*j;

	if (c->stage == 0) {
		if (acct_take_token(c) != 0)
			return;
		j = db_job_new("DELETE FROM user_sessions WHERE token_hash = $1",
		    0, NULL, 0);
		db_job_param_hex(j, c->token_hash, 32);
		ops_db(c, j);
		return;
	}
	if (!db_job_ok(dj)) {
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
		return;
	}
	acct_revoked(c, 0, c->token_hash, NULL);
	acct_ok(c);
}

/*
 * First stage of the calls that act on the session's user: checks the
 * token and reads the user with its password hash.  Returns 1 when c
 * holds the user, 0 when a job was queued, -1 after answering.
 */
int
req_session_user(struct call *c, struct db_job *dj)
{
	int	 rc;

	if (c->stage == 0) {
		if (acct_take_token(c) != 0)
			return -1;	/* answered: c is gone */
		acct_db_session(c, sql_session_user);
		return 0;
	}
	if ((rc = acct_read_user(c, dj)) == 0)
		ops_fail(c, MSG_CODE_NO_SESSION, "You are not logged in.");
	return rc == 1 ? 1 : -1;
}


/* logout everywhere: every session of the user ends. */
static void
acct_logout_all(struct call *c, struct db_job *dj)
{
	struct db_job	*j;

	if (c->stage <= 1) {
		if (req_session_user(c, dj) != 1)
			return;
		j = db_job_new("SELECT acct_logout_all($1, NULL, 'logout_all')",
		    0, NULL, 0);
		db_job_paramf(j, "%" PRId64, c->user_id);
		ops_db(c, j);
	} else if (!db_job_ok(dj))
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
	else {
		acct_revoked(c, c->user_id, NULL, NULL);
		acct_ok(c);
	}
}

/* 1 (answered) when the user's re-entered passwords failed too often. */
static int
acct_check_blocked(struct call *c)
{
	char	 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];

	acct_login_keys(c, c->username, ukey, pkey);
	return acct_login_blocked(c, ukey, pkey);
}

/* A wrong current password: counted like a failed login. */
void
req_account_wrong_password(struct call *c)
{
	char	 ukey[RATELIMIT_KEY_MAX], pkey[RATELIMIT_KEY_MAX];

	acct_login_keys(c, c->username, ukey, pkey);
	acct_login_failed(c, ukey, pkey);
	ops_fail(c, "bad_password", "The password is wrong.");
}

/*
 * Stages 0 and 1 of a request that re-enters the password in field:
 * who the session is, the login rate limit, then the password check on
 * the hashing pool (stage 2 sees its job).  Answers by itself on failure.
 */
void
req_account_recheck(struct call *c, struct db_job *dj, const char *field)
{
	if (req_session_user(c, dj) == 1 && !acct_check_blocked(c))
		acct_verify(c, field, 1);
}

/* password: check the old one, hash the new one, end other sessions. */
static void
acct_password(struct call *c, struct db_job *dj, struct kdf_job *kj)
{
	const char	*pw = msg_get_str(c->req, "new");
	struct db_job	*j;

	if (c->stage == 0 && !acct_valid_password(pw)) {
		ops_fail(c, "invalid", "A password is 10 to 1024 characters "
		    "long.");
	} else if (c->stage <= 1) {
		req_account_recheck(c, dj, "old");
	} else if (c->stage == 2) {
		if (!kj->ok)
			req_account_wrong_password(c);
		else
			ops_kdf(c, kdf_job_new_hash(pw, strlen(pw),
			    &ops_cfg(c)->kdf_params, NULL));
	} else if (c->stage == 3) {
		j = db_job_new("SELECT acct_password($1, $2, $3, $4, $5, $6, "
		    "$7)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, c->user_id);
		db_job_param_hex(j, kj->hash, KDF_HASH_LEN);
		db_job_param_hex(j, kj->salt, KDF_SALT_LEN);
		db_job_paramf(j, "%" PRIu64, kj->params.n);
		db_job_paramf(j, "%" PRIu32, kj->params.r);
		db_job_paramf(j, "%" PRIu32, kj->params.p);
		db_job_param_hex(j, c->token_hash, 32);
		ops_db(c, j);
	} else if (!db_job_ok(dj))
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
	else {
		acct_revoked(c, c->user_id, NULL, c->token_hash);
		acct_ok(c);
	}
}

/* history purge: check the password, delete the events. */
static void
acct_purge(struct call *c, struct db_job *dj, struct kdf_job *kj)
{
	struct db_job	*j;

	if (c->stage <= 1) {
		req_account_recheck(c, dj, "password");
	} else if (c->stage == 2) {
		if (!kj->ok) {
			req_account_wrong_password(c);
			return;
		}
		j = db_job_new("SELECT acct_purge($1)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, c->user_id);
		ops_db(c, j);
	} else if (!db_job_ok(dj))
		ops_fail(c, "unavailable", "The database is unavailable; try "
		    "again.");
	else
		acct_ok(c);
}

/*
 * What an account request asks for: one page of one list ("list" and a
 * cursor), or (no "list") the overview with the newest page of each.
 * Returns 0, or -1 when malformed.
 */
static int
acct_list_args(struct call *c, int *one, enum listpage_list *l,
    struct listpage_cur *cur)
{
	const char	*name = msg_get_str(c->req, "list");

	*one = name != NULL;
	if (listpage_cursor(c->req, cur) != 0)
		return -1;
	if (!*one)
		return cur->id == 0 ? 0 : -1;
	return listpage_parse(name, l) == 0 && *l != LISTPAGE_ADS ? 0 : -1;
}

/* The statement of an account request for c->user_id; NULL if malformed. */
static struct db_job *
acct_account_job(struct call *c)
{
	struct listpage_cur	 cur;
	enum listpage_list	 l;
	struct db_job		*j;
	char			 cp[24];
	int			 one;

	if (acct_list_args(c, &one, &l, &cur) != 0)
		return NULL;
	listpage_cursor_param(&cur, cp, sizeof(cp));
	j = db_job_new(one ? listpage_sql(l, cur.after) :
	    listpage_overview_sql(), 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, c->user_id);
	db_job_param(j, cp);
	return j;
}

/*
 * The reply of an account request from its statement's row: the overview
 * with its lists a page each, or {list, <list>, <list>_older/_newer}.
 * NULL when the database's answer is unreadable.
 */
static struct json_object *
acct_account_reply(struct call *c, struct db_job *dj)
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

	if (acct_list_args(c, &one, &l, &cur) != 0)
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
acct_account(struct call *c, struct db_job *dj)
{
	struct json_object	*rep;
	struct db_job		*j;

	if (c->stage == 0) {
		if (acct_take_token(c) == 0)
			acct_db_session(c, "SELECT user_id, username FROM "
			    "acct_session($1, $2)");
		return;
	}
	if (c->stage == 1) {
		switch (db_job_lookup(dj)) {
		case LOOKUP_UNKNOWN:
			ops_unavailable(c);
			return;
		case LOOKUP_ABSENT:
			ops_fail(c, MSG_CODE_NO_SESSION, "You are not logged "
			    "in.");
			return;
		case LOOKUP_FOUND:
			break;
		}
		c->user_id = strtoll(db_job_value(dj, 0, 0), NULL, 10);
		snprintf(c->username, sizeof(c->username), "%s",
		    db_job_value(dj, 0, 1));
		if ((j = acct_account_job(c)) == NULL) {
			ops_fail(c, "invalid", "No such list or page.");
			return;
		}
		ops_db(c, j);
		return;
	}
	if ((rep = acct_account_reply(c, dj)) == NULL) {
		ops_unavailable(c);
		return;
	}
	json_object_object_add(rep, "ok", json_object_new_boolean(1));
	json_object_object_add(rep, "user", json_object_new_int64(c->user_id));
	json_object_object_add(rep, "username",
	    json_object_new_string(c->username));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* new_address: a fresh deposit address from bitcoind, labelled. */
static void
acct_new_address(struct call *c, struct db_job *dj, struct btcq_job *cj)
{
	struct json_object	*rep;
	char			 text[200];

	if (c->stage <= 1) {
		if (req_session_user(c, dj) != 1)
			return;
		cj = xcalloc(1, sizeof(*cj));
		cj->kind = BTCQ_NEW_ADDRESS;
		cj->user_id = c->user_id;
		ops_chain(c, cj);
		return;
	}
	if (!cj->ok) {
		ops_fail(c, "unavailable", "bitcoind did not give an address; "
		    "try again in a moment.");
		return;
	}
	if (cj->over_quota) {
		snprintf(text, sizeof(text), "You have made %d deposit "
		    "addresses in the last 24 hours, the most allowed; use one "
		    "of them, or try again tomorrow.",
		    ops_cfg(c)->addresses_per_day);
		ops_fail(c, "quota", text);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "address",
	    json_object_new_string(cj->address));
	ops_finish(c, rep);
	json_object_put(rep);
}

/* Runs the next stage of an account request (dj, kj NULL: the start). */
void
req_account_step(struct call *c, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*addr;

	if (c->stage == 0 && (addr = msg_get_str(c->req, "addr")) != NULL)
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
	switch (c->op) {
	case MSG_OP_REGISTER:
		acct_register(c, dj, kj);
		break;
	case MSG_OP_LOGIN:
		acct_login(c, dj, kj);
		break;
	case MSG_OP_SESSION:
		acct_session(c, dj);
		break;
	case MSG_OP_LOGOUT:
		acct_logout(c, dj);
		break;
	case MSG_OP_LOGOUT_ALL:
		acct_logout_all(c, dj);
		break;
	case MSG_OP_PASSWORD:
		acct_password(c, dj, kj);
		break;
	case MSG_OP_ACCOUNT:
		acct_account(c, dj);
		break;
	case MSG_OP_PURGE:
		acct_purge(c, dj, kj);
		break;
	case MSG_OP_NEW_ADDRESS:
		acct_new_address(c, dj, cj);
		break;
	default:
		ops_fail(c, "bad_request", "unknown operation");
		break;
	}
}
