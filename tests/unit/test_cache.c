/* CUnit suite for web/cache.c: abc-web's cache of what pages read. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "cache.h"
#include "cachekey.h"

#define BIG	(64u * 1024 * 1024)	/* max_bytes as abc-web uses */
#define AGE	1000			/* max_age, ms */
#define NOW	5000			/* now, ms */

static int	 has(struct cache *c, const char *key, const char *want);
static int	 put(struct cache *c, const char *key, const char *val,
		    uint64_t gen);
static double	 mono_s(void);
static void	*smoke_thread(void *arg);

/* Whether key holds want (fresh at NOW). */
static int
has(struct cache *c, const char *key, const char *want)
{
	char	*v;
	size_t	 len = 0;
	int	 ok;

	if ((v = cache_get(c, key, AGE, NOW, &len)) == NULL)
		return 0;
	ok = len == strlen(want) && strcmp(v, want) == 0;
	free(v);
	return ok;
}

/* Stores the string val under key at NOW. */
static int
put(struct cache *c, const char *key, const char *val, uint64_t gen)
{
	return cache_put(c, key, val, strlen(val), NOW, gen);
}

/* Monotonic seconds. */
static double
mono_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * cache_get_ref: the stored value itself, held past a drop, an overwrite,
 * an eviction and the cache's end (the reader's copy stays whole: ASan and
 * valgrind see a use after free); a miss and an old entry give NULL.
 */
