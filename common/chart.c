/*
 * The campaign price chart as inline SVG; see chart.h.  Every coordinate
 * is an integer: times and prices are mapped onto the plot area with
 * unsigned 128-bit products, so no input can overflow.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "chart.h"
#include "money.h"
#include "price.h"

/* Room around the plot area; the left and top margins grow to fit. */
#define CHART_PAD	6	/* from the edges of the drawing */
#define CHART_MR	14	/* right of the plot: half a time label */
#define CHART_ROW	(CHART_FONT_PX + 6)	/* one line of text */

#define CHART_MS_PER_DAY	INT64_C(86400000)

/* Where the data lands: the plot area and the ranges mapped onto it. */
struct chart_map {
	int64_t		 x0, y0;	/* top left of the plot area */
	int64_t		 pw, ph;	/* its width and height */
	int64_t		 tmin;		/* time at the left edge */
	uint64_t	 span;		/* ms from left to right edge, >= 1 */
	int64_t		 pmax;		/* price at the top edge, >= 1 */
};

/* Clamp a price into [0, PRICE_CAP_SAT]. */
static int64_t
chart_clamp_price(int64_t p)
{
	return p < 0 ? 0 : p > PRICE_CAP_SAT ? PRICE_CAP_SAT : p;
}

/* The x coordinate of time t in [m->tmin, m->tmin + m->span]. */
static int64_t
chart_x(const struct chart_map *m, int64_t t)
{
	unsigned __int128	 d;

	d = (uint64_t)t - (uint64_t)m->tmin;
	if (t < m->tmin)
		d = 0;
	if (d > m->span)
		d = m->span;
	return m->x0 + (int64_t)(d * (uint64_t)m->pw / m->span);
}

/* The y coordinate of price p, clamped into [0, m->pmax]. */
static int64_t
chart_y(const struct chart_map *m, int64_t p)
{
	unsigned __int128	 d;

	if (p < 0)
		p = 0;
	if (p > m->pmax)
		p = m->pmax;
	d = (unsigned __int128)(uint64_t)p * (uint64_t)m->ph /
	    (uint64_t)m->pmax;
	return m->y0 + m->ph - (int64_t)d;
}

/*
 * Append s with the five XML special characters escaped, so that it is
 * safe as element text and inside a quoted attribute.  Returns 0 or -1.
 */
static int
chart_text(struct buf *out, const char *s)
{
	const char	*rep;
	size_t		 n;

	for (; *s != '\0'; s += n) {
		n = strcspn(s, "&<>\"'");
		if (n > 0) {
			if (buf_add(out, s, n) == -1)
				return -1;
			continue;
		}
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			rep = "&#39;";
			break;
		}
		if (buf_addstr(out, rep) == -1)
			return -1;
		n = 1;
	}
	return 0;
}

/* Write p (clamped into [0, cap]) as "12.34567890 BTC" into s[32]. */
static void
chart_btc(int64_t p, char s[32])
{
	if (money_format_btc(chart_clamp_price(p), s, 28) == -1)
		s[0] = '\0';		/* cannot happen: 17 digits at most */
	strcat(s, " BTC");
}

/* Write the UTC time of day of t as "HH:MM UTC" into s[16]. */
static void
chart_hhmm(int64_t t, char s[16])
{
	int64_t	 ms;

	ms = t % CHART_MS_PER_DAY;
	if (ms < 0)
		ms += CHART_MS_PER_DAY;
	ms /= 60000;			/* minutes into the day */
	s[0] = (char)('0' + ms / 600);
	s[1] = (char)('0' + ms / 60 % 10);
	s[2] = ':';
	s[3] = (char)('0' + ms % 60 / 10);
	s[4] = (char)('0' + ms % 10);
	memcpy(s + 5, " UTC", 5);
}

/* Width of text s in user units, as the tests measure it too. */
static int64_t
chart_text_w(const char *s)
{
	return (int64_t)strlen(s) * CHART_CHAR_W;
}

/*
 * A price tick label: p satoshis as BTC without trailing zeros ("0",
 * "0.0001", "0.00015", "50000000") into s[32].  Ticks are round, so the
 * top one may pass the 21 million BTC cap.
 */
static void
chart_tick_btc(int64_t p, char s[32])
{
	size_t	 n;

	if (money_format_btc(p < 0 ? 0 : p, s, 32) == -1) {
		s[0] = '\0';
		return;
	}
	n = strlen(s);
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
}

