/*
 * scrypt through OpenSSL's EVP_KDF with checked parameters, and the salt
 * abc-worker shows for a name that has no account (kdf_fake_salt).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "log.h"
#include "scrypt.h"

#define KDF_N_MAX	(UINT64_C(1) << 20)
#define KDF_R_MAX	32
#define KDF_P_MAX	16
#define KDF_MEM_MAX	(UINT64_C(1) << 30)	/* 128 * n * r * p */
#define KDF_MEM_SLACK	(UINT64_C(1) << 20)
#define KDF_NAME_MAX	64

const struct kdf_params kdf_params_default = {
	KDF_N_DEFAULT, KDF_R_DEFAULT, KDF_P_DEFAULT
};

/*
 * Returns 1 when p is usable: n a power of two in [2, 2^20], r in [1, 32],
 * p in [1, 16] and 128 * n * r * p at most 1 GiB; 0 otherwise (or if p is
 * NULL).
 */
int
kdf_params_valid(const struct kdf_params *p)
{
	if (p == NULL || p->n < 2 || p->n > KDF_N_MAX ||
	    (p->n & (p->n - 1)) != 0 ||
	    p->r < 1 || p->r > KDF_R_MAX || p->p < 1 || p->p > KDF_P_MAX)
		return 0;
	/* At most 2^7 * 2^20 * 2^5 * 2^4: no overflow. */
	return 128 * p->n * p->r * p->p <= KDF_MEM_MAX;
}

/* Logs the thread's OpenSSL error queue under event, then clears it. */
static void
kdf_log_ossl(const char *event)
{
	char		 msg[256];
	unsigned long	 e;

	e = ERR_get_error();
	if (e == 0)
		snprintf(msg, sizeof(msg), "unknown");
	else
		ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	log_error(event, "error=\"%s\"", msg);
}

/*
 * Derives outlen bytes from password (len bytes, at most KDF_PASSWORD_MAX,
 * may be NULL when len is 0) and salt (saltlen bytes, may be NULL when 0)
 * with scrypt and the parameters p.  Returns 0, or -1 (logged) when the
 * arguments are invalid or the KDF fails; out is then zeroed.
 */
int
kdf_scrypt(const char *password, size_t len, const uint8_t *salt,
    size_t saltlen, const struct kdf_params *p, uint8_t *out, size_t outlen)
{
	OSSL_PARAM	 params[7], *q = params;
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx;
	uint64_t	 n, maxmem;
	uint32_t	 r, par;
	int		 rc = -1;

	if (out == NULL || outlen == 0)
		return -1;
	memset(out, 0, outlen);
	if (!kdf_params_valid(p)) {
		log_warn("kdf_bad_params", "n=%" PRIu64 " r=%" PRIu32
		    " p=%" PRIu32, p != NULL ? p->n : 0, p != NULL ? p->r : 0,
		    p != NULL ? p->p : 0);
		return -1;
	}
	if (len > KDF_PASSWORD_MAX || (password == NULL && len > 0) ||
	    (salt == NULL && saltlen > 0)) {
		log_warn("kdf_bad_input", "pwlen=%zu saltlen=%zu", len,
		    saltlen);
		return -1;
	}
	n = p->n;
	r = p->r;
	par = p->p;
	/* OpenSSL needs 128 * r * (n + p + 2); this bounds it from above. */
	maxmem = 128 * n * r * (par + 1) + KDF_MEM_SLACK;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)(password != NULL ? password : ""), len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(salt != NULL ? salt : (const uint8_t *)""), saltlen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	*q = OSSL_PARAM_construct_end();

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL) {
		kdf_log_ossl("kdf_fetch");
		return -1;
	}
	if ((ctx = EVP_KDF_CTX_new(kdf)) == NULL)
		kdf_log_ossl("kdf_ctx");
	else if (EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		kdf_log_ossl("kdf_derive");
		OPENSSL_cleanse(out, outlen);
	} else
		rc = 0;
	EVP_KDF_CTX_free(ctx);	/* clears its copy of the password */
	EVP_KDF_free(kdf);
	return rc;
}

/*
 * The salt shown for name when no account has it: the first 16 bytes of
 * HMAC-SHA256(secret, "abc-salt:" + lower-case name).  It is stable (the
 * same name always gets the same salt, as a real account does) and looks
 * random to whoever lacks the secret, so asking for a name's salt does not
 * tell whether the name exists.  Returns 0, or -1 when name is NULL or
 * longer than 64 bytes, the secret is empty or HMAC fails.
 */
int
kdf_fake_salt(const uint8_t *secret, size_t secretlen, const char *name,
    uint8_t salt[KDF_SALT_LEN])
{
	char		 msg[sizeof("abc-salt:") + KDF_NAME_MAX];
	uint8_t		 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	size_t		 i, n, pre = sizeof("abc-salt:") - 1;

	if (name == NULL || secret == NULL || secretlen == 0 ||
	    (n = strlen(name)) > KDF_NAME_MAX)
		return -1;
	memcpy(msg, "abc-salt:", pre);
	for (i = 0; i < n; i++)
		msg[pre + i] = (char)tolower((unsigned char)name[i]);
	if (HMAC(EVP_sha256(), secret, (int)secretlen, (const uint8_t *)msg,
	    pre + n, mac, &maclen) == NULL || maclen < KDF_SALT_LEN)
		return -1;
	memcpy(salt, mac, KDF_SALT_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

/*
 * What the database keeps of a password: SHA-256 of its scrypt key.  Since
 * abc-web derives the key and abc-worker only compares (issue 14), the key
 * is what logs in; keeping only its hash means a copy of the database
 * does not give the keys that would log in as anyone (as SCRAM's
 * StoredKey).  Returns 0, or -1 when the digest fails.
 */
int
kdf_stored_hash(const uint8_t key[KDF_HASH_LEN], uint8_t out[KDF_HASH_LEN])
{
	unsigned int	 n = KDF_HASH_LEN;

	return EVP_Digest(key, KDF_HASH_LEN, out, &n, EVP_sha256(), NULL) ==
	    1 && n == KDF_HASH_LEN ? 0 : -1;
}
