/*
 * abc-web: a threaded FastCGI responder.  A pool of threads accepts on one
 * Unix socket (FCGX_Accept_r), each handling one request at a time; the link
 * thread (web/client.c) carries requests to abc-worker.  SIGTERM drains:
 * no new connections, in-flight requests finish, then the process exits.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "cache.h"
#include "cachekey.h"
#include "client.h"
#include "clock.h"
#include "counter.h"
#include "conf.h"
#include "faultfile.h"
#include "http.h"
#include "kdfpool.h"
#include "abc_link.h"
#include "apilimit.h"
#include "log.h"
#include "logbuf.h"
#include "metrics.h"
#include "msg.h"
#include "route.h"
#include "template.h"
#include "tls.h"
#include "usercache.h"
#include "xmalloc.h"

static void	web_conf_abuse(const struct conf *, struct app *);
static void	web_conf_api(const struct conf *, struct app *);

#define WEB_THREADS_MAX	256

struct web_thread {
	pthread_t		 tid;
	int			 sock;
	const struct app	*app;
};

static void
usage(void)
{
	fprintf(stderr, "usage: abc-web -c abc.conf\n");
	exit(2);
}

/* Handles one accepted request and logs its summary line. */
static void
web_handle(FCGX_Request *fcgi, const struct app *app)
{
	struct http_req	 r;
	int64_t		 t0 = clock_mono_us();

	if (http_req_init(&r, fcgi, app) != 0) {
		FCGX_FPrintF(fcgi->out, "Status: 400 Bad Request\r\n"
		    "Content-Type: text/plain\r\n\r\nbad request\n");
		log_warn("bad_request", "error=\"missing method or path\"");
		return;
	}
	route_dispatch(&r);
	t0 = clock_mono_us() - t0;
	metrics_record(app->metrics, r.status, t0);
	log_info("request", "method=%s path=\"%.128s\" status=%d bytes=%zu "
	    "us=%lld", r.method, r.path, r.status, r.sent, (long long)t0);
	http_req_clear(&r);
}

static void *
web_thread_main(void *arg)
{
	struct web_thread	*t = arg;
	FCGX_Request		 fcgi;

	if (FCGX_InitRequest(&fcgi, t->sock, 0) != 0) {
		log_error("fcgi_init", "error=\"FCGX_InitRequest failed\"");
		return NULL;
	}
	while (FCGX_Accept_r(&fcgi) == 0) {
		web_handle(&fcgi, t->app);
		FCGX_Finish_r(&fcgi);
	}
	FCGX_Free(&fcgi, 1);
	return NULL;
}

