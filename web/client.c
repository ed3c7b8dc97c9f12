/*
 * The link thread and the call API.  Everything the FastCGI threads and
 * the link thread share (the delivery session, the waiters, the stats)
 * sits under one mutex; TLS I/O happens outside it.  A caller pushes its
 * request into the session's outbound log (kept until the reply) and waits
 * on its own condition variable; the link thread pumps the log onto the
 * wire, and hands each reply to the waiter with the same request number.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "clock.h"
#include "frame.h"
#include "hostport.h"
#include "abc_limits.h"
#include "abc_link.h"
#include "linkconn.h"
#include "log.h"
#include "msg.h"
#include "tls.h"
#include "xmalloc.h"

#define CLIENT_WIRE_MAX		(16u * 1024 * 1024)
#define CLIENT_QUEUE_BYTES	(64u * 1024 * 1024)
#define CLIENT_CONNECT_MS	2000	/* dial, TLS handshake and HELLO */
/*
 * The TCP connect alone: on a LAN it is answered within a millisecond,
 * or refused at once (a standby, a stopped worker); one that hears
 * nothing is a dead host, and each round over the addresses would wait on
 * it before trying the live one.
 */
#define CLIENT_DIAL_MS		500
/*
 * A worker whose host died without a word (no reset) is given up when
 * what was sent stays unacknowledged this long, or after about 4 s of
 * silence on an idle link (keepalives), not after the kernel's quarter of
 * an hour of retransmissions: the other worker takes over within seconds
 * (SPEC 8).  A worker's kernel acknowledges even while the worker is
 * busy or stopped, so this does not cut a slow one.
 */
#define CLIENT_USER_TIMEOUT_MS	2000
#define CLIENT_KEEPIDLE_S	2
#define CLIENT_KEEPINTVL_S	1
#define CLIENT_KEEPCNT		2
#define CLIENT_BACKOFF_MIN_MS	50
/*
 * Reconnecting waits at most this long (with jitter): a refused connect
 * costs next to nothing (a standby worker does not listen), and while the
 * link is down every page that needs abc-worker waits, so after a worker
 * restart or a failover the link must be back within a tenth of a second
 * of the worker listening (SPEC 8: writes again within 5 s of a failover,
 * and a 250 ms cap cost up to a quarter second of that).  Ten rounds a
 * second of refused connects are nothing; a dead host's address is not
 * dialled faster for it (its connect takes up to CLIENT_CONNECT_MS).
 */
#define CLIENT_BACKOFF_MAX_MS	100
#define CLIENT_SUBSCRIBERS	8

struct waiter {
	uint64_t		 req_no;
	int			 done;
	enum app_err		 result;
	struct json_object	*reply;		/* owned until taken */
	pthread_cond_t		 cond;
	struct waiter		*next;
};

struct subscriber {
	client_notice_fn	 fn;
	void			*arg;
};

struct client {
	struct hostport		 worker;	/* the address tried or in use */
	struct hostport		 workers[HOSTPORT_LIST_MAX]; /* worker key */
	size_t			 nworkers;
	size_t			 next;		/* the one to try first */
	struct tls_ctx		*tls;		/* borrowed */
	pthread_t		 thread;
	int			 efd;		/* wakes the link thread */
	int64_t			 epoch;		/* this process, random */
	pthread_mutex_t		 lock;		/* guards what follows */
	pthread_cond_t		 space;		/* the log has room again */
	struct link_session	 ls;
	struct waiter		*waiters;
	uint64_t		 last_req_no;
	int64_t			 peer_epoch;	/* worker incarnation known */
	int64_t			 notice_seq;	/* last notice number seen */
	struct subscriber	 subs[CLIENT_SUBSCRIBERS];
	int			 nsubs;
	int			 stopping;
	struct client_stats	 stats;
	/* Owned by the link thread alone. */
	struct linkconn		 lc;		/* TLS, decoder, wire */
	int			 hello_done;	/* the worker's HELLO arrived */
};

