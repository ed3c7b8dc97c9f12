/*
 * The payer (SPEC 4.5): pays queued withdrawals with bitcoind's
 * sendtoaddress, exactly once.  For each withdrawal it commits its intent
 * (status 'sending') before it calls bitcoind and records the txid after;
 * a withdrawal left 'sending' longer than grace_s (a crash between the two,
 * or an answer lost in transport) is looked up in the wallet by the
 * comment the payment carries ("abc-withdrawal-<id>") and only sent again
 * when the wallet has no such payment.  bitcoind refusing a payment (an
 * RPC error: it did not send) queues it again after retry_s.  The network
 * fee is taken from the amount (subtractfeefromamount), so the platform
 * never pays more than it debited.
 *
 * Runs on the deposit follower's thread (worker/chain.c) with that
 * thread's PostgreSQL connection and bitcoind client, both borrowed.
 * crash is for the fault tests only: the process kills itself with
 * SIGKILL right before or right after the call to sendtoaddress.
 */
#ifndef ABC_PAYER_H
#define ABC_PAYER_H

#include <stddef.h>

#include <libpq-fe.h>

struct btc;

enum payer_crash {
	PAYER_CRASH_NONE,
	PAYER_CRASH_BEFORE_SEND,	/* intent committed, nothing sent */
	PAYER_CRASH_AFTER_SEND		/* sent, txid not recorded */
};

struct payer_cfg {
	enum payer_crash	 crash;
	int			 grace_s;	/* > bitcoind call timeout */
	int			 retry_s;	/* after bitcoind refused */
	int			 per_run;	/* payments per payer_run */
};

int	payer_run(PGconn *pg, struct btc *btc, const struct payer_cfg *cfg,
	    char *err, size_t errlen);
int	payer_crash_parse(const char *s, enum payer_crash *out);

#endif /* ABC_PAYER_H */
