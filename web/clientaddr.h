/*
 * Who the client is (issue 10): the address the rate limits key on and the
 * rule that lets only the operator see /status/detail and /metrics.
 *
 * An address list ("127.0.0.1 ::1 10.0.0.0/8", separated by spaces or
 * commas) names trusted proxies or admin hosts.  The client address is the
 * FastCGI REMOTE_ADDR, unless that is a trusted proxy: then
 * X-Forwarded-For is read from its right end, each entry (appended by a
 * proxy we trust) naming the hop before it, up to the first address that
 * is not a trusted proxy.  A client's own X-Forwarded-For entries are to
 * the left of what trusted proxies appended, so they are never believed.
 *
 * Ownership: an addrlist is a fixed-size value, no heap; the functions
 * borrow their strings and write into the caller's buffers.
 */
#ifndef ABC_CLIENTADDR_H
#define ABC_CLIENTADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDRLIST_MAX		32	/* entries in one list */
#define CLIENTADDR_LEN		64	/* buffer for a textual address */
#define CLIENTADDR_XFF_HOPS	16	/* entries of X-Forwarded-For read */

struct addr_net {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 bytes[16];
	unsigned	 prefix;	/* bits that must match */
};

struct addrlist {
	struct addr_net	 net[ADDRLIST_MAX];
	size_t		 n;
};

int	addrlist_parse(const char *s, struct addrlist *out, char *err,
	    size_t errlen);
int	addrlist_has(const struct addrlist *l, const char *addr);
void	clientaddr_resolve(const char *remote, const char *xff,
	    const struct addrlist *trusted, char *out, size_t outlen);

#endif /* ABC_CLIENTADDR_H */
