/* fuzz-sources: worker/whsign.c */
/* fuzz-libs: -lcrypto */
/*
 * libFuzzer target for the webhook endpoint check (worker/whsign.c), the
 * one parser of webhook bytes a user types: any bytes are accepted only
 * as an http(s) URL of at most WH_URL_MAX printable ASCII bytes without
 * spaces that has a host; accepted or not, the signature over the same
 * bytes is "sha256=" and 64 hex digits and depends on every byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whsign.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, sig[WH_SIG_LEN], other[WH_SIG_LEN];
	size_t	 i, n;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	if (wh_url_ok(s)) {
		if (n > WH_URL_MAX || (strncmp(s, "http://", 7) != 0 &&
		    strncmp(s, "https://", 8) != 0))
			__builtin_trap();
		for (i = 0; i < n; i++)
			if (s[i] <= ' ' || s[i] >= 0x7f)
				__builtin_trap();
	}
	if (wh_sign("fuzz", data, size, sig) != 0 || strlen(sig) != 71 ||
	    strncmp(sig, "sha256=", 7) != 0 ||
	    strspn(sig + 7, "0123456789abcdef") != 64)
		__builtin_trap();
	if (size > 0) {
		s[0] ^= 1;
		if (wh_sign("fuzz", s, size, other) != 0 ||
		    strcmp(sig, other) == 0)
			__builtin_trap();
	}
	free(s);
	return 0;
}
