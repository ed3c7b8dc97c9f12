/* fuzz-sources: common/money.c */
/*
 * libFuzzer target for the BTC amount parser.  The input is the text, in an
 * exact-size buffer with no NUL after it, so that ASan catches any read past
 * len.  An accepted amount must be within [0, MONEY_MAX_SAT], and formatting
 * it must give text that parses back to the same amount; a violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, out[32];
	int64_t		 sat = -1, back = -1;
	enum money_err	 e;

	if ((s = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	e = money_parse_btc(s, size, &sat);
	free(s);
	if ((unsigned)e >= MONEY_ERR__MAX ||
	    money_strerror(e) == NULL)
		abort();
	if (e != MONEY_OK) {
		if (sat != -1)
			abort();	/* *sat is left alone on error */
		return 0;
	}
	if (sat < 0 || sat > MONEY_MAX_SAT)
		abort();
	if (money_format_btc(sat, out, sizeof(out)) != 0)
		abort();
	if (money_parse_btc(out, strlen(out), &back) != MONEY_OK ||
	    back != sat)
		abort();
	return 0;
}
