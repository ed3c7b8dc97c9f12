/* HMAC-SHA256 CSRF tokens bound to a session or pre-session cookie. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "csrf.h"
#include "hex.h"

/*
 * Sets k from secret (CSRF_SECRET_MIN to CSRF_SECRET_MAX bytes).  Returns
 * 0, or -1 when it is NULL, too short or too long (k is then empty).
 */
int
csrf_key_set(struct csrf_key *k, const char *secret)
{
	size_t	 n = secret != NULL ? strlen(secret) : 0;

	memset(k, 0, sizeof(*k));
	if (n < CSRF_SECRET_MIN || n > CSRF_SECRET_MAX)
		return -1;
	memcpy(k->secret, secret, n);
	k->len = n;
	return 0;
}

/* A random key, for one process alone; 0, or -1 without randomness. */
int
csrf_key_random(struct csrf_key *k)
{
	memset(k, 0, sizeof(*k));
	if (RAND_bytes(k->secret, 32) != 1)
		return -1;
	k->len = 32;
	return 0;
}

/*
 * Writes the token of kind for bound (a cookie value of 1 to
 * CSRF_BOUND_MAX bytes) into out.  Returns 0, or -1 (out is "") when the
 * key is empty, bound is missing or too long, or HMAC fails.
 */
int
csrf_token(const struct csrf_key *k, enum csrf_kind kind, const char *bound,
    char out[CSRF_TOKEN_LEN + 1])
{
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	char			 msg[CSRF_BOUND_MAX + 3];
	unsigned int		 maclen = 0;
	size_t			 n;

	out[0] = '\0';
	n = bound != NULL ? strlen(bound) : 0;
	if (k == NULL || k->len == 0 || n == 0 || n > CSRF_BOUND_MAX ||
	    (kind != CSRF_SESSION && kind != CSRF_PRE))
		return -1;
	msg[0] = (char)kind;
	msg[1] = ':';
	memcpy(msg + 2, bound, n);
	if (HMAC(EVP_sha256(), k->secret, (int)k->len, (unsigned char *)msg,
	    n + 2, mac, &maclen) == NULL || maclen < CSRF_TOKEN_LEN / 2)
		return -1;
	hex_encode(mac, CSRF_TOKEN_LEN / 2, out);
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(msg, sizeof(msg));
	return 0;
}

/* 1 when sent is the token of kind for bound (compared in constant time). */
int
csrf_valid(const struct csrf_key *k, enum csrf_kind kind, const char *bound,
    const char *sent)
{
	char	 want[CSRF_TOKEN_LEN + 1];
	int	 ok;

	if (sent == NULL || strlen(sent) != CSRF_TOKEN_LEN ||
	    csrf_token(k, kind, bound, want) != 0)
		return 0;
	ok = CRYPTO_memcmp(want, sent, CSRF_TOKEN_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
