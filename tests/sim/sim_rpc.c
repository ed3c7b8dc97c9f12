/*
 * JSON-RPC for abc-bitcoind-sim, modelled on Bitcoin Core v28:
 * httprpc.cpp (HTTP checks, auth, single/batch dispatch, error statuses),
 * rpc/request.cpp (envelope parsing, reply shapes) and rpc/server.cpp plus
 * rpc/util.cpp (warm-up, method lookup, named parameters, argument count
 * and type checks).  The rules are in the wire reference, sections 1-2.
 *
 * Every method is one row of methods[]; a row names the handler, its
 * argument count bounds and each argument's name, JSON type and whether it
 * is optional, so new methods (wallet, listsinceblock, ...) are new rows.
 *
 * Memory: the request JSON tree lives for one sim_rpc_handle() call and
 * struct rpc_call only borrows from it.  Handlers return one owned
 * json-c reference (NULL means JSON null); adding it to a reply hands the
 * reference over.  struct rpc_err owns its message.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "sim_chain.h"
#include "sim_http.h"
#include "sim_log.h"
#include "sim_rpc.h"
#include "xmalloc.h"

/* Error codes, from Bitcoin Core src/rpc/protocol.h. */
#define RPC_MISC_ERROR			-1
#define RPC_TYPE_ERROR			-3
#define RPC_INVALID_ADDRESS_OR_KEY	-5
#define RPC_INVALID_PARAMETER		-8
#define RPC_IN_WARMUP			-28
#define RPC_INVALID_REQUEST		-32600
#define RPC_METHOD_NOT_FOUND		-32601
#define RPC_PARSE_ERROR			-32700

/* The init status shown during warm-up; U+2026 as bitcoind writes it. */
#define WARMUP_MESSAGE	"Loading block index\xe2\x80\xa6"
#define WWW_AUTH_HEADER	"WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n"
#define CTYPE_JSON	"application/json"
/* Bitcoin Core sleeps this long before answering wrong credentials. */
#define AUTH_FAIL_DELAY_MS	250
/* Most arguments any method in the table takes. */
#define RPC_MAXARGS	4
/* Bit in rpc_method.flags: control method, answered even in warm-up. */
#define RPC_F_CONTROL	0x1

struct sim_rpc {
	struct sim_chain	*chain;		/* borrowed */
	char			*userpass;	/* owned "user:password" */
	size_t			 userpass_len;
	int64_t			 warmup_until;	/* monotonic ms, 0 if none */
	int			 ibd_over;	/* bool, latched like Core */
	int			 dirty;		/* bool: chain needs a save */
};

/* JSON types an argument can require (RPCArg::Type, reduced). */
enum arg_type {
	ARG_NUM,
	ARG_STR,
	ARG_BOOL,
	ARG_OBJ,
	ARG_ARR,
	ARG_AMOUNT	/* number or string; not type-checked, like Core */
};

struct rpc_arg {
	const char	*name;		/* static; also its named-param key */
	enum arg_type	 type;
	int		 optional;	/* bool */
};

/* A JSON-RPC error being raised; msg is owned, NULL when none. */
struct rpc_err {
	int		 code;
	char		*msg;
};

/* One parsed request object, like Core's JSONRPCRequest. */
struct rpc_call {
	struct json_object	*id;	 /* borrowed, valid if has_id */
	int			 has_id; /* bool: reply carries "id" */
	int			 v2;	 /* bool: "jsonrpc":"2.0" */
	const char		*method; /* borrowed */
	struct json_object	*params; /* borrowed, may be NULL */
	const char		*wallet; /* borrowed, NULL on "/" */
};

typedef int (*rpc_handler)(struct sim_rpc *, const struct rpc_call *,
    struct json_object *, struct json_object **, struct rpc_err *);

struct rpc_method {
	const char	*name;
	rpc_handler	 handler;
	size_t		 min_args;
	size_t		 max_args;
	struct rpc_arg	 args[RPC_MAXARGS];
	int		 flags;
	const char	*help;		/* the -1 message on a wrong count */
};

static int	h_getblockcount(struct sim_rpc *, const struct rpc_call *,
		    struct json_object *, struct json_object **,
		    struct rpc_err *);
static int	h_getbestblockhash(struct sim_rpc *, const struct rpc_call *,
		    struct json_object *, struct json_object **,
		    struct rpc_err *);
static int	h_getblockchaininfo(struct sim_rpc *, const struct rpc_call *,
		    struct json_object *, struct json_object **,
		    struct rpc_err *);
static int	h_generatetoaddress(struct sim_rpc *,
		    const struct rpc_call *, struct json_object *,
		    struct json_object **, struct rpc_err *);
static int	h_abcsim_warmup(struct sim_rpc *, const struct rpc_call *,
		    struct json_object *, struct json_object **,
		    struct rpc_err *);

/*
 * The method table.  Help texts are shortened versions of Core's; clients
 * must not parse them.  Keep "min_args" equal to the number of leading
 * required args and "max_args" to the number of args (checked at start).
 */
