/*
 * scrypt, the password KDF of abc (SPEC 4.1), shared by abc-worker (which
 * still hashes passwords sent by an older abc-web) and abc-web (which
 * derives the key itself, web/kdfpool.c): OpenSSL 3's EVP_KDF "SCRYPT",
 * bounded parameters, the derived salt of a name that does not exist, and
 * the hash of a key the database keeps (kdf_stored_hash).
 * Each call holds 128 * n * r * p bytes plus 128 * n * r: about 128 MiB at
 * the defaults.  No state; the caller owns every buffer.
 */
#ifndef ABC_SCRYPT_H
#define ABC_SCRYPT_H

#include <stddef.h>
#include <stdint.h>

#define KDF_N_DEFAULT		(UINT64_C(1) << 17)
#define KDF_R_DEFAULT		8
#define KDF_P_DEFAULT		1
#define KDF_SALT_LEN		16
#define KDF_HASH_LEN		32
#define KDF_PASSWORD_MAX	1024

struct kdf_params {
	uint64_t	 n;		/* CPU/memory cost, a power of two */
	uint32_t	 r;		/* block size */
	uint32_t	 p;		/* parallelisation */
};

extern const struct kdf_params kdf_params_default;

int		 kdf_scrypt(const char *password, size_t len,
		    const uint8_t *salt, size_t saltlen,
		    const struct kdf_params *p, uint8_t *out, size_t outlen);
int		 kdf_params_valid(const struct kdf_params *p);
int		 kdf_fake_salt(const uint8_t *secret, size_t secretlen,
		    const char *name, uint8_t salt[KDF_SALT_LEN]);
int		 kdf_stored_hash(const uint8_t key[KDF_HASH_LEN],
		    uint8_t out[KDF_HASH_LEN]);

#endif /* ABC_SCRYPT_H */
