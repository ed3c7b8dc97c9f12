/*
 * The link server.  Each connection is a common/linkconn.h (TLS, frame
 * decoder, output buffer) plus what the server knows of it (peer, session,
 * HELLO deadline); level-triggered epoll watches for input always and for
 * output only while the connection wants to write.  Replies and notices
 * are written at the end of the loop's turn, once per connection
 * (server_flush), not as each is made.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "faultfile.h"
#include "frame.h"
#include "hostport.h"
#include "abc_limits.h"
#include "linkconn.h"
#include "log.h"
#include "msg.h"
#include "server.h"
#include "ops.h"
#include "session.h"
#include "tls.h"
#include "xmalloc.h"

/* Bytes a connection may have queued for writing before it is cut. */
#define SERVER_WIRE_MAX	(64u * 1024 * 1024)
#define SERVER_EVENTS	64

struct conn {
	uint64_t		 id;		/* never reused */
	struct linkconn		 lc;		/* TLS, decoder, wire */
	int			 handshaken;
	uint32_t		 events;	/* registered with epoll */
	struct session		*sess;		/* borrowed; NULL before HELLO */
	int64_t			 hello_by;	/* close unless HELLO'd by then */
	char			 peer[LIMIT_PEER_NAME + 1]; /* certificate CN */
	int			 closed;	/* on the dead list */
	int			 queued;	/* on the flush list */
	struct conn		*next;
	struct conn		*flush_next;	/* the flush list */
};

struct server {
	const struct server_cfg	*cfg;
	int			 ep;
	int			 lfd;
	int			 sfd;
	uint64_t		 next_conn_id;
	struct conn		*conns;		/* owned list */
	int			 nconns;	/* on that list */
	uint64_t		 refused;	/* over max_conns, not yet logged */
	int64_t			 refused_log_ms; /* last such log line */
	struct conn		*dead;		/* closed, freed after the batch */
	struct conn		*flush;		/* output due, written at the
						 * end of the loop's turn */
	struct session_table	 sessions;
	struct ops		*ops;		/* owned */
	int64_t			 epoch;		/* this incarnation, random */
	int64_t			 notice_seq;	/* last broadcast number */
	int64_t			 drain_until;	/* 0 unless draining */
	int			 stop;
};

static void	server_conn_close(struct server *, struct conn *, const char *);
static void	server_conn_event(struct server *, struct conn *, uint32_t);
static int64_t	server_hello_deadlines(struct server *, int64_t, int64_t);

/*
 * Returns non-zero when cn is exactly one of the configured front-end
 * names.  An empty cn (tls.c: no usable CN) is never one.
 */
int
server_client_known(const struct server_cfg *cfg, const char *cn)
{
	size_t	 i;

	if (cn[0] == '\0')
		return 0;
	for (i = 0; i < cfg->nclients; i++)
		if (strcmp(cfg->clients[i], cn) == 0)
			return 1;
	return 0;
}

/* Opens the listening socket; returns the fd or -1 (logged). */
static int
server_listen(const char *addr)
{
	struct sockaddr_storage	 ss;
	struct hostport		 hp;
	socklen_t		 sslen;
	char			 err[128];
	int			 fd, one = 1;

	if (hostport_parse(addr, &hp, err, sizeof(err)) != 0) {
		log_error("listen", "addr=\"%s\" error=\"%s\"", addr, err);
		return -1;
	}
	if (hostport_sockaddr(&hp, &ss, &sslen) != 0) {
		log_error("listen", "addr=\"%s\" error=\"want an IP "
		    "address\"", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sslen) == -1 ||
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

	if (linkconn_wants_write(&c->lc))
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(s->ep, EPOLL_CTL_MOD, linkconn_fd(&c->lc), &ev) == 0)
		c->events = want;
}

/*
 * Notes that the session has output due.  Its connection goes on the
 * flush list, which server_flush empties at the end of the event loop's
 * turn: every reply and notice of one turn (a batch of database jobs
 * finishes in one) leaves in one TLS write per connection, not one each.
 * Sessions without a connection keep everything for the next one.
 */
static void
server_pump(struct server *s, struct session *sess)
{
	struct conn	*c = sess->conn;

	if (c == NULL || c->closed || c->queued)
		return;
	c->queued = 1;
	c->flush_next = s->flush;
	s->flush = c;
}

