/* application/x-www-form-urlencoded parsing; see abc_form.h for the rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abc_form.h"
#include "utf8.h"
#include "xmalloc.h"

static int		 form_hexval(unsigned char c);
static int		 form_name_valid(const char *name);
static enum form_err	 form_decode(const char *p, size_t n, size_t max,
			    enum form_err toolong, char **out, size_t *outlen);
static enum form_err	 form_add(struct form *f, const char *seg, size_t n);

/* Sorted by enum value; sized by FORM_ERR__MAX.  Shown to people. */
static const char *const form_err_text[FORM_ERR__MAX] = {
	"ok",
	"a field holds a malformed %-escape",
	"a field is not valid UTF-8 text",
	"a field holds a NUL character",
	"the form has too many fields",
	("a field name is empty, too long or has characters other than "
	    "letters, digits, '_', '.' and '-'"),
	"a field value is too long",
	"a field is sent twice",
};

/* Returns a static description of e; unknown values get "unknown error". */
const char *
form_strerror(enum form_err e)
{
	if ((unsigned)e >= FORM_ERR__MAX)
		return "unknown error";
	return form_err_text[e];
}

/* Returns the value of hex digit c (either case), or -1. */
static int
form_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns 1 if name holds only [A-Za-z0-9_.-], else 0. */
static int
form_name_valid(const char *name)
{
	const char	*p;

	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-'))
			return 0;
	return 1;
}

/*
 * Decodes the n bytes at p ('+' and %XX) into a new NUL-terminated string
 * of at most max bytes.  Returns FORM_OK with *out (owned by the caller)
 * and *outlen set; or FORM_EBADESC, FORM_ENUL, FORM_EUTF8, or toolong when
 * the result would exceed max, and then allocates nothing.
 */
static enum form_err
form_decode(const char *p, size_t n, size_t max, enum form_err toolong,
    char **out, size_t *outlen)
{
	enum form_err	 err = FORM_OK;
	char		*d;
	size_t		 i, o = 0;
	int		 hi, lo;
	unsigned char	 c;

	/* Decoding never grows the text, so this bounds the output. */
	d = xmalloc((n < max ? n : max) + 1);
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (n - i < 3 ||
			    (hi = form_hexval((unsigned char)p[i + 1])) == -1 ||
			    (lo = form_hexval((unsigned char)p[i + 2])) == -1) {
				err = FORM_EBADESC;
				goto fail;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			err = FORM_ENUL;
			goto fail;
		}
		if (o == max) {
			err = toolong;
			goto fail;
		}
		d[o++] = (char)c;
	}
	d[o] = '\0';
	if (utf8_valid((const uint8_t *)d, o) == 0) {
		err = FORM_EUTF8;
		goto fail;
	}
	*out = d;
	*outlen = o;
	return FORM_OK;
fail:
	free(d);
	return err;
}

/*
 * Decodes one non-empty "name[=value]" segment of n bytes at seg and
 * appends it to f, which has room for it.  Returns FORM_OK, or an error
 * from form_decode(), FORM_ENAME or FORM_EDUP with f unchanged.
 */
static enum form_err
form_add(struct form *f, const char *seg, size_t n)
{
	struct form_field	*fld;
	const char		*eq;
	char			*name = NULL, *value = NULL;
	size_t			 nlen, len, i;
	enum form_err		 err;

	eq = memchr(seg, '=', n);
	nlen = eq == NULL ? n : (size_t)(eq - seg);
	err = form_decode(seg, nlen, FORM_MAX_NAME, FORM_ENAME, &name, &len);
	if (err != FORM_OK)
		goto fail;
	if (len == 0 || form_name_valid(name) == 0) {
		err = FORM_ENAME;
		goto fail;
	}
	for (i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0) {
			err = FORM_EDUP;
			goto fail;
		}
	if (eq == NULL)
		err = form_decode("", 0, FORM_MAX_VALUE, FORM_ETOOLONG,
		    &value, &len);
	else
		err = form_decode(eq + 1, n - nlen - 1, FORM_MAX_VALUE,
		    FORM_ETOOLONG, &value, &len);
	if (err != FORM_OK)
		goto fail;
	fld = &f->fields[f->n++];
	fld->name = name;
	fld->value = value;
	fld->value_len = len;
	return FORM_OK;
fail:
	free(name);
	return err;
}

/*
 * Parses the len bytes at s (which need not be NUL-terminated and may be
 * NULL when len is 0) into out, which is overwritten without being freed.
 * Returns FORM_OK with out filled (the caller releases it with
 * form_clear()), or another enum form_err with out empty and nothing
 * allocated.  Errors are reported for the first offending field.
 */
enum form_err
form_parse(const char *s, size_t len, struct form *out)
{
	struct form	 f = { NULL, 0 };
	enum form_err	 err = FORM_OK;
	const char	*amp;
	size_t		 i = 0, seg;

	out->fields = NULL;
	out->n = 0;
	while (i < len) {
		amp = memchr(s + i, '&', len - i);
		seg = amp == NULL ? len - i : (size_t)(amp - (s + i));
		if (seg > 0) {
			if (f.n == FORM_MAX_FIELDS) {
				err = FORM_ETOOMANY;
				break;
			}
			if (f.fields == NULL)
				f.fields = xcalloc(FORM_MAX_FIELDS,
				    sizeof(*f.fields));
			if ((err = form_add(&f, s + i, seg)) != FORM_OK)
				break;
		}
		i += seg + 1;	/* past the '&', or to len + 1 at the end */
	}
	if (err != FORM_OK) {
		form_clear(&f);
		return err;
	}
	*out = f;
	return FORM_OK;
}

/*
 * Returns the value of the field called name (borrowed from f, valid until
 * form_clear()), or NULL when there is none.  f and name may be NULL.
 */
const char *
form_get(const struct form *f, const char *name)
{
	size_t	 i;

	if (f == NULL || name == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

/* Frees every field and leaves f empty; f may be NULL or already empty. */
void
form_clear(struct form *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	free(f->fields);
	f->fields = NULL;
	f->n = 0;
}

/* See abc_form.h: a same-site path a login may return to. */
int
form_local_path(const char *s)
{
	size_t	 n;
	const char	*q;

	if (s == NULL || s[0] != '/' || s[1] == '/' ||
	    (n = strlen(s)) > FORM_LOCAL_MAX)
		return 0;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/_.=&-?") != n)
		return 0;
	q = strchr(s, '?');
	return q == NULL || strchr(q + 1, '?') == NULL;
}

/* See abc_form.h: s percent-encoded as a query value. */
int
form_encode(const char *s, char *out, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0;
	unsigned char		 c;

	if (len == 0)
		return -1;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (strchr("/_.-", c) != NULL || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (o + 1 >= len)
				goto full;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= len)
				goto full;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
full:
	out[0] = '\0';
	return -1;
}
