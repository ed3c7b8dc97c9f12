/*
 * Tests of worker/whsign.c: the webhook signature (against values
 * computed independently with `openssl dgst -sha256 -hmac`), the retry
 * schedule (10 s, 1 min, then every 10 min, 6 retries) and its scale, the
 * endpoint URL check and the address policy against SSRF.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "cunit_main.h"
#include "whsign.h"

/* HMAC-SHA256 test vectors: RFC 4231 case 2 and a webhook body. */
static void
test_wh_sign_vectors(void)
{
	static const char	 body[] = "{\"kind\":\"slot_bought\"}";
	char			 sig[WH_SIG_LEN];

	CU_ASSERT_EQUAL_FATAL(wh_sign("Jefe", "what do ya want for nothing?",
	    28, sig), 0);
	CU_ASSERT_STRING_EQUAL(sig, "sha256=5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	CU_ASSERT_EQUAL_FATAL(wh_sign("0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", body, strlen(body), sig), 0);
	CU_ASSERT_STRING_EQUAL(sig, "sha256=e68e319a2a40a4ea6ffc3c8f3be9fa2b"
	    "cf615a9f319e84fc6735866a542578c0");
	CU_ASSERT_EQUAL(strlen(sig), WH_SIG_LEN - 1);
}

/* Edge cases: an empty body signs; a NULL secret or body does not. */
static void
test_wh_sign_edges(void)
{
	char	 sig[WH_SIG_LEN], other[WH_SIG_LEN];

	CU_ASSERT_EQUAL(wh_sign("k", "", 0, sig), 0);
	CU_ASSERT_EQUAL(wh_sign("k", NULL, 0, other), 0);
	CU_ASSERT_STRING_EQUAL(sig, other);
	CU_ASSERT_EQUAL(wh_sign(NULL, "x", 1, sig), -1);
	CU_ASSERT_EQUAL(wh_sign("k", NULL, 1, sig), -1);
	/* One byte of difference in the body changes the signature. */
	CU_ASSERT_EQUAL(wh_sign("k", "ab", 2, sig), 0);
	CU_ASSERT_EQUAL(wh_sign("k", "ac", 2, other), 0);
	CU_ASSERT_STRING_NOT_EQUAL(sig, other);
}

/* The production schedule, exactly as BTCPay's, and its end. */
static void
test_wh_backoff_schedule(void)
{
	CU_ASSERT_EQUAL(wh_backoff_ms(1, WH_SCALE_ONE), 10000);
	CU_ASSERT_EQUAL(wh_backoff_ms(2, WH_SCALE_ONE), 60000);
	CU_ASSERT_EQUAL(wh_backoff_ms(3, WH_SCALE_ONE), 600000);
	CU_ASSERT_EQUAL(wh_backoff_ms(4, WH_SCALE_ONE), 600000);
	CU_ASSERT_EQUAL(wh_backoff_ms(5, WH_SCALE_ONE), 600000);
	CU_ASSERT_EQUAL(wh_backoff_ms(6, WH_SCALE_ONE), 600000);
	/* The 7th attempt (6th retry) was the last. */
	CU_ASSERT_EQUAL(wh_backoff_ms(7, WH_SCALE_ONE), -1);
	CU_ASSERT_EQUAL(wh_backoff_ms(100, WH_SCALE_ONE), -1);
	CU_ASSERT_EQUAL(wh_backoff_ms(0, WH_SCALE_ONE), -1);
	CU_ASSERT_EQUAL(wh_backoff_ms(-1, WH_SCALE_ONE), -1);
}

/* The test scale: per mille, never a zero or negative factor. */
static void
test_wh_backoff_scale(void)
{
	CU_ASSERT_EQUAL(wh_backoff_ms(1, 10), 100);
	CU_ASSERT_EQUAL(wh_backoff_ms(2, 10), 600);
	CU_ASSERT_EQUAL(wh_backoff_ms(3, 10), 6000);
	CU_ASSERT_EQUAL(wh_backoff_ms(1, 1), 10);
	CU_ASSERT_EQUAL(wh_backoff_ms(1, 0), -1);
	CU_ASSERT_EQUAL(wh_backoff_ms(7, 10), -1);
}

static void
test_wh_url(void)
{
	char	 longurl[WH_URL_MAX + 2];

	CU_ASSERT(wh_url_ok("https://example.com/hook"));
	CU_ASSERT(wh_url_ok("http://127.0.0.1:9/x?a=b"));
	CU_ASSERT_FALSE(wh_url_ok(NULL));
	CU_ASSERT_FALSE(wh_url_ok(""));
	CU_ASSERT_FALSE(wh_url_ok("ftp://example.com/"));
	CU_ASSERT_FALSE(wh_url_ok("https://"));
	CU_ASSERT_FALSE(wh_url_ok("https:///path"));
	CU_ASSERT_FALSE(wh_url_ok("javascript:alert(1)"));
	CU_ASSERT_FALSE(wh_url_ok("https://a b/"));
	CU_ASSERT_FALSE(wh_url_ok("https://a\n/"));
	CU_ASSERT_FALSE(wh_url_ok("https://\xc3\xa9.com/"));
	CU_ASSERT_FALSE(wh_url_ok("HTTPS://EXAMPLE.COM/"));
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "https://", 8);
	CU_ASSERT_FALSE(wh_url_ok(longurl));	/* 501 bytes */
	longurl[WH_URL_MAX] = '\0';
	CU_ASSERT(wh_url_ok(longurl));		/* 500 bytes */
}

