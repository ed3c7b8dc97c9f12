/*
 * A harness for abc-worker's request engine and request modules without
 * PostgreSQL, a hashing pool or bitcoind: it links worker/ops.c and the
 * req_*.c modules with its own ops_db, ops_kdf and ops_chain (in place of
 * worker/ops_jobs.c), which park the one job a stage hands over.  A test
 * then answers it from canned results (rh_db_answer, rh_kdf_answer,
 * rh_chain_answer) and the request continues at the stage it named.
 * Replies and notices go to a sink the test reads.
 *
 * Ownership: the harness owns the engine, the parked job and the replies
 * and notices it kept; rh_reply and rh_notice borrow them until the next
 * rh_setup or rh_teardown.
 */
#ifndef ABC_REQHARNESS_H
#define ABC_REQHARNESS_H

#include <stddef.h>

#include <json-c/json.h>

#include "ops.h"

struct db_job;
struct kdf_job;
struct btcq_job;

void		 rh_setup(const struct ops_cfg *cfg);
void		 rh_teardown(void);
struct ops	*rh_ops(void);
void		 rh_send(const char *json);
struct db_job	*rh_db_job(void);
struct kdf_job	*rh_kdf_job(void);
struct btcq_job	*rh_chain_job(void);
size_t		 rh_jobs(void);
void		 rh_db_answer(int nrows, int ncols, const char *const *cells);
void		 rh_db_fail(void);
void		 rh_kdf_answer(int ok);
void		 rh_kdf_refuse(int on);
void		 rh_chain_answer(int ok, int valid, const char *address,
		    int over_quota);
size_t		 rh_replies(void);
struct json_object *rh_reply(void);
const char	*rh_reply_code(void);
size_t		 rh_notices(void);
struct json_object *rh_notice(size_t i);

#endif /* ABC_REQHARNESS_H */
