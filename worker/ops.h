/*
 * abc-worker's request engine, as the event loop (worker/server.c) and
 * main.c see it: a delivered request goes in (ops_start), finished jobs
 * of the database thread, the hashing pool and the bitcoind thread come
 * back (ops_*_done), and each request leaves with exactly one reply
 * through cfg.reply.  Which module serves which op is the request table
 * (worker/ops_req.h): ops_table_check refuses, at start, a table where an
 * op of common/msg.h has no row or two.  The request modules' side of the
 * engine (finish, fail, hand a job over, notices) is worker/ops_req.h.
 *
 * ops.c holds the table and the reply path; ops_jobs.c the hand-offs to
 * the three job runners and their completions (the seam the unit tests
 * replace with canned answers).
 *
 * Ownership: ops borrows everything in its config.  ops_start takes the
 * request body.  The reply callback borrows the reply; the notice callback
 * borrows the notice body.
 */
#ifndef ABC_OPS_H
#define ABC_OPS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "kdf.h"
#include "msg.h"

struct db;
struct kdf_pool;
struct btcq;
struct ops;
struct req_row;

typedef void	(*ops_reply_fn)(void *arg, const char *client, int64_t epoch,
		    uint64_t req_no, struct json_object *reply);
typedef void	(*ops_notice_fn)(void *arg, struct json_object *notice);
typedef void	(*ops_status_fn)(void *arg, struct json_object *reply);

struct ops_cfg {
	struct db		*db;		/* borrowed */
	struct kdf_pool		*kdf;		/* borrowed */
	struct btcq		*chain;		/* borrowed */
	struct kdf_params	 kdf_params;	/* for new password hashes */
	/* Key of the salts shown for names without an account. */
	uint8_t			 salt_secret[32];
	int			 session_ttl_s;
	int			 allow_short_slots;	/* slots under 1 h */
	int64_t			 fee_ppm;	/* platform fee, per million */
	int64_t			 withdraw_approval_sat;	/* above: approval */
	int64_t			 withdraw_min_sat;	/* below: refused */
	unsigned		 login_max_failures;	/* per name and address */
	int64_t			 login_window_ms;
	unsigned		 register_max_per_addr;	/* new accounts... */
	unsigned		 register_max;		/* ...and in all */
	int64_t			 register_window_ms;
	int			 addresses_per_day;	/* quota, for messages */
	int			 quota_campaigns;	/* per seller */
	int			 quota_ads;		/* per user */
	int64_t			 quota_image_bytes;	/* per user, all ads */
	int64_t			 payout_freeze_s;	/* after a change */
	char			 totp_clock_file[256];	/* tests: "" */
	ops_reply_fn		 reply;
	ops_notice_fn		 notice;
	ops_status_fn		 status;	/* adds event-loop facts */
	void			*arg;
};

int		 ops_table_check(void);
int		 ops_table_build(const struct req_row *const *modules,
		    const struct req_row *index[MSG_OP__MAX]);
struct ops	*ops_new(const struct ops_cfg *cfg);
void		 ops_free(struct ops *ops);
const struct ops_cfg *ops_get_cfg(const struct ops *ops);
void		 ops_start(struct ops *ops, const char *client, int64_t epoch,
		    uint64_t req_no, struct json_object *req);
void		 ops_db_done(struct ops *ops);
void		 ops_kdf_done(struct ops *ops);
void		 ops_chain_done(struct ops *ops);
size_t		 ops_pending(const struct ops *ops);

#endif /* ABC_OPS_H */
