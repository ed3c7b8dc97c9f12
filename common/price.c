/* Slot prices in integer satoshis; see price.h for the formula. */
#include <stddef.h>
#include <stdint.h>

#include "price.h"

/* Clamp v into [lo, hi] (lo <= hi). */
static int64_t
price_clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Returns 1 when a campaign may have these terms: a minimum price of 1
 * satoshi to PRICE_CAP_SAT and a slot length of PRICE_SLOT_MIN_MS to
 * PRICE_SLOT_MAX_MS, or from PRICE_SLOT_SHORT_MS when allow_short is
 * non-zero.  Returns 0 otherwise.
 */
int
price_valid_campaign(int64_t min_price_sat, int64_t slot_ms, int allow_short)
{
	int64_t	 shortest;

	shortest = allow_short ? PRICE_SLOT_SHORT_MS : PRICE_SLOT_MIN_MS;
	return min_price_sat >= 1 && min_price_sat <= PRICE_CAP_SAT &&
	    slot_ms >= shortest && slot_ms <= PRICE_SLOT_MAX_MS;
}

/*
 * The price at t_ms after a purchase at t0_ms for p_last_sat of a slot
 * that ends at t1_ms (see price.h):
 *
 *	min_price + ceil((P0 - min_price) * (T1 - max(t, T0)) / (T1 - T0))
 *
 * with P0 = min(2 * p_last, cap), for max(t, T0) < T1; min_price from T1
 * on, when T1 <= T0, or when P0 < min_price.  Defined for every input:
 * min_price_sat and p_last_sat are first clamped into [0, PRICE_CAP_SAT],
 * so the result always lies in [clamped min_price, PRICE_CAP_SAT].  Time
 * differences are taken as unsigned 64-bit values (exact, since the later
 * time is the larger) and the product, below 2^51 * 2^64, in 128 bits.
 */
int64_t
price_at_ms(int64_t min_price_sat, int64_t p_last_sat, int64_t t0_ms,
    int64_t t1_ms, int64_t t_ms)
{
	unsigned __int128	 num, den;
	int64_t			 lo, p0;

	lo = price_clamp(min_price_sat, 0, PRICE_CAP_SAT);
	p0 = price_clamp(p_last_sat, 0, PRICE_CAP_SAT);
	p0 = p0 > PRICE_CAP_SAT / 2 ? PRICE_CAP_SAT : 2 * p0;
	if (t_ms < t0_ms)
		t_ms = t0_ms;
	if (t_ms >= t1_ms || p0 <= lo)
		return lo;
	/* Here t0 <= t < t1, so 0 < t1 - t <= t1 - t0. */
	num = (unsigned __int128)(uint64_t)(p0 - lo) *
	    ((uint64_t)t1_ms - (uint64_t)t_ms);
	den = (uint64_t)t1_ms - (uint64_t)t0_ms;
	/* Rounded up, and at most p0 - lo because t1 - t <= t1 - t0. */
	return lo + (int64_t)((num + den - 1) / den);
}

/*
 * The price of the next slot of c at t_ms (SPEC 4.4): min_price when no
 * slot was ever bought, else price_at_ms() after the last purchase, the
 * last element of c->slots.  Always within [min_price, PRICE_CAP_SAT] for
 * a campaign that passes price_valid_campaign().
 */
int64_t
price_now(const struct price_campaign *c, int64_t t_ms)
{
	const struct price_slot	*last;

	if (c->nslots == 0 || c->slots == NULL)
		return price_clamp(c->min_price_sat, 0, PRICE_CAP_SAT);
	last = &c->slots[c->nslots - 1];
	return price_at_ms(c->min_price_sat, last->price_sat, last->bought_ms,
	    last->end_ms, t_ms);
}

/*
 * Fill out->bought_ms, start_ms and end_ms for a slot of c bought at
 * bought_ms: it starts at max(bought_ms, end of the last bought slot) and
 * lasts c->slot_ms.  out->price_sat is not touched: the caller sets what
 * was paid.  Returns 0, or -1 with *out unchanged when c->slot_ms is not
 * positive or the end does not fit in an int64_t.
 */
int
price_next_slot(const struct price_campaign *c, int64_t bought_ms,
    struct price_slot *out)
{
	int64_t	 start;

	if (c->slot_ms <= 0)
		return -1;
	start = bought_ms;
	if (c->nslots > 0 && c->slots != NULL &&
	    c->slots[c->nslots - 1].end_ms > start)
		start = c->slots[c->nslots - 1].end_ms;
	if (start > INT64_MAX - c->slot_ms)
		return -1;
	out->bought_ms = bought_ms;
	out->start_ms = start;
	out->end_ms = start + c->slot_ms;
	return 0;
}
