/*
 * JSON-RPC for abc-bitcoind-sim, modelled on Bitcoin Core v28:
 * httprpc.cpp (HTTP checks, auth, single/batch dispatch, error statuses),
 * rpc/request.cpp (envelope parsing, reply shapes) and rpc/server.cpp plus
 * rpc/util.cpp (warm-up, method lookup, named parameters, argument count
 * and type checks).  The rules are in the wire reference, sections 1-2;
 * the methods follow section 3 and the wallet logic lives in sim_wallet.c.
 *
 * Every method is one row of methods[]; a row names the handler, its
 * argument count bounds and each argument's name, JSON type and whether it
 * is optional.  Wallet methods (RPC_F_WALLET) answer -18 on /wallet/<x>
 * for any x but the configured wallet, after the argument checks, as
 * Core's GetWalletForJSONRPCRequest does.  Control methods (abcsim_*,
 * RPC_F_CONTROL) also work during warm-up.
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
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "sim_chain.h"
#include "sim_http.h"
#include "sim_log.h"
#include "sim_rpc.h"
#include "sim_wallet.h"
#include "xmalloc.h"

/* Error codes, from Bitcoin Core src/rpc/protocol.h. */
#define RPC_MISC_ERROR			-1
#define RPC_TYPE_ERROR			-3
#define RPC_WALLET_ERROR		-4
#define RPC_INVALID_ADDRESS_OR_KEY	-5
#define RPC_WALLET_INSUFFICIENT_FUNDS	-6
#define RPC_INVALID_PARAMETER		-8
#define RPC_WALLET_INVALID_LABEL_NAME	-11
#define RPC_WALLET_NOT_FOUND		-18
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
#define RPC_MAXARGS	11
/* Bits in rpc_method.flags. */
#define RPC_F_CONTROL	0x1	/* control method, answered in warm-up */
#define RPC_F_WALLET	0x2	/* needs the wallet named in the path */

struct sim_rpc {
	struct sim_chain	*chain;		/* borrowed */
	char			*userpass;	/* owned "user:password" */
	size_t			 userpass_len;
	char			*wallet;	/* owned wallet name */
	int64_t			 warmup_until;	/* monotonic ms, 0 if none */
	int			 ibd_over;	/* bool, latched like Core */
	int			 dirty;		/* bool: chain needs a save */
	int			 slow_ms;	/* delay every reply */
	int64_t			 down_secs;	/* abcsim_down request, or -1 */
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

#define HANDLER(fn)	static int fn(struct sim_rpc *, \
			    const struct rpc_call *, struct json_object *, \
			    struct json_object **, struct rpc_err *)
HANDLER(h_getblockcount);
HANDLER(h_getbestblockhash);
HANDLER(h_getblockchaininfo);
HANDLER(h_getblockhash);
HANDLER(h_getblock);
HANDLER(h_listtransactions);
HANDLER(h_generatetoaddress);
HANDLER(h_getnewaddress);
HANDLER(h_getaddressinfo);
HANDLER(h_validateaddress);
HANDLER(h_getreceivedbyaddress);
HANDLER(h_getbalances);
HANDLER(h_listunspent);
HANDLER(h_gettransaction);
HANDLER(h_sendtoaddress);
HANDLER(h_listsinceblock);
HANDLER(h_abcsim_warmup);
HANDLER(h_abcsim_mine);
HANDLER(h_abcsim_pay);
HANDLER(h_abcsim_conflict);
HANDLER(h_abcsim_reorg);
HANDLER(h_abcsim_slow);
HANDLER(h_abcsim_down);

#define NOARGS	{ { NULL, 0, 0 } }

/*
 * The method table.  Help texts are shortened versions of Core's; clients
 * must not parse them.  Keep "min_args" equal to the number of leading
 * required args and "max_args" to the number of args (checked at start).
 */