static const struct rpc_method methods[] = {
	{ "getblockcount", h_getblockcount, 0, 0, { { NULL, 0, 0 } }, 0,
	    "getblockcount\n\nReturns the height of the most-work "
	    "fully-validated chain.\nThe genesis block has height 0.\n\n"
	    "Result:\nn    (numeric) The current block count\n\nExamples:\n"
	    "> bitcoin-cli getblockcount \n" },
	{ "getbestblockhash", h_getbestblockhash, 0, 0, { { NULL, 0, 0 } },
	    0,
	    "getbestblockhash\n\nReturns the hash of the best (tip) block in "
	    "the most-work fully-validated chain.\n\nResult:\n\"hex\"    "
	    "(string) the block hash, hex-encoded\n\nExamples:\n"
	    "> bitcoin-cli getbestblockhash \n" },
	{ "getblockchaininfo", h_getblockchaininfo, 0, 0,
	    { { NULL, 0, 0 } }, 0,
	    "getblockchaininfo\nReturns an object containing various state "
	    "info regarding blockchain processing.\n\nExamples:\n"
	    "> bitcoin-cli getblockchaininfo \n" },
	{ "generatetoaddress", h_generatetoaddress, 2, 3,
	    { { "nblocks", ARG_NUM, 0 }, { "address", ARG_STR, 0 },
	    { "maxtries", ARG_NUM, 1 } }, 0,
	    "generatetoaddress nblocks \"address\" ( maxtries )\n\nMine to a "
	    "specified address and return the block hashes.\n\nArguments:\n"
	    "1. nblocks     (numeric, required) How many blocks are generated."
	    "\n2. address     (string, required) The address to send the newly "
	    "generated bitcoin to.\n3. maxtries    (numeric, optional, "
	    "default=1000000) How many iterations to try.\n\nResult:\n[    "
	    "(json array) hashes of blocks generated\n  \"hex\",    (string) "
	    "blockhash\n  ...\n]\n\nExamples:\n> bitcoin-cli "
	    "generatetoaddress 11 \"myaddress\"\n" },
	{ "abcsim_warmup", h_abcsim_warmup, 0, 1,
	    { { "seconds", ARG_NUM, 1 } }, RPC_F_CONTROL,
	    "abcsim_warmup ( seconds )\n\nSimulator control: answer every "
	    "bitcoind method with -28 for this many seconds (default 10, 0 "
	    "ends the warm-up).\n" },
};

static int64_t	now_ms(void);
static void	err_set(struct rpc_err *e, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static void	err_clear(struct rpc_err *e);
static const char *json_type_label(struct json_object *v);
static int	arg_int(struct json_object *v, int64_t min, int64_t max,
		    int64_t *out, struct rpc_err *err);
static int	address_ok(const char *a);
static const struct rpc_method *method_find(const char *name);
static int	methods_check(void);
static int	params_named(const struct rpc_method *m,
		    struct json_object *obj, struct json_object **out,
		    struct rpc_err *err);
static int	params_check(const struct rpc_method *m,
		    struct json_object *args, struct rpc_err *err);
static int	rpc_execute(struct sim_rpc *rpc, const struct rpc_call *call,
		    struct json_object **result, struct rpc_err *err);
static int	call_parse(struct json_object *req, struct rpc_call *call,
		    struct rpc_err *err);
static int	call_is_notification(const struct rpc_call *call);
static struct json_object *reply_obj(struct json_object *result,
		    const struct rpc_err *err, const struct rpc_call *call);
static void	reply_json(struct sim_rpc_reply *out, int status,
		    struct json_object *obj);
static void	reply_error(struct sim_rpc_reply *out,
		    const struct rpc_err *err, const struct rpc_call *call);
static void	handle_single(struct sim_rpc *rpc, struct json_object *req,
		    struct rpc_call *call, struct sim_rpc_reply *out);
static void	handle_batch(struct sim_rpc *rpc, struct json_object *req,
		    struct rpc_call *call, struct sim_rpc_reply *out);
static int	scan_number(const char *p, size_t n, size_t *i);
static int	scan_string(const char *p, size_t n, size_t *i);
static int	body_scan(const char *p, size_t n);
static struct json_object *body_parse(const char *p, size_t n);
static char	*wallet_decode(const char *p, size_t n);
static int	auth_ok(const struct sim_rpc *rpc,
		    const struct sim_http_req *req);
static void	handle_jsonrpc(struct sim_rpc *rpc,
		    const struct sim_http_req *req, const char *wallet,
		    struct sim_rpc_reply *out);

/* Monotonic clock in milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Raise an error with a formatted, owned message. */
static void
err_set(struct rpc_err *e, int code, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	free(e->msg);
	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	e->msg = xmalloc((size_t)n + 1);
	e->msg[0] = '\0';
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/* Forget an error; safe on a cleared one. */
static void
err_clear(struct rpc_err *e)
{
	free(e->msg);
	e->msg = NULL;
	e->code = 0;
}

/* UniValue's name for the JSON type of v (json-c NULL is JSON null). */
static const char *
json_type_label(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return "bool";
	case json_type_double:
	case json_type_int:
		return "number";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	case json_type_null:
	default:
		return "null";
	}
}

/*
 * Read an integer argument as UniValue::getInt does: the token must be a
 * plain integer within [min, max], otherwise -1 "JSON integer out of
 * range" (a std::runtime_error in Core, hence RPC_MISC_ERROR).
 */
static int
arg_int(struct json_object *v, int64_t min, int64_t max, int64_t *out,
    struct rpc_err *err)
{
	int64_t	x;

	if (!json_object_is_type(v, json_type_int)) {
		err_set(err, RPC_MISC_ERROR, "JSON integer out of range");
		return -1;
	}
	x = json_object_get_int64(v);
	if (x < min || x > max || (x == INT64_MAX &&
	    json_object_get_uint64(v) > (uint64_t)INT64_MAX)) {
		err_set(err, RPC_MISC_ERROR, "JSON integer out of range");
		return -1;
	}
	*out = x;
	return 0;
}

/*
 * Accept what looks like a regtest bech32 address: "bcrt1", then only
 * lowercase bech32 characters, 14 to 90 characters in all.  No checksum
 * is verified.
 */
static int
address_ok(const char *a)
{
	static const char	 charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	size_t			 i, n;

	n = strlen(a);
	if (n < 14 || n > SIM_CHAIN_ADDR_MAX || strncmp(a, "bcrt1", 5) != 0)
		return 0;
	for (i = 5; i < n; i++)
		if (strchr(charset, a[i]) == NULL)
			return 0;
	return 1;
}

/* Look a method up by exact name; NULL if unknown. */
static const struct rpc_method *
method_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* Check that the table's counts agree with its argument lists. */
static int
methods_check(void)
{
	const struct rpc_method	*m;
	size_t			 i, j, req;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		m = &methods[i];
		req = 0;
		for (j = 0; j < m->max_args; j++)
			if (m->args[j].name == NULL)
				return -1;
			else if (!m->args[j].optional)
				req = j + 1;
		if (m->max_args > RPC_MAXARGS || req != m->min_args)
			return -1;
	}
	return 0;
}

