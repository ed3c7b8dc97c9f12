/* CUnit suite for web/usercache.c: abc-web's session -> user cache. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "usercache.h"

#define AGE	1000		/* max_age, ms */

static void	 mkkey(char *key, int n);
static void	 mkuser(struct cached_user *u, int64_t id, const char *name);
static void	*smoke_thread(void *arg);

/* A 64-character key numbered n. */
static void
mkkey(char *key, int n)
{
	snprintf(key, USERCACHE_KEY_LEN + 1, "%064x", (unsigned)n);
}

static void
mkuser(struct cached_user *u, int64_t id, const char *name)
{
	memset(u, 0, sizeof(*u));
	u->id = id;
	snprintf(u->name, sizeof(u->name), "%s", name);
}

static void
test_usercache_put_get(void)
{
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k1[USERCACHE_KEY_LEN + 1];
	char			 k2[USERCACHE_KEY_LEN + 1];

	uc = usercache_new(16, AGE);
	mkkey(k1, 1);
	mkkey(k2, 2);
	CU_ASSERT_FALSE(usercache_get(uc, k1, &out, 5000));
	mkuser(&u, 7, "alice");
	usercache_put(uc, k1, &u, 5000);
	memset(&out, 0, sizeof(out));
	CU_ASSERT_TRUE(usercache_get(uc, k1, &out, 5000));
	CU_ASSERT_EQUAL(out.id, 7);
	CU_ASSERT_STRING_EQUAL(out.name, "alice");
	CU_ASSERT_FALSE(usercache_get(uc, k2, &out, 5000));
	/* A miss leaves out alone. */
	mkuser(&out, 99, "untouched");
	CU_ASSERT_FALSE(usercache_get(uc, k2, &out, 5000));
	CU_ASSERT_EQUAL(out.id, 99);
	CU_ASSERT_STRING_EQUAL(out.name, "untouched");
	usercache_free(uc);
	usercache_free(NULL);
}

static void
test_usercache_max_age(void)
{
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k[USERCACHE_KEY_LEN + 1];

	uc = usercache_new(4, AGE);
	mkkey(k, 1);
	mkuser(&u, 7, "alice");
	usercache_put(uc, k, &u, 10000);
	CU_ASSERT_TRUE(usercache_get(uc, k, &out, 10000 + AGE - 1));
	CU_ASSERT_FALSE(usercache_get(uc, k, &out, 10000 + AGE));
	CU_ASSERT_FALSE(usercache_get(uc, k, &out, 10000 + 10 * AGE));
	/* A new put makes it fresh again. */
	usercache_put(uc, k, &u, 10000 + 10 * AGE);
	CU_ASSERT_TRUE(usercache_get(uc, k, &out, 10000 + 10 * AGE));
	usercache_free(uc);
}

static void
test_usercache_drop_key(void)
{
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k1[USERCACHE_KEY_LEN + 1];
	char			 k2[USERCACHE_KEY_LEN + 1];

	uc = usercache_new(4, AGE);
	mkkey(k1, 1);
	mkkey(k2, 2);
	mkuser(&u, 7, "alice");
	usercache_put(uc, k1, &u, 5000);
	usercache_put(uc, k2, &u, 5000);
	usercache_drop_key(uc, k1);
	CU_ASSERT_FALSE(usercache_get(uc, k1, &out, 5000));
	CU_ASSERT_TRUE(usercache_get(uc, k2, &out, 5000));
	usercache_drop_key(uc, k1);
	usercache_drop_key(uc, "unknown");
	CU_ASSERT_TRUE(usercache_get(uc, k2, &out, 5000));
	usercache_free(uc);
}