static void
test_cache_get_ref(void)
{
	struct cache	*c = cache_new(BIG);
	const char	*a, *b, *d;
	size_t		 len = 0;

	CU_ASSERT_PTR_NULL(cache_get_ref(c, "k", AGE, NOW, &len));
	CU_ASSERT_EQUAL(put(c, "k", "first", cache_gen(c)), 1);
	a = cache_get_ref(c, "k", AGE, NOW, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_STRING_EQUAL(a, "first");
	b = cache_get_ref(c, "k", AGE, NOW, NULL);
	CU_ASSERT_PTR_EQUAL(a, b);	/* no copy */
	CU_ASSERT_PTR_NULL(cache_get_ref(c, "k", 0, NOW + 1, NULL));
	cache_drop(c, "k");
	CU_ASSERT_STRING_EQUAL(a, "first");
	cache_unref(b);
	CU_ASSERT_STRING_EQUAL(a, "first");
	cache_unref(a);
	CU_ASSERT_EQUAL(put(c, "k", "second", cache_gen(c)), 1);
	d = cache_get_ref(c, "k", AGE, NOW, NULL);
	CU_ASSERT_EQUAL(put(c, "k", "third", cache_gen(c)), 1);
	CU_ASSERT_STRING_EQUAL(d, "second");
	CU_ASSERT_TRUE(has(c, "k", "third"));
	cache_unref(d);
	d = cache_get_ref(c, "k", AGE, NOW, NULL);
	cache_free(c);
	CU_ASSERT_STRING_EQUAL(d, "third");
	cache_unref(d);
	cache_unref(NULL);
}

static void
test_cache_put_get(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			*v;
	size_t			 len = 99;

	c = cache_new(BIG);
	CU_ASSERT_PTR_NULL(cache_get(c, "c:1", AGE, NOW, &len));
	CU_ASSERT_EQUAL(len, 99);
	CU_ASSERT_EQUAL(put(c, "c:1", "one", cache_gen(c)), 1);
	v = cache_get(c, "c:1", AGE, NOW, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_STRING_EQUAL(v, "one");
	free(v);
	/* len may be NULL; values are binary-safe and NUL-terminated. */
	CU_ASSERT_EQUAL(cache_put(c, "img:x", "a\0b", 3, NOW, cache_gen(c)),
	    1);
	v = cache_get(c, "img:x", AGE, NOW, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(memcmp(v, "a\0b", 4), 0);
	free(v);
	CU_ASSERT_FALSE(has(c, "c:2", "one"));
	/* A key too long is never stored. */
	{
		char	 k[CACHE_KEY_MAX + 1];

		memset(k, 'k', CACHE_KEY_MAX);
		k[CACHE_KEY_MAX] = '\0';
		CU_ASSERT_EQUAL(put(c, k, "x", cache_gen(c)), 0);
		CU_ASSERT_FALSE(has(c, k, "x"));
		cache_drop(c, k);
	}
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.bytes, 6);
	cache_free(c);
	cache_free(NULL);
}

static void
test_cache_max_age(void)
{
	struct cache	*c;
	char		*v;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(cache_put(c, "k", "v", 1, 10000, cache_gen(c)), 1);
	v = cache_get(c, "k", AGE, 10000 + AGE, NULL);
	CU_ASSERT_PTR_NOT_NULL(v);
	free(v);
	CU_ASSERT_PTR_NULL(cache_get(c, "k", AGE, 10000 + AGE + 1, NULL));
	CU_ASSERT_PTR_NULL(cache_get(c, "k", 100, 10000 + 101, NULL));
	/* A new put makes it fresh again. */
	CU_ASSERT_EQUAL(cache_put(c, "k", "w", 1, 20000, cache_gen(c)), 1);
	v = cache_get(c, "k", 100, 20000 + 100, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v, "w");
	free(v);
	cache_free(c);
}

static void
test_cache_overwrite(void)
{
	struct cache		*c;
	struct cache_stats	 st;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(put(c, "k", "first", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "k", "second!", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "k", "second!"));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.bytes, 7);
	cache_free(c);
}

static void
test_cache_lru_bytes(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			 val[400];

	memset(val, 'x', sizeof(val));
	val[100] = '\0';
	/* 350 bytes: three values of 100 fit, a fourth evicts the oldest. */
	c = cache_new(350);
	CU_ASSERT_EQUAL(put(c, "a", val, cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "b", val, cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c", val, cache_gen(c)), 1);
	/* Storing "a" again makes it the newest. */
	CU_ASSERT_EQUAL(put(c, "a", val, cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "d", val, cache_gen(c)), 1);
	CU_ASSERT_FALSE(has(c, "b", val));
	CU_ASSERT_TRUE(has(c, "a", val));
	CU_ASSERT_TRUE(has(c, "c", val));
	CU_ASSERT_TRUE(has(c, "d", val));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 3);
	CU_ASSERT_EQUAL(st.bytes, 300);
	CU_ASSERT_EQUAL(st.evictions, 1);
	/* A value larger than the cache is refused and forgets the old one. */
	CU_ASSERT_EQUAL(cache_put(c, "c", val, 351, NOW, cache_gen(c)), 0);
	CU_ASSERT_FALSE(has(c, "c", val));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.bytes, 200);
	cache_free(c);
}

static void
test_cache_entry_bound(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			 k[32];
	size_t			 max = 64 * 1024 / CACHE_ENTRY_BYTES, i;

	/* Tiny values: the entry bound, not bytes, evicts. */
	c = cache_new(64 * 1024);
	for (i = 0; i < max + 10; i++) {
		snprintf(k, sizeof(k), "a:%zu", i);
		CU_ASSERT_EQUAL(put(c, k, "v", cache_gen(c)), 1);
	}
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, max);
	CU_ASSERT_EQUAL(st.evictions, 10);
	for (i = 0; i < max + 10; i++) {
		snprintf(k, sizeof(k), "a:%zu", i);
		CU_ASSERT_EQUAL(has(c, k, "v"), i >= 10);
	}
	cache_free(c);
	/* A small cache still holds CACHE_ENTRIES_MIN entries. */
	c = cache_new(1000);
	for (i = 0; i < CACHE_ENTRIES_MIN + 1; i++) {
		snprintf(k, sizeof(k), "a:%zu", i);
		(void)put(c, k, "v", cache_gen(c));
	}
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, CACHE_ENTRIES_MIN);
	cache_free(c);
}