/*
 * Map named parameters onto positions as Core's transformNamedArguments
 * does: gaps before a given name become null, trailing gaps are dropped,
 * and an "args" array supplies the leading positional values.  On success
 * "*out" is a new array reference.  Returns 0 or -1 with -8 raised.
 *
 * XXX json-c keeps only the last of duplicated keys, so Core's "Parameter
 * <k> specified multiple times" cannot be raised here.
 */
static int
params_named(const struct rpc_method *m, struct json_object *obj,
    struct json_object **out, struct rpc_err *err)
{
	struct json_object	*arr, *pos, *v, *args;
	const char		*initial;
	size_t			 i, hole, initial_hole, nargs;
	int			 used_args;

	arr = json_object_new_array();
	initial = NULL;
	hole = initial_hole = 0;
	for (i = 0; i < m->max_args; i++) {
		if (!json_object_object_get_ex(obj, m->args[i].name, &v)) {
			hole++;
			if (json_object_array_length(arr) == 0)
				initial_hole = hole;
			continue;
		}
		for (; hole > 0; hole--)
			json_object_array_add(arr, NULL);
		if (initial == NULL)
			initial = m->args[i].name;
		json_object_array_add(arr, json_object_get(v));
	}
	used_args = 0;
	if (json_object_object_get_ex(obj, "args", &args) &&
	    json_object_is_type(args, json_type_array)) {
		nargs = json_object_array_length(args);
		if (initial != NULL && initial_hole < nargs) {
			err_set(err, RPC_INVALID_PARAMETER, "Parameter %s "
			    "specified twice both as positional and named "
			    "argument", initial);
			json_object_put(arr);
			return -1;
		}
		pos = json_object_new_array();
		for (i = 0; i < nargs; i++)
			json_object_array_add(pos, json_object_get(
			    json_object_array_get_idx(args, i)));
		for (i = nargs; i < json_object_array_length(arr); i++)
			json_object_array_add(pos,
			    json_object_get(json_object_array_get_idx(arr, i)));
		json_object_put(arr);
		arr = pos;
		used_args = 1;
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; i < m->max_args; i++)
			if (strcmp(key, m->args[i].name) == 0)
				break;
		if (i < m->max_args || (used_args && strcmp(key, "args") == 0))
			continue;
		err_set(err, RPC_INVALID_PARAMETER,
		    "Unknown named parameter %s", key);
		json_object_put(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

/*
 * Core's RPCHelpMan::HandleRequest checks: the argument count (-1 with the
 * help text) and then every argument's JSON type (-3, listing all
 * mismatches in UniValue's write(4) layout).  Returns 0 or -1.
 */
static int
params_check(const struct rpc_method *m, struct json_object *args,
    struct rpc_err *err)
{
	struct sim_buf	 b;
	struct json_object *v;
	const char	*want;
	size_t		 i, n, bad;

	n = json_object_array_length(args);
	if (n < m->min_args || n > m->max_args) {
		err_set(err, RPC_MISC_ERROR, "%s", m->help);
		return -1;
	}
	sim_buf_init(&b);
	bad = 0;
	for (i = 0; i < m->max_args; i++) {
		v = i < n ? json_object_array_get_idx(args, i) : NULL;
		if ((m->args[i].optional && v == NULL) ||
		    m->args[i].type == ARG_AMOUNT)
			continue;
		want = m->args[i].type == ARG_NUM ? "number" :
		    m->args[i].type == ARG_STR ? "string" :
		    m->args[i].type == ARG_BOOL ? "bool" :
		    m->args[i].type == ARG_OBJ ? "object" : "array";
		if (strcmp(want, json_type_label(v)) == 0)
			continue;
		sim_buf_printf(&b, "%s    \"Position %zu (%s)\": \"JSON value "
		    "of type %s is not of expected type %s\"",
		    bad++ == 0 ? "" : ",\n", i + 1, m->args[i].name,
		    json_type_label(v), want);
	}
	if (bad > 0)
		err_set(err, RPC_TYPE_ERROR, "Wrong type passed:\n{\n%s\n}",
		    b.data);
	sim_buf_clear(&b);
	return bad > 0 ? -1 : 0;
}

/*
 * Run one call as CRPCTable::execute does: warm-up first, then lookup,
 * named parameters, count and type checks, then the handler.  On success
 * "*result" holds one owned reference (NULL for JSON null).  Returns 0 or
 * -1 with "err" raised.
 */
static int
rpc_execute(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object **result, struct rpc_err *err)
{
	const struct rpc_method	*m;
	struct json_object	*args;
	int			 rc;

	*result = NULL;
	m = method_find(call->method);
	if (rpc->warmup_until != 0 && now_ms() >= rpc->warmup_until)
		rpc->warmup_until = 0;
	if (rpc->warmup_until != 0 &&
	    (m == NULL || (m->flags & RPC_F_CONTROL) == 0)) {
		err_set(err, RPC_IN_WARMUP, "%s", WARMUP_MESSAGE);
		return -1;
	}
	if (m == NULL) {
		err_set(err, RPC_METHOD_NOT_FOUND, "Method not found");
		return -1;
	}
	if (json_object_is_type(call->params, json_type_object)) {
		if (params_named(m, call->params, &args, err) == -1)
			return -1;
	} else if (call->params == NULL)
		args = json_object_new_array();
	else
		args = json_object_get(call->params);
	rc = params_check(m, args, err);
	if (rc == 0)
		rc = m->handler(rpc, call, args, result, err);
	json_object_put(args);
	return rc;
}

/*
 * Parse the envelope of one request object into "call", in the order of
 * Core's JSONRPCRequest::parse.  Fields set before a failure stay set
 * (batches rely on that, as Core's do).  Returns 0 or -1 with -32600.
 */
static int
call_parse(struct json_object *req, struct rpc_call *call,
    struct rpc_err *err)
{
	struct json_object	*v;
	const char		*s;

	if (!json_object_is_type(req, json_type_object)) {
		err_set(err, RPC_INVALID_REQUEST, "Invalid Request object");
		return -1;
	}
	call->has_id = json_object_object_get_ex(req, "id", &call->id);
	if (!call->has_id)
		call->id = NULL;
	call->v2 = 0;
	if (json_object_object_get_ex(req, "jsonrpc", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_string)) {
			err_set(err, RPC_INVALID_REQUEST,
			    "jsonrpc field must be a string");
			return -1;
		}
		s = json_object_get_string(v);
		if (strcmp(s, "2.0") == 0)
			call->v2 = 1;
		else if (strcmp(s, "1.0") != 0) {
			err_set(err, RPC_INVALID_REQUEST,
			    "JSON-RPC version not supported");
			return -1;
		}
	}
	if (!json_object_object_get_ex(req, "method", &v) || v == NULL) {
		err_set(err, RPC_INVALID_REQUEST, "Missing method");
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		err_set(err, RPC_INVALID_REQUEST, "Method must be a string");
		return -1;
	}
	call->method = json_object_get_string(v);
	call->params = NULL;
	if (json_object_object_get_ex(req, "params", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_array) &&
		    !json_object_is_type(v, json_type_object)) {
			err_set(err, RPC_INVALID_REQUEST,
			    "Params must be an array or object");
			return -1;
		}
		call->params = v;
	}
	return 0;
}

