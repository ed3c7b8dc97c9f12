/*
 * statsbatch: the body of a stats_flush request (issue 15), the one shape
 * both ends of the link agree on.  abc-web's counters (web/counter.c) send
 * totals per (slot, minute) as rows [campaign, idx, minute_ms, impressions,
 * clicks, mask]; abc-worker parses and validates them before they reach
 * SQL (sql/functions/stats_flush.sql), since the link's bytes are outside
 * input to the worker like any other.  mask: bit b set = the slot's embed
 * was served in bucket b of its 64 (sql/018_slot_liveness.sql).
 *
 * Ownership: statsbatch_encode returns a new json-c object (one reference,
 * the caller's).  statsbatch_parse fills the caller's array; nothing kept.
 * statsbatch_sql_arrays appends to the caller's bufs.
 */
#ifndef ABC_STATSBATCH_H
#define ABC_STATSBATCH_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

/* Rows per flush request: a batch stays far below the link's frame bound
 * (each row is under 100 bytes of JSON). */
#define STATSBATCH_MAX		2000
/* A row's counts are per minute and one abc-web: more is a forged row. */
#define STATSBATCH_COUNT_MAX	1000000000LL
#define STATSBATCH_MINUTE_MS	60000
#define STATSBATCH_BUCKETS	64

struct stats_row {
	int64_t		 campaign;	/* >= 1 */
	int64_t		 idx;		/* 0 .. INT32_MAX */
	int64_t		 minute_ms;	/* >= 0, a multiple of 60000 */
	int64_t		 impressions;	/* 0 .. STATSBATCH_COUNT_MAX */
	int64_t		 clicks;	/* 0 .. STATSBATCH_COUNT_MAX */
	uint64_t	 mask;		/* buckets of the slot seen */
};

struct json_object	*statsbatch_encode(const struct stats_row *rows,
			    size_t n);
int			 statsbatch_parse(struct json_object *rowsv,
			    struct stats_row *out, size_t max, size_t *n,
			    const char **why);
int			 statsbatch_sql_arrays(const struct stats_row *rows,
			    size_t n, struct buf out[6]);
int			 statsbatch_bucket(int64_t start_ms, int64_t end_ms,
			    int64_t now_ms);

#endif /* ABC_STATSBATCH_H */