/* The smallest 1, 2 or 5 times a power of ten that is >= v (v >= 1). */
static int64_t
chart_nice(int64_t v)
{
	int64_t	 p = 1;

	for (;;) {
		if (v <= p)
			return p;
		if (v <= 2 * p)
			return 2 * p;
		if (v <= 5 * p)
			return 5 * p;
		if (p > INT64_MAX / 100)
			return p * 10;
		p *= 10;
	}
}

/*
 * Choose the time range, so that past purchases spread over the axis:
 * from the first purchase (or now) to the later of now and the last
 * purchase, then on into the decay as far again (at least one slot, at
 * most to its end, where the price is back at the minimum).
 */
static void
chart_time_range(struct chart_map *m, const struct price_campaign *c,
    size_t n, int64_t now_ms)
{
	uint64_t	 past, ahead;
	int64_t		 last, end;
	size_t		 i;

	m->tmin = last = now_ms;
	for (i = 0; i < n; i++) {
		if (c->slots[i].bought_ms < m->tmin)
			m->tmin = c->slots[i].bought_ms;
		if (c->slots[i].bought_ms > last)
			last = c->slots[i].bought_ms;
	}
	past = (uint64_t)last - (uint64_t)m->tmin;
	/* A minute or more of purchases: as long again, so they fill half
	 * the axis; else (one purchase, a few at once) a slot's length. */
	ahead = past;
	if (past < 60000)
		ahead = c->slot_ms > 60000 ? (uint64_t)c->slot_ms : 60000;
	end = n > 0 ? c->slots[n - 1].end_ms : INT64_MAX;
	if (end > last && (uint64_t)end - (uint64_t)last < ahead)
		ahead = (uint64_t)end - (uint64_t)last;
	if ((__int128)last + ahead > INT64_MAX)	/* not past INT64_MAX */
		ahead = (uint64_t)((__int128)INT64_MAX - last);
	m->span = past + ahead;
	if (m->span == 0)
		m->span = 1;
}

/*
 * The price range: 0 to a round number at or above every price shown
 * (paid, minimum, now), in steps of 1, 2 or 5 times a power of ten
 * satoshis, at most as many as fit the plot's height.  Sets m->pmax and
 * returns the step.
 */
static int64_t
chart_price_range(struct chart_map *m, const struct price_campaign *c,
    size_t n, int64_t price, int64_t ph)
{
	int64_t	 top, step, maxticks;
	size_t	 i;

	top = chart_clamp_price(c->min_price_sat);
	if (price > top)
		top = chart_clamp_price(price);
	for (i = 0; i < n; i++)
		if (chart_clamp_price(c->slots[i].price_sat) > top)
			top = chart_clamp_price(c->slots[i].price_sat);
	if (top < 1)
		top = 1;
	maxticks = ph / (2 * CHART_ROW);
	if (maxticks < 1)
		maxticks = 1;
	maxticks = maxticks > 5 ? 5 : maxticks;	/* gaps, not a grid */
	step = chart_nice((top + maxticks - 1) / maxticks);
	m->pmax = (top + step - 1) / step * step;
	return step;
}

/* The legend's entries: a swatch kind and a name. */
static const struct {
	const char	*cls, *text;
} chart_legend_items[] = {
	{ "decay", "Price of the next slot" },
	{ "min", "Minimum price" },
	{ "purchase", "Past purchase" },
	{ "current", "Price now" },
};

#define CHART_SWATCH	22	/* a swatch and the gap after it */
#define CHART_ITEM_GAP	14	/* between legend entries */

/* Width of legend entry i. */
static int64_t
chart_item_w(size_t i)
{
	return CHART_SWATCH + chart_text_w(chart_legend_items[i].text);
}

/* Rows the legend needs in width w (entries flow left to right). */
static int64_t
chart_legend_rows(int64_t w)
{
	int64_t	 rows = 1, x = 0;
	size_t	 i;

	for (i = 0; i < sizeof(chart_legend_items) /
	    sizeof(chart_legend_items[0]); i++) {
		if (x > 0 && x + chart_item_w(i) > w) {
			rows++;
			x = 0;
		}
		x += chart_item_w(i) + CHART_ITEM_GAP;
	}
	return rows;
}

