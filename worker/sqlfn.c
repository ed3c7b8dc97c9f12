/*
 * Ordering and checksums of SQL migration files (see sqlfn.h).  A
 * SQL-language function body is checked when it is created, so a file
 * whose function calls another names it in a "-- requires:" line and is
 * applied after it; the rest go in name order, so the order never depends
 * on the directory listing.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sqlfn.h"

#define REQ_TAG		"-- requires:"

/* 1 when name is a plain SQL identifier fit for a file name: [a-z0-9_]. */
int
sqlfn_name_ok(const char *name, size_t len)
{
	size_t	 i;

	if (len == 0 || len >= SQLFN_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

/* Adds the comma- or blank-separated names of one requires line. */
static int
sqlfn_requires_line(const char *p, const char *end, struct sqlfn_file *f)
{
	const char	*w;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ',' ||
		    *p == '\r'))
			p++;
		if (p == end)
			return 0;
		for (w = p; p < end && *p != ' ' && *p != '\t' && *p != ',' &&
		    *p != '\r'; p++)
			;
		if (!sqlfn_name_ok(w, (size_t)(p - w)) ||
		    f->nreq == SQLFN_REQ_MAX)
			return -1;
		memcpy(f->req[f->nreq], w, (size_t)(p - w));
		f->req[f->nreq][p - w] = '\0';
		f->nreq++;
	}
}

/*
 * Reads the "-- requires:" lines of the comment block that opens text
 * (lines starting with "--", blank lines allowed; the first other line
 * ends it) into f->req.  Returns 0, or -1 on a bad name or too many.
 */
int
sqlfn_requires(const char *text, size_t len, struct sqlfn_file *f)
{
	const char	*p = text, *end = text + len, *eol;

	f->nreq = 0;
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) >= sizeof(REQ_TAG) - 1 &&
		    memcmp(p, REQ_TAG, sizeof(REQ_TAG) - 1) == 0) {
			if (sqlfn_requires_line(p + sizeof(REQ_TAG) - 1, eol,
			    f) != 0)
				return -1;
		} else if (!(eol - p >= 2 && p[0] == '-' && p[1] == '-') &&
		    !(eol == p || (eol - p == 1 && p[0] == '\r')))
			break;
		p = eol < end ? eol + 1 : end;
	}
	return 0;
}

/* Index of the file called name, or n when there is none. */
static size_t
sqlfn_find(const struct sqlfn_file *files, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(files[i].name, name) == 0)
			return i;
	return n;
}

/* 1 when every file f requires is in done[]. */
static int
sqlfn_ready(const struct sqlfn_file *files, size_t n, size_t f,
    const unsigned char *done)
{
	size_t	 r;

	for (r = 0; r < files[f].nreq; r++)
		if (!done[sqlfn_find(files, n, files[f].req[r])])
			return 0;
	return 1;
}

/*
 * Fills order[0..n-1] with indexes into files (which must be sorted by
 * name and hold at most 1024): at each step the first file by name whose
 * requirements are all placed.  Returns 0, or -1 with why set when a file
 * requires an unknown one or requirements form a cycle.
 */
int
sqlfn_order(const struct sqlfn_file *files, size_t n, size_t *order,
    char *why, size_t whylen)
{
	unsigned char	 done[1025];
	size_t		 placed, i, r;

	if (n > 1024) {
		snprintf(why, whylen, "more than 1024 function files");
		return -1;
	}
	for (i = 0; i < n; i++)
		for (r = 0; r < files[i].nreq; r++)
			if (sqlfn_find(files, n, files[i].req[r]) == n) {
				snprintf(why, whylen, "%s requires %s, which "
				    "has no file", files[i].name,
				    files[i].req[r]);
				return -1;
			}
	memset(done, 0, sizeof(done));
	done[n] = 1;	/* sqlfn_find's "none": never reached, see above */
	for (placed = 0; placed < n; placed++) {
		for (i = 0; i < n; i++)
			if (!done[i] && sqlfn_ready(files, n, i, done))
				break;
		if (i == n) {
			for (i = 0; done[i]; i++)
				;
			snprintf(why, whylen, "requires lines form a cycle "
			    "through %s", files[i].name);
			return -1;
		}
		done[i] = 1;
		order[placed] = i;
	}
	return 0;
}

/* SHA-256 of data as 64 lowercase hex digits; 0, or -1 (OpenSSL failed). */
int
sqlfn_sha256_hex(const void *data, size_t len, char hex[SQLFN_HEX_LEN])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
