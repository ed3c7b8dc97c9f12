/*
 * Unit tests for web/template.c: escaping, sections, partials, every
 * compile and render error, loading a directory, the shipped templates and
 * concurrent rendering.  A standalone CUnit program; exits non-zero when
 * any assertion fails.  ABC_TEMPLATES_DIR names the shipped templates
 * (default "templates" relative to the working directory).
 */
#include <sys/stat.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "cunit_main.h"

#include "buf.h"
#include "abc_limits.h"
#include "xmalloc.h"
#include "template.h"

#define ERRLEN		256
#define TEST_PATH_MAX	PATH_MAX

/* Shared by the concurrency test's threads, read-only while they run. */
struct conc_arg {
	const struct tpl_set	*set;
	const struct tpl_val	*data;
	const char		*want;
	int			 bad;	/* written by its own thread only */
};

/*
 * Adds each (name, text) pair of the NULL-terminated list to a new set.
 * Returns the set, or NULL with a message in err.
 */
static struct tpl_set *
mkset(const char *const *pairs, char *err)
{
	struct tpl_set	*s;

	s = tpl_set_new();
	for (; pairs[0] != NULL; pairs += 2) {
		if (tpl_set_add(s, pairs[0], pairs[1], strlen(pairs[1]), err,
		    ERRLEN) == -1) {
			tpl_set_free(s);
			return NULL;
		}
	}
	return s;
}

/*
 * Renders "t" of the set built from pairs with data.  Returns the output
 * (caller frees) or NULL with the compile or render message in err.
 */
static char *
render_set(const char *const *pairs, const struct tpl_val *data, char *err)
{
	struct tpl_set	*s;
	struct buf	 b;
	char		*out = NULL;

	err[0] = '\0';
	if ((s = mkset(pairs, err)) == NULL)
		return NULL;
	buf_init(&b, 1024 * 1024);
	if (tpl_render(s, "t", data, &b, err, ERRLEN) == 0)
		out = xstrndup(b.len ? (const char *)b.data : "", b.len);
	buf_clear(&b);
	tpl_set_free(s);
	return out;
}

/* Renders the single template src as "t"; see render_set(). */
static char *
render1(const char *src, const struct tpl_val *data, char *err)
{
	const char	*pairs[] = { "t", src, NULL };

	return render_set(pairs, data, err);
}

/* Asserts that src renders to want with data. */
static void
expect(const char *src, const struct tpl_val *data, const char *want)
{
	char	 err[ERRLEN];
	char	*got;

	got = render1(src, data, err);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got == NULL) {
		fprintf(stderr, "\n  %s: %s\n", src, err);
		return;
	}
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  %s: got [%s] want [%s]\n", src, got, want);
	free(got);
}

/* Asserts that src fails (to compile or render) with a message holding want. */
static void
expect_err(const char *src, const struct tpl_val *data, const char *want)
{
	char	 err[ERRLEN];
	char	*got;

	got = render1(src, data, err);
	CU_ASSERT_PTR_NULL(got);
	free(got);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (strstr(err, want) == NULL)
		fprintf(stderr, "\n  %.60s: err [%s] want [%s]\n", src, err,
		    want);
}

static void
test_template_escape(void)
{
	struct tpl_val	*d;
	struct buf	 b;

	d = tpl_obj_new();
	tpl_put_str(d, "v", "a&b<c>d\"e'f`g=h");
	expect("[{{v}}]", d,
	    "[a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g&#61;h]");
	expect("{{ v }}", d, "a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g&#61;h");
	tpl_put_str(d, "v", "plain text");
	expect("{{v}}", d, "plain text");
	tpl_put_str(d, "v", "");
	expect("<{{v}}>", d, "<>");
	tpl_val_free(d);

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(tpl_escape_html(&b, "<&>", 3), 0);
	CU_ASSERT_EQUAL(b.len, strlen("&lt;&amp;&gt;"));
	CU_ASSERT_EQUAL(memcmp(b.data, "&lt;&amp;&gt;", b.len), 0);
	buf_clear(&b);
	/* A limit reached mid-escape is an error, not a silent cut. */
	buf_init(&b, 4);
	CU_ASSERT_EQUAL(tpl_escape_html(&b, "<<", 2), -1);
	buf_clear(&b);
}

