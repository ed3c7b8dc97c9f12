/*
 * abc-linkc: drives abc-worker through web/client.c the way abc-web does,
 * for the link's torture, drain and benchmark runs.  Several independent
 * clients (each its own epoch, as separate abc-web processes would be),
 * several caller threads each, a total number of requests or a duration,
 * optionally at a fixed offered rate.  Prints one summary line and exits
 * non-zero unless every request got exactly one reply.
 *
 * --op buy buys slots the way a confirmed purchase form does.  --buy-file
 * names "lanes", one a line: "TOKEN CAMPAIGN AD" (a buyer's session token
 * in hex, a campaign of someone else, an ad of the buyer's that fits it).
 * Each request takes a lane nobody is using (round robin), buys its next
 * slot index (0, 1, 2, ... counted here: every lane is used by one caller
 * at a time) and gives the lane back, so purchases never race each other;
 * --buy-slots caps the slots bought per lane (the price doubles with each
 * quick purchase).  Any reply but ok counts as an error.
 *
 * --buy-race makes purchases race: request i takes lane i mod lanes
 * whether or not another caller is on it, and lanes may share a campaign
 * (several buyers on one campaign).  A refusal that says the race was lost
 * (sold, price_up, funds, not_yet) moves the lane to the slot it names and
 * counts as "lost", not as an error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "conf.h"
#include "abc_link.h"
#include "log.h"
#include "msg.h"
#include "tls.h"
#include "xmalloc.h"

struct opts {
	const char	*worker, *ca, *cert, *key, *prefix;
	const char	*user, *password;	/* --op login */
	const char	*addr;		/* the client address sent along */
	int		 unique;	/* --unique: user "_<i>" per request */
	const char	*buy_file;	/* --op buy: lanes */
	long		 buy_slots;	/* most purchases per lane, 0 = any */
	int		 buy_race;	/* --buy-race: lanes are shared */
	enum msg_op	 op;
	int		 clients, threads, timeout_ms, size, keys;
	long		 total;		/* requests in all */
	long		 rate;		/* offered requests/s in all, 0 = max */
	long		 watch_ms;	/* only print notices for this long */
};

/* --op buy: a buyer's session, a campaign and the buyer's ad for it. */
struct lane {
	char		 token[65];
	int64_t		 campaign, ad;
	int64_t		 next;		/* the slot index to buy next */
	long		 used;		/* purchases sent */
	int		 busy;		/* a caller is buying on it */
};

struct run {
	const struct opts *o;
	struct client	**cl;
	pthread_mutex_t	 lock;
	long		 next;		/* next request index to take */
	long		 ok, errors, timeouts;
	long		 lost;		/* --buy-race: refusals of a lost race */
	int64_t		*lat_us;	/* one per request */
	int64_t		 t0_us;
	char		 first_error[64];	/* code of the first error */
	long		 rate_limited, name_taken, busy;	/* by code */
	struct lane	*lanes;		/* --op buy */
	size_t		 nlanes, cursor;
	pthread_cond_t	 lane_free;
	uint64_t	 nonce;		/* makes idempotency keys unique */
	int64_t		 max_paid;	/* highest price paid (buy) */
};

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Builds request i. */
static struct json_object *
linkc_request(const struct opts *o, long i)
{
	struct json_object	*req;
	char			 key[80], *pad;

	req = msg_request_new(o->op);
	if (o->op == MSG_OP_COUNTER_ADD) {
		snprintf(key, sizeof(key), "%s%ld", o->prefix, i % o->keys);
		json_object_object_add(req, "key", json_object_new_string(key));
		json_object_object_add(req, "n", json_object_new_int64(1));
	} else if (o->op == MSG_OP_ECHO) {
		pad = xmalloc((size_t)o->size + 1);
		memset(pad, 'x', (size_t)o->size);
		pad[o->size] = '\0';
		json_object_object_add(req, "data", json_object_new_string(pad));
		free(pad);
	} else if (o->op == MSG_OP_LOGIN || o->op == MSG_OP_REGISTER ||
	    o->op == MSG_OP_KDF_PARAMS) {
		snprintf(key, sizeof(key), "%.40s_%ld", o->user != NULL ?
		    o->user : "", i);
		json_object_object_add(req, "username",
		    json_object_new_string(o->unique ? key : o->user != NULL ?
		    o->user : ""));
		if (o->password != NULL)
			json_object_object_add(req, "password",
			    json_object_new_string(o->password));
		json_object_object_add(req, "addr",
		    json_object_new_string(o->addr));
	} else
		json_object_object_add(req, "kind",
		    json_object_new_string("test"));
	return req;
}

