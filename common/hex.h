/*
 * Bytes as lowercase hex and back: how abc-web sends tokens, keys and
 * salts to the worker, and how PostgreSQL prints bytea ("\x..."), so
 * these parse bytes from outside (tests/unit/test_hex.c,
 * tests/fuzz/fuzz_hex.c).  Both programs write their hex with it.
 *
 * Ownership: the caller gives every buffer; nothing allocates.
 */
#ifndef ABC_HEX_H
#define ABC_HEX_H

#include <stddef.h>
#include <stdint.h>

void	hex_encode(const uint8_t *p, size_t len, char *out);
int	hex_decode(const char *s, uint8_t *out, size_t len);

#endif /* ABC_HEX_H */
