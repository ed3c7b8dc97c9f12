/*
 * The one owner of abc-worker's PostgreSQL connection: a dedicated thread
 * that runs jobs handed over by the event loop, so the loop never blocks on
 * the database.  The thread takes every queued job at once, which is where
 * group commit (many requests, one transaction) plugs in.
 *
 * Ownership: db_submit takes the job; the finished job comes back through
 * db_take_done and the caller frees it with db_job_free.  Completion is
 * signalled by writing to the eventfd given to db_start.
 */
#ifndef ABC_DB_H
#define ABC_DB_H

#include <stdint.h>

#include <json-c/json.h>

#include "msg.h"

struct db;

struct db_job {
	enum msg_op		 op;
	uint64_t		 conn_id;	/* routes the reply back */
	uint64_t		 req_id;	/* the request's message id */
	struct json_object	*req;		/* owned; the request */
	struct json_object	*reply;		/* owned; set by the db thread */
	struct db_job		*next;
};

struct db	*db_start(const char *conninfo, int done_fd);
void		 db_stop(struct db *db);
void		 db_submit(struct db *db, struct db_job *job);
struct db_job	*db_take_done(struct db *db);
void		 db_job_free(struct db_job *job);

#endif /* ABC_DB_H */