/* The legend at the top, in rows of width w. */
static int
chart_legend(struct buf *out, int64_t w)
{
	int64_t	 x = 0, row = 0, lx, ly;
	size_t	 i;
	int	 rc = 0;

	rc |= buf_printf(out, "<g class=\"chart-legend\" fill=\"currentColor\" "
	    "font-family=\"monospace\" font-size=\"%d\">\n", CHART_FONT_PX);
	for (i = 0; i < sizeof(chart_legend_items) /
	    sizeof(chart_legend_items[0]); i++) {
		if (x > 0 && x + chart_item_w(i) > w) {
			row++;
			x = 0;
		}
		lx = CHART_PAD + x;
		ly = CHART_PAD + row * CHART_ROW + CHART_FONT_PX;
		if (strcmp(chart_legend_items[i].cls, "min") == 0 ||
		    strcmp(chart_legend_items[i].cls, "decay") == 0)
			rc |= buf_printf(out, "<line class=\"chart-key-%s\" "
			    "stroke=\"currentColor\" stroke-width=\"2\"%s "
			    "x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>\n",
			    chart_legend_items[i].cls,
			    strcmp(chart_legend_items[i].cls, "min") == 0 ?
			    " stroke-dasharray=\"4 4\"" : "", (long long)lx,
			    (long long)(ly - 4), (long long)(lx + 16),
			    (long long)(ly - 4));
		else
			rc |= buf_printf(out, "<circle class=\"chart-key-%s\" "
			    "cx=\"%lld\" cy=\"%lld\" r=\"%d\"></circle>\n",
			    chart_legend_items[i].cls, (long long)(lx + 8),
			    (long long)(ly - 4), strcmp(chart_legend_items[i].cls,
			    "current") == 0 ? 5 : 3);
		rc |= buf_printf(out, "<text class=\"chart-label chart-key\" "
		    "x=\"%lld\" y=\"%lld\" text-anchor=\"start\">%s</text>\n",
		    (long long)(lx + CHART_SWATCH), (long long)ly,
		    chart_legend_items[i].text);
		x += chart_item_w(i) + CHART_ITEM_GAP;
	}
	rc |= buf_addstr(out, "</g>\n");
	return rc != 0 ? -1 : 0;
}

/* A text label at (x, y) with anchor and the text s, escaped. */
static int
chart_label(struct buf *out, const char *cls, int64_t x, int64_t y,
    const char *anchor, const char *s)
{
	if (buf_printf(out, "<text class=\"chart-label %s\" x=\"%lld\" "
	    "y=\"%lld\" text-anchor=\"%s\">", cls, (long long)x, (long long)y,
	    anchor) == -1 || chart_text(out, s) == -1 ||
	    buf_addstr(out, "</text>\n") == -1)
		return -1;
	return 0;
}

/* Time tick steps in ms, smallest first; later ones double. */
static const int64_t chart_tsteps[] = {
	1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000,
	600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000,
	43200000, 86400000, 172800000, 604800000, 1209600000,
};

/* Write the tick label of time t for a step of step ms into s[16]. */
static void
chart_tick_time(int64_t t, int64_t step, char s[16])
{
	int64_t	 days, y, m, d, era, doe, yoe, doy, mp;

	chart_hhmm(t, s);
	s[5] = '\0';				/* "HH:MM" */
	if (step < 60000) {			/* "HH:MM:SS" */
		d = t % 60000;
		d = (d < 0 ? d + 60000 : d) / 1000;
		s[5] = ':';
		s[6] = (char)('0' + d / 10);
		s[7] = (char)('0' + d % 10);
		s[8] = '\0';
	} else if (step >= CHART_MS_PER_DAY) {	/* "MM-DD", civil date */
		days = t / CHART_MS_PER_DAY - (t % CHART_MS_PER_DAY < 0);
		days += 719468;
		era = (days >= 0 ? days : days - 146096) / 146097;
		doe = days - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		y = yoe + era * 400;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		d = doy - (153 * mp + 2) / 5 + 1;
		m = mp < 10 ? mp + 3 : mp - 9;
		(void)y;
		s[0] = (char)('0' + m / 10);
		s[1] = (char)('0' + m % 10);
		s[2] = '-';
		s[3] = (char)('0' + d / 10);
		s[4] = (char)('0' + d % 10);
		s[5] = '\0';
	}
}

/*
 * The time ticks: the smallest round step whose labels, one per step,
 * fit the plot's width with a gap; labels that would stick out of the
 * drawing are left out.
 */
