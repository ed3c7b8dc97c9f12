/*
 * A doubly linked list of entries, newest first, under one mutex.  Lookup
 * is linear: the cache holds campaigns and images, hundreds of entries,
 * and a lookup costs less than rendering the page that asked.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "xmalloc.h"

#define CACHE_KEY_MAX	128

struct centry {
	char		 key[CACHE_KEY_MAX];
	char		*val;		/* owned, NUL-terminated */
	size_t		 len;
	int64_t		 at_ms;
	struct centry	*prev, *next;
};

struct cache {
	pthread_mutex_t	 lock;
	struct centry	*head, *tail;
	size_t		 bytes, max_bytes, entries;
	uint64_t	 hits, misses;
};

struct cache *
cache_new(size_t max_bytes)
{
	struct cache	*c;

	c = xcalloc(1, sizeof(*c));
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

/* Unlinks and frees e; lock held. */
static void
cache_remove(struct cache *c, struct centry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	c->bytes -= e->len;
	c->entries--;
	free(e->val);
	free(e);
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The entry of key, or NULL; lock held. */
static struct centry *
cache_find(struct cache *c, const char *key)
{
	struct centry	*e;

	for (e = c->head; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
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

	pthread_mutex_lock(&c->lock);
	e = cache_find(c, key);
	if (e != NULL && now_ms - e->at_ms <= max_age_ms) {
		val = xmalloc(e->len + 1);
		memcpy(val, e->val, e->len + 1);
		if (len != NULL)
			*len = e->len;
		c->hits++;
	} else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return val;
}

/* Stores a copy of val under key, evicting the oldest past the bound. */
void
cache_put(struct cache *c, const char *key, const char *val, size_t len,
    int64_t now_ms)
{
	struct centry	*e;

	if (strlen(key) >= CACHE_KEY_MAX || len > c->max_bytes)
		return;
	e = xcalloc(1, sizeof(*e));
	memcpy(e->key, key, strlen(key) + 1);
	e->val = xmalloc(len + 1);
	memcpy(e->val, val, len);
	e->val[len] = '\0';
	e->len = len;
	e->at_ms = now_ms;
	pthread_mutex_lock(&c->lock);
	if ((e->next = cache_find(c, key)) != NULL)
		cache_remove(c, e->next);
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
	c->bytes += len;
	c->entries++;
	while (c->bytes > c->max_bytes && c->tail != NULL && c->tail != e)
		cache_remove(c, c->tail);
	pthread_mutex_unlock(&c->lock);
}

void
cache_drop(struct cache *c, const char *key)
{
	struct centry	*e;

	pthread_mutex_lock(&c->lock);
	if ((e = cache_find(c, key)) != NULL)
		cache_remove(c, e);
	pthread_mutex_unlock(&c->lock);
}

void
cache_clear(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->head != NULL)
		cache_remove(c, c->head);
	pthread_mutex_unlock(&c->lock);
}

void
cache_get_stats(struct cache *c, struct cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->hits = c->hits;
	out->misses = c->misses;
	out->bytes = c->bytes;
	out->entries = c->entries;
	pthread_mutex_unlock(&c->lock);
}
