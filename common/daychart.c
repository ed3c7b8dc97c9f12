/* Bars of impressions and clicks per day as inline SVG; see daychart.h. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "daychart.h"

#define DC_FONT		11	/* label text height */
#define DC_LEFT		44	/* room for the scale's top label */
#define DC_TOP		8
#define DC_BOTTOM	(DC_FONT + 8)	/* room for the day labels */
#define DC_RIGHT	4
#define DC_SLOT_MAX	24	/* widest day */

/* v clamped to [0, INT64_MAX / 4096], so v * height never overflows. */
static int64_t
dc_clamp(int64_t v)
{
	return v < 0 ? 0 : v > INT64_MAX / 4096 ? INT64_MAX / 4096 : v;
}

/* The UTC date of day_ms as "YYYY-MM-DD" (or "?" when out of range). */
static void
dc_date(int64_t day_ms, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 t;

	if (day_ms < 0 || day_ms / 1000 > (int64_t)253402300799LL) {
		snprintf(out, len, "?");
		return;
	}
	t = (time_t)(day_ms / 1000);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d", &tm) == 0)
		snprintf(out, len, "?");
}

/* One day's pair of bars in a slot of width w starting at x. */
static int
dc_day(struct buf *out, const struct daychart_day *d, int64_t max,
    int64_t x, int64_t w, int64_t base, int64_t ph)
{
	char	 date[16];
	int64_t	 bw = w / 2 > 1 ? w / 2 - (w >= 6 ? 1 : 0) : 1;
	int64_t	 hi = dc_clamp(d->impressions) * ph / max;
	int64_t	 hc = dc_clamp(d->clicks) * ph / max;

	dc_date(d->day_ms, date, sizeof(date));
	return buf_printf(out, "<g><title>%s: %" PRId64 " impressions, %"
	    PRId64 " clicks</title><rect class=\"bar-imp\" x=\"%" PRId64
	    "\" y=\"%" PRId64 "\" width=\"%" PRId64 "\" height=\"%" PRId64
	    "\"/><rect class=\"bar-clk\" x=\"%" PRId64 "\" y=\"%" PRId64
	    "\" width=\"%" PRId64 "\" height=\"%" PRId64 "\"/></g>\n", date,
	    dc_clamp(d->impressions), dc_clamp(d->clicks), x, base - hi, bw,
	    hi, x + bw, base - hc, bw, hc);
}

/*
 * Appends the chart of days (oldest first; only the newest
 * DAYCHART_MAX_DAYS are drawn) at width x height units.  Returns 0, or -1
 * when the size is out of range, there is no day, or out is full (what
 * was appended is then left for the caller to drop).
 */
int
daychart_svg(struct buf *out, const struct daychart_day *days, size_t n,
    int width, int height)
{
	char		 first[16], last[16];
	int64_t		 max = 1, pw, ph, base, slot;
	size_t		 i;
	int		 rc = 0;

	if (days == NULL || n == 0 || width < DAYCHART_MIN_WIDTH ||
	    height < DAYCHART_MIN_HEIGHT || width > DAYCHART_MAX_DIM ||
	    height > DAYCHART_MAX_DIM)
		return -1;
	if (n > DAYCHART_MAX_DAYS) {
		days += n - DAYCHART_MAX_DAYS;
		n = DAYCHART_MAX_DAYS;
	}
	for (i = 0; i < n; i++) {
		if (dc_clamp(days[i].impressions) > max)
			max = dc_clamp(days[i].impressions);
		if (dc_clamp(days[i].clicks) > max)
			max = dc_clamp(days[i].clicks);
	}
	pw = width - DC_LEFT - DC_RIGHT;
	ph = height - DC_TOP - DC_BOTTOM;
	base = DC_TOP + ph;
	/* A day is at most DC_SLOT_MAX wide: a few days are bars, not slabs. */
	slot = pw / (int64_t)n;
	if (slot > DC_SLOT_MAX)
		slot = DC_SLOT_MAX;
	dc_date(days[0].day_ms, first, sizeof(first));
	dc_date(days[n - 1].day_ms, last, sizeof(last));
	rc |= buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "class=\"daychart\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
	    "role=\"img\" aria-label=\"Impressions and clicks per day, %s "
	    "to %s\">\n", width, height, first, last);
	rc |= buf_printf(out, "<g class=\"daychart-labels\" "
	    "fill=\"currentColor\" font-family=\"monospace\" "
	    "font-size=\"%d\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%"
	    PRId64 "</text><text x=\"%d\" y=\"%" PRId64 "\" "
	    "text-anchor=\"end\">0</text><text x=\"%d\" y=\"%d\">%s</text>"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text></g>\n",
	    DC_FONT, DC_LEFT - 4, DC_TOP + DC_FONT, max, DC_LEFT - 4, base,
	    DC_LEFT, height - 3, first, width - DC_RIGHT, height - 3,
	    n > 1 ? last : "");
	rc |= buf_printf(out, "<line class=\"daychart-axis\" "
	    "stroke=\"currentColor\" x1=\"%d\" y1=\"%" PRId64 "\" x2=\"%d\" "
	    "y2=\"%" PRId64 "\"/>\n", DC_LEFT, base, width - DC_RIGHT, base);
	for (i = 0; i < n && rc == 0; i++)
		rc |= dc_day(out, &days[i], max, DC_LEFT + (int64_t)i * slot +
		    (slot > 4 ? 1 : 0), slot > 2 ? slot - 1 : slot, base, ph);
	rc |= buf_addstr(out, "</svg>\n");
	return rc != 0 ? -1 : 0;
}