static void
test_usercache_drop_user(void)
{
	struct usercache	*uc;
	struct cached_user	 a, b, out;
	char			 k[4][USERCACHE_KEY_LEN + 1];
	int			 i;

	uc = usercache_new(8, AGE);
	for (i = 0; i < 4; i++)
		mkkey(k[i], i);
	mkuser(&a, 7, "alice");
	mkuser(&b, 8, "bob");
	/* alice has sessions 0, 1, 2; bob has 3. */
	usercache_put(uc, k[0], &a, 5000);
	usercache_put(uc, k[1], &a, 5000);
	usercache_put(uc, k[2], &a, 5000);
	usercache_put(uc, k[3], &b, 5000);

	/* "Logout everywhere else": keep session 1. */
	usercache_drop_user(uc, 7, k[1]);
	CU_ASSERT_FALSE(usercache_get(uc, k[0], &out, 5000));
	CU_ASSERT_TRUE(usercache_get(uc, k[1], &out, 5000));
	CU_ASSERT_FALSE(usercache_get(uc, k[2], &out, 5000));
	CU_ASSERT_TRUE(usercache_get(uc, k[3], &out, 5000));
	CU_ASSERT_EQUAL(out.id, 8);

	/* "Logout everywhere": none kept. */
	usercache_put(uc, k[0], &a, 5000);
	usercache_drop_user(uc, 7, NULL);
	for (i = 0; i < 3; i++)
		CU_ASSERT_FALSE(usercache_get(uc, k[i], &out, 5000));
	CU_ASSERT_TRUE(usercache_get(uc, k[3], &out, 5000));

	/* An unknown user, or a keep key nobody has, drops nothing else. */
	usercache_drop_user(uc, 12345, NULL);
	usercache_drop_user(uc, 8, k[3]);
	CU_ASSERT_TRUE(usercache_get(uc, k[3], &out, 5000));
	usercache_drop_user(uc, 8, k[0]);
	CU_ASSERT_FALSE(usercache_get(uc, k[3], &out, 5000));
	usercache_free(uc);
}

static void
test_usercache_clear(void)
{
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k[USERCACHE_KEY_LEN + 1];
	int			 i;

	uc = usercache_new(8, AGE);
	mkuser(&u, 7, "alice");
	for (i = 0; i < 8; i++) {
		mkkey(k, i);
		usercache_put(uc, k, &u, 5000);
	}
	usercache_clear(uc);
	for (i = 0; i < 8; i++) {
		mkkey(k, i);
		CU_ASSERT_FALSE(usercache_get(uc, k, &out, 5000));
	}
	/* Still usable. */
	usercache_put(uc, k, &u, 5001);
	CU_ASSERT_TRUE(usercache_get(uc, k, &out, 5001));
	usercache_free(uc);
}

static void
test_usercache_replace_no_duplicate(void)
{
	enum { CAP = 8 };
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k[USERCACHE_KEY_LEN + 1];
	char			 name[16];
	int			 i, round;

	uc = usercache_new(CAP, AGE);
	for (i = 0; i < CAP; i++) {
		mkkey(k, i);
		mkuser(&u, 100 + i, "first");
		usercache_put(uc, k, &u, 5000 + i);
	}
	/* Replace each key in turn, several times, in a full table. */
	for (round = 0; round < 3; round++)
		for (i = 0; i < CAP; i++) {
			mkkey(k, i);
			snprintf(name, sizeof(name), "r%d", round);
			mkuser(&u, 100 + i, name);
			usercache_put(uc, k, &u, 5100 + round * CAP + i);
		}
	for (i = 0; i < CAP; i++) {
		mkkey(k, i);
		memset(&out, 0, sizeof(out));
		CU_ASSERT_TRUE(usercache_get(uc, k, &out, 5200));
		CU_ASSERT_EQUAL(out.id, 100 + i);
		CU_ASSERT_STRING_EQUAL(out.name, "r2");
	}
	/* Dropping a replaced key leaves no older copy behind. */
	mkkey(k, 3);
	usercache_drop_key(uc, k);
	CU_ASSERT_FALSE(usercache_get(uc, k, &out, 5200));
	usercache_free(uc);
}

