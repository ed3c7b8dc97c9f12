/*
 * Nodes under one mutex, found through a hash index (FNV-1a, chained
 * buckets, doubled when there are more nodes than buckets).  A node either
 * holds a value, and then sits on the LRU list (newest first), or is
 * a tombstone, and then sits on the tombstone list (newest drop first).
 *
 * Generations: c->gen counts drops.  A node remembers drop_gen, the
 * generation of the last drop of its key (0: none), also once a value is
 * stored again, so that a late put from before that drop is still
 * refused.  c->floor is the oldest generation a put may carry: raised to
 * c->gen by cache_clear() and cache_drop_prefix(), and to drop_gen when a
 * node that carries one is forgotten (oldest tombstone, evicted entry).
 * A put with gen < floor or gen < its node's drop_gen is refused.
 *
 * Groups: a key "<group>|<rest>" also looks up the node named <group>
 * (a value or a tombstone: only its drop_gen counts).  The group's
 * version is that node's drop_gen, or the floor when it has none: every drop of
 * the group makes a new, larger version, and forgetting the node raises
 * the floor to at least its drop_gen, so a version never comes back.  A
 * value remembers the version it was stored under (gver) and is served
 * only while the group still has that version; a put is also refused when
 * gen is older than the group's drop.  Dropping a group is thus one
 * tombstone, however many entries it has (a user's pages of ads).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "xmalloc.h"

#define CACHE_BUCKETS_MIN	64

struct centry {
	struct centry	*hnext;		/* bucket chain */
	struct centry	*prev, *next;	/* LRU or tombstone list */
	uint64_t	 hash;
	uint64_t	 drop_gen;	/* last drop of key, 0: none */
	uint64_t	 gver;		/* group version when stored */
	char		*val;		/* owned, NUL-terminated; NULL: tomb */
	size_t		 len;
	int64_t		 at_ms;
	char		 key[];
};

struct clist {
	struct centry	*head, *tail;	/* newest first */
};

struct cache {
	pthread_mutex_t	 lock;
	struct centry	**buckets;
	size_t		 nbuckets;	/* a power of two */
	size_t		 nodes;		/* entries + tombstones */
	struct clist	 lru, tombs;
	size_t		 bytes, max_bytes, entries, max_entries, ntombs;
	uint64_t	 gen, floor;
	uint64_t	 hits, misses, refused, evictions;
};

