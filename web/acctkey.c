/*
 * Deriving password keys on abc-web: one kdf_params round trip to
 * abc-worker, then scrypt on the hashing pool.  A new credential gets a
 * fresh random salt from this process and the parameters abc-worker names
 * for new hashes (it refuses any others).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "acctkey.h"
#include "hex.h"
#include "http.h"
#include "kdfpool.h"
#include "msg.h"

#define ACCTKEY_PW_MIN	10

/* Adds len bytes as lowercase hex under field. */
void
acctkey_put_hex(struct json_object *req, const char *field, const uint8_t *p,
    size_t len)
{
	char	 s[2 * 64 + 1];

	if (len > 64)
		return;
	hex_encode(p, len, s);
	json_object_object_add(req, field, json_object_new_string(s));
	OPENSSL_cleanse(s, sizeof(s));
}

/* Reads the parameters named pre+"n", pre+"r", pre+"p"; 0, or -1. */
static int
acctkey_params(struct json_object *rep, const char *pre,
    struct kdf_params *kp)
{
	char	 k[8];
	int64_t	 n = 0, r = 0, p = 0;

	snprintf(k, sizeof(k), "%sn", pre);
	if (msg_get_int(rep, k, &n) != 0)
		return -1;
	snprintf(k, sizeof(k), "%sr", pre);
	if (msg_get_int(rep, k, &r) != 0)
		return -1;
	snprintf(k, sizeof(k), "%sp", pre);
	if (msg_get_int(rep, k, &p) != 0 || n < 2 || r < 1 || p < 1 ||
	    r > UINT32_MAX || p > UINT32_MAX)
		return -1;
	kp->n = (uint64_t)n;
	kp->r = (uint32_t)r;
	kp->p = (uint32_t)p;
	return kdf_params_valid(kp) ? 0 : -1;
}

/*
 * Asks abc-worker for user's salt and parameters ("for": purpose) and the
 * parameters of a new credential.  ACCTKEY_OK with salt, kp and nkp set.
 */
static enum acctkey_rc
acctkey_ask(struct http_req *r, const char *user, const char *purpose,
    uint8_t salt[KDF_SALT_LEN], struct kdf_params *kp,
    struct kdf_params *nkp, struct json_object **fail)
{
	struct json_object	*req, *rep = NULL;
	int			 ok = 0;

	req = msg_request_new(MSG_OP_KDF_PARAMS);
	json_object_object_add(req, "addr", json_object_new_string(r->addr));
	json_object_object_add(req, "username",
	    json_object_new_string(user != NULL ? user : ""));
	json_object_object_add(req, "for", json_object_new_string(purpose));
	if (http_call(r, req, &rep) != 0) {
		json_object_put(req);
		return ACCTKEY_ANSWERED;
	}
	json_object_put(req);
	if (msg_get_bool(rep, "ok", &ok) != 0 || !ok) {
		*fail = rep;
		return ACCTKEY_FAIL;
	}
	if (hex_decode(msg_get_str(rep, "salt"), salt, KDF_SALT_LEN) != 0 ||
	    acctkey_params(rep, "", kp) != 0 ||
	    acctkey_params(rep, "new_", nkp) != 0) {
		json_object_put(rep);
		*fail = msg_reply_fail(MSG_CODE_INTERNAL, "abc-worker's salt "
		    "answer is unreadable.");
		return ACCTKEY_FAIL;
	}
	json_object_put(rep);
	return ACCTKEY_OK;
}

/* Derives pw's key on the pool; ACCTKEY_OK, or ACCTKEY_FAIL (busy). */
static enum acctkey_rc
acctkey_derive(struct http_req *r, const char *pw, const uint8_t *salt,
    const struct kdf_params *kp, uint8_t key[KDF_HASH_LEN],
    struct json_object **fail)
{
	size_t	 n = pw != NULL ? strlen(pw) : 0;

	switch (kdfpool_derive(r->app->kdf, pw, n, salt, KDF_SALT_LEN, kp,
	    key, KDF_HASH_LEN)) {
	case KDFPOOL_OK:
		return ACCTKEY_OK;
	case KDFPOOL_BUSY:
		*fail = msg_reply_fail(MSG_CODE_BUSY, "The server is busy; "
		    "try again in a moment.");
		return ACCTKEY_FAIL;
	case KDFPOOL_FAILED:
		break;
	}
	*fail = msg_reply_fail(n > KDF_PASSWORD_MAX ? MSG_CODE_INVALID :
	    MSG_CODE_INTERNAL, n > KDF_PASSWORD_MAX ? "A password is 10 to "
	    "1024 characters long." : "Password hashing failed.");
	return ACCTKEY_FAIL;
}