static int
chart_xticks(struct buf *out, const struct chart_map *m, int width)
{
	char		 s[16];
	int64_t		 step = 0, lw, t, first, x;
	uint64_t	 slots;
	size_t		 i;

	for (i = 0;; i++) {
		if (i < sizeof(chart_tsteps) / sizeof(chart_tsteps[0]))
			step = chart_tsteps[i];
		else if (step > INT64_MAX / 2)
			return 0;	/* absurd spans: no ticks */
		else
			step *= 2;
		lw = (step < 60000 ? 8 : 5) * CHART_CHAR_W + CHART_CHAR_W;
		slots = (uint64_t)(m->pw / lw);
		if (slots > 12)
			slots = 12;	/* a scale to read, not a grid */
		if (slots >= 1 && m->span / (uint64_t)step + 1 <= slots)
			break;
	}
	lw = (step < 60000 ? 8 : 5) * CHART_CHAR_W;
	/* The first multiple of step at or after tmin (UTC-aligned). */
	first = m->tmin / step * step;
	if (first < m->tmin && first <= INT64_MAX - step)
		first += step;
	for (t = first; (uint64_t)t - (uint64_t)m->tmin <= m->span;) {
		x = chart_x(m, t);
		chart_tick_time(t, step, s);
		if (x - lw / 2 >= 0 && x + (lw + 1) / 2 <= width &&
		    (buf_printf(out, "<line class=\"chart-tick\" "
		    "stroke=\"currentColor\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" "
		    "y2=\"%lld\"/>\n", (long long)x, (long long)(m->y0 + m->ph),
		    (long long)x, (long long)(m->y0 + m->ph + 4)) == -1 ||
		    chart_label(out, "chart-xlabel", x, m->y0 + m->ph + 8 +
		    CHART_FONT_PX, "middle", s) == -1))
			return -1;
		if (t > INT64_MAX - step)
			break;
		t += step;
	}
	return 0;
}

/* The price ticks, every step from 0 to m->pmax, with their labels. */
static int
chart_yticks(struct buf *out, const struct chart_map *m, int64_t step)
{
	char	 s[32];
	int64_t	 p, y;

	for (p = 0; p <= m->pmax; p += step) {
		y = chart_y(m, p);
		chart_tick_btc(p, s);
		if (buf_printf(out, "<line class=\"chart-grid\" "
		    "stroke=\"currentColor\" stroke-opacity=\"0.15\" x1=\"%lld\" "
		    "y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>\n", (long long)m->x0,
		    (long long)y, (long long)(m->x0 + m->pw),
		    (long long)y) == -1 ||
		    chart_label(out, "chart-ylabel", m->x0 - 6, y + 4, "end",
		    s) == -1)
			return -1;
		if (p > m->pmax - step)
			break;
	}
	return 0;
}

/*
 * The axes, the price ticks (round BTC values, the unit above them), the
 * time ticks and the time axis' caption.
 */
static int
chart_axes(struct buf *out, const struct chart_map *m, int64_t step,
    int width, int height)
{
	if (buf_printf(out, "<g class=\"chart-axes\" stroke=\"currentColor\">"
	    "<line class=\"chart-axis\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" "
	    "y2=\"%lld\"/><line class=\"chart-axis\" x1=\"%lld\" y1=\"%lld\" "
	    "x2=\"%lld\" y2=\"%lld\"/></g>\n",
	    (long long)m->x0, (long long)m->y0, (long long)m->x0,
	    (long long)(m->y0 + m->ph), (long long)m->x0,
	    (long long)(m->y0 + m->ph), (long long)(m->x0 + m->pw),
	    (long long)(m->y0 + m->ph)) == -1)
		return -1;
	if (buf_printf(out, "<g class=\"chart-labels\" fill=\"currentColor\" "
	    "font-family=\"monospace\" font-size=\"%d\">\n",
	    CHART_FONT_PX) == -1 ||
	    chart_label(out, "chart-unit", m->x0 - 6, m->y0 + 4 - CHART_ROW,
	    "end", "BTC") == -1 ||
	    chart_yticks(out, m, step) == -1 ||
	    chart_xticks(out, m, width) == -1 ||
	    chart_label(out, "chart-unit", width - CHART_PAD, height -
	    CHART_PAD, "end", "time (UTC)") == -1)
		return -1;
	return buf_addstr(out, "</g>\n");
}

