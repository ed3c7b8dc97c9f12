/*
 * Strict, bounded parser for application/x-www-form-urlencoded text: HTML
 * form POST bodies and URL query strings (SPEC 9).
 *
 * Fields are separated by '&' (empty segments are skipped) and written
 * name=value; without '=' the value is empty.  '+' decodes to a space and
 * %XX (hex digits in any case) to the byte XX.  Decoded names and values
 * must be valid UTF-8 without NUL.  A name is 1 to FORM_MAX_NAME bytes of
 * [A-Za-z0-9_.-] and appears at most once; a value is at most
 * FORM_MAX_VALUE bytes decoded; a form has at most FORM_MAX_FIELDS fields.
 *
 * Memory: the caller owns struct form (usually on the stack or in the
 * request context) and releases it with form_clear().  The form owns its
 * fields array and every name and value in it.  A value returned by
 * form_get() is borrowed from the form and valid until form_clear().
 */
#ifndef ABC_FORM_H
#define ABC_FORM_H

#include <stddef.h>

#include "abc_limits.h"

#define FORM_MAX_FIELDS	LIMIT_FORM_FIELDS	/* fields per form */
#define FORM_MAX_NAME	LIMIT_FORM_NAME		/* bytes per decoded name */
#define FORM_MAX_VALUE	LIMIT_FORM_VALUE	/* bytes per decoded value */

struct form_field {
	char	*name;		/* owned, NUL-terminated */
	char	*value;		/* owned, NUL-terminated, may be "" */
	size_t	 value_len;	/* bytes in value, not counting the NUL */
};

struct form {
	struct form_field	*fields;	/* owned, NULL when n == 0 */
	size_t			 n;		/* fields in use */
};

enum form_err {
	FORM_OK = 0,
	FORM_EBADESC,		/* '%' not followed by two hex digits */
	FORM_EUTF8,		/* a name or value is not valid UTF-8 */
	FORM_ENUL,		/* a name or value holds a NUL byte */
	FORM_ETOOMANY,		/* more than FORM_MAX_FIELDS fields */
	FORM_ENAME,		/* name empty, too long or bad characters */
	FORM_ETOOLONG,		/* value longer than FORM_MAX_VALUE */
	FORM_EDUP,		/* the same name twice */
	FORM_ERR__MAX
};

const char	*form_strerror(enum form_err e);
enum form_err	 form_parse(const char *s, size_t len, struct form *out);
const char	*form_get(const struct form *f, const char *name);
void		 form_clear(struct form *f);

/*
 * Where a login may send the browser back to: a path of this site with an
 * optional query, at most FORM_LOCAL_MAX bytes of [A-Za-z0-9/_.=&-] and
 * one '?', starting with '/' but not "//" (another host).  1 or 0.
 */
#define FORM_LOCAL_MAX	200
int		 form_local_path(const char *s);
/*
 * Percent-encodes s for a query value into out (len bytes, NUL-ended):
 * [A-Za-z0-9/_.-] stay, every other byte becomes %XX.  0, or -1 (out
 * "") when it does not fit.
 */
int		 form_encode(const char *s, char *out, size_t len);

#endif /* ABC_FORM_H */
