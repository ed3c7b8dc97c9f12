/*
 * Issue 15: API keys and the JSON API's reads (see req_apikey.h).  A key
 * is made here (32 bytes of the OS), kept as its SHA-256 by
 * sql/functions/apikey_create.sql and shown once: only the live answer
 * carries it, never request_log.  A revocation is told to every abc-web
 * at once (notice "apikey_revoked"); their caches hold a key at most 1 s
 * anyway.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apikey.h"
#include "db.h"
#include "log.h"
#include "msg.h"
#include "ops_req.h"
#include "req_apikey.h"
#include "req_common.h"
#include "utf8.h"

enum apikey_create_stage {
	AKC_START = REQ_START,
	AKC_SESSION = REQ_SESSION_READ,
	AKC_TOTP = REQ_OWN_STAGES,	/* the 2FA row read (req_totp.c) */
	AKC_DONE			/* apikey_create answered */
};
enum apikey_revoke_stage {
	AKR_START = REQ_START,
	AKR_DONE = REQ_OWN_STAGES
};
enum apikey_read_stage {
	AKL_START = REQ_START,
	AKL_SESSION = REQ_SESSION_READ,
	AKL_DONE = REQ_OWN_STAGES
};

/* The ops an API key may stand for a session in (req_account.c asks). */
int
apikey_op_allowed(enum msg_op op)
{
	return op == MSG_OP_MY_ADS || op == MSG_OP_BUY ||
	    op == MSG_OP_AD_CREATE || op == MSG_OP_API_CAMPAIGNS ||
	    op == MSG_OP_APIKEY_AUTH;
}

/*
 * The request's "api_key" into rq->token_hash (the SQL then finds its
 * owner through acct_session).  Returns 0, or -1 after answering.
 */
int
apikey_take(struct request *rq)
{
	const char	*key = msg_get_str(rq->body, "api_key");

	if (!apikey_valid(key)) {
		ops_fail(rq, MSG_CODE_NO_SESSION, "That is not an API key.");
		return -1;
	}
	apikey_hash(key, rq->token_hash);
	return 0;
}

/*
 * The scopes of a create request as a PostgreSQL array literal: an array
 * of "read" / "buy", each at most once.  Returns 0, or -1 when malformed.
 */
static int
apikey_scopes(struct json_object *body, char *out, size_t len)
{
	struct json_object	*a, *e;
	const char		*s;
	int			 read = 0, buy = 0;
	size_t			 i, n;

	if (!json_object_object_get_ex(body, "scopes", &a) ||
	    !json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) < 1 || n > 2)
		return -1;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		s = json_object_is_type(e, json_type_string) ?
		    json_object_get_string(e) : "";
		if (strcmp(s, "read") == 0 && !read)
			read = 1;
		else if (strcmp(s, "buy") == 0 && !buy)
			buy = 1;
		else
			return -1;
	}
	snprintf(out, len, "{%s%s%s}", read ? "read" : "",
	    read && buy ? "," : "", buy ? "buy" : "");
	return 0;
}

/* Parses the text answer of an SQL function into a reply; NULL logged. */
static struct json_object *
apikey_parse(struct request *rq, struct db_job *dj)
{
	const char		*text = db_job_value(dj, 0, 0);
	struct json_object	*rep;
	char			 err[128];

	if (!db_job_ok(dj) || text == NULL)
		return NULL;
	if ((rep = msg_parse((const uint8_t *)text, strlen(text), err,
	    sizeof(err))) == NULL)
		log_error("db_reply", "op=%s error=\"%s\"",
		    msg_op_name(rq->op), err);
	return rep;
}

/* The form's fields, once the session is known; 0, or -1 answered. */
static int
apikey_create_fields(struct request *rq)
{
	const char	*name = msg_get_str(rq->body, "name");
	char		 scopes[16];

	if (name == NULL || name[0] == '\0' || strlen(name) > 40 * 4 ||
	    !utf8_valid((const uint8_t *)name, strlen(name)) ||
	    apikey_scopes(rq->body, scopes, sizeof(scopes)) != 0) {
		ops_fail(rq, MSG_CODE_INVALID, "A key needs a name of 1-40 "
		    "characters and the scope read, buy or both.");
		return -1;
	}
	return 0;
}

/*
 * AKC_TOTP: with the session's user known and the 2FA code judged (when
 * 2FA is on, SQL totp_consume spends its step in the same transaction),
 * makes the key: one durable call.
 */
