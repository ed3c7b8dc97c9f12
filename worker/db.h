/*
 * The one owner of abc-worker's PostgreSQL connection: a dedicated thread
 * that runs jobs handed over by the event loop, so the loop never blocks on
 * the database.  The thread takes every queued job at once and commits the
 * state-changing ones together: one transaction, one pipeline round trip,
 * each request inside its own savepoint (a PL/pgSQL block), so one failing
 * request does not undo the others (group commit).
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

/* Most requests one transaction carries. */
#define DB_BATCH_MAX	256

struct db;

struct db_job {
	enum msg_op		 op;
	char			 client[64];	/* the request's identity... */
	int64_t			 epoch;
	uint64_t		 req_no;	/* ...(client, epoch, req_no) */
	struct json_object	*req;		/* owned; the request */
	struct json_object	*reply;		/* owned; set by the db thread */
	struct db_job		*next;
};

struct db_stats {
	uint64_t	 batches;	/* transactions committed */
	uint64_t	 jobs;		/* jobs finished */
	uint64_t	 retries;	/* batches retried after a failure */
};

struct db	*db_start(const char *conninfo, int done_fd);
void		 db_stop(struct db *db);
void		 db_submit(struct db *db, struct db_job *job);
struct db_job	*db_take_done(struct db *db);
void		 db_job_free(struct db_job *job);
void		 db_get_stats(struct db *db, struct db_stats *out);

#endif /* ABC_DB_H */
