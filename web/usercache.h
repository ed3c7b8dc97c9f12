/*
 * abc-web's cache of who holds which session token, so that most pages
 * need no round trip to abc-worker.  An entry lives at most max_age_ms
 * (1 s by default), and a "session_revoked" notice drops the entries it
 * names at once, so logout takes effect on every abc-web within a second
 * even when a notice is lost.  Keys are the SHA-256 of the token (hex),
 * the same form the notices use.  Thread-safe.
 */
#ifndef ABC_USERCACHE_H
#define ABC_USERCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "csrf.h"

#define USERCACHE_KEY_LEN	64	/* hex SHA-256 */

struct cached_user {
	int64_t		 id;
	char		 name[40];
	int64_t		 key_id;	/* issue 15: an API key's; 0 else */
	unsigned	 scopes;	/* ...its scopes (web/page_api.c) */
	/* A session's CSRF token (csrf_token of CSRF_SESSION and the
	 * token the key names), made once per lookup, not once per page;
	 * "" when not made. */
	char		 csrf[CSRF_TOKEN_LEN + 1];
};

struct usercache;

struct usercache *usercache_new(size_t capacity, int64_t max_age_ms);
void		 usercache_free(struct usercache *uc);
int		 usercache_get(struct usercache *uc, const char *key,
		    struct cached_user *out, int64_t now_ms);
void		 usercache_put(struct usercache *uc, const char *key,
		    const struct cached_user *u, int64_t now_ms);
void		 usercache_drop_key(struct usercache *uc, const char *key);
void		 usercache_drop_user(struct usercache *uc, int64_t id,
		    const char *keep_key);
void		 usercache_clear(struct usercache *uc);
void		 usercache_token_key(const char *token_hex, char *key);

#endif /* ABC_USERCACHE_H */