static void
test_template_raw(void)
{
	struct tpl_val	*d;

	d = tpl_obj_new();
	tpl_put_str(d, "svg", "<svg width=\"1\">&amp;</svg>");
	expect("{{{svg}}}", d, "<svg width=\"1\">&amp;</svg>");
	expect("{{{ svg }}}}", d, "<svg width=\"1\">&amp;</svg>}");
	expect("{{svg}}", d,
	    "&lt;svg width&#61;&quot;1&quot;&gt;&amp;amp;&lt;/svg&gt;");
	tpl_val_free(d);
}

static void
test_template_scalars(void)
{
	struct tpl_val	*d;

	d = tpl_obj_new();
	tpl_put_int(d, "n", -42);
	tpl_put_int(d, "big", 9007199254740993LL);
	tpl_put_bool(d, "yes", 7);
	tpl_put_strn(d, "s", "abcdef", 3);
	tpl_put_printf(d, "p", "%s=%d", "x", 5);
	expect("{{n}} {{big}} {{yes}} {{s}} {{p}}", d,
	    "-42 9007199254740993 true abc x&#61;5");
	tpl_val_free(d);
}

/*
 * Numbers at their bounds, and keys and strings either side of the sizes
 * kept inside a pair or a value (TPL_KEY_INLINE 24, TPL_STR_INLINE 48):
 * the same text whichever way each is stored, and a key set again keeps
 * its place.
 */
static void
test_template_inline_bounds(void)
{
	struct tpl_val	*d;
	char		 s47[48], s48[49], s49[50], want[512];
	const char	*k23 = "k2345678901234567890123";
	const char	*k24 = "k23456789012345678901234";
	const char	*k25 = "k234567890123456789012345";

	memset(s47, 'a', 47);
	s47[47] = '\0';
	memset(s48, 'b', 48);
	s48[48] = '\0';
	memset(s49, 'c', 49);
	s49[49] = '\0';
	d = tpl_obj_new();
	tpl_put_int(d, "min", LLONG_MIN);
	tpl_put_int(d, "max", LLONG_MAX);
	tpl_put_int(d, "zero", 0);
	tpl_put_int(d, "ten", 10);
	tpl_put_str(d, k23, s47);
	tpl_put_str(d, k24, s48);
	tpl_put_str(d, k25, s49);
	tpl_put_str(d, "empty", "");
	expect("{{min}} {{max}} {{zero}} {{ten}}", d,
	    "-9223372036854775808 9223372036854775807 0 10");
	snprintf(want, sizeof(want), "%s|%s|%s|", s47, s48, s49);
	expect("{{k2345678901234567890123}}|{{k23456789012345678901234}}|"
	    "{{k234567890123456789012345}}|{{empty}}", d, want);
	/* Set again, long over short and short over long. */
	tpl_put_str(d, k23, s49);
	tpl_put_str(d, k25, "x");
	tpl_put_strref(d, k24, s47, 5);
	snprintf(want, sizeof(want), "%s|aaaaa|x", s49);
	expect("{{k2345678901234567890123}}|{{k23456789012345678901234}}|"
	    "{{k234567890123456789012345}}", d, want);
	tpl_val_free(d);
}

/* Three nested lists; the innermost item reads keys of every level. */
static void
test_template_nested_sections(void)
{
	struct tpl_val	*d, *l1, *l2, *l3, *a, *b, *c;
	int		 i, j, k;

	d = tpl_obj_new();
	tpl_put_str(d, "top", "T");
	tpl_put_str(d, "name", "outer");
	l1 = tpl_put_list(d, "a");
	for (i = 0; i < 2; i++) {
		a = tpl_list_add(l1);
		tpl_put_int(a, "i", i);
		l2 = tpl_put_list(a, "b");
		for (j = 0; j < 2; j++) {
			b = tpl_list_add(l2);
			tpl_put_int(b, "j", j);
			l3 = tpl_put_list(b, "c");
			for (k = 0; k < 2; k++) {
				c = tpl_list_add(l3);
				tpl_put_int(c, "k", k);
				if (k == 1)
					tpl_put_str(c, "name", "inner");
			}
		}
	}
	expect("{{#a}}{{#b}}{{#c}}{{top}}{{i}}{{j}}{{k}}{{name}};"
	    "{{/c}}{{/b}}{{/a}}|{{name}}", d,
	    "T000outer;T001inner;T010outer;T011inner;"
	    "T100outer;T101inner;T110outer;T111inner;|outer");
	tpl_val_free(d);
}

