/*
 * withdraw (SPEC 4.5): a user sends part of their balance to a bitcoin
 * address, re-entering the password.  Stages: the form's fields checked;
 * the session and the password (worker/req_account.c); the address
 * checked by bitcoind (validateaddress, on the chain thread); the 2FA
 * code when 2FA is on (req_totp.c); then one durable SQL call,
 * wd_request_guarded (the payout address and its freeze, the code's step
 * counted once) then wd_request, that debits the balance, records the
 * withdrawal ('queued', or 'approval' above withdraw_approval_sat) and
 * stores the reply under the request's identity and idempotency key.
 * Paying it is the payer's job (worker/payer.c), never this request's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btcq.h"
#include "db.h"
#include "kdf.h"
#include "msg.h"
#include "money.h"
#include "ops_req.h"
#include "req_common.h"
#include "xmalloc.h"

#define WD_ADDRESS_MIN	14
#define WD_ADDRESS_MAX	100

/*
 * The stages: the fields; the session and the password (the helpers of
 * req_account.c); bitcoind's verdict on the address; the stored reply.
 */
enum wd_stage {
	WD_START = REQ_START,
	WD_SESSION = REQ_SESSION_READ,
	WD_PASSWORD = REQ_PASSWORD_CHECKED,
	WD_TOTP,		/* the 2FA row read (req_totp.c) */
	WD_ADDRESS,		/* validateaddress answered */
	WD_STORED		/* wd_request answered */
};

/* 1 when s looks like an address: 14 to 100 letters and digits. */
static int
wd_address_ok(const char *s)
{
	size_t	 len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	return len >= WD_ADDRESS_MIN && len <= WD_ADDRESS_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789") == len;
}

/* Answers that the amount is below withdraw_min_sat (it would mostly pay
 * the network fee, or be refused by bitcoind as dust). */
static void
wd_too_small(struct request *rq)
{
	char	 btc[32], text[96];

	if (money_format_btc(ops_cfg(rq)->withdraw_min_sat, btc,
	    sizeof(btc)) != 0)
		snprintf(btc, sizeof(btc), "?");
	snprintf(text, sizeof(text), "The smallest withdrawal is %s BTC.",
	    btc);
	ops_fail(rq, MSG_CODE_TOO_SMALL, text);
}

/* WD_START: the fields, before any work; 0, or -1 answered. */
static int
wd_check_fields(struct request *rq)
{
	int64_t	 amount;

	if (!wd_address_ok(msg_get_str(rq->body, "address"))) {
		ops_fail(rq, MSG_CODE_BAD_ADDRESS, "That is not a bitcoin "
		    "address: an address is 14 to 100 letters and digits, "
		    "such as bc1q...; copy it again from your wallet.");
		return -1;
	}
	if (msg_get_int(rq->body, "amount", &amount) != 0 || amount < 1 ||
	    amount > MONEY_MAX_SAT) {
		ops_fail(rq, MSG_CODE_INVALID,
		    "The amount must be more than 0 BTC.");
		return -1;
	}
	if (amount < ops_cfg(rq)->withdraw_min_sat) {
		wd_too_small(rq);
		return -1;
	}
	return req_need_idem(rq);
}

/* WD_PASSWORD: a checked password; then the 2FA code, when it is on. */
static void
wd_password_checked(struct request *rq, struct kdf_job *kj)
{
	if (!kj->ok) {
		req_account_wrong_password(rq);
		return;
	}
	req_totp_read(rq, WD_TOTP);
}

/* WD_TOTP: the code judged; then bitcoind checks the address. */
static void
wd_totp_checked(struct request *rq, struct db_job *dj)
{
	struct btcq_job	*cj;

	if (req_totp_judge(rq, dj, 0) == -1)
		return;
	cj = xcalloc(1, sizeof(*cj));
	cj->kind = BTCQ_VALIDATE_ADDRESS;
	snprintf(cj->address, sizeof(cj->address), "%s",
	    msg_get_str(rq->body, "address"));
	ops_chain(rq, cj, WD_ADDRESS);
}

/* WD_ADDRESS: bitcoind's verdict; then the durable request. */
static void
wd_address_checked(struct request *rq, struct btcq_job *cj)
{
	struct db_job	*j;
	int64_t		 amount = 0;

	if (!cj->ok) {
		ops_fail(rq, MSG_CODE_UNAVAILABLE,
		    "The address cannot be checked "
		    "right now; nothing was taken. Try again in a minute.");
		return;
	}
	if (!cj->valid) {
		ops_fail(rq, MSG_CODE_BAD_ADDRESS,
		    "This is not a valid bitcoin "
		    "address for this network; check it and try again.");
		return;
	}
	(void)msg_get_int(rq->body, "amount", &amount);
	/* wd_request behind the payout address, its freeze and 2FA. */
	j = req_durable_user_job(rq, "SELECT wd_request_guarded($1, $2, $3, "
	    "$4, $5, $6, $7, $8, $9)");
	db_job_param(j, msg_get_str(rq->body, "address"));
	db_job_paramf(j, "%" PRId64, amount);
	db_job_paramf(j, "%" PRId64, ops_cfg(rq)->withdraw_approval_sat);
	if (rq->totp_step >= 0)
		db_job_paramf(j, "%" PRId64, rq->totp_step);
	else
		db_job_param(j, NULL);
	ops_db(rq, j, WD_STORED);
}

/* Runs the withdraw request's next stage. */
static void
req_withdraw_step(struct request *rq, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	switch ((enum wd_stage)rq->stage) {
	case WD_START:
		if (wd_check_fields(rq) != 0)
			return;
		/* FALLTHROUGH */
	case WD_SESSION:
		req_account_recheck(rq, dj, "password");
		break;
	case WD_PASSWORD:
		wd_password_checked(rq, kj);
		break;
	case WD_TOTP:
		wd_totp_checked(rq, dj);
		break;
	case WD_ADDRESS:
		wd_address_checked(rq, cj);
		break;
	case WD_STORED:
		ops_finish_stored(rq, dj);
		break;
	}
}

const struct req_row req_withdraw_rows[] = {
	{ MSG_OP_WITHDRAW, "withdraw", REQ_DURABLE | REQ_CHANGES_ACCOUNT |
	    REQ_NEEDS_SESSION, req_withdraw_step },
	{ MSG_OP__MAX, NULL, 0, NULL }
};
