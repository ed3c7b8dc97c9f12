/*
 * abc-worker: the single writer.  Reads its config, applies or checks the
 * schema, then runs the link server with its database and bitcoind threads
 * until SIGTERM.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "acctnote.h"
#include "btc.h"
#include "btcq.h"
#include "conf.h"
#include "db.h"
#include "deposits.h"
#include "facts.h"
#include "abc_link.h"
#include "kdf.h"
#include "lease.h"
#include "liveness.h"
#include "retention.h"
#include "abc_limits.h"
#include "log.h"
#include "migrate.h"
#include "money.h"
#include "payer.h"
#include "webhook.h"
#include "pglisten.h"
#include "server.h"
#include "tls.h"
#include "xmalloc.h"

/*
 * Blocks SIGTERM, SIGINT and SIGUSR2 (runtime faults) in this thread and
 * those it creates: the event loop takes them through a signalfd.
 */
static void
block_stop_signals(void)
{
	sigset_t	 mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: abc-worker -c abc.conf "
	    "[--migrate | --migrate-to N]\n");
	exit(2);
}

/* Sets up logging from the config; exits on a bad level. */
static void
worker_log_init(const struct conf *conf)
{
	enum log_level	 lvl;

	if (log_level_parse(conf_str(conf, "log_level", "info"), &lvl) != 0) {
		fprintf(stderr, "abc-worker: bad log_level\n");
		exit(1);
	}
	log_init("abc-worker", lvl);
}

