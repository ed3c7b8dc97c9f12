/*
 * Counters as C11 atomics: a request costs a handful of relaxed adds.
 * Latency buckets are powers of two of microseconds (1 us .. 33 s), so a
 * percentile is known to within a factor of two: enough for a status
 * page; the benchmarks measure precisely.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "cache.h"
#include "client.h"
#include "http.h"
#include "metrics.h"
#include "xmalloc.h"

#define METRICS_BUCKETS	26		/* le 2^0 .. 2^25 us */

struct metrics {
	atomic_uint_least64_t	 by_class[6];	/* 1xx..5xx; [0] other */
	atomic_uint_least64_t	 bucket[METRICS_BUCKETS + 1];
	atomic_uint_least64_t	 sum_us;
};

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	free(m);
}

/* Counts one answered request of the given status and duration. */
void
metrics_record(struct metrics *m, int status, int64_t us)
{
	int	 b = 0;

	atomic_fetch_add_explicit(&m->by_class[status >= 100 && status < 600 ?
	    status / 100 : 0], 1, memory_order_relaxed);
	while (b < METRICS_BUCKETS && us > (INT64_C(1) << b))
		b++;
	atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, (uint64_t)(us > 0 ? us : 0),
	    memory_order_relaxed);
}

/*
 * The upper bound (us) of the bucket holding the per_mille-th request
 * (500: median, 990: p99); 0 before any request.
 */
int64_t
metrics_percentile_us(struct metrics *m, unsigned per_mille)
{
	uint64_t	 n[METRICS_BUCKETS + 1], total = 0, seen = 0;
	int		 b;

	for (b = 0; b <= METRICS_BUCKETS; b++)
		total += n[b] = atomic_load_explicit(&m->bucket[b],
		    memory_order_relaxed);
	if (total == 0)
		return 0;
	for (b = 0; b <= METRICS_BUCKETS; b++) {
		seen += n[b];
		if (seen * 1000 >= total * per_mille)
			break;
	}
	return INT64_C(1) << (b < METRICS_BUCKETS ? b : METRICS_BUCKETS);
}

/* Appends every counter in Prometheus text format. */
void
metrics_render(struct metrics *m, const struct app *app, struct buf *out)
{
	struct client_stats	 ls;
	struct cache_stats	 cs;
	uint64_t		 cum = 0;
	int			 i;

	(void)buf_addstr(out, "# TYPE abc_web_requests_total counter\n");
	for (i = 1; i <= 5; i++)
		(void)buf_printf(out, "abc_web_requests_total{class=\"%dxx\"} "
		    "%llu\n", i, (unsigned long long)atomic_load(
		    &m->by_class[i]));
	(void)buf_addstr(out, "# TYPE abc_web_request_seconds histogram\n");
	for (i = 0; i <= METRICS_BUCKETS; i++) {
		cum += atomic_load(&m->bucket[i]);
		if (i < METRICS_BUCKETS)
			(void)buf_printf(out, "abc_web_request_seconds_bucket"
			    "{le=\"%lld.%06lld\"} %llu\n",
			    (long long)((INT64_C(1) << i) / 1000000),
			    (long long)((INT64_C(1) << i) % 1000000),
			    (unsigned long long)cum);
	}
	(void)buf_printf(out, "abc_web_request_seconds_bucket{le=\"+Inf\"} "
	    "%llu\nabc_web_request_seconds_count %llu\n"
	    "abc_web_request_seconds_sum %llu.%06llu\n",
	    (unsigned long long)cum, (unsigned long long)cum,
	    (unsigned long long)(atomic_load(&m->sum_us) / 1000000),
	    (unsigned long long)(atomic_load(&m->sum_us) % 1000000));
	client_stats(app->client, &ls);
	cache_get_stats(app->cache, &cs);
	(void)buf_printf(out, "# TYPE abc_web_link_up gauge\nabc_web_link_up %d\n"
	    "# TYPE abc_web_link_sessions_total counter\n"
	    "abc_web_link_sessions_total %llu\n"
	    "# TYPE abc_web_link_revalidations_total counter\n"
	    "abc_web_link_revalidations_total %llu\n"
	    "# TYPE abc_web_link_queued gauge\nabc_web_link_queued %zu\n"
	    "# TYPE abc_web_cache_hits_total counter\n"
	    "abc_web_cache_hits_total %llu\n"
	    "# TYPE abc_web_cache_misses_total counter\n"
	    "abc_web_cache_misses_total %llu\n"
	    "# TYPE abc_web_cache_bytes gauge\nabc_web_cache_bytes %zu\n",
	    ls.up, (unsigned long long)ls.connects,
	    (unsigned long long)ls.revalidations, ls.queued,
	    (unsigned long long)cs.hits, (unsigned long long)cs.misses,
	    cs.bytes);
}
