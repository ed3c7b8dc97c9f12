/* CUnit suite for common/chart.c: the campaign price chart as SVG. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "chart.h"
#include "price.h"

#define H_MS	(INT64_C(3600) * 1000)
#define CAP	PRICE_CAP_SAT

/* Number of non-overlapping occurrences of needle in the NUL-ended hay. */
static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Checks what every chart must satisfy: one root element with a viewBox,
 * role and title, balanced tags, nothing active, and every numeric
 * attribute x, y, cx, cy, x1, y1, x2, y2 and every polyline point within
 * 0..width, 0..height.  Returns the number of violations.
 */
static int
check_svg(const char *s, int width, int height)
{
	static const char *const xs[] = { " x=\"", " cx=\"", " x1=\"",
	    " x2=\"" };
	static const char *const ys[] = { " y=\"", " cy=\"", " y1=\"",
	    " y2=\"" };
	const char	*p;
	char		*end;
	long		 v, w;
	size_t		 i;
	int		 bad = 0;

	bad += strncmp(s, "<svg ", 5) != 0;
	bad += count(s, "<svg") != 1 || count(s, "</svg>") != 1;
	bad += strstr(s, "viewBox=\"0 0 ") == NULL;
	bad += strstr(s, "role=\"img\"") == NULL;
	bad += strstr(s, "<title>") == NULL;
	bad += count(s, "<title>") != count(s, "</title>");
	bad += count(s, "<g ") != count(s, "</g>");
	bad += count(s, "<text ") != count(s, "</text>");
	bad += count(s, "<circle ") != count(s, "</circle>");
	bad += strstr(s, "<script") != NULL;
	bad += strstr(s, "javascript:") != NULL;
	bad += strstr(s, "href") != NULL;
	bad += strstr(s, " on") != NULL;	/* no event attributes */
	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		for (p = s; (p = strstr(p, xs[i])) != NULL; p = end) {
			v = strtol(p + strlen(xs[i]), &end, 10);
			bad += v < 0 || v > width || *end != '"';
		}
		for (p = s; (p = strstr(p, ys[i])) != NULL; p = end) {
			v = strtol(p + strlen(ys[i]), &end, 10);
			bad += v < 0 || v > height || *end != '"';
		}
	}
	for (p = s; (p = strstr(p, " points=\"")) != NULL; p = end + 1) {
		end = strchr(p, '"') + 1;	/* the first point */
		do {
			v = strtol(end, &end, 10);
			bad += *end != ',';
			w = strtol(end + 1, &end, 10);
			bad += v < 0 || v > width || w < 0 || w > height;
		} while (*end == ' ');
		bad += *end != '"';
	}
	return bad;
}

/* A label's box, as chart.h says texts are laid out. */
struct box {
	long	 x0, y0, x1, y1;
	char	 text[64];
};

/*
 * Reads every <text> of s into boxes (at most max); returns how many, or
 * -1 for a text it cannot read.
 */
static int
read_labels(const char *s, struct box *b, int max)
{
	const char	*p, *q, *a;
	char		*end;
	long		 x, y, w;
	int		 n = 0;
	size_t		 len;

	for (p = s; (p = strstr(p, "<text ")) != NULL; p = q) {
		if (n == max || (q = strstr(p, "</text>")) == NULL)
			return -1;
		if ((a = strstr(p, " x=\"")) == NULL || a > q)
			return -1;
		x = strtol(a + 4, &end, 10);
		if ((a = strstr(p, " y=\"")) == NULL || a > q)
			return -1;
		y = strtol(a + 4, &end, 10);
		if ((a = strchr(p, '>')) == NULL || a > q)
			return -1;
		len = (size_t)(q - a - 1);
		if (len >= sizeof(b[n].text))
			return -1;
		memcpy(b[n].text, a + 1, len);
		b[n].text[len] = '\0';
		w = (long)len * CHART_CHAR_W;
		if (strstr(p, "text-anchor=\"end\"") != NULL &&
		    strstr(p, "text-anchor=\"end\"") < q)
			b[n].x0 = x - w;
		else if (strstr(p, "text-anchor=\"middle\"") != NULL &&
		    strstr(p, "text-anchor=\"middle\"") < q)
			b[n].x0 = x - w / 2;
		else
			b[n].x0 = x;
		b[n].x1 = b[n].x0 + w;
		b[n].y0 = y - CHART_FONT_PX;	/* ascent */
		b[n].y1 = y + 3;		/* descent */
		n++;
	}
	return n;
}

/*
 * Checks the labels of chart s (width x height): every font size at
 * least 12, every label box inside the drawing, no two boxes overlap.
 * Returns the number of violations (printed).
 */