static void
test_cache_drop(void)
{
	struct cache		*c;
	struct cache_stats	 st;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(put(c, "c:1", "one", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c:2", "two", cache_gen(c)), 1);
	cache_drop(c, "c:1");
	cache_drop(c, "nothing");
	CU_ASSERT_FALSE(has(c, "c:1", "one"));
	CU_ASSERT_TRUE(has(c, "c:2", "two"));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.bytes, 3);
	CU_ASSERT_EQUAL(st.tombstones, 2);
	/* Stored again with a generation read after the drop. */
	CU_ASSERT_EQUAL(put(c, "c:1", "uno", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "c:1", "uno"));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.tombstones, 1);
	cache_free(c);
}

static void
test_cache_drop_prefix(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	uint64_t		 gen;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(put(c, "a:1", "x", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "a:22", "y", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c:1", "z", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "list", "w", cache_gen(c)), 1);
	gen = cache_gen(c);
	cache_drop_prefix(c, "a:");
	CU_ASSERT_FALSE(has(c, "a:1", "x"));
	CU_ASSERT_FALSE(has(c, "a:22", "y"));
	CU_ASSERT_TRUE(has(c, "c:1", "z"));
	CU_ASSERT_TRUE(has(c, "list", "w"));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.bytes, 2);
	/* In flight across it: refused, whatever the key (conservative). */
	CU_ASSERT_EQUAL(put(c, "a:1", "old", gen), 0);
	CU_ASSERT_EQUAL(put(c, "c:9", "any", gen), 0);
	CU_ASSERT_FALSE(has(c, "a:1", "old"));
	CU_ASSERT_EQUAL(put(c, "a:1", "new", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "a:1", "new"));
	/* The empty prefix drops everything. */
	cache_drop_prefix(c, "");
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	cache_free(c);
}

static void
test_cache_clear(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	uint64_t		 gen;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(put(c, "c:1", "one", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c:2", "two", cache_gen(c)), 1);
	cache_drop(c, "c:3");
	gen = cache_gen(c);
	cache_clear(c);
	CU_ASSERT_FALSE(has(c, "c:1", "one"));
	CU_ASSERT_FALSE(has(c, "c:2", "two"));
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	CU_ASSERT_EQUAL(st.tombstones, 0);
	CU_ASSERT_EQUAL(put(c, "c:1", "old", gen), 0);
	CU_ASSERT_EQUAL(put(c, "c:1", "new", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "c:1", "new"));
	cache_free(c);
}

static void
test_cache_stats(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	uint64_t		 gen;

	c = cache_new(BIG);
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.hits, 0);
	CU_ASSERT_EQUAL(st.misses, 0);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_FALSE(has(c, "k", "v"));		/* miss */
	CU_ASSERT_EQUAL(put(c, "k", "v", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "k", "v"));		/* hit */
	CU_ASSERT_TRUE(has(c, "k", "v"));		/* hit */
	CU_ASSERT_PTR_NULL(cache_get(c, "k", 0, NOW + 1, NULL)); /* stale */
	gen = cache_gen(c);
	cache_drop(c, "k");
	CU_ASSERT_EQUAL(put(c, "k", "v", gen), 0);
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.hits, 2);
	CU_ASSERT_EQUAL(st.misses, 2);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	CU_ASSERT_EQUAL(st.tombstones, 1);
	CU_ASSERT_EQUAL(st.refused, 1);
	/* Clearing keeps the counters. */
	cache_clear(c);
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.hits, 2);
	CU_ASSERT_EQUAL(st.refused, 1);
	cache_free(c);
}