static void
test_template_inverted(void)
{
	struct tpl_val	*d;

	d = tpl_obj_new();
	tpl_put_bool(d, "f", 0);
	tpl_put_bool(d, "t", 1);
	expect("{{^f}}F{{/f}}{{^t}}T{{/t}}{{^missing}}M{{/missing}}", d,
	    "FM");
	expect("{{#t}}yes{{/t}}{{^t}}no{{/t}}", d, "yes");
	tpl_val_free(d);
}

static void
test_template_empty_list(void)
{
	struct tpl_val	*d;

	d = tpl_obj_new();
	(void)tpl_put_list(d, "l");
	expect("[{{#l}}item{{nokey}}{{/l}}][{{^l}}none{{/l}}]", d,
	    "[][none]");
	(void)tpl_list_add(tpl_put_list(d, "l"));
	expect("[{{#l}}item{{/l}}][{{^l}}none{{/l}}]", d, "[item][]");
	tpl_val_free(d);
}

static void
test_template_truthiness(void)
{
	struct tpl_val	*d, *o;

	d = tpl_obj_new();
	tpl_put_bool(d, "bt", 1);
	tpl_put_bool(d, "bf", 0);
	tpl_put_int(d, "i0", 0);
	tpl_put_int(d, "i1", -1);
	tpl_put_str(d, "s0", "");
	tpl_put_str(d, "s1", "x");
	tpl_put_str(d, "v", "outer");
	o = tpl_put_obj(d, "o");
	tpl_put_str(o, "v", "inner");
	expect("{{#bt}}a{{/bt}}{{#bf}}b{{/bf}}{{#i0}}c{{/i0}}"
	    "{{#i1}}d{{/i1}}{{#s0}}e{{/s0}}{{#s1}}f{{/s1}}", d, "adf");
	expect("{{^bt}}a{{/bt}}{{^bf}}b{{/bf}}{{^i0}}c{{/i0}}"
	    "{{^i1}}d{{/i1}}{{^s0}}e{{/s0}}{{^s1}}f{{/s1}}", d, "bce");
	/* A nested object is pushed as a context. */
	expect("{{#o}}{{v}}{{/o}} {{v}} {{#s1}}{{v}}{{/s1}}", d,
	    "inner outer outer");
	tpl_val_free(d);
}

static void
test_template_partials(void)
{
	const char	*pairs[] = {
		"t", "<ul>{{#items}}{{>partials/li}}{{/items}}</ul>{{>p2}}",
		"partials/li", "<li>{{name}}/{{title}}</li>",
		"p2", "{{! nothing but a comment }}[{{title}}]",
		NULL
	};
	struct tpl_val	*d, *l;
	char		 err[ERRLEN];
	char		*got;

	d = tpl_obj_new();
	tpl_put_str(d, "title", "T&");
	l = tpl_put_list(d, "items");
	tpl_put_str(tpl_list_add(l), "name", "a");
	tpl_put_str(tpl_list_add(l), "name", "<b>");
	got = render_set(pairs, d, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "<ul><li>a/T&amp;</li>"
	    "<li>&lt;b&gt;/T&amp;</li></ul>[T&amp;]");
	free(got);
	tpl_val_free(d);
}

