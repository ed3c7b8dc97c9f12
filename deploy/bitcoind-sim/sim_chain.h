/*
 * The node state of abc-bitcoind-sim: a regtest-like block chain with
 * transactions, a mempool, stale (reorged-out) blocks and the one wallet's
 * address book, all kept in <datadir>/state.json.
 *
 * Block hashes: genesis is regtest's; block h > 0 hashes (SHA-256, hex)
 * the 32 bytes of the previous hash, the height (32-bit big-endian), the
 * time (64-bit big-endian) and, when non-zero, a nonce (64-bit
 * big-endian), so blocks mined again after a reorg get new hashes.
 * Transaction ids are the double SHA-256 of a real (non-witness)
 * serialization, which gettransaction returns as "hex".
 *
 * Every change is followed by sim_chain_save(), which writes state.json
 * through a temporary file, fsync and rename, so a crash (even kill -9)
 * leaves the old or the new state.  sim_chain_open(NULL) keeps the state in
 * memory only (fuzzing).
 *
 * Ownership: struct sim_chain owns every block, transaction and address;
 * pointers into it are borrowed and stay valid until the next change.
 * The structures are public so that the wallet views (sim_wallet.c) can
 * read them; only sim_chain.c changes them.
 */
#ifndef SIM_CHAIN_H
#define SIM_CHAIN_H

#include <stddef.h>
#include <stdint.h>

/* Most blocks a chain may hold; mining past it fails. */
#define SIM_CHAIN_MAX_BLOCKS	1000000
/* Most transactions ever (coinbases included); past it nothing is added. */
#define SIM_CHAIN_MAX_TXS	2000000
/* Most reorged-out blocks remembered (older ones become unknown). */
#define SIM_CHAIN_MAX_STALE	10000
/* Most inputs and outputs of one transaction. */
#define SIM_CHAIN_MAX_TXIN	1000
#define SIM_CHAIN_MAX_TXOUT	3000	/* ~100 kvB, Core's standard limit */
/* Most wallet addresses. */
#define SIM_CHAIN_MAX_ADDRS	1000000
/* Longest address (bech32 maximum), label and comment, in bytes. */
#define SIM_CHAIN_ADDR_MAX	90u
#define SIM_CHAIN_LABEL_MAX	1024u
#define SIM_CHAIN_COMMENT_MAX	1024u
/* Deepest reorg abcsim_reorg accepts (no spent coinbase can vanish). */
#define SIM_CHAIN_MAX_REORG	100
/* Blocks a coinbase needs on top of it before it can be spent. */
#define SIM_CHAIN_COINBASE_MATURITY 100

/* The regtest genesis block, as Bitcoin Core reports it. */
#define SIM_CHAIN_GENESIS_HASH \
	"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
#define SIM_CHAIN_GENESIS_TIME	1296688602

enum sim_tx_kind {
	SIM_TX_COINBASE = 0,
	SIM_TX_EXTERNAL = 1,	/* paid by an outside wallet (abcsim_pay) */
	SIM_TX_WALLET = 2	/* built by sendtoaddress */
};

enum sim_tx_state {
	SIM_TX_MEMPOOL = 0,
	SIM_TX_BLOCK = 1,	/* in a block of the active chain */
	SIM_TX_INACTIVE = 2	/* neither: reorged out and dropped, replaced */
};

struct sim_txin {
	char		 txid[65];	/* spent transaction (may be unknown) */
	uint32_t	 vout;
};

struct sim_txout {
	char		*address;	/* owned */
	int64_t		 value;		/* satoshis */
	size_t		 spent_by;	/* tx index + 1 of an active spender */
};