static const struct rpc_method methods[] = {
	{ "getblockcount", h_getblockcount, 0, 0, NOARGS, 0,
	    "getblockcount\n\nReturns the height of the most-work "
	    "fully-validated chain.\nThe genesis block has height 0.\n\n"
	    "Result:\nn    (numeric) The current block count\n\nExamples:\n"
	    "> bitcoin-cli getblockcount \n" },
	{ "getbestblockhash", h_getbestblockhash, 0, 0, NOARGS, 0,
	    "getbestblockhash\n\nReturns the hash of the best (tip) block in "
	    "the most-work fully-validated chain.\n\nResult:\n\"hex\"    "
	    "(string) the block hash, hex-encoded\n\nExamples:\n"
	    "> bitcoin-cli getbestblockhash \n" },
	{ "getblockchaininfo", h_getblockchaininfo, 0, 0, NOARGS, 0,
	    "getblockchaininfo\nReturns an object containing various state "
	    "info regarding blockchain processing.\n\nExamples:\n"
	    "> bitcoin-cli getblockchaininfo \n" },
	{ "getblockhash", h_getblockhash, 1, 1,
	    { { "height", ARG_NUM, 0 } }, 0,
	    "getblockhash height\n\nReturns hash of block in best-block-chain "
	    "at height provided.\n" },
	{ "getblock", h_getblock, 1, 2,
	    { { "blockhash", ARG_STR, 0 }, { "verbosity", ARG_NUM, 1 } }, 0,
	    "getblock \"blockhash\" ( verbosity )\n\nIf verbosity is 1, "
	    "returns an Object with information about block <hash>.\n" },
	{ "listtransactions", h_listtransactions, 0, 4,
	    { { "label", ARG_STR, 1 }, { "count", ARG_NUM, 1 },
	    { "skip", ARG_NUM, 1 }, { "include_watchonly", ARG_BOOL, 1 } },
	    RPC_F_WALLET,
	    "listtransactions ( \"label\" count skip include_watchonly )\n\n"
	    "If a label name is provided, this will return only incoming "
	    "transactions paying to addresses with the specified label.\n\n"
	    "Returns up to 'count' most recent transactions skipping the first "
	    "'from' transactions.\n" },
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
	{ "getnewaddress", h_getnewaddress, 0, 2,
	    { { "label", ARG_STR, 1 }, { "address_type", ARG_STR, 1 } },
	    RPC_F_WALLET,
	    "getnewaddress ( \"label\" \"address_type\" )\n\nReturns a new "
	    "Bitcoin address for receiving payments.\n" },
	{ "getaddressinfo", h_getaddressinfo, 1, 1,
	    { { "address", ARG_STR, 0 } }, RPC_F_WALLET,
	    "getaddressinfo \"address\"\n\nReturn information about the given "
	    "bitcoin address.\n" },
	{ "validateaddress", h_validateaddress, 1, 1,
	    { { "address", ARG_STR, 0 } }, 0,
	    "validateaddress \"address\"\n\nReturn information about the "
	    "given bitcoin address.\n" },
	{ "getreceivedbyaddress", h_getreceivedbyaddress, 1, 3,
	    { { "address", ARG_STR, 0 }, { "minconf", ARG_NUM, 1 },
	    { "include_immature_coinbase", ARG_BOOL, 1 } }, RPC_F_WALLET,
	    "getreceivedbyaddress \"address\" ( minconf "
	    "include_immature_coinbase )\n\nReturns the total amount received "
	    "by the given address in transactions with at least minconf "
	    "confirmations.\n" },
	{ "getbalances", h_getbalances, 0, 0, NOARGS, RPC_F_WALLET,
	    "getbalances\nReturns an object with all balances in BTC.\n" },
	{ "listunspent", h_listunspent, 0, 5,
	    { { "minconf", ARG_NUM, 1 }, { "maxconf", ARG_NUM, 1 },
	    { "addresses", ARG_ARR, 1 }, { "include_unsafe", ARG_BOOL, 1 },
	    { "query_options", ARG_OBJ, 1 } }, RPC_F_WALLET,
	    "listunspent ( minconf maxconf [\"address\",...] include_unsafe "
	    "query_options )\n\nReturns array of unspent transaction outputs."
	    "\n" },
	{ "gettransaction", h_gettransaction, 1, 3,
	    { { "txid", ARG_STR, 0 }, { "include_watchonly", ARG_BOOL, 1 },
	    { "verbose", ARG_BOOL, 1 } }, RPC_F_WALLET,
	    "gettransaction \"txid\" ( include_watchonly verbose )\n\nGet "
	    "detailed information about in-wallet transaction <txid>\n" },
	{ "sendtoaddress", h_sendtoaddress, 2, 11,
	    { { "address", ARG_STR, 0 }, { "amount", ARG_AMOUNT, 0 },
	    { "comment", ARG_STR, 1 }, { "comment_to", ARG_STR, 1 },
	    { "subtractfeefromamount", ARG_BOOL, 1 },
	    { "replaceable", ARG_BOOL, 1 }, { "conf_target", ARG_NUM, 1 },
	    { "estimate_mode", ARG_STR, 1 }, { "avoid_reuse", ARG_BOOL, 1 },
	    { "fee_rate", ARG_AMOUNT, 1 }, { "verbose", ARG_BOOL, 1 } },
	    RPC_F_WALLET,
	    "sendtoaddress \"address\" amount ( \"comment\" \"comment_to\" "
	    "subtractfeefromamount replaceable conf_target \"estimate_mode\" "
	    "avoid_reuse fee_rate verbose )\n\nSend an amount to a given "
	    "address.\n" },
	{ "listsinceblock", h_listsinceblock, 0, 6,
	    { { "blockhash", ARG_STR, 1 },
	    { "target_confirmations", ARG_NUM, 1 },
	    { "include_watchonly", ARG_BOOL, 1 },
	    { "include_removed", ARG_BOOL, 1 },
	    { "include_change", ARG_BOOL, 1 }, { "label", ARG_STR, 1 } },
	    RPC_F_WALLET,
	    "listsinceblock ( \"blockhash\" target_confirmations "
	    "include_watchonly include_removed include_change \"label\" )\n\n"
	    "Get all transactions in blocks since block [blockhash], or all "
	    "transactions if omitted.\n" },
	{ "abcsim_warmup", h_abcsim_warmup, 0, 1,
	    { { "seconds", ARG_NUM, 1 } }, RPC_F_CONTROL,
	    "abcsim_warmup ( seconds )\n\nSimulator control: answer every "
	    "bitcoind method with -28 for this many seconds (default 10, 0 "
	    "ends the warm-up).\n" },
	{ "abcsim_mine", h_abcsim_mine, 0, 1,
	    { { "nblocks", ARG_NUM, 1 } }, RPC_F_CONTROL,
	    "abcsim_mine ( nblocks )\n\nSimulator control: mine nblocks "
	    "(default 1) blocks paying an outside address; the first takes "
	    "the mempool.  Returns the block hashes.\n" },
	{ "abcsim_pay", h_abcsim_pay, 1, 1,
	    { { "outputs", ARG_ARR, 0 } }, RPC_F_CONTROL,
	    "abcsim_pay [[\"address\",amount],...]\n\nSimulator control: one "
	    "transaction from an outside wallet paying these outputs, into "
	    "the mempool.  Returns its txid.\n" },
	{ "abcsim_conflict", h_abcsim_conflict, 1, 2,
	    { { "txid", ARG_STR, 0 }, { "address", ARG_STR, 1 } },
	    RPC_F_CONTROL,
	    "abcsim_conflict \"txid\" ( \"address\" )\n\nSimulator control: "
	    "replace mempool transaction txid by one spending the same inputs "
	    "to address (default: outside).  Returns the new txid.\n" },
	{ "abcsim_reorg", h_abcsim_reorg, 1, 2,
	    { { "nblocks", ARG_NUM, 0 }, { "drop_txs", ARG_BOOL, 1 } },
	    RPC_F_CONTROL,
	    "abcsim_reorg nblocks ( drop_txs )\n\nSimulator control: "
	    "disconnect the last nblocks (1-100) blocks and mine nblocks+1 new "
	    "ones; with drop_txs (default true) their outside transactions "
	    "are dropped, else mined again.\n" },
	{ "abcsim_slow", h_abcsim_slow, 1, 1,
	    { { "ms", ARG_NUM, 0 } }, RPC_F_CONTROL,
	    "abcsim_slow ms\n\nSimulator control: delay every answer by ms "
	    "milliseconds (0 = off).\n" },
	{ "abcsim_down", h_abcsim_down, 1, 1,
	    { { "seconds", ARG_NUM, 0 } }, RPC_F_CONTROL,
	    "abcsim_down seconds\n\nSimulator control: close the HTTP "
	    "listener and every connection for seconds (1-86400); SIGUSR1 "
	    "reopens it early.\n" },
};