/* Wakes the link thread. */
static void
client_wake(struct client *cl)
{
	uint64_t	 one = 1;

	while (write(cl->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

/* Records link state for /status; lock held. */
static void
client_set_state(struct client *cl, int up, const char *detail)
{
	if (cl->stats.up != up)
		cl->stats.since_ms = clock_real_ms();
	cl->stats.up = up;
	snprintf(cl->stats.detail, sizeof(cl->stats.detail), "%s", detail);
}

/* Tells every subscriber about a notice; called without the lock. */
static void
client_notify(struct client *cl, const char *kind, int64_t seq,
    struct json_object *notice)
{
	struct subscriber	 subs[CLIENT_SUBSCRIBERS];
	int			 i, n;

	pthread_mutex_lock(&cl->lock);
	n = cl->nsubs;
	memcpy(subs, cl->subs, sizeof(subs));
	if (strcmp(kind, msg_notice_name(MSG_NOTICE_REVALIDATE)) == 0)
		cl->stats.revalidations++;
	pthread_mutex_unlock(&cl->lock);
	for (i = 0; i < n; i++)
		subs[i].fn(subs[i].arg, kind, seq, notice);
}

/*
 * Opens a TCP connection to the worker within CLIENT_DIAL_MS.  Returns a
 * connected non-blocking socket, or -1 with the reason in err.
 */
static int
client_dial(struct client *cl, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	socklen_t		 sslen, len = sizeof(int);
	int			 fd, soerr = 0, one = 1;
	int			 uto = CLIENT_USER_TIMEOUT_MS;
	int			 idle = CLIENT_KEEPIDLE_S;
	int			 intvl = CLIENT_KEEPINTVL_S, cnt = CLIENT_KEEPCNT;

	if (hostport_sockaddr(&cl->worker, &ss, &sslen) != 0) {
		snprintf(err, errlen, "worker address is not an IP address");
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Best effort: without them a dead host is only noticed later. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, CLIENT_DIAL_MS) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 ||
	    soerr != 0) {
		snprintf(err, errlen, "connect: %s",
		    soerr ? strerror(soerr) : "timed out");
		close(fd);
		return -1;
	}
	return fd;
}

/* Completes the TLS handshake on fd (owned); 0, or -1 with err. */
static int
client_handshake(struct client *cl, int fd, int64_t deadline, char *err,
    size_t errlen)
{
	struct tls_conn	*tls;
	enum tls_io	 io;

	if ((tls = tls_conn_new(cl->tls, fd, cl->worker.host)) == NULL) {
		snprintf(err, errlen, "TLS session allocation failed");
		return -1;
	}
	linkconn_open(&cl->lc, tls);
	while ((io = linkconn_handshake(&cl->lc)) != TLS_IO_OK) {
		if ((io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE) ||
		    linkconn_wait(&cl->lc, deadline) != 0) {
			snprintf(err, errlen, "TLS: %s",
			    io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE ?
			    "handshake timed out" : tls_conn_error(tls));
			return -1;
		}
	}
	return 0;
}

/*
 * Applies the worker's HELLO.  A fresh session (new worker incarnation, or
 * one that forgot us) renumbers every request still lacking a reply and
 * resends it; a resumed one only resends what the worker did not get.
 * Either way the cache must be revalidated if anything may be missed.
 */
static int
client_hello(struct client *cl, const struct frame_hdr *h,
    const uint8_t *body, int *fresh)
{
	struct msg_hello	 in;

	if (h->type != FRAME_HELLO ||
	    msg_hello_decode(body, h->body_len, &in) != 0)
		return -1;
	pthread_mutex_lock(&cl->lock);
	*fresh = !in.resumed || in.epoch != cl->peer_epoch;
	cl->peer_epoch = in.epoch;
	if (*fresh)	/* on resume, queued notices still come in order */
		cl->notice_seq = in.notice_seq;
	link_session_resume(&cl->ls, *fresh, (uint64_t)in.rx, clock_mono_ms());
	cl->stats.connects++;
	pthread_mutex_unlock(&cl->lock);
	cl->hello_done = 1;
	return 0;
}

/* Hands a reply to its waiter, if one still waits; lock held. */
static void
client_reply(struct client *cl, const struct frame_hdr *h,
    const uint8_t *body)
{
	struct waiter	**pp, *w;
	char		 err[128];

	if (link_out_remove_ref(&cl->ls.out, FRAME_REQUEST, h->ref) == 0)
		pthread_cond_broadcast(&cl->space);
	for (pp = &cl->waiters; (w = *pp) != NULL; pp = &w->next) {
		if (w->req_no != h->ref)
			continue;
		*pp = w->next;
		w->reply = msg_parse(body, h->body_len, err, sizeof(err));
		w->result = w->reply != NULL ? APP_OK : APP_EPROTO;
		if (w->reply == NULL)
			log_warn("bad_reply", "req=%" PRIu64 " error=\"%s\"",
			    h->ref, err);
		w->done = 1;
		pthread_cond_signal(&w->cond);
		return;
	}
	/* Its caller gave up (timed out): the outcome shows on reload. */
	cl->stats.orphans++;
}

/*
 * Handles a notice numbered seq: a gap since the last one means some were
 * missed, so subscribers revalidate before hearing of this one.
 */
static void
client_notice(struct client *cl, const struct frame_hdr *h,
    const uint8_t *body)
{
	struct json_object	*o;
	const char		*kind;
	char			 err[128];
	int			 gap;

	pthread_mutex_lock(&cl->lock);
	gap = (int64_t)h->ref != cl->notice_seq + 1;
	if ((int64_t)h->ref > cl->notice_seq)
		cl->notice_seq = (int64_t)h->ref;
	pthread_mutex_unlock(&cl->lock);
	if (gap)
		client_notify(cl, msg_notice_name(MSG_NOTICE_REVALIDATE),
		    (int64_t)h->ref, NULL);
	o = msg_parse(body, h->body_len, err, sizeof(err));
	kind = o != NULL ? msg_get_str(o, "kind") : NULL;
	if (kind != NULL)
		client_notify(cl, kind, (int64_t)h->ref, o);
	json_object_put(o);
}

/* Dispatches one frame after the HELLO; -1 breaks the link (why set). */
static int
client_frame(struct client *cl, const struct frame_hdr *h,
    const uint8_t *body, const char **why)
{
	enum link_rx_verdict	 v;

	pthread_mutex_lock(&cl->lock);
	v = link_session_receive(&cl->ls, h, clock_mono_ms());
	if (v == LINK_RX_NEW && h->type == FRAME_REPLY)
		client_reply(cl, h, body);
	pthread_mutex_unlock(&cl->lock);
	if (h->type == FRAME_CLOSE) {
		*why = h->flags & FRAME_F_DRAIN ? "worker is draining" :
		    "worker closed the session";
		return -1;
	}
	if (h->type == FRAME_HELLO) {
		*why = "unexpected HELLO";
		return -1;
	}
	if (v == LINK_RX_NEW && h->type == FRAME_NOTICE)
		client_notice(cl, h, body);
	return 0;
}

/* Context of client_rx_frame, the frame_fn of the link's reader. */
struct client_rx {
	struct client	*cl;
	int		*fresh;
	const char	**why;
};

/* frame_fn: HELLO first, then every other frame; non-zero breaks the link. */
static int
client_rx_frame(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	struct client_rx	*rx = arg;

	if (rx->cl->hello_done)
		return client_frame(rx->cl, h, body, rx->why);
	if (client_hello(rx->cl, h, body, rx->fresh) != 0) {
		*rx->why = "bad HELLO from worker";
		return -1;
	}
	return 0;
}

/*
 * Reads and handles everything TLS has.  Returns 0, or -1 when the link
 * broke (why set).  *fresh is set when a HELLO began a new session.
 */
static int
client_read(struct client *cl, int *fresh, const char **why)
{
	struct client_rx	 rx = { cl, fresh, why };

	switch (linkconn_read(&cl->lc, client_rx_frame, &rx, why)) {
	case LINKCONN_OK:
		return 0;
	case LINKCONN_EOF:
		*why = "worker closed the link";
		return -1;
	default:
		return -1;
	}
}

/* Sends our HELLO straight onto the wire (it is not a numbered message). */
static int
client_send_hello(struct client *cl)
{
	struct msg_hello	 out;

	memset(&out, 0, sizeof(out));
	pthread_mutex_lock(&cl->lock);
	out.epoch = cl->epoch;
	out.peer_epoch = cl->peer_epoch;
	out.rx = (int64_t)cl->ls.rx.cum;
	out.notice_seq = cl->notice_seq;
	pthread_mutex_unlock(&cl->lock);
	return linkconn_append_hello(&cl->lc, &out);
}

/*
 * Drops the connection; requests stay queued for the next one.  why may
 * be the connection's own error text (tls_conn_error), so it is used
 * before the connection is freed.
 */
static void
client_disconnect(struct client *cl, const char *why)
{
	pthread_mutex_lock(&cl->lock);
	if (cl->stats.up)
		log_warn("link_down", "worker=%s:%d reason=\"%s\"",
		    cl->worker.host, cl->worker.port, why);
	client_set_state(cl, 0, why);
	pthread_mutex_unlock(&cl->lock);
	linkconn_close(&cl->lc);
	cl->hello_done = 0;
}

/*
 * Connects, exchanges HELLOs and resumes or restarts the session.
 * Returns 0, or -1 after recording why (the connection is gone).
 */
static int
client_connect(struct client *cl)
{
	char		 err[sizeof(cl->stats.detail)];
	const char	*why = NULL;
	int64_t		 deadline = clock_mono_ms() + CLIENT_CONNECT_MS;
	int		 fd, fresh = 0;

	if ((fd = client_dial(cl, err, sizeof(err))) == -1 ||
	    client_handshake(cl, fd, deadline, err, sizeof(err)) == -1)
		goto fail;
	if (client_send_hello(cl) != 0 || linkconn_flush(&cl->lc) != 0) {
		snprintf(err, sizeof(err), "cannot send HELLO");
		goto fail;
	}
	while (!cl->hello_done) {
		if (client_read(cl, &fresh, &why) != 0 ||
		    linkconn_flush(&cl->lc) != 0 ||
		    (!cl->hello_done && linkconn_wait(&cl->lc,
		    deadline) != 0)) {
			snprintf(err, sizeof(err), "HELLO: %s",
			    why != NULL ? why : "timed out");
			goto fail;
		}
	}
	pthread_mutex_lock(&cl->lock);
	snprintf(err, sizeof(err), "connected to %.64s:%d%s",
	    cl->worker.host, cl->worker.port, fresh ? "" : " (session resumed)");
	client_set_state(cl, 1, err);
	pthread_mutex_unlock(&cl->lock);
	log_info("link_up", "worker=%s:%d fresh=%d", cl->worker.host,
	    cl->worker.port, fresh);
	if (fresh)
		client_notify(cl, msg_notice_name(MSG_NOTICE_REVALIDATE), 0,
		    NULL);
	return 0;
fail:
	client_disconnect(cl, err);
	return -1;
}

/* Waits up to ms or until woken; returns non-zero when stopping. */
static int
client_sleep(struct client *cl, int ms)
{
	struct pollfd	 pfd;
	uint64_t	 n;
	int		 stopping;

	pfd.fd = cl->efd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) == 1)
		(void)read(cl->efd, &n, sizeof(n));
	pthread_mutex_lock(&cl->lock);
	stopping = cl->stopping;
	pthread_mutex_unlock(&cl->lock);
	return stopping;
}