/*
 * Moves what each connection on the flush list has due onto its wire and
 * writes it (or closes it, see server_conn_event).  Runs before
 * server_reap, so a connection closed meanwhile is still allocated.
 */
static void
server_flush(struct server *s)
{
	struct conn	*c;

	while ((c = s->flush) != NULL) {
		s->flush = c->flush_next;
		c->queued = 0;
		if (c->closed || c->sess == NULL)
			continue;
		(void)link_session_pump(&c->sess->ls, &c->lc.wire,
		    clock_mono_ms());
		server_conn_event(s, c, 0);
	}
}

/*
 * Queues a reply to request req_no on the session.  A reply too big for a
 * frame goes out as the error "reply too large" (logged) instead.  The
 * log is sized so that replies always fit (notices give way first); if it
 * is full anyway the reply is dropped and logged, and the client's
 * request stays unanswered until it reconnects to a new incarnation.
 */
static void
server_push_reply(struct server *s, struct session *sess, uint64_t req_no,
    struct json_object *reply)
{
	struct buf	 body;
	int		 rc;

	buf_init(&body, LIMIT_FRAME_BODY);
	if ((rc = msg_serialize_reply(reply, &body)) == 1)
		log_error("reply_too_large", "client=%s req=%" PRIu64
		    " error=\"over %u bytes; answered with an error\"",
		    sess->client, req_no, LIMIT_FRAME_BODY);
	if (rc == -1 || link_out_push(&sess->ls.out, FRAME_REPLY, req_no,
	    body.data, body.len, 0, NULL) != 0)
		log_error("reply_dropped", "client=%s req=%" PRIu64
		    " error=\"log full\"", sess->client, req_no);
	buf_clear(&body);
	server_pump(s, sess);
}

/* ops_status_fn: the facts come from their owner (cfg->status). */
static void
server_status(void *arg, struct json_object *rep)
{
	struct server	*s = arg;

	if (s->cfg->status != NULL)
		s->cfg->status(s->cfg->status_arg, rep);
}

/*
 * Sends notice (a JSON object with at least "kind") to every session,
 * numbered in the broadcast sequence (the frame's ref).  A session whose
 * log is too full to take it is marked: its client sees the gap in the
 * numbers and revalidates its cache.
 */
void
server_broadcast(struct server *s, struct json_object *notice)
{
	struct session	*sess;
	struct buf	 body;

	s->notice_seq++;
	buf_init(&body, LIMIT_FRAME_BODY);
	if (msg_serialize(notice, &body) != 0) {
		log_error("notice_dropped", "seq=%" PRId64 " error=\"too large\"",
		    s->notice_seq);
		buf_clear(&body);
		return;
	}
	for (sess = s->sessions.head; sess != NULL; sess = sess->next) {
		if (sess->ls.out.count >= SESSION_NOTICE_ROOM ||
		    link_out_push(&sess->ls.out, FRAME_NOTICE, (uint64_t)
		    s->notice_seq, body.data, body.len, 0, NULL) != 0) {
			sess->notice_gap = 1;
			continue;
		}
		server_pump(s, sess);
	}
	buf_clear(&body);
}

/* ops_notice_fn: a request's notice goes to every abc-web. */
static void
server_notice(void *arg, struct json_object *notice)
{
	server_broadcast(arg, notice);
}

/* Delivers a finished call's reply to its session, if it still exists. */
static void
server_call_reply(void *arg, const char *client, int64_t epoch,
    uint64_t req_no, struct json_object *reply)
{
	struct server	*s = arg;
	struct session	*sess;

	if ((sess = session_find(&s->sessions, client, epoch)) == NULL)
		return;		/* forgotten: request_log answers a resend */
	(void)session_inflight_del(sess, req_no);
	server_push_reply(s, sess, req_no, reply);
}

/*
 * Handles a newly delivered REQUEST.  Its identity is (client, epoch,
 * ref); one already in progress is not started twice.  While draining,
 * requests are left unanswered: the client resends them to our successor.
 */
