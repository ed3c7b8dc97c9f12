/*
 * The keys of abc-web's cache (web/cache.c), one function (or constant)
 * per kind, all here, so that the page that stores an entry and the
 * notice that drops it always agree on its name:
 *
 *   c:<id>                 a campaign's state (campaign_get), and the group
 *                          of what is made from it: dropping it (a change
 *                          to the campaign) drops them too
 *   c:<id>|html            the parts of its page that are the same for
 *                          every viewer, rendered, briefly
 *   list                   the newest campaigns (campaign_list)
 *   page:/                 the anonymous home page, rendered
 *   img:<sha256 hex>       an image (mime NUL bytes)
 *   u:<user>               the group of everything cached for one user;
 *                          dropping it drops them all (cache.h, Groups)
 *   u:<user>|account       their account overview
 *   u:<user>|ads|<query>   a page of their ads (my_ads)
 *   u:<user>|fit|w<W>|h<H> their ads of W x H pixels (ids and nicknames),
 *                          for the campaign page's form
 *
 * Memory: each function writes a NUL-terminated key into the caller's
 * buffer of CACHE_KEY_MAX bytes; nothing is allocated.
 */
#ifndef ABC_CACHEKEY_H
#define ABC_CACHEKEY_H

#include <stdint.h>

#include "cache.h"

#define CACHEKEY_LIST		"list"
#define CACHEKEY_HOME		"page:/"
#define CACHEKEY_USERS		"u:"	/* prefix of every user's entries */

/* Which of a user's ads, as market_ads_q: -1 / 0 for "none". */
struct cachekey_ads {
	int64_t		 before, after, width, height, id;
};

void	cachekey_campaign(char key[CACHE_KEY_MAX], int64_t id);
void	cachekey_campaign_html(char key[CACHE_KEY_MAX], int64_t id);
void	cachekey_image(char key[CACHE_KEY_MAX], const char *sha256_hex);
void	cachekey_user(char key[CACHE_KEY_MAX], int64_t user);
void	cachekey_account(char key[CACHE_KEY_MAX], int64_t user);
void	cachekey_ads_fit(char key[CACHE_KEY_MAX], int64_t user, int64_t width,
	    int64_t height);
int	cachekey_ads(char key[CACHE_KEY_MAX], int64_t user,
	    const struct cachekey_ads *q);

#endif /* ABC_CACHEKEY_H */
