/*
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, with
 * HMAC-SHA1, 30-second steps, 6 digits) and the text forms around them:
 * a secret in base32 (RFC 4648, no padding) for an authenticator app,
 * the code a person types, and recovery codes.  Pure functions: the time
 * is always a parameter, so tests run on a fixed clock.
 *
 * Ownership: every function writes into buffers its caller owns; nothing
 * is allocated or kept.
 */
#ifndef ABC_TOTP_H
#define ABC_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN		20	/* bytes: RFC 4226's recommended 160 bits */
#define TOTP_STEP_S		30
#define TOTP_DIGITS		6
#define TOTP_WINDOW		1	/* steps accepted either side of now */
#define TOTP_B32_MAX		64	/* base32 of the secret, with its NUL */
#define TOTP_RECOVERY_LEN	10	/* base32 letters of a recovery code */
#define TOTP_RECOVERY_COUNT	10

/* The step of unix time t (seconds); t before 1970 is step 0. */
int64_t	totp_step(int64_t unix_s);
/* HOTP of key at counter step with digits (6 to 8) digits. */
uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t step,
	    int digits);
/*
 * Judges a 6-digit code at unix time now: 1 with *step set when it is the
 * code of a step within TOTP_WINDOW of now and after last_step; 0 when it
 * is no such code; -1 with *step set to the newest step it matches when
 * it matches only steps at or before last_step (already used, or older
 * than one already used).
 */
int	totp_check(const uint8_t *key, size_t keylen, int64_t now_s,
	    uint32_t code, int64_t last_step, int64_t *step);
/*
 * Reads a typed code: 6 digits, spaces anywhere ignored ("123 456").
 * 0 with *code set, or -1.
 */
int	totp_parse_code(const char *s, uint32_t *code);
/* RFC 4648 base32 of in, unpadded, into out; 0, or -1 if it won't fit. */
int	totp_base32(const uint8_t *in, size_t len, char *out, size_t outlen);
/*
 * Reads a typed recovery code: TOTP_RECOVERY_LEN base32 letters, any case,
 * dashes and spaces ignored; writes them uppercase, NUL-ended, into out
 * (TOTP_RECOVERY_LEN + 1 bytes).  0, or -1.
 */
int	totp_recovery_norm(const char *s, char *out, size_t outlen);
/* Formats a normalised recovery code for people: "ABCDE-FGHIJ". */
void	totp_recovery_show(const char *norm, char out[TOTP_RECOVERY_LEN + 2]);

#endif /* ABC_TOTP_H */