static void
test_template_missing_key(void)
{
	const char	*pairs[] = {
		"t", "ok\n{{>inc}}",
		"inc", "a\nb {{#l}}{{tpyo}}{{/l}}",
		NULL
	};
	struct tpl_val	*d;
	char		 err[ERRLEN];
	char		*got;

	d = tpl_obj_new();
	tpl_put_str(d, "name", "x");
	expect_err("line1\n{{nmae}}", d, "t:2: no value for {{nmae}}");
	expect_err("{{{raw_missing}}}", d, "no value for {{raw_missing}}");
	expect_err("{{#name}}{{nope}}{{/name}}", d, "{{nope}}");
	(void)tpl_list_add(tpl_put_list(d, "l"));
	/* The message names the partial where the tag is. */
	got = render_set(pairs, d, err);
	CU_ASSERT_PTR_NULL(got);
	free(got);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "inc:2: no value for {{tpyo}}"));
	/* Lists and objects are not values. */
	expect_err("{{l}}", d, "t:1: {{l}} is a list");
	tpl_val_free(d);
	expect_err("{{x}}", NULL, "no value for {{x}}");
}

static void
test_template_missing_section_key(void)
{
	struct tpl_val	*d;

	d = tpl_obj_new();
	expect("a{{#nope}}{{also_missing}}{{/nope}}b", d, "ab");
	expect("a{{#nope}}x{{/nope}}b", NULL, "ab");
	tpl_val_free(d);
}

static void
test_template_compile_errors(void)
{
	char	 name65[80];

	expect_err("ab\ncd {{name", NULL, "t:2: unclosed tag");
	expect_err("{{{raw}}", NULL, "t:1: unclosed tag");
	expect_err("{{! comment", NULL, "t:1: unclosed tag");
	expect_err("x\n{{#a}}\n{{#b}}{{/b}}", NULL,
	    "t:2: {{#a}} is never closed");
	expect_err("{{^a}}", NULL, "t:1: {{^a}} is never closed");
	expect_err("{{#a}}\n{{#b}}\n{{/a}}", NULL,
	    "t:3: {{/a}} does not match {{#b}} opened on line 2");
	expect_err("a\n\n{{/a}}", NULL, "t:3: {{/a}} closes no open section");
	expect_err("{{#a}}{{/a}}{{/a}}", NULL, "closes no open section");
	expect_err("{{}}", NULL, "t:1: bad tag name");
	expect_err("{{ }}", NULL, "bad tag name");
	expect_err("{{a b}}", NULL, "bad tag name");
	expect_err("{{a/b}}", NULL, "bad tag name");
	expect_err("{{#}}", NULL, "bad tag name");
	expect_err("{{=<% %>=}}", NULL, "bad tag name");
	expect_err("{{&name}}", NULL, "bad tag name");
	expect_err("{{>bad name}}", NULL, "bad tag name");
	memcpy(name65, "{{", 2);
	memset(name65 + 2, 'a', 65);
	memcpy(name65 + 67, "}}", 3);
	expect_err(name65, NULL, "bad tag name");
	/* 64 characters is fine (the key is then missing, a render error). */
	memcpy(name65 + 66, "}}", 3);
	expect_err(name65, NULL, "no value for");
}

/* Builds {{#s}} nested depth times around "x" into a new string. */
static char *
nest(unsigned depth)
{
	struct buf	 b;
	unsigned	 i;
	char		*s;

	buf_init(&b, 0);
	for (i = 0; i < depth; i++)
		CU_ASSERT_EQUAL(buf_addstr(&b, "{{#s}}"), 0);
	CU_ASSERT_EQUAL(buf_addstr(&b, "x"), 0);
	for (i = 0; i < depth; i++)
		CU_ASSERT_EQUAL(buf_addstr(&b, "{{/s}}"), 0);
	s = xstrndup((const char *)b.data, b.len);
	buf_clear(&b);
	return s;
}

static void
test_template_limits(void)
{
	struct tpl_set	*s;
	struct tpl_val	*d;
	char		 err[ERRLEN];
	char		*src;

	d = tpl_obj_new();
	tpl_put_bool(d, "s", 1);
	src = nest(LIMIT_TPL_DEPTH);
	expect(src, d, "x");
	free(src);
	src = nest(LIMIT_TPL_DEPTH + 1);
	expect_err(src, d, "t:1: sections nested deeper than 32");
	free(src);
	tpl_val_free(d);

	src = xcalloc(1, LIMIT_TPL_SOURCE + 2);
	memset(src, 'x', LIMIT_TPL_SOURCE + 1);
	s = tpl_set_new();
	CU_ASSERT_EQUAL(tpl_set_add(s, "big", src, LIMIT_TPL_SOURCE + 1,
	    err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "big:1: template is"));
	CU_ASSERT_EQUAL(tpl_set_add(s, "max", src, LIMIT_TPL_SOURCE, err,
	    sizeof(err)), 0);
	CU_ASSERT_EQUAL(tpl_set_add(s, "max", "y", 1, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "max:1: template defined twice"));
	/* A NULL or empty err buffer is allowed. */
	CU_ASSERT_EQUAL(tpl_set_add(s, "e", "{{", 2, NULL, 0), -1);
	CU_ASSERT_EQUAL(tpl_set_add(s, "empty", "", 0, err, 0), 0);
	tpl_set_free(s);
	free(src);
}

