/*
 * The link's message bodies: what a REQUEST, REPLY or NOTICE frame carries.
 * Bodies are JSON objects; a request names its operation in "op", a reply
 * says "ok" and either its fields or "error".  This module is the only
 * place that knows these shapes.
 *
 * Ownership: msg_parse returns a json-c object holding one reference that
 * the caller drops with json_object_put.  msg_get_* borrow from the object.
 */
#ifndef ABC_MSG_H
#define ABC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "abc_err.h"
#include "price.h"

/*
 * The protocol's vocabulary, each word defined once here (like APP_ERR_MAP
 * in abc_err.h): operations, reply codes and notice kinds.  The enums and
 * the wire names come from the same table, so a name cannot drift from
 * its constant; tests/unit/test_vocab.c checks that every code the SQL
 * functions (sql/functions/NAME.sql) can answer is in MSG_CODE_MAP.
 *
 * Operations: X(constant suffix, wire name).  Which request module serves
 * an op, and how, is abc-worker's request table (worker/ops_req.h).  The
 * fields: status (worker health: database and bitcoind), echo ("data"
 * back; benchmarks), counter_add ("key" += "n", once: the durable test
 * op), broadcast (a test notice "kind"); register and login (username,
 * password, addr; login -> token), session (token -> user, username),
 * logout and logout_all (token), password (token, old, new), account
 * (token -> balance, lists), history_purge (token, password), new_address
 * (token -> address); campaign_create (token, name, ..., idem -> id),
 * campaign_get (id -> state), campaign_list, ad_create (token, nickname,
 * hover, url, image in base64), my_ads and my_campaigns (token), buy
 * (token, campaign, slot, ad, max_price, idem), image_get (sha256 ->
 * mime, data), withdraw (token, address, amount in sat, password, idem),
 * my_slot (token, campaign, slot: a slot's figures for its buyer),
 * kdf_params (username, for = login | register -> salt, n, r, p of the
 * name's credential, new_n, new_r, new_p of a new one; issue 14: abc-web
 * then sends password_key / old_key / key + salt instead of passwords).
 * stats_flush (idem, rows, uniq: abc-web's counters, common/statsbatch.h).
 * Moderation (worker/req_moderation.c): my_approvals (token -> pending,
 * reviewed, blocks, campaigns), campaign_review (token, campaign, slot,
 * approve, reason, idem), campaign_settings (token, id, requires_approval,
 * review_s, idem), seller_block (token, kind, target, on, idem).
 * mime, data), withdraw (token, address, amount in sat, password, idem,
 * code when 2FA is on), my_slot (token, campaign, slot: a slot's figures
 * for its buyer).  2FA: totp_begin (token -> secret, uri),
 * totp_enable (token, code, idem -> recovery), totp_disable (token, code
 * or recovery code, idem), login_totp (pending, code, addr -> as login),
 * payout_set (token, address, password, code, idem), security (token ->
 * totp, payout_address, frozen_until_ms).
 * mime, data), withdraw (token, address, amount in sat, password, idem);
 * webhooks (token -> endpoints, each with its last deliveries),
 * webhook_add (token, url, idem), webhook_delete (token, id, idem),
 * webhook_redeliver (token, id of a delivery, idem): worker/req_webhook.c.
 */
#define MSG_OP_MAP(X)					\
	X(STATUS,		"status")		\
	X(ECHO,			"echo")			\
	X(COUNTER_ADD,		"counter_add")		\
	X(BROADCAST,		"broadcast")		\
	X(REGISTER,		"register")		\
	X(LOGIN,		"login")		\
	X(SESSION,		"session")		\
	X(LOGOUT,		"logout")		\
	X(LOGOUT_ALL,		"logout_all")		\
	X(PASSWORD,		"password")		\
	X(ACCOUNT,		"account")		\
	X(PURGE,		"history_purge")	\
	X(NEW_ADDRESS,		"new_address")		\
	X(CAMPAIGN_CREATE,	"campaign_create")	\
	X(CAMPAIGN_GET,		"campaign_get")		\
	X(CAMPAIGN_LIST,	"campaign_list")	\
	X(AD_CREATE,		"ad_create")		\
	X(MY_ADS,		"my_ads")		\
	X(BUY,			"buy")			\
	X(IMAGE_GET,		"image_get")		\
	X(WITHDRAW,		"withdraw")		\
	X(MY_CAMPAIGNS,		"my_campaigns")		\
	X(MY_SLOT,		"my_slot")		\
	X(KDF_PARAMS,		"kdf_params")		\
	X(STATS_FLUSH,		"stats_flush")	\
	X(MY_APPROVALS,		"my_approvals")		\
	X(CAMPAIGN_REVIEW,	"campaign_review")	\
	X(CAMPAIGN_SETTINGS,	"campaign_settings")	\
	X(SELLER_BLOCK,		"seller_block")	\
	/* Issue 15, API keys (worker/req_apikey.c): apikey_create (token,	\
	 * name, scopes, idem, totp -> id, prefix, key shown once),		\
	 * apikey_revoke (token, id, idem), apikey_list (token), apikey_auth	\
	 * (api_key -> user, username, key_id, scopes), api_campaigns		\
	 * (token or api_key -> campaigns with figures).  my_ads, buy,	\
	 * ad_create and api_campaigns take "api_key" in place of "token". */	\
	X(APIKEY_CREATE,	"apikey_create")	\
	X(APIKEY_REVOKE,	"apikey_revoke")	\
	X(APIKEY_LIST,		"apikey_list")		\
	X(APIKEY_AUTH,		"apikey_auth")		\
	X(API_CAMPAIGNS,	"api_campaigns")	\
	/* 2FA and payout safety (worker/req_totp.c) */	\
	X(TOTP_BEGIN,		"totp_begin")		\
	X(TOTP_ENABLE,		"totp_enable")		\
	X(TOTP_DISABLE,		"totp_disable")		\
	X(LOGIN_TOTP,		"login_totp")		\
	X(PAYOUT_SET,		"payout_set")		\
	X(SECURITY,		"security")	\
	X(WEBHOOKS,		"webhooks")		\
	X(WEBHOOK_ADD,		"webhook_add")		\
	X(WEBHOOK_DELETE,	"webhook_delete")	\
	X(WEBHOOK_REDELIVER,	"webhook_redeliver")

