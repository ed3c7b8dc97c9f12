/*
 * Per-key rate limits of the JSON API (issue 15): a token bucket per API
 * key id in each abc-web, `rate` requests a second with bursts of
 * `burst`.  Bounded: a full table reuses the entry idle longest (that key
 * starts again with a full bucket, which only ever errs toward allowing).
 * With n abc-web behind nginx a key may get up to n times the rate.
 * Thread-safe (one mutex; a take is a short scan).
 *
 * Ownership: the table owns its entries.
 */
#ifndef ABC_APILIMIT_H
#define ABC_APILIMIT_H

#include <stddef.h>
#include <stdint.h>

struct apilimit;

struct apilimit	*apilimit_new(size_t capacity, unsigned rate_per_s,
		    unsigned burst);
void		 apilimit_free(struct apilimit *al);
int		 apilimit_take(struct apilimit *al, int64_t key_id,
		    int64_t now_ms, int64_t *retry_ms);

#endif /* ABC_APILIMIT_H */
