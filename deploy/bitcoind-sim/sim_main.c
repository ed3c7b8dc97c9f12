/*
 * abc-bitcoind-sim: a stand-in for bitcoind's JSON-RPC server on regtest.
 *
 * This file holds the command line, the listening socket, the cookie file
 * and a single-threaded poll(2) loop over non-blocking connections.  Each
 * connection buffers its input, hands complete requests to sim_rpc one at
 * a time, in order, and queues the replies; pipelining and keep-alive
 * work, idle connections are dropped after 30 s like -rpcservertimeout.
 * Nothing a client sends can end the process.  SIGTERM and SIGINT make
 * the loop exit cleanly, removing the cookie file as bitcoind does.
 * abcsim_down closes the listener and every other connection for a while
 * (clients then see "connection refused", as with a stopped bitcoind);
 * the listener reopens on the same address after that time or at once on
 * SIGUSR1.
 *
 * Memory: the process environment (struct server, the one file-static
 * pointer) owns every connection, the RPC layer and the chain; each
 * struct conn owns its buffers and file descriptor.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf.h"
#include "sim_chain.h"
#include "sim_http.h"
#include "sim_log.h"
#include "sim_rpc.h"
#include "xmalloc.h"

/* Most simultaneous client connections; more are closed on accept. */
#define SIM_MAX_CLIENTS		512
/* Idle time after which a connection is closed (-rpcservertimeout). */
#define SIM_IDLE_MS		30000
/* Time allowed for a client to close after our final reply. */
#define SIM_LINGER_MS		2000
/* Stop reading from a client while this much output is unsent. */
#define SIM_MAX_PENDING_OUT	(16u * 1024u * 1024u)
/* Bytes read per read(2) call. */
#define SIM_READ_CHUNK		65536u

/* Startup configuration, read-only once parsed. */
struct config {
	const char	*listen;	/* borrowed from argv */
	const char	*datadir;	/* borrowed from argv */
	const char	*rpcuser;	/* borrowed from argv, may be NULL */
	const char	*rpcpassword;	/* borrowed (argv or passbuf), or NULL */
	char		*passbuf;	/* owned: from --rpcpassword-file */
	char		*cookiefile;	/* owned, NULL with user/password */
	int64_t		 warmup;	/* seconds of warm-up at start */
	const char	*wallet;	/* borrowed: the wallet's name */
	int		 allow_nonloopback; /* bool */
};

/* One client connection. */
struct conn {
	int		 fd;		/* owned */
	struct sim_buf	 in;		/* owned: bytes not yet consumed */
	struct sim_buf	 out;		/* owned: reply bytes */
	size_t		 out_pos;	/* bytes of "out" already sent */
	int64_t		 hold_until;	/* do not send before (ms) */
	int64_t		 last_active;	/* ms */
	int		 closing;	/* bool: close once "out" is sent */
	int		 lingering;	/* bool: SHUT_WR done, draining */
	int		 peer_eof;	/* bool: client closed its side */
	int		 continue_sent;	/* bool: 100 Continue sent */
	int		 dead;		/* bool: to be freed this round */
	char		 peer[64];	/* printable peer address */
};

struct server {
	struct config	 cf;
	int		 lfd;		/* owned listening socket */
	struct conn	*conns[SIM_MAX_CLIENTS]; /* owned, nconns used */
	size_t		 nconns;
	struct sim_chain *chain;	/* owned */
	struct sim_rpc	*rpc;		/* owned */
	char		*userpass;	/* owned "user:password" */
	struct sockaddr_storage bound;	/* where the listener was bound */
	socklen_t	 boundlen;
	int64_t		 reopen_at;	/* ms; listener down until then */
};

static struct server		*env;
static volatile sig_atomic_t	 quit_signal;
static volatile sig_atomic_t	 up_signal;

static void	usage(void) __attribute__((noreturn));
static int	parse_num(const char *s, long long min, long long max,
		    long long *out);
