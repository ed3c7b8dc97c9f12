/*
 * CUnit tests for tests/sim/sim_http.c: the HTTP request parser's edge
 * cases, the Basic credential decoder and the response writer.  Builds as
 * a standalone program; the exit status is non-zero on any failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "sim_http.h"

/* Parse a NUL-terminated string; returns the parser's result. */
static int
parse(const char *s, struct sim_http_req *req)
{
	return sim_http_parse(s, strlen(s), req);
}

/* Expect SIM_HTTP_ERROR with the given status. */
static void
expect_error(const char *s, int status)
{
	struct sim_http_req	req;

	CU_ASSERT_EQUAL(parse(s, &req), SIM_HTTP_ERROR);
	CU_ASSERT_EQUAL(req.error_status, status);
}

static void
test_sim_http_simple_post(void)
{
	struct sim_http_req	 req;
	const char		*s;

	s = "POST /wallet/w1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	    "Authorization: Basic dTpw\r\n\r\n{}";
	CU_ASSERT_EQUAL_FATAL(parse(s, &req), SIM_HTTP_DONE);
	CU_ASSERT_TRUE(sim_http_method_is(&req, "POST"));
	CU_ASSERT_FALSE(sim_http_method_is(&req, "POS"));
	CU_ASSERT_EQUAL(req.target_len, 10);
	CU_ASSERT_EQUAL(memcmp(req.target, "/wallet/w1", 10), 0);
	CU_ASSERT_EQUAL(req.minor, 1);
	CU_ASSERT_TRUE(req.keepalive);
	CU_ASSERT_EQUAL(req.body_len, 2);
	CU_ASSERT_EQUAL(memcmp(req.body, "{}", 2), 0);
	CU_ASSERT_EQUAL(req.total_len, strlen(s));
	CU_ASSERT_EQUAL(req.auth_len, 10);
	CU_ASSERT_EQUAL(memcmp(req.auth, "Basic dTpw", 10), 0);
}

static void
test_sim_http_byte_by_byte(void)
{
	struct sim_http_req	 req;
	const char		*s;
	size_t			 i, n;

	s = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
	n = strlen(s);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(sim_http_parse(s, i, &req), SIM_HTTP_MORE);
	CU_ASSERT_EQUAL(sim_http_parse(s, n, &req), SIM_HTTP_DONE);
	CU_ASSERT_EQUAL(req.body_len, 5);
}

static void
test_sim_http_pipelined(void)
{
	struct sim_http_req	 req;
	const char		*s;

	s = "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nA"
	    "GET /x HTTP/1.1\r\n\r\n";
	CU_ASSERT_EQUAL_FATAL(parse(s, &req), SIM_HTTP_DONE);
	CU_ASSERT_EQUAL(req.body[0], 'A');
	CU_ASSERT_EQUAL_FATAL(sim_http_parse(s + req.total_len,
	    strlen(s) - req.total_len, &req), SIM_HTTP_DONE);
	CU_ASSERT_TRUE(sim_http_method_is(&req, "GET"));
	CU_ASSERT_EQUAL(req.body_len, 0);
}

static void
test_sim_http_leading_blank_lines_and_lf(void)
{
	struct sim_http_req	req;

	CU_ASSERT_EQUAL(parse("\r\n\r\nGET / HTTP/1.0\r\n\r\n", &req),
	    SIM_HTTP_DONE);
	CU_ASSERT_EQUAL(req.minor, 0);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\nHost: a\n\n", &req),
	    SIM_HTTP_DONE);
	CU_ASSERT_EQUAL(parse("\r\n\r\n", &req), SIM_HTTP_MORE);
	CU_ASSERT_EQUAL(parse("", &req), SIM_HTTP_MORE);
}