/* Takes the next request index, or -1 when all are taken. */
static long
linkc_take(struct run *r)
{
	long	 i;

	pthread_mutex_lock(&r->lock);
	i = r->next < r->o->total ? r->next++ : -1;
	pthread_mutex_unlock(&r->lock);
	return i;
}

/* Sleeps until request i's slot at the offered rate. */
static void
linkc_pace(const struct run *r, long i)
{
	int64_t		 due, now;

	if (r->o->rate <= 0)
		return;
	due = r->t0_us + (int64_t)((double)i * 1e6 / (double)r->o->rate);
	if ((now = now_us()) < due)
		usleep((useconds_t)(due - now));
}

/* --op buy: waits for a lane nobody uses that has slots left; takes it. */
static struct lane *
linkc_lane_take(struct run *r)
{
	struct lane	*ln;
	size_t		 k, at;

	pthread_mutex_lock(&r->lock);
	if (r->o->buy_race) {
		ln = &r->lanes[r->cursor++ % r->nlanes];
		ln->used++;
		pthread_mutex_unlock(&r->lock);
		return ln;
	}
	for (;;) {
		for (k = 0; k < r->nlanes; k++) {
			at = (r->cursor + k) % r->nlanes;
			ln = &r->lanes[at];
			if (!ln->busy && (r->o->buy_slots == 0 ||
			    ln->used < r->o->buy_slots)) {
				ln->busy = 1;
				ln->used++;
				r->cursor = at + 1;
				pthread_mutex_unlock(&r->lock);
				return ln;
			}
		}
		pthread_cond_wait(&r->lane_free, &r->lock);
	}
}

/* --op buy: the confirmed purchase form of request i on lane ln. */
static struct json_object *
linkc_buy_request(const struct run *r, const struct lane *ln, long i)
{
	struct json_object	*req;
	char			 idem[33];

	snprintf(idem, sizeof(idem), "%016" PRIx64 "%016" PRIx64, r->nonce,
	    (uint64_t)i);
	req = msg_request_new(MSG_OP_BUY);
	json_object_object_add(req, "token", json_object_new_string(ln->token));
	json_object_object_add(req, "campaign",
	    json_object_new_int64(ln->campaign));
	json_object_object_add(req, "slot", json_object_new_int64(ln->next));
	json_object_object_add(req, "ad", json_object_new_int64(ln->ad));
	json_object_object_add(req, "max_price",
	    json_object_new_int64(PRICE_CAP_SAT));
	json_object_object_add(req, "idem", json_object_new_string(idem));
	return req;
}

/* --buy-race: whether refusal rep says that the race was lost. */
static int
linkc_lost_race(struct json_object *rep)
{
	static const char *const lost[] = { "sold", "price_up", "funds",
	    "not_yet" };
	const char	*code = msg_get_str(rep, "code");
	size_t		 k;

	for (k = 0; code != NULL && k < sizeof(lost) / sizeof(lost[0]); k++)
		if (strcmp(code, lost[k]) == 0)
			return 1;
	return 0;
}

/*
 * --op buy, lock held: moves the lane on after reply rep (NULL when the
 * call failed) and gives it back.  Returns 1 for a purchase of the slot
 * asked for, 0 otherwise (code says why).
 */
static int
linkc_lane_done(struct run *r, struct lane *ln, struct json_object *rep,
    int ok, const char **code)
{
	int64_t	 idx = -1, next = -1, price = 0;

	if (rep != NULL && ok) {
		if (msg_get_int(rep, "idx", &idx) != 0 || (idx != ln->next &&
		    !r->o->buy_race)) {
			*code = "wrong_idx";
			ok = 0;
		} else {
			ln->next = idx + 1;
			if (msg_get_int(rep, "price", &price) == 0 &&
			    price > r->max_paid)
				r->max_paid = price;
		}
	} else if (rep != NULL && msg_get_int(rep, "next_idx", &next) == 0 &&
	    next >= 0)
		ln->next = next;
	ln->busy = 0;
	pthread_cond_signal(&r->lane_free);
	return ok;
}

/* Records the first error's code (a reply's "code", or the call's). */
static void
linkc_error_code(struct run *r, enum app_err e, struct json_object *rep,
    const char *code)
{
	const char	*s = code;
	char		*p;

	if (r->first_error[0] != '\0')
		return;
	if (s == NULL && e != APP_OK)
		s = app_strerror(e);
	if (s == NULL && rep != NULL)
		s = msg_get_str(rep, "code");
	if (s == NULL)
		s = "no_code";
	snprintf(r->first_error, sizeof(r->first_error), "%s", s);
	for (p = r->first_error; *p != '\0'; p++)
		if (*p == ' ' || *p == '=')
			*p = '_';
}

