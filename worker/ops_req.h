/*
 * The request engine as the request modules see it (worker/ops.h is the
 * event loop's side).  A request being served is a struct request: the
 * delivered body, its identity on the link (client, epoch, req_no) and
 * what its stages carry between them.  Each stage either answers (exactly
 * once: ops_finish, ops_fail...) or hands one job to the database thread
 * (ops_db), the hashing pool (ops_kdf) or the bitcoind thread
 * (ops_chain) naming the stage that continues with the finished job.
 * Stages are a named enum per request, in its module.
 *
 * The request table: every module exports rows {op, name, flags, step},
 * ending with a row whose step is NULL; worker/ops.c indexes them by op at
 * start and refuses to run when an op has no row or two.  Modules:
 * req_basic.c (status, echo, counter_add, broadcast), req_account.c
 * (accounts and sessions), req_market.c (campaigns, ads, purchases),
 * req_withdraw.c (withdrawals), req_dash.c (the dashboards' slot page),
 * req_moderation.c (the seller's reviews and blocks).
 *
 * Ownership: the request owns its body; a step borrows the finished job
 * (the engine frees it after the step).  ops_finish borrows the reply;
 * after any answer the request is gone and must not be touched.
 */
#ifndef ABC_OPS_REQ_H
#define ABC_OPS_REQ_H

#include <stdint.h>

#include <json-c/json.h>

#include "abc_limits.h"
#include "kdf.h"
#include "msg.h"
#include "ops.h"
#include "totp.h"

struct db_job;
struct btcq_job;
struct ratelimit;

/*
 * A request being served (before: "struct call").  Named for what it is,
 * the unit the engine tracks from delivery to its one reply; its JSON
 * body is "body".
 */
struct request {
	struct ops		*ops;
	const struct req_row	*row;		/* how it is served */
	char			 client[LIMIT_PEER_NAME + 1];
	int64_t			 epoch;
	uint64_t		 req_no;
	enum msg_op		 op;
	struct json_object	*body;		/* owned: as delivered */
	int			 stage;		/* the module's enum */
	/* Account state carried between stages. */
	char			 addr[64];	/* the client's address */
	int64_t			 user_id;
	char			 username[40];
	uint8_t			 token[32];	/* a new session's token */
	uint8_t			 token_hash[32];
	struct kdf_params	 params;
	uint8_t			 salt[KDF_SALT_LEN];
	uint8_t			 hash[KDF_HASH_LEN];
	/* 2FA (req_totp.c): what req_totp_judge found. */
	int			 totp_on;
	int64_t			 totp_step;	/* -1: no code matched */
	int			 totp_has_recovery;
	uint8_t			 totp_recovery[32];	/* SHA-256 */
	char			 totp_codes[TOTP_RECOVERY_COUNT]
				    [TOTP_RECOVERY_LEN + 1];	/* new */
};

/*
 * Stages shared by the helpers of req_account.c: every request starts at
 * REQ_START; req_session_user continues at REQ_SESSION_READ and
 * req_account_recheck at REQ_PASSWORD_CHECKED.  A module's stage enum
 * names these first, then its own.
 */
enum req_stage {
	REQ_START = 0,
	REQ_SESSION_READ,
	REQ_PASSWORD_CHECKED,
	REQ_OWN_STAGES			/* the first stage of a module's own */
};

/* What a row declares about its op (tests/unit/test_requests.c checks). */
enum req_flag {
	REQ_DURABLE = 1 << 0,		/* stored with its reply: once only */
	REQ_CHANGES_ACCOUNT = 1 << 1,	/* may change the caller's overview */
	REQ_NEEDS_SESSION = 1 << 2	/* answers no_session without one */
};

/*
 * Runs a request's stage: all jobs NULL at REQ_START, else the one job
 * the previous stage handed over (borrowed).
 */
typedef void	(*req_step_fn)(struct request *rq, struct db_job *dj,
		    struct kdf_job *kj, struct btcq_job *cj);

struct req_row {
	enum msg_op	 op;
	const char	*name;		/* for logs: the op's wire name */
	unsigned	 flags;		/* enum req_flag */
	req_step_fn	 step;		/* NULL: the end of a module's rows */
};

extern const struct req_row	 req_basic_rows[];
extern const struct req_row	 req_account_rows[];
extern const struct req_row	 req_market_rows[];
extern const struct req_row	 req_withdraw_rows[];
extern const struct req_row	 req_dash_rows[];
extern const struct req_row	 req_stats_rows[];	/* req_stats.c */
extern const struct req_row	 req_moderation_rows[];
extern const struct req_row	 req_totp_rows[];
extern const struct req_row	 req_webhook_rows[];
/* Those, NULL-terminated: what ops_table_build indexes. */
extern const struct req_row *const ops_req_modules[];

/* The rate-limit tables of the engine (worker/ratelimit.h). */
enum ops_rl {
	OPS_RL_NAME,		/* failed logins per username */
	OPS_RL_PAIR,		/* ...per username and client address */
	OPS_RL_REG_ADDR,	/* registrations hashed per client address */
	OPS_RL_REG_ALL,		/* ...and in all (one key) */
	OPS_RL_TOTP		/* wrong 2FA codes per user */
};
#define OPS_RL_COUNT	5

const struct ops_cfg *ops_cfg(const struct request *rq);
struct ratelimit *ops_ratelimit(const struct request *rq, enum ops_rl which);
void		 ops_finish(struct request *rq, struct json_object *reply);
void		 ops_fail(struct request *rq, enum msg_code code,
		    const char *text);
void		 ops_unavailable(struct request *rq);
void		 ops_finish_stored(struct request *rq, struct db_job *dj);
void		 ops_notice(struct request *rq, struct json_object *notice);
void		 ops_continue(struct request *rq, struct db_job *dj,
		    struct kdf_job *kj, struct btcq_job *cj);

/* Hand-offs (worker/ops_jobs.c): the job is taken; next is the stage. */
void		 ops_db(struct request *rq, struct db_job *job, int next);
void		 ops_kdf(struct request *rq, struct kdf_job *job, int next);
void		 ops_chain(struct request *rq, struct btcq_job *job, int next);

/* Shared by the account, market and withdraw modules (req_account.c). */
int	req_session_user(struct request *rq, struct db_job *dj);
int	req_session_token(struct request *rq);
void	req_account_recheck(struct request *rq, struct db_job *dj,
	    const char *field);
void	req_account_wrong_password(struct request *rq);

/*
 * The second factor (req_totp.c), for any request that asks for it once
 * the session's user is known: req_totp_read queues the read of the
 * user's 2FA row, continuing at stage next; req_totp_judge, at that
 * stage, checks the body's "code" (a recovery code too when recovery is
 * set): 0 when 2FA is off, 1 when rq->totp_step (or totp_recovery) holds
 * what to pass to SQL totp_consume(user, step, recovery) in the request's
 * durable call, -1 after answering.  req_totp_login_pending (login, once
 * the password is right and rq->totp_on) stores a pending login and
 * answers with its token.
 */
void	req_totp_read(struct request *rq, int next);
int	req_totp_judge(struct request *rq, struct db_job *dj, int recovery);
void	req_totp_login_pending(struct request *rq, int next);
void	req_totp_login_pending_done(struct request *rq, struct db_job *dj);

#endif /* ABC_OPS_REQ_H */
