/*
 * Cache keys (see cachekey.h).  Every key but a page of ads fits
 * CACHE_KEY_MAX whatever its numbers (an image key is 68 bytes); a page of
 * ads holds six numbers and fits for any real ids (a query of six 19-digit
 * numbers would not), so cachekey_ads says when it did not.
 */
#include <stdio.h>

#include "cachekey.h"

void
cachekey_campaign(char key[CACHE_KEY_MAX], int64_t id)
{
	snprintf(key, CACHE_KEY_MAX, "c:%lld", (long long)id);
}

/* In the campaign's group: dropped with its state. */
void
cachekey_campaign_html(char key[CACHE_KEY_MAX], int64_t id)
{
	snprintf(key, CACHE_KEY_MAX, "c:%lld|html", (long long)id);
}

/* sha256_hex is checked by the caller (64 hex digits). */
void
cachekey_image(char key[CACHE_KEY_MAX], const char *sha256_hex)
{
	snprintf(key, CACHE_KEY_MAX, "img:%.64s", sha256_hex);
}

/* The group of user's entries: cache_drop() of it drops them all. */
void
cachekey_user(char key[CACHE_KEY_MAX], int64_t user)
{
	snprintf(key, CACHE_KEY_MAX, CACHEKEY_USERS "%lld", (long long)user);
}

void
cachekey_account(char key[CACHE_KEY_MAX], int64_t user)
{
	snprintf(key, CACHE_KEY_MAX, CACHEKEY_USERS "%lld|account",
	    (long long)user);
}

/*
 * Every field of q is in the key: two queries share a key only if equal.
 * Returns 0, or -1 when the key would not fit (then it must not be used:
 * cut short, two queries could share it).
 */
int
cachekey_ads(char key[CACHE_KEY_MAX], int64_t user,
    const struct cachekey_ads *q)
{
	int	 n;

	n = snprintf(key, CACHE_KEY_MAX, CACHEKEY_USERS "%lld|ads|b%lld|a%lld|"
	    "w%lld|h%lld|i%lld", (long long)user, (long long)q->before,
	    (long long)q->after, (long long)q->width, (long long)q->height,
	    (long long)q->id);
	return n > 0 && n < CACHE_KEY_MAX ? 0 : -1;
}

/*
 * In the user's group, like the pages of their ads it is made from:
 * dropped with them.
 */
void
cachekey_ads_fit(char key[CACHE_KEY_MAX], int64_t user, int64_t width,
    int64_t height)
{
	snprintf(key, CACHE_KEY_MAX, CACHEKEY_USERS "%lld|fit|w%lld|h%lld",
	    (long long)user, (long long)width, (long long)height);
}
