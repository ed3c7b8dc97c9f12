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

/* Margins around the plot area, room for the axis labels. */
#define CHART_ML	112	/* "21000000.00000000" at font-size 10 */
#define CHART_MR	12
#define CHART_MT	12
#define CHART_MB	28

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

/*
 * Choose the time and price ranges: from the earliest of now and every
 * purchase to the latest of now, every purchase and the end of the last
 * slot; prices from 0 to the highest price paid, the minimum price or
 * the price now.
 */
static void
chart_ranges(struct chart_map *m, const struct price_campaign *c,
    size_t n, int64_t now_ms, int64_t price)
{
	int64_t	 tmax, p;
	size_t	 i;

	m->tmin = tmax = now_ms;
	m->pmax = chart_clamp_price(c->min_price_sat);
	if (price > m->pmax)
		m->pmax = price;
	for (i = 0; i < n; i++) {
		if (c->slots[i].bought_ms < m->tmin)
			m->tmin = c->slots[i].bought_ms;
		if (c->slots[i].bought_ms > tmax)
			tmax = c->slots[i].bought_ms;
		p = chart_clamp_price(c->slots[i].price_sat);
		if (p > m->pmax)
			m->pmax = p;
	}
	if (n > 0 && c->slots[n - 1].end_ms > tmax)
		tmax = c->slots[n - 1].end_ms;
	m->span = (uint64_t)tmax - (uint64_t)m->tmin;
	if (m->span == 0)
		m->span = 1;
	if (m->pmax == 0)
		m->pmax = 1;
}

/* The axes, three price labels on the left and three time labels below. */
static int
chart_axes(struct buf *out, const struct chart_map *m)
{
	static const char *const anchor[3] = { "start", "middle", "end" };
	char			 s[32];
	int64_t			 y, x, p, t;
	int			 i;

	if (buf_printf(out, "<g class=\"chart-axes\" stroke=\"currentColor\">"
	    "<line class=\"chart-axis\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" "
	    "y2=\"%lld\"/><line class=\"chart-axis\" x1=\"%lld\" y1=\"%lld\" "
	    "x2=\"%lld\" y2=\"%lld\"/></g>\n",
	    (long long)m->x0, (long long)m->y0, (long long)m->x0,
	    (long long)(m->y0 + m->ph), (long long)m->x0,
	    (long long)(m->y0 + m->ph), (long long)(m->x0 + m->pw),
	    (long long)(m->y0 + m->ph)) == -1)
		return -1;
	if (buf_addstr(out, "<g class=\"chart-labels\" fill=\"currentColor\" "
	    "font-family=\"monospace\" font-size=\"10\">\n") == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		p = (int64_t)((unsigned __int128)(uint64_t)m->pmax *
		    (unsigned)i / 2);
		y = chart_y(m, p);
		chart_btc(p, s);
		if (buf_printf(out, "<text class=\"chart-label chart-ylabel\" "
		    "x=\"%lld\" y=\"%lld\" text-anchor=\"end\">",
		    (long long)(m->x0 - 4), (long long)(y + 3)) == -1 ||
		    chart_text(out, s) == -1 ||
		    buf_addstr(out, "</text>\n") == -1)
			return -1;
	}
	for (i = 0; i < 3; i++) {
		t = (int64_t)((uint64_t)m->tmin +
		    (uint64_t)((unsigned __int128)m->span * (unsigned)i / 2));
		x = chart_x(m, t);
		chart_hhmm(t, s);
		if (buf_printf(out, "<text class=\"chart-label chart-xlabel\" "
		    "x=\"%lld\" y=\"%lld\" text-anchor=\"%s\">",
		    (long long)x, (long long)(m->y0 + m->ph + 16),
		    anchor[i]) == -1 ||
		    chart_text(out, s) == -1 ||
		    buf_addstr(out, "</text>\n") == -1)
			return -1;
	}
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
		if (buf_printf(out, "%lld,%lld\"/>\n",
		    (long long)chart_x(m, last->end_ms),
		    (long long)chart_y(m, price_now(c, last->end_ms))) == -1)
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
	int64_t			 price;

	if (c == NULL || width < CHART_MIN_WIDTH || width > CHART_MAX_DIM ||
	    height < CHART_MIN_HEIGHT || height > CHART_MAX_DIM)
		return -1;
	n = c->slots != NULL ? c->nslots : 0;
	price = price_now(c, now_ms);
	m.x0 = CHART_ML;
	m.y0 = CHART_MT;
	m.pw = width - CHART_ML - CHART_MR;
	m.ph = height - CHART_MT - CHART_MB;
	chart_ranges(&m, c, n, now_ms, price);
	chart_btc(price, now);
	chart_btc(c->min_price_sat, min);

	if (buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "version=\"1.1\" class=\"price-chart\" role=\"img\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>",
	    width, height, width, height) == -1 ||
	    buf_addstr(out, "Price of the next slot: ") == -1 ||
	    chart_text(out, now) == -1 ||
	    buf_addstr(out, " now, minimum ") == -1 ||
	    chart_text(out, min) == -1 ||
	    buf_printf(out, ", %zu purchase%s</title>\n", n,
	    n == 1 ? "" : "s") == -1 ||
	    chart_axes(out, &m) == -1 ||
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
