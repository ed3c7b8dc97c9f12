/*
 * Two-factor login and payout safety (issue 15; SPEC 4.1, 4.5): TOTP
 * (RFC 6238, common/totp.c) enrolment, the second step of a login, the
 * check that withdrawals, payout address changes and API-key creation ask
 * for, and the saved payout address whose change freezes withdrawals.
 *
 * The secret: 20 random bytes made here, stored in the worker's database
 * (user_totp), sent out once, at enrolment (totp_begin), and never again:
 * abc-web never sees it after, and codes are judged here.  It is not
 * encrypted at rest: whoever reads the database reads it (see README).
 * Codes are judged in C on the secret read in the same request; which
 * step a code was is then given to SQL totp_consume in the request's
 * durable call, which accepts each step once per user (last_step).  Wrong
 * codes are counted per user (OPS_RL_TOTP) whatever the request.
 * Recovery codes: 10 of 10 base32 letters, shown once, stored as SHA-256.
 *
 * Ownership: like every request module, stages borrow their job; the
 * secret lives on the stack of the stage that judges and is wiped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "btcq.h"
#include "clock.h"
#include "db.h"
#include "hex.h"
#include "msg.h"
#include "ops_req.h"
#include "ratelimit.h"
#include "req_common.h"
#include "totp.h"
#include "xmalloc.h"

#define PENDING_TTL_S	300	/* a half-done login lives 5 minutes */
#define ADDRESS_MIN	14
#define ADDRESS_MAX	100

static const char sql_totp_row[] =
    "SELECT enabled, secret, last_step FROM user_totp WHERE user_id = $1";

/* Stages of each request (the shared ones first, ops_req.h). */
enum begin_stage {
	BEGIN_START = REQ_START,
	BEGIN_SESSION = REQ_SESSION_READ,
	BEGIN_STORED = REQ_OWN_STAGES	/* totp_begin answered */
};
enum enable_stage {
	ENABLE_START = REQ_START,
	ENABLE_SESSION = REQ_SESSION_READ,
	ENABLE_READ = REQ_OWN_STAGES,	/* the pending secret read */
	ENABLE_STORED			/* totp_enable answered */
};
enum disable_stage {
	DISABLE_START = REQ_START,
	DISABLE_SESSION = REQ_SESSION_READ,
	DISABLE_READ = REQ_OWN_STAGES,	/* the 2FA row read */
	DISABLE_STORED			/* totp_disable answered */
};
enum login2_stage {
	LOGIN2_START = REQ_START,
	LOGIN2_READ,			/* the pending login read */
	LOGIN2_DONE			/* totp_login answered */
};
enum payout_stage {
	PAYOUT_START = REQ_START,
	PAYOUT_SESSION = REQ_SESSION_READ,
	PAYOUT_PASSWORD = REQ_PASSWORD_CHECKED,
	PAYOUT_TOTP,			/* the 2FA row read */
	PAYOUT_ADDRESS,			/* validateaddress answered */
	PAYOUT_STORED			/* payout_set answered */
};
enum security_stage {
	SECURITY_START = REQ_START,
	SECURITY_SESSION = REQ_SESSION_READ,
	SECURITY_READ = REQ_OWN_STAGES
};

/*
 * The time codes are judged at: the real clock, or in a test stack the
 * Unix seconds in totp_clock_file when it can be read.
 */
static int64_t
totp_now(const struct request *rq)
{
	const char	*path = ops_cfg(rq)->totp_clock_file;
	char		 line[32];
	FILE		*f;
	long long	 t;
	char		*end;

	if (path[0] != '\0' && (f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL) {
			t = strtoll(line, &end, 10);
			if (end != line && t > 0) {
				fclose(f);
				return t;
			}
		}
		fclose(f);
	}
	return clock_real_ms() / 1000;
}

/* The rate-limit key of a user's 2FA codes. */
static void
totp_rl_key(const struct request *rq, char key[RATELIMIT_KEY_MAX])
{
	snprintf(key, RATELIMIT_KEY_MAX, "t:%" PRId64, rq->user_id);
}

