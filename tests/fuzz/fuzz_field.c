/* fuzz-sources: common/field.c common/utf8.c */
/*
 * libFuzzer target for the form field bounds.  Byte 0 picks the field,
 * the rest is the value.  A value that passes must keep the promises the
 * database and the pages rely on; a violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "abc_limits.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum field_id	 f;
	const uint8_t	*p;
	size_t		 n, i, chars = 0;

	if (size == 0)
		return 0;
	f = (enum field_id)(data[0] % (FIELD__MAX + 1));
	p = data + 1;
	n = size - 1;
	if (field_check(f, p, n) != NULL)
		return 0;
	if (f == FIELD__MAX || !utf8_valid(p, n) || memchr(p, 0, n) != NULL)
		abort();
	for (i = 0; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			chars++;
	if (f == FIELD_AD_URL && (n > LIMIT_AD_URL || (memcmp(p, "http://",
	    n < 7 ? n : 7) != 0 && memcmp(p, "https://", n < 8 ? n : 8) != 0)))
		abort();
	if ((f == FIELD_AD_HOVER && chars > LIMIT_AD_HOVER) ||
	    (f == FIELD_AD_NICKNAME && chars > LIMIT_AD_NICKNAME) ||
	    (f == FIELD_CAMPAIGN_NAME && chars > LIMIT_CAMPAIGN_NAME) ||
	    (f == FIELD_CAMPAIGN_DESC && chars > LIMIT_CAMPAIGN_DESC) ||
	    (f == FIELD_REJECT_REASON && (chars < 1 ||
	    chars > LIMIT_REJECT_REASON || memchr(p, '\n', n) != NULL)))
		abort();
	return 0;
}
