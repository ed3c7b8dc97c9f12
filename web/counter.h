/*
 * counter: abc-web's in-memory counts of impressions and clicks per (slot,
 * minute) and of which of a slot's 64 time buckets its embed was served in
 * (issue 15), flushed to abc-worker as one stats_flush request every
 * interval_ms, so a view never costs a database write of its own.
 *
 * Unique viewers (counter_viewer): one HyperLogLog sketch per (slot, day)
 * seen since the last flush (common/statsbatch.h), at most COUNTER_UNIQ
 * of them (256 bytes each), merged by max in the database.
 *
 * Bounded: at most COUNTER_CAP distinct (slot, minute) entries wait
 * between flushes; a hit for a new entry beyond that is dropped and
 * counted (counter_dropped; not yet on /metrics), never blocking a page.
 * Thread-safe: the page threads call counter_hit, the flusher thread
 * takes the entries, all under one mutex held for a few instructions.
 *
 * Exactly once: a taken batch gets a fresh random idempotency key and is
 * sent again, the same rows under the same key, until abc-worker answers
 * it (ok or a refusal); a lost reply is never a second count.  Only then
 * is the next batch taken.  Loss bound: SIGKILL of abc-web loses what was
 * counted since the last answered flush, i.e. at most one interval (plus
 * the flush's round trip) while abc-worker answers; while it does not,
 * the counts wait in memory (bounded as above) and are lost with the
 * process.
 *
 * Ownership: counter_new returns a table the caller frees with
 * counter_free after counter_stop_flusher; the flusher borrows the client.
 */
#ifndef ABC_COUNTER_H
#define ABC_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "statsbatch.h"

struct client;
struct counter;

/* Distinct (slot, minute) entries between two flushes: one batch. */
#define COUNTER_CAP	STATSBATCH_MAX
/* (slot, day) sketches between two flushes. */
#define COUNTER_UNIQ	STATSBATCH_UNIQ_MAX

struct counter	*counter_new(void);
void		 counter_free(struct counter *c);
int		 counter_hit(struct counter *c, int64_t campaign, int64_t idx,
		    int64_t now_ms, int64_t impressions, int64_t clicks,
		    int bucket);
size_t		 counter_take(struct counter *c, struct stats_row *out,
		    size_t max);
int		 counter_viewer(struct counter *c, int64_t campaign,
		    int64_t idx, int64_t now_ms, uint64_t hash);
size_t		 counter_take_uniq(struct counter *c, struct stats_uniq *out,
		    size_t max);
uint64_t	 counter_dropped(struct counter *c);
int		 counter_start_flusher(struct counter *c, struct client *cl,
		    int interval_ms, int timeout_ms);
void		 counter_stop_flusher(struct counter *c);

#endif /* ABC_COUNTER_H */
