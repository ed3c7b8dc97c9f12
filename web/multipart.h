/*
 * Strict, bounded parser for multipart/form-data request bodies (RFC 7578
 * over RFC 2046), used by the ad upload form (SPEC 4.3 and 9: nickname,
 * hover, url, image).  The whole body is in memory; nothing is streamed.
 *
 * multipart_boundary() takes the boundary from the request's Content-Type.
 * multipart_parse() then splits the body: the preamble before the first
 * delimiter and the epilogue after the closing "--boundary--" are ignored,
 * and the closing delimiter is required.  Lines end in CRLF, as browsers
 * send them; a bare LF is not a line end.  A delimiter may be followed by
 * spaces and tabs (RFC 2046 transport padding) and nothing else: the
 * boundary text followed by other bytes is a syntax error, never data.
 *
 * Each part has at most MP_MAX_HEADER bytes of header lines (counting
 * their CRLFs, not the blank line) and must carry exactly one
 * "Content-Disposition: form-data; name=..." with a name of 1 to
 * MP_MAX_NAME bytes of [A-Za-z0-9_.-], unique within the body.  Parameter
 * values are tokens or quoted strings, where a backslash quotes the next
 * byte (so filename="a\"b" is a"b; browsers write %22 instead, which is
 * kept as is).  An optional filename parameter makes the part a file part
 * (its filename may be ""); it must be valid UTF-8 without control
 * characters.  An optional Content-Type header (printable ASCII) is kept
 * as text, for information only: callers decide what a file is from its
 * bytes.  Other headers and parameters are ignored.  The value of a part
 * without a filename must be valid UTF-8 without NUL bytes; a file part's
 * data is arbitrary bytes.  A body has at most MP_MAX_PARTS parts.
 *
 * Memory: the caller owns struct multipart and releases it with
 * multipart_clear().  It owns its parts array and every name, filename
 * and content_type string in it.  The data of each part is borrowed: it
 * points into the body given to multipart_parse(), which must outlive the
 * struct multipart.  A part returned by multipart_get() is borrowed from
 * the struct multipart and valid until multipart_clear().
 */
#ifndef ABC_MULTIPART_H
#define ABC_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "abc_limits.h"

#define MP_MAX_PARTS	LIMIT_MP_PARTS		/* parts per body */
#define MP_MAX_HEADER	LIMIT_MP_HEADER		/* header bytes per part */
#define MP_MAX_NAME	LIMIT_MP_NAME		/* bytes per field name */
#define MP_MAX_BOUNDARY	LIMIT_MP_BOUNDARY	/* bytes per boundary */

struct mp_part {
	char		*name;		/* owned, NUL-terminated */
	char		*filename;	/* owned, NULL if none, may be "" */
	char		*content_type;	/* owned, NULL if none */
	const uint8_t	*data;		/* borrowed: points into the body */
	size_t		 len;		/* bytes at data */
};

struct multipart {
	struct mp_part	*parts;		/* owned, NULL when n == 0 */
	size_t		 n;		/* parts in use */
};

enum mp_err {
	MP_OK = 0,
	MP_ENOBOUNDARY,		/* the boundary argument is not valid */
	MP_ESYNTAX,		/* delimiters missing, misplaced or malformed */
	MP_ETOOMANY,		/* more than MP_MAX_PARTS parts */
	MP_EHEADER,		/* malformed headers, no usable disposition */
	MP_EDUP,		/* the same name twice */
	MP_ETOOLARGE,		/* headers longer than MP_MAX_HEADER */
	MP_EUTF8,		/* text value or filename not UTF-8, or NUL */
	MP_ERR__MAX
};

int		 multipart_boundary(const char *content_type, char *out,
		    size_t outlen);
const char	*multipart_strerror(enum mp_err e);
enum mp_err	 multipart_parse(const uint8_t *body, size_t len,
		    const char *boundary, struct multipart *out);
const struct mp_part *multipart_get(const struct multipart *m,
		    const char *name);
void		 multipart_clear(struct multipart *m);

#endif /* ABC_MULTIPART_H */