static int64_t	now_ms(void);
static void	err_set(struct rpc_err *e, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static void	err_clear(struct rpc_err *e);
static const char *json_type_label(struct json_object *v);
static int	arg_int(struct json_object *v, int64_t min, int64_t max,
		    int64_t *out, struct rpc_err *err);
static struct json_object *arg_get(struct json_object *args, size_t i);
static int	arg_bool(struct json_object *args, size_t i, int def);
static int	arg_hash(struct json_object *v, const char *name, char out[65],
		    struct rpc_err *err);
static int	arg_amount(struct json_object *v, int decimals, int64_t *out,
		    struct rpc_err *err);
static int	arg_address(struct json_object *v, struct rpc_err *err,
		    const char *prefix);
static struct json_object *mine_blocks(struct sim_rpc *rpc, int64_t n,
		    const char *addr);
static int	unspent_addrs(struct json_object *arr, const char **out,
		    size_t *n, struct rpc_err *err);
static int	send_fee_opts(struct json_object *args, struct sim_send *s,
		    struct rpc_err *err);
static const char *opt_str(struct json_object *args, size_t i);
static int	pay_output(struct json_object *pair, struct sim_txout *o,
		    struct rpc_err *err);
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
	if (rc == 0 && (m->flags & RPC_F_WALLET) && call->wallet != NULL &&
	    strcmp(call->wallet, rpc->wallet) != 0) {
		err_set(err, RPC_WALLET_NOT_FOUND, "Requested wallet does not "
		    "exist or is not loaded");
		rc = -1;
	}
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
	if (rpc->slow_ms > out->delay_ms)
		out->delay_ms = rpc->slow_ms;
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
sim_rpc_new(struct sim_chain *chain, const char *userpass,
    const char *wallet)
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
	rpc->wallet = xstrdup(wallet);
	rpc->down_secs = -1;
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
	free(rpc->wallet);
	free(rpc);
}

/* Answer every bitcoind method with -28 for "seconds" (0 ends it). */
void
sim_rpc_set_warmup(struct sim_rpc *rpc, int64_t seconds)
{
	rpc->warmup_until = seconds > 0 ? now_ms() + seconds * 1000 : 0;
	sim_log("info", "warmup", "seconds=%lld", (long long)seconds);
}

/*
 * The listener-down request of the last abcsim_down call, in seconds, or
 * -1 if none; reading it clears it.
 */