static void
test_cache_race_refused(void)
{
	struct cache	*c;
	uint64_t	 gen, gen2;

	c = cache_new(BIG);
	/* A page misses and reads gen; a notice drops the key meanwhile. */
	gen = cache_gen(c);
	cache_drop(c, "c:1");
	CU_ASSERT_EQUAL(put(c, "c:1", "stale", gen), 0);
	CU_ASSERT_FALSE(has(c, "c:1", "stale"));
	CU_ASSERT_PTR_NULL(cache_get(c, "c:1", INT64_MAX / 2, NOW, NULL));
	/* The next page reads gen after the drop: stored. */
	gen2 = cache_gen(c);
	CU_ASSERT_TRUE(gen2 > gen);
	CU_ASSERT_EQUAL(put(c, "c:1", "fresh", gen2), 1);
	CU_ASSERT_TRUE(has(c, "c:1", "fresh"));
	/* A late put from before the drop never overwrites it. */
	CU_ASSERT_EQUAL(put(c, "c:1", "stale", gen), 0);
	CU_ASSERT_TRUE(has(c, "c:1", "fresh"));
	/* Same when the key held a value before the drop. */
	gen = cache_gen(c);
	cache_drop(c, "c:1");
	CU_ASSERT_EQUAL(put(c, "c:1", "stale", gen), 0);
	CU_ASSERT_FALSE(has(c, "c:1", "stale"));
	CU_ASSERT_FALSE(has(c, "c:1", "fresh"));
	cache_free(c);
}

static void
test_cache_race_other_key(void)
{
	struct cache	*c;
	uint64_t	 gen;

	c = cache_new(BIG);
	gen = cache_gen(c);
	cache_drop(c, "c:1");
	cache_drop(c, "list");
	/* A drop of another key does not refuse this one. */
	CU_ASSERT_EQUAL(put(c, "c:2", "two", gen), 1);
	CU_ASSERT_TRUE(has(c, "c:2", "two"));
	CU_ASSERT_EQUAL(put(c, "list", "old", gen), 0);
	CU_ASSERT_EQUAL(put(c, "c:1", "old", gen), 0);
	/* A put with the same generation as before is fine, twice. */
	CU_ASSERT_EQUAL(put(c, "c:2", "deux", gen), 1);
	CU_ASSERT_TRUE(has(c, "c:2", "deux"));
	cache_free(c);
}

static void
test_cache_tombstone_floor(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			 k[32];
	uint64_t		 gen0, gen1;
	int			 i;

	c = cache_new(BIG);
	gen0 = cache_gen(c);
	cache_drop(c, "t:0");
	gen1 = cache_gen(c);
	/* CACHE_TOMBSTONES more drops forget the tombstone of "t:0". */
	for (i = 1; i <= CACHE_TOMBSTONES; i++) {
		snprintf(k, sizeof(k), "t:%d", i);
		cache_drop(c, k);
	}
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.tombstones, CACHE_TOMBSTONES);
	/* Still refused: the floor remembers what the tombstone did. */
	CU_ASSERT_EQUAL(put(c, "t:0", "stale", gen0), 0);
	CU_ASSERT_FALSE(has(c, "t:0", "stale"));
	/* Conservative: any key with so old a generation is refused too. */
	CU_ASSERT_EQUAL(put(c, "other", "x", gen0), 0);
	/* Read after that drop: only the own-key tombstones refuse. */
	CU_ASSERT_EQUAL(put(c, "t:0", "ok", gen1), 1);
	CU_ASSERT_EQUAL(put(c, "other", "x", gen1), 1);
	CU_ASSERT_EQUAL(put(c, "t:1", "stale", gen1), 0);
	CU_ASSERT_EQUAL(put(c, "t:1", "ok", cache_gen(c)), 1);
	cache_free(c);
}

static void
test_cache_evicted_drop_gen(void)
{
	struct cache	*c;
	char		 val[101];
	uint64_t	 gen0, gen1;

	/* An entry that was dropped and stored again is evicted later. */
	memset(val, 'x', 100);
	val[100] = '\0';
	c = cache_new(250);
	gen0 = cache_gen(c);
	cache_drop(c, "a");
	gen1 = cache_gen(c);
	CU_ASSERT_EQUAL(put(c, "a", val, gen1), 1);
	CU_ASSERT_EQUAL(put(c, "b", val, gen1), 1);
	CU_ASSERT_EQUAL(put(c, "c", val, gen1), 1);
	CU_ASSERT_FALSE(has(c, "a", val));
	/* Its drop is still guarded, by the floor now. */
	CU_ASSERT_EQUAL(put(c, "a", val, gen0), 0);
	CU_ASSERT_EQUAL(put(c, "a", val, gen1), 1);
	cache_free(c);
}

