/*
 * The repeatable SQL function files (sql/functions/<name>.sql): the
 * "-- requires: a, b" lines of a file's leading comment block, the order
 * that applies every file after the ones it requires (name order
 * otherwise), and the SHA-256 checksum recorded for every migration file.
 * Pure logic, no I/O: callers own every array passed in; nothing here
 * allocates.
 */
#ifndef ABC_SQLFN_H
#define ABC_SQLFN_H

#include <stddef.h>

#define SQLFN_NAME_MAX	64	/* a name's bytes, counting the NUL */
#define SQLFN_REQ_MAX	8	/* requirements per file */
#define SQLFN_HEX_LEN	65	/* SHA-256 in hex, counting the NUL */

struct sqlfn_file {
	char	 name[SQLFN_NAME_MAX];		/* file name without ".sql" */
	char	 req[SQLFN_REQ_MAX][SQLFN_NAME_MAX];
	size_t	 nreq;
};

int	sqlfn_name_ok(const char *name, size_t len);
int	sqlfn_requires(const char *text, size_t len, struct sqlfn_file *f);
int	sqlfn_order(const struct sqlfn_file *files, size_t n, size_t *order,
	    char *why, size_t whylen);
int	sqlfn_sha256_hex(const void *data, size_t len,
	    char hex[SQLFN_HEX_LEN]);

#endif /* ABC_SQLFN_H */