/* Counts an error reply's code among those the abuse tests look for. */
static void
linkc_count_code(struct run *r, const char *code)
{
	if (code == NULL)
		return;
	if (strcmp(code, "rate_limited") == 0)
		r->rate_limited++;
	else if (strcmp(code, "name_taken") == 0)
		r->name_taken++;
	else if (strcmp(code, "busy") == 0)
		r->busy++;
}

static void *
linkc_thread(void *arg)
{
	struct run		*r = ((void **)arg)[0];
	struct client		*cl = ((void **)arg)[1];
	struct json_object	*req, *rep;
	struct lane		*ln = NULL;
	const char		*code;
	enum app_err		 e;
	int64_t			 t;
	long			 i;
	int			 ok;

	while ((i = linkc_take(r)) != -1) {
		linkc_pace(r, i);
		if (r->o->op == MSG_OP_BUY) {
			ln = linkc_lane_take(r);
			req = linkc_buy_request(r, ln, i);
		} else
			req = linkc_request(r->o, i);
		t = now_us();
		e = client_call(cl, req, r->o->timeout_ms, 0, &rep);
		r->lat_us[i] = now_us() - t;
		json_object_put(req);
		ok = 0;
		if (e == APP_OK)
			(void)msg_get_bool(rep, "ok", &ok);
		else
			rep = NULL;
		code = NULL;
		pthread_mutex_lock(&r->lock);
		if (ln != NULL)
			ok = linkc_lane_done(r, ln, rep, ok, &code);
		if (e == APP_OK && !ok && r->o->buy_race &&
		    linkc_lost_race(rep))
			r->lost++;
		else if (e == APP_ETIMEDOUT)
			r->timeouts++;
		else if (e != APP_OK || !ok)
			r->errors++;
		else
			r->ok++;
		if (e != APP_OK || !ok)
			linkc_error_code(r, e, rep, code);
		if (e == APP_OK && !ok)
			linkc_count_code(r, msg_get_str(rep, "code"));
		/* kdf_params: its answer, for t_140 to compare. */
		if (e == APP_OK && ok && r->o->op == MSG_OP_KDF_PARAMS)
			printf("kdf_params %s\n", json_object_to_json_string_ext(
			    rep, JSON_C_TO_STRING_PLAIN));
		pthread_mutex_unlock(&r->lock);
		if (rep != NULL)
			json_object_put(rep);
		ln = NULL;
	}
	free(arg);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: abc-linkc -w host:port --ca F --cert F "
	    "--key F [-c clients] [-t threads] [-n requests] [-r rate] "
	    "[--op echo|counter_add|broadcast|login|buy] [--size B] "
	    "[--prefix P] [--keys K] [--timeout-ms MS] [--watch-ms MS] "
	    "[--user U --password P [--unique] [--addr A]] "
	    "[--buy-file F [--buy-slots S] [--buy-race]]\n");
	exit(2);
}

/* Parses a non-negative decimal option value or exits. */
static long
linkc_num(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		usage();
	return v;
}

static void
linkc_opts(int argc, char *argv[], struct opts *o)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "op", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "keys", required_argument, NULL, 'k' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "watch-ms", required_argument, NULL, 'W' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'P' },
		{ "buy-file", required_argument, NULL, 'B' },
		{ "buy-slots", required_argument, NULL, 'S' },
		{ "addr", required_argument, NULL, 'a' },
		{ "unique", no_argument, NULL, 'U' },
		{ "buy-race", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->clients = 1;
	o->threads = 8;
	o->total = 1000;
	o->op = MSG_OP_ECHO;
	o->size = 100;
	o->prefix = "t";
	o->keys = 10;
	o->timeout_ms = 120000;
	o->addr = "bench";
	while ((ch = getopt_long(argc, argv, "w:c:t:n:r:", lo, NULL)) != -1) {
		switch (ch) {
		case 'w': o->worker = optarg; break;
		case 'A': o->ca = optarg; break;
		case 'C': o->cert = optarg; break;
		case 'K': o->key = optarg; break;
		case 'c': o->clients = (int)linkc_num(optarg); break;
		case 't': o->threads = (int)linkc_num(optarg); break;
		case 'n': o->total = linkc_num(optarg); break;
		case 'r': o->rate = linkc_num(optarg); break;
		case 's': o->size = (int)linkc_num(optarg); break;
		case 'p': o->prefix = optarg; break;
		case 'k': o->keys = (int)linkc_num(optarg); break;
		case 'T': o->timeout_ms = (int)linkc_num(optarg); break;
		case 'W': o->watch_ms = linkc_num(optarg); break;
		case 'u': o->user = optarg; break;
		case 'P': o->password = optarg; break;
		case 'B': o->buy_file = optarg; break;
		case 'S': o->buy_slots = linkc_num(optarg); break;
		case 'a': o->addr = optarg; break;
		case 'U': o->unique = 1; break;
		case 'R': o->buy_race = 1; break;
		case 'o':
			if (msg_op_parse(optarg, &o->op) != 0)
				usage();
			break;
		default: usage();
		}
	}
	if (o->worker == NULL || o->ca == NULL || o->cert == NULL ||
	    o->key == NULL || o->clients < 1 || o->threads < 1 ||
	    o->total < 1 || o->size < 0 || o->size > 512 * 1024 ||
	    o->keys < 1 || o->timeout_ms < 1 ||
	    ((o->op == MSG_OP_LOGIN || o->op == MSG_OP_REGISTER) &&
	    (o->user == NULL || o->password == NULL)) ||
	    ((o->op == MSG_OP_BUY) != (o->buy_file != NULL)))
		usage();
}

