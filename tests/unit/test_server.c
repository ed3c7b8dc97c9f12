/*
 * CUnit suite for both ends of the link together: worker/server.c (the
 * event loop: accepting, sessions, dispatch, broadcast, wake fds, the
 * status hook, SIGUSR2 runtime faults, the drain on SIGTERM) and
 * web/client.c (dialling, HELLO, calls, notices, reconnects), talking over
 * IPv6 loopback ([::1], or 127.0.0.1 where there is no IPv6) with real
 * TLS and certificates made at run time (testcerts.h).  The request engine
 * is a fake defined here (ops_new, ops_start...): it answers at once, so
 * the server is tested without PostgreSQL.
 *
 * The server runs in a thread of this process; SIGTERM and SIGUSR2 are
 * blocked in every thread and reach it through its signalfd.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "cunit_main.h"

#include "abc_limits.h"
#include "client.h"
#include "clock.h"
#include "frame.h"
#include "hostport.h"
#include "linkconn.h"
#include "log.h"
#include "msg.h"
#include "ops.h"
#include "server.h"
#include "testcerts.h"
#include "tls.h"

/* The fake request engine: each request is answered as it arrives. */
struct ops {
	struct ops_cfg	 cfg;
};

struct ops *
ops_new(const struct ops_cfg *cfg)
{
	struct ops	*ops = calloc(1, sizeof(*ops));

	if (ops == NULL)
		abort();
	ops->cfg = *cfg;
	return ops;
}

void
ops_free(struct ops *ops)
{
	free(ops);
}

/* echo: the request back; status: the status hook's facts; broadcast. */
void
ops_start(struct ops *ops, const char *client, int64_t epoch,
    uint64_t req_no, struct json_object *req)
{
	struct json_object	*rep, *n;
	const char		*op = msg_get_str(req, "op");

	rep = json_object_new_object();
	json_object_object_add(rep, "ok", json_object_new_boolean(1));
	if (op != NULL && strcmp(op, "status") == 0)
		ops->cfg.status(ops->cfg.arg, rep);
	else if (op != NULL && strcmp(op, "broadcast") == 0) {
		n = json_object_new_object();
		json_object_object_add(n, "kind",
		    json_object_new_string("from_request"));
		ops->cfg.notice(ops->cfg.arg, n);
		json_object_put(n);
	} else if (msg_get_str(req, "data") != NULL)
		json_object_object_add(rep, "data", json_object_new_string(
		    msg_get_str(req, "data")));
	ops->cfg.reply(ops->cfg.arg, client, epoch, req_no, rep);
	json_object_put(rep);
	json_object_put(req);
}

void
ops_db_done(struct ops *ops)
{
	(void)ops;
}

void
ops_kdf_done(struct ops *ops)
{
	(void)ops;
}

void
ops_chain_done(struct ops *ops)
{
	(void)ops;
}

static char		 certdir[TESTCERTS_DIR_MAX];
static char		 fault_path[TESTCERTS_DIR_MAX + 16];
static char		 listen_addr[64];
static struct tls_ctx	*srv_ctx, *cli_ctx, *bad_ctx;
static struct server_cfg cfg;
static struct server_wake wake;
static const char *const clients[] = { "web1" };
static pthread_t	 srv_thread;
static int		 srv_rc = -2, srv_running;
static int		 fds[4] = { -1, -1, -1, -1 };	/* db kdf chain wake */
static _Atomic int	 notices_wake, notices_request;
static _Atomic int	 wake_burst = 1;	/* notices per wake */

/* The status hook: one fact. */
static void
test_status(void *arg, struct json_object *rep)
{
	json_object_object_add(rep, "fact", json_object_new_int64(
	    *(int64_t *)arg));
}

static int64_t	 fact = 42;