static void
test_usercache_evicts_oldest(void)
{
	enum { CAP = 4 };
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k[USERCACHE_KEY_LEN + 1];
	int			 i;

	uc = usercache_new(CAP, AGE);
	/* Put in the order 2, 0, 3, 1: key 2 is the oldest. */
	mkkey(k, 2);
	mkuser(&u, 2, "two");
	usercache_put(uc, k, &u, 5000);
	mkkey(k, 0);
	mkuser(&u, 0, "zero");
	usercache_put(uc, k, &u, 5001);
	mkkey(k, 3);
	mkuser(&u, 3, "three");
	usercache_put(uc, k, &u, 5002);
	mkkey(k, 1);
	mkuser(&u, 1, "one");
	usercache_put(uc, k, &u, 5003);
	/* Refreshing 2 makes 0 the oldest. */
	mkkey(k, 2);
	mkuser(&u, 2, "two");
	usercache_put(uc, k, &u, 5004);
	mkkey(k, 4);
	mkuser(&u, 4, "four");
	usercache_put(uc, k, &u, 5005);
	for (i = 0; i < 5; i++) {
		mkkey(k, i);
		CU_ASSERT_EQUAL(usercache_get(uc, k, &out, 5005), i != 0);
	}
	/* Then 3. */
	mkkey(k, 5);
	usercache_put(uc, k, &u, 5006);
	mkkey(k, 3);
	CU_ASSERT_FALSE(usercache_get(uc, k, &out, 5006));
	mkkey(k, 1);
	CU_ASSERT_TRUE(usercache_get(uc, k, &out, 5006));
	usercache_free(uc);

	/* Capacity 0 caches nothing, and does not crash. */
	uc = usercache_new(0, AGE);
	usercache_put(uc, k, &u, 5000);
	CU_ASSERT_FALSE(usercache_get(uc, k, &out, 5000));
	usercache_drop_key(uc, k);
	usercache_drop_user(uc, 1, NULL);
	usercache_clear(uc);
	usercache_free(uc);
}

/*
 * The empty key is what a malformed token gets, and "never matches": not
 * an unused slot, not a dropped entry, not even an entry put under "".
 */
static void
test_usercache_empty_key_never_matches(void)
{
	struct usercache	*uc;
	struct cached_user	 u, out;
	char			 k[USERCACHE_KEY_LEN + 1];

	uc = usercache_new(4, AGE);
	CU_ASSERT_FALSE(usercache_get(uc, "", &out, 0));
	mkkey(k, 1);
	mkuser(&u, 7, "alice");
	usercache_put(uc, k, &u, 5000);
	usercache_drop_key(uc, k);
	memset(&out, 0, sizeof(out));
	CU_ASSERT_FALSE(usercache_get(uc, "", &out, 5000));
	CU_ASSERT_NOT_EQUAL(out.id, 7);
	usercache_put(uc, "", &u, 5000);
	CU_ASSERT_FALSE(usercache_get(uc, "", &out, 5000));
	usercache_free(uc);
}

static void
test_usercache_token_key(void)
{
	char	 key[USERCACHE_KEY_LEN + 1];
	char	 tok[80];

	/* printf %s TOKEN | xxd -r -p | sha256sum */
	usercache_token_key("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", key);
	CU_ASSERT_STRING_EQUAL(key, "630dcd2966c4336691125448bbb25b4f"
	    "f412a49c732db2c8abc1b8581bd710dd");
	usercache_token_key("00000000000000000000000000000000"
	    "00000000000000000000000000000000", key);
	CU_ASSERT_STRING_EQUAL(key, "66687aadf862bd776c8fc18b8e9f8e20"
	    "089714856ee233b3902a591d0d5f2925");

	memset(tok, 'a', 63);
	tok[63] = '\0';
	memset(key, 'X', sizeof(key));
	usercache_token_key(tok, key);
	CU_ASSERT_STRING_EQUAL(key, "");
	tok[63] = 'a';
	tok[64] = 'a';
	tok[65] = '\0';
	usercache_token_key(tok, key);
	CU_ASSERT_STRING_EQUAL(key, "");
	tok[64] = '\0';
	usercache_token_key(tok, key);
	CU_ASSERT_EQUAL(strlen(key), USERCACHE_KEY_LEN);
	tok[10] = 'A';
	usercache_token_key(tok, key);
	CU_ASSERT_STRING_EQUAL(key, "");
	tok[10] = 'g';
	usercache_token_key(tok, key);
	CU_ASSERT_STRING_EQUAL(key, "");
	tok[10] = ' ';
	usercache_token_key(tok, key);
	CU_ASSERT_STRING_EQUAL(key, "");
	tok[10] = 'a';
	tok[63] = '\n';
	usercache_token_key(tok, key);
	CU_ASSERT_STRING_EQUAL(key, "");
	usercache_token_key("", key);
	CU_ASSERT_STRING_EQUAL(key, "");
	usercache_token_key("0x0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", key);
	CU_ASSERT_STRING_EQUAL(key, "");
}

