/*
 * API keys as text (issue 15): "abc_" and 43 base64url characters, 32
 * random bytes from the OS.  Both abc-web and abc-worker know a key by
 * the SHA-256 of that text (what the database keeps: a key carries 256
 * bits of entropy, so a slow KDF would add nothing); the first
 * APIKEY_PREFIX_LEN characters name it in its owner's list.  Also the
 * parser of the "Authorization: Bearer <key>" header, outside bytes.
 *
 * Ownership: every function writes into buffers the caller provides.
 */
#ifndef ABC_APIKEY_H
#define ABC_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#define APIKEY_TAG		"abc_"
#define APIKEY_LEN		47	/* "abc_" + 43 base64url */
#define APIKEY_PREFIX_LEN	12	/* "abc_" + 8: shown in lists */
#define APIKEY_HASH_HEX		64

int	apikey_random(uint8_t raw[32]);
void	apikey_from_raw(const uint8_t raw[32], char out[APIKEY_LEN + 1]);
int	apikey_valid(const char *key);
void	apikey_hash(const char *key, uint8_t out[32]);
void	apikey_hash_hex(const char *key, char out[APIKEY_HASH_HEX + 1]);
int	apikey_bearer(const char *header, char out[APIKEY_LEN + 1]);

#endif /* ABC_APIKEY_H */