/*
 * Pumps the session onto the wire.  Returns the milliseconds until the
 * next timer (at most 1000), or -1 when fault injection cuts the link.
 */
static int
client_pump(struct client *cl)
{
	int64_t	 now = clock_mono_ms(), next;

	pthread_mutex_lock(&cl->lock);
	if (link_session_should_cut(&cl->ls, now)) {
		pthread_mutex_unlock(&cl->lock);
		return -1;
	}
	(void)link_session_pump(&cl->ls, &cl->lc.wire, now);
	next = link_session_next_ms(&cl->ls, now);
	pthread_mutex_unlock(&cl->lock);
	if (next == -1 || next - now > 1000)
		return 1000;
	return next - now > 0 ? (int)(next - now) : 1;
}

/* One pass of the connected loop; -1 when the link broke (why set). */
static int
client_step(struct client *cl, const char **why)
{
	struct pollfd	 pfd[2];
	uint64_t	 n;
	int		 wait, fresh = 0;

	if ((wait = client_pump(cl)) == -1) {
		*why = "fault injection cut";
		return -1;
	}
	if (linkconn_flush(&cl->lc) != 0) {
		*why = tls_conn_error(cl->lc.tls);
		return -1;
	}
	pfd[0].fd = linkconn_fd(&cl->lc);
	pfd[0].events = POLLIN | (linkconn_wants_write(&cl->lc) ? POLLOUT : 0);
	pfd[1].fd = cl->efd;
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, tls_conn_pending(cl->lc.tls) ? 0 : wait) == -1 &&
	    errno != EINTR) {
		*why = "poll failed";
		return -1;
	}
	if (pfd[1].revents & POLLIN)
		(void)read(cl->efd, &n, sizeof(n));
	if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    client_read(cl, &fresh, why) != 0)
		return -1;
	return 0;
}

