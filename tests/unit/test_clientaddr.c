/* CUnit suite for web/clientaddr.c: address lists and X-Forwarded-For. */
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "clientaddr.h"

static void
test_addrlist_parse(void)
{
	struct addrlist	 l;
	char		 err[128];

	CU_ASSERT_EQUAL(addrlist_parse("", &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_EQUAL(addrlist_parse(NULL, &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(addrlist_parse(" 127.0.0.1, ::1\t10.0.0.0/8 ,",
	    &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.n, 3);
	CU_ASSERT_TRUE(addrlist_has(&l, "127.0.0.1"));
	CU_ASSERT_TRUE(addrlist_has(&l, "::1"));
	CU_ASSERT_TRUE(addrlist_has(&l, "10.255.0.1"));
	CU_ASSERT_FALSE(addrlist_has(&l, "11.0.0.1"));
	CU_ASSERT_FALSE(addrlist_has(&l, "127.0.0.2"));
	CU_ASSERT_FALSE(addrlist_has(&l, "unix:"));
	CU_ASSERT_FALSE(addrlist_has(&l, ""));
	CU_ASSERT_FALSE(addrlist_has(&l, NULL));
	/* An IPv4 network does not hold IPv6 addresses. */
	CU_ASSERT_FALSE(addrlist_has(&l, "::ffff:10.0.0.1"));
	/* Odd prefixes. */
	CU_ASSERT_EQUAL(addrlist_parse("192.168.1.128/25 0.0.0.0/0x", &l,
	    err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(addrlist_parse("192.168.1.128/25", &l, err,
	    sizeof(err)), 0);
	CU_ASSERT_TRUE(addrlist_has(&l, "192.168.1.200"));
	CU_ASSERT_FALSE(addrlist_has(&l, "192.168.1.127"));
	CU_ASSERT_EQUAL(addrlist_parse("0.0.0.0/0", &l, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(addrlist_has(&l, "8.8.8.8"));
	/* Bad items. */
	CU_ASSERT_EQUAL(addrlist_parse("localhost", &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "localhost"));
	CU_ASSERT_EQUAL(addrlist_parse("1.2.3.4/33", &l, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(addrlist_parse("::1/129", &l, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(addrlist_parse("1.2.3.4/", &l, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(addrlist_parse("/8", &l, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(addrlist_parse("1.2.3.4/-1", &l, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(addrlist_parse("1.2.3", &l, err, sizeof(err)), -1);
}

static void
test_addrlist_too_many(void)
{
	struct addrlist	 l;
	char		 s[ADDRLIST_MAX * 12 + 16], err[128];
	int		 i;

	s[0] = '\0';
	for (i = 0; i < ADDRLIST_MAX; i++)
		strcat(s, "10.0.0.1 ");
	CU_ASSERT_EQUAL(addrlist_parse(s, &l, err, sizeof(err)), 0);
	strcat(s, "10.0.0.2");
	CU_ASSERT_EQUAL(addrlist_parse(s, &l, err, sizeof(err)), -1);
}

static void
test_resolve(void)
{
	struct addrlist	 none, lo, two;
	char		 out[CLIENTADDR_LEN], err[64];

	CU_ASSERT_FATAL(addrlist_parse("", &none, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(addrlist_parse("127.0.0.1", &lo, err,
	    sizeof(err)) == 0);
	CU_ASSERT_FATAL(addrlist_parse("127.0.0.1 10.0.0.0/8", &two, err,
	    sizeof(err)) == 0);
	/* No trusted proxy: X-Forwarded-For is never read. */
	clientaddr_resolve("127.0.0.1", "203.0.113.7", &none, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	clientaddr_resolve("198.51.100.1", "203.0.113.7", &lo, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "198.51.100.1");
	/* Trusted peer: the entry it appended. */
	clientaddr_resolve("127.0.0.1", "203.0.113.7", &lo, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "203.0.113.7");
	clientaddr_resolve("127.0.0.1", " 203.0.113.7 ", &lo, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "203.0.113.7");
	/* A client's own entries, left of the real one, are ignored. */
	clientaddr_resolve("127.0.0.1", "1.1.1.1, 203.0.113.7", &lo, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "203.0.113.7");
	/* Two trusted hops. */
	clientaddr_resolve("127.0.0.1", "1.1.1.1,203.0.113.7, 10.0.0.5", &two,
	    out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "203.0.113.7");
	/* Only trusted hops: the leftmost one. */
	clientaddr_resolve("127.0.0.1", "10.0.0.9,10.0.0.5", &two, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "10.0.0.9");
	/* Garbage stops the walk at the last trusted hop. */
	clientaddr_resolve("127.0.0.1", "203.0.113.7, evil", &lo, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	clientaddr_resolve("127.0.0.1", "203.0.113.7,,10.0.0.5", &two, out,
	    sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "10.0.0.5");
	clientaddr_resolve("127.0.0.1", "", &lo, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	clientaddr_resolve("127.0.0.1", ",", &lo, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	clientaddr_resolve("127.0.0.1", NULL, &lo, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	/* IPv6. */
	clientaddr_resolve("127.0.0.1", "2001:db8::7", &lo, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "2001:db8::7");
	/* No or over-long REMOTE_ADDR: "". */
	clientaddr_resolve(NULL, "203.0.113.7", &lo, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
	/* A small buffer: an entry that does not fit is not taken. */
	clientaddr_resolve("127.0.0.1", "203.0.113.7", &lo, out, 10);
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
	clientaddr_resolve("127.0.0.1", "203.0.113.7", &lo, out, 5);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static CU_TestInfo tests[] = {
	{ "test_addrlist_parse", test_addrlist_parse },
	{ "test_addrlist_too_many", test_addrlist_too_many },
	{ "test_resolve", test_resolve },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "clientaddr", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
