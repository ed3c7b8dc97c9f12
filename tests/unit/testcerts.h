/*
 * Test certificates for the link's unit tests, made at run time with the
 * OpenSSL API (no openssl command, nothing checked in): a CA, abc-worker's
 * server certificate (SAN IP 127.0.0.1 and ::1) and two client
 * certificates, CN "web1" and CN "web9", all ECDSA P-256, as
 * deploy/certs.sh makes them.  Files: DIR/{ca,worker,web1,web9}.{crt,key}.
 *
 * Memory: testcerts_make fills the caller's dir; testcerts_remove deletes
 * the files and the folder; testcerts_ctx returns a context the caller
 * frees with tls_ctx_free.
 */
#ifndef ABC_TESTCERTS_H
#define ABC_TESTCERTS_H

#include <stddef.h>

#include "tls.h"

#define TESTCERTS_DIR_MAX	64

int	testcerts_make(char *dir, size_t dirlen);
void	testcerts_remove(const char *dir);
void	testcerts_path(const char *dir, const char *name, const char *ext,
	    char *out, size_t outlen);
struct tls_ctx *testcerts_ctx(const char *dir, enum tls_role role,
	    const char *name);

#endif /* ABC_TESTCERTS_H */
