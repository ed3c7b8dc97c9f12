/*
 * JSON-RPC client for bitcoind over libcurl, and the monitor thread.
 * Each thread that calls btc_call uses the handle of its own struct btc
 * (libcurl easy handles are not shared between threads).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "btc.h"
#include "buf.h"
#include "clock.h"
#include "abc_limits.h"
#include "log.h"
#include "money.h"
#include "xmalloc.h"

struct btc {
	char		*url;		/* owned */
	char		*userpwd;	/* owned, "user:password" */
	CURL		*curl;		/* owned; used by the monitor thread */
	size_t		 body_max;	/* answers longer are refused */
	pthread_t	 thread;
	int		 running;
	int		 interval_ms;
	pthread_mutex_t	 lock;		/* guards status and stopping */
	pthread_cond_t	 wake;
	int		 stopping;
	struct btc_status status;
};

static const char *const btc_state_names[BTC_STATE__MAX] = {
	"unknown", "up", "warming up", "down",
};

const char *
btc_state_name(enum btc_state state)
{
	return (unsigned)state < BTC_STATE__MAX ? btc_state_names[state] :
	    "invalid";
}

/* Makes a client for url with basic auth; strings are copied. */
struct btc *
btc_new(const char *url, const char *user, const char *password)
{
	struct btc	*btc;
	size_t		 n;

	btc = xcalloc(1, sizeof(*btc));
	btc->url = xstrdup(url);
	n = strlen(user) + strlen(password) + 2;
	btc->userpwd = xmalloc(n);
	snprintf(btc->userpwd, n, "%s:%s", user, password);
	btc->status.state = BTC_UNKNOWN;
	btc->status.height = -1;
	btc->body_max = LIMIT_RPC_BODY;
	pthread_mutex_init(&btc->lock, NULL);
	pthread_cond_init(&btc->wake, NULL);
	return btc;
}

void
btc_free(struct btc *btc)
{
	if (btc == NULL)
		return;
	btc_monitor_stop(btc);
	if (btc->curl != NULL)
		curl_easy_cleanup(btc->curl);
	explicit_bzero(btc->userpwd, strlen(btc->userpwd));
	free(btc->userpwd);
	free(btc->url);
	pthread_mutex_destroy(&btc->lock);
	pthread_cond_destroy(&btc->wake);
	free(btc);
}

void
btc_result_clear(struct btc_result *r)
{
	json_object_put(r->result);
	memset(r, 0, sizeof(*r));
}

/*
 * Copies src into dst, cut at a character boundary when it does not fit,
 * so that a truncated message stays valid UTF-8.
 */
