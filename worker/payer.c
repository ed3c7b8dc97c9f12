/*
 * One payer run: first settle what an earlier run left 'sending' (look it
 * up in the wallet), then send up to per_run queued withdrawals, each as
 * BEGIN, wd_take (the intent), COMMIT, sendtoaddress, wd_sent / wd_retry.
 * A transport failure around sendtoaddress leaves the row 'sending': only
 * the wallet lookup, grace_s later, decides whether it was paid.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "btc.h"
#include "log.h"
#include "money.h"
#include "payer.h"

#define PAYER_COMMENT	"abc-withdrawal-"

/* Runs sql with params; returns the result (caller clears) or NULL. */
static PGresult *
payer_sql(PGconn *pg, const char *sql, int n, const char *const *params,
    char *err, size_t errlen)
{
	PGresult	*res;

	res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "database: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Runs a statement whose result is not needed; 0 or -1 (err set). */
static int
payer_exec(PGconn *pg, const char *sql, int n, const char *const *params,
    char *err, size_t errlen)
{
	PGresult	*res;

	if ((res = payer_sql(pg, sql, n, params, err, errlen)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Records id as sent in txid; 0 or -1. */
static int
payer_sent(PGconn *pg, const char *id, const char *txid, char *err,
    size_t errlen)
{
	const char	*p[2] = { id, txid };

	log_info("withdrawal_sent", "id=%s txid=%s", id, txid);
	return payer_exec(pg, "SELECT wd_sent($1, $2)", 2, p, err, errlen);
}

/* Queues id again in retry_s seconds, with why; 0 or -1. */
static int
payer_retry(PGconn *pg, const char *id, const char *why, int retry_s,
    char *err, size_t errlen)
{
	const char	*p[3] = { id, why, NULL };
	char		 secs[16];

	snprintf(secs, sizeof(secs), "%d", retry_s);
	p[2] = secs;
	return payer_exec(pg, "SELECT wd_retry($1, $2, $3)", 3, p, err,
	    errlen);
}

/*
 * The txid of the wallet's payment for withdrawal id (a "send" entry with
 * its comment) in the listsinceblock answer r, or NULL.
 */
static const char *
payer_find(struct json_object *r, const char *id)
{
	struct json_object	*list, *e, *v;
	char			 want[64];
	size_t			 i;

	snprintf(want, sizeof(want), PAYER_COMMENT "%s", id);
	if (!json_object_object_get_ex(r, "transactions", &list) ||
	    !json_object_is_type(list, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (!json_object_object_get_ex(e, "category", &v) ||
		    strcmp(json_object_get_string(v), "send") != 0 ||
		    !json_object_object_get_ex(e, "comment", &v) ||
		    strcmp(json_object_get_string(v), want) != 0 ||
		    !json_object_object_get_ex(e, "txid", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != 64)
			continue;
		return json_object_get_string(v);
	}
	return NULL;
}

/*
 * Settles the withdrawals left 'sending' for longer than grace_s: paid
 * (found in the wallet) or queued again (not found).  0 or -1.
 */
static int
payer_recover(PGconn *pg, struct btc *btc, const struct payer_cfg *cfg,
    char *err, size_t errlen)
{
	struct btc_result	 r;
	PGresult		*res;
	const char		*p[1], *txid, *id;
	char			 grace[16];
	int			 i, n, rc = 0;

	snprintf(grace, sizeof(grace), "%d", cfg->grace_s);
	p[0] = grace;
	if ((res = payer_sql(pg, "SELECT id FROM withdrawals WHERE status = "
	    "'sending' AND attempt_at < now() - make_interval(secs => $1) "
	    "ORDER BY id LIMIT 100", 1, p, err, errlen)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 0) {
		PQclear(res);
		return 0;
	}
	if (btc_call_retry(btc, "listsinceblock", "[]", &r, 3) != 0) {
		snprintf(err, errlen, "listsinceblock: %s", r.message);
		btc_result_clear(&r);
		PQclear(res);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		id = PQgetvalue(res, i, 0);
		if ((txid = payer_find(r.result, id)) != NULL)
			rc = payer_sent(pg, id, txid, err, errlen);
		else {
			log_warn("withdrawal_unpaid", "id=%s detail=\"not in the "
			    "wallet after an unfinished send: sending again\"",
			    id);
			rc = payer_retry(pg, id, "not in the wallet after an "
			    "unfinished send", 0, err, errlen);
		}
	}
	btc_result_clear(&r);
	PQclear(res);
	return rc;
}

/*
 * Takes the next queued withdrawal and commits the intent to send it.
 * Returns 1 with id, address and amount (sat) filled, 0 when none waits,
 * -1 on error.
 */
static int
payer_take(PGconn *pg, char *id, size_t idlen, char *addr, size_t addrlen,
    int64_t *amount, char *err, size_t errlen)
{
	PGresult	*res;
	int		 got;

	if (payer_exec(pg, "BEGIN", 0, NULL, err, errlen) != 0)
		return -1;
	if ((res = payer_sql(pg, "SELECT id, address, amount FROM wd_take()",
	    0, NULL, err, errlen)) == NULL) {
		PQclear(PQexec(pg, "ROLLBACK"));
		return -1;
	}
	if ((got = PQntuples(res) == 1)) {
		snprintf(id, idlen, "%s", PQgetvalue(res, 0, 0));
		snprintf(addr, addrlen, "%s", PQgetvalue(res, 0, 1));
		*amount = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	if (payer_exec(pg, "COMMIT", 0, NULL, err, errlen) != 0)
		return -1;
	return got;
}

/*
 * Sends withdrawal id; the intent is committed.  Returns 0 when the
 * outcome is recorded (sent, or refused and queued again), -1 when it is
 * not (a transport failure: the row stays 'sending' for payer_recover).
 */
static int
payer_send(PGconn *pg, struct btc *btc, const struct payer_cfg *cfg,
    const char *id, const char *addr, int64_t amount, char *err,
    size_t errlen)
{
	struct btc_result	 r;
	char			 btc_amount[32], params[256];
	const char		*txid;
	int			 rc;

	if (money_format_btc(amount, btc_amount, sizeof(btc_amount)) != 0) {
		snprintf(err, errlen, "withdrawal %s: amount %" PRId64
		    " out of range", id, amount);
		return -1;
	}
	snprintf(params, sizeof(params), "[\"%s\", %s, \"" PAYER_COMMENT
	    "%s\", \"\", true]", addr, btc_amount, id);
	if (cfg->crash == PAYER_CRASH_BEFORE_SEND)
		raise(SIGKILL);
	rc = btc_call(btc, "sendtoaddress", params, &r);
	if (cfg->crash == PAYER_CRASH_AFTER_SEND)
		raise(SIGKILL);
	if (rc == 0 && json_object_is_type(r.result, json_type_string) &&
	    strlen(txid = json_object_get_string(r.result)) == 64)
		rc = payer_sent(pg, id, txid, err, errlen);
	else if (rc != 0 && r.rpc_code != 0) {
		log_warn("withdrawal_refused", "id=%s code=%d error=\"%s\"", id,
		    r.rpc_code, r.message);
		rc = payer_retry(pg, id, r.message, cfg->retry_s, err, errlen);
	} else {
		snprintf(err, errlen, "sendtoaddress for withdrawal %s: %s; "
		    "the wallet decides after %d s", id, rc != 0 ? r.message :
		    "no txid in the answer", cfg->grace_s);
		rc = -1;
	}
	btc_result_clear(&r);
	return rc;
}

/*
 * Settles unfinished payments, then sends up to cfg->per_run queued ones.
 * Returns 0, or -1 with err set (the caller logs it and tries again later).
 */
int
payer_run(PGconn *pg, struct btc *btc, const struct payer_cfg *cfg,
    char *err, size_t errlen)
{
	char		 id[24], addr[128];
	int64_t		 amount;
	int		 i, got;

	if (payer_recover(pg, btc, cfg, err, errlen) != 0)
		return -1;
	for (i = 0; i < cfg->per_run; i++) {
		if ((got = payer_take(pg, id, sizeof(id), addr, sizeof(addr),
		    &amount, err, errlen)) <= 0)
			return got;
		if (payer_send(pg, btc, cfg, id, addr, amount, err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

/* Reads a fault_withdraw_crash setting; 0, or -1 when unknown. */
int
payer_crash_parse(const char *s, enum payer_crash *out)
{
	if (s == NULL || *s == '\0' || strcmp(s, "none") == 0)
		*out = PAYER_CRASH_NONE;
	else if (strcmp(s, "before_send") == 0)
		*out = PAYER_CRASH_BEFORE_SEND;
	else if (strcmp(s, "after_send") == 0)
		*out = PAYER_CRASH_AFTER_SEND;
	else
		return -1;
	return 0;
}