static void
test_sim_http_header_limit(void)
{
	struct sim_http_req	 req;
	char			*big;
	size_t			 n;

	n = SIM_HTTP_MAX_HEADER + 16;
	big = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', n);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	big[n] = '\0';
	/* Under the limit and incomplete: wait for more. */
	CU_ASSERT_EQUAL(sim_http_parse(big, SIM_HTTP_MAX_HEADER - 1, &req),
	    SIM_HTTP_MORE);
	/* At the limit without a blank line: 413. */
	CU_ASSERT_EQUAL(sim_http_parse(big, SIM_HTTP_MAX_HEADER, &req),
	    SIM_HTTP_ERROR);
	CU_ASSERT_EQUAL(req.error_status, 413);
	/* A head that ends exactly at the limit is accepted. */
	memcpy(big + SIM_HTTP_MAX_HEADER - 4, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(sim_http_parse(big, SIM_HTTP_MAX_HEADER, &req),
	    SIM_HTTP_DONE);
	/* Blank lines before the request count toward the limit. */
	memset(big, '\n', n);
	CU_ASSERT_EQUAL(sim_http_parse(big, n, &req), SIM_HTTP_ERROR);
	CU_ASSERT_EQUAL(req.error_status, 413);
	free(big);
}

static void
test_sim_http_content_length(void)
{
	struct sim_http_req	req;

	expect_error("POST / HTTP/1.1\r\nContent-Length: 8388609\r\n\r\n", 413);
	expect_error("POST / HTTP/1.1\r\nContent-Length: "
	    "99999999999999999999999999\r\n\r\n", 413);
	CU_ASSERT_EQUAL(parse("POST / HTTP/1.1\r\nContent-Length: 8388608\r\n"
	    "\r\n", &req), SIM_HTTP_MORE);
	CU_ASSERT_EQUAL(req.content_length, SIM_HTTP_MAX_BODY);
	CU_ASSERT_TRUE(req.head_len > 0);
	expect_error("POST / HTTP/1.1\r\nContent-Length: 1a\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nab", 400);
	CU_ASSERT_EQUAL(parse("POST / HTTP/1.1\r\ncontent-length:  1 \r\n"
	    "CONTENT-LENGTH: 1\r\n\r\nx", &req), SIM_HTTP_DONE);
	CU_ASSERT_EQUAL(req.body_len, 1);
	expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    501);
}

static void
test_sim_http_bad_fields(void)
{
	expect_error("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\n: empty-name\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nX: a\rz\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nAuthorization: Basic a\r\n"
	    "Authorization: Basic b\r\n\r\n", 400);
}

static void
test_sim_http_bad_request_line(void)
{
	struct sim_http_req	req;
	const char		nul[] = "GET /\0 HTTP/1.1\r\n\r\n";

	expect_error("GET /\r\n\r\n", 400);
	expect_error("GET  / HTTP/1.1\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1 \r\n\r\n", 400);
	expect_error("GET / http/1.1\r\n\r\n", 400);
	expect_error("GET / HTTP/1.10\r\n\r\n", 400);
	expect_error("G(T / HTTP/1.1\r\n\r\n", 400);
	expect_error("GET /\x7f HTTP/1.1\r\n\r\n", 400);
	expect_error("GET / HTTP/2.0\r\n\r\n", 505);
	expect_error("GET / HTTP/0.9\r\n\r\n", 505);
	CU_ASSERT_EQUAL(sim_http_parse(nul, sizeof(nul) - 1, &req),
	    SIM_HTTP_ERROR);
	CU_ASSERT_EQUAL(req.error_status, 400);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.2\r\n\r\n", &req), SIM_HTTP_DONE);
	CU_ASSERT_EQUAL(req.minor, 1);
}

static void
test_sim_http_keepalive(void)
{
	struct sim_http_req	req;

	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\n\r\n", &req), SIM_HTTP_DONE);
	CU_ASSERT_TRUE(req.keepalive);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n",
	    &req), SIM_HTTP_DONE);
	CU_ASSERT_FALSE(req.keepalive);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nConnection: te, close\r\n"
	    "\r\n", &req), SIM_HTTP_DONE);
	CU_ASSERT_FALSE(req.keepalive);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.0\r\n\r\n", &req), SIM_HTTP_DONE);
	CU_ASSERT_FALSE(req.keepalive);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "\r\n", &req), SIM_HTTP_DONE);
	CU_ASSERT_TRUE(req.keepalive);
}

static void
test_sim_http_expect_continue(void)
{
	struct sim_http_req	req;

	CU_ASSERT_EQUAL(parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 3\r\n\r\n", &req), SIM_HTTP_MORE);
	CU_ASSERT_TRUE(req.expect_continue);
	CU_ASSERT_TRUE(req.head_len > 0);
	CU_ASSERT_EQUAL(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n",
	    &req), SIM_HTTP_MORE);
	CU_ASSERT_EQUAL(req.head_len, 0);
}

