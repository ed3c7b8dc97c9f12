/*
 * abc-web's in-process cache of what pages read (SPEC 6): campaign states,
 * the campaign list and images, as the worker sent them.  Entries are
 * dropped by broadcast notices ("campaign_changed", "revalidate") and a
 * reader says how old an entry may be: the pages use a long age while the
 * link is up (notices keep entries fresh) and 100 ms while it is down.
 * Bounded by bytes; the least recently stored entries go first.
 * Thread-safe; values are copied in and out.
 */
#ifndef ABC_CACHE_H
#define ABC_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct cache;

struct cache_stats {
	uint64_t	 hits;
	uint64_t	 misses;
	size_t		 bytes;
	size_t		 entries;
};

struct cache	*cache_new(size_t max_bytes);
void		 cache_free(struct cache *c);
char		*cache_get(struct cache *c, const char *key, int64_t max_age_ms,
		    int64_t now_ms, size_t *len);
void		 cache_put(struct cache *c, const char *key, const char *val,
		    size_t len, int64_t now_ms);
void		 cache_drop(struct cache *c, const char *key);
void		 cache_clear(struct cache *c);
void		 cache_get_stats(struct cache *c, struct cache_stats *out);

#endif /* ABC_CACHE_H */