enum msg_op {
#define MSG_OP_ENUM(id, wire)	MSG_OP_##id,
	MSG_OP_MAP(MSG_OP_ENUM)
#undef MSG_OP_ENUM
	MSG_OP__MAX
};

/*
 * What a failed reply's code tells abc-web.  ABSENT: a successful read
 * found nothing (only these may log a user out or answer 404).  RETRY:
 * abc-worker could not tell (the database failed, the hashing pool is
 * full), answered "try again".  REFUSAL: a definite no.
 */
enum msg_class {
	MSG_REFUSAL,
	MSG_ABSENT,
	MSG_RETRY
};

/*
 * Reply codes: X(constant suffix, wire name, class).  A failed reply
 * ("ok": false) carries one as "code"; abc-worker's requests and the SQL
 * functions answer only these.  bad_request: an unknown op; invalid: a
 * malformed field; bad_password: a re-entered password; bad_ad: not the
 * buyer's ad; bad_size: the ad does not fit the space; not_yet: a later
 * slot than the one for sale; sold: a lost race; price_up: over the
 * buyer's max_price; funds: the balance is too low; held: not yet
 * withdrawable; too_small: under withdraw_min_sat; blocked: the seller
 * blocked the buyer or the ad; not_pending: a review of a slot not
 * waiting for one.  differ is abc-web's
 * own (the two passwords of a form differ), never on the link.
 * totp_needed: 2FA is on and no code came; bad_code: a wrong code;
 * code_used: a code already accepted; login_expired: the pending 2FA
 * login is gone; frozen: withdrawals wait after a payout address change;
 * payout_address: not the saved payout address.
 */
#define MSG_CODE_MAP(X)							\
	X(NO_SESSION, "no_session", MSG_ABSENT)			\
	X(NO_CAMPAIGN, "no_campaign", MSG_ABSENT)		\
	X(NO_IMAGE, "no_image", MSG_ABSENT)			\
	X(UNAVAILABLE, "unavailable", MSG_RETRY)		\
	X(BUSY, "busy", MSG_RETRY)				\
	X(INTERNAL, "internal", MSG_RETRY)			\
	X(BAD_REQUEST, "bad_request", MSG_REFUSAL)		\
	X(INVALID, "invalid", MSG_REFUSAL)			\
	X(NAME_TAKEN, "name_taken", MSG_REFUSAL)		\
	X(RATE_LIMITED, "rate_limited", MSG_REFUSAL)		\
	X(BAD_LOGIN, "bad_login", MSG_REFUSAL)			\
	X(BAD_PASSWORD, "bad_password", MSG_REFUSAL)		\
	X(QUOTA, "quota", MSG_REFUSAL)				\
	X(BAD_IMAGE, "bad_image", MSG_REFUSAL)			\
	X(BAD_AD, "bad_ad", MSG_REFUSAL)			\
	X(BAD_SIZE, "bad_size", MSG_REFUSAL)			\
	X(OWN_CAMPAIGN, "own_campaign", MSG_REFUSAL)		\
	X(NOT_YET, "not_yet", MSG_REFUSAL)			\
	X(SOLD, "sold", MSG_REFUSAL)				\
	X(PRICE_UP, "price_up", MSG_REFUSAL)			\
	X(FUNDS, "funds", MSG_REFUSAL)				\
	X(HELD, "held", MSG_REFUSAL)				\
	X(TOO_SMALL, "too_small", MSG_REFUSAL)			\
	X(BAD_ADDRESS, "bad_address", MSG_REFUSAL)		\
	X(DIFFER, "differ", MSG_REFUSAL)			\
	X(BLOCKED, "blocked", MSG_REFUSAL)			\
	X(NOT_PENDING, "not_pending", MSG_REFUSAL)	\
	/* Issue 15: the JSON API's own (web/page_api.c), never on the link. */ \
	X(UNAUTHORIZED, "unauthorized", MSG_REFUSAL)		\
	X(FORBIDDEN_SCOPE, "forbidden_scope", MSG_REFUSAL)	\
	X(NOT_FOUND, "not_found", MSG_REFUSAL)			\
	X(BAD_JSON, "bad_json", MSG_REFUSAL)	\
	/* 2FA and payout safety (worker/req_totp.c) */	\
	X(TOTP_NEEDED, "totp_needed", MSG_REFUSAL)		\
	X(BAD_CODE, "bad_code", MSG_REFUSAL)			\
	X(CODE_USED, "code_used", MSG_REFUSAL)			\
	X(LOGIN_EXPIRED, "login_expired", MSG_REFUSAL)		\
	X(FROZEN, "frozen", MSG_REFUSAL)			\
	X(PAYOUT_ADDRESS, "payout_address", MSG_REFUSAL)