/* A 2.0 request without an "id" member gets no reply. */
static int
call_is_notification(const struct rpc_call *call)
{
	return call->v2 && !call->has_id;
}

/*
 * Build a reply object in Core's JSONRPCReplyObj shape.  Takes over the
 * "result" reference; borrows "err" (NULL on success) and "call".
 */
static struct json_object *
reply_obj(struct json_object *result, const struct rpc_err *err,
    const struct rpc_call *call)
{
	struct json_object	*o, *e;

	o = json_object_new_object();
	if (call->v2)
		json_object_object_add(o, "jsonrpc",
		    json_object_new_string("2.0"));
	if (err != NULL) {
		json_object_put(result);
		if (!call->v2)
			json_object_object_add(o, "result", NULL);
		e = json_object_new_object();
		json_object_object_add(e, "code",
		    json_object_new_int(err->code));
		json_object_object_add(e, "message",
		    json_object_new_string(err->msg != NULL ? err->msg : ""));
		json_object_object_add(o, "error", e);
	} else {
		json_object_object_add(o, "result", result);
		if (!call->v2)
			json_object_object_add(o, "error", NULL);
	}
	if (call->has_id)
		json_object_object_add(o, "id", json_object_get(call->id));
	return o;
}

/* Serialize "obj" (reference taken over) as a compact JSON reply. */
static void
reply_json(struct sim_rpc_reply *out, int status, struct json_object *obj)
{
	out->status = status;
	out->ctype = CTYPE_JSON;
	sim_buf_addstr(&out->body, json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	sim_buf_add(&out->body, "\n", 1);
	json_object_put(obj);
}

/* Core's JSONErrorReply: -32600 is 400, -32601 is 404, all else 500. */
static void
reply_error(struct sim_rpc_reply *out, const struct rpc_err *err,
    const struct rpc_call *call)
{
	int	status;

	status = err->code == RPC_INVALID_REQUEST ? 400 :
	    err->code == RPC_METHOD_NOT_FOUND ? 404 : 500;
	reply_json(out, status, reply_obj(NULL, err, call));
}

/* Answer a single request object (httprpc.cpp, "singleton request"). */
static void
handle_single(struct sim_rpc *rpc, struct json_object *req,
    struct rpc_call *call, struct sim_rpc_reply *out)
{
	struct rpc_err		 err = { 0, NULL };
	struct json_object	*result;
	char			 m[96];
	int			 rc;

	result = NULL;
	rc = call_parse(req, call, &err);
	if (rc == 0) {
		rc = rpc_execute(rpc, call, &result, &err);
		if (call_is_notification(call)) {
			json_object_put(result);
			out->status = 204;
		} else if (rc == -1 && !call->v2)
			reply_error(out, &err, call);
		else
			reply_json(out, 200,
			    reply_obj(result, rc == -1 ? &err : NULL, call));
	} else
		reply_error(out, &err, call);
	sim_log_escape(m, sizeof(m), call->method != NULL ? call->method : "-",
	    strlen(call->method != NULL ? call->method : "-"));
	(void)snprintf(out->summary, sizeof(out->summary),
	    "rpc=%s v=%s code=%d", m, call->v2 ? "2.0" : "1", err.code);
	err_clear(&err);
}

/*
 * Answer a batch: always 200 with one entry per non-notification, or 204
 * when a non-empty batch holds only notifications.  "call" is reused from
 * one element to the next, so a malformed element reports the previous
 * element's id and version, exactly as Core does.
 */
static void
handle_batch(struct sim_rpc *rpc, struct json_object *req,
    struct rpc_call *call, struct sim_rpc_reply *out)
{
	struct rpc_err		 err = { 0, NULL };
	struct json_object	*arr, *result, *entry;
	size_t			 i, n, nerr;
	int			 rc;

	n = json_object_array_length(req);
	arr = json_object_new_array();
	nerr = 0;
	for (i = 0; i < n; i++) {
		result = NULL;
		rc = call_parse(json_object_array_get_idx(req, i), call, &err);
		if (rc == 0)
			rc = rpc_execute(rpc, call, &result, &err);
		entry = reply_obj(result, rc == -1 ? &err : NULL, call);
		nerr += rc == -1;
		if (call_is_notification(call))
			json_object_put(entry);
		else
			json_object_array_add(arr, entry);
		err_clear(&err);
	}
	if (n > 0 && json_object_array_length(arr) == 0) {
		json_object_put(arr);
		out->status = 204;
	} else
		reply_json(out, 200, arr);
	(void)snprintf(out->summary, sizeof(out->summary),
	    "rpc=batch n=%zu errors=%zu", n, nerr);
}

/*
 * Skip one JSON number at p[*i] following RFC 8259 strictly (json-c also
 * takes "1." and the like, UniValue does not).  Returns 0 or -1.
 */
static int
scan_number(const char *p, size_t n, size_t *i)
{
	size_t	j, d;

	j = *i;
	if (j < n && p[j] == '-')
		j++;
	if (j < n && p[j] == '0')
		j++;
	else if (j < n && p[j] >= '1' && p[j] <= '9')
		while (j < n && p[j] >= '0' && p[j] <= '9')
			j++;
	else
		return -1;
	if (j < n && p[j] == '.') {
		for (d = ++j; j < n && p[j] >= '0' && p[j] <= '9'; j++)
			;
		if (j == d)
			return -1;
	}
	if (j < n && (p[j] == 'e' || p[j] == 'E')) {
		j++;
		if (j < n && (p[j] == '+' || p[j] == '-'))
			j++;
		for (d = j; j < n && p[j] >= '0' && p[j] <= '9'; j++)
			;
		if (j == d)
			return -1;
	}
	*i = j;
	return 0;
}

/*
 * Skip one JSON string starting at the quote p[*i]; raw control
 * characters are refused.  Escapes are left to json-c.  Returns 0 or -1.
 */
static int
scan_string(const char *p, size_t n, size_t *i)
{
	size_t	j;

	for (j = *i + 1; j < n; j++) {
		if ((unsigned char)p[j] < 0x20)
			return -1;
		if (p[j] == '\\')
			j++;
		else if (p[j] == '"') {
			*i = j + 1;
			return 0;
		}
	}
	return -1;
}

/*
 * Lex the body before json-c parses it.  This refuses what json-c accepts
 * even in strict mode but UniValue does not (single quotes, NaN,
 * Infinity, "1.", comments), and bounds what json-c would allocate by
 * counting '{' and all '{', '[' and ','.  Structure is left to json-c.
 * Returns 0, -1 for a syntax error or -2 when over the limits.
 */
static int
body_scan(const char *p, size_t n)
{
	size_t	i, objs, toks;

	objs = toks = 0;
	for (i = 0; i < n;) {
		switch (p[i]) {
		case ' ': case '\t': case '\n': case '\r':
		case '}': case ']': case ':':
			i++;
			break;
		case '{':
			objs++;
			/* FALLTHROUGH */
		case '[': case ',':
			toks++;
			i++;
			break;
		case '"':
			if (scan_string(p, n, &i) == -1)
				return -1;
			break;
		case 't': case 'f': case 'n':
			if (n - i >= 4 && memcmp(p + i, "true", 4) == 0)
				i += 4;
			else if (n - i >= 5 && memcmp(p + i, "false", 5) == 0)
				i += 5;
			else if (n - i >= 4 && memcmp(p + i, "null", 4) == 0)
				i += 4;
			else
				return -1;
			break;
		default:
			if (scan_number(p, n, &i) == -1)
				return -1;
			break;
		}
		if (objs > SIM_RPC_MAX_OBJECTS || toks > SIM_RPC_MAX_TOKENS)
			return -2;
	}
	return 0;
}

/*
 * Parse a whole body as one JSON value followed only by whitespace, as
 * UniValue::read requires.  Returns a new reference or NULL.
 */
static struct json_object *
body_parse(const char *p, size_t n)
{
	struct json_tokener	*tok;
	struct json_object	*v;
	size_t			 end;
	int			 flags;

	if (n > INT32_MAX || memchr(p, '\0', n) != NULL)
		return NULL;
	tok = json_tokener_new_ex(SIM_RPC_JSON_DEPTH);
	if (tok == NULL)
		return NULL;
	flags = JSON_TOKENER_STRICT;
#ifdef JSON_TOKENER_VALIDATE_UTF8
	flags |= JSON_TOKENER_VALIDATE_UTF8;
#endif
	json_tokener_set_flags(tok, flags);
	v = json_tokener_parse_ex(tok, p, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (v == NULL &&
	    json_tokener_get_error(tok) == json_tokener_continue) {
		/* A bare top-level number ends only at end of input. */
		v = json_tokener_parse_ex(tok, "", 1);
		end = n;
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(v);
		v = NULL;
	}
	for (; v != NULL && end < n; end++)
		if (p[end] != ' ' && p[end] != '\t' && p[end] != '\n' &&
		    p[end] != '\r') {
			json_object_put(v);
			v = NULL;
		}
	json_tokener_free(tok);
	return v;
}

/*
 * Percent-decode a wallet name like Core's urlDecode: "%XX" with two hex
 * digits becomes that byte, anything else (including "+") stays.  Returns
 * a new string.
 */
static char *
wallet_decode(const char *p, size_t n)
{
	char	*out, hx[3];
	size_t	 i, o;

	out = xmalloc(n + 1);
	for (i = 0, o = 0; i < n; i++) {
		if (p[i] == '%' && n - i >= 3) {
			hx[0] = p[i + 1];
			hx[1] = p[i + 2];
			hx[2] = '\0';
			if (strspn(hx, "0123456789abcdefABCDEF") == 2) {
				out[o++] = (char)strtol(hx, NULL, 16);
				i += 2;
				continue;
			}
		}
		out[o++] = p[i];
	}
	out[o] = '\0';
	return out;
}

/* Check HTTP Basic credentials against "user:password". */
static int
auth_ok(const struct sim_rpc *rpc, const struct sim_http_req *req)
{
	char	dec[SIM_HTTP_MAX_HEADER];
	size_t	len;
	int	ok;

	if (sim_http_basic_decode(req->auth, req->auth_len, dec, sizeof(dec),
	    &len) == -1)
		return 0;
	ok = len == rpc->userpass_len &&
	    CRYPTO_memcmp(dec, rpc->userpass, len) == 0;
	OPENSSL_cleanse(dec, sizeof(dec));
	return ok;
}

/* The JSON-RPC handler proper, once method, path and auth passed. */
static void
handle_jsonrpc(struct sim_rpc *rpc, const struct sim_http_req *req,
    const char *wallet, struct sim_rpc_reply *out)
{
	struct rpc_call		 call;
	struct rpc_err		 err = { 0, NULL };
	struct json_object	*root;
	int			 scan;

	/* Core's JSONRPCRequest defaults: legacy, "id":null. */
	memset(&call, 0, sizeof(call));
	call.has_id = 1;
	call.wallet = wallet;
	scan = body_scan(req->body, req->body_len);
	if (scan == -2) {
		out->status = 413;
		(void)snprintf(out->summary, sizeof(out->summary),
		    "rpc=- reason=too_many_json_values");
		return;
	}
	root = scan == 0 ? body_parse(req->body, req->body_len) : NULL;
	if (root == NULL || (!json_object_is_type(root, json_type_object) &&
	    !json_object_is_type(root, json_type_array))) {
		err_set(&err, RPC_PARSE_ERROR, root == NULL ? "Parse error" :
		    "Top-level object parse error");
		reply_error(out, &err, &call);
		(void)snprintf(out->summary, sizeof(out->summary),
		    "rpc=- code=%d", err.code);
		err_clear(&err);
	} else if (json_object_is_type(root, json_type_object))
		handle_single(rpc, root, &call, out);
	else
		handle_batch(rpc, root, &call, out);
	json_object_put(root);
}

/*
 * Answer one HTTP request the way bitcoind's HTTP server and
 * HTTPReq_JSONRPC do.  Order: unknown verb (405, empty), path (404,
 * empty), not POST (405, text), missing or bad credentials (401 with
 * WWW-Authenticate; bad ones after 250 ms), then JSON-RPC.  A changed
 * chain is saved before the reply goes out.  "out" must be initialised.
 */
void
sim_rpc_handle(struct sim_rpc *rpc, const struct sim_http_req *req,
    struct sim_rpc_reply *out)
{
	static const char	 post_only[] =
	    "JSONRPC server handles only POST requests";
	char			*wallet;

	wallet = NULL;
	if (!sim_http_method_is(req, "GET") &&
	    !sim_http_method_is(req, "POST") &&
	    !sim_http_method_is(req, "HEAD") &&
	    !sim_http_method_is(req, "PUT")) {
		out->status = 405;
		return;
	}
	if (req->target_len >= 8 && memcmp(req->target, "/wallet/", 8) == 0)
		wallet = wallet_decode(req->target + 8, req->target_len - 8);
	else if (req->target_len != 1 || req->target[0] != '/') {
		out->status = 404;
		return;
	}
	if (!sim_http_method_is(req, "POST")) {
		out->status = 405;
		sim_buf_addstr(&out->body, post_only);
	} else if (req->auth == NULL) {
		out->status = 401;
		out->extra_headers = WWW_AUTH_HEADER;
	} else if (!auth_ok(rpc, req)) {
		out->status = 401;
		out->extra_headers = WWW_AUTH_HEADER;
		out->delay_ms = AUTH_FAIL_DELAY_MS;
		(void)snprintf(out->summary, sizeof(out->summary),
		    "reason=bad_credentials");
	} else
		handle_jsonrpc(rpc, req, wallet, out);
	free(wallet);
	if (rpc->dirty) {
		(void)sim_chain_save(rpc->chain);	/* logs failures */
		rpc->dirty = 0;
	}
}

/*
 * Create the RPC layer.  "userpass" ("user:password") is copied; "chain"
 * is borrowed for the layer's whole life.  Returns NULL if the method
 * table is inconsistent (a programming error, logged).
 */
struct sim_rpc *
sim_rpc_new(struct sim_chain *chain, const char *userpass)
{
	struct sim_rpc	*rpc;

	if (methods_check() == -1) {
		sim_log("error", "rpc_init", "reason=bad_method_table");
		return NULL;
	}
	rpc = xcalloc(1, sizeof(*rpc));
	rpc->chain = chain;
	rpc->userpass = xstrdup(userpass);
	rpc->userpass_len = strlen(userpass);
	return rpc;
}

/* Release the RPC layer; NULL is a no-op.  The chain is not freed. */
void
sim_rpc_free(struct sim_rpc *rpc)
{
	if (rpc == NULL)
		return;
	OPENSSL_cleanse(rpc->userpass, rpc->userpass_len);
	free(rpc->userpass);
	free(rpc);
}

/* Answer every bitcoind method with -28 for "seconds" (0 ends it). */
void
sim_rpc_set_warmup(struct sim_rpc *rpc, int64_t seconds)
{
	rpc->warmup_until = seconds > 0 ? now_ms() + seconds * 1000 : 0;
	sim_log("info", "warmup", "seconds=%lld", (long long)seconds);
}

/* Start an empty reply (status 500 until something sets it). */
void
sim_rpc_reply_init(struct sim_rpc_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	sim_buf_init(&r->body);
}

/* Release what a reply owns; it can be initialised again afterwards. */
void
sim_rpc_reply_clear(struct sim_rpc_reply *r)
{
	sim_buf_clear(&r->body);
}

/* getblockcount: height of the tip. */
static int
h_getblockcount(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	(void)call;
	(void)args;
	(void)err;
	*result = json_object_new_int64(sim_chain_height(rpc->chain));
	return 0;
}

/* getbestblockhash: hash of the tip. */
static int
h_getbestblockhash(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	(void)call;
	(void)args;
	(void)err;
	*result = json_object_new_string(sim_chain_hash(rpc->chain,
	    sim_chain_height(rpc->chain)));
	return 0;
}

/*
 * getblockchaininfo, v28 field order and types.  Regtest constants:
 * difficulty of nBits 0x207fffff, 2 units of work per block, progress 1.
 * initialblockdownload latches false once the tip is under 24 h old.
 */
static int
h_getblockchaininfo(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*o;
	char			 work[65];
	int64_t			 h, tiptime;

	(void)call;
	(void)args;
	(void)err;
	h = sim_chain_height(rpc->chain);
	tiptime = sim_chain_time(rpc->chain, h);
	if (!rpc->ibd_over && tiptime >= (int64_t)time(NULL) - 24 * 3600)
		rpc->ibd_over = 1;
	(void)snprintf(work, sizeof(work), "%064llx",
	    (unsigned long long)(2 * (h + 1)));
	o = json_object_new_object();
	json_object_object_add(o, "chain", json_object_new_string("regtest"));
	json_object_object_add(o, "blocks", json_object_new_int64(h));
	json_object_object_add(o, "headers", json_object_new_int64(h));
	json_object_object_add(o, "bestblockhash",
	    json_object_new_string(sim_chain_hash(rpc->chain, h)));
	json_object_object_add(o, "difficulty", json_object_new_double_s(
	    4.656542373906925e-10, "4.656542373906925e-10"));
	json_object_object_add(o, "time", json_object_new_int64(tiptime));
	json_object_object_add(o, "mediantime",
	    json_object_new_int64(sim_chain_mediantime(rpc->chain, h)));
	json_object_object_add(o, "verificationprogress",
	    json_object_new_double_s(1.0, "1"));
	json_object_object_add(o, "initialblockdownload",
	    json_object_new_boolean(!rpc->ibd_over));
	json_object_object_add(o, "chainwork", json_object_new_string(work));
	json_object_object_add(o, "size_on_disk",
	    json_object_new_int64(293 + 250 * h));
	json_object_object_add(o, "pruned", json_object_new_boolean(0));
	json_object_object_add(o, "warnings", json_object_new_array());
	*result = o;
	return 0;
}

/*
 * generatetoaddress nblocks address [maxtries].  Arguments are read in
 * Core's order (nblocks, maxtries, then the address).  maxtries 0 mines
 * nothing; any other value never runs out.  The sim caps one call at
 * SIM_RPC_MAX_GENERATE blocks (-8) and stops early if the chain is full.
 */
static int
h_generatetoaddress(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*arr, *jt;
	const char		*addr;
	int64_t			 nblocks, maxtries, i, h;

	(void)call;
	if (arg_int(json_object_array_get_idx(args, 0), INT32_MIN, INT32_MAX,
	    &nblocks, err) == -1)
		return -1;
	maxtries = 1000000;
	jt = json_object_array_get_idx(args, 2);
	if (jt != NULL && arg_int(jt, 0, INT64_MAX, &maxtries, err) == -1)
		return -1;
	addr = json_object_get_string(json_object_array_get_idx(args, 1));
	if (!address_ok(addr)) {
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY,
		    "Error: Invalid address");
		return -1;
	}
	if (nblocks > SIM_RPC_MAX_GENERATE) {
		err_set(err, RPC_INVALID_PARAMETER, "nblocks is larger than "
		    "this simulator allows (%d)", SIM_RPC_MAX_GENERATE);
		return -1;
	}
	arr = json_object_new_array();
	for (i = 0; i < nblocks && maxtries > 0; i++) {
		if (sim_chain_mine(rpc->chain, addr, (int64_t)time(NULL)) == -1)
			break;
		h = sim_chain_height(rpc->chain);
		json_object_array_add(arr,
		    json_object_new_string(sim_chain_hash(rpc->chain, h)));
		rpc->dirty = 1;
	}
	if (i > 0)
		sim_log("info", "mined", "blocks=%lld height=%lld",
		    (long long)i, (long long)sim_chain_height(rpc->chain));
	*result = arr;
	return 0;
}

/* abcsim_warmup [seconds]: start (or with 0 end) a simulated warm-up. */
static int
h_abcsim_warmup(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*v;
	int64_t			 secs;

	(void)call;
	secs = 10;
	v = json_object_array_length(args) > 0 ?
	    json_object_array_get_idx(args, 0) : NULL;
	if (v != NULL && arg_int(v, 0, SIM_RPC_MAX_WARMUP, &secs, err) == -1) {
		err_set(err, RPC_INVALID_PARAMETER,
		    "seconds must be an integer from 0 to %d",
		    SIM_RPC_MAX_WARMUP);
		return -1;
	}
	sim_rpc_set_warmup(rpc, secs);
	*result = NULL;
	return 0;
}
