/*
 * The link thread.  Callers queue calls under the lock and wake the thread
 * through an eventfd; the thread frames and writes them, matches replies by
 * the request's message id (the reply's ref) and signals the waiting
 * caller.  A call whose caller gave up is unlinked and freed by the caller;
 * the thread only touches calls under the lock.
 *
 * While the link is down, calls fail at once with APP_EPEER: a page must
 * say "down" quickly instead of hanging.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
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
#include "limits.h"
#include "log.h"
#include "msg.h"
#include "tls.h"
#include "xmalloc.h"

#define CLIENT_OUT_MAX		(16u * 1024 * 1024)
#define CLIENT_CONNECT_MS	2000
#define CLIENT_BACKOFF_MIN_MS	50
#define CLIENT_BACKOFF_MAX_MS	2000

enum call_state {
	CALL_QUEUED,		/* waiting for the link thread */
	CALL_SENT,		/* framed, waiting for the reply */
	CALL_DONE		/* result set */
};

struct call {
	uint64_t		 id;		/* message id once sent */
	enum call_state		 state;
	enum app_err		 result;
	struct buf		 body;		/* request JSON */
	struct json_object	*reply;		/* owned until taken */
	pthread_cond_t		 done;
	struct call		*next;
};

struct client {
	char			 host[256];
	int			 port;
	struct tls_ctx		*tls;		/* borrowed */
	pthread_t		 thread;
	int			 efd;		/* wakes the link thread */
	pthread_mutex_t		 lock;		/* guards what follows */
	struct call		*calls;		/* queued and sent calls */
	int			 stopping;
	struct client_stats	 stats;
	/* Owned by the link thread alone. */
	struct tls_conn		*conn;
	struct frame_decoder	 dec;
	struct buf		 out;
	uint64_t		 tx_id;
	uint64_t		 rx_id;
	int			 want_write;
};