static void	parse_args(int argc, char *argv[], struct config *cf);
static int64_t	now_ms(void);
static void	on_signal(int sig);
static int	setup_signals(void);
static int	addr_is_loopback(const struct sockaddr *sa);
static int	listen_open(const struct config *cf);
static int	cookie_write(const char *path, char **userpass);
static int	datadir_prepare(const char *dir);
static void	conn_accept(void);
static void	conn_free(struct conn *c);
static void	conn_read(struct conn *c);
static void	conn_write(struct conn *c);
static void	conn_respond(struct conn *c, const struct sim_http_req *req);
static void	conn_process(struct conn *c);
static void	conn_timeouts(struct conn *c, int64_t now);
static int	poll_timeout(int64_t now);
static void	serve(void);
static void	shutdown_all(void);
static void	on_usr1(int sig);
static void	listener_down(struct conn *keep, int64_t secs);
static void	listener_up(void);

/* Print the command line summary and exit with status 1. */
static void
usage(void)
{
	fprintf(stderr, "usage: abc-bitcoind-sim --listen ADDR:PORT "
	    "--datadir DIR\n"
	    "    [--rpcuser USER (--rpcpassword PASS | --rpcpassword-file F)\n"
	    "     | --rpccookiefile PATH]\n"
	    "    [--warmup SECONDS] [--wallet NAME] [--allow-nonloopback]\n");
	exit(1);
}

/* strtonum-like: decimal integer in [min, max].  Returns 0 or -1. */
static int
parse_num(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Fill "cf" from the command line; exits on any mistake. */
static void
parse_args(int argc, char *argv[], struct config *cf)
{
	static const struct option	 opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "datadir", required_argument, NULL, 'd' },
		{ "rpcuser", required_argument, NULL, 'u' },
		{ "rpcpassword", required_argument, NULL, 'p' },
		{ "rpcpassword-file", required_argument, NULL, 'P' },
		{ "rpccookiefile", required_argument, NULL, 'c' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "allow-nonloopback", no_argument, NULL, 'A' },
		{ "wallet", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*cookie, *passfile;
	char		 err[256];
	long long	 n;
	size_t		 len;
	int		 ch;

	memset(cf, 0, sizeof(*cf));
	cf->wallet = "abc";
	cookie = passfile = NULL;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': cf->listen = optarg; break;
		case 'd': cf->datadir = optarg; break;
		case 'u': cf->rpcuser = optarg; break;
		case 'p': cf->rpcpassword = optarg; break;
		case 'P': passfile = optarg; break;
		case 'c': cookie = optarg; break;
		case 'A': cf->allow_nonloopback = 1; break;
		case 'W': cf->wallet = optarg; break;
		case 'w':
			if (parse_num(optarg, 0, SIM_RPC_MAX_WARMUP,
			    &n) == -1) {
				fprintf(stderr, "--warmup: 0..%d seconds\n",
				    SIM_RPC_MAX_WARMUP);
				exit(1);
			}
			cf->warmup = n;
			break;
		default:
			usage();
		}
	}
	if (passfile != NULL && cf->rpcpassword != NULL)
		usage();
	/* From a file, so that ps does not show it (deploy/lib.sh uses it). */
	if (passfile != NULL) {
		cf->passbuf = conf_secret_file(passfile, "--rpcpassword-file",
		    err, sizeof(err));
		if (cf->passbuf == NULL) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
		cf->rpcpassword = cf->passbuf;
	}
	if (optind != argc || cf->listen == NULL || cf->datadir == NULL ||
	    (cf->rpcuser == NULL) != (cf->rpcpassword == NULL) ||
	    (cf->rpcuser != NULL && cookie != NULL))
		usage();
	if (strlen(cf->wallet) > SIM_RPC_WALLET_MAX) {
		fprintf(stderr, "--wallet: at most %d bytes\n",
		    SIM_RPC_WALLET_MAX);
		exit(1);
	}
	if (cf->rpcuser != NULL && strchr(cf->rpcuser, ':') != NULL) {
		fprintf(stderr, "--rpcuser must not contain ':'\n");
		exit(1);
	}
	if (cf->rpcuser != NULL)
		return;
	/* Like -rpccookiefile: relative paths are inside the datadir. */
	if (cookie == NULL)
		cookie = ".cookie";
	if (cookie[0] == '/')
		cf->cookiefile = xstrdup(cookie);
	else {
		len = strlen(cf->datadir) + strlen(cookie) + 2;
		cf->cookiefile = xmalloc(len);
		(void)snprintf(cf->cookiefile, len, "%s/%s", cf->datadir,
		    cookie);
	}
}