/*
 * The next purchase to mark at or after index *from: all of them when
 * there are at most CHART_MAX_MARKERS, else the highest price paid in
 * each of CHART_MAX_MARKERS equal runs of purchases.  *bucket counts the
 * runs.  Returns the index, or n when done.
 */
static size_t
chart_next_marker(const struct price_campaign *c, size_t n, size_t *bucket)
{
	size_t	 lo, hi, i, best;

	if (*bucket >= CHART_MAX_MARKERS || *bucket >= n)
		return n;
	if (n <= CHART_MAX_MARKERS)
		return (*bucket)++;
	lo = (size_t)((unsigned __int128)*bucket * n / CHART_MAX_MARKERS);
	hi = (size_t)((unsigned __int128)(*bucket + 1) * n / CHART_MAX_MARKERS);
	(*bucket)++;
	best = lo;
	for (i = lo + 1; i < hi; i++)
		if (chart_clamp_price(c->slots[i].price_sat) >
		    chart_clamp_price(c->slots[best].price_sat))
			best = i;
	return best;
}

/* The line through the (thinned) purchases, then one marker for each. */
static int
chart_history(struct buf *out, const struct chart_map *m,
    const struct price_campaign *c, size_t n)
{
	const struct price_slot	*s;
	char			 btc[32], hhmm[16];
	size_t			 bucket, i;

	if (n >= 2) {
		if (buf_addstr(out, "<polyline class=\"chart-history\" "
		    "fill=\"none\" stroke=\"currentColor\" points=\"") == -1)
			return -1;
		bucket = 0;
		while ((i = chart_next_marker(c, n, &bucket)) < n)
			if (buf_printf(out, "%s%lld,%lld",
			    bucket > 1 ? " " : "",
			    (long long)chart_x(m, c->slots[i].bought_ms),
			    (long long)chart_y(m, c->slots[i].price_sat)) == -1)
				return -1;
		if (buf_addstr(out, "\"/>\n") == -1)
			return -1;
	}
	if (buf_addstr(out, "<g class=\"chart-purchases\" "
	    "fill=\"currentColor\">\n") == -1)
		return -1;
	bucket = 0;
	while ((i = chart_next_marker(c, n, &bucket)) < n) {
		s = &c->slots[i];
		chart_btc(s->price_sat, btc);
		chart_hhmm(s->bought_ms, hhmm);
		if (buf_printf(out, "<circle class=\"chart-purchase\" "
		    "cx=\"%lld\" cy=\"%lld\" r=\"3\"><title>",
		    (long long)chart_x(m, s->bought_ms),
		    (long long)chart_y(m, s->price_sat)) == -1 ||
		    chart_text(out, btc) == -1 ||
		    buf_addstr(out, " at ") == -1 ||
		    chart_text(out, hhmm) == -1 ||
		    buf_addstr(out, "</title></circle>\n") == -1)
			return -1;
	}
	return buf_addstr(out, "</g>\n");
}

/*
 * The minimum price line, the decay line from now to the end of the last
 * slot (with a knee at the purchase time when now is before it), and the
 * marker of the price now.
 */
static int
chart_current(struct buf *out, const struct chart_map *m,
    const struct price_campaign *c, size_t n, int64_t now_ms, int64_t price)
{
	const struct price_slot	*last;
	char			 btc[32];
	int64_t			 end;

	if (buf_printf(out, "<line class=\"chart-min\" stroke=\"currentColor\" "
	    "stroke-dasharray=\"4 4\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" "
	    "y2=\"%lld\"/>\n", (long long)m->x0,
	    (long long)chart_y(m, c->min_price_sat),
	    (long long)(m->x0 + m->pw),
	    (long long)chart_y(m, c->min_price_sat)) == -1)
		return -1;
	if (buf_printf(out, "<line class=\"chart-now\" stroke=\"currentColor\" "
	    "x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\"/>\n",
	    (long long)chart_x(m, now_ms), (long long)m->y0,
	    (long long)chart_x(m, now_ms), (long long)(m->y0 + m->ph)) == -1)
		return -1;
	if (n > 0 && now_ms < c->slots[n - 1].end_ms) {
		last = &c->slots[n - 1];
		if (buf_printf(out, "<polyline class=\"chart-decay\" "
		    "fill=\"none\" stroke=\"currentColor\" points=\"%lld,%lld ",
		    (long long)chart_x(m, now_ms),
		    (long long)chart_y(m, price)) == -1)
			return -1;
		if (now_ms < last->bought_ms && buf_printf(out, "%lld,%lld ",
		    (long long)chart_x(m, last->bought_ms),
		    (long long)chart_y(m, price_now(c, last->bought_ms))) == -1)
			return -1;
		/* To the right edge when the decay runs on past it. */
		end = last->end_ms;
		if ((uint64_t)end - (uint64_t)m->tmin > m->span)
			end = (int64_t)((uint64_t)m->tmin + m->span);
		if (buf_printf(out, "%lld,%lld\"/>\n",
		    (long long)chart_x(m, end),
		    (long long)chart_y(m, price_now(c, end))) == -1)
			return -1;
	}
	chart_btc(price, btc);
	if (buf_printf(out, "<circle class=\"chart-current\" "
	    "fill=\"currentColor\" cx=\"%lld\" cy=\"%lld\" r=\"4\">"
	    "<title>now: ", (long long)chart_x(m, now_ms),
	    (long long)chart_y(m, price)) == -1 ||
	    chart_text(out, btc) == -1 ||
	    buf_addstr(out, "</title></circle>\n") == -1)
		return -1;
	return 0;
}