/* Wakes the link thread. */
static void
client_wake(struct client *cl)
{
	uint64_t	 one = 1;

	while (write(cl->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

/* Records link state for /status; call with the lock held. */
static void
client_set_state(struct client *cl, int up, const char *detail)
{
	if (cl->stats.up != up)
		cl->stats.since_ms = clock_real_ms();
	cl->stats.up = up;
	if (up)
		cl->stats.connects++;
	snprintf(cl->stats.detail, sizeof(cl->stats.detail), "%s", detail);
}

/* Finishes every call with result; call with the lock held. */
static void
client_fail_all(struct client *cl, enum app_err result)
{
	struct call	*c;

	while ((c = cl->calls) != NULL) {
		cl->calls = c->next;
		c->next = NULL;
		c->state = CALL_DONE;
		c->result = result;
		pthread_cond_signal(&c->done);
	}
}

/*
 * Opens a TCP connection to host:port within CLIENT_CONNECT_MS.  Returns a
 * connected non-blocking socket, or -1 with the reason in err.
 */
static int
client_dial(struct client *cl, char *err, size_t errlen)
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	socklen_t		 len = sizeof(int);
	int			 fd, soerr = 0, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)cl->port);
	if (inet_pton(AF_INET, cl->host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "worker address is not IPv4");
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, CLIENT_CONNECT_MS) != 1 ||
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
client_handshake(struct client *cl, int fd, char *err, size_t errlen)
{
	struct pollfd	 pfd;
	enum tls_io	 io;
	int64_t		 deadline = clock_mono_ms() + CLIENT_CONNECT_MS;

	if ((cl->conn = tls_conn_new(cl->tls, fd, cl->host)) == NULL) {
		snprintf(err, errlen, "TLS session allocation failed");
		return -1;
	}
	while ((io = tls_conn_handshake(cl->conn)) != TLS_IO_OK) {
		if ((io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE) ||
		    clock_mono_ms() >= deadline) {
			snprintf(err, errlen, "TLS: %s",
			    io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE ?
			    "handshake timed out" : tls_conn_error(cl->conn));
			tls_conn_free(cl->conn);
			cl->conn = NULL;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = io == TLS_IO_WANT_READ ? POLLIN : POLLOUT;
		(void)poll(&pfd, 1, (int)(deadline - clock_mono_ms()));
	}
	return 0;
}

/* Tears the connection down and fails what was in flight. */
static void
client_disconnect(struct client *cl, const char *why)
{
	tls_conn_free(cl->conn);
	cl->conn = NULL;
	frame_decoder_clear(&cl->dec);
	buf_reset(&cl->out);
	pthread_mutex_lock(&cl->lock);
	if (cl->stats.up)
		log_warn("link_down", "worker=%s:%d reason=\"%s\"", cl->host,
		    cl->port, why);
	client_set_state(cl, 0, why);
	client_fail_all(cl, APP_EPEER);
	pthread_mutex_unlock(&cl->lock);
}

/* Queues a frame of type with body on the connection. */
static int
client_send(struct client *cl, uint8_t type, const struct buf *body,
    uint64_t *id)
{
	struct frame_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = type;
	h.id = ++cl->tx_id;
	h.ack = cl->rx_id;
	if (id != NULL)
		*id = h.id;
	return frame_append(&cl->out, &h, body ? body->data : NULL,
	    body ? body->len : 0);
}

/* Frames every queued call; call with the lock held. */
static int
client_send_queued(struct client *cl)
{
	struct call	*c;

	for (c = cl->calls; c != NULL; c = c->next) {
		if (c->state != CALL_QUEUED)
			continue;
		if (client_send(cl, FRAME_REQUEST, &c->body, &c->id) != 0)
			return -1;
		c->state = CALL_SENT;
	}
	return 0;
}

/* Hands a reply to its caller; unknown refs (abandoned calls) are dropped. */
static void
client_reply(struct client *cl, const struct frame_hdr *h,
    const uint8_t *body)
{
	struct call	**pp, *c;
	char		 err[128];

	pthread_mutex_lock(&cl->lock);
	for (pp = &cl->calls; (c = *pp) != NULL; pp = &c->next) {
		if (c->state != CALL_SENT || c->id != h->ref)
			continue;
		*pp = c->next;
		c->next = NULL;
		c->reply = msg_parse(body, h->body_len, err, sizeof(err));
		c->result = c->reply != NULL ? APP_OK : APP_EPROTO;
		if (c->reply == NULL)
			log_warn("bad_reply", "ref=%llu error=\"%s\"",
			    (unsigned long long)h->ref, err);
		c->state = CALL_DONE;
		pthread_cond_signal(&c->done);
		break;
	}
	pthread_mutex_unlock(&cl->lock);
}

/* Reads everything available; -1 when the link broke (why set). */
static int
client_read(struct client *cl, const char **why)
{
	uint8_t			 chunk[16384];
	const uint8_t		*body;
	struct frame_hdr	 h;
	enum frame_status	 fs;
	enum tls_io		 io;
	size_t			 got;

	for (;;) {
		io = tls_conn_read(cl->conn, chunk, sizeof(chunk), &got);
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io == TLS_IO_WANT_WRITE) {
			cl->want_write = 1;
			return 0;
		}
		if (io != TLS_IO_OK) {
			*why = io == TLS_IO_EOF ? "worker closed the link" :
			    tls_conn_error(cl->conn);
			return -1;
		}
		if (frame_decoder_feed(&cl->dec, chunk, got) != 0) {
			*why = "frame buffer full";
			return -1;
		}
		while ((fs = frame_decoder_next(&cl->dec, &h, &body)) ==
		    FRAME_OK) {
			if (h.id > cl->rx_id)
				cl->rx_id = h.id;
			if (h.type == FRAME_REPLY)
				client_reply(cl, &h, body);
		}
		if (fs != FRAME_MORE) {
			*why = frame_strerror(fs);
			return -1;
		}
	}
}

/* Writes queued output; -1 when the link broke. */
static int
client_flush(struct client *cl)
{
	enum tls_io	 io;
	size_t		 put;

	cl->want_write = 0;
	while (cl->out.len > 0) {
		io = tls_conn_write(cl->conn, cl->out.data, cl->out.len, &put);
		if (io == TLS_IO_OK)
			buf_consume(&cl->out, put);
		else if (io == TLS_IO_WANT_WRITE || io == TLS_IO_WANT_READ) {
			cl->want_write = io == TLS_IO_WANT_WRITE;
			return 0;
		} else
			return -1;
	}
	return 0;
}

/* Connects and says hello; 0, or -1 after recording why. */
static int
client_connect(struct client *cl)
{
	char	 err[sizeof(cl->stats.detail)];
	int	 fd;

	if ((fd = client_dial(cl, err, sizeof(err))) == -1 ||
	    client_handshake(cl, fd, err, sizeof(err)) == -1) {
		pthread_mutex_lock(&cl->lock);
		client_set_state(cl, 0, err);
		pthread_mutex_unlock(&cl->lock);
		return -1;
	}
	frame_decoder_init(&cl->dec, LIMIT_FRAME_BODY);
	cl->tx_id = cl->rx_id = 0;
	(void)client_send(cl, FRAME_HELLO, NULL, NULL);
	pthread_mutex_lock(&cl->lock);
	snprintf(err, sizeof(err), "connected to %.64s:%d", cl->host, cl->port);
	client_set_state(cl, 1, err);
	pthread_mutex_unlock(&cl->lock);
	log_info("link_up", "worker=%s:%d", cl->host, cl->port);
	return 0;
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

/* One pass of the connected loop; -1 when the link broke (why set). */
static int
client_step(struct client *cl, const char **why)
{
	struct pollfd	 pfd[2];
	uint64_t	 n;
	int		 rc;

	pfd[0].fd = tls_conn_fd(cl->conn);
	pfd[0].events = POLLIN | (cl->out.len > 0 || cl->want_write ?
	    POLLOUT : 0);
	pfd[1].fd = cl->efd;
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, 1000) == -1 && errno != EINTR) {
		*why = "poll failed";
		return -1;
	}
	if (pfd[1].revents & POLLIN)
		(void)read(cl->efd, &n, sizeof(n));
	pthread_mutex_lock(&cl->lock);
	rc = client_send_queued(cl);
	pthread_mutex_unlock(&cl->lock);
	if (rc != 0) {
		*why = "output over limit";
		return -1;
	}
	if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    client_read(cl, why) != 0)
		return -1;
	if (client_flush(cl) != 0) {
		*why = tls_conn_error(cl->conn);
		return -1;
	}
	return 0;
}

