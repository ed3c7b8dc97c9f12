/*
 * Webhook signature, schedule and address policy (see whsign.h).
 */
#include <string.h>

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "whsign.h"

/*
 * The delay before the next attempt after attempts (>= 1) failed ones, in
 * ms, scaled by scale_pm per mille; -1 when that was the last (6 retries).
 */
int64_t
wh_backoff_ms(int attempts, int scale_pm)
{
	int64_t	 ms;

	if (attempts < 1 || attempts > WH_RETRIES || scale_pm < 1)
		return -1;
	if (attempts == 1)
		ms = 10000;
	else if (attempts == 2)
		ms = 60000;
	else
		ms = 600000;
	return ms * scale_pm / WH_SCALE_ONE;
}

/* Writes "sha256=<hex HMAC-SHA256(secret, body)>" into out; 0 or -1. */
int
wh_sign(const char *secret, const void *body, size_t len,
    char out[WH_SIG_LEN])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	if (secret == NULL || (body == NULL && len > 0) ||
	    HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac,
	    &n) == NULL || n != 32)
		return -1;
	memcpy(out, "sha256=", 7);
	for (i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[7 + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[7 + 2 * n] = '\0';
	return 0;
}

/*
 * 1 when url may be an endpoint: http:// or https://, a host, at most
 * WH_URL_MAX bytes of printable ASCII without spaces (what a receiver's
 * address is; anything else is a typo or an attack on the log page).
 */
int
wh_url_ok(const char *url)
{
	size_t	 n, i, skip;

	if (url == NULL || (n = strlen(url)) > WH_URL_MAX)
		return 0;
	if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return 0;
	if (n == skip || url[skip] == '/' || url[skip] == '?' ||
	    url[skip] == '#')
		return 0;
	for (i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] >= 0x7f)
			return 0;
	return 1;
}

/* 1 when the IPv4 address (host order) is not on the public internet. */
static int
wh_v4_private(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
	    (a >> 16) == 0xa9fe ||		/* 169.254/16 link-local */
	    (a >> 20) == 0xac1 ||		/* 172.16/12 */
	    (a >> 16) == 0xc0a8 ||		/* 192.168/16 */
	    (a >> 22) == 0x191 ||		/* 100.64/10 shared */
	    (a >> 28) >= 0xe;			/* multicast, reserved */
}

/*
 * 1 when sa is an address a webhook must not reach unless
 * webhook_allow_private is set: loopback, private, link-local, shared,
 * unspecified, multicast (IPv4, IPv6 and IPv4-mapped IPv6), or not IP.
 */
int
wh_addr_private(const struct sockaddr *sa)
{
	const struct sockaddr_in	*v4;
	const struct sockaddr_in6	*v6;
	const uint8_t			*b;
	static const uint8_t		 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	static const uint8_t		 zero[15];

	if (sa == NULL)
		return 1;
	if (sa->sa_family == AF_INET) {
		v4 = (const struct sockaddr_in *)(const void *)sa;
		return wh_v4_private(ntohl(v4->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6)
		return 1;
	v6 = (const struct sockaddr_in6 *)(const void *)sa;
	b = v6->sin6_addr.s6_addr;
	if (memcmp(b, mapped, 12) == 0)
		return wh_v4_private((uint32_t)b[12] << 24 |
		    (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
	return memcmp(b, zero, 15) == 0 ||	/* :: and ::1 */
	    (b[0] & 0xfe) == 0xfc ||		/* fc00::/7 unique local */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    b[0] == 0xff;			/* multicast */
}

/* A new endpoint secret: 32 random bytes as 64 hex digits; 0 or -1. */
int
wh_new_secret(char out[WH_SECRET_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[WH_SECRET_LEN / 2];
	size_t			 i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[WH_SECRET_LEN] = '\0';
	return 0;
}