/* The wake fd's handler: broadcasts a notice. */
static void
test_wake(struct server *s, void *arg)
{
	struct json_object	*n = json_object_new_object();
	int			 i;

	(void)arg;
	json_object_object_add(n, "kind", json_object_new_string("from_wake"));
	for (i = 0; i < wake_burst; i++)
		server_broadcast(s, n);
	json_object_put(n);
}

static void
on_notice(void *arg, const char *kind, int64_t seq, struct json_object *n)
{
	(void)arg;
	(void)seq;
	(void)n;
	if (strcmp(kind, "from_wake") == 0)
		notices_wake++;
	else if (strcmp(kind, "from_request") == 0)
		notices_request++;
}

static void *
server_thread(void *arg)
{
	(void)arg;
	srv_rc = server_run(&cfg);
	return NULL;
}

/*
 * Picks a free port on [::1] (or 127.0.0.1) and writes the listen
 * address; 0 or -1.
 */
static int
pick_listen(void)
{
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	socklen_t		 len;
	int			 fd;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	len = sizeof(s6);
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) != -1 &&
	    bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&s6, &len) == 0) {
		snprintf(listen_addr, sizeof(listen_addr), "[::1]:%d",
		    ntohs(s6.sin6_port));
		close(fd);
		return 0;
	}
	if (fd != -1)
		close(fd);
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(s4);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&s4, sizeof(s4)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&s4, &len) != 0)
		return -1;
	snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%d",
	    ntohs(s4.sin_port));
	close(fd);
	return 0;
}