static void
server_request(struct server *s, struct session *sess,
    const struct frame_hdr *h, const uint8_t *body)
{
	struct json_object	*req, *rep;
	char			 err[128];

	if (s->drain_until != 0 || session_inflight_has(sess, h->ref))
		return;
	if (h->ref == 0 ||
	    (req = msg_parse(body, h->body_len, err, sizeof(err))) == NULL) {
		log_warn("bad_request", "client=%s req=%" PRIu64, sess->client,
		    h->ref);
		rep = msg_reply_error("malformed request");
		server_push_reply(s, sess, h->ref, rep);
		json_object_put(rep);
		return;
	}
	(void)session_inflight_add(sess, h->ref);
	ops_start(s->ops, sess->client, sess->epoch, h->ref, req);
}

/*
 * Attaches connection c to its session on HELLO and answers with ours.
 * The session resumes only if the client last spoke to this very
 * incarnation; otherwise its delivery state starts afresh (the client
 * renumbers and resends whatever still lacks a reply).
 */
static int
server_hello(struct server *s, struct conn *c, const struct frame_hdr *h,
    const uint8_t *body)
{
	struct msg_hello	 in, out;
	struct session		*sess;
	int			 rc;

	if (h->type != FRAME_HELLO ||
	    msg_hello_decode(body, h->body_len, &in) != 0) {
		log_warn("bad_hello", "conn=%" PRIu64 " peer=%s", c->id, c->peer);
		return -1;
	}
	sess = session_find(&s->sessions, c->peer, in.epoch);
	if (sess != NULL && sess->conn != NULL)
		server_conn_close(s, sess->conn, "replaced by a new connection");
	memset(&out, 0, sizeof(out));
	out.resumed = sess != NULL && in.peer_epoch == s->epoch;
	if (sess == NULL)
		sess = session_create(&s->sessions, c->peer, in.epoch);
	link_session_resume(&sess->ls, !out.resumed, (uint64_t)in.rx,
	    clock_mono_ms());
	sess->conn = c;
	c->sess = sess;
	out.epoch = s->epoch;
	out.peer_epoch = in.epoch;
	out.rx = (int64_t)sess->ls.rx.cum;
	out.notice_seq = s->notice_seq;
	rc = linkconn_append_hello(&c->lc, &out);
	log_info("session", "client=%s epoch=%" PRId64 " resumed=%d", c->peer,
	    in.epoch, out.resumed);
	return rc;
}

/* Dispatches one decoded frame; -1 closes the connection. */
static int
server_frame(struct server *s, struct conn *c, const struct frame_hdr *h,
    const uint8_t *body)
{
	if (c->sess == NULL)
		return server_hello(s, c, h, body);
	if (link_session_receive(&c->sess->ls, h, clock_mono_ms()) !=
	    LINK_RX_NEW)
		return h->type == FRAME_HELLO || h->type == FRAME_CLOSE ? -1 : 0;
	switch (h->type) {
	case FRAME_REQUEST:
		server_request(s, c->sess, h, body);
		return 0;
	case FRAME_PING:
		return 0;
	default:
		log_warn("bad_frame", "peer=%s type=%s", c->peer,
		    frame_type_name(h->type));
		return -1;
	}
}

/* Context of server_conn_frame, the frame_fn of a connection. */
struct conn_rx {
	struct server	*s;
	struct conn	*c;
};

/* frame_fn: handles one frame of a connection; non-zero closes it. */
static int
server_conn_frame(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	struct conn_rx	*rx = arg;

	return server_frame(rx->s, rx->c, h, body) != 0 || rx->c->closed;
}

/*
 * Reads and handles everything TLS has.  Returns 0, or -1 with the reason
 * in *why when the connection must close.
 */
static int
server_conn_read(struct server *s, struct conn *c, const char **why)
{
	struct conn_rx		 rx = { s, c };

	switch (linkconn_read(&c->lc, server_conn_frame, &rx, why)) {
	case LINKCONN_OK:
		return 0;
	case LINKCONN_EFRAME:
		log_warn("frame_error", "peer=%s error=\"%s\"", c->peer, *why);
		return -1;
	case LINKCONN_STOPPED:
		*why = "protocol error";
		return -1;
	default:
		return -1;
	}
}

