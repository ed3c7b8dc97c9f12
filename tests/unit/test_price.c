/*
 * CUnit suite for common/price.c: the slot price formula of SPEC 4.4.
 * Expected values in the tables were computed independently with
 * arbitrary-precision integers.
 */
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "price.h"

#define H_MS		(INT64_C(3600) * 1000)
#define DAY_MS		(INT64_C(86400) * 1000)
#define CAP		PRICE_CAP_SAT
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* One price_now() case: a campaign of up to 4 slots and the time asked. */
struct price_case {
	const char		*name;
	int64_t			 min_price;
	size_t			 nslots;
	struct price_slot	 slots[4];	/* bought, start, end, price */
	int64_t			 t;
	int64_t			 want;
};

static const struct price_case price_cases[] = {
	{ "no purchase yet", 1000, 0, { { 0, 0, 0, 0 } }, 123456, 1000 },
	{ "no purchase, t = 0", 1, 0, { { 0, 0, 0, 0 } }, 0, 1 },
	{ "just bought: 2P", 1000, 1,
	    { { 1000000, 1000000, 1000000 + H_MS, 5000 } }, 1000000, 10000 },
	{ "just bought, 2P above cap", 1, 1,
	    { { 0, 0, H_MS, CAP / 2 + 1 } }, 0, CAP },
	{ "just bought at the cap", 1, 1,
	    { { 0, 0, H_MS, CAP } }, 0, CAP },
	{ "half-way, even", 1000, 1,
	    { { 0, 0, H_MS, 5000 } }, H_MS / 2, 5500 },
	{ "half-way, odd: x.5 rounds up", 1001, 1,
	    { { 0, 0, H_MS, 5000 } }, H_MS / 2, 5501 },
	{ "a third of the way: 6.67 rounds up", 0, 1,
	    { { 0, 0, 3, 5 } }, 1, 7 },
	{ "one ms before the end", 1000, 1,
	    { { 0, 0, H_MS, 5000 } }, H_MS - 1, 1001 },
	{ "exactly at the end", 1000, 1,
	    { { 0, 0, H_MS, 5000 } }, H_MS, 1000 },
	{ "expired long ago", 1000, 1,
	    { { 0, 0, H_MS, 5000 } }, H_MS + 1000 * DAY_MS, 1000 },
	{ "t before the purchase: value at T0", 1000, 1,
	    { { 1000000, 1000000, 1000000 + H_MS, 5000 } }, 1000000 - 5000,
	    10000 },
	{ "t far before the purchase", 1000, 1,
	    { { 1000000, 1000000, 1000000 + H_MS, 5000 } }, INT64_MIN,
	    10000 },
	{ "2P below the minimum", 10000, 1,
	    { { 0, 0, H_MS, 100 } }, 0, 10000 },
	{ "1-satoshi minimum, at T0", 1, 1,
	    { { 0, 0, H_MS, 1 } }, 0, 2 },
	{ "1-satoshi minimum, half-way", 1, 1,
	    { { 0, 0, H_MS, 1 } }, H_MS / 2, 2 },
	{ "1-satoshi minimum, 1 ms left", 1, 1,
	    { { 0, 0, H_MS, 1 } }, H_MS - 1, 2 },
	{ "1-satoshi minimum, at the end", 1, 1,
	    { { 0, 0, H_MS, 1 } }, H_MS, 1 },
	{ "minimum = cap", CAP, 1,
	    { { 0, 0, H_MS, CAP } }, 10, CAP },
	{ "minimum = cap, no purchase", CAP, 0,
	    { { 0, 0, 0, 0 } }, 10, CAP },
	{ "queue: the last purchase sets the price", 1000, 3, {
	    { 0, 0, H_MS, 100000 },
	    { 600000, H_MS, 2 * H_MS, 2000 },
	    { 1200000, 2 * H_MS, 3 * H_MS, 3000 } }, 1200000, 6000 },
	{ "queue: half-way to the end of the queue", 1000, 3, {
	    { 0, 0, H_MS, 100000 },
	    { 600000, H_MS, 2 * H_MS, 2000 },
	    { 1200000, 2 * H_MS, 3 * H_MS, 3000 } }, 6000000, 3500 },
	{ "queue: past the end of the queue", 1000, 3, {
	    { 0, 0, H_MS, 100000 },
	    { 600000, H_MS, 2 * H_MS, 2000 },
	    { 1200000, 2 * H_MS, 3 * H_MS, 3000 } }, 3 * H_MS, 1000 },
	{ "cap, 1000 queued 30-day slots, 1 ms in", 1, 1,
	    { { 0, 999 * 30 * DAY_MS, 1000 * 30 * DAY_MS, CAP - 1 } }, 1,
	    INT64_C(2099999999999190) },
	{ "cap, 1000 queued 30-day slots, 1 ms left", 1, 1,
	    { { 0, 999 * 30 * DAY_MS, 1000 * 30 * DAY_MS, CAP } },
	    1000 * 30 * DAY_MS - 1, 812 },
	{ "cap, queued slots, just past half-way", 12345, 1,
	    { { 5, 5, 5 + 1000 * 30 * DAY_MS, CAP - 1 } },
	    5 + 1000 * 30 * DAY_MS / 2 + 1, INT64_C(1050000000005363) },
	{ "whole int64 time range", 1, 1,
	    { { INT64_MIN, INT64_MIN, INT64_MAX, CAP } }, 0,
	    INT64_C(1050000000000001) },
	{ "whole int64 time range, small price", 7, 1,
	    { { INT64_MIN, INT64_MIN, INT64_MAX, 123456789 } }, 0,
	    123456793 },
	{ "empty window: end = purchase time", 1000, 1,
	    { { 500, 500, 500, 5000 } }, 400, 1000 },
	{ "negative price paid", 1000, 1,
	    { { 0, 0, H_MS, -5000 } }, 0, 1000 },
	{ "INT64_MIN price paid", 1000, 1,
	    { { 0, 0, H_MS, INT64_MIN } }, 0, 1000 },
	{ "INT64_MAX price paid", 1000, 1,
	    { { 0, 0, H_MS, INT64_MAX } }, 0, CAP },
};