/* Monotonic clock in milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGUSR1: reopen a closed listener now. */
static void
on_usr1(int sig)
{
	(void)sig;
	up_signal = 1;
}

/* SIGTERM/SIGINT: ask the loop to stop. */
static void
on_signal(int sig)
{
	quit_signal = sig;
}

/*
 * Install the handlers without SA_RESTART so poll(2) returns EINTR at
 * once, and ignore SIGPIPE (writes also use MSG_NOSIGNAL).
 */
static int
setup_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = on_usr1;
	if (sigaction(SIGUSR1, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static int
addr_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    s6->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

/*
 * Open the listening socket for "HOST:PORT" or "[V6]:PORT" (numeric host;
 * port 0 picks a free port, which is logged).  Returns the fd or -1.
 */
static int
listen_open(const struct config *cf)
{
	struct addrinfo		 hints, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[256], *colon, *port;
	char			 shost[NI_MAXHOST], sport[NI_MAXSERV];
	int			 fd, one, rc;

	rc = snprintf(host, sizeof(host), "%s", cf->listen);
	if (rc < 0 || (size_t)rc >= sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL) {
		sim_log("error", "listen", "reason=bad_address");
		return -1;
	}
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		sim_log("error", "listen", "reason=\"%s\"", gai_strerror(rc));
		return -1;
	}
	if (!cf->allow_nonloopback && !addr_is_loopback(ai->ai_addr)) {
		sim_log("error", "listen", "reason=not_loopback hint="
		    "--allow-nonloopback");
		freeaddrinfo(ai);
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	one = 1;
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1) {
		sim_log("error", "listen", "errno=%d reason=\"%s\"", errno,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		env->bound = ss;
		env->boundlen = sslen;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, shost, sizeof(shost),
	    sport, sizeof(sport), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		sim_log("info", "listening", "addr=%s port=%s", shost, sport);
	return fd;
}

/*
 * Write "__cookie__:<64 hex>" to "path" (mode 0600, via a temp file and
 * rename, as bitcoind does) and return the credentials in "*userpass"
 * (owned by the caller).  Returns 0 or -1 (logged).
 */
static int
cookie_write(const char *path, char **userpass)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 rnd[32];
	char			 text[sizeof("__cookie__:") + 64], *tmp;
	size_t			 i, n, len;
	int			 fd, rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	n = sizeof("__cookie__:") - 1;
	memcpy(text, "__cookie__:", n);
	for (i = 0; i < sizeof(rnd); i++) {
		text[n++] = hex[rnd[i] >> 4];
		text[n++] = hex[rnd[i] & 0xf];
	}
	text[n] = '\0';
	len = strlen(path) + sizeof(".tmp");
	tmp = xmalloc(len);
	(void)snprintf(tmp, len, "%s.tmp", path);
	rc = -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (write(fd, text, n) == (ssize_t)n && close(fd) == 0 &&
		    rename(tmp, path) == 0)
			rc = 0;
		else
			(void)unlink(tmp);
	}
	if (rc == -1)
		sim_log("error", "cookie", "path=%s errno=%d", path, errno);
	else {
		*userpass = xstrdup(text);
		sim_log("info", "cookie", "path=%s", path);
	}
	OPENSSL_cleanse(text, sizeof(text));
	free(tmp);
	return rc;
}

/* Create the data directory (mode 0700) unless it exists. */
static int
datadir_prepare(const char *dir)
{
	struct stat	st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		sim_log("error", "datadir", "path=%s errno=%d", dir, errno);
		return -1;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		sim_log("error", "datadir", "path=%s reason=not_a_directory",
		    dir);
		return -1;
	}
	return 0;
}

