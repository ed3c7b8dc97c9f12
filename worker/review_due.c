/* The review deadline of moderated slots; see review_due.h. */
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "bgdb.h"
#include "lease.h"
#include "log.h"
#include "review_due.h"

/*
 * Pays out the slots whose review time has passed, in one statement (one
 * transaction: each slot is paid exactly once, a slot under a seller's
 * review lock is left for the next run).  Returns the number paid, or -1
 * with the bgdb's error set (the caller logs its health).
 */
int
review_due_run(struct bgdb *db)
{
	static const char	*sql = "SELECT count(*) FROM "
				    "camp_review_due($1::integer)";
	const char		*params[1];
	char			 lim[16];
	PGresult		*res;
	int			 n;

	if (!lease_may_act())
		return 0;
	snprintf(lim, sizeof(lim), "%d", REVIEW_DUE_PER_RUN);
	params[0] = lim;
	if ((res = bgdb_sql(db, sql, 1, params)) == NULL)
		return -1;
	n = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	if (n > 0)
		log_info("review_due", "paid=%d", n);
	return n;
}
