/* Millisecond clocks and deadlines for pthread_cond_timedwait. */
#include <stdio.h>
#include <time.h>

#include "clock.h"

static int64_t
clock_ms(clockid_t id)
{
	struct timespec	 ts;

	(void)clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic milliseconds, for timeouts and intervals. */
int64_t
clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* Monotonic microseconds, for measuring short durations. */
int64_t
clock_mono_us(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Milliseconds since the Unix epoch. */
int64_t
clock_real_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

/*
 * Fills ts with now + timeout_ms on CLOCK_MONOTONIC, for condition
 * variables created with pthread_condattr_setclock(CLOCK_MONOTONIC).
 */
void
clock_abs_deadline(struct timespec *ts, int64_t timeout_ms)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (timeout_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Writes real_ms as "2026-11-21 23:07:01 UTC"; 0, or -1 if it won't fit. */
int
clock_format_utc(int64_t real_ms, char *dst, size_t dstlen)
{
	struct tm	 tm;
	time_t		 t = (time_t)(real_ms / 1000);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(dst, dstlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		return -1;
	return 0;
}