/* Accept every pending connection; extra ones past the limit are shut. */
static void
conn_accept(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct conn		*c;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	int			 fd, n;

	for (;;) {
		sslen = sizeof(ss);
		fd = accept4(env->lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				sim_log("warn", "accept", "errno=%d "
				    "reason=\"%s\"", errno, strerror(errno));
			return;
		}
		if (env->nconns == SIM_MAX_CLIENTS) {
			sim_log("warn", "accept", "reason=too_many_clients");
			(void)close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		sim_buf_init(&c->in);
		sim_buf_init(&c->out);
		c->last_active = now_ms();
		n = -1;
		if (getnameinfo((struct sockaddr *)&ss, sslen, host,
		    sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			n = snprintf(c->peer, sizeof(c->peer), "%.46s:%.7s",
			    host, port);
		if (n < 0)
			(void)snprintf(c->peer, sizeof(c->peer), "?");
		env->conns[env->nconns++] = c;
	}
}

/* Close and free a connection; NULL is a no-op. */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		(void)close(c->fd);
	sim_buf_clear(&c->in);
	sim_buf_clear(&c->out);
	free(c);
}

/*
 * Read what is available.  EOF or an error marks the peer gone; a
 * lingering connection just discards what it reads.
 */
static void
conn_read(struct conn *c)
{
	char	 chunk[SIM_READ_CHUNK];
	size_t	 room, cap;
	ssize_t	 n;

	cap = SIM_HTTP_MAX_HEADER + SIM_HTTP_MAX_BODY;
	room = c->lingering ? sizeof(chunk) : cap - c->in.len;
	if (room == 0)
		return;
	if (room > sizeof(chunk))
		room = sizeof(chunk);
	n = read(c->fd, chunk, room);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		c->dead = 1;
		return;
	}
	c->last_active = now_ms();
	if (n == 0) {
		c->peer_eof = 1;
		if (c->lingering || c->out_pos == c->out.len)
			c->dead = 1;
		return;
	}
	if (!c->lingering && !c->closing)
		sim_buf_add(&c->in, chunk, (size_t)n);
}

/*
 * Send queued output.  When everything is out and the connection is
 * closing, half-close and linger so the client reads the reply before
 * the close (closing with unread input would send a reset).
 */
static void
conn_write(struct conn *c)
{
	ssize_t	n;

	while (c->out_pos < c->out.len) {
		n = send(c->fd, c->out.data + c->out_pos,
		    c->out.len - c->out_pos, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = 1;
			return;
		}
		c->out_pos += (size_t)n;
		c->last_active = now_ms();
	}
	c->out.len = c->out_pos = 0;
	if (c->peer_eof)
		c->dead = 1;
	else if (c->closing && !c->lingering) {
		(void)shutdown(c->fd, SHUT_WR);
		c->lingering = 1;
		c->last_active = now_ms();
	}
}

/* Answer one complete request and log one line for it. */
static void
conn_respond(struct conn *c, const struct sim_http_req *req)
{
	struct sim_rpc_reply	 r;
	char			 m[96], t[96];
	int64_t			 down;
	int			 keep;

	sim_rpc_reply_init(&r);
	sim_rpc_handle(env->rpc, req, &r);
	keep = req->keepalive && r.status != 413;
	sim_http_write_response(&c->out, req->minor, r.status,
	    r.extra_headers, r.ctype, r.body.data, r.body.len, keep,
	    sim_http_method_is(req, "HEAD"));
	if (r.delay_ms > 0)
		c->hold_until = now_ms() + r.delay_ms;
	if (!keep)
		c->closing = 1;
	sim_log_escape(m, sizeof(m), req->method, req->method_len);
	sim_log_escape(t, sizeof(t), req->target, req->target_len);
	sim_log("info", "request", "peer=%s method=%s path=%s status=%d "
	    "bytes=%zu%s%s", c->peer, m, t, r.status, r.body.len,
	    r.summary[0] != '\0' ? " " : "", r.summary);
	sim_rpc_reply_clear(&r);
	if ((down = sim_rpc_take_down(env->rpc)) > 0) {
		c->closing = 1;
		listener_down(c, down);
	}
}

/*
 * Handle every complete request in the input buffer, in order.  A
 * malformed request gets its error status and the connection closes.
 */
static void
conn_process(struct conn *c)
{
	struct sim_http_req	req;
	int			rc;

	while (!c->closing && !c->dead && c->in.len > 0 &&
	    c->out.len - c->out_pos < SIM_MAX_PENDING_OUT) {
		rc = sim_http_parse(c->in.data, c->in.len, &req);
		if (rc == SIM_HTTP_MORE) {
			if (req.head_len > 0 && req.expect_continue &&
			    !c->continue_sent) {
				sim_buf_printf(&c->out,
				    "HTTP/1.%d 100 Continue\r\n\r\n",
				    req.minor);
				c->continue_sent = 1;
			}
			if (c->peer_eof)
				c->dead = c->out_pos == c->out.len;
			return;
		}
		if (rc == SIM_HTTP_ERROR) {
			sim_http_write_response(&c->out, 1, req.error_status,
			    NULL, NULL, NULL, 0, 0, 0);
			c->closing = 1;
			sim_log("info", "request", "peer=%s status=%d "
			    "reason=bad_http", c->peer, req.error_status);
			sim_buf_consume(&c->in, c->in.len);
			return;
		}
		conn_respond(c, &req);
		sim_buf_consume(&c->in, req.total_len);
		c->continue_sent = 0;
	}
}

/* Close connections that idled or lingered too long. */
static void
conn_timeouts(struct conn *c, int64_t now)
{
	if (c->lingering && now - c->last_active >= SIM_LINGER_MS)
		c->dead = 1;
	else if (now - c->last_active >= SIM_IDLE_MS &&
	    now >= c->hold_until) {
		sim_log("info", "timeout", "peer=%s", c->peer);
		c->dead = 1;
	}
}

/* Milliseconds until the next deadline (held replies, timeouts). */
static int
poll_timeout(int64_t now)
{
	int64_t	 t, d;
	size_t	 i;

	t = 1000;
	for (i = 0; i < env->nconns; i++) {
		d = env->conns[i]->hold_until - now;
		if (d > 0 && d < t)
			t = d;
	}
	return (int)t;
}

/* The poll loop; returns when a signal asks to stop. */
static void
serve(void)
{
	struct pollfd	 pfd[SIM_MAX_CLIENTS + 1];
	struct conn	*c;
	size_t		 i, j;
	int64_t		 now;
	int		 n;

	while (!quit_signal) {
		now = now_ms();
		if (env->lfd == -1 && (up_signal || now >= env->reopen_at))
			listener_up();
		up_signal = 0;
		pfd[0].fd = env->lfd;
		pfd[0].events = env->nconns < SIM_MAX_CLIENTS ? POLLIN : 0;
		for (i = 0; i < env->nconns; i++) {
			c = env->conns[i];
			pfd[i + 1].fd = c->fd;
			pfd[i + 1].events = 0;
			if (c->out_pos < c->out.len && now >= c->hold_until)
				pfd[i + 1].events |= POLLOUT;
			if (c->lingering || (!c->closing && !c->peer_eof &&
			    c->out.len - c->out_pos < SIM_MAX_PENDING_OUT))
				pfd[i + 1].events |= POLLIN;
		}
		n = poll(pfd, env->nconns + 1, poll_timeout(now));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			sim_log("error", "poll", "errno=%d", errno);
			return;
		}
		for (i = 0; i < env->nconns; i++) {
			c = env->conns[i];
			if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(c);
			conn_process(c);
			if (!c->dead && now_ms() >= c->hold_until)
				conn_write(c);
			conn_timeouts(c, now_ms());
		}
		for (i = 0, j = 0; i < env->nconns; i++) {
			if (env->conns[i]->dead)
				conn_free(env->conns[i]);
			else
				env->conns[j++] = env->conns[i];
		}
		env->nconns = j;
		if (env->lfd != -1 && (pfd[0].revents & POLLIN))
			conn_accept();
	}
	sim_log("info", "signal", "signo=%d", (int)quit_signal);
}