/*
 * Renders "t" of a chain t -> p1 -> ... -> pN of partials.  Returns 0 or
 * -1 with the message in err.
 */
static int
render_chain(unsigned n, char *err)
{
	struct tpl_set	*s;
	struct buf	 b;
	char		 name[16], text[32];
	unsigned	 i;
	int		 rc;

	s = tpl_set_new();
	for (i = 0; i <= n; i++) {
		if (i == 0)
			(void)snprintf(name, sizeof(name), "t");
		else
			(void)snprintf(name, sizeof(name), "p%u", i);
		if (i == n)
			(void)snprintf(text, sizeof(text), "end");
		else
			(void)snprintf(text, sizeof(text), "{{>p%u}}", i + 1);
		CU_ASSERT_EQUAL(tpl_set_add(s, name, text, strlen(text), err,
		    ERRLEN), 0);
	}
	buf_init(&b, 0);
	rc = tpl_render(s, "t", NULL, &b, err, ERRLEN);
	if (rc == 0)
		CU_ASSERT_STRING_EQUAL((const char *)b.data, "end");
	buf_clear(&b);
	tpl_set_free(s);
	return rc;
}

static void
test_template_render_errors(void)
{
	const char	*rec[] = {
		"t", "{{>a}}", "a", "x{{>b}}", "b", "\n{{#l}}{{>a}}{{/l}}",
		NULL
	};
	const char	*missing[] = { "t", "a\n{{>nope}}", NULL };
	struct tpl_set	*s;
	struct tpl_val	*d;
	struct buf	 b;
	char		 err[ERRLEN];
	char		*got;

	d = tpl_obj_new();
	(void)tpl_list_add(tpl_put_list(d, "l"));
	got = render_set(rec, d, err);
	CU_ASSERT_PTR_NULL(got);
	free(got);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "partials nested deeper than 32"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: "));
	/* Exactly LIMIT_TPL_DEPTH nested partials are fine. */
	CU_ASSERT_EQUAL(render_chain(LIMIT_TPL_DEPTH, err), 0);
	CU_ASSERT_EQUAL(render_chain(LIMIT_TPL_DEPTH + 1, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "p32:1: partials nested deeper"));
	got = render_set(missing, d, err);
	CU_ASSERT_PTR_NULL(got);
	free(got);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t:2: partial {{>nope}} not found"));
	tpl_val_free(d);

	/* No such template, and an output limit. */
	s = mkset(missing, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	buf_init(&b, 1);
	CU_ASSERT_EQUAL(tpl_render(s, "none", NULL, &b, err, ERRLEN), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "none:0: no such template"));
	CU_ASSERT_EQUAL(tpl_render(s, "t", NULL, &b, err, ERRLEN), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t:1: output too large"));
	buf_clear(&b);
	tpl_set_free(s);
}

static void
test_template_replace_key(void)
{
	struct tpl_val	*d, *l;

	d = tpl_obj_new();
	tpl_put_str(d, "a", "1");
	tpl_put_str(d, "b", "2");
	tpl_put_str(d, "a", "one");
	expect("{{a}}{{b}}", d, "one2");
	tpl_put_int(d, "a", 3);
	expect("{{a}}", d, "3");
	l = tpl_put_list(d, "a");
	tpl_put_str(tpl_list_add(l), "x", "i");
	expect("{{#a}}{{x}}{{/a}}", d, "i");
	tpl_put_bool(d, "a", 0);
	expect("[{{#a}}{{x}}{{/a}}]", d, "[]");
	tpl_val_free(d);
	tpl_val_free(NULL);
	tpl_set_free(NULL);
}

/*
 * Objects of many keys (found through their hash index): every key set
 * is found, in the innermost context first; setting a key again replaces
 * its value in place, before and after the index is made and grown.
 */
static void
test_template_many_keys(void)
{
	struct tpl_val	*d, *l, *item;
	struct buf	 src, want;
	char		 key[80];
	char		 err[ERRLEN], *got;
	int		 i;

	d = tpl_obj_new();
	buf_init(&src, 1024 * 1024);
	buf_init(&want, 1024 * 1024);
	for (i = 0; i < 300; i++) {
		/* Short keys, and long ones kept apart from the pair. */
		if (i % 3 == 0)
			snprintf(key, sizeof(key), "a_rather_long_key_name_%d",
			    i);
		else
			snprintf(key, sizeof(key), "k%d", i);
		tpl_put_int(d, key, i);
		if (i == 2 || i == 7 || i == 8 || i == 40 || i == 299)
			tpl_put_int(d, "k1", 1000 + i);	/* again: replaced */
		(void)buf_printf(&src, "{{%s}},", key);
	}
	for (i = 0; i < 300; i++)
		(void)buf_printf(&want, "%d,", i == 1 ? 1299 : i);
	got = render1((const char *)src.data, d, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, (const char *)want.data);
	free(got);
	/* An item of a list shadows the indexed root; missing keys fall back. */
	l = tpl_put_list(d, "items");
	item = tpl_list_add(l);
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		tpl_put_str(item, key, "item");
	}
	expect("{{#items}}{{k1}} {{k19}} {{k20}} {{k299}}{{/items}}", d,
	    "item item 20 299");
	expect_err("{{k300}}", d, "no value for {{k300}}");
	tpl_val_free(d);
	buf_clear(&src);
	buf_clear(&want);
}

