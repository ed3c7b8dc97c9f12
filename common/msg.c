/*
 * Encoding and checked decoding of the link's JSON message bodies.  Each
 * thread that parses keeps one json-c tokener for its life (msg_tokener):
 * a new one per body cost a 1 KB zeroed allocation, with the malloc
 * consolidation it sets off, on every request and reply.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "abc_limits.h"
#include "msg.h"

static const char *const msg_op_names[MSG_OP__MAX] = {
#define MSG_OP_WIRE(id, wire)	wire,
	MSG_OP_MAP(MSG_OP_WIRE)
#undef MSG_OP_WIRE
};

static const struct {
	const char	*wire;
	enum msg_class	 cls;
} msg_codes[MSG_CODE__MAX] = {
#define MSG_CODE_WIRE(id, wire, cls)	{ wire, cls },
	MSG_CODE_MAP(MSG_CODE_WIRE)
#undef MSG_CODE_WIRE
};

static const char *const msg_notice_names[MSG_NOTICE__MAX] = {
#define MSG_NOTICE_WIRE(id, wire)	wire,
	MSG_NOTICE_MAP(MSG_NOTICE_WIRE)
#undef MSG_NOTICE_WIRE
};

/* Appends the JSON text of h to out; 0, or -1 if out is full. */
int
msg_hello_encode(const struct msg_hello *h, struct buf *out)
{
	return buf_printf(out, "{\"epoch\":%lld,\"peer_epoch\":%lld,"
	    "\"rx\":%lld,\"resumed\":%s,\"notice_seq\":%lld}",
	    (long long)h->epoch, (long long)h->peer_epoch, (long long)h->rx,
	    h->resumed ? "true" : "false", (long long)h->notice_seq);
}

/*
 * Parses a HELLO body into h.  Every field is required and every number
 * must be a non-negative integer.  Returns 0, or -1 when malformed.
 */
int
msg_hello_decode(const uint8_t *body, size_t len, struct msg_hello *h)
{
	struct json_object	*o;
	char			 err[128];
	int			 rc = -1;

	if ((o = msg_parse(body, len, err, sizeof(err))) == NULL)
		return -1;
	if (msg_get_int(o, "epoch", &h->epoch) == 0 &&
	    msg_get_int(o, "peer_epoch", &h->peer_epoch) == 0 &&
	    msg_get_int(o, "rx", &h->rx) == 0 &&
	    msg_get_bool(o, "resumed", &h->resumed) == 0 &&
	    msg_get_int(o, "notice_seq", &h->notice_seq) == 0 &&
	    h->epoch > 0 && h->peer_epoch >= 0 && h->rx >= 0 &&
	    h->notice_seq >= 0)
		rc = 0;
	json_object_put(o);
	return rc;
}

const char *
msg_op_name(enum msg_op op)
{
	if ((unsigned)op >= MSG_OP__MAX)
		return "unknown";
	return msg_op_names[op];
}

/* The wire name of code; "" for MSG_CODE_NONE or out of range. */
const char *
msg_code_name(enum msg_code code)
{
	if ((unsigned)code >= MSG_CODE__MAX)
		return "";
	return msg_codes[code].wire;
}

/* Sets *code from its wire name; 0, or -1 for a name not in the table. */
int
msg_code_parse(const char *name, enum msg_code *code)
{
	int	 i;

	for (i = 0; name != NULL && i < MSG_CODE__MAX; i++)
		if (strcmp(name, msg_codes[i].wire) == 0) {
			*code = (enum msg_code)i;
			return 0;
		}
	return -1;
}

/* What code tells abc-web; a code out of range is a refusal. */
enum msg_class
msg_code_class(enum msg_code code)
{
	if ((unsigned)code >= MSG_CODE__MAX)
		return MSG_REFUSAL;
	return msg_codes[code].cls;
}

/* The wire name of a notice kind; "" out of range. */
const char *
msg_notice_name(enum msg_notice kind)
{
	if ((unsigned)kind >= MSG_NOTICE__MAX)
		return "";
	return msg_notice_names[kind];
}

/* Sets *kind from a notice's wire name; 0, or -1 when not in the table. */
int
msg_notice_parse(const char *name, enum msg_notice *kind)
{
	int	 i;

	for (i = 0; name != NULL && i < MSG_NOTICE__MAX; i++)
		if (strcmp(name, msg_notice_names[i]) == 0) {
			*kind = (enum msg_notice)i;
			return 0;
		}
	return -1;
}

/* A new notice object {"kind": kind}; the caller adds its fields. */
struct json_object *
msg_notice_new(enum msg_notice kind)
{
	struct json_object	*n;

	n = json_object_new_object();
	json_object_object_add(n, "kind",
	    json_object_new_string(msg_notice_name(kind)));
	return n;
}