/* 1 after answering "rate_limited" when this user guessed too often. */
static int
totp_blocked(struct request *rq)
{
	char	 key[RATELIMIT_KEY_MAX], text[128];
	int64_t	 retry = 0;

	totp_rl_key(rq, key);
	if (!ratelimit_blocked(ops_ratelimit(rq, OPS_RL_TOTP), key,
	    clock_mono_ms(), &retry))
		return 0;
	snprintf(text, sizeof(text), "Too many wrong codes. Try again in "
	    "%lld minute(s).", (long long)(retry / 60000 + 1));
	ops_fail(rq, MSG_CODE_RATE_LIMITED, text);
	return 1;
}

/* Counts a wrong code and answers code (bad_code or code_used). */
static void
totp_wrong(struct request *rq, enum msg_code code)
{
	char	 key[RATELIMIT_KEY_MAX];

	totp_rl_key(rq, key);
	ratelimit_fail(ops_ratelimit(rq, OPS_RL_TOTP), key, clock_mono_ms());
	ops_fail(rq, code, code == MSG_CODE_CODE_USED ? "That code was used "
	    "already; wait for the next one of your authenticator app." :
	    "That code is wrong.");
}

/*
 * Judges the body's "code" against a secret (hex as the database gives
 * it) whose last accepted step is last: 1 with rq->totp_step (possibly a
 * used one, which SQL refuses) or rq->totp_recovery set, -1 after
 * answering.
 */
static int
totp_judge_code(struct request *rq, const char *secret_hex, int64_t last,
    int recovery)
{
	const char	*typed = msg_get_str(rq->body, "code");
	uint8_t		 secret[TOTP_SECRET_LEN];
	char		 norm[TOTP_RECOVERY_LEN + 1];
	uint32_t	 code;
	int		 v;

	rq->totp_step = -1;
	rq->totp_has_recovery = 0;
	if (typed == NULL || strspn(typed, " ") == strlen(typed)) {
		ops_fail(rq, MSG_CODE_TOTP_NEEDED, "Enter the 6-digit code of "
		    "your authenticator app.");
		return -1;
	}
	if (totp_blocked(rq))
		return -1;
	if (recovery && totp_recovery_norm(typed, norm, sizeof(norm)) == 0) {
		/* The database spends it, or says it is no unused code. */
		req_sha256(norm, strlen(norm), rq->totp_recovery);
		rq->totp_has_recovery = 1;
		return 1;
	}
	if (totp_parse_code(typed, &code) != 0) {
		totp_wrong(rq, MSG_CODE_BAD_CODE);
		return -1;
	}
	if (hex_decode(secret_hex, secret, sizeof(secret)) != 0) {
		ops_fail(rq, MSG_CODE_INTERNAL, "stored 2FA secret is "
		    "unreadable");
		return -1;
	}
	v = totp_check(secret, sizeof(secret), totp_now(rq), code, last,
	    &rq->totp_step);
	explicit_bzero(secret, sizeof(secret));
	if (v == 0) {
		rq->totp_step = -1;
		totp_wrong(rq, MSG_CODE_BAD_CODE);
		return -1;
	}
	/*
	 * A used code (-1) goes on with its old step: the durable call
	 * answers a retried request with its stored reply first, and only
	 * then totp_consume refuses the step as used.
	 */
	return 1;
}