/* 1 when the textual address is refused by the policy. */
static int
wh_refused(const char *text)
{
	struct sockaddr_in	 v4;
	struct sockaddr_in6	 v6;

	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		return wh_addr_private((struct sockaddr *)&v4);
	}
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, text, &v6.sin6_addr), 1);
	v6.sin6_family = AF_INET6;
	return wh_addr_private((struct sockaddr *)&v6);
}

static void
test_wh_addr_policy(void)
{
	static const char *const refused[] = { "127.0.0.1", "127.9.9.9",
	    "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	    "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
	    "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "fc00::1",
	    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", NULL };
	static const char *const allowed[] = { "1.1.1.1", "172.15.255.255",
	    "172.32.0.1", "192.169.0.1", "100.128.0.1", "8.8.8.8",
	    "2001:4860:4860::8888", "::ffff:8.8.8.8", NULL };
	struct sockaddr		 un;
	size_t			 i;

	for (i = 0; refused[i] != NULL; i++)
		CU_ASSERT_TRUE(wh_refused(refused[i]));
	for (i = 0; allowed[i] != NULL; i++)
		CU_ASSERT_FALSE(wh_refused(allowed[i]));
	memset(&un, 0, sizeof(un));
	un.sa_family = AF_UNIX;
	CU_ASSERT_TRUE(wh_addr_private(&un));
	CU_ASSERT_TRUE(wh_addr_private(NULL));
}

static void
test_wh_secret(void)
{
	char	 a[WH_SECRET_LEN + 1], b[WH_SECRET_LEN + 1];

	CU_ASSERT_EQUAL_FATAL(wh_new_secret(a), 0);
	CU_ASSERT_EQUAL_FATAL(wh_new_secret(b), 0);
	CU_ASSERT_EQUAL(strlen(a), WH_SECRET_LEN);
	CU_ASSERT_EQUAL(strspn(a, "0123456789abcdef"), WH_SECRET_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static CU_TestInfo whsign_tests[] = {
	{ "test_wh_sign_vectors", test_wh_sign_vectors },
	{ "test_wh_sign_edges", test_wh_sign_edges },
	{ "test_wh_backoff_schedule", test_wh_backoff_schedule },
	{ "test_wh_backoff_scale", test_wh_backoff_scale },
	{ "test_wh_url", test_wh_url },
	{ "test_wh_addr_policy", test_wh_addr_policy },
	{ "test_wh_secret", test_wh_secret },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "whsign", NULL, NULL, NULL, NULL, whsign_tests },
	CU_SUITE_INFO_NULL
};
