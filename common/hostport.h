/*
 * The one parser of "host:port" addresses, used by both ends of the link
 * (abc-worker's listen, abc-web's worker): "127.0.0.1:7000", "[::1]:7000",
 * "localhost:7000".  An IPv6 address must be in brackets (otherwise its
 * last group and the port cannot be told apart); a host is 1 to
 * HOSTPORT_HOST_MAX bytes of letters, digits, '.', '-' and '_'; a port is
 * 1 to 65535 in plain decimal digits.  Anything else is refused with a
 * sentence saying why.
 *
 * hostport_parse_list parses a comma-separated list of such addresses
 * (spaces around each allowed), 1 to HOSTPORT_LIST_MAX of them: abc-web's
 * worker key, the active abc-worker and its standbys.
 *
 * hostport_sockaddr turns a parsed numeric host into a socket address;
 * names are not resolved (the link is configured by address).
 *
 * Memory: everything is caller-provided; nothing is kept.
 */
#ifndef ABC_HOSTPORT_H
#define ABC_HOSTPORT_H

#include <sys/socket.h>

#include <stddef.h>

#define HOSTPORT_HOST_MAX	253	/* longest DNS name; IPv6 fits */
#define HOSTPORT_LIST_MAX	8	/* addresses in a list */

struct hostport {
	char	 host[HOSTPORT_HOST_MAX + 1];	/* without brackets */
	int	 port;				/* 1..65535 */
	int	 v6;				/* host was bracketed */
};

int	hostport_parse(const char *s, struct hostport *out, char *err,
	    size_t errlen);
int	hostport_parse_list(const char *s, struct hostport *out, size_t *n,
	    char *err, size_t errlen);
int	hostport_sockaddr(const struct hostport *hp,
	    struct sockaddr_storage *ss, socklen_t *len);

#endif /* ABC_HOSTPORT_H */
