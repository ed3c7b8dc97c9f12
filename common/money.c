/* Decimal BTC text <-> int64 satoshis, digit by digit. */
#include <stdio.h>
#include <string.h>

#include "money.h"

static const char *const money_errs[MONEY_ERR__MAX] = {
	"ok",
	"enter an amount",
	"an amount is digits with an optional decimal point",
	"at most 8 decimals (1 satoshi = 0.00000001 BTC)",
	"the amount cannot be negative",
	"the amount is more than 21 million BTC",
};

const char *
money_strerror(enum money_err e)
{
	return (unsigned)e < MONEY_ERR__MAX ? money_errs[e] : "bad amount";
}

/*
 * Parses s (len bytes, no NUL needed) as a non-negative BTC amount with at
 * most 8 decimals into *sat.  Leading and trailing spaces are allowed;
 * nothing else is ("1e-8", "+1", "1,5", ".5" with no digit before are
 * refused: "0.5" is the way to write it).
 */
enum money_err
money_parse_btc(const char *s, size_t len, int64_t *sat)
{
	int64_t	 whole = 0, frac = 0;
	size_t	 i = 0, decimals = 0;

	while (len > 0 && s[len - 1] == ' ')
		len--;
	while (i < len && s[i] == ' ')
		i++;
	if (i == len)
		return MONEY_EEMPTY;
	if (s[i] == '-')
		return MONEY_ENEGATIVE;
	if (s[i] < '0' || s[i] > '9')
		return MONEY_ESYNTAX;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		whole = whole * 10 + (s[i] - '0');
		if (whole > MONEY_MAX_SAT / MONEY_SAT_PER_BTC)
			return MONEY_ERANGE;
	}
	if (i < len && s[i] == '.') {
		if (++i == len)
			return MONEY_ESYNTAX;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (++decimals > 8)
				return MONEY_EDECIMALS;
			frac = frac * 10 + (s[i] - '0');
		}
	}
	if (i != len)
		return MONEY_ESYNTAX;
	for (; decimals < 8; decimals++)
		frac *= 10;
	if (whole * MONEY_SAT_PER_BTC + frac > MONEY_MAX_SAT)
		return MONEY_ERANGE;
	*sat = whole * MONEY_SAT_PER_BTC + frac;
	return MONEY_OK;
}

/*
 * Writes sat as BTC with 8 decimals ("0.00010000", "-1.50000000") into
 * out.  Returns 0, or -1 when it does not fit.
 */
int
money_format_btc(int64_t sat, char *out, size_t outlen)
{
	uint64_t	 mag;
	int		 n;

	mag = sat < 0 ? (uint64_t)0 - (uint64_t)sat : (uint64_t)sat;
	n = snprintf(out, outlen, "%s%llu.%08llu", sat < 0 ? "-" : "",
	    (unsigned long long)(mag / (uint64_t)MONEY_SAT_PER_BTC),
	    (unsigned long long)(mag % (uint64_t)MONEY_SAT_PER_BTC));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