static void
apikey_create_store(struct request *rq, struct db_job *dj)
{
	char		 scopes[16], key[APIKEY_LEN + 1];
	uint8_t		 hash[32];
	struct db_job	*j;

	if (req_totp_judge(rq, dj, 0) == -1)
		return;		/* answered */
	(void)apikey_scopes(rq->body, scopes, sizeof(scopes));
	if (apikey_random(rq->token) != 0) {
		ops_fail(rq, MSG_CODE_INTERNAL, "No random bytes for a key.");
		return;
	}
	apikey_from_raw(rq->token, key);
	apikey_hash(key, hash);
	key[APIKEY_PREFIX_LEN] = '\0';
	j = req_durable_job(rq, "SELECT apikey_create($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $10, $11, $12)");
	db_job_param_hex(j, rq->token_hash, sizeof(rq->token_hash));
	db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
	db_job_param(j, msg_get_str(rq->body, "name"));
	db_job_param(j, scopes);
	db_job_param_hex(j, hash, sizeof(hash));
	db_job_param(j, key);
	db_job_paramf(j, "%d", APIKEY_MAX_PER_USER);
	if (rq->totp_step >= 0)
		db_job_paramf(j, "%" PRId64, rq->totp_step);
	else
		db_job_param(j, NULL);
	ops_db(rq, j, AKC_DONE);
}

/*
 * The answer: a key made by this very request is shown (once); a repeat
 * of a request already served says so, without the key.
 */
static void
apikey_create_done(struct request *rq, struct db_job *dj)
{
	struct json_object	*rep;
	char			 key[APIKEY_LEN + 1];
	int			 ok = 0, repeat = 0;

	if ((rep = apikey_parse(rq, dj)) == NULL) {
		explicit_bzero(rq->token, sizeof(rq->token));
		ops_unavailable(rq);
		return;
	}
	(void)msg_get_bool(rep, "ok", &ok);
	(void)msg_get_bool(rep, "repeat", &repeat);
	if (ok && !repeat) {
		apikey_from_raw(rq->token, key);
		json_object_object_add(rep, "key", json_object_new_string(key));
		explicit_bzero(key, sizeof(key));
	}
	explicit_bzero(rq->token, sizeof(rq->token));
	ops_finish(rq, rep);
	json_object_put(rep);
}

static void
apikey_create(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)kj;
	(void)cj;
	switch ((enum apikey_create_stage)rq->stage) {
	case AKC_START:
	case AKC_SESSION:
		/* The user, for the second factor (asked when it is on). */
		if (req_session_user(rq, dj) == 1 &&
		    apikey_create_fields(rq) == 0)
			req_totp_read(rq, AKC_TOTP);
		break;
	case AKC_TOTP:
		apikey_create_store(rq, dj);
		break;
	case AKC_DONE:
		apikey_create_done(rq, dj);
		break;
	}
}

/* Tells every abc-web to forget the key whose hash (hex) is given. */
static void
apikey_revoked_notice(struct request *rq, const char *hash_hex)
{
	struct json_object	*n;

	n = msg_notice_new(MSG_NOTICE_APIKEY_REVOKED);
	json_object_object_add(n, "key", json_object_new_string(hash_hex));
	ops_notice(rq, n);
	json_object_put(n);
}

