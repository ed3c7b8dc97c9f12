/* fuzz-sources: common/price.c common/chart.c common/buf.c common/xmalloc.c common/money.c */
/*
 * libFuzzer target for the slot price formula (price_now, price_at_ms,
 * price_next_slot) and the price chart (chart_svg).  Input layout, all
 * integers in host byte order, missing header bytes read as zero:
 *
 *	bytes 0-7	min_price_sat
 *	bytes 8-15	slot_ms
 *	bytes 16-23	t_ms, the time asked (also the chart's now)
 *	bytes 24-25	chart width (see below)
 *	bytes 26-27	chart height
 *	byte 28		flags: FZ_CHAIN, FZ_VALID, FZ_RAWDIM
 *	bytes 29-	up to 64 slots of 32 bytes: bought, start, end, price
 *
 * With FZ_CHAIN the slots are built with price_next_slot() (the bought
 * field is then a delta) as the worker would; otherwise they are taken
 * as they are.  FZ_VALID folds min_price and slot_ms into the accepted
 * ranges.  FZ_RAWDIM passes the dimensions as signed 16-bit values,
 * else they are folded into the accepted range.  Any violation of the
 * contracts in price.h and chart.h aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chart.h"
#include "price.h"

#define FZ_HDR		29
#define FZ_SLOT		32
#define FZ_MAXSLOTS	64

#define FZ_CHAIN	0x01
#define FZ_VALID	0x02
#define FZ_RAWDIM	0x04

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The int64 at p. */
static int64_t
fz_i64(const uint8_t *p)
{
	int64_t	 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Clamp v into [lo, hi]. */
static int64_t
fz_clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* v folded into [lo, hi] (span below 2^63). */
static int64_t
fz_fold(int64_t v, int64_t lo, int64_t hi)
{
	return lo + (int64_t)((uint64_t)v % (uint64_t)(hi - lo + 1));
}

/* Checks every numeric coordinate attribute of svg against w and h. */
static void
fz_check_coords(const char *svg, long w, long h)
{
	static const char *const attr[] = { " x=\"", " cx=\"", " x1=\"",
	    " x2=\"", " y=\"", " cy=\"", " y1=\"", " y2=\"" };
	const char	*p;
	char		*end;
	long		 v;
	size_t		 i;

	for (i = 0; i < sizeof(attr) / sizeof(attr[0]); i++)
		for (p = svg; (p = strstr(p, attr[i])) != NULL; p = end) {
			v = strtol(p + strlen(attr[i]), &end, 10);
			if (v < 0 || v > (i < 4 ? w : h) || *end != '"')
				abort();
		}
}

/* The price and next-slot contracts for campaign c at t. */
static void
fz_check_price(const struct price_campaign *c, int64_t t)
{
	const struct price_slot	*last;
	struct price_slot	 s;
	int64_t			 lo, p, q, p0;

	lo = fz_clamp(c->min_price_sat, 0, PRICE_CAP_SAT);
	p = price_now(c, t);
	if (p < lo || p > PRICE_CAP_SAT)
		abort();
	if (price_valid_campaign(c->min_price_sat, c->slot_ms, 1) &&
	    p < c->min_price_sat)
		abort();
	/* Never increasing with time. */
	if (t < INT64_MAX && price_now(c, t + 1) > p)
		abort();
	if (t > INT64_MIN && price_now(c, t - 1) < p)
		abort();
	if (c->nslots == 0) {
		if (p != lo)
			abort();
	} else {
		last = &c->slots[c->nslots - 1];
		p0 = fz_clamp(last->price_sat, 0, PRICE_CAP_SAT);
		p0 = p0 > PRICE_CAP_SAT / 2 ? PRICE_CAP_SAT : 2 * p0;
		q = price_now(c, last->bought_ms);
		if (last->end_ms > last->bought_ms && p0 > lo ? q != p0 :
		    q != lo)
			abort();
		if (t >= last->end_ms && p != lo)
			abort();
		if (p > q)
			abort();
	}
	memset(&s, 0x5a, sizeof(s));
	if (price_next_slot(c, t, &s) == 0) {
		if (s.bought_ms != t || s.start_ms < t ||
		    (c->nslots > 0 &&
		    s.start_ms < c->slots[c->nslots - 1].end_ms) ||
		    c->slot_ms <= 0 || s.end_ms - c->slot_ms != s.start_ms)
			abort();
	} else if (c->slot_ms > 0 && t <= INT64_MAX - c->slot_ms &&
	    (c->nslots == 0 ||
	    c->slots[c->nslots - 1].end_ms <= INT64_MAX - c->slot_ms))
		abort();		/* refused although it fits */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct price_slot	 slots[FZ_MAXSLOTS];
	struct price_campaign	 c;
	struct buf		 b;
	uint8_t			 hdr[FZ_HDR];
	const uint8_t		*sp;
	int64_t			 t, d;
	uint16_t		 w16, h16;
	size_t			 n, i;
	int			 w, h, rc;

	memset(hdr, 0, sizeof(hdr));
	if (size > 0)
		memcpy(hdr, data, size < FZ_HDR ? size : FZ_HDR);
	c.min_price_sat = fz_i64(hdr);
	c.slot_ms = fz_i64(hdr + 8);
	t = fz_i64(hdr + 16);
	memcpy(&w16, hdr + 24, 2);
	memcpy(&h16, hdr + 26, 2);
	if (hdr[28] & FZ_VALID) {
		c.min_price_sat = fz_fold(c.min_price_sat, 1, PRICE_CAP_SAT);
		c.slot_ms = fz_fold(c.slot_ms, PRICE_SLOT_SHORT_MS,
		    PRICE_SLOT_MAX_MS);
	}
	c.slots = slots;
	c.nslots = 0;
	n = size > FZ_HDR ? (size - FZ_HDR) / FZ_SLOT : 0;
	if (n > FZ_MAXSLOTS)
		n = FZ_MAXSLOTS;
	for (i = 0; i < n; i++) {
		sp = data + FZ_HDR + i * FZ_SLOT;
		if (hdr[28] & FZ_CHAIN) {
			/* Purchases in order, a delta after the last one. */
			d = (int64_t)((uint64_t)fz_i64(sp) % 1000000000);
			t = i == 0 ? fz_i64(sp) : slots[i - 1].bought_ms;
			if (i > 0 && t <= INT64_MAX - d)
				t += d;
			if (price_next_slot(&c, t, &slots[i]) == -1)
				break;
			slots[i].price_sat = (sp[8] & 1) ? price_now(&c, t) :
			    fz_i64(sp + 24);
		} else {
			slots[i].bought_ms = fz_i64(sp);
			slots[i].start_ms = fz_i64(sp + 8);
			slots[i].end_ms = fz_i64(sp + 16);
			slots[i].price_sat = fz_i64(sp + 24);
		}
		c.nslots = i + 1;
		fz_check_price(&c, fz_i64(hdr + 16));
	}
	t = fz_i64(hdr + 16);
	fz_check_price(&c, t);

	if (hdr[28] & FZ_RAWDIM) {
		w = (int16_t)w16;
		h = (int16_t)h16;
	} else {
		w = CHART_MIN_WIDTH + w16 %
		    (CHART_MAX_DIM - CHART_MIN_WIDTH + 1);
		h = CHART_MIN_HEIGHT + h16 %
		    (CHART_MAX_DIM - CHART_MIN_HEIGHT + 1);
	}
	buf_init(&b, 1024 * 1024);
	rc = chart_svg(&b, &c, t, w, h);
	if (rc == 0) {
		if (b.len > CHART_MAX_BYTES || b.len < 6 ||
		    strncmp((char *)b.data, "<svg ", 5) != 0 ||
		    strstr((char *)b.data, "</svg>\n") == NULL ||
		    strstr((char *)b.data, "<script") != NULL ||
		    strstr((char *)b.data, "javascript:") != NULL ||
		    memchr(b.data, '\0', b.len) != NULL)
			abort();
		fz_check_coords((char *)b.data, w, h);
	} else if (rc != -1 || b.len != 0 || (w >= CHART_MIN_WIDTH &&
	    w <= CHART_MAX_DIM && h >= CHART_MIN_HEIGHT &&
	    h <= CHART_MAX_DIM))
		abort();
	buf_clear(&b);
	return 0;
}
