/*
 * The counters and their flusher (see counter.h).  Entries live in a dense
 * array indexed by an open-addressing hash of (campaign, idx, minute);
 * taking them all empties both at once, so no deletion is ever needed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "client.h"
#include "clock.h"
#include "counter.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

#define COUNTER_SLOTS	(COUNTER_CAP * 2)	/* hash slots, load <= 1/2 */
#define COUNTER_EMPTY	UINT16_MAX		/* hash slot unused */
#define COUNTER_IDEM	32			/* hex digits of a batch key */

struct counter {
	pthread_mutex_t		 lock;		/* guards rows..dropped */
	struct stats_row	 rows[COUNTER_CAP];
	size_t			 n;
	uint16_t		 index[COUNTER_SLOTS];	/* into rows */
	uint64_t		 dropped;
	struct stats_uniq	 uniq[COUNTER_UNIQ];	/* searched linearly */
	size_t			 nuniq;
	/* The flusher (its thread only, but for stopping). */
	struct client		*client;	/* borrowed */
	int			 interval_ms, timeout_ms;
	struct stats_row	 pending[COUNTER_CAP];	/* the unanswered batch */
	size_t			 npending;
	struct stats_uniq	 pending_uniq[COUNTER_UNIQ];
	size_t			 npending_uniq;
	char			 idem[COUNTER_IDEM + 1];
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 stop_lock;	/* guards stopping */
	pthread_cond_t		 wake;
	int			 stopping;
};

struct counter *
counter_new(void)
{
	struct counter		*c;
	pthread_condattr_t	 attr;

	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->stop_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	memset(c->index, 0xff, sizeof(c->index));
	return c;
}

void
counter_free(struct counter *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->stop_lock);
	pthread_cond_destroy(&c->wake);
	free(c);
}

/* The hash slot of a key: a 64-bit mix (splitmix64's finaliser). */
static size_t
counter_hash(int64_t campaign, int64_t idx, int64_t minute)
{
	uint64_t	 h = (uint64_t)campaign * 0x9e3779b97f4a7c15ULL ^
			    (uint64_t)idx * 0xbf58476d1ce4e5b9ULL ^
			    (uint64_t)minute;

	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (size_t)(h % COUNTER_SLOTS);
}

/*
 * Counts impressions and clicks of slot (campaign, idx) in the minute of
 * now_ms, and marks bucket (0..63; -1: none) of the slot as seen.
 * Returns 0, or -1 when the table is full and the hit was dropped.
 */
int
counter_hit(struct counter *c, int64_t campaign, int64_t idx, int64_t now_ms,
    int64_t impressions, int64_t clicks, int bucket)
{
	struct stats_row	*r;
	int64_t			 minute = now_ms - now_ms % STATSBATCH_MINUTE_MS;
	size_t			 h;
	int			 rc = 0;

	if (now_ms < 0 || campaign < 1 || idx < 0 || idx > INT32_MAX)
		return -1;
	h = counter_hash(campaign, idx, minute);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (c->index[h] == COUNTER_EMPTY) {
			if (c->n == COUNTER_CAP) {
				c->dropped++;
				rc = -1;
				goto out;
			}
			c->index[h] = (uint16_t)c->n;
			r = &c->rows[c->n++];
			memset(r, 0, sizeof(*r));
			r->campaign = campaign;
			r->idx = idx;
			r->minute_ms = minute;
			break;
		}
		r = &c->rows[c->index[h]];
		if (r->campaign == campaign && r->idx == idx &&
		    r->minute_ms == minute)
			break;
		h = (h + 1) % COUNTER_SLOTS;
	}
	/* Counts stay under the batch bound: a minute of one abc-web. */
	if (r->impressions + impressions <= STATSBATCH_COUNT_MAX)
		r->impressions += impressions;
	if (r->clicks + clicks <= STATSBATCH_COUNT_MAX)
		r->clicks += clicks;
	if (bucket >= 0 && bucket < STATSBATCH_BUCKETS)
		r->mask |= (uint64_t)1 << bucket;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/*
 * Moves every entry (at most max; max >= COUNTER_CAP takes all) into out
 * and empties the table; returns how many.
 */
