/*
 * Event counters for rate limiting (failed logins per username and per
 * username and client address, registrations per address and in all):
 * at most `max` events per key within a fixed window (ratelimit_blocked),
 * or, for logins, a growing delay instead of the rest of the window
 * (ratelimit_backoff: after max failures, each further one doubles the
 * wait, from window / 16, and the wait never outlasts the window).
 * Bounded memory: a full table forgets the entry whose window is oldest.
 * Keys are compared on their first RATELIMIT_KEY_MAX - 1 bytes.
 * Single-threaded (the event loop's).
 */
#ifndef ABC_RATELIMIT_H
#define ABC_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_MAX	80

struct ratelimit;

struct ratelimit *ratelimit_new(size_t capacity, unsigned max,
		    int64_t window_ms);
void		 ratelimit_free(struct ratelimit *rl);
int		 ratelimit_blocked(const struct ratelimit *rl, const char *key,
		    int64_t now_ms, int64_t *retry_ms);
int		 ratelimit_backoff(const struct ratelimit *rl,
		    const char *key, int64_t now_ms, int64_t *retry_ms);
unsigned	 ratelimit_count(const struct ratelimit *rl, const char *key,
		    int64_t now_ms);
void		 ratelimit_fail(struct ratelimit *rl, const char *key,
		    int64_t now_ms);
void		 ratelimit_clear(struct ratelimit *rl, const char *key);

#endif /* ABC_RATELIMIT_H */
