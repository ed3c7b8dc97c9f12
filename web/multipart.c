/* multipart/form-data parsing; see multipart.h for the rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"
#include "utf8.h"
#include "xmalloc.h"

/* "\r\n--" then the boundary: the delimiter searched for in a body. */
#define MP_DELIM_MAX	(4 + MP_MAX_BOUNDARY)

static int		 mp_is_tchar(uint8_t c);
static int		 mp_is_bchar(uint8_t c);
static int		 mp_boundary_valid(const char *b, size_t n);
static int		 mp_ieq(const uint8_t *p, size_t n, const char *lit);
static size_t		 mp_skip_ows(const uint8_t *s, size_t n, size_t i);
static size_t		 mp_token(const uint8_t *s, size_t n, size_t i);
static int		 mp_value(const uint8_t *s, size_t n, size_t *i,
			    char *dst, size_t cap, size_t *dlen);
static int		 mp_utf8_valid(const uint8_t *p, size_t n);
static int		 mp_name_valid(const char *name, size_t n);
static const uint8_t	*mp_find(const uint8_t *hay, size_t hlen,
			    const void *needle, size_t nlen);
static enum mp_err	 mp_disposition(const uint8_t *v, size_t n,
			    struct mp_part *pt);
static enum mp_err	 mp_header(const uint8_t *line, size_t n, int *seen_cd,
			    struct mp_part *pt);
static enum mp_err	 mp_part_parse(const uint8_t *r, size_t rlen,
			    struct mp_part *pt);
static enum mp_err	 mp_after_delim(const uint8_t *body, size_t len,
			    size_t i, int *closing, size_t *next);
static void		 mp_part_free(struct mp_part *pt);

/* Sorted by enum value; sized by MP_ERR__MAX.  Shown to people. */
static const char *const mp_err_text[MP_ERR__MAX] = {
	"ok",
	"the request has no valid multipart boundary",
	"the multipart body is malformed or incomplete",
	"the form has too many parts",
	("a form part has malformed headers or no form-data "
	    "Content-Disposition with a valid name"),
	"a field is sent twice",
	"a form part has too many header bytes",
	"a text field or file name is not valid UTF-8 text",
};

/* Returns a static description of e; unknown values get "unknown error". */
const char *
multipart_strerror(enum mp_err e)
{
	if ((unsigned)e >= MP_ERR__MAX)
		return "unknown error";
	return mp_err_text[e];
}

/* Returns 1 if c is an RFC 7230 tchar (a token character), else 0. */
static int
mp_is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Returns 1 if c is an RFC 2046 bchars character, else 0. */
static int
mp_is_bchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

/*
 * Returns 1 if the n bytes at b are a valid RFC 2046 boundary: 1 to
 * MP_MAX_BOUNDARY bchars, not ending in a space; else 0.
 */
static int
mp_boundary_valid(const char *b, size_t n)
{
	size_t	 i;

	if (n == 0 || n > MP_MAX_BOUNDARY || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (!mp_is_bchar((uint8_t)b[i]))
			return 0;
	return 1;
}

/*
 * Returns 1 if the n bytes at p equal the lower-case ASCII string lit,
 * ignoring ASCII case, else 0.
 */
static int
mp_ieq(const uint8_t *p, size_t n, const char *lit)
{
	size_t	 i;
	uint8_t	 c;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++) {
		c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)lit[i])
			return 0;
	}
	return 1;
}