/* Sets *op from its wire name; 0, or -1 for an unknown name. */
int
msg_op_parse(const char *name, enum msg_op *op)
{
	int	 i;

	for (i = 0; i < MSG_OP__MAX; i++)
		if (strcmp(name, msg_op_names[i]) == 0) {
			*op = (enum msg_op)i;
			return 0;
		}
	return -1;
}

/*
 * Parses body as exactly one JSON object, nested at most LIMIT_JSON_DEPTH
 * deep, with nothing after it.  Returns a new reference, or NULL with a
 * reason in err.
 */
struct json_object *
msg_parse(const uint8_t *body, size_t len, char *err, size_t errlen)
{
	struct json_object	*obj;

	obj = msg_parse_json(body, len, err, errlen);
	if (obj != NULL && !json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/* Bodies up to this long are parsed with the thread's kept tokener. */
#define MSG_TOK_KEEP_LEN	(64u * 1024)

static pthread_key_t	msg_tok_key;
static pthread_once_t	msg_tok_once = PTHREAD_ONCE_INIT;
static int		msg_tok_ok;	/* msg_tok_key exists */

/* Frees a thread's tokener when the thread ends. */
static void
msg_tok_free(void *tok)
{
	json_tokener_free(tok);
}

static void
msg_tok_init(void)
{
	msg_tok_ok = pthread_key_create(&msg_tok_key, msg_tok_free) == 0;
}

/*
 * A tokener, reset and strict, for a body of len bytes: the calling
 * thread's own (created on first use, freed at the thread's end), or for a
 * body over MSG_TOK_KEEP_LEN (whose strings would leave the kept tokener's
 * buffer that big) or without a thread-specific slot a new one that the
 * caller frees (*own set).  NULL when none can be had.
 */
static struct json_tokener *
msg_tokener(size_t len, int *own)
{
	struct json_tokener	*tok = NULL;

	*own = 0;
	(void)pthread_once(&msg_tok_once, msg_tok_init);
	if (len <= MSG_TOK_KEEP_LEN && msg_tok_ok &&
	    (tok = pthread_getspecific(msg_tok_key)) != NULL)
		json_tokener_reset(tok);
	else if ((tok = json_tokener_new_ex(LIMIT_JSON_DEPTH)) != NULL &&
	    (len > MSG_TOK_KEEP_LEN || !msg_tok_ok ||
	    pthread_setspecific(msg_tok_key, tok) != 0))
		*own = 1;
	if (tok != NULL)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	return tok;
}

/* The same for any JSON value (object, array, string, number...). */
struct json_object *
msg_parse_json(const uint8_t *body, size_t len, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*obj = NULL;
	enum json_tokener_error	 jerr;
	int			 own;

	if (len == 0 || len > LIMIT_FRAME_BODY || memchr(body, '\0', len)) {
		snprintf(err, errlen, "body empty, too long or has NUL");
		return NULL;
	}
	if ((tok = msg_tokener(len, &own)) == NULL) {
		snprintf(err, errlen, "json_tokener_new_ex failed");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL || jerr != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "not one JSON value: %s",
		    jerr == json_tokener_success ? "trailing data or type" :
		    json_tokener_error_desc(jerr));
		json_object_put(obj);
		obj = NULL;
		/*
		 * json_tokener_reset does not clear all a parse cut short
		 * leaves (a pending UTF-16 high surrogate would garble the
		 * next body's first \u escape): a failed parse's tokener is
		 * never used again.  One that succeeded ends clean.
		 */
		if (!own)
			(void)pthread_setspecific(msg_tok_key, NULL);
		own = 1;
	}
	if (own)
		json_tokener_free(tok);
	else
		json_tokener_reset(tok);
	return obj;
}

/* Appends the compact JSON text of obj to out; 0, or -1 if out is full. */
int
msg_serialize(struct json_object *obj, struct buf *out)
{
	size_t		 n;
	const char	*s;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		return -1;
	return buf_add(out, s, n);
}

/*
 * Serializes reply into out (empty, its max the frame limit).  A reply
 * too big for out is replaced by the error reply "reply too large", so
 * the caller always has something to send and a page never waits for an
 * answer that was dropped.  Returns 0, 1 when the error replaced it, or
 * -1 when even that did not fit (out is then empty).
 */
int
msg_serialize_reply(struct json_object *reply, struct buf *out)
{
	struct json_object	*err;
	int			 rc;

	if (msg_serialize(reply, out) == 0)
		return 0;
	buf_reset(out);
	err = msg_reply_error("reply too large");
	rc = msg_serialize(err, out) == 0 ? 1 : -1;
	json_object_put(err);
	if (rc == -1)
		buf_reset(out);
	return rc;
}

/* A new request object for op. */
struct json_object *
msg_request_new(enum msg_op op)
{
	struct json_object	*req;

	req = json_object_new_object();
	json_object_object_add(req, "op",
	    json_object_new_string(msg_op_name(op)));
	return req;
}

/* Reads a request's operation; 0, or -1 if missing or unknown. */
int
msg_request_op(struct json_object *req, enum msg_op *op)
{
	const char	*name;

	name = msg_get_str(req, "op");
	if (name == NULL)
		return -1;
	return msg_op_parse(name, op);
}

/* A new successful reply: {"ok":true}. */
struct json_object *
msg_reply_new(void)
{
	struct json_object	*rep;

	rep = json_object_new_object();
	json_object_object_add(rep, "ok", json_object_new_boolean(1));
	return rep;
}

/* A new failed reply: {"ok":false,"error":message}. */
struct json_object *
msg_reply_error(const char *message)
{
	struct json_object	*rep;

	rep = json_object_new_object();
	json_object_object_add(rep, "ok", json_object_new_boolean(0));
	json_object_object_add(rep, "error",
	    json_object_new_string(message));
	return rep;
}

/*
 * A new failed reply with a code: {"ok":false,"error":message,"code":code}
 * (this order: what abc-worker has always sent).
 */
struct json_object *
msg_reply_fail(enum msg_code code, const char *message)
{
	struct json_object	*rep;

	rep = msg_reply_error(message);
	json_object_object_add(rep, "code",
	    json_object_new_string(msg_code_name(code)));
	return rep;
}

/*
 * The code of a failed reply (rep may be NULL); MSG_CODE_NONE when it has
 * none or one not in the table (a newer worker's: never taken for a known
 * one).
 */
enum msg_code
msg_reply_code(struct json_object *rep)
{
	enum msg_code	 code;

	if (rep == NULL || msg_code_parse(msg_get_str(rep, "code"),
	    &code) != 0)
		return MSG_CODE_NONE;
	return code;
}

/*
 * What a reply to a read says (rep may be NULL: no reply).  FOUND when it
 * succeeded; ABSENT only when it failed with the code absent
 * (MSG_CODE_NONE: this read cannot find nothing); UNKNOWN for anything else, so a new or garbled
 * failure is never taken for absence.
 */
enum lookup
msg_reply_lookup(struct json_object *rep, enum msg_code absent)
{
	int	 ok = 0;

	if (rep == NULL || msg_get_bool(rep, "ok", &ok) != 0)
		return LOOKUP_UNKNOWN;
	if (ok)
		return LOOKUP_FOUND;
	if (absent != MSG_CODE_NONE && msg_reply_code(rep) == absent)
		return LOOKUP_ABSENT;
	return LOOKUP_UNKNOWN;
}

/*
 * 1 when rep is a failure that says abc-worker could not tell (the
 * database failed, it is busy, or no code at all): the user may simply
 * try again.  0 for a success or a definite refusal.
 */
int
msg_reply_retryable(struct json_object *rep)
{
	int	 ok = 0;

	if (rep == NULL || msg_get_bool(rep, "ok", &ok) != 0)
		return 1;
	if (ok)
		return 0;
	if (msg_get_str(rep, "code") == NULL)
		return 1;
	return msg_code_class(msg_reply_code(rep)) == MSG_RETRY;
}

/* The string member key, or NULL when absent or not a string. */
const char *
msg_get_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Reads integer member key into *out; 0, or -1 if absent or not an int. */
int
msg_get_int(struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

/* Reads boolean member key into *out; 0, or -1 if absent or not a bool. */
int
msg_get_bool(struct json_object *obj, const char *key, int *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return -1;
	*out = json_object_get_boolean(v);
	return 0;
}

/* The object member key (borrowed), or NULL. */
struct json_object *
msg_get_obj(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/*
 * Reads the price-relevant part of a campaign state document (the
 * campaign_get reply's "campaign": min_price, slot_ms, slots in purchase
 * order) into pc, with the last slot copied into *last (pc->slots points
 * at it: the price depends on the last purchase only).  Returns 0 or -1.
 */
int
msg_campaign_price(struct json_object *state, struct price_campaign *pc,
    struct price_slot *last)
{
	struct json_object	*slots, *s;
	size_t			 len;

	memset(pc, 0, sizeof(*pc));
	if (msg_get_int(state, "min_price", &pc->min_price_sat) != 0 ||
	    msg_get_int(state, "slot_ms", &pc->slot_ms) != 0 ||
	    !json_object_object_get_ex(state, "slots", &slots) ||
	    !json_object_is_type(slots, json_type_array))
		return -1;
	if ((len = json_object_array_length(slots)) == 0)
		return 0;
	s = json_object_array_get_idx(slots, len - 1);
	if (msg_get_int(s, "bought_ms", &last->bought_ms) != 0 ||
	    msg_get_int(s, "start_ms", &last->start_ms) != 0 ||
	    msg_get_int(s, "end_ms", &last->end_ms) != 0 ||
	    msg_get_int(s, "price", &last->price_sat) != 0)
		return -1;
	pc->slots = last;
	pc->nslots = 1;
	return 0;
}
