/*
 * bitcoind's JSON-RPC, as abc-worker sees it: a blocking call over libcurl
 * (for threads that may block) and a batch of calls in one request, strict
 * parsers for the response envelope (single and batch),
 * and a monitor thread that keeps the node's state (reachable, warming up,
 * height) fresh for /status without ever blocking the event loop.
 *
 * Ownership: btc_new copies its strings.  btc_parse_response returns a
 * result holding one json-c reference that the caller puts.
 */
#ifndef ABC_BTC_H
#define ABC_BTC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* JSON-RPC error codes we act on (Bitcoin Core src/rpc/protocol.h). */
#define BTC_RPC_IN_WARMUP	(-28)

enum btc_state {
	BTC_UNKNOWN,		/* not asked yet */
	BTC_UP,
	BTC_WARMING,		/* answered -28 */
	BTC_DOWN,		/* transport error, bad auth, or garbage */
	BTC_STATE__MAX
};

struct btc_result {
	int			 rpc_code;	/* 0, or the error's code */
	int			 oversized;	/* the answer exceeded the bound */
	char			 message[256];	/* error text */
	struct json_object	*result;	/* owned, NULL on error */
};

struct btc_status {
	enum btc_state	 state;
	int64_t		 height;		/* -1 when unknown */
	int64_t		 since_ms;		/* real time state began */
	char		 detail[256];
};

struct btc;

struct btc	*btc_new(const char *url, const char *user,
		    const char *password);
void		 btc_free(struct btc *btc);
void		 btc_set_body_max(struct btc *btc, size_t max);
int		 btc_call(struct btc *btc, const char *method,
		    const char *params_json, struct btc_result *out);
int		 btc_call_retry(struct btc *btc, const char *method,
		    const char *params_json, struct btc_result *out,
		    int attempts);
struct json_object *btc_get(struct btc *btc, const char *method,
		    const char *params, int attempts, char *err,
		    size_t errlen, struct btc_result *why);
int		 btc_call_batch(struct btc *btc, const char *method,
		    const char *const *params, size_t n,
		    struct btc_result *outs);
int		 btc_parse_response(const char *body, size_t len,
		    long http_status, struct btc_result *out);
int		 btc_parse_batch(const char *body, size_t len,
		    long http_status, size_t n, struct btc_result *outs);
void		 btc_result_clear(struct btc_result *r);
int		 btc_monitor_start(struct btc *btc, int interval_ms);
void		 btc_monitor_stop(struct btc *btc);
void		 btc_status_get(struct btc *btc, struct btc_status *out);
const char	*btc_state_name(enum btc_state state);
int		 btc_amount_text(const char *s, int64_t *sat);
int		 btc_amount(struct json_object *v, int64_t *sat);

#endif /* ABC_BTC_H */
