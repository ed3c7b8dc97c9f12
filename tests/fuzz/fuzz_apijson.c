/* fuzz-sources: web/apijson.c common/apikey.c common/hex.c common/utf8.c */
/* fuzz-libs: -ljson-c -lcrypto */
/*
 * libFuzzer target for the JSON API's outside bytes (issue 15): request
 * bodies (web/apijson.c) and the Authorization header (common/apikey.c).
 *
 * The whole input is a body: apijson_parse must either refuse it with a
 * message or return an object, whose members are then read with every
 * getter and bound.  The input up to its first NUL is also an
 * Authorization header: a key taken from it must be a valid key of
 * exactly APIKEY_LEN characters.  Seeds: tests/fuzz/corpus/apijson/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apijson.h"
#include "apikey.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every member the API reads, with small and large bounds. */
static void
fuzz_members(struct json_object *obj)
{
	static const char *const keys[] = { "slot", "ad", "max_price", "idem",
	    "nickname", "hover", "url", "image" };
	const char	*s;
	int64_t		 n;
	size_t		 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (apijson_int(obj, keys[i], 0, INT32_MAX, &n) == 0 &&
		    (n < 0 || n > INT32_MAX))
			abort();
		if (apijson_int(obj, keys[i], 1, INT64_MAX, &n) == 0 && n < 1)
			abort();
		if ((s = apijson_str(obj, keys[i], 8)) != NULL &&
		    strlen(s) > 8)
			abort();
		(void)apijson_str(obj, keys[i], APIJSON_MAX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*obj;
	char			 err[160], *hdr, key[APIKEY_LEN + 1];

	err[0] = '\0';
	obj = apijson_parse(data, size, 4096, err, sizeof(err));
	if (obj == NULL && err[0] == '\0')
		abort();	/* a refusal always says why */
	if (obj != NULL && (size > 4096 ||
	    !json_object_is_type(obj, json_type_object)))
		abort();
	fuzz_members(obj);
	json_object_put(obj);

	hdr = malloc(size + 1);
	if (hdr == NULL)
		return 0;
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	if (apikey_bearer(hdr, key) == 0 && (strlen(key) != APIKEY_LEN ||
	    !apikey_valid(key)))
		abort();
	free(hdr);
	return 0;
}
