/*
 * What abc-worker does with each delivered request.  A request becomes a
 * call that moves through stages: each stage hands a job to the database
 * thread (worker/db.h) or the password-hashing pool (worker/kdf.h), and the
 * job's completion, seen by the event loop, runs the next stage, until the
 * call finishes with exactly one reply.  The event loop itself never
 * blocks.  One file per request family: req_basic.c (status, echo,
 * broadcast, counter), req_account.c (accounts and sessions).
 *
 * Ownership: ops borrows everything in its config.  ops_start takes the
 * request.  The reply callback borrows the reply; the notice callback
 * borrows the notice body.
 */
#ifndef ABC_OPS_H
#define ABC_OPS_H

#include <stdint.h>

#include <json-c/json.h>

#include "kdf.h"
#include "abc_limits.h"
#include "msg.h"

struct db;
struct db_job;
struct btc;
struct kdf_pool;
struct ratelimit;
struct btcq;
struct btcq_job;

typedef void	(*ops_reply_fn)(void *arg, const char *client, int64_t epoch,
		    uint64_t req_no, struct json_object *reply);
typedef void	(*ops_notice_fn)(void *arg, struct json_object *notice);
typedef void	(*ops_status_fn)(void *arg, struct json_object *reply);

struct ops_cfg {
	struct db		*db;		/* borrowed */
	struct kdf_pool		*kdf;		/* borrowed */
	struct btcq		*chain;		/* borrowed */
	struct kdf_params	 kdf_params;	/* for new password hashes */
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
	ops_reply_fn		 reply;
	ops_notice_fn		 notice;
	ops_status_fn		 status;	/* adds event-loop facts */
	void			*arg;
};

/* One request on its way through its stages. */
struct call {
	struct ops		*ops;
	char			 client[LIMIT_PEER_NAME + 1];
	int64_t			 epoch;
	uint64_t		 req_no;
	enum msg_op		 op;
	struct json_object	*req;		/* owned */
	int			 stage;
	/* Account state carried between stages. */
	int64_t			 user_id;
	char			 username[40];
	char			 addr[64];
	uint8_t			 token[32];	/* a new session's token */
	uint8_t			 token_hash[32];
	struct kdf_params	 params;
	uint8_t			 salt[KDF_SALT_LEN];
	uint8_t			 hash[KDF_HASH_LEN];
};

struct ops;

struct ops	*ops_new(const struct ops_cfg *cfg);
void		 ops_free(struct ops *ops);
void		 ops_start(struct ops *ops, const char *client, int64_t epoch,
		    uint64_t req_no, struct json_object *req);
void		 ops_db_done(struct ops *ops);
void		 ops_kdf_done(struct ops *ops);
void		 ops_chain_done(struct ops *ops);
size_t		 ops_pending(const struct ops *ops);

/* For the request modules. */
const struct ops_cfg *ops_cfg(const struct call *c);
/* The rate-limit tables of the engine (worker/ratelimit.h). */
enum ops_rl {
	OPS_RL_NAME,		/* failed logins per username */
	OPS_RL_PAIR,		/* ...per username and client address */
	OPS_RL_REG_ADDR,	/* registrations hashed per client address */
	OPS_RL_REG_ALL		/* ...and in all (one key) */
};
#define OPS_RL_COUNT	4

struct ratelimit *ops_ratelimit(const struct call *c, enum ops_rl which);
void		 ops_finish(struct call *c, struct json_object *reply);
void		 ops_fail(struct call *c, const char *code, const char *text);
void		 ops_unavailable(struct call *c);
void		 ops_finish_stored(struct call *c, struct db_job *dj);
void		 ops_db(struct call *c, struct db_job *job);
void		 ops_kdf(struct call *c, struct kdf_job *job);
void		 ops_chain(struct call *c, struct btcq_job *job);
void		 ops_notice(struct call *c, struct json_object *notice);

/* Request families: start (stage 0) and continue after a job. */
void	req_basic_step(struct call *c, struct db_job *dj);
void	req_account_step(struct call *c, struct db_job *dj,
	    struct kdf_job *kj, struct btcq_job *cj);
int	req_account_owns(enum msg_op op);
int	req_session_user(struct call *c, struct db_job *dj);
int	req_session_token(struct call *c);
void	req_account_recheck(struct call *c, struct db_job *dj,
	    const char *field);
void	req_account_wrong_password(struct call *c);
void	req_withdraw_step(struct call *c, struct db_job *dj,
	    struct kdf_job *kj, struct btcq_job *cj);
void	req_market_step(struct call *c, struct db_job *dj);
int	req_market_owns(enum msg_op op);

#endif /* ABC_OPS_H */