/* Returns the index of the first byte at or after i that is not SP/HTAB. */
static size_t
mp_skip_ows(const uint8_t *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Returns the index just past the run of tchars starting at i. */
static size_t
mp_token(const uint8_t *s, size_t n, size_t i)
{
	while (i < n && mp_is_tchar(s[i]))
		i++;
	return i;
}

/*
 * Scans a parameter value at s[*i] of the n bytes at s: a non-empty token
 * or a quoted-string, in which a backslash quotes the next byte.  Stores
 * the first cap decoded bytes at dst (which may be NULL when cap is 0),
 * sets *dlen to the whole decoded length and advances *i past the value.
 * Returns 0, or -1 if the value is malformed (then *i is unspecified).
 * Decoded bytes are never control characters other than HTAB.
 */
static int
mp_value(const uint8_t *s, size_t n, size_t *i, char *dst, size_t cap,
    size_t *dlen)
{
	size_t	 j = *i, o = 0;
	uint8_t	 c;

	if (j < n && s[j] != '"') {
		while (j < n && mp_is_tchar(s[j])) {
			if (o < cap)
				dst[o] = (char)s[j];
			o++;
			j++;
		}
		if (o == 0)
			return -1;
		*i = j;
		*dlen = o;
		return 0;
	}
	if (j == n)
		return -1;
	for (j++; j < n && s[j] != '"'; j++) {
		if (s[j] == '\\' && ++j == n)
			return -1;
		c = s[j];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
		if (o < cap)
			dst[o] = (char)c;
		o++;
	}
	if (j == n)
		return -1;	/* no closing quote */
	*i = j + 1;
	*dlen = o;
	return 0;
}

/*
 * Takes the boundary parameter of a "multipart/form-data" content type:
 * the media type and parameter names in any case, the value a token or a
 * quoted-string, other parameters ignored.  Returns 0 with the boundary
 * copied to out as a C string, or -1 (with out set to "" when outlen > 0)
 * if content_type is NULL, malformed, of another type, has no boundary or
 * two of them, the boundary is not valid (RFC 2046: 1 to 70 bchars, not
 * ending in a space), or it does not fit in outlen bytes with its NUL.
 */
int
multipart_boundary(const char *content_type, char *out, size_t outlen)
{
	const uint8_t	*s = (const uint8_t *)content_type;
	char		 b[MP_MAX_BOUNDARY + 1], tmp;
	size_t		 n, i, j, blen = 0, vlen;
	int		 found = 0;

	if (outlen > 0)
		out[0] = '\0';
	if (content_type == NULL)
		return -1;
	n = strlen(content_type);
	i = mp_skip_ows(s, n, 0);
	j = mp_token(s, n, i);
	if (j == n || s[j] != '/')
		return -1;
	j = mp_token(s, n, j + 1);
	if (!mp_ieq(s + i, j - i, "multipart/form-data"))
		return -1;
	i = j;
	for (;;) {
		i = mp_skip_ows(s, n, i);
		if (i == n)
			break;
		if (s[i] != ';')
			return -1;
		i = mp_skip_ows(s, n, i + 1);
		j = mp_token(s, n, i);
		if (j == i || j == n || s[j] != '=')
			return -1;
		if (mp_ieq(s + i, j - i, "boundary")) {
			if (found)
				return -1;
			found = 1;
			i = j + 1;
			if (mp_value(s, n, &i, b, sizeof(b), &blen) == -1)
				return -1;
			if (blen > MP_MAX_BOUNDARY)
				return -1;
		} else {
			i = j + 1;
			if (mp_value(s, n, &i, &tmp, 0, &vlen) == -1)
				return -1;
		}
	}
	if (!found || !mp_boundary_valid(b, blen) || blen >= outlen)
		return -1;
	memcpy(out, b, blen);
	out[blen] = '\0';
	return 0;
}

/* Returns 1 if the n bytes at p are well-formed UTF-8 without NUL. */
static int
mp_utf8_valid(const uint8_t *p, size_t n)
{
	return memchr(p, '\0', n) == NULL && utf8_valid(p, n);
}

/* Returns 1 if the n bytes at name are 1..MP_MAX_NAME of [A-Za-z0-9_.-]. */
static int
mp_name_valid(const char *name, size_t n)
{
	size_t	 i;
	char	 c;

	if (n == 0 || n > MP_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/*
 * Returns a pointer to the first occurrence of the nlen bytes at needle
 * (nlen > 0) in the hlen bytes at hay, or NULL.
 */
static const uint8_t *
mp_find(const uint8_t *hay, size_t hlen, const void *needle, size_t nlen)
{
	if (hlen < nlen)
		return NULL;
	return memmem(hay, hlen, needle, nlen);
}

/*
 * Parses the n bytes at v, the value of a Content-Disposition header, and
 * sets pt->name and pt->filename (owned by pt) from it.  Returns MP_OK;
 * MP_EHEADER if it is malformed, not form-data, has no valid name, or
 * repeats name or filename; or MP_EUTF8 for a bad filename.  What was set
 * in pt before an error is freed by the caller.
 */
static enum mp_err
mp_disposition(const uint8_t *v, size_t n, struct mp_part *pt)
{
	char	 buf[MP_MAX_HEADER + 1];
	size_t	 i, j, dlen;
	int	 is_name, is_file;

	/* A value has at most n decoded bytes, and n <= MP_MAX_HEADER. */
	if (n > MP_MAX_HEADER)
		return MP_EHEADER;
	j = mp_token(v, n, 0);
	if (!mp_ieq(v, j, "form-data"))
		return MP_EHEADER;
	i = j;
	for (;;) {
		i = mp_skip_ows(v, n, i);
		if (i == n)
			break;
		if (v[i] != ';')
			return MP_EHEADER;
		i = mp_skip_ows(v, n, i + 1);
		j = mp_token(v, n, i);
		if (j == i || j == n || v[j] != '=')
			return MP_EHEADER;
		is_name = mp_ieq(v + i, j - i, "name");
		is_file = mp_ieq(v + i, j - i, "filename");
		i = j + 1;
		if (mp_value(v, n, &i, buf, sizeof(buf) - 1, &dlen) == -1)
			return MP_EHEADER;
		buf[dlen] = '\0';
		if (is_name) {
			if (pt->name != NULL || !mp_name_valid(buf, dlen))
				return MP_EHEADER;
			pt->name = xstrndup(buf, dlen);
		} else if (is_file) {
			if (pt->filename != NULL)
				return MP_EHEADER;
			for (j = 0; j < dlen; j++)
				if ((uint8_t)buf[j] < 0x20)
					return MP_EUTF8;
			if (!mp_utf8_valid((const uint8_t *)buf, dlen))
				return MP_EUTF8;
			pt->filename = xstrndup(buf, dlen);
		}
	}
	if (pt->name == NULL)
		return MP_EHEADER;
	return MP_OK;
}

/*
 * Parses one header line of n bytes at line (without its CRLF) into pt;
 * *seen_cd says whether Content-Disposition came already.  Returns MP_OK,
 * MP_EHEADER for a malformed or repeated header, or an error from
 * mp_disposition().
 */
static enum mp_err
mp_header(const uint8_t *line, size_t n, int *seen_cd, struct mp_part *pt)
{
	size_t	 i, j, end;

	for (i = 0; i < n; i++)
		if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return MP_EHEADER;	/* also bare CR and LF */
	j = mp_token(line, n, 0);
	if (j == 0 || j == n || line[j] != ':')
		return MP_EHEADER;	/* also obsolete line folding */
	i = mp_skip_ows(line, n, j + 1);
	end = n;
	while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	if (mp_ieq(line, j, "content-disposition")) {
		if (*seen_cd)
			return MP_EHEADER;
		*seen_cd = 1;
		return mp_disposition(line + i, end - i, pt);
	}
	if (mp_ieq(line, j, "content-type")) {
		if (pt->content_type != NULL || end == i)
			return MP_EHEADER;
		for (j = i; j < end; j++)
			if (line[j] >= 0x80)
				return MP_EHEADER;
		pt->content_type = xstrndup((const char *)line + i, end - i);
	}
	return MP_OK;
}

/*
 * Parses the rlen bytes at r, one part between delimiters (headers, blank
 * line, data), into pt, which starts zeroed.  Returns MP_OK, or
 * MP_EHEADER, MP_ETOOLARGE or MP_EUTF8; what was set in pt before an
 * error is freed by the caller.
 */
static enum mp_err
mp_part_parse(const uint8_t *r, size_t rlen, struct mp_part *pt)
{
	const uint8_t	*end, *eol;
	size_t		 hlen, scan, i;
	enum mp_err	 err;
	int		 seen_cd = 0;

	if (rlen >= 2 && r[0] == '\r' && r[1] == '\n')
		return MP_EHEADER;	/* no headers at all */
	/* Header lines of at most MP_MAX_HEADER bytes end by then + 2. */
	scan = rlen < MP_MAX_HEADER + 2 ? rlen : MP_MAX_HEADER + 2;
	end = mp_find(r, scan, "\r\n\r\n", 4);
	if (end == NULL)
		return scan < rlen || rlen > MP_MAX_HEADER ?
		    MP_ETOOLARGE : MP_EHEADER;
	hlen = (size_t)(end - r) + 2;	/* header lines with their CRLFs */
	for (i = 0; i < hlen; i = (size_t)(eol - r) + 2) {
		eol = mp_find(r + i, hlen - i, "\r\n", 2);
		if ((err = mp_header(r + i, (size_t)(eol - (r + i)), &seen_cd,
		    pt)) != MP_OK)
			return err;
	}
	if (!seen_cd)
		return MP_EHEADER;
	pt->data = r + hlen + 2;
	pt->len = rlen - hlen - 2;
	if (pt->filename == NULL && !mp_utf8_valid(pt->data, pt->len))
		return MP_EUTF8;
	return MP_OK;
}

/*
 * Checks what follows a delimiter at body[i]: "--" for the closing
 * delimiter, then transport padding and the end of the body or a CRLF
 * (the epilogue follows); else transport padding and a CRLF, and a part
 * starts at *next.  Returns MP_OK with *closing set, or MP_ESYNTAX.
 */
static enum mp_err
mp_after_delim(const uint8_t *body, size_t len, size_t i, int *closing,
    size_t *next)
{
	*closing = len - i >= 2 && body[i] == '-' && body[i + 1] == '-';
	if (*closing)
		i += 2;
	i = mp_skip_ows(body, len, i);
	if (*closing && i == len)
		return MP_OK;
	if (len - i < 2 || body[i] != '\r' || body[i + 1] != '\n')
		return MP_ESYNTAX;
	*next = i + 2;
	return MP_OK;
}

/* Frees the strings of pt and zeroes it. */
static void
mp_part_free(struct mp_part *pt)
{
	free(pt->name);
	free(pt->filename);
	free(pt->content_type);
	memset(pt, 0, sizeof(*pt));
}

/*
 * Parses the len bytes at body (which may be NULL when len is 0) with the
 * given boundary (as from multipart_boundary()) into out, which is
 * overwritten without being freed.  Returns MP_OK with out filled (the
 * caller releases it with multipart_clear(); part data point into body),
 * or another enum mp_err with out empty and nothing allocated.  Errors are
 * reported for the first offending part.
 */
enum mp_err
multipart_parse(const uint8_t *body, size_t len, const char *boundary,
    struct multipart *out)
{
	struct multipart	 m = { NULL, 0 };
	struct mp_part		 pt;
	char			 delim[MP_DELIM_MAX];
	const uint8_t		*d;
	enum mp_err		 err = MP_OK;
	size_t			 blen, dlen, i, next = 0;
	int			 closing;

	out->parts = NULL;
	out->n = 0;
	if (boundary == NULL)
		return MP_ENOBOUNDARY;
	blen = strnlen(boundary, MP_MAX_BOUNDARY + 1);
	if (!mp_boundary_valid(boundary, blen))
		return MP_ENOBOUNDARY;
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, blen);
	dlen = 4 + blen;

	/* The first delimiter may open the body without its CRLF. */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
		i = dlen - 2;
	else if ((d = mp_find(body, len, delim, dlen)) != NULL)
		i = (size_t)(d - body) + dlen;
	else
		return MP_ESYNTAX;
	memset(&pt, 0, sizeof(pt));
	for (;;) {
		if ((err = mp_after_delim(body, len, i, &closing, &next)) !=
		    MP_OK || closing)
			break;
		if (m.n == MP_MAX_PARTS) {
			err = MP_ETOOMANY;
			break;
		}
		if ((d = mp_find(body + next, len - next, delim, dlen)) ==
		    NULL) {
			err = MP_ESYNTAX;
			break;
		}
		err = mp_part_parse(body + next, (size_t)(d - (body + next)),
		    &pt);
		if (err == MP_OK && multipart_get(&m, pt.name) != NULL)
			err = MP_EDUP;
		if (err != MP_OK) {
			mp_part_free(&pt);
			break;
		}
		if (m.parts == NULL)
			m.parts = xcalloc(MP_MAX_PARTS, sizeof(*m.parts));
		m.parts[m.n++] = pt;
		memset(&pt, 0, sizeof(pt));
		i = (size_t)(d - body) + dlen;
	}
	if (err != MP_OK) {
		multipart_clear(&m);
		return err;
	}
	*out = m;
	return MP_OK;
}

/*
 * Returns the part called name (borrowed from m, valid until
 * multipart_clear()), or NULL when there is none.  m and name may be NULL.
 */
const struct mp_part *
multipart_get(const struct multipart *m, const char *name)
{
	size_t	 i;

	if (m == NULL || name == NULL)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->parts[i].name, name) == 0)
			return &m->parts[i];
	return NULL;
}

/* Frees every part and leaves m empty; m may be NULL or already empty. */
void
multipart_clear(struct multipart *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		mp_part_free(&m->parts[i]);
	free(m->parts);
	m->parts = NULL;
	m->n = 0;
}
