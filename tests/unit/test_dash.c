/*
 * CUnit suite for the dashboards' pure parts (issue 15): web/dashfig.c
 * (CTR and "page seen" as text, the slot page's path) and
 * common/daychart.c (the chart per day as SVG).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "dashfig.h"
#include "daychart.h"

#define DAY	INT64_C(86400000)
#define NONE	"\xe2\x80\x93"

/* CTR: hundredths of a percent, half up; no rate without impressions. */
static void
test_dash_ctr(void)
{
	char	 s[DASHFIG_TEXT_MAX];

	dashfig_ctr(0, 0, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, NONE);
	dashfig_ctr(5, 0, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, NONE);
	dashfig_ctr(1, -3, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, NONE);
	dashfig_ctr(-1, 3, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, NONE);
	dashfig_ctr(0, 1000, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0.00%");
	dashfig_ctr(1, 3, s, sizeof(s));	/* 33.333 */
	CU_ASSERT_STRING_EQUAL(s, "33.33%");
	dashfig_ctr(2, 3, s, sizeof(s));	/* 66.666 */
	CU_ASSERT_STRING_EQUAL(s, "66.67%");
	dashfig_ctr(1, 8, s, sizeof(s));	/* 12.5 exactly */
	CU_ASSERT_STRING_EQUAL(s, "12.50%");
	dashfig_ctr(1, 80000, s, sizeof(s));	/* 0.00125: half up */
	CU_ASSERT_STRING_EQUAL(s, "0.00%");
	dashfig_ctr(1, 40000, s, sizeof(s));	/* 0.0025 -> 0.003? no: */
	CU_ASSERT_STRING_EQUAL(s, "0.00%");	/* 0.25 bp rounds to 0 */
	dashfig_ctr(1, 20000, s, sizeof(s));	/* 0.005 %: 0.5 bp, up */
	CU_ASSERT_STRING_EQUAL(s, "0.01%");
	dashfig_ctr(7, 1000, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0.70%");
	dashfig_ctr(3, 3, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "100.00%");
	/* More clicks than impressions (a bot): shown as it is. */
	dashfig_ctr(5, 2, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "250.00%");
	dashfig_ctr(INT64_MAX, 1, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "92233720368547758.07%");
	dashfig_ctr(INT64_MAX, INT64_MAX, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "100.00%");
	dashfig_ctr(1, 3, s, 4);		/* truncated, terminated */
	CU_ASSERT_STRING_EQUAL(s, "33.");
}

/* Page seen: whole percent rounded down, at most 100. */
static void
test_dash_seen(void)
{
	char	 s[DASHFIG_TEXT_MAX];

	dashfig_seen(0, 0, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, NONE);
	dashfig_seen(0, 10, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0%");
	dashfig_seen(9, 10, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "90%");
	dashfig_seen(2, 3, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "66%");
	dashfig_seen(59, 60, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "98%");
	dashfig_seen(60, 60, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "100%");
	dashfig_seen(61, 60, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "100%");
	dashfig_seen(-1, 60, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, NONE);
	dashfig_seen(INT64_MAX, INT64_MAX, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "100%");
}

/* /my/slots/<campaign>/<idx>[suffix]: exact, digits only, bounded. */
static void
test_dash_slot_path(void)
{
	static const char *const bad[] = {
	    "", "/my/slots/", "/my/slots/1", "/my/slots/1/", "/my/slots//1",
	    "/my/slots/0/1", "/my/slots/01/1", "/my/slots/1/01",
	    "/my/slots/1/2/", "/my/slots/1/2/3", "/my/slots/1/-2",
	    "/my/slots/+1/2", "/my/slots/1/2x", "/my/slots/ 1/2",
	    "/my/slots/1/2 ", "/my/slot/1/2", "/MY/slots/1/2",
	    "/my/slots/1234567890123456/1", "/my/slots/1/1234567890123456",
	    "/my/slots/1/2.json", "/my/slots/1/2%00", NULL };
	int64_t	 c = -7, i = -7;
	size_t	 k;

	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/12/0", "", &c, &i), 0);
	CU_ASSERT_EQUAL(c, 12);
	CU_ASSERT_EQUAL(i, 0);
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/1/345", "", &c, &i), 0);
	CU_ASSERT_EQUAL(c, 1);
	CU_ASSERT_EQUAL(i, 345);
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/999999999999999/"
	    "999999999999999", "", &c, &i), 0);
	CU_ASSERT_EQUAL(c, INT64_C(999999999999999));
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/3/4.json", ".json", &c,
	    &i), 0);
	CU_ASSERT_EQUAL(c, 3);
	CU_ASSERT_EQUAL(i, 4);
	for (k = 0; bad[k] != NULL; k++) {
		c = i = -7;
		CU_ASSERT_EQUAL(dashfig_slot_path(bad[k], "", &c, &i), -1);
		CU_ASSERT_EQUAL(c, -7);
	}
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/3/4", ".json", &c, &i),
	    -1);
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/3/4.jsonx", ".json", &c,
	    &i), -1);
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/3/.json", ".json", &c,
	    &i), -1);
	CU_ASSERT_EQUAL(dashfig_slot_path(NULL, "", &c, &i), -1);
	CU_ASSERT_EQUAL(dashfig_slot_path("/my/slots/3/4", NULL, &c, &i), -1);
}

