/*
 * The regtest-like block chain of abc-bitcoind-sim.
 *
 * A chain is the regtest genesis block followed by simulated blocks.  The
 * hash of block h > 0 is the lowercase hex SHA-256 of the 32 bytes of the
 * previous hash (as written in hex), the height as a 32-bit big-endian
 * integer and the block time as a 64-bit big-endian integer.  The chain
 * lives in <datadir>/chain.json, rewritten atomically by sim_chain_save().
 *
 * Ownership: struct sim_chain is opaque; sim_chain_open() returns a new
 * one that the caller releases with sim_chain_free().  Returned strings are
 * borrowed and stay valid until the chain is next changed or freed.
 */
#ifndef SIM_CHAIN_H
#define SIM_CHAIN_H

#include <stdint.h>

/* Most blocks a chain may hold; mining past it fails. */
#define SIM_CHAIN_MAX_BLOCKS	1000000
/* Longest coinbase address stored with a block (bech32 maximum). */
#define SIM_CHAIN_ADDR_MAX	90u

/* The regtest genesis block, as Bitcoin Core reports it. */
#define SIM_CHAIN_GENESIS_HASH \
	"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
#define SIM_CHAIN_GENESIS_TIME	1296688602

struct sim_chain;

struct sim_chain *sim_chain_open(const char *datadir);
void		 sim_chain_free(struct sim_chain *c);
int64_t		 sim_chain_height(const struct sim_chain *c);
const char	*sim_chain_hash(const struct sim_chain *c, int64_t height);
int64_t		 sim_chain_time(const struct sim_chain *c, int64_t height);
int64_t		 sim_chain_mediantime(const struct sim_chain *c,
		    int64_t height);
int		 sim_chain_mine(struct sim_chain *c, const char *address,
		    int64_t now);
int		 sim_chain_save(struct sim_chain *c);

#endif /* SIM_CHAIN_H */
