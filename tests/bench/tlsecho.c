/*
 * tlsecho: the plain TLS echo baseline for the link benchmarks
 * (tests/bench/run.sh).  Same TLS wrapper as the link (common/tls.c: TLS
 * 1.3, mutual authentication against the deployment's CA), same
 * certificates, but no link protocol: no ids, acks, resend log, JSON or
 * request dispatch.  Whatever abc-linkc measures beyond this is the cost of
 * the link and of abc-worker's event loop.
 *
 *   tlsecho server --listen 127.0.0.1:PORT --ca F --cert F --key F
 *	One thread, level-triggered epoll, non-blocking sockets.  Each
 *	message is a big-endian u32 length followed by that many bytes; the
 *	server sends every complete message back unchanged.
 *
 *   tlsecho client -w HOST:PORT --ca F --cert F --key F [-t THREADS]
 *	[-n REQUESTS] [-r RATE_PER_S] [--size BYTES] [--timeout-ms MS]
 *	One TLS connection per thread; each thread sends one message of
 *	--size payload bytes (plus the 4-byte prefix) and waits for its echo
 *	before the next.  -r paces the requests exactly as abc-linkc does (a
 *	shared request counter, request i not before t0 + i/rate; latency is
 *	measured from the moment it is sent).  Prints one line with the same
 *	summary fields as abc-linkc and exits non-zero unless every request
 *	got its echo back intact.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tls.h"
#include "xmalloc.h"

#define ECHO_MAX_MSG	(1024 * 1024)	/* largest message accepted */
#define ECHO_OUT_HIGH	(4 * 1024 * 1024) /* stop reading above this */
#define ECHO_MAX_EVENTS	64

struct opts {
	const char	*addr, *ca, *cert, *key;
	int		 threads, size, timeout_ms;
	long		 total, rate;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tlsecho server --listen HOST:PORT --ca F --cert F --key F\n"
	    "       tlsecho client -w HOST:PORT --ca F --cert F --key F "
	    "[-t threads] [-n requests] [-r rate] [--size bytes] "
	    "[--timeout-ms ms]\n");
	exit(2);
}

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