/*
 * One round over the worker key's addresses, from the one that answered
 * last: a standby abc-worker does not listen, so its refusal is quick and
 * the active one is found (worker/lease.h).  0 when connected.
 */
static int
client_connect_any(struct client *cl)
{
	size_t	 i;

	for (i = 0; i < cl->nworkers; i++) {
		cl->worker = cl->workers[cl->next];
		if (client_connect(cl) == 0)
			return 0;
		cl->next = (cl->next + 1) % cl->nworkers;
	}
	return -1;
}

static void *
client_thread(void *arg)
{
	struct client	*cl = arg;
	const char	*why;
	uint64_t	 jitter = 0;
	int		 backoff = CLIENT_BACKOFF_MIN_MS;

	while (!client_sleep(cl, 0)) {
		if (client_connect_any(cl) != 0) {
			/* Jitter: anywhere in [backoff/2, backoff], seeded by
			 * the epoch so that processes do not retry in step. */
			jitter = jitter * 6364136223846793005ULL +
			    (uint64_t)cl->epoch;
			if (client_sleep(cl, backoff / 2 + (int)((jitter >> 33) %
			    (uint64_t)(backoff / 2 + 1))))
				break;
			backoff = backoff * 2 > CLIENT_BACKOFF_MAX_MS ?
			    CLIENT_BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		backoff = CLIENT_BACKOFF_MIN_MS;
		why = NULL;
		while (client_step(cl, &why) == 0 && !client_sleep(cl, 0))
			continue;
		client_disconnect(cl, why != NULL ? why : "stopping");
		/* The next round starts at the other address: a link breaks
		 * most often because its worker died or lost the lock, and
		 * then the other one takes over (a dead host's address would
		 * cost CLIENT_DIAL_MS first). */
		cl->next = (cl->next + 1) % cl->nworkers;
	}
	return NULL;
}

/*
 * Starts the link thread for cfg.  Returns NULL (logged) on a bad address
 * or when the thread cannot start.
 */
struct client *
client_start(const struct client_cfg *cfg)
{
	struct client	*cl;
	char		 err[128];

	cl = xcalloc(1, sizeof(*cl));
	linkconn_init(&cl->lc, CLIENT_WIRE_MAX);
	cl->efd = -1;
	if (hostport_parse_list(cfg->worker, cl->workers, &cl->nworkers, err,
	    sizeof(err)) != 0) {
		log_error("config", "key=worker error=\"%s\"", err);
		goto fail;
	}
	cl->worker = cl->workers[0];
	cl->tls = cfg->tls;
	cl->epoch = link_new_epoch();
	link_session_init(&cl->ls, cfg->max_queued ? cfg->max_queued : 4096,
	    CLIENT_QUEUE_BYTES, &cfg->fault);
	pthread_mutex_init(&cl->lock, NULL);
	pthread_cond_init(&cl->space, NULL);
	snprintf(cl->stats.detail, sizeof(cl->stats.detail),
	    "not yet connected");
	if ((cl->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    pthread_create(&cl->thread, NULL, client_thread, cl) != 0) {
		log_error("client_start", "error=\"cannot start link thread\"");
		goto fail;
	}
	return cl;
fail:
	if (cl->efd != -1)
		close(cl->efd);
	link_session_clear(&cl->ls);
	linkconn_clear(&cl->lc);
	free(cl);
	return NULL;
}

/* Stops the link thread; waiting callers get APP_EPEER. */
void
client_stop(struct client *cl)
{
	struct waiter	*w;

	if (cl == NULL)
		return;
	pthread_mutex_lock(&cl->lock);
	cl->stopping = 1;
	pthread_mutex_unlock(&cl->lock);
	client_wake(cl);
	pthread_join(cl->thread, NULL);
	pthread_mutex_lock(&cl->lock);
	while ((w = cl->waiters) != NULL) {
		cl->waiters = w->next;
		w->result = APP_EPEER;
		w->done = 1;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&cl->lock);
	close(cl->efd);
	link_session_clear(&cl->ls);
	linkconn_clear(&cl->lc);
	pthread_cond_destroy(&cl->space);
	pthread_mutex_destroy(&cl->lock);
	free(cl);
}

/* Unlinks w from the waiters if it is still there; lock held. */
static void
client_unlink(struct client *cl, struct waiter *w)
{
	struct waiter	**pp;

	for (pp = &cl->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/*
 * Queues body as a new request, waiting for room until deadline; lock
 * held.  Returns APP_OK with w registered, or APP_ETIMEDOUT.
 */
static enum app_err
client_enqueue(struct client *cl, const struct buf *body, struct waiter *w,
    const struct timespec *deadline)
{
	while (link_out_full(&cl->ls.out, body->len))
		if (pthread_cond_timedwait(&cl->space, &cl->lock, deadline) ==
		    ETIMEDOUT && link_out_full(&cl->ls.out, body->len))
			return APP_ETIMEDOUT;
	w->req_no = ++cl->last_req_no;
	(void)link_out_push(&cl->ls.out, FRAME_REQUEST, w->req_no, body->data,
	    body->len, 1, NULL);
	w->next = cl->waiters;
	cl->waiters = w;
	cl->stats.queued = cl->ls.out.count;
	client_wake(cl);
	return APP_OK;
}

/*
 * Sends req and waits up to timeout_ms for its reply.  Returns APP_OK with
 * *reply set (a reference the caller puts); APP_ETIMEDOUT past the
 * deadline (the request still goes through); APP_EPEER at once when
 * flags has CLIENT_FAIL_FAST and the link is down; APP_EPROTO for an
 * unreadable reply; APP_EINVAL for a request over the frame limit.
 */
enum app_err
client_call(struct client *cl, struct json_object *req, int timeout_ms,
    int flags, struct json_object **reply)
{
	pthread_condattr_t	 attr;
	struct timespec		 deadline;
	struct waiter		 w;
	struct buf		 body;
	enum app_err		 e;

	memset(&w, 0, sizeof(w));
	buf_init(&body, LIMIT_FRAME_BODY);
	if (msg_serialize(req, &body) != 0) {
		buf_clear(&body);
		return APP_EINVAL;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &attr);
	pthread_condattr_destroy(&attr);
	clock_abs_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&cl->lock);
	if ((flags & CLIENT_FAIL_FAST) && !cl->stats.up)
		e = APP_EPEER;
	else
		e = client_enqueue(cl, &body, &w, &deadline);
	while (e == APP_OK && !w.done)
		if (pthread_cond_timedwait(&w.cond, &cl->lock, &deadline) ==
		    ETIMEDOUT && !w.done) {
			client_unlink(cl, &w);
			e = APP_ETIMEDOUT;
		}
	if (e == APP_OK)
		e = w.result;
	pthread_mutex_unlock(&cl->lock);
	if (e == APP_OK)
		*reply = w.reply;
	else
		json_object_put(w.reply);
	pthread_cond_destroy(&w.cond);
	buf_clear(&body);
	return e;
}

/* Registers fn for every notice; 0, or -1 when the table is full. */
int
client_subscribe(struct client *cl, client_notice_fn fn, void *arg)
{
	int	 rc = -1;

	pthread_mutex_lock(&cl->lock);
	if (cl->nsubs < CLIENT_SUBSCRIBERS) {
		cl->subs[cl->nsubs].fn = fn;
		cl->subs[cl->nsubs].arg = arg;
		cl->nsubs++;
		rc = 0;
	}
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

/* Copies the link's state for /status. */
void
client_stats(struct client *cl, struct client_stats *out)
{
	pthread_mutex_lock(&cl->lock);
	cl->stats.queued = cl->ls.out.count;
	*out = cl->stats;
	pthread_mutex_unlock(&cl->lock);
}

/*
 * Applies new fault settings (runtime faults, common/faultfile.h) to the
 * link session, at once and across reconnects; the session keeps its own
 * random stream.  Any thread.
 */
void
client_set_fault(struct client *cl, const struct link_fault *fault)
{
	pthread_mutex_lock(&cl->lock);
	link_session_set_fault(&cl->ls, fault, clock_mono_ms());
	pthread_mutex_unlock(&cl->lock);
	client_wake(cl);
}

int64_t
client_epoch(const struct client *cl)
{
	return cl->epoch;
}
