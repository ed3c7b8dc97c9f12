/* CUnit suite for web/multipart.c: the multipart/form-data parser. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "multipart.h"

/* A part called a, up to its value. */
#define PART_A	"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
#define WK	"----WebKitFormBoundaryQ3Kx7bZ9pL2mN8rT"

/* File bytes with CRLFs, NULs, 0xFF and a partial delimiter in them. */
static const uint8_t file_bytes[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0x00, 0xff, 0xfe,
	'\r', '\n', '-', '-', '-', '-', '-', '-', 'W', 'e', 'b', 'K', 'i',
	't', '\r', '\n', '\r', '\n', '-', '-', '\r', '\n', '-', '-', '-',
	'-', '-', '-', 'W', 'e', 'b', 'K', 'i', 't', 'F', 'o', 'r', 'm',
	'B', 'o', 'u', 'n', 'd', 'a', 'r', 'y', 'Q', '3', 'K', 'x', '7',
	'b', 'Z', '9', 'p', 'L', '2', 'm', 'N', '8', 'r', 0x00, '\r',
};

/*
 * Parses a heap copy of the n bytes at p with boundary b (so that ASan
 * sees reads past the end) into m.  The copy is leaked into *keep, which
 * the caller frees after using the part data.
 */
static enum mp_err
parse_copy(const void *p, size_t n, const char *b, struct multipart *m,
    uint8_t **keep)
{
	uint8_t	*d;

	d = malloc(n == 0 ? 1 : n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	if (n > 0)
		memcpy(d, p, n);
	*keep = d;
	return multipart_parse(d, n, b, m);
}

/*
 * Parses the C string s with boundary b, which must fail with want, and
 * checks that m was left empty although it held garbage before.
 */
static void
expect_err(const char *s, const char *b, enum mp_err want)
{
	struct multipart	 m;
	uint8_t			*keep;

	m.parts = (struct mp_part *)&m;
	m.n = 7;
	CU_ASSERT_EQUAL(parse_copy(s, strlen(s), b, &m, &keep), want);
	CU_ASSERT_PTR_NULL(m.parts);
	CU_ASSERT_EQUAL(m.n, 0);
	multipart_clear(&m);
	free(keep);
}

/*
 * Parses the C string s with boundary b, which must succeed with one part
 * called name holding the text want.
 */
static void
expect_one(const char *s, const char *b, const char *name, const char *want)
{
	struct multipart	 m;
	const struct mp_part	*pt;
	uint8_t			*keep;

	CU_ASSERT_EQUAL_FATAL(parse_copy(s, strlen(s), b, &m, &keep), MP_OK);
	CU_ASSERT_EQUAL(m.n, 1);
	pt = multipart_get(&m, name);
	CU_ASSERT_PTR_NOT_NULL(pt);
	if (pt != NULL) {
		CU_ASSERT_EQUAL(pt->len, strlen(want));
		CU_ASSERT(memcmp(pt->data, want, pt->len) == 0);
	}
	multipart_clear(&m);
	free(keep);
}

/* Appends a text part name=value with boundary bd to b. */
static void
add_text(struct buf *b, const char *bd, const char *name, const char *value)
{
	CU_ASSERT_EQUAL(buf_printf(b, "--%s\r\nContent-Disposition: form-data;"
	    " name=\"%s\"\r\n\r\n%s\r\n", bd, name, value), 0);
}

/* Builds the body Chrome sends for the ad upload form into b. */
static void
browser_body(struct buf *b)
{
	CU_ASSERT_EQUAL(buf_addstr(b, "preamble, ignored\r\n"), 0);
	add_text(b, WK, "nickname", "summer sale");
	add_text(b, WK, "hover", "Caf\xc3\xa9 \xe2\x82\xac""5\r\nsecond line");
	add_text(b, WK, "url", "https://example.com/?a=1&b=2");
	CU_ASSERT_EQUAL(buf_printf(b, "--%s\r\nContent-Disposition: form-data;"
	    " name=\"image\"; filename=\"ad.png\"\r\nContent-Type: image/png"
	    "\r\n\r\n", WK), 0);
	CU_ASSERT_EQUAL(buf_add(b, file_bytes, sizeof(file_bytes)), 0);
	CU_ASSERT_EQUAL(buf_printf(b, "\r\n--%s--\r\nepilogue --%s\r\n",
	    WK, WK), 0);
}

static void
test_mp_browser_body(void)
{
	struct buf		 b;
	struct multipart	 m;
	const struct mp_part	*pt;
	uint8_t			*keep;

	buf_init(&b, 0);
	browser_body(&b);
	CU_ASSERT_EQUAL_FATAL(parse_copy(b.data, b.len, WK, &m, &keep),
	    MP_OK);
	CU_ASSERT_EQUAL(m.n, 4);
	pt = multipart_get(&m, "nickname");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL(pt->len, 11);
	CU_ASSERT(memcmp(pt->data, "summer sale", 11) == 0);
	CU_ASSERT_PTR_NULL(pt->filename);
	CU_ASSERT_PTR_NULL(pt->content_type);
	pt = multipart_get(&m, "hover");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL(pt->len, strlen("Caf\xc3\xa9 \xe2\x82\xac""5\r\n"
	    "second line"));
	pt = multipart_get(&m, "url");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL(pt->len, 28);
	CU_ASSERT(memcmp(pt->data, "https://example.com/?a=1&b=2", 28) == 0);
	pt = multipart_get(&m, "image");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_STRING_EQUAL(pt->filename, "ad.png");
	CU_ASSERT_STRING_EQUAL(pt->content_type, "image/png");
	CU_ASSERT_EQUAL(pt->len, sizeof(file_bytes));
	CU_ASSERT(memcmp(pt->data, file_bytes, sizeof(file_bytes)) == 0);
	/* Data is borrowed from the body. */
	CU_ASSERT(pt->data > keep && pt->data + pt->len <= keep + b.len);
	CU_ASSERT_STRING_EQUAL(m.parts[0].name, "nickname");
	CU_ASSERT_STRING_EQUAL(m.parts[3].name, "image");
	multipart_clear(&m);
	CU_ASSERT_PTR_NULL(m.parts);
	CU_ASSERT_EQUAL(m.n, 0);
	free(keep);
	buf_clear(&b);
}

static void
test_mp_boundary_header(void)
{
	char	 out[MP_MAX_BOUNDARY + 1];

	CU_ASSERT_EQUAL(multipart_boundary("multipart/form-data; boundary="
	    WK, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, WK);
	CU_ASSERT_EQUAL(multipart_boundary("multipart/form-data; boundary=\""
	    "a b:c?\"", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a b:c?");
	CU_ASSERT_EQUAL(multipart_boundary("Multipart/Form-Data;charset=utf-8"
	    ";  BOUNDARY=xyz ", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "xyz");
	CU_ASSERT_EQUAL(multipart_boundary("multipart/form-data; boundary="
	    "\"q\\rs\"; x=\"\\\"\"", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "qrs");
	CU_ASSERT_EQUAL(multipart_boundary("multipart/form-data; boundary=a",
	    out, 2), 0);
	CU_ASSERT_STRING_EQUAL(out, "a");
}

static void
test_mp_boundary_header_bad(void)
{
	static const char *const bad[] = {
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/form-data; charset=utf-8",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"abc",
		"multipart/form-data; boundary=\"a b \"",
		"multipart/form-data; boundary=a*b",
		"multipart/form-data; boundary=\"a\\\"b\"",
		"multipart/form-data; boundary=a; boundary=a",
		"multipart/form-data; boundary=a b",
		"multipart/form-data boundary=a",
		"multipart/form-data; boundary = a",
		"multipart/mixed; boundary=a",
		"text/plain; boundary=a",
		"application/x-www-form-urlencoded",
		"multipart/form-data-x; boundary=a",
		"",
	};
	char	 out[MP_MAX_BOUNDARY + 1];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'x', sizeof(out));
		CU_ASSERT_EQUAL(multipart_boundary(bad[i], out, sizeof(out)),
		    -1);
		CU_ASSERT_EQUAL(out[0], '\0');
	}
	CU_ASSERT_EQUAL(multipart_boundary(NULL, out, sizeof(out)), -1);
	/* Too small for the NUL. */
	CU_ASSERT_EQUAL(multipart_boundary("multipart/form-data; boundary=ab",
	    out, 2), -1);
	CU_ASSERT_EQUAL(multipart_boundary("multipart/form-data; boundary=ab",
	    NULL, 0), -1);
}

static void
test_mp_boundary_length(void)
{
	struct buf	 ct, body;
	char		 bd[MP_MAX_BOUNDARY + 2], out[MP_MAX_BOUNDARY + 2];

	memset(bd, 'b', MP_MAX_BOUNDARY);
	bd[MP_MAX_BOUNDARY] = '\0';
	buf_init(&ct, 0);
	buf_init(&body, 0);
	CU_ASSERT_EQUAL(buf_printf(&ct, "multipart/form-data; boundary=%s",
	    bd), 0);
	CU_ASSERT_EQUAL(multipart_boundary((char *)ct.data, out, sizeof(out)),
	    0);
	CU_ASSERT_STRING_EQUAL(out, bd);
	add_text(&body, bd, "a", "1");
	CU_ASSERT_EQUAL(buf_printf(&body, "--%s--", bd), 0);
	expect_one((char *)body.data, bd, "a", "1");

	bd[MP_MAX_BOUNDARY] = 'b';
	bd[MP_MAX_BOUNDARY + 1] = '\0';
	buf_reset(&ct);
	CU_ASSERT_EQUAL(buf_printf(&ct, "multipart/form-data; boundary=\"%s\"",
	    bd), 0);
	CU_ASSERT_EQUAL(multipart_boundary((char *)ct.data, out, sizeof(out)),
	    -1);
	buf_reset(&body);
	add_text(&body, bd, "a", "1");
	CU_ASSERT_EQUAL(buf_printf(&body, "--%s--", bd), 0);
	expect_err((char *)body.data, bd, MP_ENOBOUNDARY);
	buf_clear(&ct);
	buf_clear(&body);
}

static void
test_mp_bad_boundary_arg(void)
{
	const char	*s = "--a\r\nContent-Disposition: form-data; name=x"
			    "\r\n\r\n1\r\n--a--";

	expect_err(s, NULL, MP_ENOBOUNDARY);
	expect_err(s, "", MP_ENOBOUNDARY);
	expect_err(s, "a ", MP_ENOBOUNDARY);
	expect_err(s, "a\r\n", MP_ENOBOUNDARY);
	expect_err(s, "a\"", MP_ENOBOUNDARY);
	expect_one(s, "a", "x", "1");
	/* The boundary is absent from the body. */
	expect_err(s, "b", MP_ESYNTAX);
}

static void
test_mp_quoted_boundary_parse(void)
{
	char	 out[MP_MAX_BOUNDARY + 1];

	CU_ASSERT_EQUAL_FATAL(multipart_boundary("multipart/form-data; "
	    "boundary=\"my bound'(ary)\"", out, sizeof(out)), 0);
	expect_one("--my bound'(ary)\r\nContent-Disposition: form-data; "
	    "name=q\r\n\r\nv\r\n--my bound'(ary)--\r\n", out, "q", "v");
}

static void
test_mp_closing_delimiter(void)
{
	static const char *const bad[] = {
		PART_A "1",
		PART_A "1\r\n",
		PART_A "1\r\n--b",
		PART_A "1\r\n--b-",
		PART_A "1\r\n--b\r\n",
		PART_A "1\r\n--b\r",
		PART_A "1\r\n--bx",
		PART_A "1\r\n--b--x",
		PART_A "1\r\n--b--\r",
		"--b--x",
		"--bc\r\n",
		"",
		"no delimiter at all",
		"\r\n--b",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], "b", MP_ESYNTAX);
	/* Transport padding after delimiters; any epilogue after a CRLF. */
	expect_one("--b \t\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "1\r\n--b-- \t", "b", "a", "1");
	expect_one("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "1\r\n--b--\r\n\x00\xff--b\r\n", "b", "a", "1");
	expect_one("\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "1\r\n--b--", "b", "a", "1");
}

static void
test_mp_no_parts(void)
{
	struct multipart	 m;
	uint8_t			*keep;

	CU_ASSERT_EQUAL(parse_copy("--b--\r\n", 7, "b", &m, &keep), MP_OK);
	CU_ASSERT_EQUAL(m.n, 0);
	CU_ASSERT_PTR_NULL(m.parts);
	CU_ASSERT_PTR_NULL(multipart_get(&m, "a"));
	multipart_clear(&m);
	free(keep);
	CU_ASSERT_EQUAL(multipart_parse(NULL, 0, "b", &m), MP_ESYNTAX);
}

static void
test_mp_lf_only(void)
{
	expect_err("--b\nContent-Disposition: form-data; name=a\n\n1\n--b--\n",
	    "b", MP_ESYNTAX);
	expect_err("--b\r\nContent-Disposition: form-data; name=a\n\n1\r\n"
	    "--b--", "b", MP_EHEADER);
	expect_err("--b\r\nContent-Disposition: form-data; name=a\n\r\n\r\n1"
	    "\r\n--b--", "b", MP_EHEADER);
}

static void
test_mp_missing_disposition(void)
{
	expect_err("--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", "b",
	    MP_EHEADER);
	expect_err("--b\r\n\r\n1\r\n--b--", "b", MP_EHEADER);
	expect_err("--b\r\n\r\n\r\n--b--", "b", MP_EHEADER);
	expect_err("--b\r\n\r\n--b--", "b", MP_EHEADER);
	expect_err("--b\r\nContent-Disposition: form-data; name=a\r\n--b--",
	    "b", MP_EHEADER);
	/* The next part's headers do not count for this one. */
	expect_err("--b\r\nX: 1\r\n--b\r\nContent-Disposition: form-data; "
	    "name=a\r\n\r\n1\r\n--b--", "b", MP_EHEADER);
}

static void
test_mp_disposition_rules(void)
{
	static const char *const bad[] = {
		"form-data",
		"form-data; filename=\"x.png\"",
		"form-data; name=\"\"",
		"form-data; name=\"a b\"",
		"form-data; name=\"\xc3\xa9\"",
		"form-data; name=a/b",
		"form-data; name=\"a",
		"form-data; name",
		"form-data; name=",
		"form-data; name=a;",
		"form-data; name=a; name=b",
		"form-data; name=a; filename=x; filename=y",
		"form-data name=a",
		"form-data;; name=a",
		"attachment; name=a",
		"form-datax; name=a",
		"; name=a",
		"form-data; name=\"a\"x",
	};
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		CU_ASSERT_EQUAL(buf_printf(&b, "--b\r\nContent-Disposition: %s"
		    "\r\n\r\n1\r\n--b--", bad[i]), 0);
		expect_err((char *)b.data, "b", MP_EHEADER);
	}
	buf_clear(&b);
	/* Two Content-Disposition headers. */
	expect_err("--b\r\nContent-Disposition: form-data; name=a\r\n"
	    "Content-Disposition: form-data; name=a\r\n\r\n1\r\n--b--", "b",
	    MP_EHEADER);
	/* Names, types and parameter names in any case; odd spacing. */
	expect_one("--b\r\ncontent-DISPOSITION:FORM-DATA;NAME=Az09_.-"
	    "  ;\tfoo=\"bar;baz\"; filename*=x \r\n\r\nok\r\n--b--", "b",
	    "Az09_.-", "ok");
}

static void
test_mp_name_length(void)
{
	struct buf	 b;
	char		 name[MP_MAX_NAME + 2];

	memset(name, 'n', MP_MAX_NAME);
	name[MP_MAX_NAME] = '\0';
	buf_init(&b, 0);
	add_text(&b, "b", name, "v");
	CU_ASSERT_EQUAL(buf_addstr(&b, "--b--"), 0);
	expect_one((char *)b.data, "b", name, "v");
	name[MP_MAX_NAME] = 'n';
	name[MP_MAX_NAME + 1] = '\0';
	buf_reset(&b);
	add_text(&b, "b", name, "v");
	CU_ASSERT_EQUAL(buf_addstr(&b, "--b--"), 0);
	expect_err((char *)b.data, "b", MP_EHEADER);
	buf_clear(&b);
}

static void
test_mp_header_syntax(void)
{
	static const char *const bad[] = {
		"Content-Disposition : form-data; name=a",
		" Content-Disposition: form-data; name=a",
		"Content-Disposition: form-data; name=a\r\n folded",
		"Content-Disposition: form-data; name=a\r\nX-Bad",
		"Content-Disposition: form-data; name=a\r\n: x",
		"Content-Disposition: form-data; name=a\r\nX:\x01",
		"Content-Disposition: form-data; name=a\r\nX: a\rb",
		("Content-Disposition: form-data; name=a\r\nContent-Type: a\r\n"
		    "Content-Type: b"),
		"Content-Disposition: form-data; name=a\r\nContent-Type: ",
		("Content-Disposition: form-data; name=a\r\n"
		    "Content-Type: \xc3\xa9"),
	};
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		CU_ASSERT_EQUAL(buf_printf(&b, "--b\r\n%s\r\n\r\n1\r\n--b--",
		    bad[i]), 0);
		expect_err((char *)b.data, "b", MP_EHEADER);
	}
	buf_clear(&b);
	/* Unknown headers are ignored. */
	expect_one("--b\r\nX-Thing: \xc3\xa9\r\nContent-Disposition: form-data;"
	    " name=a\r\nContent-Transfer-Encoding: 8bit\r\n\r\n1\r\n--b--",
	    "b", "a", "1");
}

static void
test_mp_duplicate_name(void)
{
	struct buf		 b;
	struct multipart	 m;
	uint8_t			*keep;

	buf_init(&b, 0);
	add_text(&b, "b", "a", "1");
	add_text(&b, "b", "c", "2");
	add_text(&b, "b", "a", "3");
	CU_ASSERT_EQUAL(buf_addstr(&b, "--b--"), 0);
	expect_err((char *)b.data, "b", MP_EDUP);
	/* Names are case-sensitive. */
	buf_reset(&b);
	add_text(&b, "b", "a", "1");
	add_text(&b, "b", "A", "2");
	CU_ASSERT_EQUAL(buf_addstr(&b, "--b--"), 0);
	CU_ASSERT_EQUAL_FATAL(parse_copy(b.data, b.len, "b", &m, &keep),
	    MP_OK);
	CU_ASSERT_EQUAL(m.n, 2);
	CU_ASSERT_PTR_EQUAL(multipart_get(&m, "A"), &m.parts[1]);
	multipart_clear(&m);
	free(keep);
	buf_clear(&b);
}

static void
test_mp_part_count(void)
{
	struct buf		 b;
	struct multipart	 m;
	uint8_t			*keep;
	char			 name[16];
	int			 i;

	buf_init(&b, 0);
	for (i = 0; i < MP_MAX_PARTS; i++) {
		(void)snprintf(name, sizeof(name), "f%d", i);
		add_text(&b, "b", name, "x");
	}
	CU_ASSERT_EQUAL(buf_addstr(&b, "--b--"), 0);
	CU_ASSERT_EQUAL(parse_copy(b.data, b.len, "b", &m, &keep), MP_OK);
	CU_ASSERT_EQUAL(m.n, MP_MAX_PARTS);
	CU_ASSERT_PTR_NOT_NULL(multipart_get(&m, "f15"));
	multipart_clear(&m);
	free(keep);

	buf_reset(&b);
	for (i = 0; i <= MP_MAX_PARTS; i++) {
		(void)snprintf(name, sizeof(name), "f%d", i);
		add_text(&b, "b", name, "x");
	}
	CU_ASSERT_EQUAL(buf_addstr(&b, "--b--"), 0);
	expect_err((char *)b.data, "b", MP_ETOOMANY);
	buf_clear(&b);
}

/* Builds a part whose header lines take exactly hlen bytes into b. */
static void
header_body(struct buf *b, size_t hlen)
{
	static const char cd[] = "Content-Disposition: form-data; name=a\r\n";
	size_t	 pad;

	/* "X: " + pad bytes + CRLF fill the rest. */
	pad = hlen - (sizeof(cd) - 1) - 5;
	CU_ASSERT_EQUAL(buf_printf(b, "--b\r\n%sX: ", cd), 0);
	while (pad-- > 0)
		CU_ASSERT_EQUAL(buf_add(b, "p", 1), 0);
	CU_ASSERT_EQUAL(buf_addstr(b, "\r\n\r\nvalue\r\n--b--"), 0);
}

static void
test_mp_header_size(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	header_body(&b, MP_MAX_HEADER);
	expect_one((char *)b.data, "b", "a", "value");
	buf_reset(&b);
	header_body(&b, MP_MAX_HEADER + 1);
	expect_err((char *)b.data, "b", MP_ETOOLARGE);
	buf_reset(&b);
	header_body(&b, 4000);
	expect_err((char *)b.data, "b", MP_ETOOLARGE);
	buf_clear(&b);
}

static void
test_mp_empty_file(void)
{
	struct multipart	 m;
	const struct mp_part	*pt;
	uint8_t			*keep;
	const char		*s =
	    "--b\r\nContent-Disposition: form-data; name=\"image\"; "
	    "filename=\"\"\r\nContent-Type: application/octet-stream\r\n"
	    "\r\n\r\n--b\r\nContent-Disposition: form-data; name=t\r\n\r\n"
	    "\r\n--b--\r\n";

	CU_ASSERT_EQUAL_FATAL(parse_copy(s, strlen(s), "b", &m, &keep),
	    MP_OK);
	CU_ASSERT_EQUAL(m.n, 2);
	pt = multipart_get(&m, "image");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt->filename);
	CU_ASSERT_STRING_EQUAL(pt->filename, "");
	CU_ASSERT_STRING_EQUAL(pt->content_type,
	    "application/octet-stream");
	CU_ASSERT_EQUAL(pt->len, 0);
	pt = multipart_get(&m, "t");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL(pt->len, 0);
	multipart_clear(&m);
	free(keep);
}

static void
test_mp_filename_quotes(void)
{
	struct multipart	 m;
	const struct mp_part	*pt;
	uint8_t			*keep;
	const char		*s =
	    "--b\r\nContent-Disposition: form-data; name=f; "
	    "filename=\"a\\\"b\\\\c %22d\xc3\xa9;e=f.png\"\r\n\r\nxy\r\n--b--";

	CU_ASSERT_EQUAL_FATAL(parse_copy(s, strlen(s), "b", &m, &keep),
	    MP_OK);
	pt = multipart_get(&m, "f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_STRING_EQUAL(pt->filename, "a\"b\\c %22d\xc3\xa9;e=f.png");
	CU_ASSERT_EQUAL(pt->len, 2);
	multipart_clear(&m);
	free(keep);
	/* Unterminated, a control character, bad UTF-8. */
	expect_err("--b\r\nContent-Disposition: form-data; name=f; filename="
	    "\"a\\\"\r\n\r\nxy\r\n--b--", "b", MP_EHEADER);
	expect_err("--b\r\nContent-Disposition: form-data; name=f; filename="
	    "\"a\tb\"\r\n\r\nxy\r\n--b--", "b", MP_EUTF8);
	expect_err("--b\r\nContent-Disposition: form-data; name=f; filename="
	    "\"a\xc0\xaf\"\r\n\r\nxy\r\n--b--", "b", MP_EUTF8);
}

static void
test_mp_utf8_values(void)
{
	static const uint8_t nul_body[] =
	    PART_A "x\0y\r\n--b--";
	static const uint8_t nul_file[] =
	    "--b\r\nContent-Disposition: form-data; name=a; filename=z\r\n\r\n"
	    "x\0y\r\n--b--";
	struct multipart	 m;
	uint8_t			*keep;

	expect_err("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\xc3\r\n--b--", "b", MP_EUTF8);
	expect_err("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\xed\xa0\x80\r\n--b--", "b", MP_EUTF8);
	expect_err("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\xff\r\n--b--", "b", MP_EUTF8);
	expect_one("--b\r\nContent-Disposition: form-data; name=a; filename=z"
	    "\r\n\r\n\xff\xc3\r\n--b--", "b", "a", "\xff\xc3");
	CU_ASSERT_EQUAL(parse_copy(nul_body, sizeof(nul_body) - 1, "b", &m,
	    &keep), MP_EUTF8);
	free(keep);
	CU_ASSERT_EQUAL(parse_copy(nul_file, sizeof(nul_file) - 1, "b", &m,
	    &keep), MP_OK);
	CU_ASSERT_EQUAL(m.n, 1);
	CU_ASSERT_EQUAL(m.n > 0 ? m.parts[0].len : 0, 3);
	multipart_clear(&m);
	free(keep);
}

static void
test_mp_boundary_in_data(void)
{
	/* The whole boundary followed by other bytes is not data. */
	expect_err("--b\r\nContent-Disposition: form-data; name=a; filename=z"
	    "\r\n\r\n1\r\n--bb\r\n2\r\n--b--", "b", MP_ESYNTAX);
	/* A prefix of it is. */
	expect_one("--bound\r\nContent-Disposition: form-data; name=a; "
	    "filename=z\r\n\r\n1\r\n--boun\r\n-\r\n--bound--", "bound", "a",
	    "1\r\n--boun\r\n-");
}

static void
test_mp_truncated(void)
{
	static const char s[] =
	    "--xy\r\nContent-Disposition: form-data; name=n\r\n\r\nhi\r\n"
	    "--xy\r\nContent-Disposition: form-data; name=f; filename=\"a\"\r\n"
	    "Content-Type: image/gif\r\n\r\n\r\n--x\r\n--xy--";
	struct multipart	 m;
	uint8_t			*keep;
	size_t			 n, len = sizeof(s) - 1;
	enum mp_err		 err;

	for (n = 0; n <= len; n++) {
		err = parse_copy(s, n, "xy", &m, &keep);
		if (n == len) {
			CU_ASSERT_EQUAL(err, MP_OK);
			CU_ASSERT_EQUAL(m.n, 2);
		} else {
			CU_ASSERT_NOT_EQUAL(err, MP_OK);
			CU_ASSERT_EQUAL(m.n, 0);
			CU_ASSERT_PTR_NULL(m.parts);
		}
		multipart_clear(&m);
		free(keep);
	}
}

static void
test_mp_truncated_browser(void)
{
	struct buf		 b;
	struct multipart	 m;
	uint8_t			*keep;
	const uint8_t		*end;
	size_t			 n, ok;
	enum mp_err		 err;

	/* Valid once the closing delimiter is whole, i.e. from ok on. */
	buf_init(&b, 0);
	browser_body(&b);
	end = memmem(b.data, b.len, "--\r\nepilogue", 12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	ok = (size_t)(end - b.data) + 2;
	for (n = 0; n <= b.len; n++) {
		err = parse_copy(b.data, n, WK, &m, &keep);
		if (n == ok || n >= ok + 2)
			CU_ASSERT_EQUAL(err, MP_OK);
		if (n < ok || n == ok + 1)
			CU_ASSERT_NOT_EQUAL(err, MP_OK);
		multipart_clear(&m);
		free(keep);
	}
	buf_clear(&b);
}

static void
test_mp_error_frees_earlier_parts(void)
{
	/* Parts parsed before the error are released (ASan checks). */
	expect_err("--b\r\nContent-Disposition: form-data; name=a; filename=x"
	    "\r\nContent-Type: t\r\n\r\n1\r\n--b\r\nContent-Disposition: "
	    "form-data; name=a\r\n\r\n2\r\n--b--", "b", MP_EDUP);
	expect_err("--b\r\nContent-Disposition: form-data; name=a; filename=x"
	    "\r\nContent-Type: t\r\n\r\n1\r\n--b\r\nContent-Disposition: "
	    "form-data; name=c; filename=y\r\nContent-Type: t\r\n\r\n1\r\n"
	    "--b\r\nContent-Type: t\r\n\r\n2\r\n--b--", "b", MP_EHEADER);
	expect_err("--b\r\nContent-Disposition: form-data; name=a; filename=x"
	    "\r\nContent-Type: t\r\n\r\n1\r\n--b\r\nContent-Disposition: "
	    "form-data; name=c; filename=y\r\nContent-Type: t\r\n\r\n1\r\n"
	    "--b\r\nContent-Type: t\r\n\r\n2", "b", MP_ESYNTAX);
	/* A failing part's own strings too. */
	expect_err("--b\r\nContent-Type: t\r\nContent-Disposition: form-data; "
	    "name=a; filename=x\r\n\r\n1\r\n--b\r\nContent-Type: t\r\n"
	    "Content-Disposition: form-data; name=a; filename=x\r\n\r\n1\r\n"
	    "--b--", "b", MP_EDUP);
	expect_err("--b\r\nContent-Type: t\r\nContent-Disposition: form-data; "
	    "name=a; filename=x; name=b\r\n\r\n1\r\n--b--", "b", MP_EHEADER);
}

static void
test_mp_get(void)
{
	struct multipart	 m;
	uint8_t			*keep;
	const char		*s = "--b\r\nContent-Disposition: form-data; "
				    "name=user\r\n\r\nbob\r\n--b--";

	CU_ASSERT_EQUAL_FATAL(parse_copy(s, strlen(s), "b", &m, &keep),
	    MP_OK);
	CU_ASSERT_PTR_EQUAL(multipart_get(&m, "user"), &m.parts[0]);
	CU_ASSERT_PTR_NULL(multipart_get(&m, "use"));
	CU_ASSERT_PTR_NULL(multipart_get(&m, "userx"));
	CU_ASSERT_PTR_NULL(multipart_get(&m, "USER"));
	CU_ASSERT_PTR_NULL(multipart_get(&m, NULL));
	CU_ASSERT_PTR_NULL(multipart_get(NULL, "user"));
	multipart_clear(&m);
	CU_ASSERT_PTR_NULL(multipart_get(&m, "user"));
	multipart_clear(&m);
	multipart_clear(NULL);
	free(keep);
}

static void
test_mp_strerror(void)
{
	int	 i, j;

	for (i = 0; i < MP_ERR__MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(
		    multipart_strerror((enum mp_err)i));
		CU_ASSERT(strlen(multipart_strerror((enum mp_err)i)) > 0);
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(multipart_strerror((enum mp_err)i),
			    multipart_strerror((enum mp_err)j)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(multipart_strerror(MP_EDUP),
	    "a field is sent twice");
	CU_ASSERT_STRING_EQUAL(multipart_strerror(MP_ERR__MAX),
	    "unknown error");
}

static CU_TestInfo tests[] = {
	{ "test_mp_browser_body", test_mp_browser_body },
	{ "test_mp_boundary_header", test_mp_boundary_header },
	{ "test_mp_boundary_header_bad", test_mp_boundary_header_bad },
	{ "test_mp_boundary_length", test_mp_boundary_length },
	{ "test_mp_bad_boundary_arg", test_mp_bad_boundary_arg },
	{ "test_mp_quoted_boundary_parse",
	    test_mp_quoted_boundary_parse },
	{ "test_mp_closing_delimiter", test_mp_closing_delimiter },
	{ "test_mp_no_parts", test_mp_no_parts },
	{ "test_mp_lf_only", test_mp_lf_only },
	{ "test_mp_missing_disposition", test_mp_missing_disposition },
	{ "test_mp_disposition_rules", test_mp_disposition_rules },
	{ "test_mp_name_length", test_mp_name_length },
	{ "test_mp_header_syntax", test_mp_header_syntax },
	{ "test_mp_duplicate_name", test_mp_duplicate_name },
	{ "test_mp_part_count", test_mp_part_count },
	{ "test_mp_header_size", test_mp_header_size },
	{ "test_mp_empty_file", test_mp_empty_file },
	{ "test_mp_filename_quotes", test_mp_filename_quotes },
	{ "test_mp_utf8_values", test_mp_utf8_values },
	{ "test_mp_boundary_in_data", test_mp_boundary_in_data },
	{ "test_mp_truncated", test_mp_truncated },
	{ "test_mp_truncated_browser", test_mp_truncated_browser },
	{ "test_mp_error_frees_earlier_parts",
	    test_mp_error_frees_earlier_parts },
	{ "test_mp_get", test_mp_get },
	{ "test_mp_strerror", test_mp_strerror },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "multipart", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
