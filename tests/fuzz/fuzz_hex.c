/* fuzz-sources: common/hex.c */
/*
 * libFuzzer target for common/hex.c, the decoder of the hex abc-web
 * sends (tokens, keys, salts) and of PostgreSQL's bytea.  The input, as
 * an exact-size NUL-ended copy, is decoded at the length its size
 * suggests and at 32 bytes; what decodes must encode back to the same
 * digits (lowercased, without "\x"), and a refused input must leave the
 * output untouched; a violation aborts.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes s at len bytes and checks the answer either way. */
static void
fuzz_one(const char *s, size_t len)
{
	uint8_t		*out;
	char		*back;
	const char	*digits = s;
	size_t		 i;

	if ((out = malloc(len + 1)) == NULL ||
	    (back = malloc(2 * len + 1)) == NULL) {
		free(out);
		return;
	}
	memset(out, 0xa5, len + 1);
	if (hex_decode(s, out, len) == 0) {
		if (digits[0] == '\\' && digits[1] == 'x')
			digits += 2;
		hex_encode(out, len, back);
		if (strlen(digits) != 2 * len)
			abort();
		for (i = 0; i < 2 * len; i++)
			if (tolower((unsigned char)digits[i]) != back[i])
				abort();
	} else {
		for (i = 0; i < len; i++)
			if (out[i] != 0xa5)
				abort();
	}
	if (out[len] != 0xa5)
		abort();
	free(back);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_one(s, size / 2);
	fuzz_one(s, size >= 2 ? (size - 2) / 2 : 0);
	fuzz_one(s, 32);
	free(s);
	return 0;
}
