/* fuzz-sources: common/totp.c */
/* fuzz-libs: -lcrypto */
/*
 * libFuzzer target for the parsers of typed 2FA input (common/totp.c): a
 * 6-digit code and a recovery code, each given the input as an exact-size
 * NUL-ended copy.  An accepted code must be below 10^6; an accepted
 * recovery code must be 10 base32 letters that normalise to themselves; a
 * violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "totp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, n[TOTP_RECOVERY_LEN + 1], again[TOTP_RECOVERY_LEN + 1];
	char		 show[TOTP_RECOVERY_LEN + 2];
	uint32_t	 code;
	int64_t		 step;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (totp_parse_code(s, &code) == 0) {
		if (code >= 1000000)
			abort();
		(void)totp_check((const uint8_t *)"12345678901234567890", 20,
		    1111111111, code, 0, &step);
	}
	if (totp_recovery_norm(s, n, sizeof(n)) == 0) {
		if (strlen(n) != TOTP_RECOVERY_LEN)
			abort();
		totp_recovery_show(n, show);
		if (totp_recovery_norm(show, again, sizeof(again)) != 0 ||
		    strcmp(n, again) != 0)
			abort();
	}
	free(s);
	return 0;
}
