/* Clocks in milliseconds: monotonic for timeouts, real time for display. */
#ifndef ABC_CLOCK_H
#define ABC_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t	clock_mono_ms(void);
int64_t	clock_mono_us(void);
int64_t	clock_real_ms(void);
void	clock_abs_deadline(struct timespec *ts, int64_t timeout_ms);
int	clock_format_utc(int64_t real_ms, char *dst, size_t dstlen);

#endif /* ABC_CLOCK_H */
