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

enum msg_op {
	MSG_OP_STATUS,		/* worker health: database and bitcoind */
	MSG_OP_ECHO,		/* returns its "data" field; benchmarks */
	MSG_OP_COUNTER_ADD,	/* durable test op: "key" += "n", once */
	MSG_OP_BROADCAST,	/* test op: broadcast notice "kind" */
	MSG_OP_REGISTER,	/* username, password, addr */
	MSG_OP_LOGIN,		/* username, password, addr -> token */
	MSG_OP_SESSION,		/* token -> user, username */
	MSG_OP_LOGOUT,		/* token */
	MSG_OP_LOGOUT_ALL,	/* token */
	MSG_OP_PASSWORD,	/* token, old, new */
	MSG_OP_ACCOUNT,		/* token -> balance, history */
	MSG_OP_PURGE,		/* token, password */
	MSG_OP_NEW_ADDRESS,	/* token -> a new deposit address */
	MSG_OP_CAMPAIGN_CREATE,	/* token, name, ..., idem -> id */
	MSG_OP_CAMPAIGN_GET,	/* id -> campaign state */
	MSG_OP_CAMPAIGN_LIST,	/* -> newest campaigns */
	MSG_OP_AD_CREATE,	/* token, nickname, hover, url, image (base64) */
	MSG_OP_MY_ADS,		/* token -> the user's ads */
	MSG_OP_BUY,		/* token, campaign, slot, ad, max_price, idem */
	MSG_OP_IMAGE_GET,	/* sha256 -> mime, data (base64) */
	MSG_OP_WITHDRAW,	/* token, address, amount (sat), password, idem */
	MSG_OP_MY_CAMPAIGNS,	/* token -> the user's campaigns */
	MSG_OP__MAX
};

/*
 * Reply codes abc-web acts on.  A failed reply ("ok": false) carries a
 * "code": the ABSENT codes say a successful read found nothing (only
 * these may log a user out or answer 404); the retryable ones say abc-worker
 * could not tell (the database failed, the hashing pool is full), and are
 * answered "try again"; every other code is a definite refusal.
 */
#define MSG_CODE_NO_SESSION	"no_session"	/* absent: not logged in */
#define MSG_CODE_NO_CAMPAIGN	"no_campaign"	/* absent: no such campaign */
#define MSG_CODE_NO_IMAGE	"no_image"	/* absent: no such image */
#define MSG_CODE_UNAVAILABLE	"unavailable"	/* retryable: database */
#define MSG_CODE_BUSY		"busy"		/* retryable: overloaded */
#define MSG_CODE_INTERNAL	"internal"	/* retryable: could not tell */

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
int			 msg_op_changes_account(enum msg_op op);
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
enum lookup		 msg_reply_lookup(struct json_object *rep,
			    const char *absent_code);
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
