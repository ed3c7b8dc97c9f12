/*
 * The requests' PostgreSQL connection: a dedicated thread that runs the
 * jobs the request engine (worker/ops.h) hands over from the event loop,
 * so the loop never blocks on the database.  It is one of abc-worker's
 * connections, each with one job: this one serves requests (and prunes
 * request_log); the deposit follower, the payer and the bitcoind job queue
 * each keep their own (worker/bgdb.h: deposits.c, payer.c, btcq.c) so none
 * waits on another; worker/pglisten.c LISTENs for account notifications;
 * and main.c connects alone, before any of these, to migrate or check the
 * schema.  The thread takes every queued job at once and commits the
 * state-changing ones together: one transaction, one pipeline round trip,
 * each request inside its own savepoint (a PL/pgSQL block), so one failing
 * request does not undo the others (group commit).
 *
 * Ownership: db_submit takes the job; the finished job comes back through
 * db_take_done and the caller frees it with db_job_free (which also clears
 * its result).  The database thread never looks at ctx.  Completion is
 * signalled by writing to the eventfd given to db_start.
 */
#ifndef ABC_DB_H
#define ABC_DB_H

#include <stdint.h>

#include <stddef.h>

#include <libpq-fe.h>

#include "abc_err.h"

/* Most requests one transaction carries. */
#define DB_BATCH_MAX	256
#define DB_PARAMS_MAX	16

struct db;

/*
 * One SQL statement to run, with text parameters.  Durable jobs run
 * together in the group-commit transaction; their statement is a call of
 * a PL/pgSQL function that catches its own errors, so an error there means
 * the database failed, and the batch is retried.  Other jobs run alone;
 * their failure is reported in error.
 */
struct db_job {
	int			 durable;
	/* Durable only: sql takes each parameter as an array and returns
	 * a row per element; the batch's jobs of the same sql run as one
	 * call, each param an element (worker/dbmerge.h).  Like every
	 * durable call it must store the answers of what it changes: a
	 * batch is retried when its answers cannot be told apart. */
	int			 merged;
	const char		*sql;		/* static text */
	int			 nparams;
	char			*params[DB_PARAMS_MAX];	/* owned; NULL: SQL NULL */
	PGresult		*res;		/* owned; set by the db thread */
	char			 error[256];	/* why res is NULL or failed */
	void			*ctx;		/* the caller's, untouched */
	int			 tag;		/* the caller's, untouched */
	struct db_job		*next;
};

struct db_stats {
	uint64_t	 batches;	/* transactions committed */
	uint64_t	 jobs;		/* jobs finished */
	uint64_t	 retries;	/* batches retried after a failure */
};

struct db_job	*db_job_new(const char *sql, int durable, void *ctx, int tag);
void		 db_job_param(struct db_job *job, const char *value);
void		 db_job_paramf(struct db_job *job, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 db_job_param_hex(struct db_job *job, const uint8_t *p,
		    size_t len);
int		 db_job_ok(const struct db_job *job);
enum lookup	 db_job_lookup(const struct db_job *job);
const char	*db_job_value(const struct db_job *job, int row, int col);
struct db	*db_start(const char *conninfo, int done_fd);
void		 db_stop(struct db *db);
void		 db_submit(struct db *db, struct db_job *job);
struct db_job	*db_take_done(struct db *db);
void		 db_job_free(struct db_job *job);
void		 db_get_stats(struct db *db, struct db_stats *out);

#endif /* ABC_DB_H */