/*
 * abcsim_down: close the listener and every connection but "keep" (which
 * still gets its reply) for "secs" seconds.
 */
static void
listener_down(struct conn *keep, int64_t secs)
{
	size_t	i;

	if (env->lfd != -1)
		(void)close(env->lfd);
	env->lfd = -1;
	env->reopen_at = now_ms() + secs * 1000;
	for (i = 0; i < env->nconns; i++)
		if (env->conns[i] != keep)
			env->conns[i]->dead = 1;
	sim_log("info", "down", "seconds=%lld", (long long)secs);
}

/* Reopen the listener on the address it had; retried each second. */
static void
listener_up(void)
{
	int	fd, one;

	fd = socket(env->bound.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	one = 1;
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, (struct sockaddr *)&env->bound,
	    env->boundlen) == -1 || listen(fd, 128) == -1) {
		sim_log("warn", "up", "errno=%d reason=\"%s\"", errno,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		env->reopen_at = now_ms() + 1000;
		return;
	}
	env->lfd = fd;
	sim_log("info", "up", "listening=1");
}

/* Free everything the environment owns and remove the cookie. */
static void
shutdown_all(void)
{
	size_t	i;

	for (i = 0; i < env->nconns; i++)
		conn_free(env->conns[i]);
	env->nconns = 0;
	if (env->lfd != -1)
		(void)close(env->lfd);
	if (env->cf.cookiefile != NULL && env->userpass != NULL)
		(void)unlink(env->cf.cookiefile);
	sim_rpc_free(env->rpc);
	sim_chain_free(env->chain);
	if (env->userpass != NULL)
		OPENSSL_cleanse(env->userpass, strlen(env->userpass));
	free(env->userpass);
	if (env->cf.passbuf != NULL)
		OPENSSL_cleanse(env->cf.passbuf, strlen(env->cf.passbuf));
	free(env->cf.passbuf);
	free(env->cf.cookiefile);
	free(env);
	env = NULL;
}