int64_t
sim_rpc_take_down(struct sim_rpc *rpc)
{
	int64_t	s;

	s = rpc->down_secs;
	rpc->down_secs = -1;
	return s;
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
/* getblockhash: the active chain's block at height. */
static int
h_getblockhash(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	int64_t	 h;

	(void)call;
	if (arg_int(arg_get(args, 0), INT32_MIN, INT32_MAX, &h, err) == -1)
		return -1;
	if (h < 0 || h > sim_chain_height(rpc->chain)) {
		err_set(err, RPC_INVALID_PARAMETER, "Block height out of range");
		return -1;
	}
	*result = json_object_new_string(sim_chain_hash(rpc->chain, h));
	return 0;
}

/*
 * getblock with verbosity 1 (the default), in Core's key order; a block
 * reorged out answers too, with confirmations -1 and no nextblockhash.
 * Sizes are the serialized transactions' (hex / 2) plus a header.
 */
static int
h_getblock(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	const struct sim_block	*b;
	struct json_object	*o, *txs, *v;
	char			 hash[65], work[65];
	int64_t			 verbosity = 1, size = 80, tip;
	size_t			 i;
	int			 active;

	(void)call;
	if (arg_hash(arg_get(args, 0), "blockhash", hash, err) == -1)
		return -1;
	if ((v = arg_get(args, 1)) != NULL &&
	    arg_int(v, INT32_MIN, INT32_MAX, &verbosity, err) == -1)
		return -1;
	if ((b = sim_chain_find_block(rpc->chain, hash, &active)) == NULL) {
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
		return -1;
	}
	if (verbosity != 1) {
		err_set(err, RPC_INVALID_PARAMETER, "abc-bitcoind-sim answers "
		    "getblock with verbosity 1 only");
		return -1;
	}
	tip = sim_chain_height(rpc->chain);
	txs = json_object_new_array_ext((int)b->ntx);
	for (i = 0; i < b->ntx; i++) {
		json_object_array_add(txs, json_object_new_string(
		    rpc->chain->txs[b->txs[i]].txid));
		size += (int64_t)strlen(rpc->chain->txs[b->txs[i]].hex) / 2;
	}
	snprintf(work, sizeof(work), "%064llx", (unsigned long long)
	    (2 * (b->height + 1)));
	o = json_object_new_object();
	json_object_object_add(o, "hash", json_object_new_string(b->hash));
	json_object_object_add(o, "confirmations", json_object_new_int64(
	    active ? tip - b->height + 1 : -1));
	json_object_object_add(o, "height", json_object_new_int64(b->height));
	json_object_object_add(o, "version", json_object_new_int64(0x20000000));
	json_object_object_add(o, "versionHex",
	    json_object_new_string("20000000"));
	json_object_object_add(o, "merkleroot", json_object_new_string(
	    b->ntx > 0 ? rpc->chain->txs[b->txs[0]].txid : b->hash));
	json_object_object_add(o, "time", json_object_new_int64(b->time));
	json_object_object_add(o, "mediantime", json_object_new_int64(
	    active ? sim_chain_mediantime(rpc->chain, b->height) : b->time));
	json_object_object_add(o, "nonce", json_object_new_int64(
	    (int64_t)(b->nonce & 0xffffffffu)));
	json_object_object_add(o, "bits", json_object_new_string("207fffff"));
	json_object_object_add(o, "difficulty",
	    json_object_new_double_s(4.656542373906925e-10,
	    "4.656542373906925e-10"));
	json_object_object_add(o, "chainwork", json_object_new_string(work));
	json_object_object_add(o, "nTx", json_object_new_int64(
	    (int64_t)b->ntx));
	if (b->height > 0)
		json_object_object_add(o, "previousblockhash",
		    json_object_new_string(b->prev));
	if (active && b->height < tip)
		json_object_object_add(o, "nextblockhash",
		    json_object_new_string(sim_chain_hash(rpc->chain,
		    b->height + 1)));
	json_object_object_add(o, "strippedsize", json_object_new_int64(size));
	json_object_object_add(o, "size", json_object_new_int64(size));
	json_object_object_add(o, "weight", json_object_new_int64(size * 4));
	json_object_object_add(o, "tx", txs);
	*result = o;
	return 0;
}

/* listtransactions ( "label" count skip include_watchonly ). */
static int
h_listtransactions(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*v;
	const char		*label = NULL;
	int64_t			 count = 10, skip = 0;

	(void)call;
	if ((v = arg_get(args, 0)) != NULL)
		label = json_object_get_string(v);
	if ((v = arg_get(args, 1)) != NULL &&
	    arg_int(v, INT32_MIN, INT32_MAX, &count, err) == -1)
		return -1;
	if ((v = arg_get(args, 2)) != NULL &&
	    arg_int(v, INT32_MIN, INT32_MAX, &skip, err) == -1)
		return -1;
	if (count < 0) {
		err_set(err, RPC_INVALID_PARAMETER, "Negative count");
		return -1;
	}
	if (skip < 0) {
		err_set(err, RPC_INVALID_PARAMETER, "Negative from");
		return -1;
	}
	*result = sim_wallet_list(rpc->chain, label, count, skip);
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

/* Argument i, or NULL when absent or JSON null. */
static struct json_object *
arg_get(struct json_object *args, size_t i)
{
	return i < json_object_array_length(args) ?
	    json_object_array_get_idx(args, i) : NULL;
}

/* Boolean argument i (type already checked), "def" when absent. */
static int
arg_bool(struct json_object *args, size_t i, int def)
{
	struct json_object	*v;

	v = arg_get(args, i);
	return v == NULL ? def : json_object_get_boolean(v);
}

/*
 * Core's ParseHashV: 64 hex digits (either case), else -8.  "out" gets
 * the lowercase form.  Returns 0 or -1.
 */
static int
arg_hash(struct json_object *v, const char *name, char out[65],
    struct rpc_err *err)
{
	const char	*s;
	size_t		 n, i;

	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n != 64) {
		err_set(err, RPC_INVALID_PARAMETER, "%s must be of length 64 "
		    "(not %zu, for '%.*s')", name, n, n > 1024 ? 1024 : (int)n,
		    s);
		return -1;
	}
	for (i = 0; i < 64; i++) {
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0') {
			err_set(err, RPC_INVALID_PARAMETER, "%s must be "
			    "hexadecimal string (not '%.64s')", name, s);
			return -1;
		}
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	}
	out[64] = '\0';
	return 0;
}

/*
 * Core's AmountFromValue: a number (its source text) or a string, parsed
 * as fixed point with "decimals" decimals.  Returns 0 or -1 with -3.
 */
static int
arg_amount(struct json_object *v, int decimals, int64_t *out,
    struct rpc_err *err)
{
	const char	*s;
	size_t		 n;
	int		 rc;

	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_string)) {
		err_set(err, RPC_TYPE_ERROR, "Amount is not a number or string");
		return -1;
	}
	s = json_object_get_string(v);
	n = strlen(s);
	rc = n > 200 || (json_object_is_type(v, json_type_string) &&
	    n != (size_t)json_object_get_string_len(v)) ? SIM_AMOUNT_INVALID :
	    sim_amount_parse(s, decimals, out);
	if (rc == SIM_AMOUNT_OK)
		return 0;
	err_set(err, RPC_TYPE_ERROR, rc == SIM_AMOUNT_RANGE ?
	    "Amount out of range" : "Invalid amount");
	return -1;
}

