/*
 * abc-web's counters (SPEC 7): requests by status class and a latency
 * histogram, recorded lock-free by every FastCGI thread; rendered as
 * Prometheus text at /metrics together with the link's and the cache's
 * counters, and summarised (hit rate, p50/p99) on /status.
 */
#ifndef ABC_METRICS_H
#define ABC_METRICS_H

#include <stdint.h>

struct buf;
struct app;
struct metrics;

struct metrics	*metrics_new(void);
void		 metrics_free(struct metrics *m);
void		 metrics_record(struct metrics *m, int status, int64_t us);
int64_t		 metrics_percentile_us(struct metrics *m, unsigned per_mille);
void		 metrics_render(struct metrics *m, const struct app *app,
		    struct buf *out);

#endif /* ABC_METRICS_H */
