/*
 * abc-pricecases: prints N random cases of common/price.c's price_at_ms,
 * one a line: "min_price p_last t0_ms t1_ms t_ms price", so that a test
 * can ask the database's camp_price_at the same questions and compare
 * (tests/it/t_083_purchase_sql.sh).  Values are drawn from edge-heavy
 * distributions: zero, one, the cap and beyond, negative and extreme
 * times, empty and huge decay windows.  Usage: abc-pricecases N SEED.
 * Nothing is allocated.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "price.h"

/* xorshift64*: a repeatable stream from the seed. */
static uint64_t
next_u64(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* An amount: small, near the cap, or anything in int64's range. */
static int64_t
pick_sat(uint64_t *s)
{
	switch (next_u64(s) % 6) {
	case 0: return (int64_t)(next_u64(s) % 3);
	case 1: return (int64_t)(next_u64(s) % 100000);
	case 2: return PRICE_CAP_SAT / 2 - 2 + (int64_t)(next_u64(s) % 5);
	case 3: return PRICE_CAP_SAT - 2 + (int64_t)(next_u64(s) % 5);
	case 4: return (int64_t)next_u64(s);
	default: return (int64_t)(next_u64(s) % (uint64_t)PRICE_CAP_SAT);
	}
}

/* A time near base, or anywhere. */
static int64_t
pick_ms(uint64_t *s, int64_t base)
{
	switch (next_u64(s) % 5) {
	case 0: return base;
	case 1: return base + (int64_t)(next_u64(s) % 7) - 3;
	case 2: return base + (int64_t)(next_u64(s) % 86400000);
	case 3: return (int64_t)next_u64(s);
	default: return base - (int64_t)(next_u64(s) % 3600000);
	}
}

int
main(int argc, char **argv)
{
	uint64_t	 seed;
	int64_t		 min, last, t0, t1, t;
	long		 n, i;

	if (argc != 3 || (n = strtol(argv[1], NULL, 10)) < 1 ||
	    (seed = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: abc-pricecases N SEED (SEED > 0)\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		min = pick_sat(&seed);
		last = pick_sat(&seed);
		t0 = pick_ms(&seed, INT64_C(1800000000000));
		t1 = pick_ms(&seed, t0);
		t = pick_ms(&seed, t0);
		printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %"
		    PRId64 " %" PRId64 "\n", min, last, t0, t1, t,
		    price_at_ms(min, last, t0, t1, t));
	}
	return 0;
}