#define SMOKE_THREADS	4
#define SMOKE_ITER	20000

struct smoke {
	struct usercache	*uc;
	int			 id;
	int			 bad;
};

static void *
smoke_thread(void *arg)
{
	struct smoke		*s = arg;
	struct cached_user	 u, out;
	char			 k[USERCACHE_KEY_LEN + 1];
	int			 i, n;

	for (i = 0; i < SMOKE_ITER; i++) {
		n = (i * 7 + s->id * 13) % 64;
		mkkey(k, n);
		switch (i % 5) {
		case 0:
		case 1:
			mkuser(&u, n + 1, "user");
			usercache_put(s->uc, k, &u, 5000 + i % AGE);
			break;
		case 2:
			/* A hit is always the user stored under k. */
			if (usercache_get(s->uc, k, &out, 5000 + i % AGE) &&
			    (out.id != n + 1 || strcmp(out.name, "user") != 0))
				s->bad++;
			break;
		case 3:
			usercache_drop_key(s->uc, k);
			break;
		default:
			if (i % 1000 == 4)
				usercache_clear(s->uc);
			else
				usercache_drop_user(s->uc, n + 1,
				    i % 2 ? k : NULL);
			break;
		}
	}
	return NULL;
}

static void
test_usercache_threads(void)
{
	struct usercache	*uc;
	struct smoke		 s[SMOKE_THREADS];
	pthread_t		 t[SMOKE_THREADS];
	int			 i, started = 0, bad = 0;

	uc = usercache_new(32, AGE);
	for (i = 0; i < SMOKE_THREADS; i++) {
		s[i].uc = uc;
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
	usercache_free(uc);
}

/* Keys made again and again on one thread (its digest context reused). */
static void *
token_key_thread(void *arg)
{
	char	 key[USERCACHE_KEY_LEN + 1];
	int	*bad = arg, i;

	for (i = 0; i < 500; i++) {
		usercache_token_key(i % 2 ? "000102030405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1f" :
		    "00000000000000000000000000000000"
		    "00000000000000000000000000000000", key);
		if (strcmp(key, i % 2 ? "630dcd2966c4336691125448bbb25b4f"
		    "f412a49c732db2c8abc1b8581bd710dd" :
		    "66687aadf862bd776c8fc18b8e9f8e20"
		    "089714856ee233b3902a591d0d5f2925") != 0)
			(*bad)++;
	}
	return NULL;
}

static void
test_usercache_token_key_threads(void)
{
	pthread_t	 t[4];
	int		 bad[4] = { 0 }, i;

	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL,
		    token_key_thread, &bad[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(bad[i], 0);
	}
}

static CU_TestInfo tests[] = {
	{ "test_usercache_put_get", test_usercache_put_get },
	{ "test_usercache_max_age", test_usercache_max_age },
	{ "test_usercache_drop_key", test_usercache_drop_key },
	{ "test_usercache_drop_user", test_usercache_drop_user },
	{ "test_usercache_clear", test_usercache_clear },
	{ "test_usercache_replace_no_duplicate",
	    test_usercache_replace_no_duplicate },
	{ "test_usercache_evicts_oldest",
	    test_usercache_evicts_oldest },
	{ "test_usercache_empty_key_never_matches",
	    test_usercache_empty_key_never_matches },
	{ "test_usercache_token_key", test_usercache_token_key },
	{ "test_usercache_token_key_threads",
	    test_usercache_token_key_threads },
	{ "test_usercache_threads", test_usercache_threads },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "usercache", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
