/*
 * The price chart of a campaign page (SPEC 4.4) as inline SVG 1.1: the
 * price paid at every past purchase and the current decay line from now
 * down to the minimum price at the end of the last bought slot, with a
 * legend, round price ticks (BTC) and round time ticks (UTC).  Past
 * purchases spread over the time axis: it runs from the first purchase
 * past the last one by as long again, cutting a long decay short.
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

/*
 * Accepted width and height of the drawing, in SVG user units.  It is
 * drawn width="100%" with its viewBox: shown at its own width, one unit
 * is one CSS pixel, so a page draws it about as wide as it is shown.
 */
#define CHART_MIN_WIDTH		240
#define CHART_MIN_HEIGHT	200

/*
 * Every text is CHART_FONT_PX units high (12: readable), in a monospace
 * font, and laid out as if each character were CHART_CHAR_W wide (more
 * than the 0.6 em of common monospace fonts), so no two labels overlap.
 */
#define CHART_FONT_PX		12
#define CHART_CHAR_W		8
#define CHART_MAX_DIM		4096

/* At most this many purchase markers are drawn. */
#define CHART_MAX_MARKERS	120

/* Upper bound on what one chart_svg() call appends. */
#define CHART_MAX_BYTES		32768

int	chart_svg(struct buf *out, const struct price_campaign *c,
	    int64_t now_ms, int width, int height);

#endif /* ABC_CHART_H */
