/*
 * Money as int64 satoshis (SPEC 3): exact conversion from and to decimal
 * BTC text ("0.0001", "21000000"), never through floating point.
 */
#ifndef ABC_MONEY_H
#define ABC_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_SAT_PER_BTC	INT64_C(100000000)
#define MONEY_MAX_SAT		(INT64_C(21000000) * MONEY_SAT_PER_BTC)

enum money_err {
	MONEY_OK = 0,
	MONEY_EEMPTY,		/* nothing there */
	MONEY_ESYNTAX,		/* not digits[.digits] */
	MONEY_EDECIMALS,	/* more than 8 decimals */
	MONEY_ENEGATIVE,	/* a minus sign */
	MONEY_ERANGE,		/* more than 21 million BTC */
	MONEY_ERR__MAX
};

enum money_err	 money_parse_btc(const char *s, size_t len, int64_t *sat);
const char	*money_strerror(enum money_err e);
int		 money_format_btc(int64_t sat, char *out, size_t outlen);

#endif /* ABC_MONEY_H */
