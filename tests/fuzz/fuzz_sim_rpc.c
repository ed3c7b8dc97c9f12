/*
 * libFuzzer target for the JSON-RPC layer of abc-bitcoind-sim: every
 * input is the body of an authenticated POST (to "/" or, when the first
 * byte is odd, to "/wallet/abc") answered by sim_rpc_handle() over an
 * in-memory node state, so all methods, the wallet views and the abcsim_*
 * controls run on fuzzed JSON.  The state is rebuilt now and then so it
 * stays small.  Seeds: corpus/sim_rpc/.
 */
/* fuzz-sources: deploy/bitcoind-sim/sim_rpc.c deploy/bitcoind-sim/sim_chain.c */
/* fuzz-sources: deploy/bitcoind-sim/sim_wallet.c deploy/bitcoind-sim/sim_http.c */
/* fuzz-sources: deploy/bitcoind-sim/sim_log.c common/xmalloc.c */
/* fuzz-cflags: -DSIM_RPC_MAX_GENERATE=20 */
/* fuzz-libs: -ljson-c -lcrypto */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_chain.h"
#include "sim_http.h"
#include "sim_rpc.h"

/* Rebuild the state after this many inputs or this many transactions. */
#define RESET_INPUTS	500
#define RESET_TXS	3000

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sim_chain	*chain;
static struct sim_rpc	*rpc;
static unsigned		 inputs;

static void
state_reset(void)
{
	sim_rpc_free(rpc);
	sim_chain_free(chain);
	chain = sim_chain_open(NULL);
	rpc = chain != NULL ? sim_rpc_new(chain, "u:p", "abc") : NULL;
	if (rpc == NULL)
		abort();
	inputs = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 auth[] = "Basic dTpw";	/* u:p */
	struct sim_http_req	 req;
	struct sim_rpc_reply	 r;
	char			*body;

	if (rpc == NULL || ++inputs > RESET_INPUTS ||
	    chain->ntxs > RESET_TXS)
		state_reset();
	body = malloc(size == 0 ? 1 : size);
	if (body == NULL)
		return 0;
	if (size > 0)
		memcpy(body, data, size);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.method_len = 4;
	req.target = size > 0 && (data[0] & 1) ? "/wallet/abc" : "/";
	req.target_len = strlen(req.target);
	req.minor = 1;
	req.auth = auth;
	req.auth_len = sizeof(auth) - 1;
	req.body = body;
	req.body_len = size;
	req.content_length = size;
	sim_rpc_reply_init(&r);
	sim_rpc_handle(rpc, &req, &r);
	if (r.status < 200 || r.status > 599 ||
	    (r.body.len > 0 && r.body.data[r.body.len - 1] != '\n' &&
	    r.status != 405))
		abort();
	sim_rpc_reply_clear(&r);
	(void)sim_rpc_take_down(rpc);
	free(body);
	return 0;
}
