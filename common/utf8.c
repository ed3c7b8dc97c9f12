/* UTF-8 validation (RFC 3629, table 3-7 of the Unicode standard). */
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

/*
 * Returns 1 if the n bytes at p are well-formed UTF-8: no overlong forms,
 * no surrogates, nothing above U+10FFFF, no truncated sequence.  NUL bytes
 * are valid UTF-8; callers that refuse them check for them themselves.
 */
int
utf8_valid(const uint8_t *p, size_t n)
{
	size_t		 i = 0, k, more;
	uint8_t		 lo, hi;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		/* Bounds of the second byte; later bytes are 80..BF. */
		lo = 0x80;
		hi = 0xbf;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			more = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			more = 2;
			if (p[i] == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (p[i] == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			more = 3;
			if (p[i] == 0xf0)
				lo = 0x90;	/* overlong */
			else if (p[i] == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return 0;	/* 80..C1 and F5..FF never lead */
		if (n - i - 1 < more || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k <= more; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		i += more + 1;
	}
	return 1;
}