/* Splits "host:port" into a sockaddr_in (IPv4 literals only). */
static int
parse_addr(const char *s, struct sockaddr_in *sa, char *host, size_t hostlen)
{
	const char	*colon;
	long		 port;
	char		*end;

	colon = strrchr(s, ':');
	if (colon == NULL || (size_t)(colon - s) >= hostlen)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void
set_nodelay_nonblock(int fd)
{
	int	 one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ------------------------------------------------------------------ */
/* Server */

struct sconn {
	struct tls_conn	*tls;
	int		 ready;		/* handshake done */
	int		 io_wants_out;	/* last TLS call wanted writability */
	uint32_t	 events;	/* registered with epoll */
	uint8_t		*in, *out;
	size_t		 in_len, in_cap, out_len, out_off, out_cap;
};

static void
grow(uint8_t **p, size_t *cap, size_t need)
{
	size_t	 c = *cap ? *cap : 4096;

	while (c < need)
		c *= 2;
	if (c != *cap) {
		*p = xreallocarray(*p, 1, c);
		*cap = c;
	}
}

static void
sconn_free(int ep, struct sconn *c)
{
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, tls_conn_fd(c->tls), NULL);
	tls_conn_free(c->tls);
	free(c->in);
	free(c->out);
	free(c);
}

/* Moves every complete message from in to out; -1 on an oversized one. */
static int
sconn_echo(struct sconn *c)
{
	size_t		 off = 0, n;
	uint32_t	 len;

	while (c->in_len - off >= 4) {
		len = (uint32_t)c->in[off] << 24 | (uint32_t)c->in[off + 1] << 16 |
		    (uint32_t)c->in[off + 2] << 8 | c->in[off + 3];
		if (len > ECHO_MAX_MSG)
			return -1;
		n = 4 + (size_t)len;
		if (c->in_len - off < n)
			break;
		grow(&c->out, &c->out_cap, c->out_len + n);
		memcpy(c->out + c->out_len, c->in + off, n);
		c->out_len += n;
		off += n;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return 0;
}

/* Runs reads, echo and writes until TLS wants the socket; -1 to close. */
static int
sconn_run(struct sconn *c)
{
	enum tls_io	 r;
	size_t		 got, put;

	c->io_wants_out = 0;
	if (!c->ready) {
		r = tls_conn_handshake(c->tls);
		if (r == TLS_IO_WANT_WRITE)
			c->io_wants_out = 1;
		if (r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE)
			return 0;
		if (r != TLS_IO_OK)
			return -1;
		c->ready = 1;
	}
	for (;;) {
		/* Write what is queued first: it frees room to read more. */
		while (c->out_off < c->out_len) {
			r = tls_conn_write(c->tls, c->out + c->out_off,
			    c->out_len - c->out_off, &put);
			if (r == TLS_IO_OK) {
				c->out_off += put;
				continue;
			}
			if (r == TLS_IO_WANT_WRITE) {
				c->io_wants_out = 1;
				break;
			}
			if (r == TLS_IO_WANT_READ)
				break;
			return -1;
		}
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
		if (c->out_len - c->out_off >= ECHO_OUT_HIGH)
			return 0;
		grow(&c->in, &c->in_cap, c->in_len + 16384);
		r = tls_conn_read(c->tls, c->in + c->in_len,
		    c->in_cap - c->in_len, &got);
		if (r == TLS_IO_OK) {
			c->in_len += got;
			if (sconn_echo(c) != 0)
				return -1;
			continue;
		}
		if (r == TLS_IO_WANT_WRITE) {
			c->io_wants_out = 1;
			return 0;
		}
		if (r == TLS_IO_WANT_READ)
			return 0;
		return -1;	/* EOF or error */
	}
}

static void
sconn_interest(int ep, struct sconn *c)
{
	struct epoll_event	 ev;
	uint32_t		 want = 0;

	if (c->out_len - c->out_off < ECHO_OUT_HIGH)
		want |= EPOLLIN;
	if (c->io_wants_out)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, tls_conn_fd(c->tls), &ev) == 0)
		c->events = want;
}

static int
server_main(const struct opts *o)
{
	struct epoll_event	 ev, evs[ECHO_MAX_EVENTS];
	struct sockaddr_in	 sa;
	struct tls_ctx		*ctx;
	struct sconn		*c;
	char			 host[64], err[256];
	int			 lfd, ep, fd, i, n, one = 1;

	if (parse_addr(o->addr, &sa, host, sizeof(host)) != 0) {
		fprintf(stderr, "tlsecho: bad --listen %s\n", o->addr);
		return 1;
	}
	if ((ctx = tls_ctx_new(TLS_SERVER, o->ca, o->cert, o->key, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "tlsecho: %s\n", err);
		return 1;
	}
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 512) == -1 || (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		fprintf(stderr, "tlsecho: listen %s: %s\n", o->addr,
		    strerror(errno));
		return 1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	fprintf(stderr, "tlsecho: listening on %s\n", o->addr);
	for (;;) {
		n = epoll_wait(ep, evs, ECHO_MAX_EVENTS, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tlsecho: epoll_wait: %s\n",
			    strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			if ((c = evs[i].data.ptr) == NULL) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_CLOEXEC)) != -1) {
					set_nodelay_nonblock(fd);
					c = xcalloc(1, sizeof(*c));
					if ((c->tls = tls_conn_new(ctx, fd,
					    NULL)) == NULL) {
						free(c);
						continue;
					}
					c->events = EPOLLIN;
					memset(&ev, 0, sizeof(ev));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd,
					    &ev) == -1) {
						tls_conn_free(c->tls);
						free(c);
					}
				}
				continue;
			}
			if (sconn_run(c) != 0) {
				sconn_free(ep, c);
				continue;
			}
			sconn_interest(ep, c);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Client */

struct crun {
	const struct opts *o;
	struct tls_ctx	*ctx;
	struct sockaddr_in sa;
	char		 host[64];
	pthread_mutex_t	 lock;
	long		 next, ok, errors;
	int64_t		*lat_us;
	int64_t		 t0_us;
	pthread_barrier_t start;
};

