/*
 * The price chart of a campaign page (SPEC 4.4) as inline SVG 1.1: the
 * price paid at every past purchase and the current decay line from now
 * down to the minimum price at the end of the last bought slot.
 *
 * All coordinates are integers computed without floating point; the
 * output holds no script, no event attribute and no external reference,
 * and its size is bounded by CHART_MAX_BYTES whatever the number of
 * slots (purchases are thinned to at most CHART_MAX_MARKERS markers).
 *
 * Memory: chart_svg() appends to a struct buf owned by the caller and
 * only borrows the campaign.
 */
#ifndef ABC_CHART_H
#define ABC_CHART_H

#include <stdint.h>

#include "buf.h"
#include "price.h"

/* Accepted width and height of the drawing, in SVG user units. */
#define CHART_MIN_WIDTH		240
#define CHART_MIN_HEIGHT	120
#define CHART_MAX_DIM		4096

/* At most this many purchase markers are drawn. */
#define CHART_MAX_MARKERS	120

/* Upper bound on what one chart_svg() call appends. */
#define CHART_MAX_BYTES		32768

int	chart_svg(struct buf *out, const struct price_campaign *c,
	    int64_t now_ms, int width, int height);

#endif /* ABC_CHART_H */
