/*
 * One background thread's PostgreSQL connection (see bgdb.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "bgdb.h"
#include "lease.h"
#include "xmalloc.h"

void
bgdb_init(struct bgdb *db, const char *conninfo, char *err, size_t errlen)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	db->err = err;
	db->errlen = errlen;
}

void
bgdb_close(struct bgdb *db)
{
	PQfinish(db->pg);
	db->pg = NULL;
	free(db->conninfo);
	db->conninfo = NULL;
}

/* The connection, made again when it is not usable; NULL (err set). */
PGconn *
bgdb_conn(struct bgdb *db)
{
	if (db->pg != NULL && PQstatus(db->pg) == CONNECTION_OK)
		return db->pg;
	PQfinish(db->pg);
	db->pg = PQconnectdb(db->conninfo);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		snprintf(db->err, db->errlen, "database: %s",
		    PQerrorMessage(db->pg));
		PQfinish(db->pg);
		db->pg = NULL;
	}
	return db->pg;
}

/* Runs sql with params; returns the result (caller clears) or NULL. */
PGresult *
bgdb_sql(struct bgdb *db, const char *sql, int n, const char *const *params)
{
	PGresult	*res;
	PGconn		*pg;

	if ((pg = bgdb_conn(db)) == NULL)
		return NULL;
	res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(db->err, db->errlen, "database: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Runs a statement whose result is not needed; 0 or -1 (err set). */
int
bgdb_exec(struct bgdb *db, const char *sql, int n, const char *const *params)
{
	PGresult	*res;

	if ((res = bgdb_sql(db, sql, n, params)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * Commits; 0, or -1 (err set) when it did not: a COMMIT of a failed
 * transaction answers "ROLLBACK" without an error.
 */
int
bgdb_commit(struct bgdb *db)
{
	PGresult	*res;
	int		 ok;

	if ((res = bgdb_sql(db, "COMMIT", 0, NULL)) == NULL)
		return -1;
	ok = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!ok) {
		snprintf(db->err, db->errlen, "database: COMMIT rolled back");
		return -1;
	}
	return 0;
}

/* Ends a transaction that failed; harmless when none is open. */
void
bgdb_rollback(struct bgdb *db)
{
	if (db->pg != NULL)
		PQclear(PQexec(db->pg, "ROLLBACK"));
}

/*
 * BEGIN, and with a lock (worker/lease.h) the fence: the transaction can
 * commit only while this worker's lock session holds the lock.  0 or -1
 * (err set; nothing left open).
 */
int
bgdb_begin(struct bgdb *db)
{
	const char	*p[1];
	char		 tok[16];
	int		 n;

	if (bgdb_exec(db, "BEGIN", 0, NULL) != 0)
		return -1;
	if ((n = lease_fence_token()) == 0)
		return 0;
	snprintf(tok, sizeof(tok), "%d", n);
	p[0] = tok;
	if (bgdb_exec(db, "SELECT lease_fence($1)", 1, p) != 0) {
		bgdb_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * A statement that writes: inside the caller's transaction when one is
 * open, else (with a lock) in one of its own behind the fence, else
 * alone.  0 or -1 (err set).
 */
int
bgdb_write(struct bgdb *db, const char *sql, int n, const char *const *params)
{
	PGconn	*pg;

	if (lease_fence_token() == 0 || ((pg = bgdb_conn(db)) != NULL &&
	    PQtransactionStatus(pg) == PQTRANS_INTRANS))
		return bgdb_exec(db, sql, n, params);
	if (bgdb_begin(db) != 0)
		return -1;
	if (bgdb_exec(db, sql, n, params) != 0) {
		bgdb_rollback(db);
		return -1;
	}
	return bgdb_commit(db);
}