/* Connects to PostgreSQL for the blocking start-up steps. */
static PGconn *
worker_db_connect(const char *conninfo)
{
	PGconn	*pg;

	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		log_error("db_connect", "error=\"%s\"", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/*
 * --migrate (target MIGRATE_SCHEMA) or --migrate-to N: applies migrations
 * and exits.
 */
static int
worker_migrate(const struct conf *conf, int target)
{
	PGconn	*pg;
	int	 rc;

	if ((pg = worker_db_connect(conf_str(conf, "db", ""))) == NULL)
		return 1;
	rc = migrate_apply(pg, conf_str(conf, "sql_dir", "sql"), target);
	PQfinish(pg);
	return rc == 0 ? 0 : 1;
}

/*
 * Writes the withdrawal limits of the config into withdraw_limits, where
 * the SQL that judges a request and the account page read them:
 * withdraw_day_limit_sat (one user's withdrawals in 24 h above which an
 * admin approves) and deposit_hold_confs (confirmations before deposited
 * funds are withdrawable).  0, or -1 logged.
 */
static int	worker_conf_int(const struct conf *, const char *, long long,
		    long long, long long, long long *);

static int
worker_store_limits(const struct conf *conf, PGconn *pg)
{
	const char	*p[2];
	char		 day[24], hold[16];
	long long	 day_limit, hold_confs;
	PGresult	*res;
	int		 rc = 0;

	if (worker_conf_int(conf, "withdraw_day_limit_sat", 0, MONEY_MAX_SAT,
	    10000000, &day_limit) || worker_conf_int(conf,
	    "deposit_hold_confs", 0, 1000, 6, &hold_confs))
		return -1;
	snprintf(day, sizeof(day), "%lld", day_limit);
	snprintf(hold, sizeof(hold), "%lld", hold_confs);
	p[0] = day;
	p[1] = hold;
	res = PQexecParams(pg, "UPDATE withdraw_limits SET day_limit = $1, "
	    "hold_confs = $2 WHERE id = 1", 2, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("config", "error=\"cannot store the withdrawal "
		    "limits: %s\"", PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Refuses to start on a schema this build does not know. */
static int
worker_check_schema(const struct conf *conf)
{
	PGconn	*pg;
	int	 rc;

	if ((pg = worker_db_connect(conf_str(conf, "db", ""))) == NULL)
		return -1;
	rc = migrate_check(pg, conf_str(conf, "sql_dir", "sql"));
	if (rc == 0)
		rc = worker_store_limits(conf, pg);
	PQfinish(pg);
	return rc;
}

/*
 * bitcoind's credentials: the cookie file bitcoind writes
 * (bitcoind_cookie_file, "__cookie__:<hex>"), else bitcoind_user with the
 * secret bitcoind_password (or bitcoind_password_file).  Returns
 * "user:password" to free with explicit_bzero + free, or NULL (logged).
 */
static char *
worker_btc_userpass(const struct conf *conf)
{
	const char	*cookie = conf_str(conf, "bitcoind_cookie_file", "");
	char		 err[256], line[512], *pw, *up;
	FILE		*f;
	size_t		 n;

	if (cookie[0] != '\0') {
		if ((f = fopen(cookie, "r")) == NULL ||
		    fgets(line, sizeof(line), f) == NULL ||
		    strchr(line, ':') == NULL) {
			log_error("config", "error=\"cannot read bitcoind cookie "
			    "file\" file=%s", cookie);
			if (f != NULL)
				fclose(f);
			return NULL;
		}
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		up = xstrdup(line);
		explicit_bzero(line, sizeof(line));
		return up;
	}
	if ((pw = conf_secret(conf, "bitcoind_password", err,
	    sizeof(err))) == NULL) {
		log_error("config", "error=\"%s\"", err);
		return NULL;
	}
	n = strlen(conf_str(conf, "bitcoind_user", "abc")) + strlen(pw) + 2;
	up = xmalloc(n);
	snprintf(up, n, "%s:%s", conf_str(conf, "bitcoind_user", "abc"), pw);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return up;
}

/* Builds the bitcoind client from the config; NULL (logged) on error. */
static struct btc *
worker_btc(const struct conf *conf)
{
	struct btc	*btc;
	char		*up, *colon;

	if ((up = worker_btc_userpass(conf)) == NULL)
		return NULL;
	colon = strchr(up, ':');
	*colon = '\0';
	btc = btc_new(conf_str(conf, "bitcoind_url", "http://127.0.0.1:8332/"),
	    up, colon + 1);
	explicit_bzero(colon + 1, strlen(colon + 1));
	free(up);
	return btc;
}

/* Reads one integer setting into *out; 0, or -1 logged. */
static int
worker_conf_int(const struct conf *conf, const char *key, long long min,
    long long max, long long def, long long *out)
{
	char	 err[256];

	if (conf_int(conf, key, min, max, def, out, err, sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		return -1;
	}
	return 0;
}

/* The front-end names of link_clients, storage for server_cfg.clients. */
struct link_names {
	char		 name[LIMIT_LINK_CLIENTS][LIMIT_PEER_NAME + 1];
	const char	*ptr[LIMIT_LINK_CLIENTS];
	size_t		 n;
};

/*
 * Splits link_clients ("web1, web2") into ln.  Each name is what a
 * certificate CN may be (tls.c): 1 to LIMIT_PEER_NAME printable ASCII
 * bytes without space, quote, backslash or comma.  0, or -1 logged: the
 * key is required, a worker that would let no front-end in is a mistake.
 */
static int
worker_link_names(const char *s, struct link_names *ln)
{
	size_t	 len;

	ln->n = 0;
	for (;;) {
		s += strspn(s, " \t");
		len = strcspn(s, ", \t");
		if (len == 0 || len > LIMIT_PEER_NAME ||
		    ln->n == LIMIT_LINK_CLIENTS)
			break;
		for (size_t i = 0; i < len; i++)
			if (s[i] < '!' || s[i] > '~' || s[i] == '"' ||
			    s[i] == '\\')
				goto bad;
		memcpy(ln->name[ln->n], s, len);
		ln->name[ln->n][len] = '\0';
		ln->ptr[ln->n] = ln->name[ln->n];
		ln->n++;
		s += len;
		s += strspn(s, " \t");
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			break;
	}
bad:
	log_error("config", "error=\"link_clients must list 1 to %u front-end "
	    "certificate names (CN), comma-separated, each 1 to %u printable "
	    "bytes\"", LIMIT_LINK_CLIENTS, LIMIT_PEER_NAME);
	return -1;
}

/*
 * Fills the link listener's settings: who may connect, how many at once
 * and how long a peer has for its handshake and HELLO.  0, or -1 logged.
 */
static int
worker_link_conf(const struct conf *conf, struct link_names *ln,
    struct server_cfg *cfg)
{
	long long	 max_conns, hello_ms;

	if (worker_link_names(conf_str(conf, "link_clients", ""), ln) != 0 ||
	    worker_conf_int(conf, "link_max_conns", 1, 10000, 64,
	    &max_conns) != 0 ||
	    worker_conf_int(conf, "link_hello_timeout_ms", 100, 600000, 5000,
	    &hello_ms) != 0)
		return -1;
	cfg->clients = ln->ptr;
	cfg->nclients = ln->n;
	cfg->max_conns = (int)max_conns;
	cfg->hello_ms = (int)hello_ms;
	return 0;
}

/*
 * The key of the salts kdf_params shows for names without an account:
 * SHA-256 of kdf_salt_secret[_file].  Without one, a random key: such a
 * name's salt then changes when abc-worker restarts (or fails over), which
 * tells a patient prober the name has no account, so production sets it
 * (the same on every worker).  0, or -1 logged.
 */
static int
worker_salt_secret(const struct conf *conf, uint8_t key[32])
{
	char		 err[256], *secret;
	unsigned int	 n = 32;

	if ((secret = conf_secret(conf, "kdf_salt_secret", err,
	    sizeof(err))) != NULL) {
		(void)EVP_Digest(secret, strlen(secret), key, &n,
		    EVP_sha256(), NULL);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		return 0;
	}
	if (strstr(err, "not set") == NULL) {
		log_error("config", "error=\"%s\"", err);
		return -1;
	}
	if (RAND_bytes(key, 32) != 1) {
		log_error("config", "error=\"no randomness for a salt key\"");
		return -1;
	}
	log_warn("config", "error=\"no kdf_salt_secret: the salt shown for "
	    "a name without an account changes at each restart\"");
	return 0;
}

/*
 * The payout freeze (default 3 days, as A-Ads) and the test clock of 2FA:
 * totp_clock_file names a file whose first line is the Unix time 2FA codes
 * are judged at (absent or unreadable: the real clock), so a test can
 * compute codes; only where allow_short_slots says this is a test stack.
 * 0, or -1 logged.
 */
static int
worker_totp_conf(const struct conf *conf, struct ops_cfg *oc)
{
	const char	*file = conf_str(conf, "totp_clock_file", "");
	long long	 freeze;

	if (worker_conf_int(conf, "payout_freeze_s", 1, 365 * 86400,
	    3 * 86400, &freeze) != 0)
		return -1;
	oc->payout_freeze_s = freeze;
	if (file[0] != '\0' && !oc->allow_short_slots) {
		log_error("config", "error=\"totp_clock_file is for test "
		    "stacks only (allow_short_slots = yes)\"");
		return -1;
	}
	if (strlen(file) >= sizeof(oc->totp_clock_file)) {
		log_error("config", "error=\"totp_clock_file is too long\"");
		return -1;
	}
	snprintf(oc->totp_clock_file, sizeof(oc->totp_clock_file), "%s", file);
	if (file[0] != '\0')
		log_warn("config", "totp_clock_file=%s: 2FA codes are judged "
		    "at a test clock", file);
	return 0;
}

/*
 * Fills the request engine's settings: scrypt cost (lower only for
 * tests), session lifetime and login rate limits.  0, or -1 logged.
 */
static int
worker_ops_conf(const struct conf *conf, struct ops_cfg *oc)
{
	long long	 n, r, p, ttl, fails, window, fee, approve, wmin;
	long long	 reg_addr, reg_all, reg_window, per_day;
	long long	 q_camps, q_ads, q_bytes;
	int		 short_slots;
	char		 err[256];

	if (worker_conf_int(conf, "kdf_n", 2, 1 << 20, KDF_N_DEFAULT, &n) ||
	    worker_conf_int(conf, "kdf_r", 1, 32, KDF_R_DEFAULT, &r) ||
	    worker_conf_int(conf, "kdf_p", 1, 16, KDF_P_DEFAULT, &p) ||
	    worker_conf_int(conf, "session_ttl_s", 60, 365 * 86400,
	    7 * 86400, &ttl) ||
	    worker_conf_int(conf, "login_max_failures", 1, 1000, 5, &fails) ||
	    worker_conf_int(conf, "login_window_s", 1, 86400, 900, &window) ||
	    worker_conf_int(conf, "platform_fee_ppm", 0, 1000000, 0, &fee) ||
	    worker_conf_int(conf, "withdraw_approval_sat", 0, MONEY_MAX_SAT,
	    10000000, &approve) ||
	    worker_conf_int(conf, "withdraw_min_sat", 1, MONEY_MAX_SAT, 10000,
	    &wmin) ||
	    worker_conf_int(conf, "register_max_per_addr", 1, 1000000, 100,
	    &reg_addr) ||
	    worker_conf_int(conf, "register_max", 1, 10000000, 1000, &reg_all) ||
	    worker_conf_int(conf, "register_window_s", 1, 7 * 86400, 3600,
	    &reg_window) ||
	    worker_conf_int(conf, "quota_addresses_per_day", 1, 100000, 20,
	    &per_day) ||
	    worker_conf_int(conf, "quota_campaigns", 1, 1000000, 100,
	    &q_camps) ||
	    worker_conf_int(conf, "quota_ads", 1, 1000000, 500, &q_ads) ||
	    worker_conf_int(conf, "quota_image_bytes", 1024,
	    INT64_C(1) << 40, INT64_C(50) << 20, &q_bytes))
		return -1;
	oc->addresses_per_day = (int)per_day;
	oc->quota_campaigns = (int)q_camps;
	oc->quota_ads = (int)q_ads;
	oc->quota_image_bytes = q_bytes;
	oc->register_max_per_addr = (unsigned)reg_addr;
	oc->register_max = (unsigned)reg_all;
	oc->register_window_ms = reg_window * 1000;
	oc->withdraw_approval_sat = approve;
	oc->withdraw_min_sat = wmin;
	if (conf_bool(conf, "allow_short_slots", 0, &short_slots, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		return -1;
	}
	oc->allow_short_slots = short_slots;
	oc->fee_ppm = fee;
	oc->kdf_params.n = (uint64_t)n;
	oc->kdf_params.r = (uint32_t)r;
	oc->kdf_params.p = (uint32_t)p;
	if (!kdf_params_valid(&oc->kdf_params)) {
		log_error("config", "error=\"kdf_n must be a power of two; "
		    "kdf_n, kdf_r, kdf_p within scrypt's limits\"");
		return -1;
	}
	if (n < (1 << 17))
		log_warn("config", "kdf_n=%lld below 2^17: for tests only", n);
	oc->session_ttl_s = (int)ttl;
	oc->login_max_failures = (unsigned)fails;
	oc->login_window_ms = window * 1000;
	if (worker_totp_conf(conf, oc) != 0)
		return -1;
	return worker_salt_secret(conf, oc->salt_secret);
}

/* Starts the hashing pool on its own eventfd; 0, or -1 logged. */
static int
worker_kdf_start(const struct conf *conf, int *efd, struct kdf_pool **pool)
{
	long long	 threads, queue, wait_ms;

	if (worker_conf_int(conf, "kdf_threads", 1, KDF_THREADS_MAX, 1,
	    &threads) || worker_conf_int(conf, "kdf_queue", 1, 100000, 64,
	    &queue) || worker_conf_int(conf, "kdf_max_wait_ms", 1,
	    KDF_MAX_WAIT_MS_MAX, 2000, &wait_ms))
		return -1;
	if ((*efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (*pool = kdf_pool_start((int)threads, (size_t)queue, wait_ms,
	    *efd)) == NULL) {
		log_error("kdf_start", "error=\"cannot start the hashing "
		    "pool\"");
		return -1;
	}
	return 0;
}

/* The threads that talk to bitcoind, each on its own connections. */
struct worker_wallet {
	struct btcq	*queue;		/* address jobs for requests */
	struct deposits	*deposits;	/* the follower */
	struct payer	*payer;		/* withdrawals */
};

/* Reads the payer's keys into pc; 0, or -1 logged. */
static int
worker_payer_conf(const struct conf *conf, struct payer_cfg *pc)
{
	long long	 retry_s, grace_s;

	if (worker_conf_int(conf, "withdraw_retry_s", 1, 86400, 60, &retry_s) ||
	    worker_conf_int(conf, "withdraw_grace_s", 10, 86400, 30, &grace_s))
		return -1;
	if (payer_crash_parse(conf_str(conf, "fault_withdraw_crash", ""),
	    &pc->crash) != 0) {
		log_error("config", "error=\"fault_withdraw_crash is none, "
		    "before_send or after_send\"");
		return -1;
	}
	if (pc->crash != PAYER_CRASH_NONE)
		log_warn("config", "fault_withdraw_crash set: for tests only");
	pc->retry_s = (int)retry_s;
	pc->grace_s = (int)grace_s;
	pc->per_run = 20;
	return 0;
}

/*
 * Starts the bitcoind job queue (on its own eventfd), the deposit
 * follower and the payer; 0, or -1 logged.
 */
static int
worker_wallet_start(const struct conf *conf, int *efd, struct worker_wallet *w)
{
	struct btcq_cfg		 qc;
	struct deposits_cfg	 dc;
	struct payer_cfg	 pc;
	long long		 poll_ms, min_conf, page, body_max, per_day;
	char			*up, *pw;
	int			 rc = -1;

	memset(&dc, 0, sizeof(dc));
	memset(&pc, 0, sizeof(pc));
	memset(&qc, 0, sizeof(qc));
	if (worker_conf_int(conf, "follow_ms", 100, 600000, 1000, &poll_ms) ||
	    worker_conf_int(conf, "min_confirmations", 1, 1000, 1, &min_conf) ||
	    worker_conf_int(conf, "follow_page", 1, 100000, 1000, &page) ||
	    worker_conf_int(conf, "quota_addresses_per_day", 1, 100000, 20,
	    &per_day) ||
	    worker_conf_int(conf, "fault_rpc_body_max", 0, 1 << 30, 0,
	    &body_max) || worker_payer_conf(conf, &pc) != 0)
		return -1;
	if (body_max > 0)
		log_warn("config", "fault_rpc_body_max set: for tests only");
	if ((up = worker_btc_userpass(conf)) == NULL)
		return -1;
	pw = strchr(up, ':');
	*pw++ = '\0';
	qc.conninfo = dc.conninfo = pc.conninfo = conf_str(conf, "db", "");
	qc.url = dc.url = pc.url = conf_str(conf, "bitcoind_url",
	    "http://127.0.0.1:8332/");
	qc.user = dc.user = pc.user = up;
	qc.password = dc.password = pc.password = pw;
	dc.poll_ms = pc.poll_ms = (int)poll_ms;
	dc.min_conf = (int)min_conf;
	dc.page = (int)page;
	qc.addresses_per_day = (int)per_day;
	dc.body_max = pc.body_max = (size_t)body_max;
	if ((*efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) != -1) {
		qc.done_fd = *efd;
		if ((w->queue = btcq_start(&qc)) != NULL &&
		    (w->deposits = deposits_start(&dc)) != NULL &&
		    (w->payer = payer_start(&pc)) != NULL)
			rc = 0;
	}
	explicit_bzero(pw, strlen(pw));
	free(up);
	return rc;
}

static void
worker_wallet_stop(struct worker_wallet *w)
{
	payer_stop(w->payer);
	deposits_stop(w->deposits);
	btcq_stop(w->queue);
}

/* Broadcasts batch's notice, if any, and starts the batch afresh. */
static void
worker_relay_batch(struct server *s, struct acctnote_batch *batch)
{
	struct json_object	*notice;

	if ((notice = acctnote_notice(batch)) != NULL) {
		server_broadcast(s, notice);
		json_object_put(notice);
	}
	acctnote_init(batch);
}

/* Starts the webhook sender (worker/webhook.h); 0, or -1 logged. */
static int
worker_webhook_start(const struct conf *conf, struct webhook **out)
{
	struct webhook_cfg	 wc;
	long long		 poll_ms, scale;
	char			 err[256];
	int			 priv;

	memset(&wc, 0, sizeof(wc));
	if (worker_conf_int(conf, "webhook_poll_ms", 50, 60000, 500,
	    &poll_ms) || worker_conf_int(conf, "webhook_backoff_scale", 1,
	    1000, 1000, &scale))
		return -1;
	if (conf_bool(conf, "webhook_allow_private", 0, &priv, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		return -1;
	}
	if (scale != 1000)
		log_warn("config", "webhook_backoff_scale set: for tests only");
	wc.conninfo = conf_str(conf, "db", "");
	wc.poll_ms = (int)poll_ms;
	wc.backoff_pm = (int)scale;
	wc.allow_private = priv;
	return (*out = webhook_start(&wc)) != NULL ? 0 : -1;
}

/*
 * server_wake_fn: relays PostgreSQL's account notifications (arg is their
 * pglisten) to every abc-web, those of one wake as one notice where they
 * fit (worker/acctnote.h).
 */
static void
worker_accounts_changed(struct server *s, void *arg)
{
	struct pglisten_note	*list, *n;
	struct acctnote_batch	 batch;

	acctnote_init(&batch);
	list = pglisten_take(arg);
	for (n = list; n != NULL; n = n->next)
		if (acctnote_add(&batch, n->payload) != 0) {
			worker_relay_batch(s, &batch);
			(void)acctnote_add(&batch, n->payload);
		}
	worker_relay_batch(s, &batch);
	pglisten_free_notes(list);
}

/*
 * With active_lock = yes (a standby worker exists, deploy/hosts): waits
 * until this worker holds the lock (worker/lease.h), then watches it.
 * Returns 0 to go on, 1 when stopped while waiting (*out NULL), -1 logged.
 */
static int
worker_lease(const struct conf *conf, struct lease **out)
{
	char	 err[256];
	int	 on, stopped;

	*out = NULL;
	if (conf_bool(conf, "active_lock", 0, &on, err, sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		return -1;
	}
	if (!on)
		return 0;
	if ((*out = lease_acquire(conf_str(conf, "db", ""), &stopped)) == NULL)
		return stopped ? 1 : -1;
	return lease_watch(*out);
}

/*
 * Starts the liveness job (worker/liveness.h): liveness_wait_ms after a
 * slot's end, by default 10 s, longer than two of abc-web's flush
 * intervals (stats_flush_ms, default 2 s) plus a flush's retries.
 * 0, or -1 logged.
 */
static int
worker_liveness_start(const struct conf *conf, struct liveness **out)
{
	struct liveness_cfg	 lc;
	long long		 poll_ms, wait_ms;

	if (worker_conf_int(conf, "liveness_poll_ms", 100, 600000, 1000,
	    &poll_ms) || worker_conf_int(conf, "liveness_wait_ms", 1000,
	    86400000, 10000, &wait_ms))
		return -1;
	lc.conninfo = conf_str(conf, "db", "");
	lc.poll_ms = (int)poll_ms;
	lc.wait_ms = (int)wait_ms;
	lc.per_run = 100;
	return (*out = liveness_start(&lc)) != NULL ? 0 : -1;
}

/*
 * Starts the retention job (worker/retention.h): hourly by default, the
 * webhook history kept webhook_keep_days (30).  0, or -1 logged.
 */
static int
worker_retention_start(const struct conf *conf, struct retention **out)
{
	struct retention_cfg	 rc;
	long long		 poll_ms, days;

	if (worker_conf_int(conf, "retention_poll_ms", 100, 86400000, 3600000,
	    &poll_ms) || worker_conf_int(conf, "webhook_keep_days", 1, 3650,
	    30, &days))
		return -1;
	rc.conninfo = conf_str(conf, "db", "");
	rc.poll_ms = (int)poll_ms;
	rc.keep_days = (int)days;
	rc.per_run = 1000;
	return (*out = retention_start(&rc)) != NULL ? 0 : -1;
}

/* Runs the server with its threads; returns the exit status. */
static int
worker_serve(const struct conf *conf)
{
	struct lease		*lease = NULL;
	struct server_cfg	 cfg;
	struct server_wake	 wake;
	struct facts		 facts;
	struct link_names	 names;
	struct tls_ctx		*tls = NULL;
	struct btc		*btc = NULL;
	struct db		*db = NULL;
	struct kdf_pool		*kdf = NULL;
	struct worker_wallet	 wallet = { NULL, NULL, NULL };
	struct pglisten		*accounts = NULL;
	struct liveness		*live = NULL;
	struct webhook		*hooks = NULL;
	struct retention	*retain = NULL;
	char			 err[512];
	long long		 drain;
	int			 efd = -1, kfd = -1, cfd = -1, afd = -1, rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	/* An op no module serves would be "unknown operation" at run time. */
	if (ops_table_check() != 0) {
		log_error("start", "error=\"the request table is incomplete; "
		    "see request_table above\"");
		goto out;
	}
	if (worker_link_conf(conf, &names, &cfg) != 0)
		goto out;
	/* Nothing below (not even the start-up writes) before the lock. */
	switch (worker_lease(conf, &lease)) {
	case 0:
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}
	if (worker_check_schema(conf) != 0)
		goto out;
	tls = tls_ctx_new(TLS_SERVER, conf_str(conf, "tls_ca", ""),
	    conf_str(conf, "tls_cert", ""), conf_str(conf, "tls_key", ""),
	    err, sizeof(err));
	if (tls == NULL) {
		log_error("tls", "error=\"%s\"", err);
		goto out;
	}
	if ((btc = worker_btc(conf)) == NULL ||
	    btc_monitor_start(btc, 1000) != 0)
		goto out;
	if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (db = db_start(conf_str(conf, "db", ""), efd)) == NULL)
		goto out;
	if (worker_ops_conf(conf, &cfg.ops) != 0 ||
	    worker_kdf_start(conf, &kfd, &kdf) != 0 ||
	    worker_wallet_start(conf, &cfd, &wallet) != 0 ||
	    worker_liveness_start(conf, &live) != 0 ||
	    worker_webhook_start(conf, &hooks) != 0 ||
	    worker_retention_start(conf, &retain) != 0)
		goto out;
	if ((afd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (accounts = pglisten_start(conf_str(conf, "db", ""),
	    "abc_account", afd)) == NULL)
		goto out;
	wake.fd = afd;
	wake.fn = worker_accounts_changed;
	wake.arg = accounts;
	cfg.wakes = &wake;
	cfg.nwakes = 1;
	cfg.ops.db = db;
	cfg.ops.kdf = kdf;
	cfg.ops.chain = wallet.queue;
	cfg.kdf_done_fd = kfd;
	cfg.chain_done_fd = cfd;
	if (link_fault_from_env(&cfg.fault, conf_str(conf, "fault_drop_pct", ""),
	    conf_str(conf, "fault_delay_ms", ""), conf_str(conf, "fault_cut_ms",
	    ""), (uint64_t)getpid()) != 0) {
		log_error("config", "error=\"bad fault_drop_pct, fault_delay_ms "
		    "or fault_cut_ms\"");
		goto out;
	}
	if (conf_int(conf, "drain_ms", 0, 600000, 10000, &drain, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		goto out;
	}
	cfg.drain_ms = (int)drain;
	cfg.fault_file = conf_str(conf, "fault_file", "");
	cfg.listen = conf_str(conf, "listen", "127.0.0.1:7000");
	cfg.tls = tls;
	cfg.db = db;
	facts_init(&facts, btc);
	cfg.status = facts_fill;
	cfg.status_arg = &facts;
	cfg.db_done_fd = efd;
	rc = server_run(&cfg) == 0 ? 0 : 1;
out:
	liveness_stop(live);
	webhook_stop(hooks);
	retention_stop(retain);
	pglisten_stop(accounts);
	if (afd != -1)
		close(afd);
	worker_wallet_stop(&wallet);
	if (cfd != -1)
		close(cfd);
	kdf_pool_stop(kdf);
	if (kfd != -1)
		close(kfd);
	db_stop(db);
	btc_free(btc);
	if (efd != -1)
		close(efd);
	tls_ctx_free(tls);
	lease_release(lease);
	return rc;
}

/*
 * Every PostgreSQL session of abc-worker runs without JIT.  PostgreSQL
 * compiles a query whose estimated cost passes jit_above_cost, and
 * estimates grow with the data: with 26 000 deposits in the table,
 * acct_overview (the account page, the purchase form's balance) was
 * estimated at 2.2 M and spent 500 ms compiling 90 functions to run for
 * 1 ms.  abc-worker sends only short queries, so JIT never pays.  libpq
 * takes PGOPTIONS as the "options" of every connection whose conninfo
 * names none; an operator's own PGOPTIONS comes after ours, so it wins.
 * Before any thread starts: setenv is not thread-safe.  0, or -1 logged.
 */
static int
worker_no_jit(void)
{
	const char	*theirs = getenv("PGOPTIONS");
	char		 opts[1024];
	int		 n;

	n = snprintf(opts, sizeof(opts), "-c jit=off%s%s",
	    theirs != NULL ? " " : "", theirs != NULL ? theirs : "");
	if (n < 0 || (size_t)n >= sizeof(opts) ||
	    setenv("PGOPTIONS", opts, 1) != 0) {
		log_error("config", "error=\"cannot set PGOPTIONS\"");
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "migrate", no_argument, NULL, 'm' },
		{ "migrate-to", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*path = NULL;
	struct conf	*conf;
	char		 err[512];
	char		*end;
	long		 target;
	int		 ch, migrate = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'm':
			migrate = MIGRATE_SCHEMA;
			break;
		case 't':
			errno = 0;
			target = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    target < 1 || target > MIGRATE_SCHEMA) {
				fprintf(stderr, "abc-worker: --migrate-to takes "
				    "1..%d\n", MIGRATE_SCHEMA);
				return 2;
			}
			migrate = (int)target;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((conf = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "abc-worker: %s\n", err);
		return 1;
	}
	worker_log_init(conf);
	if (worker_no_jit() != 0) {
		conf_free(conf);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The event loop takes SIGTERM/SIGINT through a signalfd, so no
	 * thread may have them unblocked: block before any thread starts. */
	block_stop_signals();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = migrate ? worker_migrate(conf, migrate) : worker_serve(conf);
	curl_global_cleanup();
	conf_free(conf);
	return rc;
}