/*
 * Append to out an SVG 1.1 chart, width x height user units (each within
 * CHART_MIN_WIDTH or CHART_MIN_HEIGHT and CHART_MAX_DIM), of campaign c
 * at now_ms: the price paid at every purchase (thinned to at most
 * CHART_MAX_MARKERS markers), the minimum price, the current price and
 * the decay line down to the minimum at the end of the last slot.  Any
 * int64 values in c are accepted.  Appends at most CHART_MAX_BYTES.
 * Returns 0, or -1 with out unchanged when c is NULL, a dimension is out
 * of range or out would exceed its max.
 */
int
chart_svg(struct buf *out, const struct price_campaign *c, int64_t now_ms,
    int width, int height)
{
	struct chart_map	 m;
	char			 now[32], min[32];
	size_t			 n, start = out->len;
	int64_t			 price, step, p, w, rows;

	if (c == NULL || width < CHART_MIN_WIDTH || width > CHART_MAX_DIM ||
	    height < CHART_MIN_HEIGHT || height > CHART_MAX_DIM)
		return -1;
	n = c->slots != NULL ? c->nslots : 0;
	price = price_now(c, now_ms);
	/* Top: the legend, then a row for the price unit. */
	rows = chart_legend_rows(width - 2 * CHART_PAD);
	m.y0 = CHART_PAD + rows * CHART_ROW + 2 * CHART_ROW;
	/* Bottom: a row of time labels, a row for the time caption. */
	m.ph = height - m.y0 - (8 + 2 * CHART_ROW + CHART_PAD);
	if (m.ph < 2 * CHART_ROW)
		return -1;
	step = chart_price_range(&m, c, n, price, m.ph);
	/* Left: as wide as the widest price label. */
	w = chart_text_w("BTC");
	for (p = 0; p <= m.pmax; p += step) {
		chart_tick_btc(p, now);
		if (chart_text_w(now) > w)
			w = chart_text_w(now);
		if (p > m.pmax - step)
			break;
	}
	m.x0 = CHART_PAD + w + 6;
	m.pw = width - m.x0 - CHART_MR;
	if (m.pw < 4 * CHART_ROW)
		return -1;
	chart_time_range(&m, c, n, now_ms);
	chart_btc(price, now);
	chart_btc(c->min_price_sat, min);

	if (buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "version=\"1.1\" class=\"price-chart\" role=\"img\" "
	    "width=\"100%%\" viewBox=\"0 0 %d %d\">\n<title>",
	    width, height) == -1 ||
	    buf_addstr(out, "Price of the next slot: ") == -1 ||
	    chart_text(out, now) == -1 ||
	    buf_addstr(out, " now, minimum ") == -1 ||
	    chart_text(out, min) == -1 ||
	    buf_printf(out, ", %zu purchase%s</title>\n", n,
	    n == 1 ? "" : "s") == -1 ||
	    chart_legend(out, width - 2 * CHART_PAD) == -1 ||
	    chart_axes(out, &m, step, width, height) == -1 ||
	    chart_history(out, &m, c, n) == -1 ||
	    chart_current(out, &m, c, n, now_ms, price) == -1 ||
	    buf_addstr(out, "</svg>\n") == -1 ||
	    out->len - start > CHART_MAX_BYTES) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}