int
main(int argc, char *argv[])
{
	size_t	len;
	int	status;

	env = xcalloc(1, sizeof(*env));
	env->lfd = -1;
	parse_args(argc, argv, &env->cf);
	status = 1;
	if (setup_signals() == -1 || datadir_prepare(env->cf.datadir) == -1)
		goto out;
	if ((env->chain = sim_chain_open(env->cf.datadir)) == NULL)
		goto out;
	if (env->cf.rpcuser != NULL) {
		len = strlen(env->cf.rpcuser) + strlen(env->cf.rpcpassword) + 2;
		env->userpass = xmalloc(len);
		(void)snprintf(env->userpass, len, "%s:%s", env->cf.rpcuser,
		    env->cf.rpcpassword);
	} else if (cookie_write(env->cf.cookiefile, &env->userpass) == -1)
		goto out;
	if ((env->rpc = sim_rpc_new(env->chain, env->userpass,
	    env->cf.wallet)) == NULL)
		goto out;
	if (env->cf.warmup > 0)
		sim_rpc_set_warmup(env->rpc, env->cf.warmup);
	if ((env->lfd = listen_open(&env->cf)) == -1)
		goto out;
	serve();
	status = 0;
out:
	shutdown_all();
	sim_log("info", "exit", "status=%d", status);
	return status;
}