static void
btc_copy_utf8(char *dst, size_t dstlen, const char *src)
{
	size_t	 n = strlen(src);

	if (n >= dstlen) {
		n = dstlen - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Fills out's error fields. */
static int
btc_fail(struct btc_result *out, int code, const char *message)
{
	out->rpc_code = code;
	snprintf(out->message, sizeof(out->message), "%s", message);
	return -1;
}

/*
 * Reads one reply object (a whole answer, or one element of a batch's)
 * into out: 0 with out->result set, or -1 with out->rpc_code and message.
 */
static int
btc_parse_reply(struct json_object *root, struct btc_result *out)
{
	struct json_object	*err, *res, *v;

	if (!json_object_is_type(root, json_type_object))
		return btc_fail(out, 0, "response is not a JSON object");
	if (json_object_object_get_ex(root, "error", &err) && err != NULL &&
	    !json_object_is_type(err, json_type_null)) {
		if (!json_object_is_type(err, json_type_object) ||
		    !json_object_object_get_ex(err, "code", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < INT_MIN ||
		    json_object_get_int64(v) > INT_MAX)
			return btc_fail(out, 0, "malformed error object");
		out->rpc_code = (int)json_object_get_int64(v);
		if (out->rpc_code == 0)
			out->rpc_code = -1;
		btc_copy_utf8(out->message, sizeof(out->message),
		    json_object_object_get_ex(err, "message", &v) &&
		    json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "");
		/* An empty message says no more than a missing one, and a
		 * failed batch must still say why (btc_parse_batch). */
		if (out->message[0] == '\0')
			snprintf(out->message, sizeof(out->message),
			    "(no message)");
		return -1;
	}
	if (!json_object_object_get_ex(root, "result", &res))
		return btc_fail(out, 0, "response has neither result nor error");
	out->result = json_object_get(res);
	return 0;
}

/*
 * Parses a body strictly into a JSON tree (one reference, the caller
 * puts it); NULL with out's error set when it is empty, oversized, holds
 * a NUL or is not JSON.
 */
static struct json_object *
btc_parse_body(const char *body, size_t len, long http_status,
    struct btc_result *out)
{
	struct json_tokener	*tok;
	struct json_object	*root;

	if (len == 0 || len > LIMIT_RPC_BODY || memchr(body, '\0', len)) {
		btc_fail(out, 0, http_status == 401 ? "authentication failed" :
		    "empty or oversized body");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(LIMIT_JSON_DEPTH)) == NULL) {
		btc_fail(out, 0, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (root != NULL && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	if (root == NULL)
		btc_fail(out, 0, "response is not a JSON object");
	return root;
}

/*
 * Parses a legacy (1.x) JSON-RPC response body.  Returns 0 with out->result
 * set on success; -1 with out->rpc_code (the node's code, or 0 when the
 * body itself is unusable) and out->message otherwise.
 */
int
btc_parse_response(const char *body, size_t len, long http_status,
    struct btc_result *out)
{
	struct json_object	*root;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if ((root = btc_parse_body(body, len, http_status, out)) == NULL)
		return -1;
	rc = btc_parse_reply(root, out);
	json_object_put(root);
	return rc;
}

/*
 * Parses the answer to a batch of n requests whose ids were 0 .. n-1:
 * outs[i] gets the reply whose id is i, whatever the order of the array
 * (Core answers in request order, but the id is what names a reply).
 * Returns 0 when the body is an array holding exactly one reply per id
 * (each outs[i] then a success or an RPC error of its own), or -1 with
 * every outs[i] failed (code 0) and the reason in outs[0].message.
 */
int
btc_parse_batch(const char *body, size_t len, long http_status, size_t n,
    struct btc_result *outs)
{
	struct json_object	*root, *e, *id;
	struct btc_result	 whole;
	unsigned char		*seen;
	const char		*why = NULL;
	size_t			 i, k;
	int64_t			 idv;

	memset(outs, 0, n * sizeof(*outs));
	memset(&whole, 0, sizeof(whole));
	if ((root = btc_parse_body(body, len, http_status, &whole)) == NULL)
		why = whole.message;
	else if (!json_object_is_type(root, json_type_array) ||
	    json_object_array_length(root) != n)
		why = json_object_is_type(root, json_type_object) &&
		    btc_parse_reply(root, &whole) == -1 ? whole.message :
		    "batch answer is not an array of one reply per request";
	seen = xcalloc(n + 1, 1);
	for (i = 0; why == NULL && i < n; i++) {
		e = json_object_array_get_idx(root, i);
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "id", &id) ||
		    !json_object_is_type(id, json_type_int) ||
		    (idv = json_object_get_int64(id)) < 0 ||
		    (uint64_t)idv >= n || seen[idv]) {
			why = "batch reply without a valid, distinct id";
			break;
		}
		seen[idv] = 1;
		(void)btc_parse_reply(e, &outs[idv]);
	}
	free(seen);
	json_object_put(root);
	for (k = 0; why != NULL && k < n; k++) {
		json_object_put(outs[k].result);
		memset(&outs[k], 0, sizeof(outs[k]));
		btc_copy_utf8(outs[k].message, sizeof(outs[k].message), why);
	}
	btc_result_clear(&whole);	/* after why, which may point into it */
	return why == NULL ? 0 : -1;
}

/*
 * Lowers the bound on an answer's size (fault injection: the tests make
 * a small wallet's answers "too large" with it); 0 or a larger value
 * keeps LIMIT_RPC_BODY.
 */
void
btc_set_body_max(struct btc *btc, size_t max)
{
	btc->body_max = max > 0 && max < LIMIT_RPC_BODY ? max : LIMIT_RPC_BODY;
}

/* libcurl write callback: appends to a bounded buf. */
static size_t
btc_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;

	if (buf_add(b, p, size * nmemb) == -1)
		return 0;
	return size * nmemb;
}

/* Prepares the monitor's handle for one POST of body. */
static void
btc_setup(struct btc *btc, const char *body, struct buf *resp,
    struct curl_slist *hdrs)
{
	curl_easy_reset(btc->curl);
	curl_easy_setopt(btc->curl, CURLOPT_URL, btc->url);
	curl_easy_setopt(btc->curl, CURLOPT_USERPWD, btc->userpwd);
	curl_easy_setopt(btc->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(btc->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(btc->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(btc->curl, CURLOPT_WRITEFUNCTION, btc_write_cb);
	curl_easy_setopt(btc->curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(btc->curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(btc->curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(btc->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(btc->curl, CURLOPT_PROTOCOLS_STR, "http,https");
}

/*
 * Calls method with params (a JSON array text) and waits for the answer.
 * Returns 0 with out->result set, or -1 with out->rpc_code and message
 * (rpc_code 0 means transport or envelope failure).  Blocks: never call it
 * from the event loop.
 */
int
btc_call(struct btc *btc, const char *method, const char *params_json,
    struct btc_result *out)
{
	struct curl_slist	*hdrs = NULL;
	struct buf		 body, resp;
	CURLcode		 cc;
	long			 status = 0;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if (btc->curl == NULL && (btc->curl = curl_easy_init()) == NULL)
		return btc_fail(out, 0, "curl_easy_init failed");
	buf_init(&body, 64 * 1024);
	buf_init(&resp, btc->body_max);
	(void)buf_printf(&body, "{\"jsonrpc\":\"1.0\",\"id\":\"abc\","
	    "\"method\":\"%s\",\"params\":%s}", method, params_json);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	btc_setup(btc, (const char *)body.data, &resp, hdrs);
	cc = curl_easy_perform(btc->curl);
	(void)curl_easy_getinfo(btc->curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_WRITE_ERROR && resp.len + 65536 > btc->body_max) {
		/* Our bound, not the node's fault: the caller asks for less. */
		rc = btc_fail(out, 0, "answer larger than the response bound");
		out->oversized = 1;
	} else if (cc != CURLE_OK)
		rc = btc_fail(out, 0, curl_easy_strerror(cc));
	else
		rc = btc_parse_response((const char *)resp.data, resp.len,
		    status, out);
	curl_slist_free_all(hdrs);
	buf_clear(&body);
	buf_clear(&resp);
	return rc;
}

/*
 * Calls method once per params[i] in one HTTP request (a JSON-RPC batch,
 * ids 0 .. n-1) and waits for the answer.  Returns 0 with each outs[i]
 * holding its own result or RPC error, or -1 when the batch as a whole
 * failed (transport, envelope, or the answer over the bound: then
 * outs[0].oversized is set and the caller asks for fewer).  Only for
 * reads: a batch is not retried here.
 */
int
btc_call_batch(struct btc *btc, const char *method,
    const char *const *params, size_t n, struct btc_result *outs)
{
	struct curl_slist	*hdrs = NULL;
	struct buf		 body, resp;
	CURLcode		 cc;
	long			 status = 0;
	size_t			 i;
	int			 rc;

	memset(outs, 0, n * sizeof(*outs));
	if (n == 0)
		return 0;
	if (btc->curl == NULL && (btc->curl = curl_easy_init()) == NULL)
		return btc_fail(&outs[0], 0, "curl_easy_init failed");
	buf_init(&body, 0);
	buf_init(&resp, btc->body_max);
	(void)buf_addstr(&body, "[");
	for (i = 0; i < n; i++)
		(void)buf_printf(&body, "%s{\"jsonrpc\":\"1.0\",\"id\":%zu,"
		    "\"method\":\"%s\",\"params\":%s}", i ? "," : "", i,
		    method, params[i]);
	(void)buf_addstr(&body, "]");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	btc_setup(btc, (const char *)body.data, &resp, hdrs);
	cc = curl_easy_perform(btc->curl);
	(void)curl_easy_getinfo(btc->curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_WRITE_ERROR && resp.len + 65536 > btc->body_max) {
		rc = btc_fail(&outs[0], 0, "answer larger than the response "
		    "bound");
		outs[0].oversized = 1;
	} else if (cc != CURLE_OK)
		rc = btc_fail(&outs[0], 0, curl_easy_strerror(cc));
	else
		rc = btc_parse_batch((const char *)resp.data, resp.len, status,
		    n, outs);
	curl_slist_free_all(hdrs);
	buf_clear(&body);
	buf_clear(&resp);
	return rc;
}

/*
 * btc_call for requests that are safe to repeat (reads): retried up to
 * attempts times, with backoff (100, 200, 400 ms...), when the transport
 * failed or the node is warming up (-28).  Never use it for a request that
 * may have been executed and is not idempotent (getnewaddress,
 * sendtoaddress): a lost answer does not mean a lost effect.
 */
int
btc_call_retry(struct btc *btc, const char *method, const char *params_json,
    struct btc_result *out, int attempts)
{
	int	 i, delay_ms = 100;

	for (i = 1;; i++) {
		if (btc_call(btc, method, params_json, out) == 0)
			return 0;
		if (i >= attempts || out->oversized || (out->rpc_code != 0 &&
		    out->rpc_code != BTC_RPC_IN_WARMUP))
			return -1;
		btc_result_clear(out);
		usleep((useconds_t)delay_ms * 1000);
		delay_ms *= 2;
	}
}

/*
 * btc_call_retry for callers that want the result only: returns it (one
 * reference, the caller puts it) or NULL with "method: message" in err;
 * *why (when not NULL) keeps the error's code and whether the answer was
 * over the bound.  A JSON null result also comes back as NULL, with why's
 * code 0 and not oversized: none of our callers expects one.
 */
struct json_object *
btc_get(struct btc *btc, const char *method, const char *params,
    int attempts, char *err, size_t errlen, struct btc_result *why)
{
	struct btc_result	 r;
	struct json_object	*res = NULL;

	if (btc_call_retry(btc, method, params, &r, attempts) != 0)
		snprintf(err, errlen, "%s: %s%.200s", method,
		    r.rpc_code == BTC_RPC_IN_WARMUP ? "warming up: " : "",
		    r.message);
	else if ((res = json_object_get(r.result)) == NULL)
		snprintf(err, errlen, "%s: null answer", method);
	if (why != NULL) {
		memset(why, 0, sizeof(*why));
		why->rpc_code = r.rpc_code;
		why->oversized = r.oversized;
	}
	btc_result_clear(&r);
	return res;
}

/* Records a new status, noting when the state changed. */
static void
btc_status_set(struct btc *btc, enum btc_state state, int64_t height,
    const char *detail)
{
	pthread_mutex_lock(&btc->lock);
	if (btc->status.state != state) {
		btc->status.since_ms = clock_real_ms();
		log_info("bitcoind_state", "state=\"%s\" detail=\"%s\"",
		    btc_state_name(state), detail);
	}
	btc->status.state = state;
	if (height >= 0)
		btc->status.height = height;
	snprintf(btc->status.detail, sizeof(btc->status.detail), "%s", detail);
	pthread_mutex_unlock(&btc->lock);
}

/* One poll of getblockchaininfo. */
static void
btc_poll(struct btc *btc)
{
	struct btc_result	 r;
	struct json_object	*v;
	char			 detail[256];

	if (btc_call(btc, "getblockchaininfo", "[]", &r) != 0) {
		btc_status_set(btc, r.rpc_code == BTC_RPC_IN_WARMUP ?
		    BTC_WARMING : BTC_DOWN, -1, r.message);
		btc_result_clear(&r);
		return;
	}
	if (!json_object_is_type(r.result, json_type_object) ||
	    !json_object_object_get_ex(r.result, "blocks", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0) {
		btc_status_set(btc, BTC_DOWN, -1, "getblockchaininfo: "
		    "no valid blocks field");
		btc_result_clear(&r);
		return;
	}
	snprintf(detail, sizeof(detail), "height %lld",
	    (long long)json_object_get_int64(v));
	btc_status_set(btc, BTC_UP, json_object_get_int64(v), detail);
	btc_result_clear(&r);
}

static void *
btc_monitor(void *arg)
{
	struct btc	*btc = arg;
	struct timespec	 deadline;

	pthread_mutex_lock(&btc->lock);
	while (!btc->stopping) {
		pthread_mutex_unlock(&btc->lock);
		btc_poll(btc);
		clock_abs_deadline(&deadline, btc->interval_ms);
		pthread_mutex_lock(&btc->lock);
		while (!btc->stopping && pthread_cond_timedwait(&btc->wake,
		    &btc->lock, &deadline) != ETIMEDOUT)
			continue;
	}
	pthread_mutex_unlock(&btc->lock);
	return NULL;
}

/* Starts polling the node every interval_ms; 0, or -1 logged. */
int
btc_monitor_start(struct btc *btc, int interval_ms)
{
	pthread_condattr_t	 attr;
	int			 rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_destroy(&btc->wake);
	pthread_cond_init(&btc->wake, &attr);
	pthread_condattr_destroy(&attr);
	btc->interval_ms = interval_ms;
	if ((rc = pthread_create(&btc->thread, NULL, btc_monitor, btc)) != 0) {
		log_error("btc_thread", "error=\"%s\"", strerror(rc));
		return -1;
	}
	btc->running = 1;
	return 0;
}

void
btc_monitor_stop(struct btc *btc)
{
	if (!btc->running)
		return;
	pthread_mutex_lock(&btc->lock);
	btc->stopping = 1;
	pthread_cond_signal(&btc->wake);
	pthread_mutex_unlock(&btc->lock);
	pthread_join(btc->thread, NULL);
	btc->running = 0;
}

/* Copies the latest status into out. */
void
btc_status_get(struct btc *btc, struct btc_status *out)
{
	pthread_mutex_lock(&btc->lock);
	*out = btc->status;
	pthread_mutex_unlock(&btc->lock);
}

/*
 * Reads a JSON number's text as an exact amount of satoshis, never
 * through floating point: "0.00010000", "1", "-0.5", and exponent forms
 * such as "1e-8" (Bitcoin Core prints fixed decimals, but a parser must
 * not be fooled by the others).  Returns 0; -1 for anything that is not a
 * number, more precise than a satoshi, or beyond 21 million BTC.
 */
int
btc_amount_text(const char *s, int64_t *sat)
{
	unsigned __int128	 v = 0;
	const char		*p = s;
	int			 neg = 0, nfrac = 0, ndig = 0, exp = 0, esign = 1;
	int			 scale;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && nfrac == 0 &&
	    ndig > 0); p++) {
		if (*p == '.') {
			nfrac = -1;	/* a point seen, no decimal yet */
			continue;
		}
		if (ndig++ > 36)	/* stays far inside 128 bits */
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		if (nfrac != 0)
			nfrac = nfrac < 0 ? 1 : nfrac + 1;
	}
	if (ndig == 0 || nfrac < 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			esign = *p++ == '-' ? -1 : 1;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++)
			if ((exp = exp * 10 + (*p - '0')) > 60)
				return -1;
	}
	if (*p != '\0')
		return -1;
	scale = 8 - nfrac + esign * exp;
	for (; scale < 0; scale++)
		if (v % 10 != 0)
			return -1;	/* finer than a satoshi */
		else
			v /= 10;
	for (; scale > 0; scale--)
		if ((v *= 10) > (unsigned __int128)MONEY_MAX_SAT)
			return -1;
	if (v > (unsigned __int128)MONEY_MAX_SAT)
		return -1;
	*sat = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* The amount in a JSON number (or integer) value; 0 or -1 as above. */
int
btc_amount(struct json_object *v, int64_t *sat)
{
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		return -1;
	return btc_amount_text(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), sat);
}
