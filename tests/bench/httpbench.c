/*
 * httpbench: the HTTP load drivers of tests/bench/run.sh (rows d3, s, e),
 * built by run.sh with libcurl, libpq and pthreads.
 *
 *   httpbench buy --url URL --lanes FILE -t THREADS -n N [--slots S]
 *	Row d3: N purchases end to end, POST /c/<id>/buy as a browser sends
 *	it.  FILE has one lane a line, "TOKEN CAMPAIGN AD" (a buyer's session
 *	token, someone else's campaign, the buyer's ad for it).  Thread t
 *	owns lanes t, t+T, t+2T, ... so no two threads buy on one campaign.
 *	Before the clock starts, each lane loads its confirm page once
 *	(GET /c/<id>/buy?ad=<ad> with the session cookie) and keeps the csrf
 *	field, the slot, and every cookie the page sets (the double-submit
 *	CSRF cookie today; nothing when the token is bound to the session).
 *	Each POST then carries that csrf, a fresh 32-hex idem, the lane's
 *	next slot, the ad and max_price 21000000 BTC (the price doubles with
 *	each quick purchase; the worker decides the price).  A 303 to
 *	/c/<id>?bought=<slot> is ok; anything else is an error, and a page
 *	that offers another slot moves the lane there.  A lane takes at most
 *	S purchases.  Prints one summary line (abc-linkc's fields).
 *
 *   httpbench get (--url URL | --unix SOCK) --path FMT --from A --to B
 *	[-t THREADS]: GET FMT % id for every id in [A, B] (row e: fills an
 *	abc-web's cache).  Prints the number of 200 answers.
 *
 *   httpbench stale --url URL --web SOCK [--web SOCK...] --lanes FILE
 *	--pg CONNINFO -n SAMPLES: row s.  Buys 20 slots on each lane in
 *	turn (the price doubles with each), one purchase at a time, while one thread per abc-web (through its
 *	nginx Unix socket, anonymous) and one through the edge (--url,
 *	anonymous, so the microcache answers) poll GET /api/c/<id>.json
 *	back to back.  The COMMIT's time is when LISTEN abc_account hears
 *	the purchase (PostgreSQL delivers a NOTIFY at COMMIT; the ledger
 *	triggers of sql/008 notify every balance change).  For each sample it
 *	records, per poller, the first answer with the new slots_sold minus
 *	the COMMIT time, then waits a random 0-100 ms.  Prints p50/p99/max
 *	of the slowest abc-web ("caches") and of the edge.
 *
 * Memory: every buffer is owned by the function or thread that made it
 * and freed before it returns; lanes live until exit.  Errors go to
 * stderr once, where they are handled; the exit status is non-zero
 * unless every request was answered as expected.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#define HB_MAX_WEBS	8
#define HB_MAX_BODY	(8 * 1024 * 1024)
#define HB_STALE_WAIT_US	3000000	/* a sample gives up after 3 s */
/* A poller's pause between two polls.  Without one, three pollers asking
 * as fast as they can took both CPUs from the worker and PostgreSQL whose
 * delay they measure; the pause adds at most this much to a sample. */
#define HB_STALE_POLL_US	500
#define HB_BIG_MAX	"21000000"	/* max_price: any price is fine */

struct opts {
	const char	*mode, *url, *unix_sock, *lanes, *path, *pg;
	const char	*webs[HB_MAX_WEBS];
	int		 nwebs, threads;
	long		 total, slots, from, to;
};

struct lane {
	char		 token[65];
	long long	 cid, ad, next;
	long		 used;
	char		 csrf[160];
	char		 cookies[1024];	/* "a=b; c=d" for the Cookie header */
};

/* One HTTP exchange's answer. */
struct resp {
	long		 status;
	char		*body;
	size_t		 len, cap;
	char		 location[512];
	char		 set_cookie[8][256];
	int		 ncookies;
};

static int64_t
mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wall-clock time, to compare with the NOTIFY listener's. */
static int64_t
real_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
xalloc(size_t n)
{
	void	*p = calloc(1, n);

	if (p == NULL) {
		fprintf(stderr, "httpbench: out of memory\n");
		exit(1);
	}
	return p;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: httpbench buy --url URL --lanes FILE -t T "
	    "-n N [--slots S]\n"
	    "       httpbench get (--url URL | --unix SOCK) --path FMT "
	    "--from A --to B [-t T]\n"
	    "       httpbench stale --url URL --web SOCK... --lanes FILE "
	    "--pg CONNINFO -n SAMPLES\n");
	exit(2);
}

