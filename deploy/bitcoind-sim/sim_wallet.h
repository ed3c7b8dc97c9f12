/*
 * The wallet of abc-bitcoind-sim and the helpers it shares with the RPC
 * layer: regtest bech32/bech32m addresses (BIP173/BIP350), exact amount
 * text (reference section 4), deterministic address derivation and the
 * wallet's views of the node state (what gettransaction, listsinceblock,
 * listtransactions, listunspent, getbalances and getreceivedbyaddress
 * report, following
 * Bitcoin Core v28's wallet code as restated in the wire reference), plus
 * the transaction builder behind sendtoaddress.
 *
 * Ownership: functions returning struct json_object hand one new
 * reference to the caller.  The chain is borrowed; only the functions
 * documented to change it (new address, send) do.
 */
#ifndef SIM_WALLET_H
#define SIM_WALLET_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct sim_chain;

/* Room for an amount as text: "-21000000.00000000" plus NUL. */
#define SIM_AMOUNT_TEXT		32
/* 21 million BTC in satoshis (MAX_MONEY). */
#define SIM_MAX_MONEY		(21000000LL * 100000000LL)
/* Room for a scriptPubKey: OP_n, push, 40 bytes. */
#define SIM_SPK_MAX		42u
/* An address outside the wallet: BIP173's regtest P2WPKH example. */
#define SIM_OUTSIDE_ADDRESS	"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"

/* Results of sim_amount_parse(). */
#define SIM_AMOUNT_OK		0
#define SIM_AMOUNT_INVALID	-1	/* -3 "Invalid amount" */
#define SIM_AMOUNT_RANGE	-2	/* -3 "Amount out of range" */

/* A wallet error: code and message as sendtoaddress & co. raise them. */
struct sim_werr {
	int	code;
	char	msg[256];
};

/* What sendtoaddress asked for. */
struct sim_send {
	const char	*address;
	int64_t		 amount;
	const char	*comment;	/* NULL if none */
	const char	*to;		/* NULL if none */
	int		 subtract_fee;	/* bool */
	int		 rbf;		/* bool */
	int64_t		 feerate_msat;	/* sat/kvB, i.e. sat/vB * 1000 */
};

int	 sim_amount_parse(const char *s, int decimals, int64_t *out);
void	 sim_amount_format(int64_t sat, char out[SIM_AMOUNT_TEXT]);
struct json_object *sim_amount_json(int64_t sat);

int	 sim_addr_decode(const char *addr, unsigned char *spk, size_t *spklen,
	    const char **err);
int	 sim_addr_script_hex(const char *addr, char *out, size_t outlen);

const char *sim_wallet_new_address(struct sim_chain *c, const char *label,
	    int change, int taproot, int64_t now);
int	 sim_wallet_is_mine(const struct sim_chain *c, const char *address);
int	 sim_wallet_tx_relevant(const struct sim_chain *c, size_t idx);

struct json_object *sim_wallet_addressinfo(const struct sim_chain *c,
	    const char *address);
struct json_object *sim_wallet_validate(const char *address);
struct json_object *sim_wallet_gettransaction(const struct sim_chain *c,
	    size_t idx);
struct json_object *sim_wallet_since(const struct sim_chain *c,
	    const char *blockhash, int64_t target, int include_removed,
	    int include_change, const char *label, struct sim_werr *err);
struct json_object *sim_wallet_list(const struct sim_chain *c,
	    const char *label, int64_t count, int64_t skip);
struct json_object *sim_wallet_balances(const struct sim_chain *c);
struct json_object *sim_wallet_unspent(const struct sim_chain *c,
	    int64_t minconf, int64_t maxconf, const char *const *addrs,
	    size_t naddrs, int include_unsafe);
int64_t	 sim_wallet_received(const struct sim_chain *c, const char *address,
	    int64_t minconf, int include_immature);
struct json_object *sim_wallet_lastprocessed(const struct sim_chain *c);
long long sim_wallet_send(struct sim_chain *c, const struct sim_send *s,
	    int64_t now, struct sim_werr *err);

#endif /* SIM_WALLET_H */