/*
 * A string argument that must be a valid address: -5 with "prefix" and
 * the address ("Invalid Bitcoin address: x"), or with just "prefix" when
 * it ends without ": ".  Returns 0 or -1.
 */
static int
arg_address(struct json_object *v, struct rpc_err *err, const char *prefix)
{
	const char	*s, *e;
	size_t		 n;

	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == strlen(s) && n <= SIM_CHAIN_ADDR_MAX &&
	    sim_addr_decode(s, NULL, NULL, &e) == 0)
		return 0;
	if (prefix[strlen(prefix) - 1] == ' ')
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s%.*s", prefix,
		    n > 1024 ? 1024 : (int)n, s);
	else
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s", prefix);
	return -1;
}

/* Mine up to "n" blocks to "addr"; returns the array of new hashes. */
static struct json_object *
mine_blocks(struct sim_rpc *rpc, int64_t n, const char *addr)
{
	struct json_object	*arr;
	int64_t			 i;

	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (sim_chain_mine(rpc->chain, addr, (int64_t)time(NULL)) == -1)
			break;
		json_object_array_add(arr, json_object_new_string(
		    sim_chain_hash(rpc->chain, sim_chain_height(rpc->chain))));
		rpc->dirty = 1;
	}
	if (i > 0)
		sim_log("info", "mined", "blocks=%lld height=%lld",
		    (long long)i, (long long)sim_chain_height(rpc->chain));
	return arr;
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
	struct json_object	*jt;
	int64_t			 nblocks, maxtries;

	(void)call;
	if (arg_int(arg_get(args, 0), INT32_MIN, INT32_MAX, &nblocks,
	    err) == -1)
		return -1;
	maxtries = 1000000;
	jt = arg_get(args, 2);
	if (jt != NULL && arg_int(jt, 0, INT64_MAX, &maxtries, err) == -1)
		return -1;
	if (arg_address(arg_get(args, 1), err, "Error: Invalid address") == -1)
		return -1;
	if (nblocks > SIM_RPC_MAX_GENERATE) {
		err_set(err, RPC_INVALID_PARAMETER, "nblocks is larger than "
		    "this simulator allows (%d)", SIM_RPC_MAX_GENERATE);
		return -1;
	}
	*result = mine_blocks(rpc, maxtries > 0 ? nblocks : 0,
	    json_object_get_string(arg_get(args, 1)));
	return 0;
}

/* getnewaddress [label] [address_type]: bech32 (default) or bech32m. */
static int
h_getnewaddress(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*v;
	const char		*label, *type, *a;

	(void)call;
	v = arg_get(args, 0);
	label = v != NULL ? json_object_get_string(v) : "";
	if (strcmp(label, "*") == 0) {
		err_set(err, RPC_WALLET_INVALID_LABEL_NAME,
		    "Invalid label name");
		return -1;
	}
	if (v != NULL && ((size_t)json_object_get_string_len(v) !=
	    strlen(label) || strlen(label) > SIM_CHAIN_LABEL_MAX)) {
		err_set(err, RPC_WALLET_INVALID_LABEL_NAME, "Invalid label "
		    "name (the simulator takes at most %u bytes, no NUL)",
		    SIM_CHAIN_LABEL_MAX);
		return -1;
	}
	v = arg_get(args, 1);
	type = v != NULL ? json_object_get_string(v) : "bech32";
	if (strcmp(type, "bech32") != 0 && strcmp(type, "bech32m") != 0) {
		if (strcmp(type, "legacy") == 0 ||
		    strcmp(type, "p2sh-segwit") == 0)
			err_set(err, RPC_WALLET_ERROR, "Error: address type "
			    "'%s' is not simulated by abc-bitcoind-sim", type);
		else
			err_set(err, RPC_INVALID_ADDRESS_OR_KEY,
			    "Unknown address type '%.64s'", type);
		return -1;
	}
	a = sim_wallet_new_address(rpc->chain, label, 0, type[6] == 'm',
	    (int64_t)time(NULL));
	if (a == NULL) {
		err_set(err, RPC_WALLET_ERROR,
		    "Error: This wallet has no available keys");
		return -1;
	}
	rpc->dirty = 1;
	*result = json_object_new_string(a);
	return 0;
}

/* getaddressinfo address. */
static int
h_getaddressinfo(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	const char	*a, *e;

	(void)call;
	a = json_object_get_string(arg_get(args, 0));
	if (strlen(a) != (size_t)json_object_get_string_len(arg_get(args, 0)) ||
	    sim_addr_decode(a, NULL, NULL, &e) == -1) {
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s",
		    strlen(a) > SIM_CHAIN_ADDR_MAX ? "Invalid address" : e);
		return -1;
	}
	*result = sim_wallet_addressinfo(rpc->chain, a);
	return 0;
}

/* validateaddress address: never an error for a string. */
static int
h_validateaddress(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*v;

	(void)rpc;
	(void)call;
	(void)err;
	v = arg_get(args, 0);
	if ((size_t)json_object_get_string_len(v) !=
	    strlen(json_object_get_string(v)))
		*result = sim_wallet_validate("\x01");
	else
		*result = sim_wallet_validate(json_object_get_string(v));
	return 0;
}

