/* CUnit suite for common/chart.c: the campaign price chart as SVG. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

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
	/* The price axis tops out at the price now, the highest here. */
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "now: 0.00006813 BTC"));
	CU_ASSERT_PTR_NOT_NULL(strstr(svg, "y=\"15\" text-anchor=\"end\">"
	    "0.00006813 BTC</text>"));
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
		CU_ASSERT_EQUAL_FATAL(chart_svg(&b, &c, nows[i], 300, 150), 0);
		CU_ASSERT_EQUAL(check_svg((char *)b.data, 300, 150), 0);
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
	CU_ASSERT(b.len < 20000);
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

int
main(void)
{
	static CU_TestInfo tests[] = {
		{ "test_chart_empty", test_chart_empty },
		{ "test_chart_three_purchases", test_chart_three_purchases },
		{ "test_chart_huge_values", test_chart_huge_values },
		{ "test_chart_many_slots", test_chart_many_slots },
		{ "test_chart_refusals", test_chart_refusals },
		CU_TEST_INFO_NULL
	};
	static CU_SuiteInfo suites[] = {
		{ "chart", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL
	};
	unsigned int	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    CU_register_suites(suites) != CUE_SUCCESS)
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