static int
suite_init(void)
{
	sigset_t	 mask;
	int		 i;

	log_init("test_server", LOG_LVL_ERROR);
	/* Before any thread: the server's signalfd takes these. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	if (testcerts_make(certdir, sizeof(certdir)) != 0 ||
	    (srv_ctx = testcerts_ctx(certdir, TLS_SERVER, "worker")) == NULL ||
	    (cli_ctx = testcerts_ctx(certdir, TLS_CLIENT, "web1")) == NULL ||
	    (bad_ctx = testcerts_ctx(certdir, TLS_CLIENT, "web9")) == NULL ||
	    pick_listen() != 0)
		return -1;
	for (i = 0; i < 4; i++)
		if ((fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
			return -1;
	snprintf(fault_path, sizeof(fault_path), "%s/faults", certdir);
	wake.fd = fds[3];
	wake.fn = test_wake;
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = listen_addr;
	cfg.tls = srv_ctx;
	cfg.db_done_fd = fds[0];
	cfg.kdf_done_fd = fds[1];
	cfg.chain_done_fd = fds[2];
	cfg.wakes = &wake;
	cfg.nwakes = 1;
	cfg.status = test_status;
	cfg.status_arg = &fact;
	cfg.fault_file = fault_path;
	cfg.drain_ms = 2000;
	cfg.clients = clients;
	cfg.nclients = 1;
	cfg.max_conns = 8;
	cfg.hello_ms = 2000;
	if (pthread_create(&srv_thread, NULL, server_thread, NULL) != 0)
		return -1;
	srv_running = 1;
	return 0;
}

static int
suite_clean(void)
{
	int	 i;

	if (srv_running) {
		(void)kill(getpid(), SIGTERM);
		pthread_join(srv_thread, NULL);
	}
	for (i = 0; i < 4; i++)
		if (fds[i] != -1)
			close(fds[i]);
	tls_ctx_free(srv_ctx);
	tls_ctx_free(cli_ctx);
	tls_ctx_free(bad_ctx);
	(void)unlink(fault_path);
	testcerts_remove(certdir);
	return 0;
}

/* A client of the test server with ctx's certificate. */
static struct client *
client_for(struct tls_ctx *ctx)
{
	struct client_cfg	 cc;

	memset(&cc, 0, sizeof(cc));
	cc.worker = listen_addr;
	cc.tls = ctx;
	return client_start(&cc);
}

/* Polls until the client is up, at most ms; returns up. */
static int
wait_up(struct client *cl, int ms)
{
	struct client_stats	 st;
	int64_t			 end = clock_mono_ms() + ms;

	do {
		client_stats(cl, &st);
		if (st.up)
			return 1;
		usleep(10000);
	} while (clock_mono_ms() < end);
	return 0;
}

/* Sends echo data=text and checks the reply; returns the app_err. */
static enum app_err
echo(struct client *cl, const char *text)
{
	struct json_object	*req, *rep = NULL;
	enum app_err		 e;
	const char		*got;

	req = msg_request_new(MSG_OP_ECHO);
	json_object_object_add(req, "data", json_object_new_string(text));
	e = client_call(cl, req, 5000, 0, &rep);
	json_object_put(req);
	if (e == APP_OK) {
		got = msg_get_str(rep, "data");
		if (got == NULL || strcmp(got, text) != 0)
			e = APP_EPROTO;
		json_object_put(rep);
	}
	return e;
}

static void
test_server_calls(void)
{
	struct client		*cl;
	struct client_stats	 st;
	char			 text[32];
	int			 i, ok = 0;

	fprintf(stderr, "(listening on %s) ", listen_addr);
	cl = client_for(cli_ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	CU_ASSERT_FATAL(wait_up(cl, 5000));
	for (i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "call %d", i);
		ok += echo(cl, text) == APP_OK;
	}
	CU_ASSERT_EQUAL(ok, 300);
	client_stats(cl, &st);
	CU_ASSERT_EQUAL(st.connects, 1);
	CU_ASSERT_EQUAL(st.queued, 0);
	CU_ASSERT_EQUAL(st.orphans, 0);
	client_stop(cl);
}

static void
test_server_status_hook(void)
{
	struct client		*cl;
	struct json_object	*req, *rep = NULL;
	int64_t			 got = 0;

	cl = client_for(cli_ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	req = msg_request_new(MSG_OP_STATUS);
	CU_ASSERT_EQUAL_FATAL(client_call(cl, req, 5000, 0, &rep), APP_OK);
	CU_ASSERT_EQUAL(msg_get_int(rep, "fact", &got), 0);
	CU_ASSERT_EQUAL(got, 42);
	json_object_put(rep);
	json_object_put(req);
	client_stop(cl);
}

static void
test_server_broadcasts(void)
{
	struct client		*a, *b;
	struct json_object	*req, *rep = NULL;
	uint64_t		 one = 1;
	int64_t			 end;

	notices_wake = notices_request = 0;
	a = client_for(cli_ctx);
	b = client_for(cli_ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(client_subscribe(a, on_notice, NULL), 0);
	CU_ASSERT_EQUAL(client_subscribe(b, on_notice, NULL), 0);
	CU_ASSERT_FATAL(wait_up(a, 5000) && wait_up(b, 5000));
	/* Another thread's eventfd: its handler broadcasts to both. */
	CU_ASSERT_EQUAL(write(fds[3], &one, sizeof(one)), sizeof(one));
	/* A request's notice goes to both as well. */
	req = msg_request_new(MSG_OP_BROADCAST);
	CU_ASSERT_EQUAL(client_call(a, req, 5000, 0, &rep), APP_OK);
	json_object_put(rep);
	json_object_put(req);
	end = clock_mono_ms() + 5000;
	while ((notices_wake < 2 || notices_request < 2) &&
	    clock_mono_ms() < end)
		usleep(10000);
	CU_ASSERT_EQUAL(notices_wake, 2);
	CU_ASSERT_EQUAL(notices_request, 2);
	client_stop(a);
	client_stop(b);
}

/* Frames a raw link connection saw, by type. */
struct raw_count {
	int	 hello, notices, other;
};

/* frame_fn of the raw connection: counts. */
static int
raw_frame(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	struct raw_count	*c = arg;

	(void)body;
	if (h->type == FRAME_HELLO)
		c->hello++;
	else if (h->type == FRAME_NOTICE)
		c->notices++;
	else
		c->other++;
	return 0;
}

/*
 * Dials the test server without web/client.c: TCP, TLS as web1, our
 * HELLO, the server's HELLO read.  0, or -1 (lc then cleared).
 */
static int
raw_connect(struct linkconn *lc)
{
	struct sockaddr_storage	 ss;
	struct hostport		 hp;
	struct msg_hello	 h;
	struct raw_count	 c = { 0, 0, 0 };
	struct tls_conn		*tls;
	socklen_t		 sslen;
	const char		*why;
	enum tls_io		 io;
	char			 err[128];
	int64_t			 deadline = clock_mono_ms() + 5000;
	int			 fd;

	linkconn_init(lc, 0);
	if (hostport_parse(listen_addr, &hp, err, sizeof(err)) != 0 ||
	    hostport_sockaddr(&hp, &ss, &sslen) != 0 ||
	    (fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    (tls = tls_conn_new(cli_ctx, fd, hp.host)) == NULL) {
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	linkconn_open(lc, tls);
	while ((io = linkconn_handshake(lc)) != TLS_IO_OK)
		if ((io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE) ||
		    linkconn_wait(lc, deadline) != 0)
			goto fail;
	memset(&h, 0, sizeof(h));
	h.epoch = 4242;
	if (linkconn_append_hello(lc, &h) != 0 || linkconn_flush(lc) != 0)
		goto fail;
	while (c.hello == 0)
		if (linkconn_read(lc, raw_frame, &c, &why) != LINKCONN_OK ||
		    (c.hello == 0 && linkconn_wait(lc, deadline) != 0))
			goto fail;
	return 0;
fail:
	linkconn_clear(lc);
	return -1;
}

/*
 * What one turn of the server's loop sends a connection leaves in one
 * write: 50 notices broadcast by one wake handler arrive in one TLS record
 * (one SSL_read hands over all of them), not one record each.
 */
static void
test_server_one_write_per_turn(void)
{
	static uint8_t		 buf[65536];
	struct frame_decoder	 d;
	struct linkconn		 lc;
	struct raw_count	 c = { 0, 0, 0 };
	struct pollfd		 pfd;
	uint64_t		 one = 1;
	size_t			 got = 0;

	CU_ASSERT_EQUAL_FATAL(raw_connect(&lc), 0);
	wake_burst = 50;
	CU_ASSERT_EQUAL(write(fds[3], &one, sizeof(one)), sizeof(one));
	pfd.fd = linkconn_fd(&lc);
	pfd.events = POLLIN;
	CU_ASSERT_EQUAL(poll(&pfd, 1, 5000), 1);
	usleep(300000);		/* whatever else the turn sent is here too */
	CU_ASSERT_EQUAL(tls_conn_read(lc.tls, buf, sizeof(buf), &got),
	    TLS_IO_OK);
	frame_decoder_init(&d, LIMIT_FRAME_BODY);
	CU_ASSERT_EQUAL(frame_decoder_push(&d, buf, got, raw_frame, &c),
	    FRAME_MORE);
	CU_ASSERT_EQUAL(c.notices, 50);
	CU_ASSERT_EQUAL(c.other, 0);
	frame_decoder_clear(&d);
	wake_burst = 1;
	linkconn_clear(&lc);
}

static void
test_server_unknown_cn(void)
{
	struct client		*cl;
	struct client_stats	 st;
	struct json_object	*req, *rep = NULL;

	cl = client_for(bad_ctx);	/* CN web9: not in clients[] */
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	CU_ASSERT_FALSE(wait_up(cl, 1000));
	client_stats(cl, &st);
	CU_ASSERT_EQUAL(st.connects, 0);
	req = msg_request_new(MSG_OP_ECHO);
	CU_ASSERT_EQUAL(client_call(cl, req, 1000, CLIENT_FAIL_FAST, &rep),
	    APP_EPEER);
	json_object_put(req);
	client_stop(cl);
}

/* Writes text into the fault file and tells the server (SIGUSR2). */
static void
server_faults(const char *text)
{
	FILE	*f = fopen(fault_path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	CU_ASSERT_EQUAL(fclose(f), 0);
	CU_ASSERT_EQUAL(kill(getpid(), SIGUSR2), 0);
}

/* Echo calls for ms; returns how many failed. */
static int
calls_for(struct client *cl, int ms)
{
	int64_t	 end = clock_mono_ms() + ms;
	int	 bad = 0;

	while (clock_mono_ms() < end)
		bad += echo(cl, "under faults") != APP_OK;
	return bad;
}

static void
test_server_runtime_faults(void)
{
	struct client		*cl;
	struct client_stats	 st;
	struct link_fault	 f;
	uint64_t		 c0, c1, c2;

	cl = client_for(cli_ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	CU_ASSERT_FATAL(wait_up(cl, 5000));
	client_stats(cl, &st);
	c0 = st.connects;
	/* The server cuts every ~200 ms and drops 20%: calls still work. */
	server_faults("drop_pct=20 cut_ms=200\n");
	CU_ASSERT_EQUAL(calls_for(cl, 2000), 0);
	client_stats(cl, &st);
	c1 = st.connects;
	CU_ASSERT(c1 >= c0 + 3);
	/* Off again: no more cuts. */
	server_faults("");
	usleep(500000);
	client_stats(cl, &st);
	c1 = st.connects;
	CU_ASSERT_EQUAL(calls_for(cl, 1000), 0);
	client_stats(cl, &st);
	CU_ASSERT_EQUAL(st.connects, c1);
	/* A malformed file changes nothing. */
	server_faults("cut_ms=oops");
	CU_ASSERT_EQUAL(calls_for(cl, 600), 0);
	client_stats(cl, &st);
	CU_ASSERT_EQUAL(st.connects, c1);
	/* The client's own cuts, set at run time, work the same way. */
	CU_ASSERT_EQUAL_FATAL(link_fault_parse("cut_ms=200", 10, &f, NULL, 0),
	    0);
	client_set_fault(cl, &f);
	CU_ASSERT_EQUAL(calls_for(cl, 1500), 0);
	client_stats(cl, &st);
	c2 = st.connects;
	CU_ASSERT(c2 >= c1 + 3);
	CU_ASSERT_EQUAL_FATAL(link_fault_parse("", 0, &f, NULL, 0), 0);
	client_set_fault(cl, &f);
	usleep(300000);
	client_stats(cl, &st);
	c2 = st.connects;
	usleep(700000);
	client_stats(cl, &st);
	CU_ASSERT_EQUAL(st.connects, c2);
	client_stop(cl);
}

static void
test_server_drain(void)
{
	struct client		*cl;
	struct client_stats	 st;
	int64_t			 end;

	cl = client_for(cli_ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	CU_ASSERT_FATAL(wait_up(cl, 5000));
	CU_ASSERT_EQUAL(kill(getpid(), SIGTERM), 0);
	pthread_join(srv_thread, NULL);
	srv_running = 0;
	CU_ASSERT_EQUAL(srv_rc, 0);
	end = clock_mono_ms() + 5000;
	do {
		client_stats(cl, &st);
		if (!st.up)
			break;
		usleep(10000);
	} while (clock_mono_ms() < end);
	CU_ASSERT_FALSE(st.up);
	client_stop(cl);
}

static CU_TestInfo tests[] = {
	{ "test_server_calls", test_server_calls },
	{ "test_server_status_hook", test_server_status_hook },
	{ "test_server_broadcasts", test_server_broadcasts },
	{ "test_server_one_write_per_turn", test_server_one_write_per_turn },
	{ "test_server_unknown_cn", test_server_unknown_cn },
	{ "test_server_runtime_faults", test_server_runtime_faults },
	{ "test_server_drain", test_server_drain },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "server+client", suite_init, suite_clean, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
