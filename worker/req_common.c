/* What the request modules share that is no stage; see req_common.h. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "db.h"
#include "hex.h"
#include "log.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"

/*
 * A durable call of rq (stored with its reply: once only): sql's $1-$4
 * are the request's client, epoch, req_no and "idem"; the caller adds
 * the rest.
 */
struct db_job *
req_durable_job(struct request *rq, const char *sql)
{
	struct db_job	*j;

	j = db_job_new(sql, 1, NULL, 0);
	db_job_param(j, rq->client);
	db_job_paramf(j, "%" PRId64, rq->epoch);
	db_job_paramf(j, "%" PRIu64, rq->req_no);
	db_job_param(j, msg_get_str(rq->body, "idem"));
	return j;
}

/* The same with $5 the session's user (req_session_user found it). */
struct db_job *
req_durable_user_job(struct request *rq, const char *sql)
{
	struct db_job	*j;

	j = req_durable_job(rq, sql);
	db_job_paramf(j, "%" PRId64, rq->user_id);
	return j;
}

/*
 * The stages around a session user's durable call that answers at stage
 * done: there, finish (with the stored answer) and 0; before it, 1 once
 * req_session_user knows rq->user_id (the call is to be made), 0 while
 * the session is read or after that answered.
 */
int
req_user_call(struct request *rq, struct db_job *dj, int done,
    void (*finish)(struct request *, struct db_job *))
{
	if (rq->stage == done) {
		finish(rq, dj);
		return 0;
	}
	return req_session_user(rq, dj) == 1;
}

/*
 * 0 when the request carries its idempotency key, or -1 after answering
 * that the form (which always has one) is incomplete.
 */
int
req_need_idem(struct request *rq)
{
	if (msg_get_str(rq->body, "idem") != NULL)
		return 0;
	ops_fail(rq, MSG_CODE_INVALID, "The form is incomplete; reload it.");
	return -1;
}

/*
 * 1 when dj, a read of one row, found it; 0 when there was none; -1
 * after answering that the read failed (never "not found": abc-web shows
 * it as a retryable error).
 */
int
req_row(struct request *rq, struct db_job *dj)
{
	switch (db_job_lookup(dj)) {
	case LOOKUP_UNKNOWN:
		ops_unavailable(rq);
		return -1;
	case LOOKUP_ABSENT:
		return 0;
	case LOOKUP_FOUND:
		break;
	}
	return 1;
}

/* The same, but -1 after answering code and text when there was none. */
int
req_row_or_fail(struct request *rq, struct db_job *dj, enum msg_code code,
    const char *text)
{
	int	 found;

	if ((found = req_row(rq, dj)) == 0) {
		ops_fail(rq, code, text);
		return -1;
	}
	return found;
}

/*
 * The JSON text of column 0 of dj's row, parsed (the caller's); NULL
 * when the read failed, there was none, or it is no JSON (logged with
 * rq's op: the database answered what it should not).
 */
struct json_object *
req_row_json(struct request *rq, struct db_job *dj)
{
	struct json_object	*v = NULL;
	const char		*text;
	char			 err[128];

	if (db_job_lookup(dj) == LOOKUP_FOUND &&
	    (text = db_job_value(dj, 0, 0)) != NULL &&
	    (v = msg_parse_json((const uint8_t *)text, strlen(text), err,
	    sizeof(err))) == NULL)
		log_error("db_reply", "op=%s error=\"%s\"",
		    msg_op_name(rq->op), err);
	return v;
}

static EVP_MD		*req_sha256_md;	/* fetched once, kept */
static pthread_once_t	 req_sha256_once = PTHREAD_ONCE_INIT;

static void
req_sha256_fetch(void)
{
	req_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * SHA-256 of len bytes: how tokens and recovery codes are stored (every
 * request with a session hashes its token).  OpenSSL 3's SHA256() looks
 * the algorithm up anew on each call; the one fetched at first use is
 * kept instead.
 */
void
req_sha256(const void *p, size_t len, uint8_t out[32])
{
	(void)pthread_once(&req_sha256_once, req_sha256_fetch);
	if (req_sha256_md == NULL ||
	    EVP_Digest(p, len, out, NULL, req_sha256_md, NULL) != 1)
		(void)SHA256(p, len, out);
}

/*
 * A new random rq->token and its hash in rq->token_hash (what the
 * database keeps); 0, or -1 after answering that there is no randomness
 * for what ("a session"...).
 */
int
req_new_token(struct request *rq, const char *what)
{
	char	 text[64];

	if (RAND_bytes(rq->token, sizeof(rq->token)) != 1) {
		snprintf(text, sizeof(text), "no randomness for %s", what);
		ops_fail(rq, MSG_CODE_INTERNAL, text);
		return -1;
	}
	req_sha256(rq->token, sizeof(rq->token), rq->token_hash);
	return 0;
}

/*
 * Answers a login (with a password, or with its 2FA code) that opened
 * the session of rq->token for rq->user_id.
 */
void
req_session_reply(struct request *rq)
{
	struct json_object	*rep;
	char			 hex[2 * sizeof(rq->token) + 1];

	hex_encode(rq->token, sizeof(rq->token), hex);
	rep = msg_reply_new();
	json_object_object_add(rep, "token", json_object_new_string(hex));
	json_object_object_add(rep, "user", json_object_new_int64(rq->user_id));
	json_object_object_add(rep, "username",
	    json_object_new_string(rq->username));
	json_object_object_add(rep, "ttl_s",
	    json_object_new_int(ops_cfg(rq)->session_ttl_s));
	explicit_bzero(hex, sizeof(hex));
	ops_finish(rq, rep);
	json_object_put(rep);
}
