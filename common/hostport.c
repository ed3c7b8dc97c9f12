/* host:port parsing and numeric socket addresses, see hostport.h. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "hostport.h"

/* Writes why into err (may be NULL when errlen is 0); returns -1. */
static int
hostport_fail(char *err, size_t errlen, const char *why)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", why);
	return -1;
}

/* Returns non-zero when [p, p + n) may be a host name or IPv4 address. */
static int
hostport_name_ok(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '.' || p[i] == '-' || p[i] == '_'))
			return 0;
	return 1;
}

/* Parses a port: 1 to 5 decimal digits, 1..65535; -1 otherwise. */
static int
hostport_port(const char *p)
{
	long	 v = 0;
	size_t	 i;

	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] < '0' || p[i] > '9' || i == 5)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return i == 0 || v < 1 || v > 65535 ? -1 : (int)v;
}

/*
 * Parses s ("host:port" or "[v6]:port") into *out.  Returns 0, or -1 with
 * the reason in err; *out is written only on success.
 */
int
hostport_parse(const char *s, struct hostport *out, char *err, size_t errlen)
{
	struct hostport	 hp;
	struct in6_addr	 a6;
	const char	*host = s, *colon;
	size_t		 n;
	int		 port, v6 = 0;

	if (s[0] == '[') {
		if ((colon = strchr(s, ']')) == NULL || colon[1] != ':')
			return hostport_fail(err, errlen,
			    "want [IPv6 address]:port");
		host = s + 1;
		n = (size_t)(colon - host);
		colon++;
		v6 = 1;
	} else {
		if ((colon = strchr(s, ':')) == NULL)
			return hostport_fail(err, errlen,
			    "want host:port (no port given)");
		if (strchr(colon + 1, ':') != NULL)
			return hostport_fail(err, errlen,
			    "an IPv6 address goes in brackets: [addr]:port");
		n = (size_t)(colon - s);
	}
	if (n == 0)
		return hostport_fail(err, errlen, "no host before the port");
	if (n > HOSTPORT_HOST_MAX)
		return hostport_fail(err, errlen, "host name too long");
	if ((port = hostport_port(colon + 1)) == -1)
		return hostport_fail(err, errlen,
		    "port must be a number from 1 to 65535");
	if (!v6 && !hostport_name_ok(host, n))
		return hostport_fail(err, errlen, "host has a byte a host name "
		    "or address cannot have");
	memcpy(hp.host, host, n);
	hp.host[n] = '\0';
	if (v6 && inet_pton(AF_INET6, hp.host, &a6) != 1)
		return hostport_fail(err, errlen,
		    "not an IPv6 address inside the brackets");
	hp.port = port;
	hp.v6 = v6;
	*out = hp;
	return 0;
}

/*
 * Parses s, "a:1, b:2", into out[0..HOSTPORT_LIST_MAX) and *n.  Returns 0,
 * or -1 with the reason (and which entry) in err; out and *n are written
 * only on success.
 */
int
hostport_parse_list(const char *s, struct hostport *out, size_t *n,
    char *err, size_t errlen)
{
	struct hostport	 hp[HOSTPORT_LIST_MAX];
	char		 one[HOSTPORT_HOST_MAX + 16], why[96];
	size_t		 k = 0, len;

	for (;;) {
		s += strspn(s, " \t");
		len = strcspn(s, ",");
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (k == HOSTPORT_LIST_MAX)
			return hostport_fail(err, errlen, "more than 8 "
			    "addresses in the list");
		if (len == 0 || len >= sizeof(one))
			return hostport_fail(err, errlen, len == 0 ? "empty "
			    "address in the list" : "address too long");
		memcpy(one, s, len);
		one[len] = '\0';
		if (hostport_parse(one, &hp[k], why, sizeof(why)) != 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "address %zu: %s", k + 1,
				    why);
			return -1;
		}
		k++;
		s += strcspn(s, ",");
		if (*s == '\0')
			break;
		s++;
	}
	memcpy(out, hp, k * sizeof(hp[0]));
	*n = k;
	return 0;
}

/*
 * Fills *ss and *len from a parsed numeric host (IPv4, or IPv6 when it
 * was bracketed).  Returns 0, or -1 when the host is not an address.
 */
int
hostport_sockaddr(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (hp->v6) {
		if (inet_pton(AF_INET6, hp->host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)hp->port);
		*len = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, hp->host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)hp->port);
	*len = sizeof(*sin);
	return 0;
}