static int
check_labels(const char *s, int width, int height)
{
	static struct box	 b[256];
	const char		*p;
	int			 n, i, j, bad = 0;

	for (p = s; (p = strstr(p, "font-size=\"")) != NULL; p++)
		if (atoi(p + 11) < 12) {
			printf("\n    font-size %d", atoi(p + 11));
			bad++;
		}
	if ((n = read_labels(s, b, 256)) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (b[i].x0 < 0 || b[i].x1 > width || b[i].y0 < 0 ||
		    b[i].y1 > height) {
			printf("\n    \"%s\" sticks out", b[i].text);
			bad++;
		}
		for (j = 0; j < i; j++)
			if (b[i].x0 < b[j].x1 && b[j].x0 < b[i].x1 &&
			    b[i].y0 < b[j].y1 && b[j].y0 < b[i].y1) {
				printf("\n    \"%s\" overlaps \"%s\"", b[i].text,
				    b[j].text);
				bad++;
			}
	}
	return bad;
}

/* The price tick labels of s in satoshis, bottom up; returns how many. */
static int
price_ticks(const char *s, long long *sat, int max)
{
	const char	*p, *q;
	char		 num[40];
	long long	 whole, frac;
	size_t		 len, k;
	int		 n = 0;

	for (p = s; n < max && (p = strstr(p, "chart-ylabel\"")) != NULL;
	    p = q) {
		p = strchr(p, '>') + 1;
		q = strstr(p, "</text>");
		len = (size_t)(q - p);
		if (len >= sizeof(num))
			return -1;
		memcpy(num, p, len);
		num[len] = '\0';
		whole = atoll(num);
		frac = 0;
		if (strchr(num, '.') != NULL) {
			for (k = 0; k < 8; k++)
				frac = frac * 10 + (k < strlen(strchr(num,
				    '.') + 1) ? strchr(num, '.')[1 + k] - '0' :
				    0);
		}
		sat[n++] = whole * 100000000LL + frac;
	}
	return n;
}

/* 1 when v is 1, 2 or 5 times a power of ten. */
static int
is_nice(long long v)
{
	while (v >= 10 && v % 10 == 0)
		v /= 10;
	return v == 1 || v == 2 || v == 5;
}

/* The cx of every purchase marker: lowest and highest into lo, hi. */
static void
purchase_span(const char *s, long *lo, long *hi)
{
	const char	*p;
	long		 x;

	*lo = 1L << 30;
	*hi = -1;
	for (p = s; (p = strstr(p, "class=\"chart-purchase\" cx=\"")) != NULL;
	    p++) {
		x = strtol(p + 27, NULL, 10);
		if (x < *lo)
			*lo = x;
		if (x > *hi)
			*hi = x;
	}
}

/*
 * Charts of 0, 1, 2 and 200 purchases, bought seconds, minutes or days
 * apart, at the page's two sizes and the smallest: labels readable and
 * apart, round price ticks, a legend naming the decay and the minimum,
 * and (200 purchases) the purchases spread over the time axis.
 */
