/*
 * Slot prices of a campaign (SPEC 4.4), in integer satoshis and integer
 * milliseconds since the epoch; no floating point (SPEC 3).  Intermediate
 * products use unsigned 128-bit integers.
 *
 * Memory: nothing here allocates.  A struct price_campaign only borrows
 * its slots array, which the caller owns and keeps alive while the
 * campaign is in use.
 *
 * The formula.  With no slot bought, or at t >= T1, the price is
 * min_price.  Otherwise, with
 *
 *	P_last	the price paid for the last bought slot,
 *	P0	min(2 * P_last, PRICE_CAP_SAT),
 *	T0	the time of the last purchase (its bought_ms),
 *	T1	the end of the last bought slot (its end_ms),
 *	t'	max(t, T0) (a clock behind the purchase sees the price at T0),
 *
 *	p(t) = min_price + ceil((P0 - min_price) * (T1 - t') / (T1 - T0))
 *
 * for T0 <= t' < T1.  If P0 < min_price the price is min_price; if
 * T1 <= T0 the decay window is empty and the price is min_price.  Hence
 * min_price <= p(t) <= max(P0, min_price) <= PRICE_CAP_SAT, p(T0) = P0,
 * and p never increases with t.
 */
#ifndef ABC_PRICE_H
#define ABC_PRICE_H

#include <stddef.h>
#include <stdint.h>

/* 21 million BTC: the highest price, and the highest minimum price. */
#define PRICE_CAP_SAT		(INT64_C(21000000) * 100000000)

/* Slot lengths a campaign may have (SPEC 4.4: 1 h to 30 days). */
#define PRICE_SLOT_MIN_MS	(INT64_C(3600) * 1000)
#define PRICE_SLOT_MAX_MS	(INT64_C(30) * 86400 * 1000)
/* Shortest slot when short slots are allowed (tests, demos). */
#define PRICE_SLOT_SHORT_MS	INT64_C(1000)

/* One bought slot. */
struct price_slot {
	int64_t	 bought_ms;	/* when it was bought */
	int64_t	 start_ms;	/* max(bought_ms, end of the previous slot) */
	int64_t	 end_ms;	/* start_ms + the campaign's slot_ms */
	int64_t	 price_sat;	/* what the buyer paid */
};

/* What the price depends on: the campaign's terms and its bought slots. */
struct price_campaign {
	int64_t			 min_price_sat;
	int64_t			 slot_ms;
	const struct price_slot	*slots;		/* borrowed; purchase order */
	size_t			 nslots;	/* 0 allows slots == NULL */
};

int	price_valid_campaign(int64_t min_price_sat, int64_t slot_ms,
	    int allow_short);
int64_t	price_at_ms(int64_t min_price_sat, int64_t p_last_sat, int64_t t0_ms,
	    int64_t t1_ms, int64_t t_ms);
int64_t	price_now(const struct price_campaign *c, int64_t t_ms);
int	price_next_slot(const struct price_campaign *c, int64_t bought_ms,
	    struct price_slot *out);

#endif /* ABC_PRICE_H */
