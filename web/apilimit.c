/*
 * Token buckets in a fixed array under one mutex, scanned linearly (a few
 * hundred keys active at once at most).  Tokens are counted in
 * thousandths so that refills of a few milliseconds are not lost.
 */
#include <pthread.h>
#include <stdlib.h>

#include "apilimit.h"
#include "xmalloc.h"

struct al_entry {
	int64_t		 key_id;	/* 0: free */
	int64_t		 milli;		/* tokens x 1000 */
	int64_t		 at_ms;		/* last refill */
};

struct apilimit {
	pthread_mutex_t	 lock;
	struct al_entry	*e;		/* owned */
	size_t		 capacity;
	int64_t		 rate;		/* tokens a second */
	int64_t		 burst;
};

struct apilimit *
apilimit_new(size_t capacity, unsigned rate_per_s, unsigned burst)
{
	struct apilimit	*al;

	al = xcalloc(1, sizeof(*al));
	al->e = xcalloc(capacity > 0 ? capacity : 1, sizeof(*al->e));
	al->capacity = capacity > 0 ? capacity : 1;
	al->rate = rate_per_s > 0 ? rate_per_s : 1;
	al->burst = burst > 0 ? burst : 1;
	pthread_mutex_init(&al->lock, NULL);
	return al;
}

void
apilimit_free(struct apilimit *al)
{
	if (al == NULL)
		return;
	pthread_mutex_destroy(&al->lock);
	free(al->e);
	free(al);
}

/* The entry of key_id, or a fresh one in the slot idle longest. */
static struct al_entry *
apilimit_find(struct apilimit *al, int64_t key_id, int64_t now_ms)
{
	struct al_entry	*old = &al->e[0];
	size_t		 i;

	for (i = 0; i < al->capacity; i++) {
		if (al->e[i].key_id == key_id)
			return &al->e[i];
		if (al->e[i].key_id == 0 || al->e[i].at_ms < old->at_ms)
			old = &al->e[i];
		if (al->e[i].key_id == 0)
			break;
	}
	old->key_id = key_id;
	old->milli = al->burst * 1000;
	old->at_ms = now_ms;
	return old;
}

/*
 * Takes one token of key_id's bucket.  Returns 1 when the request may
 * go on, 0 when over the limit (*retry_ms: when a token will be there).
 */
int
apilimit_take(struct apilimit *al, int64_t key_id, int64_t now_ms,
    int64_t *retry_ms)
{
	struct al_entry	*e;
	int64_t		 dt;
	int		 ok;

	pthread_mutex_lock(&al->lock);
	e = apilimit_find(al, key_id, now_ms);
	dt = now_ms - e->at_ms;
	if (dt > 0) {
		/* Capped first, so that a long idle time cannot overflow. */
		if (dt > 3600 * 1000)
			dt = 3600 * 1000;
		e->milli += dt * al->rate;
		if (e->milli > al->burst * 1000)
			e->milli = al->burst * 1000;
		e->at_ms = now_ms;
	}
	ok = e->milli >= 1000;
	if (ok)
		e->milli -= 1000;
	else
		*retry_ms = (1000 - e->milli + al->rate - 1) / al->rate;
	pthread_mutex_unlock(&al->lock);
	return ok;
}
