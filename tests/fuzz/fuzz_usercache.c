/* fuzz-sources: web/usercache.c common/xmalloc.c */
/* fuzz-libs: -lcrypto -pthread */
/*
 * libFuzzer target for usercache_token_key(), which turns the session
 * cookie's value (outside bytes) into the key of abc-web's session cache.
 *
 * The input, up to its first NUL, is the cookie value.  The key must be
 * empty, or 64 lowercase hex digits; it is empty exactly when the value is
 * not 64 lowercase hex digits, and the same value always gives the same
 * key.  A valid key is then stored, read back and dropped in a small
 * cache.  Seeds: tests/fuzz/corpus/usercache/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usercache.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when s is exactly 64 lowercase hex digits. */
static int
fuzz_is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usercache	*uc;
	struct cached_user	 u = { 7, "fuzz" }, got;
	char			*tok, key[USERCACHE_KEY_LEN + 1];
	char			 again[USERCACHE_KEY_LEN + 1];

	if (size > 4096)
		return 0;
	tok = malloc(size + 1);
	if (tok == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	memset(key, 'x', sizeof(key));
	usercache_token_key(tok, key);
	if (key[0] != '\0' && !fuzz_is_hex64(key))
		abort();
	if ((key[0] != '\0') != fuzz_is_hex64(tok))
		abort();
	usercache_token_key(tok, again);
	if (strcmp(key, again) != 0)
		abort();
	uc = usercache_new(4, 1000);
	usercache_put(uc, key, &u, 0);
	if (usercache_get(uc, key, &got, 1) != (key[0] != '\0'))
		abort();
	usercache_drop_key(uc, key);
	if (usercache_get(uc, key, &got, 1))
		abort();
	usercache_free(uc);
	free(tok);
	return 0;
}