/* Drives the handshake, then checks the peer; -1 on failure (logged). */
static int
server_conn_handshake(struct server *s, struct conn *c)
{
	enum tls_io	 io;

	io = linkconn_handshake(&c->lc);
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
		return 0;
	if (io != TLS_IO_OK) {
		log_warn("handshake_failed", "conn=%" PRIu64 " error=\"%s\"",
		    c->id, tls_conn_error(c->lc.tls));
		return -1;
	}
	snprintf(c->peer, sizeof(c->peer), "%s",
	    tls_conn_peer_name(c->lc.tls));
	if (!server_client_known(s->cfg, c->peer)) {
		/* The CN is printable and bounded (tls.c), or empty. */
		log_warn("link_refused", "conn=%" PRIu64 " peer=\"%s\" "
		    "reason=\"certificate CN is not in link_clients\"", c->id,
		    c->peer);
		return -1;
	}
	c->handshaken = 1;
	log_info("link_up", "conn=%" PRIu64 " peer=%s", c->id, c->peer);
	return 0;
}

/* Handles readiness on connection c (events 0: just pump and flush). */
static void
server_conn_event(struct server *s, struct conn *c, uint32_t events)
{
	const char	*why = NULL;

	if (c->closed)
		return;
	if (!c->handshaken) {
		if (server_conn_handshake(s, c) != 0)
			why = "handshake";
	} else if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    server_conn_read(s, c, &why) != 0 && why == NULL)
		why = "closed by peer";
	if (c->closed)
		return;
	if (why == NULL && c->handshaken && c->sess != NULL &&
	    (events & EPOLLIN))
		(void)link_session_pump(&c->sess->ls, &c->lc.wire,
		    clock_mono_ms());
	if (why == NULL && c->handshaken && linkconn_flush(&c->lc) != 0)
		why = tls_conn_error(c->lc.tls);
	if (why == NULL && c->lc.wire.len > SERVER_WIRE_MAX)
		why = "output backlog over limit";
	if (why != NULL) {
		server_conn_close(s, c, why);
		return;
	}
	server_conn_watch(s, c);
}

/*
 * Closes fd, a connection over max_conns.  Refusals are logged at most
 * once a second, with their count, so a flood cannot flood the log.
 */
static void
server_refuse(struct server *s, int fd)
{
	int64_t	 now = clock_mono_ms();

	close(fd);
	s->refused++;
	if (now - s->refused_log_ms < 1000)
		return;
	log_warn("link_refused", "reason=\"too many connections\" open=%d "
	    "max=%d refused=%" PRIu64, s->nconns, s->cfg->max_conns,
	    s->refused);
	s->refused = 0;
	s->refused_log_ms = now;
}

