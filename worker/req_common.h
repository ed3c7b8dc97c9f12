/*
 * What the request modules share that is no stage of a request:
 * - the first parameters of a durable call (the request's identity on
 *   the link and its idempotency key, by which the database stores the
 *   reply and answers a retried request with it) and the check that a
 *   form carries that key; the stages before a session user's durable
 *   call and after it;
 * - what a read of one row answers when it failed or found none, and the
 *   JSON such a read returns, parsed;
 * - the SHA-256 under which tokens are stored;
 * - what a password login and a 2FA login both do: a new random token
 *   (a session's or a pending login's) and the answer that hands a
 *   session over.
 * Hex both ways is common/hex.h.
 *
 * Ownership: a new job is the caller's (to ops_db); the request's
 * strings are copied into it.  req_row_json's value is the caller's.
 * Nothing else allocates.
 */
#ifndef ABC_REQ_COMMON_H
#define ABC_REQ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct db_job;
struct json_object;
struct request;

struct db_job	*req_durable_job(struct request *rq, const char *sql);
struct db_job	*req_durable_user_job(struct request *rq, const char *sql);
int		 req_need_idem(struct request *rq);
int		 req_user_call(struct request *rq, struct db_job *dj, int done,
		    void (*finish)(struct request *, struct db_job *));
int		 req_row(struct request *rq, struct db_job *dj);
int		 req_row_or_fail(struct request *rq, struct db_job *dj,
		    enum msg_code code, const char *text);
struct json_object *req_row_json(struct request *rq, struct db_job *dj);
void		 req_sha256(const void *p, size_t len, uint8_t out[32]);
int		 req_new_token(struct request *rq, const char *what);
void		 req_session_reply(struct request *rq);

#endif /* ABC_REQ_COMMON_H */
