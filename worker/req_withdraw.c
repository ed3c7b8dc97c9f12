/*
 * withdraw (SPEC 4.5): a user sends part of their balance to a bitcoin
 * address, re-entering the password.  Stages: the form's fields checked;
 * the session and the password (worker/req_account.c); the address
 * checked by bitcoind (validateaddress, on the chain thread); then one
 * durable SQL call, wd_request, that debits the balance, records the
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
#include "ops.h"
#include "xmalloc.h"

#define WD_ADDRESS_MIN	14
#define WD_ADDRESS_MAX	100

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
wd_too_small(struct call *c)
{
	char	 btc[32], text[96];

	if (money_format_btc(ops_cfg(c)->withdraw_min_sat, btc,
	    sizeof(btc)) != 0)
		snprintf(btc, sizeof(btc), "?");
	snprintf(text, sizeof(text), "The smallest withdrawal is %s BTC.",
	    btc);
	ops_fail(c, "too_small", text);
}

/* Stage 0: the fields, before any work; 0, or -1 answered. */
static int
wd_check_fields(struct call *c)
{
	int64_t	 amount;

	if (!wd_address_ok(msg_get_str(c->req, "address"))) {
		ops_fail(c, "bad_address", "That is not a bitcoin "
		    "address: an address is 14 to 100 letters and digits, "
		    "such as bc1q...; copy it again from your wallet.");
		return -1;
	}
	if (msg_get_int(c->req, "amount", &amount) != 0 || amount < 1 ||
	    amount > MONEY_MAX_SAT) {
		ops_fail(c, "invalid", "The amount must be more than 0 BTC.");
		return -1;
	}
	if (amount < ops_cfg(c)->withdraw_min_sat) {
		wd_too_small(c);
		return -1;
	}
	if (msg_get_str(c->req, "idem") == NULL) {
		ops_fail(c, "invalid", "The form is incomplete; reload it.");
		return -1;
	}
	return 0;
}

/* Stage 2: a checked password; then bitcoind checks the address. */
static void
wd_password_checked(struct call *c, struct kdf_job *kj)
{
	struct btcq_job	*cj;

	if (!kj->ok) {
		req_account_wrong_password(c);
		return;
	}
	cj = xcalloc(1, sizeof(*cj));
	cj->kind = BTCQ_VALIDATE_ADDRESS;
	snprintf(cj->address, sizeof(cj->address), "%s",
	    msg_get_str(c->req, "address"));
	ops_chain(c, cj);
}

/* Stage 3: bitcoind's verdict; then the durable request. */
static void
wd_address_checked(struct call *c, struct btcq_job *cj)
{
	struct db_job	*j;
	int64_t		 amount = 0;

	if (!cj->ok) {
		ops_fail(c, "unavailable", "The address cannot be checked "
		    "right now; nothing was taken. Try again in a minute.");
		return;
	}
	if (!cj->valid) {
		ops_fail(c, "bad_address", "This is not a valid bitcoin "
		    "address for this network; check it and try again.");
		return;
	}
	(void)msg_get_int(c->req, "amount", &amount);
	j = db_job_new("SELECT wd_request($1, $2, $3, $4, $5, $6, $7, $8)", 1,
	    NULL, 0);
	db_job_param(j, c->client);
	db_job_paramf(j, "%" PRId64, c->epoch);
	db_job_paramf(j, "%" PRIu64, c->req_no);
	db_job_param(j, msg_get_str(c->req, "idem"));
	db_job_paramf(j, "%" PRId64, c->user_id);
	db_job_param(j, msg_get_str(c->req, "address"));
	db_job_paramf(j, "%" PRId64, amount);
	db_job_paramf(j, "%" PRId64, ops_cfg(c)->withdraw_approval_sat);
	ops_db(c, j);
}

/* Runs the withdraw request's next stage. */
void
req_withdraw_step(struct call *c, struct db_job *dj, struct kdf_job *kj,
    struct btcq_job *cj)
{
	const char	*addr;

	if (c->stage == 0) {
		if (wd_check_fields(c) != 0)
			return;
		if ((addr = msg_get_str(c->req, "addr")) != NULL)
			snprintf(c->addr, sizeof(c->addr), "%s", addr);
	}
	if (c->stage <= 1)
		req_account_recheck(c, dj, "password");
	else if (c->stage == 2)
		wd_password_checked(c, kj);
	else if (c->stage == 3)
		wd_address_checked(c, cj);
	else
		ops_finish_stored(c, dj);
}
