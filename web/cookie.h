/*
 * Cookies (RFC 6265): reading one value from a Cookie request header and
 * building a Set-Cookie response header line.
 *
 * Both sides are strict about what a value may hold, cookie-octets only:
 * printable US-ASCII except space, '"', ',', ';' and '\\'.  A malformed or
 * oversized session cookie therefore reads as no session, never as a
 * crash or a truncated token.
 *
 * Memory: nothing is kept between calls.  cookie_get() copies into a
 * caller buffer; cookie_set() appends to a caller-owned struct buf.
 */
#ifndef ABC_COOKIE_H
#define ABC_COOKIE_H

#include <stddef.h>

struct buf;

#include "abc_limits.h"

#define COOKIE_MAX_HEADER	LIMIT_COOKIE_HEADER	/* Cookie header bytes */
#define COOKIE_MAX_PAIR		LIMIT_COOKIE_PAIR	/* name + value we set */

/* Flags for cookie_set(). */
#define COOKIE_HTTPONLY	0x01	/* not readable from JavaScript */
#define COOKIE_SECURE	0x02	/* only sent over https */
#define COOKIE_LAX	0x04	/* SameSite=Lax */
#define COOKIE_STRICT	0x08	/* SameSite=Strict */
#define COOKIE__ALL	(COOKIE_HTTPONLY | COOKIE_SECURE | COOKIE_LAX | \
			    COOKIE_STRICT)

int	cookie_get(const char *header, const char *name, char *out,
	    size_t outlen);
int	cookie_set(struct buf *out, const char *name, const char *value,
	    long max_age, int flags);

#endif /* ABC_COOKIE_H */