static void
test_price_table(void)
{
	const struct price_case	*pc;
	struct price_campaign	 c;
	int64_t			 got;
	size_t			 i;

	for (i = 0; i < NITEMS(price_cases); i++) {
		pc = &price_cases[i];
		c.min_price_sat = pc->min_price;
		c.slot_ms = H_MS;
		c.slots = pc->nslots > 0 ? pc->slots : NULL;
		c.nslots = pc->nslots;
		got = price_now(&c, pc->t);
		if (got != pc->want)
			fprintf(stderr, "\n%s: got %lld, want %lld\n", pc->name,
			    (long long)got, (long long)pc->want);
		CU_ASSERT_EQUAL(got, pc->want);
	}
}

/* Slots present but nslots == 0 still means nothing was ever bought. */
static void
test_price_no_slots(void)
{
	static const struct price_slot	 s = { 0, 0, H_MS, 5000 };
	struct price_campaign		 c = { 1000, H_MS, &s, 0 };

	CU_ASSERT_EQUAL(price_now(&c, 0), 1000);
	c.nslots = 1;
	CU_ASSERT_EQUAL(price_now(&c, 0), 10000);
	CU_ASSERT_EQUAL(price_at_ms(1000, 5000, 0, H_MS, 0), 10000);
	CU_ASSERT_EQUAL(price_at_ms(1000, 5000, 0, H_MS, H_MS), 1000);
}

/* One price_valid_campaign() case. */
struct valid_case {
	int64_t	 min_price;
	int64_t	 slot_ms;
	int	 allow_short;
	int	 want;
};

