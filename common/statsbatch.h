/*
 * statsbatch: the body of a stats_flush request (issue 15), the one shape
 * both ends of the link agree on.  abc-web's counters (web/counter.c) send
 * totals per (slot, minute) as rows [campaign, idx, minute_ms, impressions,
 * clicks, mask]; abc-worker parses and validates them before they reach
 * SQL (sql/functions/stats_flush.sql), since the link's bytes are outside
 * input to the worker like any other.  mask: bit b set = the slot's embed
 * was served in bucket b of its 64 (sql/018_slot_liveness.sql).
 *
 * Ownership: statsbatch_encode(_uniq) returns a new json-c object (one reference,
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

/*
 * Unique viewers per slot and day (issue 15): a HyperLogLog of
 * STATSBATCH_HLL_M one-byte registers over a keyed 64-bit hash of the
 * viewer's address and the day (web/page_public.c), so no address is
 * kept anywhere.  Merged by the maximum of each register (the database
 * does the same, sql/functions/hll_merge.sql), so two abc-webs and any
 * number of flushes count a viewer once.  Standard error 1.04 / sqrt(M):
 * 6.5 %.  On the wire: [campaign, idx, day_ms, "<2 * M hex digits>"].
 */
#define STATSBATCH_HLL_M	256
#define STATSBATCH_DAY_MS	86400000LL
#define STATSBATCH_UNIQ_MAX	256	/* (slot, day) sketches per flush */

struct stats_uniq {
	int64_t		 campaign;
	int64_t		 idx;
	int64_t		 day_ms;	/* a multiple of STATSBATCH_DAY_MS */
	uint8_t		 regs[STATSBATCH_HLL_M];
};

void			 statsbatch_hll_add(uint8_t regs[STATSBATCH_HLL_M],
			    uint64_t hash);
int64_t			 statsbatch_hll_estimate(
			    const uint8_t regs[STATSBATCH_HLL_M]);
struct json_object	*statsbatch_encode_uniq(const struct stats_uniq *u,
			    size_t n);
int			 statsbatch_parse_uniq(struct json_object *v,
			    struct stats_uniq *out, size_t max, size_t *n,
			    const char **why);
int			 statsbatch_sql_uniq(const struct stats_uniq *u,
			    size_t n, struct buf out[4]);
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