/* Waits for what r asks for, until deadline_us; 0, or -1 on timeout. */
static int
cwait(struct tls_conn *t, enum tls_io r, int64_t deadline_us)
{
	struct pollfd	 pfd;
	int64_t		 left;

	pfd.fd = tls_conn_fd(t);
	pfd.events = r == TLS_IO_WANT_WRITE ? POLLOUT : POLLIN;
	for (;;) {
		left = deadline_us - now_us();
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)((left + 999) / 1000)) >= 0 ||
		    errno != EINTR)
			return 0;
	}
}

static struct tls_conn *
cconnect(struct crun *cr)
{
	struct tls_conn	*t;
	struct pollfd	 pfd;
	enum tls_io	 r;
	int64_t		 deadline = now_us() + 5000000;
	int		 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	set_nodelay_nonblock(fd);
	if (connect(fd, (struct sockaddr *)&cr->sa, sizeof(cr->sa)) == -1) {
		int	 e = 0;
		socklen_t el = sizeof(e);

		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (errno != EINPROGRESS || poll(&pfd, 1, 5000) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 ||
		    e != 0) {
			fprintf(stderr, "tlsecho: connect %s: %s\n",
			    cr->o->addr, strerror(e ? e : errno ? errno :
			    ETIMEDOUT));
			close(fd);
			return NULL;
		}
	}
	if ((t = tls_conn_new(cr->ctx, fd, cr->host)) == NULL)
		return NULL;
	while ((r = tls_conn_handshake(t)) != TLS_IO_OK) {
		if ((r != TLS_IO_WANT_READ && r != TLS_IO_WANT_WRITE) ||
		    cwait(t, r, deadline) != 0) {
			fprintf(stderr, "tlsecho: handshake: %s\n",
			    tls_conn_error(t));
			tls_conn_free(t);
			return NULL;
		}
	}
	return t;
}

/* Sends all of p[0..len) and reads back len bytes into q; 0 or -1. */
static int
cround(struct tls_conn *t, const uint8_t *p, uint8_t *q, size_t len,
    int64_t deadline)
{
	size_t		 off = 0, got = 0, n;
	enum tls_io	 r;

	while (off < len) {
		r = tls_conn_write(t, p + off, len - off, &n);
		if (r == TLS_IO_OK)
			off += n;
		else if ((r != TLS_IO_WANT_READ && r != TLS_IO_WANT_WRITE) ||
		    cwait(t, r, deadline) != 0)
			return -1;
	}
	while (got < len) {
		r = tls_conn_read(t, q + got, len - got, &n);
		if (r == TLS_IO_OK)
			got += n;
		else if ((r != TLS_IO_WANT_READ && r != TLS_IO_WANT_WRITE) ||
		    cwait(t, r, deadline) != 0)
			return -1;
	}
	return 0;
}

static long
ctake(struct crun *cr)
{
	long	 i;

	pthread_mutex_lock(&cr->lock);
	i = cr->next < cr->o->total ? cr->next++ : -1;
	pthread_mutex_unlock(&cr->lock);
	return i;
}