/* Occurrences of needle in the NUL-ended hay. */
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

/* Bars: one pair a day, scaled to the largest value, titled per day. */
static void
test_dash_daychart(void)
{
	struct daychart_day	 d[3] = {
	    { 20424 * DAY, 100, 5 }, { 20425 * DAY, 0, 0 },
	    { 20426 * DAY, 50, 1 } };
	struct buf		 out;
	const char		*s;

	buf_init(&out, DAYCHART_MAX_BYTES);
	CU_ASSERT_EQUAL(daychart_svg(&out, d, 3, 360, 120), 0);
	s = (const char *)out.data;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(count(s, "<svg "), 1);
	CU_ASSERT_EQUAL(count(s, "</svg>"), 1);
	CU_ASSERT_EQUAL(count(s, "class=\"bar-imp\""), 3);
	CU_ASSERT_EQUAL(count(s, "class=\"bar-clk\""), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "<title>2025-12-02: 100 "
	    "impressions, 5 clicks</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "<title>2025-12-03: 0 impressions, "
	    "0 clicks</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ">100</text>"));	/* the scale */
	CU_ASSERT_PTR_NULL(strstr(s, "<script"));
	CU_ASSERT_PTR_NULL(strstr(s, " on"));
	CU_ASSERT_PTR_NULL(strstr(s, "href"));
	CU_ASSERT_PTR_NULL(strstr(s, "height=\"-"));
	CU_ASSERT_PTR_NULL(strstr(s, "y=\"-"));
	buf_clear(&out);
}

/* Out of range sizes and empty input are refused; hostile values drawn. */
static void
test_dash_daychart_edges(void)
{
	struct daychart_day	 d[DAYCHART_MAX_DAYS + 10], z = { 0, 0, 0 };
	struct daychart_day	 h[2] = { { -DAY, INT64_MIN, INT64_MAX },
				    { INT64_MAX, INT64_MAX, -1 } };
	struct buf		 out;
	size_t			 i;

	buf_init(&out, DAYCHART_MAX_BYTES);
	CU_ASSERT_EQUAL(daychart_svg(&out, &z, 0, 360, 120), -1);
	CU_ASSERT_EQUAL(daychart_svg(&out, NULL, 1, 360, 120), -1);
	CU_ASSERT_EQUAL(daychart_svg(&out, &z, 1, DAYCHART_MIN_WIDTH - 1,
	    120), -1);
	CU_ASSERT_EQUAL(daychart_svg(&out, &z, 1, 360,
	    DAYCHART_MIN_HEIGHT - 1), -1);
	CU_ASSERT_EQUAL(daychart_svg(&out, &z, 1, DAYCHART_MAX_DIM + 1, 120),
	    -1);
	CU_ASSERT_EQUAL(out.len, 0);
	/* All zeros: bars of height 0, no division by zero. */
	CU_ASSERT_EQUAL(daychart_svg(&out, &z, 1, 360, 120), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr((const char *)out.data,
	    "height=\"0\""));
	buf_reset(&out);
	CU_ASSERT_EQUAL(daychart_svg(&out, h, 2, DAYCHART_MIN_WIDTH,
	    DAYCHART_MIN_HEIGHT), 0);
	CU_ASSERT_PTR_NULL(strstr((const char *)out.data, "=\"-"));
	CU_ASSERT_PTR_NOT_NULL(strstr((const char *)out.data, "<title>?:"));
	buf_reset(&out);
	/* More days than drawn: the newest DAYCHART_MAX_DAYS, bounded. */
	for (i = 0; i < DAYCHART_MAX_DAYS + 10; i++) {
		d[i].day_ms = (int64_t)(20000 + i) * DAY;
		d[i].impressions = INT64_MAX - (int64_t)i;
		d[i].clicks = (int64_t)i;
	}
	CU_ASSERT_EQUAL(daychart_svg(&out, d, DAYCHART_MAX_DAYS + 10,
	    DAYCHART_MAX_DIM, DAYCHART_MAX_DIM), 0);
	CU_ASSERT_EQUAL(count((const char *)out.data, "class=\"bar-imp\""),
	    DAYCHART_MAX_DAYS);
	CU_ASSERT(out.len < DAYCHART_MAX_BYTES);
	buf_clear(&out);
	/* A full buffer is an error, never an overrun. */
	buf_init(&out, 100);
	CU_ASSERT_EQUAL(daychart_svg(&out, d, 3, 360, 120), -1);
	CU_ASSERT(out.len <= 100);
	buf_clear(&out);
}

static CU_TestInfo tests[] = {
	{ "test_dash_ctr", test_dash_ctr },
	{ "test_dash_seen", test_dash_seen },
	{ "test_dash_slot_path", test_dash_slot_path },
	{ "test_dash_daychart", test_dash_daychart },
	{ "test_dash_daychart_edges", test_dash_daychart_edges },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "dash", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