void
req_totp_read(struct request *rq, int next)
{
	struct db_job	*j;

	j = db_job_new(sql_totp_row, 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	ops_db(rq, j, next);
}

int
req_totp_judge(struct request *rq, struct db_job *dj, int recovery)
{
	const char	*on;
	int		 found;

	rq->totp_on = 0;
	rq->totp_step = -1;
	rq->totp_has_recovery = 0;
	if ((found = req_row(rq, dj)) != 1)
		return found;
	on = db_job_value(dj, 0, 0);
	if (on == NULL || strcmp(on, "t") != 0)
		return 0;
	rq->totp_on = 1;
	return totp_judge_code(rq, db_job_value(dj, 0, 1),
	    strtoll(db_job_value(dj, 0, 2), NULL, 10), recovery);
}

/* Adds the judged step and recovery hash as the job's next parameters. */
static void
totp_params(struct request *rq, struct db_job *j, int with_recovery)
{
	if (rq->totp_step >= 0)
		db_job_paramf(j, "%" PRId64, rq->totp_step);
	else
		db_job_param(j, NULL);
	if (!with_recovery)
		return;
	if (rq->totp_has_recovery)
		db_job_param_hex(j, rq->totp_recovery, 32);
	else
		db_job_param(j, NULL);
}

/* Pending login: a random token, stored hashed, that is no session. */
void
req_totp_login_pending(struct request *rq, int next)
{
	struct db_job	*j;

	if (req_new_token(rq, "a login") != 0)
		return;
	j = db_job_new("WITH gone AS (DELETE FROM login_pending WHERE "
	    "expires_at < now()) INSERT INTO login_pending (token_hash, "
	    "user_id, client_addr, expires_at) VALUES ($1, $2, left($3, 64), "
	    "now() + make_interval(secs => $4))", 0, NULL, 0);
	db_job_param_hex(j, rq->token_hash, 32);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	db_job_param(j, rq->addr);
	db_job_paramf(j, "%d", PENDING_TTL_S);
	ops_db(rq, j, next);
}

void
req_totp_login_pending_done(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep;
	char			 hex[65];

	if (!db_job_ok(dj)) {
		ops_unavailable(rq);
		return;
	}
	hex_encode(rq->token, 32, hex);
	rep = msg_reply_new();
	json_object_object_add(rep, "totp", json_object_new_boolean(1));
	json_object_object_add(rep, "pending", json_object_new_string(hex));
	json_object_object_add(rep, "ttl_s", json_object_new_int(PENDING_TTL_S));
	explicit_bzero(hex, sizeof(hex));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* totp_begin: a new secret, pending until a right code turns it on. */
static void
totp_begin_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;
	struct db_job		*j;
	uint8_t			 secret[TOTP_SECRET_LEN];
	char			 b32[TOTP_B32_MAX], uri[200];
	const char		*v;

	(void)kj;
	(void)cj;
	if (rq->stage != BEGIN_STORED) {
		if (req_session_user(rq, dj) != 1)
			return;
		if (RAND_bytes(secret, sizeof(secret)) != 1) {
			ops_fail(rq, MSG_CODE_INTERNAL, "no randomness");
			return;
		}
		/* Kept in the request's hash field until the answer. */
		memcpy(rq->hash, secret, sizeof(secret));
		explicit_bzero(secret, sizeof(secret));
		j = db_job_new("SELECT totp_begin($1, $2)", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		db_job_param_hex(j, rq->hash, TOTP_SECRET_LEN);
		ops_db(rq, j, BEGIN_STORED);
		return;
	}
	if (!db_job_ok(dj) || (v = db_job_value(dj, 0, 0)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	if (strcmp(v, "ok") != 0) {
		ops_fail(rq, MSG_CODE_INVALID, "Two-factor login is on "
		    "already.");
		return;
	}
	(void)totp_base32(rq->hash, TOTP_SECRET_LEN, b32, sizeof(b32));
	snprintf(uri, sizeof(uri), "otpauth://totp/abc:%s?secret=%s&"
	    "issuer=abc", rq->username, b32);
	rep = msg_reply_new();
	json_object_object_add(rep, "secret", json_object_new_string(b32));
	json_object_object_add(rep, "uri", json_object_new_string(uri));
	explicit_bzero(b32, sizeof(b32));
	explicit_bzero(uri, sizeof(uri));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* The durable totp_enable call with the recovery codes' hashes. */
static void
totp_enable_call(struct request *rq, const char *hashes)
{
	struct db_job	*j;

	j = req_durable_user_job(rq, "SELECT totp_enable($1, $2, $3, $4, $5, "
	    "$6, $7)");
	db_job_paramf(j, "%" PRId64, rq->totp_step);
	db_job_param(j, hashes);
	ops_db(rq, j, ENABLE_STORED);
}

/*
 * ENABLE_READ: the pending secret and the typed code; then ten recovery
 * codes, their hashes stored with the first accepted step.
 */
static void
totp_enable_read(struct request *rq, struct db_job *dj)
{
	uint8_t		 raw[TOTP_RECOVERY_COUNT][8];
	char		 hashes[TOTP_RECOVERY_COUNT * 65 + 1], b32[24];
	uint8_t		 h[32];
	const char	*on;
	size_t		 i;

	if (db_job_lookup(dj) == LOOKUP_UNKNOWN) {
		ops_unavailable(rq);
		return;
	}
	on = db_job_lookup(dj) == LOOKUP_FOUND ? db_job_value(dj, 0, 0) : NULL;
	if (on == NULL) {
		ops_fail(rq, MSG_CODE_INVALID, "Start the setup of two-factor "
		    "login again from your account page.");
		return;
	}
	if (strcmp(on, "t") == 0) {
		/* On already: a retry gets its stored reply, else a no. */
		rq->totp_step = -1;
		totp_enable_call(rq, "");
		return;
	}
	if (totp_judge_code(rq, db_job_value(dj, 0, 1), 0, 0) != 1)
		return;
	if (RAND_bytes(&raw[0][0], sizeof(raw)) != 1) {
		ops_fail(rq, MSG_CODE_INTERNAL, "no randomness");
		return;
	}
	hashes[0] = '\0';
	for (i = 0; i < TOTP_RECOVERY_COUNT; i++) {
		/* 50 random bits: the first 10 base32 letters of 8 bytes. */
		(void)totp_base32(raw[i], sizeof(raw[i]), b32, sizeof(b32));
		b32[TOTP_RECOVERY_LEN] = '\0';
		memcpy(rq->totp_codes[i], b32, TOTP_RECOVERY_LEN + 1);
		req_sha256(b32, TOTP_RECOVERY_LEN, h);
		if (i > 0)
			strcat(hashes, ",");
		hex_encode(h, 32, hashes + strlen(hashes));
	}
	explicit_bzero(raw, sizeof(raw));
	totp_enable_call(rq, hashes);
}

/* ENABLE_STORED: the stored reply, with the codes when made just now. */
static void
totp_enable_stored(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep, *list;
	const char		*text = db_job_value(dj, 0, 0);
	char			 err[128], show[TOTP_RECOVERY_LEN + 2];
	int			 fresh = 0;
	size_t			 i;

	rep = text != NULL ? msg_parse((const uint8_t *)text, strlen(text),
	    err, sizeof(err)) : NULL;
	if (rep == NULL) {
		ops_unavailable(rq);
		return;
	}
	if (msg_get_bool(rep, "fresh", &fresh) == 0 && fresh) {
		json_object_object_del(rep, "fresh");
		list = json_object_new_array();
		for (i = 0; i < TOTP_RECOVERY_COUNT; i++) {
			totp_recovery_show(rq->totp_codes[i], show);
			json_object_array_add(list,
			    json_object_new_string(show));
		}
		json_object_object_add(rep, "recovery", list);
	}
	explicit_bzero(rq->totp_codes, sizeof(rq->totp_codes));
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* totp_enable: the first right code turns the pending secret on. */
static void
totp_enable_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)kj;
	(void)cj;
	switch ((enum enable_stage)rq->stage) {
	case ENABLE_START:
		if (req_need_idem(rq) != 0)
			return;
		/* FALLTHROUGH */
	case ENABLE_SESSION:
		if (req_session_user(rq, dj) == 1)
			req_totp_read(rq, ENABLE_READ);
		break;
	case ENABLE_READ:
		totp_enable_read(rq, dj);
		break;
	case ENABLE_STORED:
		totp_enable_stored(rq, dj);
		break;
	}
}

/* totp_disable: a right code or an unused recovery code turns it off. */
static void
totp_disable_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;

	(void)kj;
	(void)cj;
	switch ((enum disable_stage)rq->stage) {
	case DISABLE_START:
		if (req_need_idem(rq) != 0)
			return;
		/* FALLTHROUGH */
	case DISABLE_SESSION:
		if (req_session_user(rq, dj) == 1)
			req_totp_read(rq, DISABLE_READ);
		break;
	case DISABLE_READ:
		if (req_totp_judge(rq, dj, 1) == -1)
			return;
		j = req_durable_user_job(rq, "SELECT totp_disable($1, $2, $3, "
		    "$4, $5, $6, $7)");
		totp_params(rq, j, 1);
		ops_db(rq, j, DISABLE_STORED);
		break;
	case DISABLE_STORED:
		ops_finish_stored(rq, dj);
		break;
	}
}

/* LOGIN2_READ: the pending login's user and 2FA row; then the code. */
static void
totp_login_read(struct request *rq, struct db_job *dj)
{
	struct db_job	*j;
	const char	*on;
	uint8_t		 pending[32];

	if (req_row_or_fail(rq, dj, MSG_CODE_LOGIN_EXPIRED, "This login "
	    "took too long or had too many wrong codes; log in again.") != 1)
		return;
	rq->user_id = strtoll(db_job_value(dj, 0, 0), NULL, 10);
	snprintf(rq->username, sizeof(rq->username), "%s",
	    db_job_value(dj, 0, 1));
	on = db_job_value(dj, 0, 2);
	rq->totp_step = -1;
	rq->totp_has_recovery = 0;
	if (on != NULL && strcmp(on, "t") == 0 &&
	    totp_judge_code(rq, db_job_value(dj, 0, 3),
	    strtoll(db_job_value(dj, 0, 4), NULL, 10), 1) != 1)
		return;
	memcpy(pending, rq->token_hash, sizeof(pending));
	if (req_new_token(rq, "a session") != 0)
		return;
	j = db_job_new("SELECT totp_login($1, $2, $3, $4, $5, $6)", 0, NULL,
	    0);
	db_job_param_hex(j, pending, sizeof(pending));
	totp_params(rq, j, 1);
	db_job_param_hex(j, rq->token_hash, 32);	/* the session's */
	db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
	db_job_param(j, rq->addr);
	ops_db(rq, j, LOGIN2_DONE);
}

/* LOGIN2_DONE: the session, as a login answers it; or why not. */
static void
totp_login_done(struct request *rq, struct db_job *dj)
{
	const char	*v;

	if (!db_job_ok(dj) || (v = db_job_value(dj, 0, 0)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	if (strcmp(v, "expired") == 0) {
		ops_fail(rq, MSG_CODE_LOGIN_EXPIRED, "This login took too "
		    "long or had too many wrong codes; log in again.");
		return;
	}
	if (strcmp(v, "ok") != 0) {
		totp_wrong(rq, strcmp(v, "used") == 0 ? MSG_CODE_CODE_USED :
		    MSG_CODE_BAD_CODE);
		return;
	}
	req_session_reply(rq);
}

/* login_totp: the second step of a login (pending, code, addr). */
static void
totp_login_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	uint8_t		 pending[32];
	struct db_job	*j;

	(void)kj;
	(void)cj;
	switch ((enum login2_stage)rq->stage) {
	case LOGIN2_START:
		if (hex_decode(msg_get_str(rq->body, "pending"), pending,
		    sizeof(pending)) != 0) {
			ops_fail(rq, MSG_CODE_LOGIN_EXPIRED, "Log in again.");
			return;
		}
		req_sha256(pending, sizeof(pending), rq->token_hash);
		explicit_bzero(pending, sizeof(pending));
		j = db_job_new("SELECT p.user_id, u.username, t.enabled, "
		    "t.secret, t.last_step FROM login_pending p JOIN users u "
		    "ON u.id = p.user_id LEFT JOIN user_totp t ON t.user_id = "
		    "p.user_id WHERE p.token_hash = $1 AND p.expires_at > "
		    "now()", 0, NULL, 0);
		db_job_param_hex(j, rq->token_hash, 32);
		ops_db(rq, j, LOGIN2_READ);
		break;
	case LOGIN2_READ:
		totp_login_read(rq, dj);
		break;
	case LOGIN2_DONE:
		totp_login_done(rq, dj);
		break;
	}
}

/* 1 when s looks like an address: 14 to 100 letters and digits. */
static int
totp_address_ok(const char *s)
{
	size_t	 len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	return len >= ADDRESS_MIN && len <= ADDRESS_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789") == len;
}

/* PAYOUT_ADDRESS: bitcoind's verdict, then the durable change. */
static void
payout_address_checked(struct request *rq, struct btcq_job *cj)
{
	struct db_job	*j;

	if (!cj->ok) {
		ops_fail(rq, MSG_CODE_UNAVAILABLE, "The address cannot be "
		    "checked right now; nothing changed. Try again in a "
		    "minute.");
		return;
	}
	if (!cj->valid) {
		ops_fail(rq, MSG_CODE_BAD_ADDRESS, "This is not a valid "
		    "bitcoin address for this network; check it and try "
		    "again.");
		return;
	}
	j = req_durable_user_job(rq, "SELECT payout_set($1, $2, $3, $4, $5, "
	    "$6, $7, $8)");
	db_job_param(j, msg_get_str(rq->body, "address"));
	db_job_paramf(j, "%" PRId64, ops_cfg(rq)->payout_freeze_s);
	totp_params(rq, j, 0);
	ops_db(rq, j, PAYOUT_STORED);
}

/* payout_set: address, password, code (2FA on), idem. */
static void
payout_set_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct btcq_job	*vj;

	switch ((enum payout_stage)rq->stage) {
	case PAYOUT_START:
		if (!totp_address_ok(msg_get_str(rq->body, "address"))) {
			ops_fail(rq, MSG_CODE_BAD_ADDRESS, "That is not a "
			    "bitcoin address: an address is 14 to 100 letters "
			    "and digits, such as bc1q...");
			return;
		}
		if (req_need_idem(rq) != 0)
			return;
		/* FALLTHROUGH */
	case PAYOUT_SESSION:
		req_account_recheck(rq, dj, "password");
		break;
	case PAYOUT_PASSWORD:
		if (!kj->ok)
			req_account_wrong_password(rq);
		else
			req_totp_read(rq, PAYOUT_TOTP);
		break;
	case PAYOUT_TOTP:
		if (req_totp_judge(rq, dj, 0) == -1)
			return;
		vj = xcalloc(1, sizeof(*vj));
		vj->kind = BTCQ_VALIDATE_ADDRESS;
		snprintf(vj->address, sizeof(vj->address), "%s",
		    msg_get_str(rq->body, "address"));
		ops_chain(rq, vj, PAYOUT_ADDRESS);
		break;
	case PAYOUT_ADDRESS:
		payout_address_checked(rq, cj);
		break;
	case PAYOUT_STORED:
		ops_finish_stored(rq, dj);
		break;
	}
}

/* security: 2FA on or off, recovery codes left, the payout address. */
static void
security_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;
	struct db_job		*j;
	const char		*v;

	(void)kj;
	(void)cj;
	if (rq->stage != SECURITY_READ) {
		if (req_session_user(rq, dj) != 1)
			return;
		j = db_job_new("SELECT coalesce(t.enabled, false), "
		    "u.payout_address, CASE WHEN u.payout_frozen_until > now() "
		    "THEN (extract(epoch FROM u.payout_frozen_until) * 1000)"
		    "::bigint END, (SELECT count(*) FROM totp_recovery r "
		    "WHERE r.user_id = u.id AND r.used_at IS NULL) FROM users "
		    "u LEFT JOIN user_totp t ON t.user_id = u.id WHERE u.id = "
		    "$1", 0, NULL, 0);
		db_job_paramf(j, "%" PRId64, rq->user_id);
		ops_db(rq, j, SECURITY_READ);
		return;
	}
	if (db_job_lookup(dj) != LOOKUP_FOUND) {
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, "totp", json_object_new_boolean(
	    strcmp(db_job_value(dj, 0, 0), "t") == 0));
	if ((v = db_job_value(dj, 0, 1)) != NULL)
		json_object_object_add(rep, "payout_address",
		    json_object_new_string(v));
	if ((v = db_job_value(dj, 0, 2)) != NULL)
		json_object_object_add(rep, "frozen_until_ms",
		    json_object_new_int64(strtoll(v, NULL, 10)));
	json_object_object_add(rep, "recovery_left", json_object_new_int64(
	    strtoll(db_job_value(dj, 0, 3), NULL, 10)));
	ops_finish(rq, rep);
	json_object_put(rep);
}

const struct req_row req_totp_rows[] = {
	{ MSG_OP_TOTP_BEGIN, "totp_begin", REQ_NEEDS_SESSION,
	    totp_begin_step },
	{ MSG_OP_TOTP_ENABLE, "totp_enable", REQ_DURABLE |
	    REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION, totp_enable_step },
	{ MSG_OP_TOTP_DISABLE, "totp_disable", REQ_DURABLE |
	    REQ_CHANGES_ACCOUNT | REQ_NEEDS_SESSION, totp_disable_step },
	{ MSG_OP_LOGIN_TOTP, "login_totp", 0, totp_login_step },
	{ MSG_OP_PAYOUT_SET, "payout_set", REQ_DURABLE | REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, payout_set_step },
	{ MSG_OP_SECURITY, "security", REQ_NEEDS_SESSION, security_step },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
