/* Bounds of the ad and campaign form fields; see field.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "field.h"
#include "abc_limits.h"
#include "utf8.h"

/* How each field is bounded and what a person is told when it is not. */
struct field_rule {
	const char	*name;		/* the form's field name */
	size_t		 min, max;	/* characters; bytes for a link */
	int		 newlines;	/* \n, \r and \t allowed */
	int		 link;		/* http(s) address, printable ASCII */
	const char	*error;
};

/* Indexed by enum field_id; every error names the field and its bound. */
static const struct field_rule field_rules[FIELD__MAX] = {
	{ "nickname", 1, LIMIT_AD_NICKNAME, 0, 0,
	    "The nickname is 1 to 40 characters, on one line." },
	{ "hover", 0, LIMIT_AD_HOVER, 0, 0,
	    "The hover text is at most 140 characters, on one line." },
	{ "url", 8, LIMIT_AD_URL, 0, 1,
	    "The link is an http:// or https:// address of at most 2000 "
	    "bytes, without spaces, quotes or angle brackets." },
	{ "name", 1, LIMIT_CAMPAIGN_NAME, 0, 0,
	    "The campaign name is 1 to 80 characters, on one line." },
	{ "description", 0, LIMIT_CAMPAIGN_DESC, 1, 0,
	    "The description is at most 2000 characters." },
	{ "reason", 1, LIMIT_REJECT_REASON, 0, 0,
	    "The reason is 1 to 200 characters, on one line." },
};

/*
 * Counts the characters of well-formed UTF-8 text, stopping once past
 * max; returns SIZE_MAX for a control byte the field does not allow.
 */
static size_t
field_chars(const uint8_t *p, size_t n, int newlines, size_t max)
{
	size_t	 i, chars = 0;

	for (i = 0; i < n && chars <= max; i++) {
		if (p[i] == 0x7f || (p[i] < 0x20 && !(newlines &&
		    (p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))))
			return SIZE_MAX;
		if ((p[i] & 0xc0) != 0x80)	/* not a continuation byte */
			chars++;
	}
	return chars;
}

/* Returns non-zero for an http(s) link of printable ASCII, as the DB has. */
static int
field_link_ok(const uint8_t *p, size_t n)
{
	size_t	 i, scheme;

	if (n >= 7 && strncmp((const char *)p, "http://", 7) == 0)
		scheme = 7;
	else if (n >= 8 && strncmp((const char *)p, "https://", 8) == 0)
		scheme = 8;
	else
		return 0;
	if (n == scheme)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '"' ||
		    p[i] == '<' || p[i] == '>')
			return 0;
	return 1;
}

/*
 * Checks the n bytes at p (any bytes, not NUL-terminated) as field f.
 * Returns NULL when they fit, else a static message for the person that
 * names the field and its bound.
 */
const char *
field_check(enum field_id f, const uint8_t *p, size_t n)
{
	const struct field_rule	*r;
	size_t			 chars;

	if ((unsigned)f >= FIELD__MAX)
		return "unknown field";
	r = &field_rules[f];
	if (r->link)
		return n <= r->max && field_link_ok(p, n) ? NULL : r->error;
	/* Four bytes at most per character: longer cannot fit. */
	if (n > 4 * r->max || !utf8_valid(p, n))
		return r->error;
	chars = field_chars(p, n, r->newlines, r->max);
	return chars >= r->min && chars <= r->max ? NULL : r->error;
}

/* The form's name of field f ("?" when out of range). */
const char *
field_name(enum field_id f)
{
	return (unsigned)f < FIELD__MAX ? field_rules[f].name : "?";
}
