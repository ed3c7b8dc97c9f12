/* fuzz-sources: web/humane.c web/template.c common/money.c common/buf.c common/xmalloc.c common/utf8.c */
/*
 * libFuzzer target for web/humane.c, which rewrites text the worker sends
 * (history details hold campaign names users chose) and reads its times.
 * The input is a history detail; its first byte picks the kind.  Checks:
 * every output is NUL-terminated within its buffer, a time it accepts is
 * formatted back to the same text, and nothing crashes for any bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "humane.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "purchase", "sale", "withdrawal",
	    "deposit_credited", "login", "unknown_kind" };
	char	*s, out[64], big[2048], iso[32], abs[48];
	int64_t	 ms;
	size_t	 k;

	if (size == 0 || size > 4096)
		return 0;
	k = data[0] % (sizeof(kinds) / sizeof(kinds[0]));
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	humane_detail(kinds[k], s, out, sizeof(out));
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	humane_detail(kinds[k], s, big, sizeof(big));
	if (memchr(big, '\0', sizeof(big)) == NULL)
		abort();
	if (humane_utc_parse(s, &ms) == 0) {
		humane_abs(ms, abs, sizeof(abs));
		/* "YYYY-MM-DD HH:MM:SS UTC" gives back the text (second 60
		 * rolls over; strftime writes years below 1000 unpadded). */
		if (s[17] < '6' && s[0] != '0' && strncmp(abs, s, 19) != 0)
			abort();
		humane_iso(ms, iso, sizeof(iso));
		humane_rel(ms, (int64_t)size * 1000003, out, sizeof(out));
		humane_span(ms, out, sizeof(out));
	}
	(void)humane_kind(s);
	free(s);
	return 0;
}
