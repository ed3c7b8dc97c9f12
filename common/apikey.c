/* API keys as text, and the Bearer header; see apikey.h. */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apikey.h"
#include "hex.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The key text of 32 raw bytes. */
void
apikey_from_raw(const uint8_t raw32[32], char out[APIKEY_LEN + 1])
{
	uint8_t		 raw[33];
	size_t		 i, o = sizeof(APIKEY_TAG) - 1;
	uint32_t	 v;

	memcpy(raw, raw32, 32);
	raw[32] = 0;
	memcpy(out, APIKEY_TAG, o);
	/* 11 groups of 3 bytes (the last padded): 43 characters, unpadded. */
	for (i = 0; i < 33; i += 3) {
		v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (o < APIKEY_LEN)
			out[o++] = b64url[(v >> 6) & 63];
		if (o < APIKEY_LEN)
			out[o++] = b64url[v & 63];
	}
	out[APIKEY_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
}

/* 32 random bytes of the OS into raw; 0, or -1 when none came. */
int
apikey_random(uint8_t raw[32])
{
	return RAND_bytes(raw, 32) == 1 ? 0 : -1;
}

/* 1 when key has the shape of a key (it may still be unknown). */
int
apikey_valid(const char *key)
{
	size_t	 i, t = sizeof(APIKEY_TAG) - 1;

	if (key == NULL || strncmp(key, APIKEY_TAG, t) != 0)
		return 0;
	for (i = t; i < APIKEY_LEN; i++)
		if (key[i] == '\0' || strchr(b64url, key[i]) == NULL)
			return 0;
	return key[APIKEY_LEN] == '\0';
}

/* SHA-256 of the key's text: what the database keeps. */
void
apikey_hash(const char *key, uint8_t out[32])
{
	unsigned int	 n = 32;

	(void)EVP_Digest(key, strlen(key), out, &n, EVP_sha256(), NULL);
}

/* The same, in lower-case hex (the cache's and the notices' form). */
void
apikey_hash_hex(const char *key, char out[APIKEY_HASH_HEX + 1])
{
	uint8_t	 h[32];

	apikey_hash(key, h);
	hex_encode(h, sizeof(h), out);
}

/*
 * The key of an Authorization header "Bearer <key>" (the scheme in any
 * case, spaces or tabs after it, trailing ones ignored) into out.
 * Returns 0, or -1 when header is NULL, another scheme or not a key.
 */
int
apikey_bearer(const char *header, char out[APIKEY_LEN + 1])
{
	const char	*p, *end;
	size_t		 n;

	out[0] = '\0';
	if (header == NULL || strncasecmp(header, "Bearer", 6) != 0 ||
	    (header[6] != ' ' && header[6] != '\t'))
		return -1;
	for (p = header + 6; *p == ' ' || *p == '\t'; p++)
		;
	for (end = p + strlen(p); end > p && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		;
	n = (size_t)(end - p);
	if (n != APIKEY_LEN)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	if (!apikey_valid(out)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