/* getreceivedbyaddress address [minconf] [include_immature_coinbase]. */
static int
h_getreceivedbyaddress(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	const char	*a;
	int64_t		 minconf;

	(void)call;
	if (arg_address(arg_get(args, 0), err, "Invalid Bitcoin address") == -1)
		return -1;
	a = json_object_get_string(arg_get(args, 0));
	if (!sim_wallet_is_mine(rpc->chain, a)) {
		err_set(err, RPC_WALLET_ERROR, "Address not found in wallet");
		return -1;
	}
	minconf = 1;
	if (arg_get(args, 1) != NULL && arg_int(arg_get(args, 1), INT32_MIN,
	    INT32_MAX, &minconf, err) == -1)
		return -1;
	*result = sim_amount_json(sim_wallet_received(rpc->chain, a, minconf,
	    arg_bool(args, 2, 0)));
	return 0;
}

/* getbalances. */
static int
h_getbalances(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	(void)call;
	(void)args;
	(void)err;
	*result = sim_wallet_balances(rpc->chain);
	return 0;
}

/* The addresses filter of listunspent: valid, no duplicates. */
static int
unspent_addrs(struct json_object *arr, const char **out, size_t *n,
    struct rpc_err *err)
{
	struct json_object	*v;
	size_t			 i, j;

	*n = json_object_array_length(arr);
	for (i = 0; i < *n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string)) {
			err_set(err, RPC_TYPE_ERROR, "JSON value of type %s is "
			    "not of expected type string", json_type_label(v));
			return -1;
		}
		if (arg_address(v, err, "Invalid Bitcoin address: ") == -1)
			return -1;
		out[i] = json_object_get_string(v);
		for (j = 0; j < i; j++)
			if (strcmp(out[j], out[i]) == 0) {
				err_set(err, RPC_INVALID_PARAMETER, "Invalid "
				    "parameter, duplicated address: %s", out[i]);
				return -1;
			}
	}
	return 0;
}

/* listunspent [minconf] [maxconf] [addresses] [include_unsafe] [opts]. */
static int
h_listunspent(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	const char		**addrs;
	struct json_object	*v;
	int64_t			  minconf, maxconf;
	size_t			  n;

	(void)call;
	minconf = 1;
	maxconf = 9999999;
	if ((v = arg_get(args, 0)) != NULL &&
	    arg_int(v, INT32_MIN, INT32_MAX, &minconf, err) == -1)
		return -1;
	if ((v = arg_get(args, 1)) != NULL &&
	    arg_int(v, INT32_MIN, INT32_MAX, &maxconf, err) == -1)
		return -1;
	n = 0;
	v = arg_get(args, 2);
	addrs = NULL;
	if (v != NULL && json_object_array_length(v) > 0) {
		if (json_object_array_length(v) > SIM_CHAIN_MAX_ADDRS) {
			err_set(err, RPC_INVALID_PARAMETER, "Too many addresses");
			return -1;
		}
		addrs = xcalloc(json_object_array_length(v), sizeof(*addrs));
		if (unspent_addrs(v, addrs, &n, err) == -1) {
			free(addrs);
			return -1;
		}
	}
	*result = sim_wallet_unspent(rpc->chain, minconf, maxconf, addrs, n,
	    arg_bool(args, 3, 1));
	free(addrs);
	return 0;
}

/* gettransaction txid [include_watchonly] [verbose]. */
static int
h_gettransaction(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	char		 txid[65];
	long long	 i;

	(void)call;
	if (arg_hash(arg_get(args, 0), "txid", txid, err) == -1)
		return -1;
	i = sim_chain_find_tx(rpc->chain, txid);
	if (i < 0 || !sim_wallet_tx_relevant(rpc->chain, (size_t)i)) {
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY,
		    "Invalid or non-wallet transaction id");
		return -1;
	}
	*result = sim_wallet_gettransaction(rpc->chain, (size_t)i);
	return 0;
}

/* sendtoaddress step 1: fee options (reference 3.9). */
static int
send_fee_opts(struct json_object *args, struct sim_send *s,
    struct rpc_err *err)
{
	struct json_object	*ct, *em, *fr;
	const char		*mode;
	int64_t			 target;

	ct = arg_get(args, 6);
	em = arg_get(args, 7);
	fr = arg_get(args, 9);
	mode = em != NULL ? json_object_get_string(em) : "unset";
	if (fr != NULL && ct != NULL) {
		err_set(err, RPC_INVALID_PARAMETER, "Cannot specify both "
		    "conf_target and fee_rate. Please provide either a "
		    "confirmation target in blocks for automatic fee "
		    "estimation, or an explicit fee rate.");
		return -1;
	}
	if (fr != NULL && strcasecmp(mode, "unset") != 0) {
		err_set(err, RPC_INVALID_PARAMETER,
		    "Cannot specify both estimate_mode and fee_rate");
		return -1;
	}
	if (strcasecmp(mode, "unset") != 0 &&
	    strcasecmp(mode, "economical") != 0 &&
	    strcasecmp(mode, "conservative") != 0) {
		err_set(err, RPC_INVALID_PARAMETER, "Invalid estimate_mode "
		    "parameter, must be one of: \"unset\", \"economical\", "
		    "\"conservative\"");
		return -1;
	}
	if (ct != NULL && (arg_int(ct, INT32_MIN, INT32_MAX, &target,
	    err) == -1 || target < 1 || target > 1008)) {
		err_set(err, RPC_INVALID_PARAMETER,
		    "Invalid conf_target, must be between 1 and 1008");
		return -1;
	}
	if (arg_bool(args, 8, 0)) {
		err_set(err, RPC_WALLET_ERROR, "wallet does not have the "
		    "\"avoid reuse\" feature enabled");
		return -1;
	}
	s->feerate_msat = 10000;
	return fr != NULL ? arg_amount(fr, 3, &s->feerate_msat, err) : 0;
}