static const struct valid_case valid_cases[] = {
	{ 1, H_MS, 0, 1 },
	{ CAP, 30 * DAY_MS, 0, 1 },
	{ 0, H_MS, 0, 0 },
	{ -1, H_MS, 0, 0 },
	{ CAP + 1, H_MS, 0, 0 },
	{ INT64_MIN, H_MS, 1, 0 },
	{ INT64_MAX, H_MS, 1, 0 },
	{ 1, H_MS - 1, 0, 0 },
	{ 1, 30 * DAY_MS + 1, 0, 0 },
	{ 1, 30 * DAY_MS + 1, 1, 0 },
	{ 1, 1000, 0, 0 },
	{ 1, 1000, 1, 1 },
	{ 1, 999, 1, 0 },
	{ 1, 0, 1, 0 },
	{ 1, -H_MS, 1, 0 },
	{ 1, INT64_MAX, 1, 0 },
	{ 1, H_MS, 1, 1 },
};

static void
test_price_valid_campaign(void)
{
	const struct valid_case	*vc;
	size_t			 i;

	for (i = 0; i < NITEMS(valid_cases); i++) {
		vc = &valid_cases[i];
		CU_ASSERT_EQUAL(price_valid_campaign(vc->min_price,
		    vc->slot_ms, vc->allow_short), vc->want);
	}
}

/* One step of a queue built with price_next_slot(). */
struct next_case {
	int64_t	 bought;
	int64_t	 want_start;
	int64_t	 want_end;
};

static void
test_price_next_slot_chain(void)
{
	static const struct next_case	 steps[] = {
		{ 1000, 1000, 1000 + H_MS },		/* first: starts now */
		{ 2000, 1000 + H_MS, 1000 + 2 * H_MS },	/* queued */
		{ 3000, 1000 + 2 * H_MS, 1000 + 3 * H_MS },
		{ 1000 + 3 * H_MS, 1000 + 3 * H_MS,	/* exactly at the end */
		    1000 + 4 * H_MS },
		{ 10 * H_MS, 10 * H_MS, 11 * H_MS },	/* after a gap */
		{ 5, 11 * H_MS, 12 * H_MS },		/* clock behind */
	};
	struct price_slot	 slots[NITEMS(steps)];
	struct price_campaign	 c = { 1000, H_MS, slots, 0 };
	size_t			 i;

	for (i = 0; i < NITEMS(steps); i++) {
		memset(&slots[i], 0, sizeof(slots[i]));
		slots[i].price_sat = -77;
		CU_ASSERT_EQUAL_FATAL(price_next_slot(&c, steps[i].bought,
		    &slots[i]), 0);
		CU_ASSERT_EQUAL(slots[i].bought_ms, steps[i].bought);
		CU_ASSERT_EQUAL(slots[i].start_ms, steps[i].want_start);
		CU_ASSERT_EQUAL(slots[i].end_ms, steps[i].want_end);
		CU_ASSERT_EQUAL(slots[i].price_sat, -77);	/* untouched */
		/* The buyer pays the price now; the queue grows. */
		slots[i].price_sat = price_now(&c, steps[i].bought);
		c.nslots = i + 1;
		/* Right after a purchase the price is 2P (here >= min). */
		CU_ASSERT_EQUAL(price_now(&c, steps[i].bought),
		    2 * slots[i].price_sat);
	}
	CU_ASSERT_EQUAL(slots[0].price_sat, 1000);
	/* 1000 + ceil(1000 * (H - 1000) / H) */
	CU_ASSERT_EQUAL(slots[1].price_sat, 2000);
	CU_ASSERT_EQUAL(slots[3].price_sat, 1000);	/* queue had ended */
	CU_ASSERT_EQUAL(slots[5].price_sat, 2 * slots[4].price_sat);
}