/* 64-bit FNV-1a of the n bytes at s. */
static uint64_t
cache_hash_n(const char *s, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* 64-bit FNV-1a of s. */
static uint64_t
cache_hash(const char *s)
{
	return cache_hash_n(s, strlen(s));
}

/* Puts e at the head (newest end) of l. */
static void
clist_push(struct clist *l, struct centry *e)
{
	e->prev = NULL;
	e->next = l->head;
	if (l->head != NULL)
		l->head->prev = e;
	else
		l->tail = e;
	l->head = e;
}

/* Takes e out of l. */
static void
clist_unlink(struct clist *l, struct centry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

struct cache *
cache_new(size_t max_bytes)
{
	struct cache	*c;

	c = xcalloc(1, sizeof(*c));
	c->max_bytes = max_bytes;
	c->max_entries = max_bytes / CACHE_ENTRY_BYTES;
	if (c->max_entries < CACHE_ENTRIES_MIN)
		c->max_entries = CACHE_ENTRIES_MIN;
	c->nbuckets = CACHE_BUCKETS_MIN;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

/* The node of key (hash h), value or tombstone, or NULL; lock held. */
static struct centry *
cache_find(struct cache *c, const char *key, uint64_t h)
{
	struct centry	*e;

	for (e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/*
 * The version of key's group (see the top), 0 when key is in no group;
 * *drop (may be NULL) gets the generation of the group's last drop that
 * is still remembered (0: none).  Lock held.
 */
static uint64_t
cache_group_version(struct cache *c, const char *key, uint64_t *drop)
{
	const char	*bar = strchr(key, '|');
	struct centry	*e;
	uint64_t	 h;
	size_t		 n;

	if (drop != NULL)
		*drop = 0;
	if (bar == NULL)
		return 0;
	n = (size_t)(bar - key);
	h = cache_hash_n(key, n);
	for (e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strncmp(e->key, key, n) == 0 &&
		    e->key[n] == '\0')
			break;
	if (e == NULL || e->drop_gen == 0)
		return c->floor;
	if (drop != NULL)
		*drop = e->drop_gen;
	return e->drop_gen;
}

/* Doubles the bucket array; lock held. */
static void
cache_grow(struct cache *c)
{
	struct centry	**nb, *e, *next;
	size_t		  i, n = c->nbuckets * 2;

	nb = xcalloc(n, sizeof(*nb));
	for (i = 0; i < c->nbuckets; i++)
		for (e = c->buckets[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(c->buckets);
	c->buckets = nb;
	c->nbuckets = n;
}

/* A new node for key (hash h), in the index but on no list; lock held. */
static struct centry *
cache_node_new(struct cache *c, const char *key, uint64_t h)
{
	struct centry	*e;
	size_t		 klen = strlen(key);
	struct centry	**b;

	e = xcalloc(1, sizeof(*e) + klen + 1);
	memcpy(e->key, key, klen + 1);
	e->hash = h;
	if (c->nodes >= c->nbuckets)
		cache_grow(c);
	b = &c->buckets[h & (c->nbuckets - 1)];
	e->hnext = *b;
	*b = e;
	c->nodes++;
	return e;
}

/*
 * A stored value: its bytes, NUL-ended, after a count of who holds them,
 * the entry and each reader of cache_get_ref, so that a reader reads a
 * large value without copying it and an entry dropped meanwhile frees it
 * only when the last reader is done.  An entry's val points at data.
 */
struct cache_val {
	atomic_uint	 refs;
	char		 data[];
};

/* A value of len bytes copied from val, held once (by its entry). */
static char *
cache_val_new(const char *val, size_t len)
{
	struct cache_val	*v;

	v = xmalloc(offsetof(struct cache_val, data) + len + 1);
	atomic_init(&v->refs, 1);
	memcpy(v->data, val, len);
	v->data[len] = '\0';
	return v->data;
}

/* Lets go of data (a value's, or NULL); the last holder frees it. */
static void
cache_val_unref(const char *data)
{
	struct cache_val	*v;

	if (data == NULL)
		return;
	v = (struct cache_val *)(void *)(data - offsetof(struct cache_val,
	    data));
	if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
		free(v);
}

/* Takes e, already on no list, out of the index and frees it; lock held. */
static void
cache_node_free(struct cache *c, struct centry *e)
{
	struct centry	**p;

	for (p = &c->buckets[e->hash & (c->nbuckets - 1)]; *p != NULL;
	    p = &(*p)->hnext)
		if (*p == e) {
			*p = e->hnext;
			break;
		}
	c->nodes--;
	cache_val_unref(e->val);
	free(e);
}

/* Raises the floor to g; lock held. */
static void
cache_raise_floor(struct cache *c, uint64_t g)
{
	if (g > c->floor)
		c->floor = g;
}

/* Takes e's value away and off the LRU list; lock held. */
static void
cache_unset(struct cache *c, struct centry *e)
{
	clist_unlink(&c->lru, e);
	c->bytes -= e->len;
	c->entries--;
	cache_val_unref(e->val);
	e->val = NULL;
	e->len = 0;
}

/* Takes tombstone e off the tombstone list; lock held. */
static void
cache_untomb(struct cache *c, struct centry *e)
{
	clist_unlink(&c->tombs, e);
	c->ntombs--;
}

/*
 * Forgets node e (value or tombstone) for good; what its drop_gen guarded
 * the floor now guards.  Lock held.
 */
static void
cache_forget(struct cache *c, struct centry *e)
{
	if (e->val != NULL)
		cache_unset(c, e);
	else
		cache_untomb(c, e);
	cache_raise_floor(c, e->drop_gen);
	cache_node_free(c, e);
}

/* Frees every tombstone, once the floor covers them all; lock held. */
static void
cache_free_tombs(struct cache *c)
{
	while (c->tombs.tail != NULL)
		cache_forget(c, c->tombs.tail);
}

/* Frees every entry and tombstone; lock held. */
static void
cache_free_all(struct cache *c)
{
	while (c->lru.tail != NULL)
		cache_forget(c, c->lru.tail);
	cache_free_tombs(c);
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_free_all(c);
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * key's entry (h its hash) when it holds a value stored no more than
 * max_age_ms ago and its group was not dropped since (else NULL; such an
 * entry is forgotten), counted as a hit or a miss; lock held.
 */
static struct centry *
cache_fresh(struct cache *c, const char *key, uint64_t h, int64_t max_age_ms,
    int64_t now_ms)
{
	struct centry	*e;

	e = cache_find(c, key, h);
	if (e != NULL && e->val != NULL &&
	    e->gver != cache_group_version(c, key, NULL)) {
		cache_forget(c, e);	/* its group was dropped since */
		e = NULL;
	}
	if (e != NULL && e->val != NULL && now_ms - e->at_ms <= max_age_ms) {
		c->hits++;
		return e;
	}
	c->misses++;
	return NULL;
}

/*
 * Returns a copy of key's value (the caller frees it) when stored no more
 * than max_age_ms ago, else NULL.  *len (may be NULL) gets its length.
 */
char *
cache_get(struct cache *c, const char *key, int64_t max_age_ms,
    int64_t now_ms, size_t *len)
{
	struct centry	*e;
	char		*val = NULL;
	uint64_t	 h = cache_hash(key);	/* outside the lock */

	pthread_mutex_lock(&c->lock);
	if ((e = cache_fresh(c, key, h, max_age_ms, now_ms)) != NULL) {
		val = xmalloc(e->len + 1);
		memcpy(val, e->val, e->len + 1);
		if (len != NULL)
			*len = e->len;
	}
	pthread_mutex_unlock(&c->lock);
	return val;
}

/*
 * As cache_get, but the value itself, not a copy: the caller reads it (NUL
 * is after its *len bytes), never writes it, and lets go of it with
 * cache_unref.  For large values read on every page.
 */
const char *
cache_get_ref(struct cache *c, const char *key, int64_t max_age_ms,
    int64_t now_ms, size_t *len)
{
	struct centry	*e;
	const char	*val = NULL;
	uint64_t	 h = cache_hash(key);	/* outside the lock */

	pthread_mutex_lock(&c->lock);
	if ((e = cache_fresh(c, key, h, max_age_ms, now_ms)) != NULL) {
		val = e->val;
		atomic_fetch_add_explicit(&((struct cache_val *)(void *)
		    (e->val - offsetof(struct cache_val, data)))->refs, 1,
		    memory_order_relaxed);
		if (len != NULL)
			*len = e->len;
	}
	pthread_mutex_unlock(&c->lock);
	return val;
}

/* Lets go of a value of cache_get_ref (NULL: nothing). */
void
cache_unref(const char *val)
{
	cache_val_unref(val);
}

/* The current generation: read it before asking the worker. */
uint64_t
cache_gen(struct cache *c)
{
	uint64_t	 g;

	pthread_mutex_lock(&c->lock);
	g = c->gen;
	pthread_mutex_unlock(&c->lock);
	return g;
}

/* Evicts the least recently stored entries but keep past the bounds. */
static void
cache_evict(struct cache *c, struct centry *keep)
{
	while ((c->bytes > c->max_bytes || c->entries > c->max_entries) &&
	    c->lru.tail != NULL && c->lru.tail != keep) {
		cache_forget(c, c->lru.tail);
		c->evictions++;
	}
}

/*
 * Stores val (len bytes, copied) under key as of now_ms, unless key was
 * dropped after gen was read (see cache.h).  A value larger than the cache
 * is not stored and forgets the older one.  Returns 1 stored, 0 not.
 */
int
cache_put(struct cache *c, const char *key, const char *val, size_t len,
    int64_t now_ms, uint64_t gen)
{
	struct centry	*e;
	char		*copy;
	uint64_t	 h, gver, gdrop;

	if (strlen(key) >= CACHE_KEY_MAX)
		return 0;
	h = cache_hash(key);
	if (len <= c->max_bytes)	/* never changes: no lock */
		copy = cache_val_new(val, len);
	else
		copy = NULL;
	pthread_mutex_lock(&c->lock);
	e = cache_find(c, key, h);
	gver = cache_group_version(c, key, &gdrop);
	if (gen < c->floor || (e != NULL && gen < e->drop_gen) ||
	    gen < gdrop) {
		c->refused++;
		goto out;
	}
	if (copy == NULL) {
		if (e != NULL && e->val != NULL)
			cache_forget(c, e);
		goto out;
	}
	if (e == NULL)
		e = cache_node_new(c, key, h);
	else if (e->val != NULL)
		cache_unset(c, e);
	else
		cache_untomb(c, e);
	e->val = copy;
	e->len = len;
	e->at_ms = now_ms;
	e->gver = gver;
	clist_push(&c->lru, e);
	c->bytes += len;
	c->entries++;
	cache_evict(c, e);
	pthread_mutex_unlock(&c->lock);
	return 1;
out:
	pthread_mutex_unlock(&c->lock);
	cache_val_unref(copy);
	return 0;
}

/*
 * Drops key's value, if any, and leaves a tombstone that refuses puts
 * with an older generation; the oldest tombstones go past the bound.
 */
void
cache_drop(struct cache *c, const char *key)
{
	struct centry	*e;
	uint64_t	 h = cache_hash(key);

	pthread_mutex_lock(&c->lock);
	c->gen++;
	if (strlen(key) < CACHE_KEY_MAX) {
		if ((e = cache_find(c, key, h)) == NULL)
			e = cache_node_new(c, key, h);
		else if (e->val != NULL)
			cache_unset(c, e);
		else
			cache_untomb(c, e);
		e->drop_gen = c->gen;
		clist_push(&c->tombs, e);
		c->ntombs++;
		while (c->ntombs > CACHE_TOMBSTONES)
			cache_forget(c, c->tombs.tail);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Drops every entry whose key starts with prefix, and refuses every put
 * whose generation was read before.
 */
void
cache_drop_prefix(struct cache *c, const char *prefix)
{
	struct centry	*e, *next;
	size_t		 plen = strlen(prefix);

	pthread_mutex_lock(&c->lock);
	c->gen++;
	c->floor = c->gen;
	for (e = c->lru.head; e != NULL; e = next) {
		next = e->next;
		if (strncmp(e->key, prefix, plen) == 0)
			cache_forget(c, e);
	}
	cache_free_tombs(c);
	pthread_mutex_unlock(&c->lock);
}

/* Drops everything, and refuses every put whose generation was read before. */
void
cache_clear(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->gen++;
	c->floor = c->gen;
	cache_free_all(c);
	pthread_mutex_unlock(&c->lock);
}

/* Copies the counters into *out. */
void
cache_get_stats(struct cache *c, struct cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->hits = c->hits;
	out->misses = c->misses;
	out->bytes = c->bytes;
	out->entries = c->entries;
	out->tombstones = c->ntombs;
	out->refused = c->refused;
	out->evictions = c->evictions;
	pthread_mutex_unlock(&c->lock);
}
