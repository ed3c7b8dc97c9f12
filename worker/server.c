/*
 * The link server.  Each connection owns a TLS session, a frame decoder and
 * an output buffer; level-triggered epoll watches for input always and for
 * output only while the buffer holds bytes (or TLS asks for it).
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btc.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "frame.h"
#include "limits.h"
#include "log.h"
#include "msg.h"
#include "server.h"
#include "tls.h"
#include "xmalloc.h"

/* Bytes a connection may have queued for writing before it is cut. */
#define SERVER_OUT_MAX	(64u * 1024 * 1024)
#define SERVER_EVENTS	64

struct conn {
	uint64_t		 id;		/* never reused */
	struct tls_conn		*tls;		/* owned */
	int			 handshaken;
	int			 want_write;	/* TLS needs EPOLLOUT */
	uint32_t		 events;	/* registered with epoll */
	struct frame_decoder	 dec;
	struct buf		 out;		/* frames not yet written */
	uint64_t		 tx_id;		/* last message id sent */
	uint64_t		 rx_id;		/* highest message id received */
	char			 peer[64];
	int			 closed;	/* on the dead list */
	struct conn		*next;
};

struct server {
	const struct server_cfg	*cfg;
	int			 ep;
	int			 lfd;
	int			 sfd;
	uint64_t		 next_conn_id;
	struct conn		*conns;		/* owned list */
	struct conn		*dead;		/* closed, freed after the batch */
	int64_t			 started_ms;
	int			 stop;
};

static void	server_conn_close(struct server *, struct conn *, const char *);

/*
 * Splits "host:port" ("[v6]:port" too); 0, or -1 when malformed.
 */
int
server_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char	*colon;
	char		*end;
	long		 p;
	size_t		 n;

	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 1 ||
	    p > 65535)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = (int)p;
	return 0;
}

/* Opens the listening socket; returns the fd or -1 (logged). */
static int
server_listen(const char *addr)
{
	struct sockaddr_in	 sin;
	char			 host[256];
	int			 port, fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	if (server_parse_hostport(addr, host, sizeof(host), &port) != 0 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		log_error("listen", "addr=\"%s\" error=\"want IPv4:port\"", addr);
		return -1;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 128) == -1) {
		log_error("listen", "addr=%s error=\"%s\"", addr,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	log_info("listening", "addr=%s", addr);
	return fd;
}

/* Sets the epoll interest of c to match what it waits for. */
static void
server_conn_watch(struct server *s, struct conn *c)
{
	struct epoll_event	 ev;
	uint32_t		 want = EPOLLIN;

	if (c->out.len > 0 || c->want_write)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(s->ep, EPOLL_CTL_MOD, tls_conn_fd(c->tls), &ev) == 0)
		c->events = want;
}

/* Queues one frame on c; -1 if c's output is over its bound. */
static int
server_send(struct conn *c, uint8_t type, uint64_t ref, const struct buf *body)
{
	struct frame_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = type;
	h.id = ++c->tx_id;
	h.ack = c->rx_id;
	h.ref = ref;
	return frame_append(&c->out, &h, body ? body->data : NULL,
	    body ? body->len : 0);
}

/* Serialises reply and queues it on c as the answer to ref. */
static int
server_reply(struct conn *c, uint64_t ref, struct json_object *reply)
{
	struct buf	 body;
	int		 rc;

	buf_init(&body, LIMIT_FRAME_BODY);
	rc = msg_serialize(reply, &body);
	if (rc == 0)
		rc = server_send(c, FRAME_REPLY, ref, &body);
	buf_clear(&body);
	return rc;
}

/* Adds what the event loop knows (bitcoind, uptime) to a status reply. */
static void
server_status_fill(struct server *s, struct json_object *rep)
{
	struct btc_status	 st;
	struct json_object	*b;

	btc_status_get(s->cfg->btc, &st);
	b = json_object_new_object();
	json_object_object_add(b, "state",
	    json_object_new_string(btc_state_name(st.state)));
	json_object_object_add(b, "up",
	    json_object_new_boolean(st.state == BTC_UP));
	json_object_object_add(b, "height", json_object_new_int64(st.height));
	json_object_object_add(b, "since_ms",
	    json_object_new_int64(st.since_ms));
	json_object_object_add(b, "detail", json_object_new_string(st.detail));
	json_object_object_add(rep, "btc", b);
	json_object_object_add(rep, "worker_uptime_ms",
	    json_object_new_int64(clock_real_ms() - s->started_ms));
}

