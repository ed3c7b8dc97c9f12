/*
 * Merged durable jobs (issue 12): the durable jobs of one batch that are
 * marked merged (struct db_job) and share their SQL run as one call.  Such
 * SQL takes each parameter as an array, one element per job, and returns
 * one row per element, in the order given (sql/functions/camp_purchase.sql:
 * camp_purchase_many).  PostgreSQL then pays for its statements once a
 * batch instead of once a job.  worker/db.c plans a batch's calls here,
 * sends each call where its first job stood, and gives every job its own
 * row back as a result of its own.  A job alone is a call of one.
 *
 * Ownership: a struct dbmerge is the caller's (usually on the stack) and
 * owns its calls and their parameter texts until dbmerge_clear.  The jobs
 * stay the caller's.  dbmerge_row returns a new result the caller owns.
 */
#ifndef ABC_DBMERGE_H
#define ABC_DBMERGE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "buf.h"
#include "db.h"

/* One call standing for the merged jobs that share its SQL. */
struct dbmerge_call {
	const char	*sql;		/* the jobs' static text */
	int		 nparams;
	size_t		 njobs;
	struct buf	 arrays[DB_PARAMS_MAX];	/* array literals, owned */
	const char	*params[DB_PARAMS_MAX];	/* into arrays */
	size_t		 q;		/* its place: the caller's to use */
};

struct dbmerge {
	struct dbmerge_call	*calls[DB_BATCH_MAX];	/* owned */
	size_t			 ncalls;
	int			 call_of[DB_BATCH_MAX];	/* -1: not merged */
	int			 row_of[DB_BATCH_MAX];
};

void	 dbmerge_plan(struct dbmerge *m, struct db_job *const *jobs,
	    size_t n);
struct dbmerge_call *dbmerge_call_of(const struct dbmerge *m, size_t job,
	    int *row);
int	 dbmerge_fits(const struct dbmerge_call *call, const PGresult *res);
PGresult *dbmerge_row(const PGresult *all, int row);
void	 dbmerge_clear(struct dbmerge *m);
void	 dbmerge_array_add(struct buf *b, const char *value);

#endif /* ABC_DBMERGE_H */