static void
test_price_next_slot_overflow(void)
{
	struct price_slot	 last = { 0, INT64_MAX - H_MS, INT64_MAX, 10 };
	struct price_slot	 out = { 1, 2, 3, 4 };
	struct price_campaign	 c = { 1000, H_MS, &last, 1 };

	/* The queue already ends at INT64_MAX: no room for another. */
	CU_ASSERT_EQUAL(price_next_slot(&c, 0, &out), -1);
	CU_ASSERT_EQUAL(out.bought_ms, 1);
	CU_ASSERT_EQUAL(out.start_ms, 2);
	CU_ASSERT_EQUAL(out.end_ms, 3);
	CU_ASSERT_EQUAL(out.price_sat, 4);
	/* Empty queue: a purchase just early enough fits, one ms later not. */
	c.nslots = 0;
	CU_ASSERT_EQUAL(price_next_slot(&c, INT64_MAX - H_MS, &out), 0);
	CU_ASSERT_EQUAL(out.start_ms, INT64_MAX - H_MS);
	CU_ASSERT_EQUAL(out.end_ms, INT64_MAX);
	CU_ASSERT_EQUAL(price_next_slot(&c, INT64_MAX - H_MS + 1, &out), -1);
	CU_ASSERT_EQUAL(price_next_slot(&c, INT64_MAX, &out), -1);
	/* Very negative times are fine. */
	CU_ASSERT_EQUAL(price_next_slot(&c, INT64_MIN, &out), 0);
	CU_ASSERT_EQUAL(out.end_ms, INT64_MIN + H_MS);
	/* A campaign without a slot length refuses. */
	c.slot_ms = 0;
	CU_ASSERT_EQUAL(price_next_slot(&c, 0, &out), -1);
	c.slot_ms = -H_MS;
	CU_ASSERT_EQUAL(price_next_slot(&c, 0, &out), -1);
	c.slot_ms = INT64_MAX;
	CU_ASSERT_EQUAL(price_next_slot(&c, 0, &out), 0);
	CU_ASSERT_EQUAL(price_next_slot(&c, 1, &out), -1);
}

/* splitmix64: a small PRNG with a fixed seed, for reproducible sweeps. */
static uint64_t
rnd_next(uint64_t *state)
{
	uint64_t	 z;

	z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A uniform-enough value in [lo, hi] (lo <= hi, span below 2^63). */
static int64_t
rnd_range(uint64_t *state, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd_next(state) % (uint64_t)(hi - lo + 1));
}

/* A price: small, mid-sized, near half the cap or near the cap. */
static int64_t
rnd_price(uint64_t *state)
{
	switch (rnd_next(state) % 4) {
	case 0:
		return rnd_range(state, 1, 1000);
	case 1:
		return rnd_range(state, 1, CAP);
	case 2:
		return rnd_range(state, CAP / 2 - 1000, CAP / 2 + 1000);
	default:
		return rnd_range(state, CAP - 1000, CAP);
	}
}

/*
 * Checks p = price_now(c, t) against the definition: p is in [min,
 * max(P0, min)], and when p > min it is the ceiling of the exact value,
 * (p - min - 1) * den < (P0 - min) * (T1 - t') <= (p - min) * den.
 */
static int
price_check_one(const struct price_campaign *c, int64_t t, int64_t p)
{
	const struct price_slot	*last = &c->slots[c->nslots - 1];
	unsigned __int128	 num, den;
	int64_t			 p0, tt;

	p0 = last->price_sat > CAP / 2 ? CAP : 2 * last->price_sat;
	if (p < c->min_price_sat || p > CAP ||
	    p > (p0 > c->min_price_sat ? p0 : c->min_price_sat))
		return 0;
	tt = t < last->bought_ms ? last->bought_ms : t;
	if (tt >= last->end_ms || p0 <= c->min_price_sat)
		return p == c->min_price_sat;
	if (tt == last->bought_ms && p != p0)
		return 0;
	num = (unsigned __int128)(uint64_t)(p0 - c->min_price_sat) *
	    (uint64_t)(last->end_ms - tt);
	den = (uint64_t)(last->end_ms - last->bought_ms);
	return (unsigned __int128)(uint64_t)(p - c->min_price_sat - 1) * den <
	    num && num <= (unsigned __int128)(uint64_t)(p - c->min_price_sat) *
	    den;
}