static void
test_chart_labels_never_overlap(void)
{
	static const int	 sizes[][2] = { { 720, 300 }, { 360, 300 },
	    { CHART_MIN_WIDTH, CHART_MIN_HEIGHT } };
	static const int64_t	 gaps[] = { 1000, 5 * 60000, 3 * 86400000LL };
	static const size_t	 counts[] = { 0, 1, 2, 200 };
	struct price_slot	 s[200];
	struct price_campaign	 c = { 10000, H_MS, NULL, 0 };
	struct buf		 b;
	long long		 ticks[32];
	long			 lo, hi;
	int64_t			 t0 = 1700000000000, now;
	size_t			 g, k, i, z;
	int			 nt, j, bad;

	buf_init(&b, 0);
	for (g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		c.slots = s;
		c.nslots = 0;
		for (i = 0; i < counts[k]; i++) {
			CU_ASSERT_EQUAL_FATAL(price_next_slot(&c, t0 +
			    (int64_t)i * gaps[g], &s[i]), 0);
			s[i].price_sat = price_now(&c, s[i].bought_ms);
			c.nslots = i + 1;
		}
		now = t0 + (int64_t)counts[k] * gaps[g];
		buf_reset(&b);
		CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, now, sizes[z][0],
		    sizes[z][1]), 0);
		bad = check_labels((char *)b.data, sizes[z][0], sizes[z][1]);
		if (bad != 0)
			printf("\n    (%zu purchases %lld ms apart, %dx%d)",
			    counts[k], (long long)gaps[g], sizes[z][0],
			    sizes[z][1]);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(check_svg((char *)b.data, sizes[z][0],
		    sizes[z][1]), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
		    ">Price of the next slot</text>"));
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
		    ">Minimum price</text>"));
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
		    "class=\"chart-min\""));
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
		    "width=\"100%\" viewBox=\"0 0 "));
		CU_ASSERT_EQUAL(counts[k] > 0 && gaps[g] < 86400000LL,
		    strstr((char *)b.data, "class=\"chart-decay\"") != NULL);
		/* Round price ticks: 0, then equal steps of 1, 2 or 5 x 10^k. */
		nt = price_ticks((char *)b.data, ticks, 32);
		if (getenv("CHART_DEBUG") != NULL)
			printf("\n%zu/%lld/%d: %d ticks %lld %lld %lld, %zu xlabels",
			    counts[k], (long long)gaps[g], sizes[z][0], nt,
			    ticks[0], nt > 1 ? ticks[1] : -1, nt > 2 ? ticks[2] : -1,
			    count((char *)b.data, "chart-xlabel"));
		CU_ASSERT(nt >= 2);
		CU_ASSERT(nt >= 1 && ticks[0] == 0);
		for (j = 1; j < nt; j++) {
			CU_ASSERT(ticks[j] - ticks[j - 1] == ticks[1]);
			CU_ASSERT(is_nice(ticks[j] - ticks[j - 1]));
		}
		/* Time ticks to read the axis by: two, one at the least size. */
		CU_ASSERT(count((char *)b.data, "chart-xlabel") >=
		    (sizes[z][0] > CHART_MIN_WIDTH ? 2u : 1u));
		/* 200 purchases: spread over half the axis or more. */
		if (counts[k] == 200) {
			purchase_span((char *)b.data, &lo, &hi);
			CU_ASSERT(hi - lo >= (sizes[z][0] - 120) * 2 / 5);
		}
	}
	buf_clear(&b);
}

static void
test_chart_empty(void)
{
	struct price_campaign	 c = { 1000, H_MS, NULL, 0 };
	struct buf		 b;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, 1700000000000, 600, 240), 0);
	CU_ASSERT_EQUAL(check_svg((char *)b.data, 600, 240), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "</svg>"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
	    "viewBox=\"0 0 600 240\""));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "<title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "0.00001000 BTC"));
	CU_ASSERT_EQUAL(count((char *)b.data, "class=\"chart-purchase\""), 0);
	CU_ASSERT_PTR_NULL(strstr((char *)b.data, "chart-decay"));
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "chart-current"));
	buf_clear(&b);
}

static void
test_chart_three_purchases(void)
{
	/* 2023-11-14 22:13:20 UTC, then 10 and 20 minutes later. */
	static const struct price_slot	 s[3] = {
		{ 1700000000000, 1700000000000, 1700000000000 + H_MS, 1000 },
		{ 1700000600000, 1700000000000 + H_MS,
		    1700000000000 + 2 * H_MS, 2000 },
		{ 1700001200000, 1700000000000 + 2 * H_MS,
		    1700000000000 + 3 * H_MS, 3500 },
	};
	struct price_campaign	 c = { 1000, H_MS, s, 3 };
	struct buf		 b;
	const char		*svg;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, 1700001500000, 640, 320), 0);
	svg = (const char *)b.data;
	CU_ASSERT_EQUAL(check_svg(svg, 640, 320), 0);
	CU_ASSERT_EQUAL(count(svg, "class=\"chart-purchase\""), 3);
	CU_ASSERT_EQUAL(count(svg, "class=\"chart-decay\""), 1);
	CU_ASSERT_EQUAL(count(svg, "class=\"chart-history\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "0.00003500 BTC at 22:33 UTC"));
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "22:13 UTC"));
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "3 purchases"));
	/*
	 * The price axis tops out at a round value above the price now, the
	 * highest here (issue 16: round ticks, not the price itself).
	 */
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "now: 0.00006813 BTC"));
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">0.00008</text>"));
	CU_ASSERT_PTR_NULL(strstr(svg, ">0.00006813"));
	/* After the queue ended: no decay line, the price is the minimum. */
	buf_reset(&b);
	CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, 1700000000000 + 4 * H_MS,
	    640, 320), 0);
	svg = (const char *)b.data;
	CU_ASSERT_EQUAL(check_svg(svg, 640, 320), 0);
	CU_ASSERT_EQUAL(count(svg, "class=\"chart-purchase\""), 3);
	CU_ASSERT_PTR_NULL(strstr(svg, "chart-decay"));
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "now: 0.00001000 BTC"));
	/* A clock behind the last purchase: a knee at the purchase. */
	buf_reset(&b);
	CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, 1700001100000, 640, 320), 0);
	svg = (const char *)b.data;
	CU_ASSERT_EQUAL(check_svg(svg, 640, 320), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "now: 0.00007000 BTC"));
	buf_clear(&b);
}