static void *
client_thread(void *arg)
{
	struct client	*cl = arg;
	const char	*why;
	int		 backoff = CLIENT_BACKOFF_MIN_MS;

	while (!client_sleep(cl, 0)) {
		if (client_connect(cl) != 0) {
			/* Full jitter: anywhere in [backoff/2, backoff]. */
			if (client_sleep(cl, backoff / 2 +
			    (int)(random() % (backoff / 2 + 1))))
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
	const char	*colon;
	char		*end;
	long		 port;
	int		 rc;

	colon = strrchr(cfg->worker, ':');
	if (colon == NULL || (size_t)(colon - cfg->worker) >= 256 ||
	    (port = strtol(colon + 1, &end, 10)) < 1 || port > 65535 ||
	    *end != '\0') {
		log_error("config", "key=worker error=\"want host:port\"");
		return NULL;
	}
	cl = xcalloc(1, sizeof(*cl));
	memcpy(cl->host, cfg->worker, (size_t)(colon - cfg->worker));
	cl->port = (int)port;
	cl->tls = cfg->tls;
	buf_init(&cl->out, CLIENT_OUT_MAX);
	pthread_mutex_init(&cl->lock, NULL);
	snprintf(cl->stats.detail, sizeof(cl->stats.detail), "not yet connected");
	if ((cl->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (rc = pthread_create(&cl->thread, NULL, client_thread, cl)) != 0) {
		log_error("client_start", "error=\"cannot start link thread\"");
		if (cl->efd != -1)
			close(cl->efd);
		free(cl);
		return NULL;
	}
	return cl;
}

/* Stops the link thread; pending calls fail with APP_EPEER. */
void
client_stop(struct client *cl)
{
	if (cl == NULL)
		return;
	pthread_mutex_lock(&cl->lock);
	cl->stopping = 1;
	pthread_mutex_unlock(&cl->lock);
	client_wake(cl);
	pthread_join(cl->thread, NULL);
	close(cl->efd);
	buf_clear(&cl->out);
	pthread_mutex_destroy(&cl->lock);
	free(cl);
}

/* Unlinks c from the call list if it is still there; lock held. */
static void
client_unlink(struct client *cl, struct call *c)
{
	struct call	**pp;

	for (pp = &cl->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

/*
 * Sends req and waits up to timeout_ms for the reply.  Returns APP_OK with
 * *reply set (a reference the caller puts), APP_EPEER when the link is down
 * or drops before the reply, APP_ETIMEDOUT past the deadline, APP_EPROTO
 * for an unreadable reply, APP_EINVAL for a request over the frame limit.
 */
enum app_err
client_call(struct client *cl, struct json_object *req, int timeout_ms,
    struct json_object **reply)
{
	pthread_condattr_t	 attr;
	struct timespec		 deadline;
	struct call		*c;
	enum app_err		 result;

	c = xcalloc(1, sizeof(*c));
	buf_init(&c->body, LIMIT_FRAME_BODY);
	if (msg_serialize(req, &c->body) != 0) {
		buf_clear(&c->body);
		free(c);
		return APP_EINVAL;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &attr);
	pthread_condattr_destroy(&attr);
	clock_abs_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&cl->lock);
	if (!cl->stats.up) {
		c->state = CALL_DONE;
		c->result = APP_EPEER;
	} else {
		c->next = cl->calls;
		cl->calls = c;
		client_wake(cl);
	}
	while (c->state != CALL_DONE)
		if (pthread_cond_timedwait(&c->done, &cl->lock, &deadline) ==
		    ETIMEDOUT && c->state != CALL_DONE) {
			client_unlink(cl, c);
			c->result = APP_ETIMEDOUT;
			break;
		}
	pthread_mutex_unlock(&cl->lock);
	result = c->result;
	if (result == APP_OK)
		*reply = c->reply;
	else
		json_object_put(c->reply);
	pthread_cond_destroy(&c->done);
	buf_clear(&c->body);
	free(c);
	return result;
}

/* Copies the link's state for /status. */
void
client_stats(struct client *cl, struct client_stats *out)
{
	pthread_mutex_lock(&cl->lock);
	*out = cl->stats;
	pthread_mutex_unlock(&cl->lock);
}
