/*
 * A fixed array of entries under one mutex, replaced oldest first.  The
 * array is small (a few thousand sessions active within a second at most)
 * and scanned linearly; a page costs a few microseconds here.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "usercache.h"
#include "xmalloc.h"

struct uc_entry {
	char			 key[USERCACHE_KEY_LEN + 1];	/* "" free */
	struct cached_user	 user;
	int64_t			 at_ms;
};

struct usercache {
	pthread_mutex_t	 lock;
	struct uc_entry	*e;		/* owned */
	size_t		 capacity;
	int64_t		 max_age_ms;
};

struct usercache *
usercache_new(size_t capacity, int64_t max_age_ms)
{
	struct usercache	*uc;

	uc = xcalloc(1, sizeof(*uc));
	uc->e = xcalloc(capacity, sizeof(*uc->e));
	uc->capacity = capacity;
	uc->max_age_ms = max_age_ms;
	pthread_mutex_init(&uc->lock, NULL);
	return uc;
}

void
usercache_free(struct usercache *uc)
{
	if (uc == NULL)
		return;
	pthread_mutex_destroy(&uc->lock);
	free(uc->e);
	free(uc);
}

/* Returns 1 and fills out when key is cached and fresh, else 0. */
int
usercache_get(struct usercache *uc, const char *key, struct cached_user *out,
    int64_t now_ms)
{
	size_t	 i;
	int	 hit = 0;

	if (key[0] == '\0')
		return 0;
	pthread_mutex_lock(&uc->lock);
	for (i = 0; i < uc->capacity; i++)
		if (strcmp(uc->e[i].key, key) == 0) {
			hit = now_ms - uc->e[i].at_ms < uc->max_age_ms;
			if (hit)
				*out = uc->e[i].user;
			break;
		}
	pthread_mutex_unlock(&uc->lock);
	return hit;
}

/* Caches u for key, replacing its old entry or the oldest one. */
void
usercache_put(struct usercache *uc, const char *key,
    const struct cached_user *u, int64_t now_ms)
{
	struct uc_entry	*slot = NULL;
	size_t		 i;

	if (uc->capacity == 0 || key[0] == '\0')
		return;
	pthread_mutex_lock(&uc->lock);
	for (i = 0; i < uc->capacity && slot == NULL; i++)
		if (strcmp(uc->e[i].key, key) == 0)
			slot = &uc->e[i];
	for (i = 0; i < uc->capacity && slot == NULL; i++)
		if (uc->e[i].key[0] == '\0')
			slot = &uc->e[i];
	if (slot == NULL) {
		slot = &uc->e[0];
		for (i = 1; i < uc->capacity; i++)
			if (uc->e[i].at_ms < slot->at_ms)
				slot = &uc->e[i];
	}
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->user = *u;
	slot->at_ms = now_ms;
	pthread_mutex_unlock(&uc->lock);
}

/* Forgets one session. */
void
usercache_drop_key(struct usercache *uc, const char *key)
{
	size_t	 i;

	pthread_mutex_lock(&uc->lock);
	for (i = 0; i < uc->capacity; i++)
		if (strcmp(uc->e[i].key, key) == 0)
			uc->e[i].key[0] = '\0';
	pthread_mutex_unlock(&uc->lock);
}

/* Forgets every session of user id except keep_key (may be NULL). */
void
usercache_drop_user(struct usercache *uc, int64_t id, const char *keep_key)
{
	size_t	 i;

	pthread_mutex_lock(&uc->lock);
	for (i = 0; i < uc->capacity; i++)
		if (uc->e[i].key[0] != '\0' && uc->e[i].user.id == id &&
		    (keep_key == NULL || strcmp(uc->e[i].key, keep_key) != 0))
			uc->e[i].key[0] = '\0';
	pthread_mutex_unlock(&uc->lock);
}

/* Forgets everything (a missed notice, or a new worker). */
void
usercache_clear(struct usercache *uc)
{
	size_t	 i;

	pthread_mutex_lock(&uc->lock);
	for (i = 0; i < uc->capacity; i++)
		uc->e[i].key[0] = '\0';
	pthread_mutex_unlock(&uc->lock);
}

/* The value of hex digit c (lowercase), or -1. */
static int
usercache_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * SHA-256, fetched once: an implicit fetch on every digest (EVP_sha256()
 * in EVP_Digest) costs more than the digest itself, on every page.
 */
static pthread_once_t	 usercache_md_once = PTHREAD_ONCE_INIT;
static EVP_MD		*usercache_md;
/*
 * Each thread's digest context, made on its first key and freed when it
 * ends: a context made and freed for every page cost more than the
 * digest of 32 bytes itself.
 */
static pthread_key_t	 usercache_ctx_key;
static int		 usercache_ctx_ok;

static void
usercache_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
usercache_md_fetch(void)
{
	usercache_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	usercache_ctx_ok = pthread_key_create(&usercache_ctx_key,
	    usercache_ctx_free) == 0;
}

/* This thread's digest context, or NULL (then EVP_Digest makes one). */
static EVP_MD_CTX *
usercache_ctx(void)
{
	EVP_MD_CTX	*ctx;

	if (!usercache_ctx_ok)
		return NULL;
	if ((ctx = pthread_getspecific(usercache_ctx_key)) != NULL)
		return ctx;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (pthread_setspecific(usercache_ctx_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* SHA-256 of the 32 bytes at raw into md; 0 or -1. */
static int
usercache_sha256(const uint8_t raw[32], uint8_t md[32])
{
	const EVP_MD	*sha;
	EVP_MD_CTX	*ctx;
	unsigned int	 n = 32;

	(void)pthread_once(&usercache_md_once, usercache_md_fetch);
	sha = usercache_md != NULL ? usercache_md : EVP_sha256();
	if ((ctx = usercache_ctx()) == NULL)
		return EVP_Digest(raw, 32, md, &n, sha, NULL) == 1 ? 0 : -1;
	return EVP_DigestInit_ex2(ctx, sha, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, raw, 32) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 ? 0 : -1;
}

/*
 * Writes the cache key of a token (64 hex digits, as in the cookie) into
 * key (USERCACHE_KEY_LEN + 1 bytes): the hex SHA-256 of its bytes, which
 * is also how abc-worker names sessions in notices.  A malformed token
 * gets the empty key, which never matches.
 */
void
usercache_token_key(const char *token_hex, char *key)
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 raw[32], md[32];
	size_t			 i;
	int			 hi, lo;

	key[0] = '\0';
	if (strnlen(token_hex, 65) != 64)
		return;
	for (i = 0; i < 32; i++) {
		hi = usercache_nibble(token_hex[2 * i]);
		lo = usercache_nibble(token_hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	if (usercache_sha256(raw, md) != 0) {
		explicit_bzero(raw, sizeof(raw));
		return;
	}
	for (i = 0; i < 32; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[64] = '\0';
	explicit_bzero(raw, sizeof(raw));
}
