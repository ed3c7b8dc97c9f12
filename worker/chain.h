/*
 * abc-worker's side of bitcoind for deposits (SPEC 4.2): one thread that
 * owns a JSON-RPC client and its own PostgreSQL connection, follows the
 * wallet with listsinceblock from a cursor persisted in PostgreSQL, and
 * runs jobs that need bitcoind (a new deposit address, an address check),
 * and after each poll pays queued withdrawals (worker/payer.c).  Each poll's
 * changes (pending deposits, credits with their ledger transfers, drops,
 * reorgs) and the new cursor commit in one transaction, so a crash at any
 * point re-polls and credits nothing twice.  The event loop never waits:
 * finished jobs come back through an eventfd.  Each poll also records the
 * chain's height (getblockcount), from which the account pages count the
 * confirmations of credited deposits.
 *
 * Ownership: chain_start copies its config strings.  chain_submit takes a
 * job; chain_take_done hands back jobs the caller frees with free().
 */
#ifndef ABC_CHAIN_H
#define ABC_CHAIN_H

#include <stdint.h>

#include "payer.h"

struct chain;

struct chain_cfg {
	const char	*conninfo;
	const char	*url;
	const char	*user;
	const char	*password;
	int		 poll_ms;	/* between polls when healthy */
	int		 min_conf;	/* confirmations to credit */
	int		 done_fd;	/* eventfd written after each job */
	int		 addresses_per_day;	/* per user; more are refused */
	struct payer_cfg payer;		/* withdrawals, paid after each poll */
};

enum chain_job_kind {
	CHAIN_NEW_ADDRESS,		/* address: the new one */
	CHAIN_VALIDATE_ADDRESS		/* address: the one to check */
};

struct chain_job {
	enum chain_job_kind	 kind;
	int64_t			 user_id;
	char			 address[128];
	int			 ok;		/* bitcoind answered */
	int			 valid;		/* VALIDATE: its verdict */
	int			 over_quota;	/* NEW: refused, none made */
	char			 error[256];
	void			*arg;		/* the caller's */
	struct chain_job	*next;
};

struct chain	*chain_start(const struct chain_cfg *cfg);
void		 chain_stop(struct chain *ch);
void		 chain_submit(struct chain *ch, struct chain_job *job);
struct chain_job *chain_take_done(struct chain *ch);

#endif /* ABC_CHAIN_H */
