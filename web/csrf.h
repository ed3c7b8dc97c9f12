/*
 * CSRF tokens bound to a cookie (issue 10): a token is the HMAC-SHA256,
 * under a secret both abc-web share, of what it is bound to: "s:" and the
 * session token for a logged-in user, "p:" and a random pre-session cookie
 * for anonymous forms (log in, register).  A token from one session is
 * worthless in another, and a foreign site can neither read the cookie nor
 * compute the token.  Cut to 128 bits, written as 32 hex digits.
 *
 * Ownership: a csrf_key is a fixed-size value holding a copy of the
 * secret; the functions borrow their strings.
 */
#ifndef ABC_CSRF_H
#define ABC_CSRF_H

#include <stddef.h>
#include <stdint.h>

#define CSRF_TOKEN_LEN		32	/* hex digits */
#define CSRF_SECRET_MIN		32	/* bytes of secret at least */
#define CSRF_SECRET_MAX		256
#define CSRF_BOUND_MAX		128	/* longest cookie a token binds to */

enum csrf_kind {
	CSRF_SESSION = 's',	/* bound to the session cookie */
	CSRF_PRE = 'p'		/* bound to the pre-session cookie */
};

struct csrf_key {
	uint8_t		 secret[CSRF_SECRET_MAX];
	size_t		 len;
};

int	csrf_key_set(struct csrf_key *k, const char *secret);
int	csrf_key_random(struct csrf_key *k);
int	csrf_token(const struct csrf_key *k, enum csrf_kind kind,
	    const char *bound, char out[CSRF_TOKEN_LEN + 1]);
int	csrf_valid(const struct csrf_key *k, enum csrf_kind kind,
	    const char *bound, const char *sent);

#endif /* ABC_CSRF_H */