/* Handles one REQUEST frame body; -1 closes the connection. */
static int
server_request(struct server *s, struct conn *c, const struct frame_hdr *h,
    const uint8_t *body)
{
	struct json_object	*req, *rep;
	struct db_job		*job;
	enum msg_op		 op;
	char			 err[128];
	int			 rc;

	if ((req = msg_parse(body, h->body_len, err, sizeof(err))) == NULL ||
	    msg_request_op(req, &op) != 0) {
		log_warn("bad_request", "peer=%s id=%llu error=\"%s\"", c->peer,
		    (unsigned long long)h->id, req ? "unknown op" : err);
		json_object_put(req);
		rep = msg_reply_error("malformed request");
		rc = server_reply(c, h->id, rep);
		json_object_put(rep);
		return rc;
	}
	switch (op) {
	case MSG_OP_ECHO:
		json_object_object_add(req, "ok", json_object_new_boolean(1));
		json_object_object_del(req, "op");
		rc = server_reply(c, h->id, req);
		json_object_put(req);
		return rc;
	case MSG_OP_STATUS:
	default:
		job = xcalloc(1, sizeof(*job));
		job->op = op;
		job->conn_id = c->id;
		job->req_id = h->id;
		job->req = req;
		db_submit(s->cfg->db, job);
		(void)s;
		return 0;
	}
}

/* Dispatches one decoded frame; -1 closes the connection. */
static int
server_frame(struct server *s, struct conn *c, const struct frame_hdr *h,
    const uint8_t *body)
{
	if (h->id != 0) {
		if (h->id <= c->rx_id) {
			/* A duplicate; the link layer answers these later. */
			return 0;
		}
		c->rx_id = h->id;
	}
	switch (h->type) {
	case FRAME_HELLO:
	case FRAME_ACK:
	case FRAME_PING:
		return 0;
	case FRAME_REQUEST:
		return server_request(s, c, h, body);
	case FRAME_CLOSE:
		return -1;
	default:
		log_warn("bad_frame", "peer=%s type=%s", c->peer,
		    frame_type_name(h->type));
		return -1;
	}
}

/* Writes as much queued output as TLS takes; -1 on a broken link. */
static int
server_conn_flush(struct conn *c)
{
	enum tls_io	 io;
	size_t		 put;

	c->want_write = 0;
	while (c->out.len > 0) {
		io = tls_conn_write(c->tls, c->out.data, c->out.len, &put);
		if (io == TLS_IO_OK) {
			buf_consume(&c->out, put);
			continue;
		}
		if (io == TLS_IO_WANT_WRITE || io == TLS_IO_WANT_READ) {
			c->want_write = io == TLS_IO_WANT_WRITE;
			return 0;
		}
		return -1;
	}
	return 0;
}

/* Reads and handles everything TLS has; -1 closes the connection. */
static int
server_conn_read(struct server *s, struct conn *c)
{
	uint8_t			 chunk[16384];
	const uint8_t		*body;
	struct frame_hdr	 h;
	enum frame_status	 fs;
	enum tls_io		 io;
	size_t			 got;

	for (;;) {
		io = tls_conn_read(c->tls, chunk, sizeof(chunk), &got);
		if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
			c->want_write = io == TLS_IO_WANT_WRITE;
			return 0;
		}
		if (io != TLS_IO_OK)
			return -1;
		if (frame_decoder_feed(&c->dec, chunk, got) != 0) {
			log_warn("frame_error", "peer=%s error=\"buffer full\"",
			    c->peer);
			return -1;
		}
		while ((fs = frame_decoder_next(&c->dec, &h, &body)) ==
		    FRAME_OK)
			if (server_frame(s, c, &h, body) != 0)
				return -1;
		if (fs != FRAME_MORE) {
			log_warn("frame_error", "peer=%s error=\"%s\"", c->peer,
			    frame_strerror(fs));
			return -1;
		}
	}
}

/* Drives the handshake; -1 on failure (logged). */
static int
server_conn_handshake(struct conn *c)
{
	enum tls_io	 io;

	io = tls_conn_handshake(c->tls);
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
		c->want_write = io == TLS_IO_WANT_WRITE;
		return 0;
	}
	if (io != TLS_IO_OK) {
		log_warn("handshake_failed", "conn=%llu error=\"%s\"",
		    (unsigned long long)c->id, tls_conn_error(c->tls));
		return -1;
	}
	c->handshaken = 1;
	snprintf(c->peer, sizeof(c->peer), "%s", tls_conn_peer_name(c->tls));
	log_info("link_up", "conn=%llu peer=%s", (unsigned long long)c->id,
	    c->peer);
	return 0;
}

/* Handles readiness on connection c. */
static void
server_conn_event(struct server *s, struct conn *c, uint32_t events)
{
	const char	*why = NULL;

	if (c->closed)
		return;
	if (!c->handshaken && server_conn_handshake(c) != 0)
		why = "handshake";
	else if (c->handshaken && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    server_conn_read(s, c) != 0)
		why = tls_conn_error(c->tls)[0] ? tls_conn_error(c->tls) :
		    "closed";
	else if (c->handshaken && server_conn_flush(c) != 0)
		why = tls_conn_error(c->tls);
	if (why == NULL && c->out.len > SERVER_OUT_MAX)
		why = "output backlog over limit";
	if (why != NULL) {
		server_conn_close(s, c, why);
		return;
	}
	server_conn_watch(s, c);
}

