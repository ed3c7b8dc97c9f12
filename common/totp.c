/*
 * RFC 6238 TOTP and its text forms (see totp.h).  The HMAC is OpenSSL's;
 * the rest is arithmetic on caller-owned buffers.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "totp.h"

static const char	 b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int64_t
totp_step(int64_t unix_s)
{
	return unix_s < 0 ? 0 : unix_s / TOTP_STEP_S;
}

uint32_t
totp_hotp(const uint8_t *key, size_t keylen, uint64_t step, int digits)
{
	static const uint32_t	 mod[] = { 1000000, 10000000, 100000000 };
	uint8_t			 msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	uint32_t		 bin;
	int			 i, off;

	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(step & 0xff);
		step >>= 8;
	}
	if (digits < 6 || digits > 8 || HMAC(EVP_sha1(), key, (int)keylen,
	    msg, sizeof(msg), mac, &maclen) == NULL || maclen < 20)
		return UINT32_MAX;	/* never a code: at most 8 digits */
	/* RFC 4226 5.3: dynamic truncation. */
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	return bin % mod[digits - 6];
}

int
totp_check(const uint8_t *key, size_t keylen, int64_t now_s, uint32_t code,
    int64_t last_step, int64_t *step)
{
	int64_t	 now = totp_step(now_s), s;
	int	 used = 0;

	/* Newest first, so a code of an old step never hides a newer one. */
	for (s = now + TOTP_WINDOW; s >= now - TOTP_WINDOW && s >= 0; s--) {
		if (totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS) != code)
			continue;
		if (s <= last_step) {
			if (!used)
				*step = s;
			used = 1;
			continue;
		}
		*step = s;
		return 1;
	}
	return used ? -1 : 0;
}

int
totp_parse_code(const char *s, uint32_t *code)
{
	uint32_t	 v = 0;
	int		 n = 0;

	if (s == NULL)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (*s < '0' || *s > '9' || ++n > TOTP_DIGITS)
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	if (n != TOTP_DIGITS)
		return -1;
	*code = v;
	return 0;
}

int
totp_base32(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;

	if ((len * 8 + 4) / 5 + 1 > outlen)
		return -1;
	for (i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int
totp_recovery_norm(const char *s, char *out, size_t outlen)
{
	size_t	 n = 0;
	int	 ch;

	if (s == NULL || outlen < TOTP_RECOVERY_LEN + 1)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		ch = toupper((unsigned char)*s);
		if (ch > 127 || strchr(b32_alphabet, ch) == NULL || ch == 0 ||
		    n == TOTP_RECOVERY_LEN)
			return -1;
		out[n++] = (char)ch;
	}
	if (n != TOTP_RECOVERY_LEN)
		return -1;
	out[n] = '\0';
	return 0;
}

void
totp_recovery_show(const char *norm, char out[TOTP_RECOVERY_LEN + 2])
{
	memcpy(out, norm, TOTP_RECOVERY_LEN / 2);
	out[TOTP_RECOVERY_LEN / 2] = '-';
	memcpy(out + TOTP_RECOVERY_LEN / 2 + 1, norm + TOTP_RECOVERY_LEN / 2,
	    TOTP_RECOVERY_LEN / 2);
	out[TOTP_RECOVERY_LEN + 1] = '\0';
}
