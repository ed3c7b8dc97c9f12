/*
 * The bitcoind job queue: one thread with its own JSON-RPC client and
 * PostgreSQL connection runs the requests that need an answer from
 * bitcoind on a user's behalf (a new deposit address, an address check),
 * one at a time, so that the event loop never waits.  Finished jobs come
 * back through an eventfd.  Deposits and withdrawals have threads of their
 * own (worker/deposits.c, worker/payer.c): a slow wallet scan never delays
 * a user's new address, and a failing one never stops payments.
 *
 * Ownership: btcq_start copies its config strings.  btcq_submit takes a
 * job; btcq_take_done hands back jobs the caller frees with free().
 */
#ifndef ABC_BTCQ_H
#define ABC_BTCQ_H

#include <stdint.h>

struct btcq;

struct btcq_cfg {
	const char	*conninfo;
	const char	*url;
	const char	*user;
	const char	*password;
	int		 done_fd;	/* eventfd written after each job */
	int		 addresses_per_day;	/* per user; more are refused */
};

enum btcq_job_kind {
	BTCQ_NEW_ADDRESS,		/* address: the new one */
	BTCQ_VALIDATE_ADDRESS		/* address: the one to check */
};

struct btcq_job {
	enum btcq_job_kind	 kind;
	int64_t			 user_id;
	char			 address[128];
	int			 ok;		/* bitcoind answered */
	int			 valid;		/* VALIDATE: its verdict */
	int			 over_quota;	/* NEW: refused, none made */
	char			 error[256];
	void			*arg;		/* the caller's */
	struct btcq_job		*next;
};

struct btcq	*btcq_start(const struct btcq_cfg *cfg);
void		 btcq_stop(struct btcq *q);
void		 btcq_submit(struct btcq *q, struct btcq_job *job);
struct btcq_job	*btcq_take_done(struct btcq *q);

#endif /* ABC_BTCQ_H */