/* Accepts every pending connection. */
static void
server_accept(struct server *s)
{
	struct epoll_event	 ev;
	struct conn		*c;
	int			 fd, one = 1;

	while ((fd = accept4(s->lfd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c = xcalloc(1, sizeof(*c));
		if ((c->tls = tls_conn_new(s->cfg->tls, fd, NULL)) == NULL) {
			free(c);
			continue;
		}
		c->id = ++s->next_conn_id;
		frame_decoder_init(&c->dec, LIMIT_FRAME_BODY);
		buf_init(&c->out, SERVER_OUT_MAX + FRAME_HDR_LEN +
		    LIMIT_FRAME_BODY);
		memset(&ev, 0, sizeof(ev));
		ev.events = c->events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			server_conn_close(s, c, "epoll_ctl");
			continue;
		}
		c->next = s->conns;
		s->conns = c;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept", "error=\"%s\"", strerror(errno));
}

/*
 * Unlinks c and closes its socket.  The struct itself is freed after the
 * current batch of epoll events, which may still point at it.
 */
static void
server_conn_close(struct server *s, struct conn *c, const char *why)
{
	struct conn	**pp;

	if (c->closed)
		return;
	for (pp = &s->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->handshaken)
		log_info("link_down", "conn=%llu peer=%s reason=\"%s\"",
		    (unsigned long long)c->id, c->peer, why);
	(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, tls_conn_fd(c->tls), NULL);
	tls_conn_free(c->tls);
	c->tls = NULL;
	frame_decoder_clear(&c->dec);
	buf_clear(&c->out);
	c->closed = 1;
	c->next = s->dead;
	s->dead = c;
}

/* Frees connections closed during the last batch of events. */
static void
server_reap(struct server *s)
{
	struct conn	*c;

	while ((c = s->dead) != NULL) {
		s->dead = c->next;
		free(c);
	}
}

/* Finds the live connection with id, or NULL. */
static struct conn *
server_conn_find(struct server *s, uint64_t id)
{
	struct conn	*c;

	for (c = s->conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* Sends the replies of finished database jobs. */
static void
server_db_done(struct server *s)
{
	struct db_job	*j, *next;
	struct conn	*c;
	uint64_t	 n;

	while (read(s->cfg->db_done_fd, &n, sizeof(n)) == -1 && errno == EINTR)
		continue;
	for (j = db_take_done(s->cfg->db); j != NULL; j = next) {
		next = j->next;
		if ((c = server_conn_find(s, j->conn_id)) != NULL) {
			if (j->op == MSG_OP_STATUS)
				server_status_fill(s, j->reply);
			if (server_reply(c, j->req_id, j->reply) != 0)
				server_conn_close(s, c, "reply too large");
			else
				server_conn_event(s, c, 0);
		}
		db_job_free(j);
	}
}

/* Registers fd for input with data.u64 = tag. */
static int
server_watch_fd(struct server *s, int fd, uint64_t tag)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = tag;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Tags for the fixed fds; connections use data.ptr (never this small). */
#define TAG_LISTEN	1
#define TAG_SIGNAL	2
#define TAG_DB		3

/* Sets up epoll, the listener and the signalfd; 0, or -1 logged. */
static int
server_open(struct server *s)
{
	sigset_t	 mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (s->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_error("server_open", "error=\"%s\"", strerror(errno));
		return -1;
	}
	if ((s->lfd = server_listen(s->cfg->listen)) == -1)
		return -1;
	if (server_watch_fd(s, s->lfd, TAG_LISTEN) == -1 ||
	    server_watch_fd(s, s->sfd, TAG_SIGNAL) == -1 ||
	    server_watch_fd(s, s->cfg->db_done_fd, TAG_DB) == -1) {
		log_error("server_open", "error=\"%s\"", strerror(errno));
		return -1;
	}
	return 0;
}

/* Closes everything server_open and the loop made. */
static void
server_close(struct server *s)
{
	while (s->conns != NULL)
		server_conn_close(s, s->conns, "shutdown");
	server_reap(s);
	if (s->lfd != -1)
		close(s->lfd);
	if (s->sfd != -1)
		close(s->sfd);
	if (s->ep != -1)
		close(s->ep);
}

/*
 * Runs the event loop until SIGTERM or SIGINT.  Returns 0 on a clean stop,
 * -1 (logged) if the loop could not start.
 */
int
server_run(const struct server_cfg *cfg)
{
	struct server		 s;
	struct epoll_event	 evs[SERVER_EVENTS];
	int			 i, n, rc = -1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.ep = s.lfd = s.sfd = -1;
	s.started_ms = clock_real_ms();
	if (server_open(&s) != 0)
		goto out;
	while (!s.stop) {
		n = epoll_wait(s.ep, evs, SERVER_EVENTS, -1);
		if (n == -1 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_LISTEN)
				server_accept(&s);
			else if (evs[i].data.u64 == TAG_SIGNAL)
				s.stop = 1;
			else if (evs[i].data.u64 == TAG_DB)
				server_db_done(&s);
			else
				server_conn_event(&s, evs[i].data.ptr,
				    evs[i].events);
		}
		server_reap(&s);
	}
	log_info("stopping", "reason=signal");
	rc = 0;
out:
	server_close(&s);
	return rc;
}