struct sim_tx {
	char		 txid[65];
	char		 wtxid[65];
	int		 kind;		/* enum sim_tx_kind */
	int		 state;		/* enum sim_tx_state */
	int64_t		 height;	/* block height if SIM_TX_BLOCK */
	int64_t		 blockindex;	/* position in that block */
	int64_t		 time;		/* first seen */
	int		 rbf;		/* bool: signals BIP125 */
	int64_t		 cb_height;	/* coinbase: height it was mined at */
	uint64_t	 cb_nonce;	/* coinbase: its block's nonce */
	size_t		 replaced_by;	/* tx index + 1, 0 if none */
	size_t		 replaces;	/* tx index + 1, 0 if none */
	struct sim_txin	*in;		/* owned, nin entries */
	size_t		 nin;
	struct sim_txout *out;		/* owned, nout entries */
	size_t		 nout;
	char		*comment;	/* owned, may be NULL */
	char		*to;		/* owned, may be NULL */
	char		*hex;		/* owned raw transaction */
};

struct sim_block {
	char		 hash[65];
	char		 prev[65];
	int64_t		 height;
	int64_t		 time;
	uint64_t	 nonce;
	size_t		*txs;		/* owned tx indexes, [0] coinbase */
	size_t		 ntx;
};

struct sim_addr {
	char		 address[SIM_CHAIN_ADDR_MAX + 1];
	char		*label;		/* owned; NULL: no address-book entry */
	int		 change;	/* bool */
	int64_t		 index;		/* derivation index */
	int64_t		 time;		/* creation time */
};

/* Open-addressing string index: slot holds item index + 1. */
struct sim_strmap {
	size_t		*slot;
	size_t		 cap;		/* power of two */
	size_t		 n;
};

struct sim_chain {
	char		*path;		/* owned state.json path, NULL: memory */
	unsigned char	 seed[32];	/* wallet seed */
	uint64_t	 nonce_counter;
	uint64_t	 ext_counter;
	int64_t		 addr_counter;
	int64_t		 change_counter;
	struct sim_block *blocks;	/* active chain, index = height */
	size_t		 nblocks, capblocks;
	struct sim_block *stale;	/* reorged-out blocks */
	size_t		 nstale, capstale;
	struct sim_tx	*txs;		/* every transaction */
	size_t		 ntxs, captxs;
	struct sim_addr	*addrs;		/* wallet addresses */
	size_t		 naddrs, capaddrs;
	struct sim_strmap txmap;	/* txid -> txs[] */
	struct sim_strmap addrmap;	/* address -> addrs[] */
	int		 bulk;		/* bool: loading, defer utxo_rebuild */
};

struct sim_chain *sim_chain_open(const char *datadir);
void		 sim_chain_free(struct sim_chain *c);
int		 sim_chain_save(struct sim_chain *c);
int64_t		 sim_chain_height(const struct sim_chain *c);
const char	*sim_chain_hash(const struct sim_chain *c, int64_t height);
int64_t		 sim_chain_time(const struct sim_chain *c, int64_t height);
int64_t		 sim_chain_mediantime(const struct sim_chain *c,
		    int64_t height);
int		 sim_chain_mine(struct sim_chain *c, const char *address,
		    int64_t now);
int		 sim_chain_reorg(struct sim_chain *c, int64_t n, int drop,
		    const char *address, int64_t now);
long long	 sim_chain_add_tx(struct sim_chain *c, int kind,
		    const struct sim_txin *in, size_t nin,
		    const struct sim_txout *out, size_t nout, int rbf,
		    const char *comment, const char *to, int64_t now);
long long	 sim_chain_conflict(struct sim_chain *c, size_t idx,
		    const char *address, int64_t now);
void		 sim_chain_ext_input(struct sim_chain *c, struct sim_txin *in);
long long	 sim_chain_find_tx(const struct sim_chain *c,
		    const char *txid);
const struct sim_block *sim_chain_find_block(const struct sim_chain *c,
		    const char *hash, int *active);
long long	 sim_chain_find_addr(const struct sim_chain *c,
		    const char *address);
long long	 sim_chain_add_addr(struct sim_chain *c, const char *address,
		    const char *label, int change, int64_t index,
		    int64_t now);
int64_t		 sim_chain_depth(const struct sim_chain *c, size_t idx);

#endif /* SIM_CHAIN_H */