/* A value's key may name a group too: dropping it drops both. */
static void
test_cache_group_of_value(void)
{
	struct cache	*c;
	uint64_t	 gen;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(put(c, "c:1", "state", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c:1|html", "page", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "c:1|html", "page"));
	gen = cache_gen(c);
	cache_drop(c, "c:1");
	CU_ASSERT_FALSE(has(c, "c:1", "state"));
	CU_ASSERT_FALSE(has(c, "c:1|html", "page"));
	CU_ASSERT_EQUAL(put(c, "c:1|html", "old", gen), 0);
	/* Stored again: the state keeps its drop, the page is served. */
	CU_ASSERT_EQUAL(put(c, "c:1", "state2", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c:1|html", "page2", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "c:1|html", "page2"));
	CU_ASSERT_TRUE(has(c, "c:1", "state2"));
	cache_free(c);
}

/* A group's drop drops every entry of the group, and no other. */
static void
test_cache_group_drop(void)
{
	struct cache		*c;
	struct cache_stats	 st;

	c = cache_new(BIG);
	CU_ASSERT_EQUAL(put(c, "u:1|account", "a1", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "u:1|ads|x", "x1", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "u:1|ads|y", "y1", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "u:12|ads|x", "x12", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "c:1", "camp", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "u:1|ads|x", "x1"));
	cache_drop(c, "u:1");
	CU_ASSERT_FALSE(has(c, "u:1|account", "a1"));
	CU_ASSERT_FALSE(has(c, "u:1|ads|x", "x1"));
	CU_ASSERT_FALSE(has(c, "u:1|ads|y", "y1"));
	CU_ASSERT_TRUE(has(c, "u:12|ads|x", "x12"));	/* not a prefix match */
	CU_ASSERT_TRUE(has(c, "c:1", "camp"));
	/* The outdated entries went when read: only "u:12...", "c:1" hold. */
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	/* Stored again after the drop: served. */
	CU_ASSERT_EQUAL(put(c, "u:1|ads|x", "x2", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "u:1|ads|x", "x2"));
	cache_drop(c, "u:1");
	CU_ASSERT_FALSE(has(c, "u:1|ads|x", "x2"));
	cache_free(c);
}

/* A read that began before the group's drop is never stored. */
static void
test_cache_group_race(void)
{
	struct cache	*c;
	uint64_t	 gen;

	c = cache_new(BIG);
	gen = cache_gen(c);
	cache_drop(c, "u:7");
	CU_ASSERT_EQUAL(put(c, "u:7|ads|x", "old", gen), 0);
	CU_ASSERT_FALSE(has(c, "u:7|ads|x", "old"));
	/* Another user's group is not concerned. */
	CU_ASSERT_EQUAL(put(c, "u:8|ads|x", "fine", gen), 1);
	CU_ASSERT_EQUAL(put(c, "u:7|ads|x", "new", cache_gen(c)), 1);
	CU_ASSERT_TRUE(has(c, "u:7|ads|x", "new"));
	cache_free(c);
}

/*
 * The group's tombstone forgotten (CACHE_TOMBSTONES later drops): what
 * was stored before its drop never comes back, what came after stays.
 */
static void
test_cache_group_forgotten(void)
{
	struct cache	*c;
	char		 k[32];
	uint64_t	 gen0;
	int		 i;

	c = cache_new(BIG);
	gen0 = cache_gen(c);
	CU_ASSERT_EQUAL(put(c, "u:1|ads|x", "before", gen0), 1);
	cache_drop(c, "u:1");
	CU_ASSERT_EQUAL(put(c, "u:2|ads|x", "after", cache_gen(c)), 1);
	CU_ASSERT_EQUAL(put(c, "u:3|ads|x", "after", cache_gen(c)), 1);
	cache_drop(c, "u:3");
	CU_ASSERT_EQUAL(put(c, "u:3|ads|x", "after3", cache_gen(c)), 1);
	for (i = 0; i < CACHE_TOMBSTONES; i++) {
		snprintf(k, sizeof(k), "t:%d", i);
		cache_drop(c, k);
	}
	CU_ASSERT_FALSE(has(c, "u:1|ads|x", "before"));
	CU_ASSERT_EQUAL(put(c, "u:1|ads|x", "late", gen0), 0);
	/* u:3's drop was forgotten after its entry was stored: still good. */
	CU_ASSERT_TRUE(has(c, "u:3|ads|x", "after3"));
	cache_free(c);
}

/* Every kind of key, and that none is cut off. */
static void
test_cachekey(void)
{
	struct cachekey_ads	 q = { -1, -1, 300, 250, 0 };
	struct cachekey_ads	 big = { INT64_MAX, INT64_MIN, INT64_MAX,
				    INT64_MAX, INT64_MIN };
	char			 k[CACHE_KEY_MAX], sha[65];

	cachekey_campaign(k, 42);
	CU_ASSERT_STRING_EQUAL(k, "c:42");
	/* In the campaign's group: dropped with its state. */
	cachekey_campaign_html(k, 42);
	CU_ASSERT_STRING_EQUAL(k, "c:42|html");
	memset(sha, 'a', 64);
	sha[64] = '\0';
	cachekey_image(k, sha);
	CU_ASSERT_EQUAL(strlen(k), 68);
	CU_ASSERT_EQUAL(strncmp(k, "img:", 4), 0);
	cachekey_user(k, 7);
	CU_ASSERT_STRING_EQUAL(k, "u:7");
	cachekey_account(k, 7);
	CU_ASSERT_STRING_EQUAL(k, "u:7|account");
	CU_ASSERT_EQUAL(cachekey_ads(k, 7, &q), 0);
	CU_ASSERT_STRING_EQUAL(k, "u:7|ads|b-1|a-1|w300|h250|i0");
	/* In the user's group: begins with the group's name and '|'. */
	CU_ASSERT_EQUAL(strncmp(k, "u:7|", 4), 0);
	/* Too long to fit: said so, never a cut key. */
	CU_ASSERT_EQUAL(cachekey_ads(k, INT64_MIN, &big), -1);
	big.before = big.after = big.id = 1;
	CU_ASSERT_EQUAL(cachekey_ads(k, INT64_MAX, &big), 0);
	CU_ASSERT_EQUAL(k[strlen(k) - 1], '1');
	CU_ASSERT_EQUAL(strncmp(CACHEKEY_USERS, "u:", 2), 0);
}

#define MANY	20000

static void
test_cache_many(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			 k[32], v[32];
	double			 t0, t1, t2;
	int			 i, found = 0;

	c = cache_new(BIG);
	t0 = mono_s();
	for (i = 0; i < MANY; i++) {
		snprintf(k, sizeof(k), "a:%d", i);
		snprintf(v, sizeof(v), "user %d", i);
		(void)put(c, k, v, cache_gen(c));
	}
	t1 = mono_s();
	for (i = 0; i < MANY; i++) {
		snprintf(k, sizeof(k), "a:%d", i);
		snprintf(v, sizeof(v), "user %d", i);
		found += has(c, k, v);
	}
	t2 = mono_s();
	CU_ASSERT_EQUAL(found, MANY);
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, MANY);
	printf("\n    %d puts %.1f ms, %d gets %.1f ms ", MANY,
	    (t1 - t0) * 1e3, MANY, (t2 - t1) * 1e3);
	cache_drop_prefix(c, "a:1");
	cache_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, MANY - 11111);
	CU_ASSERT_FALSE(has(c, "a:1", "user 1"));
	CU_ASSERT_TRUE(has(c, "a:2", "user 2"));
	cache_free(c);
}

#define SMOKE_THREADS	4
#define SMOKE_ITER	20000

struct smoke {
	struct cache	*c;
	int		 id;
	int		 bad;
};

static void *
smoke_thread(void *arg)
{
	struct smoke	*s = arg;
	char		 k[32], v[32], *got;
	uint64_t	 gen;
	int		 i, n;

	for (i = 0; i < SMOKE_ITER; i++) {
		n = (i * 7 + s->id * 13) % 256;
		snprintf(k, sizeof(k), "%s:%d", n % 2 ? "a" : "c", n);
		snprintf(v, sizeof(v), "value of %d", n);
		switch (i % 6) {
		case 0:
		case 1:
			gen = cache_gen(s->c);
			(void)cache_put(s->c, k, v, strlen(v), NOW, gen);
			break;
		case 2:
		case 3:
			/* A hit is always the value stored under k. */
			got = cache_get(s->c, k, AGE, NOW, NULL);
			if (got != NULL && strcmp(got, v) != 0)
				s->bad++;
			free(got);
			break;
		case 4:
			cache_drop(s->c, k);
			break;
		default:
			if (i % 1200 == 5)
				cache_clear(s->c);
			else if (i % 60 == 5)
				cache_drop_prefix(s->c, "a:");
			break;
		}
	}
	return NULL;
}

static void
test_cache_threads(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	struct smoke		 s[SMOKE_THREADS];
	pthread_t		 t[SMOKE_THREADS];
	int			 i, started = 0, bad = 0;

	/* Small enough that both bounds evict while threads race. */
	c = cache_new(64 * CACHE_ENTRY_BYTES);
	for (i = 0; i < SMOKE_THREADS; i++) {
		s[i].c = c;
		s[i].id = i;
		s[i].bad = 0;
		if (pthread_create(&t[i], NULL, smoke_thread, &s[i]) == 0)
			started++;
		else
			break;
	}
	CU_ASSERT_EQUAL(started, SMOKE_THREADS);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += s[i].bad;
	}
	CU_ASSERT_EQUAL(bad, 0);
	cache_get_stats(c, &st);
	CU_ASSERT_TRUE(st.entries <= 64);
	CU_ASSERT_TRUE(st.tombstones <= CACHE_TOMBSTONES);
	cache_free(c);
}

static CU_TestInfo tests[] = {
	{ "test_cache_put_get", test_cache_put_get },
	{ "test_cache_get_ref", test_cache_get_ref },
	{ "test_cache_max_age", test_cache_max_age },
	{ "test_cache_overwrite", test_cache_overwrite },
	{ "test_cache_lru_bytes", test_cache_lru_bytes },
	{ "test_cache_entry_bound", test_cache_entry_bound },
	{ "test_cache_drop", test_cache_drop },
	{ "test_cache_drop_prefix", test_cache_drop_prefix },
	{ "test_cache_clear", test_cache_clear },
	{ "test_cache_stats", test_cache_stats },
	{ "test_cache_race_refused", test_cache_race_refused },
	{ "test_cache_race_other_key", test_cache_race_other_key },
	{ "test_cache_tombstone_floor", test_cache_tombstone_floor },
	{ "test_cache_evicted_drop_gen", test_cache_evicted_drop_gen },
	{ "test_cache_group_drop", test_cache_group_drop },
	{ "test_cache_group_race", test_cache_group_race },
	{ "test_cache_group_of_value", test_cache_group_of_value },
	{ "test_cache_group_forgotten", test_cache_group_forgotten },
	{ "test_cachekey", test_cachekey },
	{ "test_cache_many", test_cache_many },
	{ "test_cache_threads", test_cache_threads },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "cache", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
