/*
 * abc-web's half of password handling (issue 14): it asks abc-worker for
 * a name's salt and scrypt parameters (the kdf_params op), derives the key
 * on the hashing pool (web/kdfpool.c) and puts only the key in the
 * request, so a password never crosses the link and the hashing scales
 * with the front-ends.  abc-worker compares the key in constant time.
 *
 * Each function returns ACCTKEY_OK when req now carries the key fields,
 * ACCTKEY_FAIL with *fail set to a failed reply (a msg reply the caller
 * shows as it would abc-worker's, then puts: busy, rate_limited, ...), or
 * ACCTKEY_ANSWERED when the page was already answered (the link did not
 * answer in time).  req stays the caller's; passwords are only read and
 * every key buffer is wiped.
 */
#ifndef ABC_ACCTKEY_H
#define ABC_ACCTKEY_H

#include <json-c/json.h>

#include "scrypt.h"

struct http_req;

enum acctkey_rc {
	ACCTKEY_OK = 0,
	ACCTKEY_FAIL,
	ACCTKEY_ANSWERED
};

/* A new credential made by acctkey_new: what login can reuse. */
struct acctkey_new {
	uint8_t			 key[KDF_HASH_LEN];
	uint8_t			 salt[KDF_SALT_LEN];
	struct kdf_params	 params;
};

enum acctkey_rc	 acctkey_check(struct http_req *r, struct json_object *req,
		    const char *user, const char *pw, const char *field,
		    struct json_object **fail);
enum acctkey_rc	 acctkey_register(struct http_req *r,
		    struct json_object *req, const char *user, const char *pw,
		    struct acctkey_new *made, struct json_object **fail);
enum acctkey_rc	 acctkey_change(struct http_req *r, struct json_object *req,
		    const char *user, const char *old, const char *pw,
		    struct json_object **fail);
void		 acctkey_put_hex(struct json_object *req, const char *field,
		    const uint8_t *p, size_t len);

#endif /* ABC_ACCTKEY_H */