/* Optional string argument i, bounded; NULL when absent or empty. */
static const char *
opt_str(struct json_object *args, size_t i)
{
	struct json_object	*v;
	const char		*s;

	v = arg_get(args, i);
	if (v == NULL)
		return NULL;
	s = json_object_get_string(v);
	return s[0] == '\0' || strlen(s) > SIM_CHAIN_COMMENT_MAX ? NULL : s;
}

/* sendtoaddress address amount ... (reference 3.9, checks in order). */
static int
h_sendtoaddress(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct sim_send	 s;
	struct sim_werr	 we;
	long long	 i;

	(void)call;
	memset(&s, 0, sizeof(s));
	if (send_fee_opts(args, &s, err) == -1 ||
	    arg_amount(arg_get(args, 1), 8, &s.amount, err) == -1 ||
	    arg_address(arg_get(args, 0), err,
	    "Invalid Bitcoin address: ") == -1)
		return -1;
	if (s.feerate_msat < 1000) {
		err_set(err, RPC_WALLET_INSUFFICIENT_FUNDS, "Fee rate (%lld.%03lld"
		    " sat/vB) is lower than the minimum fee rate setting "
		    "(1.000 sat/vB)", (long long)(s.feerate_msat / 1000),
		    (long long)(s.feerate_msat % 1000));
		return -1;
	}
	s.address = json_object_get_string(arg_get(args, 0));
	s.comment = opt_str(args, 2);
	s.to = opt_str(args, 3);
	s.subtract_fee = arg_bool(args, 4, 0);
	s.rbf = arg_bool(args, 5, 1);
	i = sim_wallet_send(rpc->chain, &s, (int64_t)time(NULL), &we);
	if (i < 0) {
		err_set(err, we.code, "%s", we.msg);
		return -1;
	}
	rpc->dirty = 1;
	sim_log("info", "sent", "txid=%s", rpc->chain->txs[i].txid);
	if (!arg_bool(args, 10, 0)) {
		*result = json_object_new_string(rpc->chain->txs[i].txid);
		return 0;
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "txid",
	    json_object_new_string(rpc->chain->txs[i].txid));
	json_object_object_add(*result, "fee_reason",
	    json_object_new_string("Fallback fee"));
	return 0;
}

