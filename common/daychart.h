/*
 * The dashboards' chart of figures per day (issue 15): for each UTC day a
 * pair of bars, impressions and clicks, on one scale from 0 to the
 * largest value of either, as inline SVG 1.1 that needs no script.  Each
 * day's pair carries a <title> ("2026-12-01: 120 impressions, 3 clicks")
 * for a pointer and for screen readers; the first and last day are
 * labelled under the bars, the top of the scale at its left.
 *
 * Integer arithmetic only; the output holds no script, no event
 * attribute, no external reference and no text from the caller, and
 * its size is bounded by DAYCHART_MAX_BYTES (at most DAYCHART_MAX_DAYS
 * days are drawn: the newest).
 *
 * Memory: daychart_svg() appends to a struct buf owned by the caller and
 * only borrows the days.
 */
#ifndef ABC_DAYCHART_H
#define ABC_DAYCHART_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DAYCHART_MAX_DAYS	62
#define DAYCHART_MIN_WIDTH	160
#define DAYCHART_MIN_HEIGHT	80
#define DAYCHART_MAX_DIM	2048
#define DAYCHART_MAX_BYTES	24576

/* One UTC day's figures; negative values are drawn as 0. */
struct daychart_day {
	int64_t		 day_ms;	/* the start of the day, Unix ms */
	int64_t		 impressions;
	int64_t		 clicks;
};

int	daychart_svg(struct buf *out, const struct daychart_day *days,
	    size_t n, int width, int height);

#endif /* ABC_DAYCHART_H */