static void
test_chart_huge_values(void)
{
	static const struct price_slot	 s[3] = {
		{ INT64_MIN, INT64_MIN, 0, INT64_MAX },
		{ 0, 0, INT64_MAX, CAP },
		{ -5, INT64_MAX - 1, INT64_MAX, CAP - 1 },
	};
	struct price_campaign	 c = { CAP, INT64_MAX, s, 3 };
	struct buf		 b;
	int64_t			 nows[] = { INT64_MIN, -1, 0, INT64_MAX };
	size_t			 i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		buf_reset(&b);
		CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, nows[i], 300, 200), 0);
		CU_ASSERT_EQUAL(check_svg((char *)b.data, 300, 200), 0);
		CU_ASSERT_EQUAL(check_labels((char *)b.data, 300, 200), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
		    "21000000.00000000 BTC"));
	}
	c.min_price_sat = INT64_MIN;
	buf_reset(&b);
	CU_ASSERT_EQUAL(chart_svg(&b, &c, 0, CHART_MAX_DIM, CHART_MAX_DIM), 0);
	CU_ASSERT_EQUAL(check_svg((char *)b.data, CHART_MAX_DIM,
	    CHART_MAX_DIM), 0);
	buf_clear(&b);
}

static void
test_chart_many_slots(void)
{
	struct price_slot	*s;
	struct price_campaign	 c = { 1000, H_MS, NULL, 0 };
	struct buf		 b;
	size_t			 i, n = 10000;

	s = calloc(n, sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	c.slots = s;
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(price_next_slot(&c,
		    1700000000000 + (int64_t)i * 60000, &s[i]), 0);
		s[i].price_sat = price_now(&c, s[i].bought_ms);
		c.nslots = i + 1;
	}
	s[n / 2].price_sat = CAP;	/* a spike survives the thinning */
	buf_init(&b, 0);
	CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, 1700000000000 + 5000 * H_MS,
	    CHART_MAX_DIM, CHART_MAX_DIM), 0);
	CU_ASSERT(b.len < CHART_MAX_BYTES);
	printf(" (%zu bytes)", b.len);
	CU_ASSERT(b.len < 24000);
	CU_ASSERT_EQUAL(check_svg((char *)b.data, CHART_MAX_DIM,
	    CHART_MAX_DIM), 0);
	CU_ASSERT_EQUAL(count((char *)b.data, "class=\"chart-purchase\""),
	    CHART_MAX_MARKERS);
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data,
	    "<title>21000000.00000000 BTC at "));
	CU_ASSERT(count((char *)b.data, "class=\"chart-decay\"") == 1);
	buf_clear(&b);
	free(s);
}

static void
test_chart_refusals(void)
{
	struct price_campaign	 c = { 1000, H_MS, NULL, 0 };
	struct buf		 b;

	buf_init(&b, 0);
	(void)buf_addstr(&b, "keep");
	CU_ASSERT_EQUAL(chart_svg(&b, NULL, 0, 600, 240), -1);
	CU_ASSERT_EQUAL(chart_svg(&b, &c, 0, CHART_MIN_WIDTH - 1, 240), -1);
	CU_ASSERT_EQUAL(chart_svg(&b, &c, 0, 600, CHART_MIN_HEIGHT - 1), -1);
	CU_ASSERT_EQUAL(chart_svg(&b, &c, 0, CHART_MAX_DIM + 1, 240), -1);
	CU_ASSERT_EQUAL(chart_svg(&b, &c, 0, 600, -1), -1);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "keep");
	buf_clear(&b);
	/* A buffer too small: nothing half-written stays behind. */
	buf_init(&b, 300);
	(void)buf_addstr(&b, "keep");
	CU_ASSERT_EQUAL(chart_svg(&b, &c, 0, 600, 240), -1);
	CU_ASSERT_EQUAL(b.len, 4);
	CU_ASSERT_STRING_EQUAL((char *)b.data, "keep");
	buf_clear(&b);
}

static CU_TestInfo tests[] = {
	{ "test_chart_empty", test_chart_empty },
	{ "test_chart_three_purchases", test_chart_three_purchases },
	{ "test_chart_huge_values", test_chart_huge_values },
	{ "test_chart_many_slots", test_chart_many_slots },
	{ "test_chart_refusals", test_chart_refusals },
	{ "test_chart_labels_never_overlap",
	    test_chart_labels_never_overlap },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "chart", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