/* Writes text to dir/rel; asserts success. */
static void
write_file(const char *dir, const char *rel, const char *text)
{
	char	 path[TEST_PATH_MAX];
	FILE	*f;

	CU_ASSERT((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) <
	    sizeof(path));
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(fputs(text, f) >= 0);
	CU_ASSERT_EQUAL(fclose(f), 0);
}

/* Removes dir/rel; failures are ignored because cleanup is best effort. */
static void
remove_file(const char *dir, const char *rel)
{
	char	 path[TEST_PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	(void)remove(path);
}

static void
test_template_load_dir(void)
{
	char		 dir[] = "/tmp/test_template.XXXXXX";
	char		 err[ERRLEN], sub[TEST_PATH_MAX];
	struct tpl_set	*s;
	struct tpl_val	*d;
	struct buf	 b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	(void)snprintf(sub, sizeof(sub), "%s/partials", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
	write_file(dir, "home.html", "{{>partials/hdr}}body");
	write_file(dir, "notes.txt", "{{ignored");
	write_file(dir, ".swap.html", "{{ignored");
	write_file(dir, "partials/hdr.html", "<h1>{{title}}</h1>");
	s = tpl_set_load_dir(dir, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	d = tpl_obj_new();
	tpl_put_str(d, "title", "<T>");
	buf_init(&b, 0);
	CU_ASSERT_EQUAL(tpl_render(s, "home", d, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b.len, strlen("<h1>&lt;T&gt;</h1>body"));
	CU_ASSERT_STRING_EQUAL((const char *)b.data,
	    "<h1>&lt;T&gt;</h1>body");
	buf_clear(&b);
	tpl_val_free(d);
	tpl_set_free(s);

	/* A missing partial is caught at load time, with file and line. */
	write_file(dir, "bad.html", "x\n{{>partials/typo}}");
	CU_ASSERT_PTR_NULL(tpl_set_load_dir(dir, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err,
	    "bad:2: partial {{>partials/typo}} not found"));
	/* So is a compile error. */
	write_file(dir, "bad.html", "x\n{{#a}}");
	CU_ASSERT_PTR_NULL(tpl_set_load_dir(dir, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad:2: {{#a}} is never closed"));
	remove_file(dir, "bad.html");
	remove_file(dir, "home.html");
	remove_file(dir, "notes.txt");
	remove_file(dir, ".swap.html");
	remove_file(dir, "partials/hdr.html");
	(void)rmdir(sub);
	/* An empty directory without partials/ loads; a missing one fails. */
	s = tpl_set_load_dir(dir, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	tpl_set_free(s);
	(void)rmdir(dir);
	CU_ASSERT_PTR_NULL(tpl_set_load_dir(dir, err, sizeof(err)));
}

/* Renders name of s with d and checks it holds want and no inline code. */
static void
check_page(const struct tpl_set *s, const char *name,
    const struct tpl_val *d, const char *want)
{
	struct buf	 b;
	char		 err[ERRLEN];
	const char	*page, *p;

	buf_init(&b, 0);
	CU_ASSERT_EQUAL(tpl_render(s, name, d, &b, err, sizeof(err)), 0);
	page = b.len ? (const char *)b.data : "";
	if (b.len == 0)
		fprintf(stderr, "\n  %s: %s\n", name, err);
	CU_ASSERT_EQUAL(strncmp(page, "<!DOCTYPE html>", 15), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(page, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "/static/abc.css"));
	CU_ASSERT_PTR_NOT_NULL(strstr(page, "</html>"));
	/*
	 * CSP forbids inline script and style: a script is only ever loaded
	 * from /static/ (issue 16 adds scripts to every page, all optional).
	 */
	for (p = page; (p = strstr(p, "<script")) != NULL; p++)
		CU_ASSERT_EQUAL(strncmp(p, "<script src=\"/static/", 21), 0);
	CU_ASSERT_PTR_NULL(strstr(page, "<style"));
	CU_ASSERT_PTR_NULL(strstr(page, "style="));
	CU_ASSERT_PTR_NULL(strstr(page, "javascript:"));
	buf_clear(&b);
}

/* Renders the status page's check rows. */
static void
check_status_page(const struct tpl_set *s)
{
	const char	*names[] = { "abc-web", "link to abc-worker",
			    "PostgreSQL", "bitcoind" };
	struct tpl_val	*d, *l, *c;
	size_t		 i;

	d = tpl_obj_new();
	tpl_put_str(d, "title", "Status");
	tpl_put_str(d, "generated_at", "2024-01-01T00:00:00Z");
	l = tpl_put_list(d, "checks");
	for (i = 0; i < 4; i++) {
		c = tpl_list_add(l);
		tpl_put_str(c, "name", names[i]);
		tpl_put_bool(c, "ok", i != 3);
		tpl_put_str(c, "state", i != 3 ? "up" : "down");
		tpl_put_str(c, "detail", i != 3 ? "ok" : "connection refused");
	}
	check_page(s, "status", d, "<tr class=\"down\"><td>bitcoind</td>");
	check_page(s, "status", d,
	    "<tr class=\"up\"><td>link to abc-worker</td>");
	check_page(s, "status", d, "Generated at 2024-01-01T00:00:00Z");
	tpl_val_free(d);
}

static void
test_template_shipped(void)
{
	struct tpl_set	*s;
	struct tpl_val	*d, *c;
	const char	*dir;
	char		 err[ERRLEN];

	if ((dir = getenv("ABC_TEMPLATES_DIR")) == NULL)
		dir = "templates";
	if (access(dir, R_OK | X_OK) == -1) {
		fprintf(stderr, "\n  %s: not found; set ABC_TEMPLATES_DIR\n",
		    dir);
		CU_FAIL("shipped templates not found");
		return;
	}
	s = tpl_set_load_dir(dir, err, sizeof(err));
	if (s == NULL)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	d = tpl_obj_new();
	tpl_put_str(d, "title", "Campaigns");
	check_page(s, "home", d, "<p class=\"empty\">No campaigns yet.");
	/* Issue 16: campaigns as cards, under a short explanation. */
	tpl_put_bool(d, "has_campaigns", 1);
	tpl_put_int(d, "t_now", 1700000000000);
	c = tpl_list_add(tpl_put_list(d, "campaigns"));
	tpl_put_int(c, "id", 7);
	tpl_put_str(c, "name", "<Blog>");
	tpl_put_bool(c, "has_ad", 0);
	tpl_put_str(c, "ad", "none");
	tpl_put_str(c, "image", "");
	tpl_put_int(c, "width", 300);
	tpl_put_int(c, "height", 250);
	tpl_put_str(c, "slot_len", "1 h");
	tpl_put_str(c, "price", "0.0001");
	tpl_put_int(c, "t_min", 10000);
	tpl_put_int(c, "t_plast", 0);
	tpl_put_int(c, "t_t0", 0);
	tpl_put_int(c, "t_t1", 0);
	check_page(s, "home", d, "<h3 class=\"card-name\"><a href=\"/c/7\">"
	    "&lt;Blog&gt;</a></h3>");
	check_page(s, "home", d, "<dt>Slot</dt><dd>1 h</dd>");
	check_page(s, "home", d, "Ad space on web pages, paid in bitcoin");
	tpl_val_free(d);
	check_status_page(s);
	d = tpl_obj_new();
	tpl_put_str(d, "title", "Not found");
	tpl_put_str(d, "status", "404 Not Found");
	tpl_put_str(d, "message", "No such campaign.");
	check_page(s, "error", d, "<h1>404 Not Found</h1>");
	tpl_val_free(d);
	tpl_set_free(s);
}

/* Thread body: renders the set 1000 times and compares each output. */
static void *
conc_main(void *p)
{
	struct conc_arg	*a = p;
	struct buf	 b;
	char		 err[ERRLEN];
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++) {
		buf_reset(&b);
		if (tpl_render(a->set, "t", a->data, &b, err,
		    sizeof(err)) == -1 || b.len != strlen(a->want) ||
		    memcmp(b.data, a->want, b.len) != 0)
			a->bad++;
	}
	buf_clear(&b);
	return NULL;
}

static void
test_template_concurrent(void)
{
	const char	*pairs[] = {
		"t", "{{#l}}{{>p}}{{/l}}{{^none}}.{{/none}}",
		"p", "<{{n}}|{{s}}>",
		NULL
	};
	struct conc_arg	 args[4];
	pthread_t	 th[4];
	struct tpl_set	*s;
	struct tpl_val	*d, *l;
	char		 err[ERRLEN];
	char		*want;
	int		 i;

	d = tpl_obj_new();
	tpl_put_str(d, "s", "&");
	l = tpl_put_list(d, "l");
	for (i = 0; i < 50; i++)
		tpl_put_int(tpl_list_add(l), "n", i);
	want = render_set(pairs, d, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_PTR_NOT_NULL(strstr(want, "<49|&amp;>."));
	s = mkset(pairs, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < 4; i++) {
		args[i].set = s;
		args[i].data = d;
		args[i].want = want;
		args[i].bad = 0;
		CU_ASSERT_EQUAL(pthread_create(&th[i], NULL, conc_main,
		    &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(pthread_join(th[i], NULL), 0);
		CU_ASSERT_EQUAL(args[i].bad, 0);
	}
	tpl_set_free(s);
	tpl_val_free(d);
	free(want);
}

static CU_TestInfo template_tests[] = {
	{ "escape", test_template_escape },
	{ "raw", test_template_raw },
	{ "scalars", test_template_scalars },
	{ "inline_bounds", test_template_inline_bounds },
	{ "nested_sections", test_template_nested_sections },
	{ "inverted", test_template_inverted },
	{ "empty_list", test_template_empty_list },
	{ "truthiness", test_template_truthiness },
	{ "partials", test_template_partials },
	{ "missing_key", test_template_missing_key },
	{ "missing_section_key", test_template_missing_section_key },
	{ "compile_errors", test_template_compile_errors },
	{ "limits", test_template_limits },
	{ "render_errors", test_template_render_errors },
	{ "replace_key", test_template_replace_key },
	{ "many_keys", test_template_many_keys },
	{ "load_dir", test_template_load_dir },
	{ "shipped", test_template_shipped },
	{ "concurrent", test_template_concurrent },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "template", NULL, NULL, NULL, NULL, template_tests },
	CU_SUITE_INFO_NULL
};