static size_t
resp_body(char *p, size_t size, size_t n, void *arg)
{
	struct resp	*r = arg;
	size_t		 len = size * n;

	if (r->len + len + 1 > HB_MAX_BODY)
		return 0;
	if (r->len + len + 1 > r->cap) {
		r->cap = (r->len + len + 1) * 2;
		if ((r->body = realloc(r->body, r->cap)) == NULL)
			return 0;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* Copies header value (after "Name:") without CR/LF into out. */
static void
header_value(const char *p, size_t len, size_t skip, char *out, size_t cap)
{
	size_t	 n;

	p += skip;
	len -= skip;
	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	n = len < cap - 1 ? len : cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static size_t
resp_header(char *p, size_t size, size_t n, void *arg)
{
	struct resp	*r = arg;
	size_t		 len = size * n;

	if (len > 9 && strncasecmp(p, "Location:", 9) == 0)
		header_value(p, len, 9, r->location, sizeof(r->location));
	else if (len > 11 && strncasecmp(p, "Set-Cookie:", 11) == 0 &&
	    r->ncookies < 8)
		header_value(p, len, 11, r->set_cookie[r->ncookies++],
		    sizeof(r->set_cookie[0]));
	return len;
}

static void
resp_reset(struct resp *r)
{
	r->status = 0;
	r->len = 0;
	if (r->body != NULL)
		r->body[0] = '\0';
	r->location[0] = '\0';
	r->ncookies = 0;
}

/* A handle for base (an URL) or, with sock, nginx's Unix socket. */
static CURL *
handle_new(const char *sock, struct resp *r)
{
	CURL	*h = curl_easy_init();

	if (h == NULL) {
		fprintf(stderr, "httpbench: curl_easy_init failed\n");
		exit(1);
	}
	if (sock != NULL)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, resp_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, resp_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	return h;
}

/* One request; body NULL: GET.  0, or -1 on a transport error. */
static int
http_do(CURL *h, struct resp *r, const char *url, const char *cookie,
    const char *body)
{
	CURLcode	 rc;

	resp_reset(r);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_COOKIE, cookie);
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if ((rc = curl_easy_perform(h)) != CURLE_OK) {
		fprintf(stderr, "httpbench: %s: %s\n", url,
		    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

/* The value of the first <input name="NAME" value="..."> in body. */
static int
form_field(const char *body, const char *name, char *out, size_t cap)
{
	char		 pat[80];
	const char	*p, *e;

	if (body == NULL)
		return -1;
	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	if ((p = strstr(body, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* Merges the cookies a response set into the lane's Cookie header. */
static void
lane_keep_cookies(struct lane *l, const struct resp *r)
{
	char	 pair[256], out[1024], *semi, *start, *save;
	size_t	 nlen;
	int	 i;

	for (i = 0; i < r->ncookies; i++) {
		snprintf(pair, sizeof(pair), "%s", r->set_cookie[i]);
		if ((semi = strchr(pair, ';')) != NULL)
			*semi = '\0';
		if (strchr(pair, '=') == NULL)
			continue;
		nlen = (size_t)(strchr(pair, '=') - pair) + 1;
		/* Drop an older value of the same cookie, keep the rest. */
		out[0] = '\0';
		for (start = strtok_r(l->cookies, ";", &save); start != NULL;
		    start = strtok_r(NULL, ";", &save)) {
			while (*start == ' ')
				start++;
			if (strncmp(start, pair, nlen) == 0)
				continue;
			if (out[0] != '\0')
				strncat(out, "; ", sizeof(out) - strlen(out) - 1);
			strncat(out, start, sizeof(out) - strlen(out) - 1);
		}
		if (out[0] != '\0')
			strncat(out, "; ", sizeof(out) - strlen(out) - 1);
		strncat(out, pair, sizeof(out) - strlen(out) - 1);
		snprintf(l->cookies, sizeof(l->cookies), "%s", out);
	}
}

/* Loads the lane's confirm page: csrf, slot and cookies.  0 or -1. */
static int
lane_prepare(CURL *h, struct resp *r, const char *base, struct lane *l)
{
	char	 url[512], slot[32];

	snprintf(l->cookies, sizeof(l->cookies), "abc_session=%s", l->token);
	snprintf(url, sizeof(url), "%s/c/%lld/buy?ad=%lld", base, l->cid,
	    l->ad);
	if (http_do(h, r, url, l->cookies, NULL) != 0)
		return -1;
	lane_keep_cookies(l, r);
	if (r->status != 200 || form_field(r->body, "csrf", l->csrf,
	    sizeof(l->csrf)) != 0 || form_field(r->body, "slot", slot,
	    sizeof(slot)) != 0) {
		fprintf(stderr, "httpbench: %s: status %ld, no confirm form\n",
		    url, r->status);
		return -1;
	}
	l->next = strtoll(slot, NULL, 10);
	return 0;
}

static void
new_idem(char out[33])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 b[16];
	int			 i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		fprintf(stderr, "httpbench: getrandom: %s\n", strerror(errno));
		exit(1);
	}
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
}

/*
 * Buys the lane's next slot.  0 when sold (a 303 to ?bought=<slot>);
 * otherwise -1 with code set ("http_409", "transport", "wrong_idx") and
 * the lane moved to the slot a refusal page offers.
 */
static int
lane_buy(CURL *h, struct resp *r, const char *base, struct lane *l,
    char *code, size_t cap)
{
	char		 url[512], body[512], idem[33], want[64], slot[32];
	const char	*q;

	new_idem(idem);
	snprintf(url, sizeof(url), "%s/c/%lld/buy", base, l->cid);
	snprintf(body, sizeof(body), "csrf=%s&idem=%s&slot=%lld&ad=%lld"
	    "&max_price=%s", l->csrf, idem, l->next, l->ad, HB_BIG_MAX);
	l->used++;
	if (http_do(h, r, url, l->cookies, body) != 0) {
		snprintf(code, cap, "transport");
		return -1;
	}
	lane_keep_cookies(l, r);
	snprintf(want, sizeof(want), "bought=%lld", l->next);
	if (r->status == 303 && (q = strstr(r->location, "bought=")) != NULL) {
		if (strcmp(q, want) == 0) {
			l->next++;
			return 0;
		}
		l->next = strtoll(q + 7, NULL, 10) + 1;
		snprintf(code, cap, "wrong_idx");
		return -1;
	}
	snprintf(code, cap, "http_%ld", r->status);
	if (form_field(r->body, "slot", slot, sizeof(slot)) == 0)
		l->next = strtoll(slot, NULL, 10);
	return -1;
}

/* Reads "TOKEN CAMPAIGN AD" lines; exits when the file is bad. */
static struct lane *
lanes_read(const char *path, size_t *n)
{
	FILE		*f = fopen(path, "r");
	struct lane	*out = NULL;
	char		 line[256], tok[80];
	long long	 cid, ad;
	size_t		 cap = 0;

	*n = 0;
	if (f == NULL) {
		fprintf(stderr, "httpbench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%79s %lld %lld", tok, &cid, &ad) != 3 ||
		    strlen(tok) != 64) {
			fprintf(stderr, "httpbench: %s: bad lane: %s", path,
			    line);
			exit(1);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((out = realloc(out, cap * sizeof(*out))) == NULL)
				exit(1);
		}
		memset(&out[*n], 0, sizeof(*out));
		memcpy(out[*n].token, tok, 65);
		out[*n].cid = cid;
		out[*n].ad = ad;
		(*n)++;
	}
	fclose(f);
	if (*n == 0) {
		fprintf(stderr, "httpbench: %s: no lanes\n", path);
		exit(1);
	}
	return out;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- buy ------------------------------------------------------------ */

struct buyrun {
	const struct opts *o;
	struct lane	*lanes;
	size_t		 nlanes;
	atomic_long	 next, ok, errors;
	int64_t		*lat_us;
	pthread_barrier_t ready;
	atomic_int	 prep_failed;
	pthread_mutex_t	 lock;
	char		 first_error[64];
};

struct buyer {
	struct buyrun	*run;
	int		 t;
};

/* The thread's next lane with purchases left (round robin), or NULL. */
static struct lane *
buy_pick(struct buyrun *b, int t, size_t *cursor)
{
	size_t	 tries, i;

	for (tries = 0; tries < b->nlanes; tries++) {
		i = (size_t)t + *cursor * (size_t)b->o->threads;
		if (i >= b->nlanes) {
			*cursor = 0;
			i = (size_t)t;
		}
		(*cursor)++;
		if (i < b->nlanes && (b->o->slots == 0 ||
		    b->lanes[i].used < b->o->slots))
			return &b->lanes[i];
	}
	return NULL;
}

static void
buy_error(struct buyrun *b, const char *code)
{
	atomic_fetch_add(&b->errors, 1);
	pthread_mutex_lock(&b->lock);
	if (b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof(b->first_error), "%s", code);
	pthread_mutex_unlock(&b->lock);
}

static void *
buy_thread(void *arg)
{
	struct buyer	*me = arg;
	struct buyrun	*b = me->run;
	struct resp	 r;
	struct lane	*l;
	CURL		*h;
	char		 code[64];
	size_t		 i, cursor = 0;
	long		 k;
	int64_t		 t0;

	memset(&r, 0, sizeof(r));
	h = handle_new(NULL, &r);
	for (i = (size_t)me->t; i < b->nlanes; i += (size_t)b->o->threads)
		if (lane_prepare(h, &r, b->o->url, &b->lanes[i]) != 0)
			b->prep_failed = 1;
	pthread_barrier_wait(&b->ready);
	pthread_barrier_wait(&b->ready);	/* the clock started */
	while (!b->prep_failed &&
	    (k = atomic_fetch_add(&b->next, 1)) < b->o->total) {
		if ((l = buy_pick(b, me->t, &cursor)) == NULL) {
			buy_error(b, "no_lane_left");
			b->lat_us[k] = 0;
			continue;
		}
		t0 = mono_us();
		if (lane_buy(h, &r, b->o->url, l, code, sizeof(code)) == 0)
			atomic_fetch_add(&b->ok, 1);
		else
			buy_error(b, code);
		b->lat_us[k] = mono_us() - t0;
	}
	curl_easy_cleanup(h);
	free(r.body);
	return NULL;
}

static int
mode_buy(const struct opts *o)
{
	struct buyrun	 b;
	struct buyer	*me;
	pthread_t	*th;
	int64_t		 t0, el;
	int		 i;

	memset(&b, 0, sizeof(b));
	b.o = o;
	b.lanes = lanes_read(o->lanes, &b.nlanes);
	if ((size_t)o->threads > b.nlanes || (o->slots > 0 &&
	    (long)b.nlanes * o->slots < o->total)) {
		fprintf(stderr, "httpbench: %zu lanes are too few for %d "
		    "threads and %ld purchases\n", b.nlanes, o->threads,
		    o->total);
		return 2;
	}
	b.lat_us = xalloc((size_t)o->total * sizeof(int64_t));
	pthread_mutex_init(&b.lock, NULL);
	pthread_barrier_init(&b.ready, NULL, (unsigned)o->threads + 1);
	th = xalloc((size_t)o->threads * sizeof(*th));
	me = xalloc((size_t)o->threads * sizeof(*me));
	for (i = 0; i < o->threads; i++) {
		me[i].run = &b;
		me[i].t = i;
		if (pthread_create(&th[i], NULL, buy_thread, &me[i]) != 0) {
			fprintf(stderr, "httpbench: pthread_create failed\n");
			return 1;
		}
	}
	pthread_barrier_wait(&b.ready);
	t0 = mono_us();
	pthread_barrier_wait(&b.ready);
	for (i = 0; i < o->threads; i++)
		pthread_join(th[i], NULL);
	el = mono_us() - t0;
	if (b.prep_failed) {
		fprintf(stderr, "httpbench: some confirm pages failed\n");
		return 1;
	}
	qsort(b.lat_us, (size_t)o->total, sizeof(int64_t), cmp_i64);
	printf("httpbench op=buy sent=%ld replies_ok=%ld errors=%ld "
	    "elapsed_ms=%lld rps=%.0f p50_us=%lld p99_us=%lld max_us=%lld "
	    "lanes=%zu first_error=%s\n", o->total, (long)b.ok,
	    (long)b.errors, (long long)(el / 1000),
	    (double)o->total * 1e6 / (double)(el ? el : 1),
	    (long long)b.lat_us[o->total / 2],
	    (long long)b.lat_us[o->total * 99 / 100],
	    (long long)b.lat_us[o->total - 1], b.nlanes,
	    b.first_error[0] ? b.first_error : "none");
	return b.ok == o->total ? 0 : 1;
}

/* ---- get ------------------------------------------------------------ */

struct getrun {
	const struct opts *o;
	atomic_long	 next, ok, bad;
};

static void *
get_thread(void *arg)
{
	struct getrun	*g = arg;
	struct resp	 r;
	CURL		*h;
	char		 path[256], url[512];
	long		 id;

	memset(&r, 0, sizeof(r));
	h = handle_new(g->o->unix_sock, &r);
	while ((id = atomic_fetch_add(&g->next, 1)) <= g->o->to) {
		snprintf(path, sizeof(path), g->o->path, id);
		snprintf(url, sizeof(url), "%s%s", g->o->url, path);
		if (http_do(h, &r, url, NULL, NULL) == 0 && r.status == 200)
			atomic_fetch_add(&g->ok, 1);
		else
			atomic_fetch_add(&g->bad, 1);
	}
	curl_easy_cleanup(h);
	free(r.body);
	return NULL;
}

static int
mode_get(const struct opts *o)
{
	struct getrun	 g;
	pthread_t	*th;
	int64_t		 t0;
	int		 i;

	if (o->path == NULL || strstr(o->path, "%ld") == NULL ||
	    o->to < o->from)
		usage();
	memset(&g, 0, sizeof(g));
	g.o = o;
	atomic_store(&g.next, o->from);
	th = xalloc((size_t)o->threads * sizeof(*th));
	t0 = mono_us();
	for (i = 0; i < o->threads; i++)
		if (pthread_create(&th[i], NULL, get_thread, &g) != 0)
			return 1;
	for (i = 0; i < o->threads; i++)
		pthread_join(th[i], NULL);
	printf("httpbench op=get sent=%ld ok=%ld bad=%ld elapsed_ms=%lld\n",
	    o->to - o->from + 1, (long)g.ok, (long)g.bad,
	    (long long)((mono_us() - t0) / 1000));
	free(th);
	return g.bad == 0 ? 0 : 1;
}

/* ---- stale ---------------------------------------------------------- */

#define HB_NOTES	4096
#define HB_STALE_PER_LANE	20	/* purchases per campaign (price x2 each) */

struct poller {
	struct stalerun	*run;
	const char	*sock;	/* NULL: the edge, --url */
	_Atomic int64_t	 seen_us;	/* first answer with the target */
	long		 polls;
};

struct stalerun {
	const struct opts *o;
	atomic_llong	 cid;		/* the campaign of this sample */
	atomic_long	 target;	/* slots_sold to wait for, 0: idle */
	atomic_int	 stop;
	struct poller	 p[HB_MAX_WEBS + 1];
	int		 np;
	PGconn		*pg;
	pthread_mutex_t	 lock;
	int64_t		 note_us[HB_NOTES];	/* NOTIFY arrival times */
	size_t		 nnotes;
};

/* slots_sold of a JSON answer, or -1. */
static long
json_sold(const char *body)
{
	const char	*p;

	if (body == NULL || (p = strstr(body, "\"slots_sold\":")) == NULL)
		return -1;
	return strtol(p + 13, NULL, 10);
}

static void *
poll_thread(void *arg)
{
	struct poller	*p = arg;
	struct stalerun	*s = p->run;
	struct resp	 r;
	CURL		*h;
	char		 url[512];
	long		 target;
	int64_t		 t;

	memset(&r, 0, sizeof(r));
	h = handle_new(p->sock, &r);
	while (!atomic_load(&s->stop)) {
		if ((target = atomic_load(&s->target)) == 0 ||
		    p->seen_us != 0) {
			usleep(200);
			continue;
		}
		snprintf(url, sizeof(url), "%s/api/c/%lld.json",
		    p->sock != NULL ? "http://localhost" : s->o->url,
		    (long long)atomic_load(&s->cid));
		if (http_do(h, &r, url, NULL, NULL) != 0)
			continue;
		t = real_us();
		p->polls++;
		if (r.status == 200 && json_sold(r.body) >= target &&
		    atomic_load(&s->target) == target)
			p->seen_us = t;
		else
			usleep(HB_STALE_POLL_US);
	}
	curl_easy_cleanup(h);
	free(r.body);
	return NULL;
}

/* The listener: the arrival time of every NOTIFY abc_account <user>. */
static void *
listen_thread(void *arg)
{
	struct stalerun	*s = arg;
	PGnotify	*n;
	fd_set		 rd;
	struct timeval	 tv;
	int		 fd = PQsocket(s->pg);

	while (!atomic_load(&s->stop)) {
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		tv.tv_sec = 0;
		tv.tv_usec = 50000;
		if (select(fd + 1, &rd, NULL, NULL, &tv) < 0 && errno != EINTR)
			break;
		if (PQconsumeInput(s->pg) == 0) {
			fprintf(stderr, "httpbench: LISTEN: %s",
			    PQerrorMessage(s->pg));
			break;
		}
		while ((n = PQnotifies(s->pg)) != NULL) {
			int64_t	 t = real_us();

			pthread_mutex_lock(&s->lock);
			if (strcmp(n->extra, "*") != 0 && s->nnotes < HB_NOTES)
				s->note_us[s->nnotes++] = t;
			pthread_mutex_unlock(&s->lock);
			PQfreemem(n);
		}
	}
	return NULL;
}

/* The first NOTIFY heard at or after t (the purchase's COMMIT), or 0. */
static int64_t
stale_commit(struct stalerun *s, int64_t t)
{
	int64_t	 found = 0;
	size_t	 i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nnotes; i++)
		if (s->note_us[i] >= t) {
			found = s->note_us[i];
			break;
		}
	s->nnotes = 0;
	pthread_mutex_unlock(&s->lock);
	return found;
}

static PGconn *
stale_listen(const char *conninfo)
{
	PGconn		*pg = PQconnectdb(conninfo);
	PGresult	*res;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "httpbench: %s", PQerrorMessage(pg));
		exit(1);
	}
	res = PQexec(pg, "LISTEN abc_account");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "httpbench: LISTEN: %s", PQerrorMessage(pg));
		exit(1);
	}
	PQclear(res);
	return pg;
}

/* Prints "NAME p50_ms=.. p99_ms=.. max_ms=.. n=..". */
static void
stale_print(const char *name, int64_t *v, long n)
{
	qsort(v, (size_t)n, sizeof(int64_t), cmp_i64);
	printf(" %s_p50_ms=%.1f %s_p99_ms=%.1f %s_max_ms=%.1f", name,
	    n ? (double)v[n / 2] / 1000 : -1.0, name,
	    n ? (double)v[n * 99 / 100] / 1000 : -1.0, name,
	    n ? (double)v[n - 1] / 1000 : -1.0);
}

/* Runs one sample: 0 with the two delays, -1 when it failed. */
static int
stale_sample(struct stalerun *s, CURL *h, struct resp *r, struct lane *l,
    int64_t *caches, int64_t *edge)
{
	char	 code[64];
	int64_t	 t_send, commit, deadline;
	int	 i, done;

	for (i = 0; i < s->np; i++)
		s->p[i].seen_us = 0;
	atomic_store(&s->cid, l->cid);
	atomic_store(&s->target, l->next + 1);
	t_send = real_us();
	if (lane_buy(h, r, s->o->url, l, code, sizeof(code)) != 0) {
		fprintf(stderr, "httpbench: stale purchase failed: %s\n", code);
		atomic_store(&s->target, 0);
		return -1;
	}
	deadline = mono_us() + HB_STALE_WAIT_US;
	do {
		usleep(1000);
		for (i = 0, done = 1; i < s->np; i++)
			done &= s->p[i].seen_us != 0;
	} while (!done && mono_us() < deadline);
	atomic_store(&s->target, 0);
	usleep(20000);	/* the listener's last select */
	if ((commit = stale_commit(s, t_send)) == 0 || !done) {
		fprintf(stderr, "httpbench: stale sample: %s\n", commit == 0 ?
		    "no NOTIFY" : "a poller never saw the purchase");
		return -1;
	}
	*caches = *edge = 0;
	for (i = 0; i < s->np; i++) {
		int64_t d = s->p[i].seen_us - commit;

		if (s->p[i].sock == NULL)
			*edge = d;
		else if (d > *caches)
			*caches = d;
	}
	return 0;
}

static int
mode_stale(const struct opts *o)
{
	struct stalerun	*s = xalloc(sizeof(*s));
	struct lane	*lanes, *l;
	struct resp	 r;
	pthread_t	 th[HB_MAX_WEBS + 2];
	int64_t		*caches, *edge;
	size_t		 nl;
	long		 i, n = 0, failed = 0, polls = 0;
	CURL		*h;
	int		 k;

	if (o->nwebs == 0 || o->pg == NULL || o->lanes == NULL)
		usage();
	lanes = lanes_read(o->lanes, &nl);
	if ((long)nl * HB_STALE_PER_LANE < o->total) {
		fprintf(stderr, "httpbench: stale: %zu lanes are too few\n", nl);
		return 2;
	}
	s->o = o;
	pthread_mutex_init(&s->lock, NULL);
	s->pg = stale_listen(o->pg);
	memset(&r, 0, sizeof(r));
	h = handle_new(NULL, &r);
	for (k = 0; k < o->nwebs; k++)
		s->p[k].sock = o->webs[k];
	s->np = o->nwebs + 1;	/* the last: the edge */
	for (k = 0; k < s->np; k++) {
		s->p[k].run = s;
		pthread_create(&th[k], NULL, poll_thread, &s->p[k]);
	}
	pthread_create(&th[s->np], NULL, listen_thread, s);
	caches = xalloc((size_t)o->total * sizeof(int64_t));
	edge = xalloc((size_t)o->total * sizeof(int64_t));
	for (i = 0; i < o->total; i++) {
		l = &lanes[i / HB_STALE_PER_LANE];
		if ((l->csrf[0] == '\0' && lane_prepare(h, &r, o->url, l) != 0) ||
		    stale_sample(s, h, &r, l, &caches[n], &edge[n]) != 0)
			failed++;
		else
			n++;
		usleep((useconds_t)(rand() % 100000));
	}
	atomic_store(&s->stop, 1);
	for (k = 0; k <= s->np; k++)
		pthread_join(th[k], NULL);
	for (k = 0; k < s->np; k++)
		polls += s->p[k].polls;
	printf("httpbench op=stale samples=%ld failed=%ld polls=%ld", n,
	    failed, polls);
	stale_print("caches", caches, n);
	stale_print("edge", edge, n);
	printf("\n");
	PQfinish(s->pg);
	curl_easy_cleanup(h);
	free(r.body);
	return failed == 0 ? 0 : 1;
}

/* ---- main ----------------------------------------------------------- */

static long
num(const char *s)
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
parse_opts(int argc, char *argv[], struct opts *o)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "unix", required_argument, NULL, 'U' },
		{ "lanes", required_argument, NULL, 'l' },
		{ "slots", required_argument, NULL, 'S' },
		{ "path", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'T' },
		{ "web", required_argument, NULL, 'w' },
		{ "pg", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->threads = 8;
	o->total = 100;
	if (argc < 2)
		usage();
	o->mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "t:n:", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o->url = optarg; break;
		case 'U': o->unix_sock = optarg; break;
		case 'l': o->lanes = optarg; break;
		case 'S': o->slots = num(optarg); break;
		case 'p': o->path = optarg; break;
		case 'f': o->from = num(optarg); break;
		case 'T': o->to = num(optarg); break;
		case 'g': o->pg = optarg; break;
		case 't': o->threads = (int)num(optarg); break;
		case 'n': o->total = num(optarg); break;
		case 'w':
			if (o->nwebs == HB_MAX_WEBS)
				usage();
			o->webs[o->nwebs++] = optarg;
			break;
		default: usage();
		}
	}
	if (o->unix_sock != NULL && o->url == NULL)
		o->url = "http://localhost";
	if (o->url == NULL || o->threads < 1 || o->total < 1)
		usage();
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	int		 rc;

	parse_opts(argc, argv, &o);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srand((unsigned)real_us());
	if (strcmp(o.mode, "buy") == 0 && o.lanes != NULL)
		rc = mode_buy(&o);
	else if (strcmp(o.mode, "get") == 0)
		rc = mode_get(&o);
	else if (strcmp(o.mode, "stale") == 0)
		rc = mode_stale(&o);
	else
		usage();
	curl_global_cleanup();
	return rc;
}