/* ACCTKEY_FAIL with "invalid" unless pw is 10 to 1024 bytes long. */
static enum acctkey_rc
acctkey_length(const char *pw, struct json_object **fail)
{
	size_t	 n = pw != NULL ? strlen(pw) : 0;

	if (n >= ACCTKEY_PW_MIN && n <= KDF_PASSWORD_MAX)
		return ACCTKEY_OK;
	*fail = msg_reply_fail(MSG_CODE_INVALID, "A password is 10 to 1024 "
	    "characters long.");
	return ACCTKEY_FAIL;
}

/*
 * The key of a login or a re-entered password: user's salt, pw's key,
 * which goes into req as field + "_key".
 */
enum acctkey_rc
acctkey_check(struct http_req *r, struct json_object *req, const char *user,
    const char *pw, const char *field, struct json_object **fail)
{
	struct kdf_params	 kp, nkp;
	uint8_t			 salt[KDF_SALT_LEN], key[KDF_HASH_LEN];
	char			 name[40];
	enum acctkey_rc		 rc;

	/* A password too long to hash is wrong, as abc-worker said before. */
	if (pw != NULL && strlen(pw) > KDF_PASSWORD_MAX)
		pw = "";
	if ((rc = acctkey_ask(r, user, "login", salt, &kp, &nkp,
	    fail)) != ACCTKEY_OK)
		return rc;
	if ((rc = acctkey_derive(r, pw, salt, &kp, key, fail)) != ACCTKEY_OK)
		return rc;
	snprintf(name, sizeof(name), "%s_key", field);
	acctkey_put_hex(req, name, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	return ACCTKEY_OK;
}

/*
 * A new credential for pw with a fresh salt and abc-worker's parameters
 * for new hashes, into req as keyf, saltf, "n", "r", "p"; made (may be
 * NULL) gets a copy the caller wipes.
 */
static enum acctkey_rc
acctkey_make(struct http_req *r, struct json_object *req, const char *pw,
    const struct kdf_params *nkp, const char *keyf, const char *saltf,
    struct acctkey_new *made, struct json_object **fail)
{
	struct acctkey_new	 nc;
	enum acctkey_rc		 rc;

	memset(&nc, 0, sizeof(nc));
	nc.params = *nkp;
	if (RAND_bytes(nc.salt, sizeof(nc.salt)) != 1) {
		*fail = msg_reply_fail(MSG_CODE_INTERNAL, "No randomness for "
		    "a salt.");
		return ACCTKEY_FAIL;
	}
	if ((rc = acctkey_derive(r, pw, nc.salt, nkp, nc.key, fail)) !=
	    ACCTKEY_OK)
		return rc;
	acctkey_put_hex(req, keyf, nc.key, sizeof(nc.key));
	acctkey_put_hex(req, saltf, nc.salt, sizeof(nc.salt));
	json_object_object_add(req, "n", json_object_new_int64((int64_t)
	    nkp->n));
	json_object_object_add(req, "r", json_object_new_int64(nkp->r));
	json_object_object_add(req, "p", json_object_new_int64(nkp->p));
	if (made != NULL)
		*made = nc;
	OPENSSL_cleanse(&nc, sizeof(nc));
	return ACCTKEY_OK;
}

/*
 * A registration: abc-worker checks the name and the rate limits first
 * (kdf_params "for": "register"), then the new key goes into req as
 * "key", "salt", "n", "r", "p".
 */
enum acctkey_rc
acctkey_register(struct http_req *r, struct json_object *req,
    const char *user, const char *pw, struct acctkey_new *made,
    struct json_object **fail)
{
	struct kdf_params	 kp, nkp;
	uint8_t			 salt[KDF_SALT_LEN];
	enum acctkey_rc		 rc;

	if ((rc = acctkey_length(pw, fail)) != ACCTKEY_OK ||
	    (rc = acctkey_ask(r, user, "register", salt, &kp, &nkp,
	    fail)) != ACCTKEY_OK)
		return rc;
	return acctkey_make(r, req, pw, &nkp, "key", "salt", made, fail);
}

/*
 * A password change: the old password's key as "old_key", the new
 * credential as "new_key", "new_salt", "n", "r", "p".
 */
enum acctkey_rc
acctkey_change(struct http_req *r, struct json_object *req, const char *user,
    const char *old, const char *pw, struct json_object **fail)
{
	struct kdf_params	 kp, nkp;
	uint8_t			 salt[KDF_SALT_LEN], key[KDF_HASH_LEN];
	enum acctkey_rc		 rc;

	if ((rc = acctkey_length(pw, fail)) != ACCTKEY_OK ||
	    (rc = acctkey_ask(r, user, "login", salt, &kp, &nkp,
	    fail)) != ACCTKEY_OK)
		return rc;
	if (old != NULL && strlen(old) > KDF_PASSWORD_MAX)
		old = "";
	if ((rc = acctkey_derive(r, old, salt, &kp, key, fail)) != ACCTKEY_OK)
		return rc;
	acctkey_put_hex(req, "old_key", key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	return acctkey_make(r, req, pw, &nkp, "new_key", "new_salt", NULL,
	    fail);
}
