/*
 * The request module of abc-web's counters (issue 15): stats_flush, a batch
 * of impressions and clicks per (slot, minute) and the slots' liveness
 * masks, applied exactly once (REQ_DURABLE: sql/functions/stats_flush.sql
 * keeps the reply in request_log under the request's identity and the
 * batch's idempotency key, which abc-web keeps when it sends a batch
 * again).  The rows are validated here (common/statsbatch.c) before any
 * reaches SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "msg.h"
#include "ops_req.h"
#include "req_common.h"
#include "statsbatch.h"
#include "xmalloc.h"

/* Stages of stats_flush. */
enum stats_stage {
	STATS_START = REQ_START,
	STATS_STORED		/* stats_flush answered */
};

/* Frees what req_stats_flush allocated. */
static void
req_stats_free(struct stats_row *rows, struct stats_uniq *uniq, struct buf *a,
    int na)
{
	int	 k;

	free(rows);
	free(uniq);
	for (k = 0; k < na; k++)
		buf_clear(&a[k]);
}

/* Parses the batch and hands it to the database as ten arrays. */
static void
req_stats_flush(struct request *rq)
{
	struct stats_row	*rows;
	struct stats_uniq	*uniq;
	struct json_object	*rowsv, *uniqv;
	struct buf		 arr[10];
	struct db_job		*j;
	const char		*idem = msg_get_str(rq->body, "idem"), *why;
	size_t			 n, nu, len;
	int			 k;

	len = idem != NULL ? strlen(idem) : 0;
	if (len < 8 || len > 128) {
		ops_fail(rq, MSG_CODE_INVALID, "stats_flush needs an idem of "
		    "8 to 128 characters");
		return;
	}
	if (!json_object_object_get_ex(rq->body, "rows", &rowsv))
		rowsv = NULL;
	if (!json_object_object_get_ex(rq->body, "uniq", &uniqv))
		uniqv = NULL;
	rows = xcalloc(STATSBATCH_MAX, sizeof(*rows));
	uniq = xcalloc(STATSBATCH_UNIQ_MAX, sizeof(*uniq));
	for (k = 0; k < 10; k++)
		buf_init(&arr[k], 1024u * 1024u);
	if (statsbatch_parse(rowsv, rows, STATSBATCH_MAX, &n, &why) != 0 ||
	    statsbatch_parse_uniq(uniqv, uniq, STATSBATCH_UNIQ_MAX, &nu,
	    &why) != 0 || (n == 0 && nu == 0 && (why = "stats_flush: an "
	    "empty batch") != NULL)) {
		req_stats_free(rows, uniq, arr, 10);
		ops_fail(rq, MSG_CODE_INVALID, why);
		return;
	}
	if (statsbatch_sql_arrays(rows, n, arr) != 0 ||
	    statsbatch_sql_uniq(uniq, nu, arr + 6) != 0) {
		req_stats_free(rows, uniq, arr, 10);
		ops_fail(rq, MSG_CODE_INVALID, "stats_flush: batch too large");
		return;
	}
	j = req_durable_job(rq, "SELECT stats_flush($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $10, $11, $12, $13, $14)");
	for (k = 0; k < 10; k++)
		db_job_param(j, (const char *)arr[k].data);
	req_stats_free(rows, uniq, arr, 10);
	ops_db(rq, j, STATS_STORED);
}

/* stats_flush: one durable call, then its stored reply. */
static void
req_stats_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	(void)kj;
	(void)cj;
	if (rq->stage == STATS_START)
		req_stats_flush(rq);
	else
		ops_finish_stored(rq, dj);
}

const struct req_row req_stats_rows[] = {
	{ MSG_OP_STATS_FLUSH, "stats_flush", REQ_DURABLE, req_stats_step },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