size_t
counter_take(struct counter *c, struct stats_row *out, size_t max)
{
	size_t	 n;

	pthread_mutex_lock(&c->lock);
	n = c->n < max ? c->n : max;
	memcpy(out, c->rows, n * sizeof(*out));
	if (n == c->n) {
		c->n = 0;
		memset(c->index, 0xff, sizeof(c->index));
	} else {
		/* Keep the rest: rebuild the index over what is left. */
		size_t	 i, h;

		memmove(c->rows, c->rows + n, (c->n - n) * sizeof(*out));
		c->n -= n;
		memset(c->index, 0xff, sizeof(c->index));
		for (i = 0; i < c->n; i++) {
			h = counter_hash(c->rows[i].campaign, c->rows[i].idx,
			    c->rows[i].minute_ms);
			while (c->index[h] != COUNTER_EMPTY)
				h = (h + 1) % COUNTER_SLOTS;
			c->index[h] = (uint16_t)i;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * Adds a viewer (hash: the keyed hash of address and day) to the sketch
 * of slot (campaign, idx) for the day of now_ms.  0, or -1 when the
 * sketches are all taken (dropped and counted).
 */
int
counter_viewer(struct counter *c, int64_t campaign, int64_t idx,
    int64_t now_ms, uint64_t hash)
{
	struct stats_uniq	*u = NULL;
	int64_t			 day = now_ms - now_ms % STATSBATCH_DAY_MS;
	size_t			 i;
	int			 rc = 0;

	if (now_ms < 0 || campaign < 1 || idx < 0 || idx > INT32_MAX)
		return -1;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nuniq && u == NULL; i++)
		if (c->uniq[i].campaign == campaign && c->uniq[i].idx == idx &&
		    c->uniq[i].day_ms == day)
			u = &c->uniq[i];
	if (u == NULL && c->nuniq < COUNTER_UNIQ) {
		u = &c->uniq[c->nuniq++];
		memset(u, 0, sizeof(*u));
		u->campaign = campaign;
		u->idx = idx;
		u->day_ms = day;
	}
	if (u != NULL)
		statsbatch_hll_add(u->regs, hash);
	else {
		c->dropped++;
		rc = -1;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Moves every sketch (at most max) into out; returns how many. */
size_t
counter_take_uniq(struct counter *c, struct stats_uniq *out, size_t max)
{
	size_t	 n;

	pthread_mutex_lock(&c->lock);
	n = c->nuniq < max ? c->nuniq : max;
	memcpy(out, c->uniq, n * sizeof(*out));
	memmove(c->uniq, c->uniq + n, (c->nuniq - n) * sizeof(*out));
	c->nuniq -= n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Hits dropped because the table was full, since start. */
uint64_t
counter_dropped(struct counter *c)
{
	uint64_t	 d;

	pthread_mutex_lock(&c->lock);
	d = c->dropped;
	pthread_mutex_unlock(&c->lock);
	return d;
}

/* A fresh idempotency key for a batch: 32 hex digits. */
static void
counter_new_idem(char out[COUNTER_IDEM + 1])
{
	unsigned char	 raw[COUNTER_IDEM / 2];
	size_t		 i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		abort();	/* no randomness: nothing is safe */
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/*
 * Sends the pending batch once.  Returns 1 when it is settled (applied,
 * or refused for good: logged, dropped), 0 when it must be sent again.
 */
static int
counter_send(struct counter *c)
{
	struct json_object	*req, *rep = NULL;
	enum app_err		 why;
	int			 settled = 0;
	int64_t			 nrows = 0;

	req = msg_request_new(MSG_OP_STATS_FLUSH);
	json_object_object_add(req, "idem", json_object_new_string(c->idem));
	json_object_object_add(req, "rows", statsbatch_encode(c->pending,
	    c->npending));
	json_object_object_add(req, "uniq", statsbatch_encode_uniq(
	    c->pending_uniq, c->npending_uniq));
	why = client_call(c->client, req, c->timeout_ms, 0, &rep);
	if (why != APP_OK)
		log_info("stats_flush_retry", "idem=%s rows=%zu error=\"%s\"",
		    c->idem, c->npending, app_strerror(why));
	else if (msg_reply_retryable(rep))
		log_info("stats_flush_retry", "idem=%s rows=%zu", c->idem,
		    c->npending);
	else if (msg_get_int(rep, "rows", &nrows) != 0) {
		log_error("stats_flush_refused", "idem=%s rows=%zu "
		    "error=\"%s\"", c->idem, c->npending,
		    msg_get_str(rep, "error") != NULL ? msg_get_str(rep,
		    "error") : "");
		settled = 1;
	} else
		settled = 1;
	json_object_put(req);
	json_object_put(rep);
	return settled;
}

/* One round: the pending batch, or a new one taken from the table. */
static void
counter_flush_once(struct counter *c)
{
	if (c->npending == 0 && c->npending_uniq == 0) {
		c->npending = counter_take(c, c->pending, COUNTER_CAP);
		c->npending_uniq = counter_take_uniq(c, c->pending_uniq,
		    COUNTER_UNIQ);
		if (c->npending == 0 && c->npending_uniq == 0)
			return;
		counter_new_idem(c->idem);
	}
	if (counter_send(c))
		c->npending = c->npending_uniq = 0;
}

static void *
counter_thread(void *arg)
{
	struct counter	*c = arg;
	struct timespec	 deadline;
	int		 last = 0;

	pthread_mutex_lock(&c->stop_lock);
	for (;;) {
		clock_abs_deadline(&deadline, c->interval_ms);
		while (!c->stopping && pthread_cond_timedwait(&c->wake,
		    &c->stop_lock, &deadline) != ETIMEDOUT)
			continue;
		/* On stop: one last round, so a clean stop loses nothing
		 * that abc-worker can take within the timeout. */
		last = c->stopping;
		pthread_mutex_unlock(&c->stop_lock);
		counter_flush_once(c);
		if (last && c->npending == 0 && c->npending_uniq == 0)
			counter_flush_once(c);
		pthread_mutex_lock(&c->stop_lock);
		if (last)
			break;
	}
	pthread_mutex_unlock(&c->stop_lock);
	return NULL;
}

/* Starts the flusher; 0, or -1 (logged). */
int
counter_start_flusher(struct counter *c, struct client *cl, int interval_ms,
    int timeout_ms)
{
	c->client = cl;
	c->interval_ms = interval_ms;
	c->timeout_ms = timeout_ms;
	if (pthread_create(&c->thread, NULL, counter_thread, c) != 0) {
		log_error("counter_start", "error=\"cannot start thread\"");
		return -1;
	}
	c->started = 1;
	return 0;
}

/* Stops the flusher after a last flush (bounded by the timeout). */
void
counter_stop_flusher(struct counter *c)
{
	if (c == NULL || !c->started)
		return;
	pthread_mutex_lock(&c->stop_lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->stop_lock);
	pthread_join(c->thread, NULL);
	c->started = 0;
}