/* Accepts every pending connection, up to max_conns open. */
static void
server_accept(struct server *s)
{
	struct epoll_event	 ev;
	struct tls_conn		*tls;
	struct conn		*c;
	int			 fd, one = 1;

	while ((fd = accept4(s->lfd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		if (s->nconns >= s->cfg->max_conns) {
			server_refuse(s, fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if ((tls = tls_conn_new(s->cfg->tls, fd, NULL)) == NULL)
			continue;
		c = xcalloc(1, sizeof(*c));
		linkconn_init(&c->lc, SERVER_WIRE_MAX + FRAME_HDR_LEN +
		    LIMIT_FRAME_BODY);
		linkconn_open(&c->lc, tls);
		c->id = ++s->next_conn_id;
		c->hello_by = clock_mono_ms() + s->cfg->hello_ms;
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
		memset(&ev, 0, sizeof(ev));
		ev.events = c->events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			server_conn_close(s, c, "epoll_ctl");
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept", "error=\"%s\"", strerror(errno));
}

/*
 * Unlinks c, detaches its session and closes its socket.  The struct is
 * freed after the current batch of epoll events, which may still point at
 * it.
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
			s->nconns--;
			break;
		}
	if (c->handshaken)
		log_info("link_down", "conn=%" PRIu64 " peer=%s reason=\"%s\"",
		    c->id, c->peer, why);
	if (c->sess != NULL) {
		c->sess->conn = NULL;
		c->sess->away_ms = clock_mono_ms();
		c->sess = NULL;
	}
	(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, linkconn_fd(&c->lc), NULL);
	linkconn_clear(&c->lc);
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

/* Drains an eventfd. */
static void
server_eventfd_read(int fd)
{
	uint64_t	 n;

	while (read(fd, &n, sizeof(n)) == -1 && errno == EINTR)
		continue;
}

/*
 * Timers: retransmissions, bare acks and fault-injected cuts of every
 * connected session.  Returns the milliseconds until the next one (at most
 * one second, so that expiry and draining are checked regularly).
 */
static int
server_timers(struct server *s)
{
	struct session	*sess;
	int64_t		 now = clock_mono_ms(), next, wait = 1000;

	wait = server_hello_deadlines(s, now, wait);
	for (sess = s->sessions.head; sess != NULL; sess = sess->next) {
		if (sess->conn == NULL)
			continue;
		if (link_session_should_cut(&sess->ls, now)) {
			server_conn_close(s, sess->conn, "fault injection cut");
			continue;
		}
		next = link_session_next_ms(&sess->ls, now);
		if (next != -1 && next <= now) {
			(void)link_session_pump(&sess->ls,
			    &sess->conn->lc.wire, now);
			server_pump(s, sess);
			next = link_session_next_ms(&sess->ls, now);
		}
		if (next != -1 && next - now < wait)
			wait = next - now > 0 ? next - now : 1;
	}
	(void)session_expire(&s->sessions, now);
	return (int)wait;
}

/*
 * Closes every connection that has not finished its handshake and HELLO
 * by its deadline: a silent or slow peer must not hold a slot for long.
 * Returns wait, lowered to the next deadline still ahead.
 */
static int64_t
server_hello_deadlines(struct server *s, int64_t now, int64_t wait)
{
	struct conn	*c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->sess != NULL)
			continue;
		if (now >= c->hello_by) {
			log_warn("link_timeout", "conn=%" PRIu64 " peer=\"%s\" "
			    "reason=\"no %s within %d ms\"", c->id, c->peer,
			    c->handshaken ? "HELLO" : "TLS handshake",
			    s->cfg->hello_ms);
			server_conn_close(s, c, "hello timeout");
		} else if (c->hello_by - now < wait)
			wait = c->hello_by - now;
	}
	return wait;
}

/*
 * Returns non-zero once a drain may end: no request in flight and every
 * connected session's replies acknowledged, or the deadline passed.
 */
static int
server_drained(struct server *s)
{
	struct session	*sess;

	if (clock_mono_ms() >= s->drain_until)
		return 1;
	for (sess = s->sessions.head; sess != NULL; sess = sess->next)
		if (sess->ninflight > 0 ||
		    (sess->conn != NULL && sess->ls.out.count > 0))
			return 0;
	return 1;
}

/* Starts draining: stop accepting; requests already taken go on. */
static void
server_drain_begin(struct server *s)
{
	if (s->drain_until != 0)
		return;
	s->drain_until = clock_mono_ms() + s->cfg->drain_ms;
	(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
	close(s->lfd);
	s->lfd = -1;
	log_info("draining", "deadline_ms=%d", s->cfg->drain_ms);
}

/* Ends a drain: a CLOSE with the drain flag on every link, flushed. */
static void
server_drain_end(struct server *s)
{
	struct conn		*c;

	for (c = s->conns; c != NULL; c = c->next)
		if (c->sess != NULL && linkconn_append(&c->lc, FRAME_CLOSE,
		    FRAME_F_DRAIN, NULL, 0) == 0)
			(void)linkconn_flush(&c->lc);
	s->stop = 1;
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
#define TAG_KDF		4
#define TAG_CHAIN	5
#define TAG_WAKE	16	/* + index into cfg->wakes */

/* Sets up epoll, the listener and the signalfd; 0, or -1 logged. */
static int
server_open(struct server *s)
{
	sigset_t	 mask;
	size_t		 i;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR2);
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
	    server_watch_fd(s, s->cfg->db_done_fd, TAG_DB) == -1 ||
	    server_watch_fd(s, s->cfg->kdf_done_fd, TAG_KDF) == -1 ||
	    server_watch_fd(s, s->cfg->chain_done_fd, TAG_CHAIN) == -1) {
		log_error("server_open", "error=\"%s\"", strerror(errno));
		return -1;
	}
	if (s->cfg->nwakes > SERVER_WAKES_MAX) {
		log_error("server_open", "error=\"over %d wake fds\"",
		    SERVER_WAKES_MAX);
		return -1;
	}
	for (i = 0; i < s->cfg->nwakes; i++)
		if (server_watch_fd(s, s->cfg->wakes[i].fd, TAG_WAKE + i) ==
		    -1) {
			log_error("server_open", "error=\"%s\"",
			    strerror(errno));
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
	s->flush = NULL;
	server_reap(s);
	session_table_clear(&s->sessions);
	ops_free(s->ops);
	if (s->lfd != -1)
		close(s->lfd);
	if (s->sfd != -1)
		close(s->sfd);
	if (s->ep != -1)
		close(s->ep);
}

/* The request engine, answering through this server. */
static struct ops *
server_ops_new(struct server *s)
{
	struct ops_cfg	 oc = s->cfg->ops;

	oc.reply = server_call_reply;
	oc.notice = server_notice;
	oc.status = server_status;
	oc.arg = s;
	return ops_new(&oc);
}

/*
 * SIGUSR2: new runtime faults for every session, now and to come; any
 * other signal (SIGTERM, SIGINT) starts the drain.
 */
static void
server_signal(struct server *s, uint32_t signo)
{
	struct link_fault	 f;

	if (signo != SIGUSR2) {
		server_drain_begin(s);
		return;
	}
	if (faultfile_reload(s->cfg->fault_file, &f) == 0)
		session_table_set_fault(&s->sessions, &f, clock_mono_ms());
}

/* Handles one batch of epoll events. */
static void
server_events(struct server *s, struct epoll_event *evs, int n)
{
	struct signalfd_siginfo	 si;
	const struct server_wake *w;
	int			 i;

	for (i = 0; i < n; i++) {
		if (evs[i].data.u64 == TAG_LISTEN)
			server_accept(s);
		else if (evs[i].data.u64 == TAG_SIGNAL) {
			while (read(s->sfd, &si, sizeof(si)) == sizeof(si))
				server_signal(s, si.ssi_signo);
		} else if (evs[i].data.u64 == TAG_DB) {
			server_eventfd_read(s->cfg->db_done_fd);
			ops_db_done(s->ops);
		} else if (evs[i].data.u64 == TAG_KDF) {
			server_eventfd_read(s->cfg->kdf_done_fd);
			ops_kdf_done(s->ops);
		} else if (evs[i].data.u64 == TAG_CHAIN) {
			server_eventfd_read(s->cfg->chain_done_fd);
			ops_chain_done(s->ops);
		} else if (evs[i].data.u64 >= TAG_WAKE &&
		    evs[i].data.u64 < TAG_WAKE + SERVER_WAKES_MAX) {
			w = &s->cfg->wakes[evs[i].data.u64 - TAG_WAKE];
			server_eventfd_read(w->fd);
			w->fn(s, w->arg);
		} else
			server_conn_event(s, evs[i].data.ptr, evs[i].events);
	}
}

/*
 * Runs the event loop until a drain finishes.  Returns 0 on a clean stop,
 * -1 (logged) if the loop could not start.
 */
int
server_run(const struct server_cfg *cfg)
{
	struct server		 s;
	struct epoll_event	 evs[SERVER_EVENTS];
	int			 n, wait = 0, rc = -1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.ep = s.lfd = s.sfd = -1;
	s.epoch = link_new_epoch();
	session_table_init(&s.sessions, &cfg->fault);
	s.ops = server_ops_new(&s);
	if (server_open(&s) != 0)
		goto out;
	log_info("started", "epoch=%" PRId64, s.epoch);
	while (!s.stop) {
		n = epoll_wait(s.ep, evs, SERVER_EVENTS, wait);
		if (n == -1 && errno != EINTR) {
			log_error("epoll_wait", "error=\"%s\"", strerror(errno));
			goto out;
		}
		if (n > 0)
			server_events(&s, evs, n);
		wait = server_timers(&s);
		server_flush(&s);
		server_reap(&s);
		if (s.drain_until != 0 && server_drained(&s))
			server_drain_end(&s);
	}
	log_info("stopped", "reason=drained");
	rc = 0;
out:
	server_close(&s);
	return rc;
}
