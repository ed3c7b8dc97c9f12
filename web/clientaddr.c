/* Address lists with prefixes, and X-Forwarded-For behind trusted proxies. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clientaddr.h"

/*
 * Parses one textual address (no prefix) of at most CLIENTADDR_LEN - 1
 * bytes into n with a full-length prefix.  0, or -1 if it is none.
 */
static int
addr_parse(const char *s, size_t len, struct addr_net *n)
{
	char	 buf[CLIENTADDR_LEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->bytes) == 1) {
		n->family = AF_INET;
		n->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, n->bytes) == 1) {
		n->family = AF_INET6;
		n->prefix = 128;
		return 0;
	}
	return -1;
}

/* 1 when a (a full address) lies within net. */
static int
addr_in(const struct addr_net *net, const struct addr_net *a)
{
	unsigned	 full = net->prefix / 8, rest = net->prefix % 8;
	uint8_t		 mask;

	if (net->family != a->family || memcmp(net->bytes, a->bytes,
	    full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (net->bytes[full] & mask) == (a->bytes[full] & mask);
}

/* Parses one list item "ADDR" or "ADDR/BITS" of len bytes into n. */
static int
addrlist_item(const char *s, size_t len, struct addr_net *n)
{
	const char	*slash = memchr(s, '/', len);
	char		*end;
	char		 bits[8];
	unsigned long	 v;
	size_t		 blen;

	if (addr_parse(s, slash != NULL ? (size_t)(slash - s) : len, n) != 0)
		return -1;
	if (slash == NULL)
		return 0;
	blen = len - (size_t)(slash - s) - 1;
	if (blen == 0 || blen >= sizeof(bits))
		return -1;
	memcpy(bits, slash + 1, blen);
	bits[blen] = '\0';
	if (strspn(bits, "0123456789") != blen)
		return -1;
	v = strtoul(bits, &end, 10);
	if (v > n->prefix)
		return -1;
	n->prefix = (unsigned)v;
	return 0;
}

/*
 * Parses s, addresses or ADDR/BITS networks separated by spaces, tabs or
 * commas; "" (or NULL) is the empty list.  Returns 0, or -1 with a
 * message in err on a bad item or more than ADDRLIST_MAX of them.
 */
int
addrlist_parse(const char *s, struct addrlist *out, char *err, size_t errlen)
{
	size_t	 len;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return 0;
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			return 0;
		len = strcspn(s, " \t,");
		if (out->n == ADDRLIST_MAX) {
			snprintf(err, errlen, "more than %d addresses",
			    ADDRLIST_MAX);
			return -1;
		}
		if (addrlist_item(s, len, &out->net[out->n]) != 0) {
			snprintf(err, errlen, "not an address or network: "
			    "\"%.*s\"", len > 64 ? 64 : (int)len, s);
			return -1;
		}
		out->n++;
		s += len;
	}
}

/* 1 when addr (len bytes of text) is an address within one of l's. */
static int
addrlist_has_n(const struct addrlist *l, const char *addr, size_t len)
{
	struct addr_net	 a;
	size_t		 i;

	if (l == NULL || addr == NULL || addr_parse(addr, len, &a) != 0)
		return 0;
	for (i = 0; i < l->n; i++)
		if (addr_in(&l->net[i], &a))
			return 1;
	return 0;
}

/* 1 when addr is a valid address within one of l's networks. */
int
addrlist_has(const struct addrlist *l, const char *addr)
{
	return addr != NULL && addrlist_has_n(l, addr, strlen(addr));
}

/*
 * The X-Forwarded-For entry that ends at end (exclusive) within xff,
 * spaces trimmed: *start and the length returned.  0 when none is left.
 */
static size_t
xff_prev(const char *xff, const char *end, const char **start)
{
	const char	*b, *e = end;

	while (e > xff && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	b = e;
	while (b > xff && b[-1] != ',')
		b--;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	*start = b;
	return (size_t)(e - b);
}

/*
 * Writes the client's address into out (outlen bytes, at least
 * CLIENTADDR_LEN): remote (REMOTE_ADDR; NULL or too long: ""), or, while
 * the address found so far is a trusted proxy, the X-Forwarded-For entry
 * before it (read from the right, at most CLIENTADDR_XFF_HOPS entries).
 * An entry that is not an address ends the walk: the last trusted hop is
 * kept, so garbage never becomes an address.
 */
void
clientaddr_resolve(const char *remote, const char *xff,
    const struct addrlist *trusted, char *out, size_t outlen)
{
	const char	*end, *start;
	struct addr_net	 a;
	size_t		 len;
	int		 hops;

	if (outlen == 0)
		return;
	if (remote == NULL || strlen(remote) >= CLIENTADDR_LEN ||
	    strlen(remote) >= outlen)
		remote = "";
	snprintf(out, outlen, "%s", remote);
	if (xff == NULL || !addrlist_has(trusted, out))
		return;
	end = xff + strlen(xff);
	for (hops = 0; hops < CLIENTADDR_XFF_HOPS && end > xff; hops++) {
		len = xff_prev(xff, end, &start);
		if (len == 0 || len >= outlen || addr_parse(start, len,
		    &a) != 0)
			return;
		memcpy(out, start, len);
		out[len] = '\0';
		if (!addrlist_has_n(trusted, start, len))
			return;
		end = start;
		while (end > xff && end[-1] != ',')
			end--;
		if (end > xff)
			end--;	/* before the comma */
	}
}
