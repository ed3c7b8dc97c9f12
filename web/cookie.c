/* Cookie header parsing and Set-Cookie building (RFC 6265). */
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "cookie.h"

static int	cookie_ows(char c);
static int	cookie_octet(unsigned char c);
static int	cookie_token(const char *s, size_t n);
static int	cookie_copy(const char *v, const char *e, char *out,
		    size_t outlen);

/* Returns 1 for the optional whitespace allowed around pairs, else 0. */
static int
cookie_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Returns 1 if c is a cookie-octet (RFC 6265 4.1.1): US-ASCII without
 * controls, space, '"', ',', ';', '\\' and DEL.  Else 0.
 */
static int
cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	    (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

/*
 * Returns 1 if the n bytes at s form an RFC 2616 token (the cookie-name
 * of RFC 6265): at least one visible US-ASCII byte, none a separator.
 */
static int
cookie_token(const char *s, size_t n)
{
	size_t		 i;
	unsigned char	 c;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?={}", c) != NULL)
			return 0;
	}
	return 1;
}

/*
 * Copies the value running from v to e (leading whitespace skipped, one
 * pair of enclosing double quotes removed) into out as a C string.
 * Returns 0, or -2 when a byte is not a cookie-octet or the value and its
 * NUL do not fit in outlen; then out is untouched.
 */
static int
cookie_copy(const char *v, const char *e, char *out, size_t outlen)
{
	size_t	 n, i;

	while (v < e && cookie_ows(*v))
		v++;
	n = (size_t)(e - v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	for (i = 0; i < n; i++)
		if (cookie_octet((unsigned char)v[i]) == 0)
			return -2;
	if (n >= outlen)
		return -2;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/*
 * Finds the first cookie called exactly name in the Cookie header (may be
 * NULL) and copies its value into out.  Pairs are separated by ';' with
 * optional spaces or tabs around them; pairs without '=' are skipped.
 * Returns 0 on success; -1 when there is no such cookie (or header or name
 * is NULL or name is empty); -2 when the header is over COOKIE_MAX_HEADER
 * bytes, or the value holds bytes outside cookie-octets, or it does not
 * fit in outlen with its NUL.  out is written only on success.
 */
int
cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	const char	*p, *end, *pe, *s, *e, *eq, *ne;
	size_t		 nlen, hlen;

	if (header == NULL || name == NULL || (nlen = strlen(name)) == 0)
		return -1;
	if ((hlen = strnlen(header, COOKIE_MAX_HEADER + 1)) > COOKIE_MAX_HEADER)
		return -2;
	end = header + hlen;
	for (p = header; p < end; p = pe + 1) {
		if ((pe = memchr(p, ';', (size_t)(end - p))) == NULL)
			pe = end;
		/* Trim the pair, then the name before its '='. */
		for (s = p; s < pe && cookie_ows(*s); s++)
			;
		for (e = pe; e > s && cookie_ows(e[-1]); e--)
			;
		if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
			continue;
		for (ne = eq; ne > s && cookie_ows(ne[-1]); ne--)
			;
		if ((size_t)(ne - s) == nlen && memcmp(s, name, nlen) == 0)
			return cookie_copy(eq + 1, e, out, outlen);
	}
	return -1;
}

/*
 * Appends one "Set-Cookie: name=value; Path=/ ...\r\n" header line to out.
 * max_age < 0 omits Max-Age (a session cookie); 0 expires the cookie now
 * and adds an Expires date in the past for old clients.  flags is an OR of
 * COOKIE_HTTPONLY, COOKIE_SECURE and at most one of COOKIE_LAX and
 * COOKIE_STRICT.  Returns 0, or -1 with nothing appended when name is not
 * a token, value holds bytes outside cookie-octets, the two together are
 * over COOKIE_MAX_PAIR bytes, flags are unknown or contradictory, or out
 * is full.  name and value are borrowed for the call only.
 */
int
cookie_set(struct buf *out, const char *name, const char *value,
    long max_age, int flags)
{
	struct buf	 line;
	size_t		 nlen, vlen, i;
	int		 rc = 0;

	if (name == NULL || value == NULL || (flags & ~COOKIE__ALL) != 0 ||
	    ((flags & COOKIE_LAX) && (flags & COOKIE_STRICT)))
		return -1;
	nlen = strnlen(name, COOKIE_MAX_PAIR + 1);
	vlen = strnlen(value, COOKIE_MAX_PAIR + 1);
	if (nlen + vlen > COOKIE_MAX_PAIR || cookie_token(name, nlen) == 0)
		return -1;
	for (i = 0; i < vlen; i++)
		if (cookie_octet((unsigned char)value[i]) == 0)
			return -1;

	/* Built aside so that a failure leaves out as it was. */
	buf_init(&line, 0);
	rc |= buf_printf(&line, "Set-Cookie: %s=%s; Path=/", name, value);
	if (max_age >= 0)
		rc |= buf_printf(&line, "; Max-Age=%ld", max_age);
	if (max_age == 0)
		rc |= buf_addstr(&line,
		    "; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	if (flags & COOKIE_HTTPONLY)
		rc |= buf_addstr(&line, "; HttpOnly");
	if (flags & COOKIE_SECURE)
		rc |= buf_addstr(&line, "; Secure");
	if (flags & COOKIE_LAX)
		rc |= buf_addstr(&line, "; SameSite=Lax");
	if (flags & COOKIE_STRICT)
		rc |= buf_addstr(&line, "; SameSite=Strict");
	rc |= buf_addstr(&line, "\r\n");
	if (rc == 0)
		rc = buf_add(out, line.data, line.len);
	buf_clear(&line);
	return rc == 0 ? 0 : -1;
}