static void *
cthread(void *arg)
{
	struct crun	*cr = arg;
	struct tls_conn	*t;
	uint8_t		*msg, *back;
	size_t		 len = 4 + (size_t)cr->o->size;
	int64_t		 due, now, t1;
	long		 i;
	int		 bad;

	t = cconnect(cr);
	msg = xmalloc(len);
	back = xmalloc(len);
	msg[0] = (uint8_t)(cr->o->size >> 24);
	msg[1] = (uint8_t)(cr->o->size >> 16);
	msg[2] = (uint8_t)(cr->o->size >> 8);
	msg[3] = (uint8_t)cr->o->size;
	memset(msg + 4, 'x', (size_t)cr->o->size);
	/* Everyone connected before the clock starts (as linkc's clients). */
	pthread_barrier_wait(&cr->start);
	pthread_barrier_wait(&cr->start);
	while ((i = ctake(cr)) != -1) {
		if (cr->o->rate > 0) {
			due = cr->t0_us + (int64_t)((double)i * 1e6 /
			    (double)cr->o->rate);
			if ((now = now_us()) < due)
				usleep((useconds_t)(due - now));
		}
		t1 = now_us();
		bad = t == NULL || cround(t, msg, back, len,
		    t1 + (int64_t)cr->o->timeout_ms * 1000) != 0 ||
		    memcmp(msg, back, len) != 0;
		cr->lat_us[i] = now_us() - t1;
		pthread_mutex_lock(&cr->lock);
		if (bad)
			cr->errors++;
		else
			cr->ok++;
		pthread_mutex_unlock(&cr->lock);
		if (bad && t != NULL) {
			fprintf(stderr, "tlsecho: request failed: %s\n",
			    tls_conn_error(t));
			tls_conn_free(t);
			t = NULL;
		}
	}
	tls_conn_free(t);
	free(msg);
	free(back);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
client_main(const struct opts *o)
{
	struct crun	 cr;
	pthread_t	*tids;
	char		 err[256];
	int64_t		 el;
	int		 i;

	memset(&cr, 0, sizeof(cr));
	cr.o = o;
	if (parse_addr(o->addr, &cr.sa, cr.host, sizeof(cr.host)) != 0) {
		fprintf(stderr, "tlsecho: bad -w %s\n", o->addr);
		return 1;
	}
	if ((cr.ctx = tls_ctx_new(TLS_CLIENT, o->ca, o->cert, o->key, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "tlsecho: %s\n", err);
		return 1;
	}
	cr.lat_us = xcalloc((size_t)o->total, sizeof(int64_t));
	pthread_mutex_init(&cr.lock, NULL);
	pthread_barrier_init(&cr.start, NULL, (unsigned)o->threads + 1);
	tids = xcalloc((size_t)o->threads, sizeof(*tids));
	for (i = 0; i < o->threads; i++)
		if (pthread_create(&tids[i], NULL, cthread, &cr) != 0)
			return 1;
	/* Connected threads wait on start twice: t0 is set in between. */
	pthread_barrier_wait(&cr.start);
	cr.t0_us = now_us();
	pthread_barrier_wait(&cr.start);
	for (i = 0; i < o->threads; i++)
		pthread_join(tids[i], NULL);
	el = now_us() - cr.t0_us;
	qsort(cr.lat_us, (size_t)o->total, sizeof(int64_t), cmp_i64);
	printf("tlsecho op=echo sent=%ld replies_ok=%ld errors=%ld "
	    "threads=%d msg_bytes=%d elapsed_ms=%lld rps=%.0f p50_us=%lld "
	    "p99_us=%lld max_us=%lld\n", o->total, cr.ok, cr.errors,
	    o->threads, 4 + o->size, (long long)(el / 1000),
	    (double)o->total * 1e6 / (double)(el ? el : 1),
	    (long long)cr.lat_us[o->total / 2],
	    (long long)cr.lat_us[o->total * 99 / 100],
	    (long long)cr.lat_us[o->total - 1]);
	free(cr.lat_us);
	free(tids);
	tls_ctx_free(cr.ctx);
	return cr.ok == o->total ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "ca", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "size", required_argument, NULL, 's' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts	 o;
	int		 ch, server;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "server") == 0)
		server = 1;
	else if (strcmp(argv[1], "client") == 0)
		server = 0;
	else
		usage();
	memset(&o, 0, sizeof(o));
	o.threads = 8;
	o.total = 1000;
	o.size = 100;
	o.timeout_ms = 10000;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "w:t:n:r:", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': case 'w': o.addr = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 't': o.threads = (int)num(optarg); break;
		case 'n': o.total = num(optarg); break;
		case 'r': o.rate = num(optarg); break;
		case 's': o.size = (int)num(optarg); break;
		case 'T': o.timeout_ms = (int)num(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || o.addr == NULL || o.ca == NULL ||
	    o.cert == NULL || o.key == NULL || o.threads < 1 ||
	    o.threads > 1024 || o.total < 1 || o.size > ECHO_MAX_MSG ||
	    o.timeout_ms < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	return server ? server_main(&o) : client_main(&o);
}
