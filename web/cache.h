/*
 * abc-web's in-process cache of what pages read (SPEC 6): campaign states,
 * the campaign list, the anonymous home page, images and, per user, the
 * account overview and pages of their ads, as the worker sent them (the
 * keys are made in web/cachekey.c).  Entries are dropped
 * by broadcast notices ("campaign_changed", "revalidate", ...) and by the
 * pages after a write (read-your-writes); a reader says how old an entry
 * may be: the pages use a long age while the link is up (notices keep
 * entries fresh) and 100 ms while it is down.
 *
 * Bounds: max_bytes of values (the least recently stored entries go first)
 * and max_bytes / CACHE_ENTRY_BYTES entries (at least CACHE_ENTRIES_MIN).
 * Keys are shorter than CACHE_KEY_MAX bytes.  Lookups go through a hash
 * index, so thousands of entries cost no more than a few.
 *
 * Memory: the cache copies key and value in cache_put(); cache_get()
 * returns a NUL-terminated copy that the caller frees with free();
 * cache_get_ref() returns the stored value itself, read-only, that the
 * caller lets go of with cache_unref() (it outlives a drop meanwhile).
 * Thread-safe: every call takes one mutex.
 *
 * Generations (no stale put after a drop).  A page that misses reads
 * gen = cache_gen(c) BEFORE it asks the worker, and passes gen to
 * cache_put() with the answer.  cache_put() refuses (returns 0) when the
 * key was dropped by cache_drop(), cache_drop_prefix() or cache_clear()
 * after gen was read, since the answer may predate the change that caused
 * the drop; the next reader then misses and asks again.  The check is
 * conservative: cache_drop() remembers the key in one of at most
 * CACHE_TOMBSTONES tombstones, and forgetting one (the oldest first),
 * cache_drop_prefix() and cache_clear() refuse every put whose gen is older
 * than the drop, whatever its key.  A refused put is never wrong, only
 * a missed chance to cache.
 *
 * Groups.  A key "<group>|<rest>" belongs to <group> (the text before the
 * first '|'), and cache_drop(c, "<group>") drops every entry of the group
 * at once, with the same generation rule (a put whose gen predates the
 * group's drop is refused), at the cost of one tombstone: abc-web keeps
 * everything it caches for one user in the group "u:<user id>", dropped
 * by that user's "account_changed" notice.  The group's own key may hold
 * a value too: "c:<id>|html" is dropped with the campaign "c:<id>".  A
 * group's entries are dropped
 * lazily (a get finds them outdated and frees them; the LRU bound evicts
 * the rest), and they are also outdated, conservatively, whenever the
 * floor rises while the group has no tombstone.
 */
#ifndef ABC_CACHE_H
#define ABC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX		128	/* bytes of a key, NUL included */
#define CACHE_ENTRY_BYTES	512	/* max_bytes per entry allowed */
#define CACHE_ENTRIES_MIN	16
#define CACHE_TOMBSTONES	4096	/* keys dropped remembered */

struct cache;

struct cache_stats {
	uint64_t	 hits;
	uint64_t	 misses;
	size_t		 bytes;		/* of values */
	size_t		 entries;	/* holding a value */
	size_t		 tombstones;
	uint64_t	 refused;	/* puts refused by generation */
	uint64_t	 evictions;	/* entries evicted by a bound */
};

struct cache	*cache_new(size_t max_bytes);
void		 cache_free(struct cache *c);
char		*cache_get(struct cache *c, const char *key, int64_t max_age_ms,
		    int64_t now_ms, size_t *len);
const char	*cache_get_ref(struct cache *c, const char *key,
		    int64_t max_age_ms, int64_t now_ms, size_t *len);
void		 cache_unref(const char *val);
uint64_t	 cache_gen(struct cache *c);
int		 cache_put(struct cache *c, const char *key, const char *val,
		    size_t len, int64_t now_ms, uint64_t gen);
void		 cache_drop(struct cache *c, const char *key);
void		 cache_drop_prefix(struct cache *c, const char *prefix);
void		 cache_clear(struct cache *c);
void		 cache_get_stats(struct cache *c, struct cache_stats *out);

#endif /* ABC_CACHE_H */
