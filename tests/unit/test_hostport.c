/*
 * CUnit suite for common/hostport.c: the one host:port parser of both
 * link ends, its edge cases and refusals, and numeric socket addresses.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "cunit_main.h"

#include "hostport.h"

/* Parses s, expecting success with host and port. */
static void
ok(const char *s, const char *host, int port, int v6)
{
	struct hostport	 hp;
	char		 err[128] = "";

	CU_ASSERT_EQUAL_FATAL(hostport_parse(s, &hp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(hp.host, host);
	CU_ASSERT_EQUAL(hp.port, port);
	CU_ASSERT_EQUAL(hp.v6, v6);
	CU_ASSERT_STRING_EQUAL(err, "");
}

/* Parses s, expecting a refusal whose text contains what. */
static void
bad(const char *s, const char *what)
{
	struct hostport	 hp;
	char		 err[128] = "";

	memset(&hp, 0x5a, sizeof(hp));
	CU_ASSERT_EQUAL(hostport_parse(s, &hp, err, sizeof(err)), -1);
	if (strstr(err, what) == NULL)
		fprintf(stderr, "\"%s\": got \"%s\", wanted \"%s\"\n", s, err,
		    what);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	/* Untouched on failure. */
	CU_ASSERT_EQUAL(hp.port, 0x5a5a5a5a);
}

static void
test_hostport_good(void)
{
	ok("127.0.0.1:7000", "127.0.0.1", 7000, 0);
	ok("localhost:1", "localhost", 1, 0);
	ok("worker.example_1-a:65535", "worker.example_1-a", 65535, 0);
	ok("[::1]:7000", "::1", 7000, 1);
	ok("[fe80::1:2]:80", "fe80::1:2", 80, 1);
	ok("[::ffff:10.0.0.1]:443", "::ffff:10.0.0.1", 443, 1);
	ok("h:00080", "h", 80, 0);
}

static void
test_hostport_bad_port(void)
{
	bad("127.0.0.1", "no port");
	bad("127.0.0.1:", "port must be");
	bad("127.0.0.1:0", "port must be");
	bad("127.0.0.1:65536", "port must be");
	bad("127.0.0.1:123456", "port must be");
	bad("127.0.0.1:-1", "port must be");
	bad("127.0.0.1:+80", "port must be");
	bad("127.0.0.1: 80", "port must be");
	bad("127.0.0.1:80 ", "port must be");
	bad("127.0.0.1:8x", "port must be");
	bad("127.0.0.1:99999999999999999999", "port must be");
	bad("[::1]:", "port must be");
}

static void
test_hostport_bad_host(void)
{
	char	 longname[HOSTPORT_HOST_MAX + 16];

	bad(":7000", "no host");
	bad("", "no port");
	bad("::1:7000", "brackets");
	bad("fe80::1:7000", "brackets");
	bad("a:b:7000", "brackets");
	bad("[::1:7000", "want [IPv6");
	bad("[::1]7000", "want [IPv6");
	bad("[::1]", "want [IPv6");
	bad("[]:7000", "no host");
	bad("[1.2.3.4]:7000", "not an IPv6");
	bad("[::1%eth0]:7000", "not an IPv6");
	bad("[nonsense]:7000", "not an IPv6");
	bad("ho st:7000", "cannot have");
	bad("host\":7000", "cannot have");
	bad("h\x01:7000", "cannot have");
	bad("h\xc3\xa9:7000", "cannot have");
	bad("]:7000", "cannot have");
	memset(longname, 'a', HOSTPORT_HOST_MAX + 1);
	snprintf(longname + HOSTPORT_HOST_MAX + 1, 8, ":1");
	bad(longname, "too long");
}

static void
test_hostport_limits(void)
{
	struct hostport	 hp;
	char		 s[HOSTPORT_HOST_MAX + 16];
	char		 err[8];

	memset(s, 'a', HOSTPORT_HOST_MAX);
	snprintf(s + HOSTPORT_HOST_MAX, 16, ":1");
	CU_ASSERT_EQUAL(hostport_parse(s, &hp, NULL, 0), 0);
	CU_ASSERT_EQUAL(strlen(hp.host), HOSTPORT_HOST_MAX);
	memset(s, 'a', HOSTPORT_HOST_MAX + 1);
	snprintf(s + HOSTPORT_HOST_MAX + 1, 8, ":1");
	CU_ASSERT_EQUAL(hostport_parse(s, &hp, NULL, 0), -1);
	/* A short error buffer is filled, cut and terminated. */
	CU_ASSERT_EQUAL(hostport_parse(s, &hp, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(strlen(err), sizeof(err) - 1);
}

static void
test_hostport_sockaddr(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct hostport		 hp;
	socklen_t		 len;

	CU_ASSERT_EQUAL_FATAL(hostport_parse("10.1.2.3:7000", &hp, NULL, 0), 0);
	CU_ASSERT_EQUAL(hostport_sockaddr(&hp, &ss, &len), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(ntohs(sin->sin_port), 7000);
	CU_ASSERT_EQUAL(ntohl(sin->sin_addr.s_addr), 0x0a010203u);

	CU_ASSERT_EQUAL_FATAL(hostport_parse("[::1]:8", &hp, NULL, 0), 0);
	CU_ASSERT_EQUAL(hostport_sockaddr(&hp, &ss, &len), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in6));
	CU_ASSERT_EQUAL(ntohs(sin6->sin6_port), 8);
	CU_ASSERT(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));

	/* A name is not resolved, and 1.2.3 is not an address. */
	CU_ASSERT_EQUAL_FATAL(hostport_parse("localhost:8", &hp, NULL, 0), 0);
	CU_ASSERT_EQUAL(hostport_sockaddr(&hp, &ss, &len), -1);
	CU_ASSERT_EQUAL_FATAL(hostport_parse("1.2.3:8", &hp, NULL, 0), 0);
	CU_ASSERT_EQUAL(hostport_sockaddr(&hp, &ss, &len), -1);
}

/* abc-web's worker key: the active worker and its standbys, in order. */
static void
test_hostport_list(void)
{
	struct hostport	 hp[HOSTPORT_LIST_MAX];
	char		 err[128] = "", many[256] = "";
	size_t		 n = 99;
	int		 i;

	CU_ASSERT_EQUAL_FATAL(hostport_parse_list("10.0.0.1:7000", hp, &n,
	    err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(hp[0].host, "10.0.0.1");
	CU_ASSERT_EQUAL_FATAL(hostport_parse_list(" 10.0.0.1:7000 ,\t[::1]:8,"
	    "db2:9 ", hp, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(hp[0].port, 7000);
	CU_ASSERT_STRING_EQUAL(hp[1].host, "::1");
	CU_ASSERT_EQUAL(hp[1].v6, 1);
	CU_ASSERT_STRING_EQUAL(hp[2].host, "db2");
	CU_ASSERT_EQUAL(hp[2].port, 9);
	/* Refusals name the entry; n is left alone. */
	n = 99;
	CU_ASSERT_EQUAL(hostport_parse_list("a:1,b:x", hp, &n, err,
	    sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "address 2"));
	CU_ASSERT_EQUAL(n, 99);
	CU_ASSERT_EQUAL(hostport_parse_list("", hp, &n, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(hostport_parse_list("a:1,", hp, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(hostport_parse_list(",a:1", hp, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_EQUAL(hostport_parse_list("a:1,,b:2", hp, &n, NULL, 0), -1);
	CU_ASSERT_EQUAL(hostport_parse_list("a:1 b:2", hp, &n, NULL, 0), -1);
	/* Eight fit, nine do not. */
	for (i = 0; i < HOSTPORT_LIST_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "%sh%d:%d", i ? "," : "", i, i + 1);
	CU_ASSERT_EQUAL(hostport_parse_list(many, hp, &n, NULL, 0), 0);
	CU_ASSERT_EQUAL(n, HOSTPORT_LIST_MAX);
	CU_ASSERT_STRING_EQUAL(hp[7].host, "h7");
	strcat(many, ",x:1");
	CU_ASSERT_EQUAL(hostport_parse_list(many, hp, &n, err, sizeof(err)),
	    -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 8"));
}

static CU_TestInfo tests[] = {
	{ "test_hostport_good", test_hostport_good },
	{ "test_hostport_bad_port", test_hostport_bad_port },
	{ "test_hostport_bad_host", test_hostport_bad_host },
	{ "test_hostport_limits", test_hostport_limits },
	{ "test_hostport_sockaddr", test_hostport_sockaddr },
	{ "test_hostport_list", test_hostport_list },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "hostport", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