/* Reads the numeric settings; exits with a message on a bad value. */
static void
web_conf_numbers(const struct conf *conf, struct app *app)
{
	long long	 v;
	char		 err[256];

	if (conf_int(conf, "threads", 1, WEB_THREADS_MAX, 8, &v, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	app->threads = (int)v;
	if (conf_int(conf, "request_timeout_ms", 10, 600000, 3000, &v, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	app->request_timeout_ms = (int)v;
	if (conf_bool(conf, "allow_short_slots", 0, &app->allow_short_slots,
	    err, sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	web_conf_abuse(conf, app);
	web_conf_api(conf, app);
}

/*
 * Issue 15: each API key may make api_rate requests a second in each
 * abc-web, in bursts of api_burst (web/apilimit.h).  Exits on a bad value.
 */
static void
web_conf_api(const struct conf *conf, struct app *app)
{
	long long	 rate, burst;
	char		 err[256];

	if (conf_int(conf, "api_rate", 1, 100000, 5, &rate, err,
	    sizeof(err)) != 0 || conf_int(conf, "api_burst", 1, 100000, 20,
	    &burst, err, sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	app->apilimit = apilimit_new(1024, (unsigned)rate, (unsigned)burst);
	app->apikeys = usercache_new(1024, 1000);
}

/*
 * Issue 10's settings: trusted_proxies (whose X-Forwarded-For names the
 * client; default none), admin_addrs (who sees /status/detail and
 * /metrics; default loopback) and csrf_secret (or csrf_secret_file),
 * which every abc-web of a site must share.  Exits on a bad value.
 */
static void
web_conf_abuse(const struct conf *conf, struct app *app)
{
	char		*secret;
	char		 err[256];
	int		 rc;

	if (addrlist_parse(conf_str(conf, "trusted_proxies", ""),
	    &app->trusted_proxies, err, sizeof(err)) != 0 ||
	    addrlist_parse(conf_str(conf, "admin_addrs", "127.0.0.1 ::1"),
	    &app->admin_addrs, err, sizeof(err)) != 0) {
		log_error("config", "error=\"trusted_proxies or admin_addrs: "
		    "%s\"", err);
		exit(1);
	}
	if ((secret = conf_secret(conf, "csrf_secret", err,
	    sizeof(err))) != NULL) {
		rc = csrf_key_set(&app->csrf_key, secret);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		if (rc != 0) {
			log_error("config", "error=\"csrf_secret must be %d to "
			    "%d bytes\"", CSRF_SECRET_MIN, CSRF_SECRET_MAX);
			exit(1);
		}
		return;
	}
	if (strstr(err, "not set") == NULL) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	if (csrf_key_random(&app->csrf_key) != 0) {
		log_error("config", "error=\"no randomness for a CSRF key\"");
		exit(1);
	}
	log_warn("config", "error=\"no csrf_secret: a form works only on "
	    "the abc-web that rendered it\"");
}

/* Opens the FastCGI socket named by fcgi_socket; fd or -1 (logged). */
static int
web_open_socket(const char *path)
{
	int	 sock;

	if (path[0] == '/' && unlink(path) == -1 && errno != ENOENT) {
		log_error("fcgi_socket", "path=%s error=\"%s\"", path,
		    strerror(errno));
		return -1;
	}
	if ((sock = FCGX_OpenSocket(path, 128)) == -1) {
		log_error("fcgi_socket", "path=%s error=\"cannot listen\"", path);
		return -1;
	}
	if (path[0] == '/')
		(void)chmod(path, 0660);
	log_info("listening", "fcgi_socket=%s", path);
	return sock;
}

/*
 * Waits for SIGTERM or SIGINT (blocked in every thread).  SIGUSR2 on the
 * way re-reads the runtime fault file into the link (common/faultfile.h).
 */
static void
web_wait_signal(const sigset_t *mask, struct client *cl,
    const char *fault_file)
{
	struct link_fault	 f;
	int			 sig;

	for (;;) {
		if (sigwait(mask, &sig) != 0)
			continue;
		if (sig != SIGUSR2)
			break;
		if (faultfile_reload(fault_file, &f) == 0)
			client_set_fault(cl, &f);
	}
	log_info("draining", "signal=%d", sig);
}

/* Starts the thread pool, waits for a signal, then drains it. */
static int
web_serve(struct app *app, int sock, const sigset_t *mask,
    const char *fault_file)
{
	struct web_thread	*pool;
	int			 i, n = 0;

	pool = xcalloc((size_t)app->threads, sizeof(*pool));
	for (i = 0; i < app->threads; i++) {
		pool[i].sock = sock;
		pool[i].app = app;
		if (pthread_create(&pool[i].tid, NULL, web_thread_main,
		    &pool[i]) != 0)
			break;
		n++;
	}
	if (n == app->threads)
		web_wait_signal(mask, app->client, fault_file);
	else
		log_error("threads", "started=%d wanted=%d", n, app->threads);
	/* Wake threads blocked in accept(); in-flight requests finish. */
	FCGX_ShutdownPending();
	(void)shutdown(sock, SHUT_RDWR);
	for (i = 0; i < n; i++)
		pthread_join(pool[i].tid, NULL);
	free(pool);
	return n == app->threads ? 0 : 1;
}

/*
 * "accounts_changed": with "users" (worker/acctnote.h) each listed user's
 * entries leave the cache; without it, or with a list that does not
 * read as user ids, every user's.
 */
static void
web_accounts_changed(struct app *app, struct json_object *n)
{
	struct json_object	*users, *u;
	char			 key[CACHE_KEY_MAX];
	size_t			 i, len;
	int64_t			 id;

	if (n == NULL || !json_object_object_get_ex(n, "users", &users) ||
	    !json_object_is_type(users, json_type_array)) {
		cache_drop_prefix(app->cache, CACHEKEY_USERS);
		return;
	}
	len = json_object_array_length(users);
	for (i = 0; i < len; i++) {
		u = json_object_array_get_idx(users, i);
		if (!json_object_is_type(u, json_type_int) ||
		    (id = json_object_get_int64(u)) <= 0) {
			cache_drop_prefix(app->cache, CACHEKEY_USERS);
			return;
		}
	}
	for (i = 0; i < len; i++) {
		cachekey_user(key, json_object_get_int64(
		    json_object_array_get_idx(users, i)));
		cache_drop(app->cache, key);
	}
}

/*
 * Notices from abc-worker that concern this process's caches: changed
 * campaigns and accounts leave the cache, ended sessions the user cache,
 * at once; a gap or a new worker clears both.
 */
static void
web_notice(void *arg, const char *kind, int64_t seq, struct json_object *n)
{
	struct app		*app = arg;
	struct usercache	*uc = app->users;
	const char		*token, *keep;
	enum msg_notice		 k;
	int64_t			 user = 0, id = 0;
	char			 key[CACHE_KEY_MAX];

	(void)seq;
	if (msg_notice_parse(kind, &k) != 0)
		return;		/* a newer worker's: nothing of ours */
	if (k == MSG_NOTICE_APIKEY_REVOKED) {
		if (n != NULL && (token = msg_get_str(n, "key")) != NULL)
			usercache_drop_key(app->apikeys, token);
		return;
	}
	if (k == MSG_NOTICE_REVALIDATE) {
		usercache_clear(uc);
		usercache_clear(app->apikeys);
		cache_clear(app->cache);
		return;
	}
	if (k == MSG_NOTICE_CAMPAIGN_CHANGED && n != NULL) {
		if (msg_get_int(n, "campaign", &id) == 0) {
			cachekey_campaign(key, id);
			cache_drop(app->cache, key);
		}
		cache_drop(app->cache, CACHEKEY_LIST);
		cache_drop(app->cache, CACHEKEY_HOME);
		return;
	}
	/* Everything cached for the user: their overview, their ads. */
	if (k == MSG_NOTICE_ACCOUNT_CHANGED && n != NULL) {
		if (msg_get_int(n, "user", &user) == 0) {
			cachekey_user(key, user);
			cache_drop(app->cache, key);
		}
		return;
	}
	if (k == MSG_NOTICE_ACCOUNTS_CHANGED) {
		web_accounts_changed(app, n);
		return;
	}
	if (k != MSG_NOTICE_SESSION_REVOKED || n == NULL)
		return;
	if ((token = msg_get_str(n, "token")) != NULL)
		usercache_drop_key(uc, token);
	keep = msg_get_str(n, "keep");
	if (msg_get_int(n, "user", &user) == 0)
		usercache_drop_user(uc, user, keep);
}

/*
 * Starts the hashing pool (issue 14): hash_threads threads, hash_queue jobs
 * waiting, none longer than hash_deadline_ms.  At most threads + queue page
 * threads wait on it, so that sum must stay below the page threads or a
 * login storm could hold them all.  Exits with a message on a bad value.
 */
static struct kdfpool *
web_kdf_start(const struct conf *conf, const struct app *app)
{
	long long	 threads, queue, deadline;
	char		 err[256];

	if (conf_int(conf, "hash_threads", 1, KDFPOOL_THREADS_MAX, 1, &threads,
	    err, sizeof(err)) != 0 || conf_int(conf, "hash_queue", 1, 10000, 2,
	    &queue, err, sizeof(err)) != 0 || conf_int(conf,
	    "hash_deadline_ms", 1, KDFPOOL_DEADLINE_MAX, 1000, &deadline, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	if (threads + queue >= app->threads) {
		log_error("config", "error=\"hash_threads + hash_queue (%lld) "
		    "must be below threads (%d): a login storm would hold "
		    "every page thread\"", threads + queue, app->threads);
		exit(1);
	}
	return kdfpool_start((int)threads, (size_t)queue, deadline);
}

/* Loads templates and starts the link; returns the exit status. */
static int
web_run(const struct conf *conf, const sigset_t *mask)
{
	struct client_cfg	 ccfg;
	struct app		 app;
	struct tls_ctx		*tls = NULL;
	struct tpl_set		*tpl = NULL;
	char			 err[512];
	const char		*sockpath;
	long long		 flush_ms;
	int			 sock = -1, rc = 1;

	memset(&app, 0, sizeof(app));
	web_conf_numbers(conf, &app);
	app.started_ms = clock_real_ms();
	if ((tpl = tpl_set_load_dir(conf_str(conf, "templates_dir",
	    "templates"), err, sizeof(err))) == NULL) {
		log_error("templates", "error=\"%s\"", err);
		goto out;
	}
	app.tpl = tpl;
	if ((tls = tls_ctx_new(TLS_CLIENT, conf_str(conf, "tls_ca", ""),
	    conf_str(conf, "tls_cert", ""), conf_str(conf, "tls_key", ""),
	    err, sizeof(err))) == NULL) {
		log_error("tls", "error=\"%s\"", err);
		goto out;
	}
	memset(&ccfg, 0, sizeof(ccfg));
	if (link_fault_from_env(&ccfg.fault, conf_str(conf, "fault_drop_pct",
	    ""), conf_str(conf, "fault_delay_ms", ""), conf_str(conf,
	    "fault_cut_ms", ""), (uint64_t)getpid()) != 0) {
		log_error("config", "error=\"bad fault_drop_pct, fault_delay_ms "
		    "or fault_cut_ms\"");
		goto out;
	}
	ccfg.worker = conf_str(conf, "worker", "127.0.0.1:7000");
	ccfg.tls = tls;
	if ((app.client = client_start(&ccfg)) == NULL)
		goto out;
	app.users = usercache_new(4096, 1000);
	app.cache = cache_new(64u * 1024 * 1024);
	app.metrics = metrics_new();
	if ((app.kdf = web_kdf_start(conf, &app)) == NULL)
		goto out;
	(void)client_subscribe(app.client, web_notice, &app);
	/* Issue 15: the counters, flushed every stats_flush_ms. */
	app.counter = counter_new();
	if (conf_int(conf, "stats_flush_ms", 100, 60000, 2000, &flush_ms, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		goto out;
	}
	if (counter_start_flusher(app.counter, app.client, (int)flush_ms,
	    app.request_timeout_ms) != 0)
		goto out;
	sockpath = conf_str(conf, "fcgi_socket", "/run/abc/web.sock");
	if ((sock = web_open_socket(sockpath)) == -1)
		goto out;
	rc = web_serve(&app, sock, mask, conf_str(conf, "fault_file", ""));
	close(sock);
	if (sockpath[0] == '/')
		(void)unlink(sockpath);
	log_info("stopped", "status=%d", rc);
out:
	counter_stop_flusher(app.counter);
	counter_free(app.counter);
	client_stop(app.client);
	kdfpool_stop(app.kdf);	/* every page thread has ended */
	usercache_free(app.users);
	usercache_free(app.apikeys);
	apilimit_free(app.apilimit);
	cache_free(app.cache);
	metrics_free(app.metrics);
	tls_ctx_free(tls);
	tpl_set_free(tpl);
	return rc;
}

/*
 * Log lines go out in batches every log_flush_ms (default 10; 0 writes
 * each at once, as common/log.c alone does): one write(2) per page was a
 * tenth of a logged-in page's CPU.  Warnings and errors are written at
 * once (web/logbuf.h).  NULL (logged) keeps each line's own write.
 */
static struct logbuf *
web_log_start(const struct conf *conf)
{
	struct logbuf	*lb;
	long long	 ms;
	char		 err[256];

	if (conf_int(conf, "log_flush_ms", 0, 1000, 10, &ms, err,
	    sizeof(err)) != 0) {
		log_error("config", "error=\"%s\"", err);
		exit(1);
	}
	if ((lb = logbuf_start(STDERR_FILENO, (int)ms)) == NULL) {
		log_warn("log_flush", "error=\"cannot start: each line is "
		    "written at once\"");
		return NULL;
	}
	log_set_output(logbuf_file(lb));
	return lb;
}

int
main(int argc, char *argv[])
{
	const char	*path = NULL;
	struct conf	*conf;
	struct logbuf	*lb;
	enum log_level	 lvl;
	sigset_t	 mask;
	char		 err[512];
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			usage();
		path = optarg;
	}
	if (optind != argc)
		usage();
	if ((conf = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "abc-web: %s\n", err);
		return 1;
	}
	if (log_level_parse(conf_str(conf, "log_level", "info"), &lvl) != 0) {
		fprintf(stderr, "abc-web: bad log_level\n");
		return 1;
	}
	log_init("abc-web", lvl);
	lb = web_log_start(conf);
	/* Block the stop signals and SIGUSR2 (runtime faults) in every
	 * thread; main takes them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		log_error("fcgi_init", "error=\"FCGX_Init failed\"");
		return 1;
	}
	rc = web_run(conf, &mask);
	conf_free(conf);
	log_set_output(NULL);
	logbuf_stop(lb);	/* every line kept is written */
	return rc;
}
