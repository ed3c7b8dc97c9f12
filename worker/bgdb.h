/*
 * A background thread's own PostgreSQL connection.  The deposit follower,
 * the payer and the bitcoind job queue each keep one, so that none of them
 * waits on another (or on the event loop's connections): it connects on
 * first use and again after it broke, runs statements with text
 * parameters, and commits saying whether the COMMIT took.  What failed is
 * written into the caller's error buffer; the thread logs a change of its
 * health once (worker/deposits.c, worker/payer.c).  bgdb_begin and
 * bgdb_write put a worker's writes behind the lease fence (worker/lease.h)
 * when it runs with a lock.
 *
 * Ownership: bgdb_init copies conninfo and borrows err, which must outlive
 * the struct.  Results handed back are the caller's to PQclear.
 */
#ifndef ABC_BGDB_H
#define ABC_BGDB_H

#include <stddef.h>

#include <libpq-fe.h>

struct bgdb {
	char	*conninfo;	/* owned */
	PGconn	*pg;		/* owned, NULL while disconnected */
	char	*err;		/* borrowed */
	size_t	 errlen;
};

void		 bgdb_init(struct bgdb *db, const char *conninfo, char *err,
		    size_t errlen);
void		 bgdb_close(struct bgdb *db);
PGconn		*bgdb_conn(struct bgdb *db);
PGresult	*bgdb_sql(struct bgdb *db, const char *sql, int n,
		    const char *const *params);
int		 bgdb_exec(struct bgdb *db, const char *sql, int n,
		    const char *const *params);
int		 bgdb_begin(struct bgdb *db);
int		 bgdb_write(struct bgdb *db, const char *sql, int n,
		    const char *const *params);
int		 bgdb_commit(struct bgdb *db);
void		 bgdb_rollback(struct bgdb *db);

#endif /* ABC_BGDB_H */
