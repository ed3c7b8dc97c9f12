/*
 * The payer (SPEC 4.5): pays queued withdrawals with bitcoind's
 * sendtoaddress, exactly once, on a thread of its own with its own
 * PostgreSQL connection and JSON-RPC client, every poll_ms whatever the
 * deposit follower is doing: a wallet the follower cannot read, or a
 * follower stuck on the database, never stops payments.
 *
 * For each withdrawal it commits its intent (status 'sending') before it
 * calls bitcoind and records the txid after; a withdrawal left 'sending'
 * longer than grace_s (a crash between the two, or an answer lost in
 * transport) is looked up in the wallet by the comment the payment carries
 * ("abc-withdrawal-<id>") and only sent again when the wallet has no such
 * payment.  The lookup is bounded by time, not by the wallet's size: it
 * pages listtransactions from the newest entry back to the oldest attempt
 * it settles (less a margin), so it reads what the wallet did since then
 * and never the whole history.  bitcoind refusing a payment (an RPC
 * error: it did not send) queues it again after retry_s.  The network fee
 * is taken from the amount (subtractfeefromamount), so the platform never
 * pays more than it debited.
 *
 * crash is for the fault tests only: the process kills itself with
 * SIGKILL right before or right after the call to sendtoaddress.
 *
 * Ownership: payer_start copies its config strings.
 */
#ifndef ABC_PAYER_H
#define ABC_PAYER_H

#include <stddef.h>

struct payer;

enum payer_crash {
	PAYER_CRASH_NONE,
	PAYER_CRASH_BEFORE_SEND,	/* intent committed, nothing sent */
	PAYER_CRASH_AFTER_SEND		/* sent, txid not recorded */
};

struct payer_cfg {
	const char		*conninfo;
	const char		*url;
	const char		*user;
	const char		*password;
	int			 poll_ms;	/* between runs when healthy */
	enum payer_crash	 crash;
	int			 grace_s;	/* > bitcoind call timeout */
	int			 retry_s;	/* after bitcoind refused */
	int			 per_run;	/* payments per run */
	size_t			 body_max;	/* answer bound, 0: default */
};

struct payer	*payer_start(const struct payer_cfg *cfg);
void		 payer_stop(struct payer *p);
int		 payer_crash_parse(const char *s, enum payer_crash *out);

#endif /* ABC_PAYER_H */