/* --op buy: reads the lanes of o->buy_file into r; exits when bad. */
static void
linkc_lanes(const struct opts *o, struct run *r)
{
	FILE		*f;
	char		 line[256], tok[80];
	long long	 camp, ad;
	size_t		 cap = 0;
	int		 n, lineno = 0;

	if ((f = fopen(o->buy_file, "r")) == NULL) {
		fprintf(stderr, "abc-linkc: %s: %s\n", o->buy_file,
		    strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#')
			continue;
		if (sscanf(line, "%79s %lld %lld %n", tok, &camp, &ad, &n) != 3 ||
		    line[n] != '\0' || strlen(tok) != 64 ||
		    strspn(tok, "0123456789abcdefABCDEF") != 64 || camp < 1 ||
		    ad < 1) {
			fprintf(stderr, "abc-linkc: %s:%d: expected \"TOKEN "
			    "CAMPAIGN AD\" (64 hex digits, two ids)\n",
			    o->buy_file, lineno);
			exit(1);
		}
		if (r->nlanes == cap) {
			cap = cap ? cap * 2 : 64;
			r->lanes = xreallocarray(r->lanes, cap,
			    sizeof(*r->lanes));
		}
		memset(&r->lanes[r->nlanes], 0, sizeof(*r->lanes));
		memcpy(r->lanes[r->nlanes].token, tok, 65);
		r->lanes[r->nlanes].campaign = camp;
		r->lanes[r->nlanes].ad = ad;
		r->nlanes++;
	}
	fclose(f);
	if (r->nlanes == 0 || (o->buy_slots > 0 &&
	    o->total > (long)r->nlanes * o->buy_slots)) {
		fprintf(stderr, "abc-linkc: %s: %zu lanes x --buy-slots %ld "
		    "cannot take %ld purchases\n", o->buy_file, r->nlanes,
		    o->buy_slots, o->total);
		exit(1);
	}
	r->nonce = (uint64_t)now_us() ^ ((uint64_t)getpid() << 40) ^
	    (uint64_t)time(NULL) << 20;
}

/* Starts the clients; exits on a bad certificate or address. */
static struct client **
linkc_clients(const struct opts *o, struct tls_ctx **tls)
{
	struct client_cfg	 cfg;
	struct client		**cl;
	char			 err[256];
	int			 i;

	*tls = tls_ctx_new(TLS_CLIENT, o->ca, o->cert, o->key, err,
	    sizeof(err));
	if (*tls == NULL) {
		fprintf(stderr, "abc-linkc: %s\n", err);
		exit(1);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.worker = o->worker;
	cfg.tls = *tls;
	if (link_fault_from_env(&cfg.fault, getenv("ABC_FAULT_DROP_PCT"),
	    getenv("ABC_FAULT_DELAY_MS"), getenv("ABC_FAULT_CUT_MS"),
	    (uint64_t)getpid()) != 0) {
		fprintf(stderr, "abc-linkc: bad ABC_FAULT_* setting\n");
		exit(1);
	}
	cl = xcalloc((size_t)o->clients, sizeof(*cl));
	for (i = 0; i < o->clients; i++) {
		cfg.fault.rng += 0x9e3779b97f4a7c15ULL;
		if ((cl[i] = client_start(&cfg)) == NULL)
			exit(1);
	}
	return cl;
}

/* Prints the summary line; returns the exit status. */
static int
linkc_report(struct run *r, int64_t elapsed_us)
{
	struct client_stats	 st;
	uint64_t		 orphans = 0, connects = 0, reval = 0;
	const struct opts	*o = r->o;
	int			 i;

	for (i = 0; i < o->clients; i++) {
		client_stats(r->cl[i], &st);
		orphans += st.orphans;
		connects += st.connects;
		reval += st.revalidations;
	}
	qsort(r->lat_us, (size_t)o->total, sizeof(int64_t), cmp_i64);
	printf("linkc op=%s sent=%ld replies_ok=%ld errors=%ld timeouts=%ld "
	    "orphans=%" PRIu64 " connects=%" PRIu64 " revalidations=%" PRIu64
	    " elapsed_ms=%lld rps=%.0f p50_us=%lld p99_us=%lld max_us=%lld",
	    msg_op_name(o->op), o->total, r->ok, r->errors, r->timeouts,
	    orphans, connects, reval, (long long)(elapsed_us / 1000),
	    (double)o->total * 1e6 / (double)(elapsed_us ? elapsed_us : 1),
	    (long long)r->lat_us[o->total / 2],
	    (long long)r->lat_us[o->total * 99 / 100],
	    (long long)r->lat_us[o->total - 1]);
	if (o->op == MSG_OP_BUY)
		printf(" lanes=%zu lost=%ld first_error=%s max_paid_sat=%"
		    PRId64, r->nlanes, r->lost, r->first_error[0] != '\0' ?
		    r->first_error : "none", r->max_paid);
	else
		printf(" first_error=%s rate_limited=%ld name_taken=%ld "
		    "busy=%ld", r->first_error[0] != '\0' ? r->first_error :
		    "none", r->rate_limited, r->name_taken, r->busy);
	printf("\n");
	return r->ok + r->lost == o->total && orphans == 0 ? 0 : 1;
}

/* Prints every notice as it arrives (link thread). */
static void
linkc_print_notice(void *arg, const char *kind, int64_t seq,
    struct json_object *notice)
{
	(void)arg;
	(void)notice;
	printf("notice kind=%s seq=%lld t_ms=%lld\n", kind, (long long)seq,
	    (long long)clock_mono_ms());
	fflush(stdout);
}

/* --watch-ms: one client that only listens, then reports. */
static int
linkc_watch(const struct opts *o)
{
	struct client_stats	 st;
	struct client		**cl;
	struct tls_ctx		*tls;

	cl = linkc_clients(o, &tls);
	(void)client_subscribe(cl[0], linkc_print_notice, NULL);
	usleep((useconds_t)o->watch_ms * 1000);
	client_stats(cl[0], &st);
	printf("watch connects=%llu revalidations=%llu up=%d\n",
	    (unsigned long long)st.connects,
	    (unsigned long long)st.revalidations, st.up);
	client_stop(cl[0]);
	free(cl);
	tls_ctx_free(tls);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	struct run	 r;
	struct tls_ctx	*tls;
	pthread_t	*tids;
	void		**arg;
	int		 i, n, rc;
	int64_t		 t1;

	linkc_opts(argc, argv, &o);
	log_init("abc-linkc", getenv("ABC_LOG_DEBUG") ? LOG_LVL_DEBUG :
	    LOG_LVL_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (o.watch_ms > 0)
		return linkc_watch(&o);
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.lat_us = xcalloc((size_t)o.total, sizeof(int64_t));
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.lane_free, NULL);
	if (o.op == MSG_OP_BUY)
		linkc_lanes(&o, &r);
	r.cl = linkc_clients(&o, &tls);
	n = o.clients * o.threads;
	tids = xcalloc((size_t)n, sizeof(*tids));
	r.t0_us = now_us();
	for (i = 0; i < n; i++) {
		arg = xcalloc(2, sizeof(void *));
		arg[0] = &r;
		arg[1] = r.cl[i % o.clients];
		if (pthread_create(&tids[i], NULL, linkc_thread, arg) != 0)
			exit(1);
	}
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	t1 = now_us();
	/* Let late duplicates, if any, arrive and be counted as orphans. */
	usleep(300 * 1000);
	rc = linkc_report(&r, t1 - r.t0_us);
	for (i = 0; i < o.clients; i++)
		client_stop(r.cl[i]);
	free(r.cl);
	free(tids);
	free(r.lat_us);
	free(r.lanes);
	tls_ctx_free(tls);
	return rc;
}
