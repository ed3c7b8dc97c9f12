/*
 * The JSON-RPC layer of abc-bitcoind-sim: what bitcoind's httprpc.cpp,
 * rpc/request.cpp and rpc/server.cpp do, for the methods the sim knows.
 * It turns one parsed HTTP request into one HTTP reply (status, headers,
 * body) following /work/shared/reference/bitcoind-rpc.md sections 1-2.
 *
 * Ownership: struct sim_rpc is opaque, created by sim_rpc_new() and
 * released by sim_rpc_free(); it borrows the chain for its whole life and
 * copies the credentials and the wallet name.
 * struct sim_rpc_reply is owned by the caller (sim_rpc_reply_init() /
 * sim_rpc_reply_clear()) and its body buffer is owned by the reply.
 */
#ifndef SIM_RPC_H
#define SIM_RPC_H

#include <stdint.h>

#include "sim_http.h"

/* Nesting accepted in request JSON (UniValue's own limit is 512). */
#define SIM_RPC_JSON_DEPTH	512
/*
 * Most '{' in one body, and most '{', '[' and ',' together.  bitcoind has
 * no such limit, but a few MiB of "{}," would cost gigabytes in json-c, so
 * the sim answers 413 instead of running out of memory.
 */
#define SIM_RPC_MAX_OBJECTS	100000u
#define SIM_RPC_MAX_TOKENS	1000000u
/* Most blocks one generatetoaddress call may mine (fuzzing lowers it). */
#ifndef SIM_RPC_MAX_GENERATE
#define SIM_RPC_MAX_GENERATE	10000
#endif
/* Longest warm-up that abcsim_warmup or --warmup may ask for. */
#define SIM_RPC_MAX_WARMUP	86400
/* Longest abcsim_down and abcsim_slow. */
#define SIM_RPC_MAX_DOWN	86400
#define SIM_RPC_MAX_SLOW_MS	600000
/* Longest wallet name (--wallet). */
#define SIM_RPC_WALLET_MAX	256

struct sim_chain;
struct sim_rpc;

/* What to send back for one HTTP request. */
struct sim_rpc_reply {
	int		 status;	/* HTTP status */
	const char	*ctype;		/* static, NULL: libevent default */
	const char	*extra_headers;	/* static "Name: v\r\n" lines or NULL */
	int		 delay_ms;	/* hold the reply this long */
	struct sim_buf	 body;		/* owned */
	char		 summary[192];	/* key=value text for the log line */
};

struct sim_rpc	*sim_rpc_new(struct sim_chain *chain, const char *userpass,
		    const char *wallet);
int64_t		 sim_rpc_take_down(struct sim_rpc *rpc);
void		 sim_rpc_free(struct sim_rpc *rpc);
void		 sim_rpc_set_warmup(struct sim_rpc *rpc, int64_t seconds);
void		 sim_rpc_reply_init(struct sim_rpc_reply *r);
void		 sim_rpc_reply_clear(struct sim_rpc_reply *r);
void		 sim_rpc_handle(struct sim_rpc *rpc,
		    const struct sim_http_req *req, struct sim_rpc_reply *out);

#endif /* SIM_RPC_H */