/* apikey_revoke: one durable call; a revocation is broadcast. */
static void
apikey_revoke(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;
	struct db_job		*j;
	const char		*hash;
	int64_t			 id;
	int			 ok = 0;

	(void)kj;
	(void)cj;
	if (rq->stage == AKR_START) {
		if (req_session_token(rq) != 0)
			return;
		if (msg_get_int(rq->body, "id", &id) != 0 || id < 1) {
			ops_fail(rq, MSG_CODE_INVALID, "Which key?");
			return;
		}
		j = req_durable_job(rq, "SELECT apikey_revoke($1, $2, $3, $4, "
		    "$5, $6, $7)");
		db_job_param_hex(j, rq->token_hash, sizeof(rq->token_hash));
		db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
		db_job_paramf(j, "%" PRId64, id);
		ops_db(rq, j, AKR_DONE);
		return;
	}
	if ((rep = apikey_parse(rq, dj)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	(void)msg_get_bool(rep, "ok", &ok);
	/* Also on a repeat: a notice more costs nothing. */
	if (ok && (hash = msg_get_str(rep, "key_hash")) != NULL)
		apikey_revoked_notice(rq, hash);
	json_object_object_del(rep, "key_hash");
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* Answers {"ok":true, member: <the JSON the query returned>}. */
static void
apikey_json_reply(struct request *rq, struct db_job *dj, const char *member)
{
	struct json_object	*rep, *v;

	if ((v = req_row_json(rq, dj)) == NULL) {
		ops_unavailable(rq);
		return;
	}
	rep = msg_reply_new();
	json_object_object_add(rep, member, v);
	ops_finish(rq, rep);
	json_object_put(rep);
}

/* apikey_list and api_campaigns: the session's user, then one read. */
static void
apikey_read(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct db_job	*j;

	(void)kj;
	(void)cj;
	if (rq->stage == AKL_DONE) {
		apikey_json_reply(rq, dj, rq->op == MSG_OP_APIKEY_LIST ?
		    "keys" : "campaigns");
		return;
	}
	if (req_session_user(rq, dj) != 1)
		return;
	if (rq->op == MSG_OP_APIKEY_LIST)
		j = db_job_new("SELECT coalesce(jsonb_agg(jsonb_build_object("
		    "'id', id, 'name', name, 'prefix', prefix, 'scopes', "
		    "scopes, 'created_ms', (extract(epoch FROM created_at) * "
		    "1000)::bigint, 'last_used_ms', (extract(epoch FROM "
		    "last_used_at) * 1000)::bigint, 'revoked_ms', "
		    "(extract(epoch FROM revoked_at) * 1000)::bigint) "
		    "ORDER BY id DESC), '[]')::text FROM (SELECT * FROM "
		    "api_keys WHERE user_id = $1 ORDER BY id DESC LIMIT 50) k",
		    0, NULL, 0);
	else
		j = db_job_new("SELECT api_campaigns($1)", 0, NULL, 0);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	ops_db(rq, j, AKL_DONE);
}

/*
 * apikey_auth: who holds the key, under which scopes (abc-web caches the
 * answer for at most 1 s).  acct_session writes last_used_at at most
 * once a minute.
 */
static void
apikey_auth(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	struct json_object	*rep;
	struct db_job		*j;

	(void)kj;
	(void)cj;
	if (rq->stage == AKL_START) {
		if (req_session_token(rq) != 0)
			return;
		j = db_job_new("SELECT k.id, s.user_id, s.username, "
		    "array_to_string(k.scopes, ',') FROM acct_session($1, $2) "
		    "s JOIN api_keys k ON k.key_hash = $1 AND k.revoked_at IS "
		    "NULL AND k.user_id = s.user_id", 0, NULL, 0);
		db_job_param_hex(j, rq->token_hash, sizeof(rq->token_hash));
		db_job_paramf(j, "%d", ops_cfg(rq)->session_ttl_s);
		ops_db(rq, j, AKL_DONE);
		return;
	}
	if (req_row_or_fail(rq, dj, MSG_CODE_NO_SESSION, "No such API key, "
	    "or it was revoked.") != 1)
		return;
	rep = msg_reply_new();
	json_object_object_add(rep, "key_id", json_object_new_int64(
	    strtoll(db_job_value(dj, 0, 0), NULL, 10)));
	json_object_object_add(rep, "user", json_object_new_int64(
	    strtoll(db_job_value(dj, 0, 1), NULL, 10)));
	json_object_object_add(rep, "username", json_object_new_string(
	    db_job_value(dj, 0, 2)));
	json_object_object_add(rep, "scopes", json_object_new_string(
	    db_job_value(dj, 0, 3)));
	ops_finish(rq, rep);
	json_object_put(rep);
}

const struct req_row req_apikey_rows[] = {
	{ MSG_OP_APIKEY_CREATE, "apikey_create", REQ_DURABLE |
	    REQ_NEEDS_SESSION, apikey_create },
	{ MSG_OP_APIKEY_REVOKE, "apikey_revoke", REQ_DURABLE |
	    REQ_NEEDS_SESSION, apikey_revoke },
	{ MSG_OP_APIKEY_LIST, "apikey_list", REQ_NEEDS_SESSION, apikey_read },
	{ MSG_OP_APIKEY_AUTH, "apikey_auth", REQ_NEEDS_SESSION, apikey_auth },
	{ MSG_OP_API_CAMPAIGNS, "api_campaigns", REQ_NEEDS_SESSION,
	    apikey_read },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
