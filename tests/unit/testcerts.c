/* Test certificates made with the OpenSSL API, see testcerts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testcerts.h"

void
testcerts_path(const char *dir, const char *name, const char *ext,
    char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s.%s", dir, name, ext);
}

/*
 * A TLS context of role with name's certificate and key (worker, web1 or
 * web9), trusting the test CA; NULL on failure.
 */
struct tls_ctx *
testcerts_ctx(const char *dir, enum tls_role role, const char *name)
{
	char	 ca[256], crt[256], key[256], err[256];

	testcerts_path(dir, "ca", "crt", ca, sizeof(ca));
	testcerts_path(dir, name, "crt", crt, sizeof(crt));
	testcerts_path(dir, name, "key", key, sizeof(key));
	return tls_ctx_new(role, ca, crt, key, err, sizeof(err));
}

/* Adds extension nid=value to cert, issued by issuer; 0 or -1. */
static int
testcerts_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 rc;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	rc = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/*
 * Makes a certificate for key with CN cn, signed by ca_key as ca (or
 * self-signed when ca is NULL), with the extensions of its role.
 */
static X509 *
testcerts_cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key,
    const char *const *exts, const int *nids, long serial)
{
	X509		*c;
	X509_NAME	*name;
	int		 i;

	if ((c = X509_new()) == NULL)
		return NULL;
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"abc test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, ca != NULL ? X509_get_subject_name(ca) : name);
	for (i = 0; exts[i] != NULL; i++)
		if (testcerts_ext(c, ca != NULL ? ca : c, nids[i], exts[i]) != 0)
			goto fail;
	if (X509_sign(c, ca_key != NULL ? ca_key : key, EVP_sha256()) == 0)
		goto fail;
	return c;
fail:
	X509_free(c);
	return NULL;
}

/* Writes name.key and name.crt into dir; 0 or -1. */
static int
testcerts_write(const char *dir, const char *name, EVP_PKEY *key, X509 *c)
{
	char	 path[256];
	FILE	*f;
	int	 ok;

	testcerts_path(dir, name, "key", path, sizeof(path));
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || !ok)
		return -1;
	testcerts_path(dir, name, "crt", path, sizeof(path));
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	ok = PEM_write_X509(f, c);
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Makes, signs with the CA and writes one leaf; 0 or -1. */
static int
testcerts_leaf(const char *dir, const char *name, X509 *ca, EVP_PKEY *ca_key,
    const char *const *exts, const int *nids, long serial)
{
	EVP_PKEY	*key;
	X509		*c = NULL;
	int		 rc = -1;

	if ((key = EVP_EC_gen("P-256")) != NULL &&
	    (c = testcerts_cert(key, name, ca, ca_key, exts, nids,
	    serial)) != NULL)
		rc = testcerts_write(dir, name, key, c);
	X509_free(c);
	EVP_PKEY_free(key);
	return rc;
}

/*
 * Makes a fresh folder under /tmp (its path in dir) holding the CA, the
 * worker's and two clients' certificates and keys.  Returns 0, or -1.
 */
int
testcerts_make(char *dir, size_t dirlen)
{
	static const char *const ca_ext[] = { "critical,CA:TRUE,pathlen:0",
	    "critical,keyCertSign,cRLSign", NULL };
	static const int ca_nid[] = { NID_basic_constraints, NID_key_usage };
	static const char *const srv_ext[] = { "critical,CA:FALSE",
	    "critical,digitalSignature", "serverAuth",
	    "IP:127.0.0.1,IP:::1,DNS:localhost", NULL };
	static const int srv_nid[] = { NID_basic_constraints, NID_key_usage,
	    NID_ext_key_usage, NID_subject_alt_name };
	static const char *const cli_ext[] = { "critical,CA:FALSE",
	    "critical,digitalSignature", "clientAuth", NULL };
	static const int cli_nid[] = { NID_basic_constraints, NID_key_usage,
	    NID_ext_key_usage };
	EVP_PKEY	*ca_key = NULL;
	X509		*ca = NULL;
	int		 rc = -1;

	if (dirlen < TESTCERTS_DIR_MAX)
		return -1;
	snprintf(dir, dirlen, "/tmp/abc-testcerts.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	if ((ca_key = EVP_EC_gen("P-256")) == NULL ||
	    (ca = testcerts_cert(ca_key, "abc test CA", NULL, NULL, ca_ext,
	    ca_nid, 1)) == NULL ||
	    testcerts_write(dir, "ca", ca_key, ca) != 0 ||
	    testcerts_leaf(dir, "worker", ca, ca_key, srv_ext, srv_nid, 2) ||
	    testcerts_leaf(dir, "web1", ca, ca_key, cli_ext, cli_nid, 3) ||
	    testcerts_leaf(dir, "web9", ca, ca_key, cli_ext, cli_nid, 4))
		goto out;
	rc = 0;
out:
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

/* Deletes what testcerts_make wrote. */
void
testcerts_remove(const char *dir)
{
	static const char *const names[] = { "ca", "worker", "web1", "web9" };
	char	 path[256];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		testcerts_path(dir, names[i], "crt", path, sizeof(path));
		(void)unlink(path);
		testcerts_path(dir, names[i], "key", path, sizeof(path));
		(void)unlink(path);
	}
	(void)rmdir(dir);
}