enum msg_code {
#define MSG_CODE_ENUM(id, wire, cls)	MSG_CODE_##id,
	MSG_CODE_MAP(MSG_CODE_ENUM)
#undef MSG_CODE_ENUM
	MSG_CODE__MAX
};
/* "No code": a reply without one, or a read that cannot be absent. */
#define MSG_CODE_NONE	MSG_CODE__MAX

/*
 * Notice kinds: X(constant suffix, wire name).  campaign_changed carries
 * "campaign", account_changed "user", session_revoked "token", "user"
 * and "keep"; accounts_changed is everyone's.  revalidate is abc-web's
 * own (web/client.c: a gap in the notices or a new worker), never sent.
 */
#define MSG_NOTICE_MAP(X)					\
	X(CAMPAIGN_CHANGED,	"campaign_changed")		\
	X(ACCOUNT_CHANGED,	"account_changed")		\
	X(ACCOUNTS_CHANGED,	"accounts_changed")		\
	X(SESSION_REVOKED,	"session_revoked")		\
	X(REVALIDATE,		"revalidate")			\
	X(APIKEY_REVOKED,	"apikey_revoked")	/* "key": hash hex */

enum msg_notice {
#define MSG_NOTICE_ENUM(id, wire)	MSG_NOTICE_##id,
	MSG_NOTICE_MAP(MSG_NOTICE_ENUM)
#undef MSG_NOTICE_ENUM
	MSG_NOTICE__MAX
};

/*
 * HELLO bodies.  abc-web sends its epoch (random per process), the worker
 * epoch it last spoke to (0 if none) and the last worker message id it
 * received; abc-worker answers with its epoch, whether it resumed the
 * session, the last id it received from this client and its current
 * notice sequence number.
 */
struct msg_hello {
	int64_t		 epoch;
	int64_t		 peer_epoch;
	int64_t		 rx;
	int		 resumed;
	int64_t		 notice_seq;
};

const char		*msg_op_name(enum msg_op op);
const char		*msg_code_name(enum msg_code code);
int			 msg_code_parse(const char *name,
			    enum msg_code *code);
enum msg_class		 msg_code_class(enum msg_code code);
const char		*msg_notice_name(enum msg_notice kind);
int			 msg_notice_parse(const char *name,
			    enum msg_notice *kind);
struct json_object	*msg_notice_new(enum msg_notice kind);
int			 msg_hello_encode(const struct msg_hello *h,
			    struct buf *out);
int			 msg_hello_decode(const uint8_t *body, size_t len,
			    struct msg_hello *h);
int			 msg_op_parse(const char *name, enum msg_op *op);

struct json_object	*msg_parse(const uint8_t *body, size_t len,
			    char *err, size_t errlen);
struct json_object	*msg_parse_json(const uint8_t *body, size_t len,
			    char *err, size_t errlen);
int			 msg_serialize(struct json_object *obj,
			    struct buf *out);
int			 msg_serialize_reply(struct json_object *reply,
			    struct buf *out);
struct json_object	*msg_request_new(enum msg_op op);
int			 msg_request_op(struct json_object *req,
			    enum msg_op *op);
struct json_object	*msg_reply_new(void);
struct json_object	*msg_reply_error(const char *message);
struct json_object	*msg_reply_fail(enum msg_code code,
			    const char *message);
enum msg_code		 msg_reply_code(struct json_object *rep);
enum lookup		 msg_reply_lookup(struct json_object *rep,
			    enum msg_code absent);
int			 msg_reply_retryable(struct json_object *rep);

const char		*msg_get_str(struct json_object *obj,
			    const char *key);
int			 msg_get_int(struct json_object *obj,
			    const char *key, int64_t *out);
int			 msg_get_bool(struct json_object *obj,
			    const char *key, int *out);
struct json_object	*msg_get_obj(struct json_object *obj,
			    const char *key);
int			 msg_campaign_price(struct json_object *state,
			    struct price_campaign *pc, struct price_slot *last);

#endif /* ABC_MSG_H */