/*
 * Property sweep over many random valid campaigns built with
 * price_next_slot(): the price stays within bounds, equals the exact
 * ceiling, and never increases with t.
 */
static void
test_price_property_sweep(void)
{
	struct price_slot	 slots[24];
	struct price_campaign	 c;
	uint64_t		 st = UINT64_C(20240229);
	int64_t			 t, prev, p, from, to, step;
	int			 run, k, n, bad_bounds = 0, bad_mono = 0;

	for (run = 0; run < 2000; run++) {
		c.min_price_sat = rnd_next(&st) % 8 == 0 ? CAP : rnd_price(&st);
		c.slot_ms = rnd_range(&st, PRICE_SLOT_SHORT_MS,
		    PRICE_SLOT_MAX_MS);
		c.slots = slots;
		c.nslots = 0;
		CU_ASSERT_FATAL(price_valid_campaign(c.min_price_sat, c.slot_ms,
		    1));
		n = (int)rnd_range(&st, 1, (int64_t)NITEMS(slots));
		t = rnd_range(&st, -DAY_MS, INT64_C(4102444800000));
		for (k = 0; k < n; k++) {
			t += rnd_range(&st, 0, c.slot_ms * 2);
			CU_ASSERT_EQUAL_FATAL(price_next_slot(&c, t,
			    &slots[k]), 0);
			slots[k].price_sat = rnd_next(&st) % 2 ?
			    price_now(&c, t) : rnd_price(&st);
			c.nslots = (size_t)k + 1;
		}
		from = slots[n - 1].bought_ms - c.slot_ms;
		to = slots[n - 1].end_ms + c.slot_ms;
		step = (to - from) / 997 + 1;
		prev = INT64_MAX;
		for (t = from; t <= to; t += step) {
			p = price_now(&c, t);
			if (!price_check_one(&c, t, p))
				bad_bounds++;
			if (p > prev)
				bad_mono++;
			prev = p;
		}
		/* The edges, exactly. */
		for (t = slots[n - 1].end_ms - 2; t <= slots[n - 1].end_ms + 1;
		    t++)
			if (!price_check_one(&c, t, price_now(&c, t)))
				bad_bounds++;
		if (!price_check_one(&c, slots[n - 1].bought_ms,
		    price_now(&c, slots[n - 1].bought_ms)))
			bad_bounds++;
	}
	CU_ASSERT_EQUAL(bad_bounds, 0);
	CU_ASSERT_EQUAL(bad_mono, 0);
}

/* Rounding up never lifts the price above P0, even with tiny windows. */
static void
test_price_round_up_bounded(void)
{
	int64_t	 p_last, den, t, p;
	int	 over = 0;

	for (p_last = 1; p_last <= 40; p_last++)
		for (den = 1; den <= 40; den++)
			for (t = 0; t <= den; t++) {
				p = price_at_ms(3, p_last, 0, den, t);
				if (p > (2 * p_last > 3 ? 2 * p_last : 3) ||
				    p < 3)
					over++;
			}
	CU_ASSERT_EQUAL(over, 0);
	for (t = 0; t < 100; t++) {
		p = price_at_ms(1, CAP, 0, 100, t);
		CU_ASSERT(p <= CAP && p >= 1);
	}
	CU_ASSERT_EQUAL(price_at_ms(1, CAP, 0, 100, 0), CAP);
	CU_ASSERT_EQUAL(price_at_ms(1, CAP, 0, 100, 99), 1 + (CAP - 1 + 99) /
	    100);
}

static CU_TestInfo tests[] = {
	{ "test_price_table", test_price_table },
	{ "test_price_no_slots", test_price_no_slots },
	{ "test_price_valid_campaign", test_price_valid_campaign },
	{ "test_price_next_slot_chain", test_price_next_slot_chain },
	{ "test_price_next_slot_overflow",
	    test_price_next_slot_overflow },
	{ "test_price_property_sweep", test_price_property_sweep },
	{ "test_price_round_up_bounded", test_price_round_up_bounded },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "price", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
