/*
 * The deposit follower (SPEC 4.2): one thread with its own JSON-RPC
 * client and PostgreSQL connection that finds every output paying a
 * deposit address, whatever the size of the wallet, of a block or of a
 * burst of unconfirmed payments.
 *
 * Confirmed deposits: it walks the chain block by block from its cursor
 * (the last block it applied, hash and height, in chain_cursor).  For the
 * next block it asks getblock for the txids and gettransaction for each
 * (-5: not the wallet's), applies the block's deposit outputs and moves
 * the cursor past the block in one transaction, so the cursor never
 * passes an output that is not stored and a crash re-applies at most one
 * block (crediting is idempotent per (txid, vout)).  Deposits reach
 * min_conf confirmations as the walk goes on (deposit_confirm).  A cursor
 * block that left the active chain (getblock: confirmations -1) is undone
 * one block at a time back to the fork: each of its deposits is asked
 * about again (gettransaction) and dropped, recorded as reorged, or moved
 * to the block that holds it now.
 *
 * Unconfirmed deposits: listtransactions from the newest entry, one page
 * at a time, back to the newest txid the last complete scan saw (the
 * mark).  The wallet lists in insertion order, so arrivals during a scan
 * only push entries to later pages: an entry may be read twice, never
 * missed.  Unconfirmed deposits it knows are asked about again a page of
 * txids per round (gettransaction), which drops the ones conflicted or
 * gone from the wallet.
 *
 * Bounds: one gettransaction answer (a transaction: under 100 kvB by
 * policy, so about 3 000 outputs) and one page of entries are all that is
 * in memory.  A page over the response bound is asked again for half as
 * many entries; nothing is ever skipped.  A single transaction whose
 * answer is over the bound (possible only for a non-standard transaction
 * mined directly) stops the walk at its block with an error in the log
 * and on /status, until an operator raises the bound.
 *
 * Ownership: deposits_start copies its config strings.
 */
#ifndef ABC_DEPOSITS_H
#define ABC_DEPOSITS_H

#include <stddef.h>

struct deposits;

struct deposits_cfg {
	const char	*conninfo;
	const char	*url;
	const char	*user;
	const char	*password;
	int		 poll_ms;	/* between rounds when caught up */
	int		 min_conf;	/* confirmations to credit */
	int		 page;		/* most listtransactions entries a page */
	size_t		 body_max;	/* answer bound, 0: LIMIT_RPC_BODY */
};

struct deposits	*deposits_start(const struct deposits_cfg *cfg);
void		 deposits_stop(struct deposits *d);

#endif /* ABC_DEPOSITS_H */
