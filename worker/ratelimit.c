/* Fixed-window failure counters in a small table searched linearly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "xmalloc.h"

struct rl_entry {
	char		 key[RATELIMIT_KEY_MAX];	/* "" when free */
	unsigned	 count;
	int64_t		 start_ms;			/* window start */
	int64_t		 last_ms;			/* latest event */
};

struct ratelimit {
	struct rl_entry	*e;		/* owned, capacity entries */
	size_t		 capacity;
	unsigned	 max;
	int64_t		 window_ms;
};

/* A table of capacity keys allowing max failures per window_ms. */
struct ratelimit *
ratelimit_new(size_t capacity, unsigned max, int64_t window_ms)
{
	struct ratelimit	*rl;

	rl = xcalloc(1, sizeof(*rl));
	rl->e = xcalloc(capacity, sizeof(*rl->e));
	rl->capacity = capacity;
	rl->max = max;
	rl->window_ms = window_ms;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->e);
	free(rl);
}

/* The entry of key, live or stale (each key has at most one), or NULL. */
static struct rl_entry *
rl_lookup(const struct ratelimit *rl, const char *key)
{
	size_t	 i;

	for (i = 0; i < rl->capacity; i++)
		if (rl->e[i].key[0] != '\0' &&
		    strncmp(rl->e[i].key, key, RATELIMIT_KEY_MAX - 1) == 0)
			return &rl->e[i];
	return NULL;
}

/* The entry of key if its window is still running, or NULL. */
static struct rl_entry *
rl_find(const struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct rl_entry	*e = rl_lookup(rl, key);

	return e != NULL && now_ms - e->start_ms < rl->window_ms ? e : NULL;
}

/*
 * Returns non-zero when key used up its failures in the current window;
 * *retry_ms (may be NULL) is then how long until the window ends.
 */
int
ratelimit_blocked(const struct ratelimit *rl, const char *key,
    int64_t now_ms, int64_t *retry_ms)
{
	const struct rl_entry	*e;

	if ((e = rl_find(rl, key, now_ms)) == NULL || e->count < rl->max)
		return 0;
	if (retry_ms != NULL)
		*retry_ms = e->start_ms + rl->window_ms - now_ms;
	return 1;
}

/*
 * Returns non-zero when key must wait: it failed max times or more in the
 * current window and its latest failure was less than
 * (window / 16) << (count - max) ago; *retry_ms (may be NULL) is then how
 * long it must still wait (never past the window's end).  So the first
 * wait is short and each failure after one doubles it.
 */
int
ratelimit_backoff(const struct ratelimit *rl, const char *key,
    int64_t now_ms, int64_t *retry_ms)
{
	const struct rl_entry	*e;
	int64_t			 wait, until, base;
	unsigned		 extra;

	if ((e = rl_find(rl, key, now_ms)) == NULL || e->count < rl->max)
		return 0;
	base = rl->window_ms / 16 > 0 ? rl->window_ms / 16 : 1;
	extra = e->count - rl->max;
	wait = extra >= 16 ? rl->window_ms : base << extra;
	until = e->last_ms + wait;
	if (until > e->start_ms + rl->window_ms)
		until = e->start_ms + rl->window_ms;
	if (now_ms >= until)
		return 0;
	if (retry_ms != NULL)
		*retry_ms = until - now_ms;
	return 1;
}

/* How many events key had in its current window (0 when none runs). */
unsigned
ratelimit_count(const struct ratelimit *rl, const char *key, int64_t now_ms)
{
	const struct rl_entry	*e = rl_find(rl, key, now_ms);

	return e != NULL ? e->count : 0;
}

/* Counts one failure for key, starting a window if none is running. */
void
ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct rl_entry	*e, *slot = NULL;
	size_t		 i;

	if ((e = rl_lookup(rl, key)) != NULL &&
	    now_ms - e->start_ms < rl->window_ms) {
		e->count++;
		e->last_ms = now_ms;
		return;
	}
	/* This key's stale entry, else a free or expired one, else the oldest. */
	for (i = 0; e == NULL && i < rl->capacity; i++) {
		if (rl->e[i].key[0] == '\0' ||
		    now_ms - rl->e[i].start_ms >= rl->window_ms) {
			slot = &rl->e[i];
			break;
		}
		if (slot == NULL || rl->e[i].start_ms < slot->start_ms)
			slot = &rl->e[i];
	}
	if (e != NULL)
		slot = e;
	if (slot == NULL)
		return;		/* capacity 0: nothing is ever limited */
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->count = 1;
	slot->start_ms = now_ms;
	slot->last_ms = now_ms;
}

/* Forgets key's failures (after a success). */
void
ratelimit_clear(struct ratelimit *rl, const char *key)
{
	size_t	 i;

	for (i = 0; i < rl->capacity; i++)
		if (strncmp(rl->e[i].key, key, RATELIMIT_KEY_MAX - 1) == 0)
			rl->e[i].key[0] = '\0';
}