static void
test_sim_http_basic_decode(void)
{
	char	out[64];
	size_t	len;
	const char *h;

	h = "Basic dTpw";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), 0);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_STRING_EQUAL(out, "u:p");
	h = "Basic  dXNlcjpwYXNz ";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), 0);
	CU_ASSERT_STRING_EQUAL(out, "user:pass");
	h = "Basic dTpwMQ==";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), 0);
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_STRING_EQUAL(out, "u:p1");
	h = "Basic ";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	h = "basic dTpw";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), -1);
	h = "Basic dTp";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), -1);
	h = "Basic dT!w";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), -1);
	h = "Basic d=pw";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), -1);
	h = "Basic dTp=w===";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, sizeof(out),
	    &len), -1);
	h = "Basic dXNlcjpwYXNz";
	CU_ASSERT_EQUAL(sim_http_basic_decode(h, strlen(h), out, 4, &len), -1);
	CU_ASSERT_EQUAL(sim_http_basic_decode("Basi", 4, out, sizeof(out),
	    &len), -1);
}

static void
test_sim_http_write_response(void)
{
	struct sim_buf	b;

	sim_buf_init(&b);
	sim_http_write_response(&b, 1, 204, NULL, NULL, NULL, 0, 1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.data);
	CU_ASSERT_EQUAL(strncmp(b.data, "HTTP/1.1 204 No Content\r\n", 25), 0);
	CU_ASSERT_PTR_NULL(strstr(b.data, "Content-Length"));
	CU_ASSERT_PTR_NULL(strstr(b.data, "Content-Type"));
	sim_buf_consume(&b, b.len);
	CU_ASSERT_EQUAL(b.len, 0);
	sim_http_write_response(&b, 0, 401,
	    "WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n", NULL, NULL, 0, 0,
	    0);
	CU_ASSERT_EQUAL(strncmp(b.data, "HTTP/1.0 401 Unauthorized\r\n", 27),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data,
	    "\r\nWWW-Authenticate: Basic realm=\"jsonrpc\"\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\r\nContent-Length: 0\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\r\nConnection: close\r\n"));
	sim_buf_consume(&b, b.len);
	sim_http_write_response(&b, 1, 405, NULL, NULL, "body", 4, 1, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\r\nContent-Length: 4\r\n"));
	CU_ASSERT_EQUAL(strcmp(b.data + b.len - 4, "\r\n\r\n"), 0);
	sim_buf_consume(&b, b.len);
	sim_http_write_response(&b, 1, 200, NULL, "application/json", "{}\n",
	    3, 1, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data,
	    "\r\nContent-Type: application/json\r\n"));
	CU_ASSERT_EQUAL(strcmp(b.data + b.len - 7, "\r\n\r\n{}\n"), 0);
	sim_buf_consume(&b, 9);
	CU_ASSERT_EQUAL(strncmp(b.data, "200 OK\r\n", 8), 0);
	sim_buf_clear(&b);
	CU_ASSERT_PTR_NULL(b.data);
}

static CU_TestInfo sim_http_tests[] = {
	{ "simple POST", test_sim_http_simple_post },
	{ "byte by byte", test_sim_http_byte_by_byte },
	{ "pipelined", test_sim_http_pipelined },
	{ "leading blank lines, bare LF",
	    test_sim_http_leading_blank_lines_and_lf },
	{ "8 KiB header limit", test_sim_http_header_limit },
	{ "Content-Length", test_sim_http_content_length },
	{ "bad header fields", test_sim_http_bad_fields },
	{ "bad request line", test_sim_http_bad_request_line },
	{ "keep-alive", test_sim_http_keepalive },
	{ "Expect: 100-continue", test_sim_http_expect_continue },
	{ "Basic credentials", test_sim_http_basic_decode },
	{ "response writer", test_sim_http_write_response },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suites[] = {
	{ "sim_http", NULL, NULL, NULL, NULL, sim_http_tests },
	CU_SUITE_INFO_NULL,
};
