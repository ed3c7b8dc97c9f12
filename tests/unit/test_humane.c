/* CUnit suite for web/humane.c: times, lengths and history words. */
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "humane.h"
#include "template.h"

#define MIN	INT64_C(60000)
#define H	(60 * MIN)

static void
test_humane_utc_parse(void)
{
	int64_t	 ms = 0;

	CU_ASSERT_EQUAL(humane_utc_parse("1970-01-01 00:00:00", &ms), 0);
	CU_ASSERT_EQUAL(ms, 0);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-11-14 22:13:20", &ms), 0);
	CU_ASSERT_EQUAL(ms, INT64_C(1700000000000));
	CU_ASSERT_EQUAL(humane_utc_parse("2024-02-29 00:00:00", &ms), 0);
	CU_ASSERT_EQUAL(humane_utc_parse("1969-12-31 23:59:59", &ms), 0);
	CU_ASSERT_EQUAL(ms, -1000);
	CU_ASSERT_EQUAL(humane_utc_parse(NULL, &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-11-14T22:13:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-11-14 22:13:2", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-11-14 22:13:200", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-13-14 22:13:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-00-14 22:13:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-04-31 22:13:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-11-14 24:13:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-11-14 22:60:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("2023-1a-14 22:13:20", &ms), -1);
	CU_ASSERT_EQUAL(humane_utc_parse("+023-11-14 22:13:20", &ms), -1);
}

static void
test_humane_abs_iso(void)
{
	char	 s[40];

	humane_iso(INT64_C(1700000000123), s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "2023-11-14T22:13:20Z");
	humane_abs(INT64_C(1700000000999), s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "2023-11-14 22:13:20 UTC");
	humane_abs(-1, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1969-12-31 23:59:59 UTC");
	humane_iso(INT64_MAX, s, sizeof(s));	/* no crash, some text */
	humane_abs(INT64_MIN, s, sizeof(s));
	humane_iso(0, s, 5);			/* too small: "" */
	CU_ASSERT_STRING_EQUAL(s, "");
}

static void
test_humane_rel(void)
{
	char	 s[40];
	int64_t	 now = INT64_C(1700000000000);

	humane_rel(now + 52 * MIN, now, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "in 52 min");
	humane_rel(now - 3 * H, now, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "3 h ago");
	humane_rel(now + 2000, now, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "just now");
	humane_rel(now - 20000, now, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "20 s ago");
	humane_rel(now + 20 * 24 * H, now, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "in 20 days");
	humane_rel(now - 89 * MIN, now, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "89 min ago");
	humane_rel(INT64_MIN, INT64_MAX, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "long ago");
	humane_rel(INT64_MAX, INT64_MIN, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "much later");
	humane_rel(now, now - 3 * H, s, 4);
	CU_ASSERT_EQUAL(strlen(s), 3);
}

static void
test_humane_span(void)
{
	char	 s[40];

	humane_span(H, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1 h");
	humane_span(20000, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "20 s");
	humane_span(90 * MIN, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1 h 30 min");
	humane_span(45 * MIN, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "45 min");
	humane_span(72 * H, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "3 days");
	humane_span(24 * H, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "24 h");
	humane_span(0, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0 s");
	humane_span(INT64_MIN, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0 s");
	humane_span(INT64_MAX, s, sizeof(s));	/* no overflow */
}

static void
test_humane_kind(void)
{
	CU_ASSERT_STRING_EQUAL(humane_kind("deposit_credited"),
	    "Deposit credited");
	CU_ASSERT_STRING_EQUAL(humane_kind("ad_uploaded"), "Ad uploaded");
	CU_ASSERT_STRING_EQUAL(humane_kind("withdrawal_sent"),
	    "Withdrawal sent");
	CU_ASSERT_STRING_EQUAL(humane_kind("something_new"), "something_new");
	CU_ASSERT_STRING_EQUAL(humane_kind(NULL), "");
}

static void
test_humane_detail(void)
{
	char	 s[128];

	humane_detail("deposit_credited", "25000000 sat in abc:0", s,
	    sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0.25000000 BTC in abc:0");
	humane_detail("purchase", "slot 0 of \"X 5 sat\" for 10000 sat", s,
	    sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "slot 1 of \"X 5 sat\" for 0.00010000 BTC");
	humane_detail("withdrawal", "#3: 1000 sat to bc1q (waits)", s,
	    sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "#3: 0.00001000 BTC to bc1q (waits)");
	/* Not amounts: digits glued to letters, "satoshi", no digits. */
	humane_detail("login", "from 10.0.0.1 sat", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "from 10.0.0.1 sat");
	humane_detail("login", "a12 sat 12 satoshi sat 12sat", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "a12 sat 12 satoshi sat 12sat");
	/* Too many digits for an amount: left alone. */
	humane_detail("sale", "99999999999999999999 sat", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "99999999999999999999 sat");
	humane_detail("sale", "slot 9999999999999999999 x", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "slot 9999999999999999999 x");
	/* Cut to the buffer, always ended. */
	humane_detail("deposit_credited", "25000000 sat", s, 6);
	CU_ASSERT_STRING_EQUAL(s, "0.250");
	humane_detail("x", NULL, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "");
	humane_detail("x", "y", s, 1);
	CU_ASSERT_STRING_EQUAL(s, "");
}

static void
test_humane_set_time(void)
{
	static const char	 t[] = "{{at}}|{{at_iso}}|{{at_rel}}|{{odd}}|"
	    "{{odd_iso}}|{{odd_rel}}|{{ms_rel}}";
	struct tpl_val		*v = tpl_obj_new();
	struct tpl_set		*set = tpl_set_new();
	struct buf		 out;
	char			 err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL_FATAL(tpl_set_add(set, "t", t, strlen(t), err,
	    sizeof(err)), 0);
	humane_set_time(v, "at", -1, "2023-11-14 22:13:20",
	    INT64_C(1700000000000) + 3 * H);
	humane_set_time(v, "odd", -1, "yesterday", 0);
	humane_set_time(v, "ms", INT64_C(1700000000000) + 52 * MIN, NULL,
	    INT64_C(1700000000000));
	buf_init(&out, 4096);
	CU_ASSERT_EQUAL_FATAL(tpl_render(set, "t", v, &out, err, sizeof(err)),
	    0);
	CU_ASSERT_STRING_EQUAL((char *)out.data, "2023-11-14 22:13:20 UTC|"
	    "2023-11-14T22:13:20Z|3 h ago|yesterday||yesterday|in 52 min");
	buf_clear(&out);
	tpl_val_free(v);
	tpl_set_free(set);
}

static CU_TestInfo tests[] = {
	{ "test_humane_utc_parse", test_humane_utc_parse },
	{ "test_humane_abs_iso", test_humane_abs_iso },
	{ "test_humane_rel", test_humane_rel },
	{ "test_humane_span", test_humane_span },
	{ "test_humane_kind", test_humane_kind },
	{ "test_humane_detail", test_humane_detail },
	{ "test_humane_set_time", test_humane_set_time },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "humane", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