/* listsinceblock [blockhash] [target_confirmations] [...] (3.6). */
static int
h_listsinceblock(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*v;
	struct sim_werr		 we;
	const char		*label;
	char			 hash[65];
	int64_t			 target;
	int			 active;

	(void)call;
	hash[0] = '\0';
	v = arg_get(args, 0);
	if (v != NULL && json_object_get_string_len(v) > 0) {
		if (arg_hash(v, "blockhash", hash, err) == -1)
			return -1;
		if (sim_chain_find_block(rpc->chain, hash, &active) == NULL) {
			err_set(err, RPC_INVALID_ADDRESS_OR_KEY,
			    "Block not found");
			return -1;
		}
	}
	target = 1;
	if ((v = arg_get(args, 1)) != NULL &&
	    arg_int(v, INT32_MIN, INT32_MAX, &target, err) == -1)
		return -1;
	if (target < 1) {
		err_set(err, RPC_INVALID_PARAMETER, "Invalid parameter");
		return -1;
	}
	label = (v = arg_get(args, 5)) != NULL ? json_object_get_string(v) :
	    NULL;
	*result = sim_wallet_since(rpc->chain, hash, target,
	    arg_bool(args, 3, 1), arg_bool(args, 4, 0), label, &we);
	if (*result == NULL) {
		err_set(err, we.code, "%s", we.msg);
		return -1;
	}
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
	v = arg_get(args, 0);
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

/* abcsim_mine [nblocks=1]: blocks paying an outside address. */
static int
h_abcsim_mine(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*v;
	int64_t			 n;

	(void)call;
	n = 1;
	v = arg_get(args, 0);
	if (v != NULL && arg_int(v, 1, SIM_RPC_MAX_GENERATE, &n, err) == -1) {
		err_set(err, RPC_INVALID_PARAMETER, "nblocks must be an "
		    "integer from 1 to %d", SIM_RPC_MAX_GENERATE);
		return -1;
	}
	*result = mine_blocks(rpc, n, SIM_OUTSIDE_ADDRESS);
	return 0;
}

/* One [address, amount] pair of abcsim_pay into "o". */
static int
pay_output(struct json_object *pair, struct sim_txout *o,
    struct rpc_err *err)
{
	if (!json_object_is_type(pair, json_type_array) ||
	    json_object_array_length(pair) != 2 ||
	    !json_object_is_type(json_object_array_get_idx(pair, 0),
	    json_type_string)) {
		err_set(err, RPC_INVALID_PARAMETER, "outputs must be "
		    "[[\"address\", amount], ...]");
		return -1;
	}
	if (arg_address(json_object_array_get_idx(pair, 0), err,
	    "Invalid Bitcoin address: ") == -1 ||
	    arg_amount(json_object_array_get_idx(pair, 1), 8, &o->value,
	    err) == -1)
		return -1;
	if (o->value < 1) {
		err_set(err, RPC_INVALID_PARAMETER,
		    "amounts must be at least 0.00000001");
		return -1;
	}
	o->address = (char *)(uintptr_t)json_object_get_string(
	    json_object_array_get_idx(pair, 0));
	return 0;
}

/* abcsim_pay [[address, amount], ...]: an outside payment. */
static int
h_abcsim_pay(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*arr;
	struct sim_txout	*out;
	struct sim_txin		 in;
	size_t			 i, n;
	int64_t			 total;
	long long		 idx;

	(void)call;
	arr = arg_get(args, 0);
	n = json_object_array_length(arr);
	if (n == 0 || n > SIM_CHAIN_MAX_TXOUT) {
		err_set(err, RPC_INVALID_PARAMETER, "outputs must hold 1 to "
		    "%d [address, amount] pairs", SIM_CHAIN_MAX_TXOUT);
		return -1;
	}
	out = xcalloc(n, sizeof(*out));
	total = 0;
	for (i = 0; i < n; i++) {
		if (pay_output(json_object_array_get_idx(arr, i), &out[i],
		    err) == -1 || (total += out[i].value) > SIM_MAX_MONEY) {
			if (err->code == 0)
				err_set(err, RPC_TYPE_ERROR,
				    "Amount out of range");
			free(out);
			return -1;
		}
	}
	sim_chain_ext_input(rpc->chain, &in);
	idx = sim_chain_add_tx(rpc->chain, SIM_TX_EXTERNAL, &in, 1, out, n, 0,
	    NULL, NULL, (int64_t)time(NULL));
	free(out);
	rpc->dirty = 1;
	if (idx < 0) {
		err_set(err, RPC_MISC_ERROR, "the simulator's transaction "
		    "table is full");
		return -1;
	}
	sim_log("info", "paid", "txid=%s outputs=%zu",
	    rpc->chain->txs[idx].txid, n);
	*result = json_object_new_string(rpc->chain->txs[idx].txid);
	return 0;
}

/* abcsim_conflict txid [address]: replace a mempool tx. */
static int
h_abcsim_conflict(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	const char	*addr;
	char		 txid[65];
	long long	 i, ni;

	(void)call;
	if (arg_hash(arg_get(args, 0), "txid", txid, err) == -1)
		return -1;
	addr = SIM_OUTSIDE_ADDRESS;
	if (arg_get(args, 1) != NULL) {
		if (arg_address(arg_get(args, 1), err,
		    "Invalid Bitcoin address: ") == -1)
			return -1;
		addr = json_object_get_string(arg_get(args, 1));
	}
	i = sim_chain_find_tx(rpc->chain, txid);
	if (i < 0) {
		err_set(err, RPC_INVALID_ADDRESS_OR_KEY, "No such transaction");
		return -1;
	}
	ni = sim_chain_conflict(rpc->chain, (size_t)i, addr,
	    (int64_t)time(NULL));
	if (ni < 0) {
		err_set(err, RPC_INVALID_PARAMETER,
		    "Transaction is not in the mempool");
		return -1;
	}
	rpc->dirty = 1;
	sim_log("info", "conflict", "txid=%s by=%s", txid,
	    rpc->chain->txs[ni].txid);
	*result = json_object_new_string(rpc->chain->txs[ni].txid);
	return 0;
}

/* abcsim_reorg nblocks [drop_txs=true]. */
static int
h_abcsim_reorg(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	struct json_object	*o, *old, *nw;
	int64_t			 n, h, i;

	(void)call;
	h = sim_chain_height(rpc->chain);
	if (arg_int(arg_get(args, 0), 1, SIM_CHAIN_MAX_REORG, &n, err) == -1 ||
	    n > h) {
		err_set(err, RPC_INVALID_PARAMETER, "nblocks must be an "
		    "integer from 1 to %d and at most the height (%lld)",
		    SIM_CHAIN_MAX_REORG, (long long)h);
		return -1;
	}
	old = json_object_new_array();
	for (i = h - n + 1; i <= h; i++)
		json_object_array_add(old, json_object_new_string(
		    sim_chain_hash(rpc->chain, i)));
	if (sim_chain_reorg(rpc->chain, n, arg_bool(args, 1, 1),
	    SIM_OUTSIDE_ADDRESS, (int64_t)time(NULL)) == -1) {
		json_object_put(old);
		err_set(err, RPC_MISC_ERROR, "reorg failed");
		return -1;
	}
	rpc->dirty = 1;
	nw = json_object_new_array();
	for (i = h - n + 1; i <= sim_chain_height(rpc->chain); i++)
		json_object_array_add(nw, json_object_new_string(
		    sim_chain_hash(rpc->chain, i)));
	o = json_object_new_object();
	json_object_object_add(o, "disconnected", old);
	json_object_object_add(o, "connected", nw);
	json_object_object_add(o, "height",
	    json_object_new_int64(sim_chain_height(rpc->chain)));
	*result = o;
	return 0;
}

/* abcsim_slow ms: delay every answer. */
static int
h_abcsim_slow(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	int64_t	ms;

	(void)call;
	if (arg_int(arg_get(args, 0), 0, SIM_RPC_MAX_SLOW_MS, &ms,
	    err) == -1) {
		err_set(err, RPC_INVALID_PARAMETER, "ms must be an integer "
		    "from 0 to %d", SIM_RPC_MAX_SLOW_MS);
		return -1;
	}
	rpc->slow_ms = (int)ms;
	sim_log("info", "slow", "ms=%d", rpc->slow_ms);
	*result = NULL;
	return 0;
}

/* abcsim_down seconds: ask the server loop to close its listener. */
static int
h_abcsim_down(struct sim_rpc *rpc, const struct rpc_call *call,
    struct json_object *args, struct json_object **result,
    struct rpc_err *err)
{
	int64_t	s;

	(void)call;
	if (arg_int(arg_get(args, 0), 1, SIM_RPC_MAX_DOWN, &s, err) == -1) {
		err_set(err, RPC_INVALID_PARAMETER, "seconds must be an "
		    "integer from 1 to %d", SIM_RPC_MAX_DOWN);
		return -1;
	}
	rpc->down_secs = s;
	*result = NULL;
	return 0;
}
