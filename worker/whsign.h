/*
 * whsign: the pure parts of webhooks (issue 15), apart from the sender so
 * they are unit-tested without a network or a database: the signature
 * receivers check, the retry schedule, and the address policy against
 * requests to the platform's own network (SSRF).
 *
 * Signature: X-Abc-Signature: sha256=<hex HMAC-SHA256(secret, body)>,
 * the key being the endpoint's secret as shown (64 hex characters, used
 * as text), so `openssl dgst -sha256 -hmac "$secret"` checks it.
 *
 * Schedule (as BTCPay Server's): after the first attempt fails, again in
 * 10 s, then 1 min, then every 10 min, up to 6 retries (7 attempts); the
 * test stacks scale it down by a per-mille factor (webhook_backoff_scale).
 *
 * Ownership: nothing is allocated; outputs go to the caller's buffers.
 */
#ifndef ABC_WHSIGN_H
#define ABC_WHSIGN_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define WH_SIG_LEN	(7 + 64 + 1)	/* "sha256=" + hex + NUL */
#define WH_SECRET_LEN	64		/* hex characters */
#define WH_URL_MAX	500
#define WH_RETRIES	6
#define WH_SCALE_ONE	1000		/* backoff scale: per mille */

int64_t	 wh_backoff_ms(int attempts, int scale_pm);
int	 wh_sign(const char *secret, const void *body, size_t len,
	    char out[WH_SIG_LEN]);
int	 wh_url_ok(const char *url);
int	 wh_addr_private(const struct sockaddr *sa);
int	 wh_new_secret(char out[WH_SECRET_LEN + 1]);

#endif /* ABC_WHSIGN_H */
