/*
 * CUnit suite for common/linkconn.c, the link connection both ends use:
 * two linkconns over a socketpair with real TLS 1.3 and certificates made
 * at run time (testcerts.h).  Covers the handshake, frames split across
 * reads at every boundary, a peer closing mid-frame, a flush into a full
 * socket (EAGAIN) that resumes, an oversized frame refused, a frame
 * callback stopping the read, HELLO, and close/reopen leaving nothing
 * behind.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "cunit_main.h"

#include "abc_limits.h"
#include "frame.h"
#include "linkconn.h"
#include "log.h"
#include "msg.h"
#include "testcerts.h"
#include "tls.h"

#define MAX_GOT		128
#define WIRE_MAX	(8u * 1024 * 1024)

static char		 certdir[TESTCERTS_DIR_MAX];
static struct tls_ctx	*srv_ctx, *cli_ctx;

/* What the frame callback saw. */
struct got {
	int		 n;
	int		 stop_at;	/* return non-zero at this frame, 0 never */
	uint8_t		 type[MAX_GOT];
	uint32_t	 len[MAX_GOT];
	uint8_t		 first[MAX_GOT];	/* first body byte, or 0 */
	int		 intact[MAX_GOT];	/* every body byte == first */
	struct msg_hello hello;
	int		 hello_ok;
};

static int
on_frame(void *arg, const struct frame_hdr *h, const uint8_t *body)
{
	struct got	*g = arg;
	uint32_t	 i;
	int		 k = g->n;

	if (k >= MAX_GOT)
		return 1;
	g->type[k] = h->type;
	g->len[k] = h->body_len;
	g->first[k] = h->body_len > 0 ? body[0] : 0;
	g->intact[k] = 1;
	for (i = 0; i < h->body_len; i++)
		if (body[i] != body[0])
			g->intact[k] = 0;
	if (h->type == FRAME_HELLO)
		g->hello_ok = msg_hello_decode(body, h->body_len,
		    &g->hello) == 0;
	g->n++;
	return g->stop_at != 0 && g->n == g->stop_at;
}

static int
suite_init(void)
{
	log_init("test_linkconn", LOG_LVL_ERROR);
	if (testcerts_make(certdir, sizeof(certdir)) != 0)
		return -1;
	srv_ctx = testcerts_ctx(certdir, TLS_SERVER, "worker");
	cli_ctx = testcerts_ctx(certdir, TLS_CLIENT, "web1");
	return srv_ctx != NULL && cli_ctx != NULL ? 0 : -1;
}

static int
suite_clean(void)
{
	tls_ctx_free(srv_ctx);
	tls_ctx_free(cli_ctx);
	testcerts_remove(certdir);
	return 0;
}

/*
 * Opens srv and cli over a fresh non-blocking socketpair and completes
 * the TLS handshake of both.  sndbuf > 0 shrinks the client's send buffer
 * and the server's receive buffer.
 */
static void
pair_open(struct linkconn *srv, struct linkconn *cli, int sndbuf)
{
	struct tls_conn	*ts, *tc;
	enum tls_io	 a = TLS_IO_WANT_READ, b = TLS_IO_WANT_READ;
	int		 sv[2], i;

	linkconn_init(srv, WIRE_MAX);
	linkconn_init(cli, WIRE_MAX);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	if (sndbuf > 0) {
		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf));
		(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sndbuf,
		    sizeof(sndbuf));
	}
	ts = tls_conn_new(srv_ctx, sv[0], NULL);
	tc = tls_conn_new(cli_ctx, sv[1], "127.0.0.1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
	CU_ASSERT_EQUAL(linkconn_fd(srv), -1);
	linkconn_open(srv, ts);
	linkconn_open(cli, tc);
	CU_ASSERT_EQUAL(linkconn_fd(srv), sv[0]);
	for (i = 0; i < 100 && (a != TLS_IO_OK || b != TLS_IO_OK); i++) {
		if (b != TLS_IO_OK)
			b = linkconn_handshake(cli);
		if (a != TLS_IO_OK)
			a = linkconn_handshake(srv);
	}
	CU_ASSERT_EQUAL_FATAL(a, TLS_IO_OK);
	CU_ASSERT_EQUAL_FATAL(b, TLS_IO_OK);
	CU_ASSERT_STRING_EQUAL(tls_conn_peer_name(srv->tls), "web1");
}

static void
pair_close(struct linkconn *srv, struct linkconn *cli)
{
	linkconn_clear(srv);
	linkconn_clear(cli);
}

/* Writes exactly n bytes through TLS as one record. */
static void
raw_write(struct linkconn *lc, const void *p, size_t n)
{
	size_t	 put = 0;

	CU_ASSERT_EQUAL_FATAL(tls_conn_write(lc->tls, p, n, &put), TLS_IO_OK);
	CU_ASSERT_EQUAL_FATAL(put, n);
}

/* Reads what srv has; expects LINKCONN_OK. */
static void
read_ok(struct linkconn *srv, struct got *g)
{
	const char	*why = NULL;

	CU_ASSERT_EQUAL(linkconn_read(srv, on_frame, g, &why), LINKCONN_OK);
}

static void
test_linkconn_split_reads(void)
{
	struct linkconn	 srv, cli;
	struct frame_hdr h;
	struct buf	 frames;
	struct got	 g;
	uint8_t		 body[1000];
	size_t		 off, cuts[] = { 1, 39, 1, 1 + 999, 40 + 999 + 40 };
	size_t		 i;

	memset(&g, 0, sizeof(g));
	pair_open(&srv, &cli, 0);
	/* Three frames: bodies of 1, 1000 and 0 bytes, back to back. */
	buf_init(&frames, 0);
	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = FRAME_PING;
	CU_ASSERT_EQUAL(frame_append(&frames, &h, "a", 1), 0);
	memset(body, 'b', sizeof(body));
	h.type = FRAME_REQUEST;
	CU_ASSERT_EQUAL(frame_append(&frames, &h, body, sizeof(body)), 0);
	h.type = FRAME_ACK;
	CU_ASSERT_EQUAL(frame_append(&frames, &h, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(frames.len, 3 * FRAME_HDR_LEN + 1001);

	/* 1 byte, the rest of the header, the body: frame 1 only then. */
	off = 0;
	for (i = 0; i < 3; i++) {
		raw_write(&cli, frames.data + off, cuts[i]);
		off += cuts[i];
		read_ok(&srv, &g);
		CU_ASSERT_EQUAL(g.n, i < 2 ? 0 : 1);
	}
	CU_ASSERT_EQUAL(g.type[0], FRAME_PING);
	CU_ASSERT_EQUAL(g.first[0], 'a');
	/* Frame 2's header and all but the last body byte: nothing. */
	raw_write(&cli, frames.data + off, FRAME_HDR_LEN + 999);
	off += FRAME_HDR_LEN + 999;
	read_ok(&srv, &g);
	CU_ASSERT_EQUAL(g.n, 1);
	/* Its last byte together with all of frame 3: both. */
	raw_write(&cli, frames.data + off, frames.len - off);
	read_ok(&srv, &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	CU_ASSERT_EQUAL(g.type[1], FRAME_REQUEST);
	CU_ASSERT_EQUAL(g.len[1], 1000);
	CU_ASSERT(g.intact[1] && g.first[1] == 'b');
	CU_ASSERT_EQUAL(g.type[2], FRAME_ACK);
	CU_ASSERT_EQUAL(g.len[2], 0);
	/* Nothing more: reading again is quiet. */
	read_ok(&srv, &g);
	CU_ASSERT_EQUAL(g.n, 3);
	buf_clear(&frames);
	pair_close(&srv, &cli);
}

static void
test_linkconn_peer_closes_mid_frame(void)
{
	struct linkconn	 srv, cli;
	struct frame_hdr h;
	struct got	 g;
	uint8_t		 hdr[FRAME_HDR_LEN], part[10];
	const char	*why = NULL;
	enum linkconn_status st;

	memset(&g, 0, sizeof(g));
	pair_open(&srv, &cli, 0);
	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = FRAME_REQUEST;
	h.body_len = 100;
	frame_hdr_encode(&h, hdr);
	raw_write(&cli, hdr, sizeof(hdr));
	memset(part, 'x', sizeof(part));
	raw_write(&cli, part, sizeof(part));
	linkconn_close(&cli);		/* gone, 90 body bytes short */
	CU_ASSERT_EQUAL(linkconn_fd(&cli), -1);
	st = linkconn_read(&srv, on_frame, &g, &why);
	CU_ASSERT(st == LINKCONN_EOF || st == LINKCONN_ETLS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(why[0] != '\0');
	CU_ASSERT_EQUAL(g.n, 0);	/* no half frame handed on */
	pair_close(&srv, &cli);
}

static void
test_linkconn_flush_full_socket(void)
{
	struct linkconn	 srv, cli;
	struct got	 g;
	static uint8_t	 body[16384];
	int		 i, rounds, blocked = 0;

	memset(&g, 0, sizeof(g));
	pair_open(&srv, &cli, 4096);
	for (i = 0; i < 64; i++) {
		memset(body, 'A' + i % 26, sizeof(body));
		CU_ASSERT_EQUAL_FATAL(linkconn_append(&cli, FRAME_REQUEST, 0,
		    body, sizeof(body)), 0);
	}
	CU_ASSERT(linkconn_wants_write(&cli));
	/* The peer reads nothing yet: the socket fills, flush returns. */
	CU_ASSERT_EQUAL(linkconn_flush(&cli), 0);
	CU_ASSERT(cli.wire.len > 0);
	CU_ASSERT(linkconn_wants_write(&cli));
	CU_ASSERT_EQUAL(cli.want_write, 1);	/* TLS waits for POLLOUT */
	/* Flushing again into the full socket changes nothing. */
	blocked = (int)cli.wire.len;
	CU_ASSERT_EQUAL(linkconn_flush(&cli), 0);
	CU_ASSERT_EQUAL((int)cli.wire.len, blocked);
	/* Read, flush, read...: everything arrives, whole and in order. */
	for (rounds = 0; rounds < 100000 && (g.n < 64 ||
	    linkconn_wants_write(&cli)); rounds++) {
		read_ok(&srv, &g);
		CU_ASSERT_EQUAL_FATAL(linkconn_flush(&cli), 0);
	}
	CU_ASSERT_EQUAL_FATAL(g.n, 64);
	CU_ASSERT_FALSE(linkconn_wants_write(&cli));
	CU_ASSERT_EQUAL(cli.wire.len, 0);
	for (i = 0; i < 64; i++) {
		CU_ASSERT_EQUAL(g.len[i], sizeof(body));
		CU_ASSERT(g.intact[i]);
		CU_ASSERT_EQUAL(g.first[i], 'A' + i % 26);
	}
	pair_close(&srv, &cli);
}

static void
test_linkconn_oversized(void)
{
	struct linkconn	 srv, cli;
	struct frame_hdr h;
	struct got	 g;
	uint8_t		 hdr[FRAME_HDR_LEN];
	const char	*why = NULL;
	static uint8_t	 body[LIMIT_FRAME_BODY];
	int		 rounds;

	/* The largest legal body passes... */
	memset(&g, 0, sizeof(g));
	pair_open(&srv, &cli, 0);
	memset(body, 'z', sizeof(body));
	CU_ASSERT_EQUAL_FATAL(linkconn_append(&cli, FRAME_REPLY, 0, body,
	    sizeof(body)), 0);
	for (rounds = 0; rounds < 10000 && g.n == 0; rounds++) {
		CU_ASSERT_EQUAL_FATAL(linkconn_flush(&cli), 0);
		read_ok(&srv, &g);
	}
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_EQUAL(g.len[0], LIMIT_FRAME_BODY);
	CU_ASSERT(g.intact[0]);
	/* ...one byte more is refused from its header alone. */
	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = FRAME_REPLY;
	h.body_len = LIMIT_FRAME_BODY + 1;
	frame_hdr_encode(&h, hdr);
	raw_write(&cli, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(linkconn_read(&srv, on_frame, &g, &why),
	    LINKCONN_EFRAME);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, frame_strerror(FRAME_EOVERSIZE));
	CU_ASSERT_EQUAL(g.n, 1);
	pair_close(&srv, &cli);
	/* A wire buffer refuses a frame over its own bound. */
	linkconn_init(&cli, 100);
	CU_ASSERT_EQUAL(linkconn_append(&cli, FRAME_REPLY, 0, body, 100), -1);
	CU_ASSERT_EQUAL(linkconn_append(&cli, FRAME_REPLY, 0, body, 60), 0);
	linkconn_clear(&cli);
}

static void
test_linkconn_stop_and_hello(void)
{
	struct linkconn	 srv, cli;
	struct msg_hello hello;
	struct got	 g;
	const char	*why = NULL;

	memset(&g, 0, sizeof(g));
	pair_open(&srv, &cli, 0);
	memset(&hello, 0, sizeof(hello));
	hello.epoch = 77;
	hello.rx = 5;
	hello.notice_seq = 9;
	CU_ASSERT_EQUAL(linkconn_append_hello(&cli, &hello), 0);
	CU_ASSERT_EQUAL(linkconn_append(&cli, FRAME_PING, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(linkconn_append(&cli, FRAME_CLOSE, FRAME_F_DRAIN,
	    NULL, 0), 0);
	CU_ASSERT_EQUAL(linkconn_flush(&cli), 0);
	CU_ASSERT_FALSE(linkconn_wants_write(&cli));
	/* The callback stops after the first frame. */
	g.stop_at = 1;
	CU_ASSERT_EQUAL(linkconn_read(&srv, on_frame, &g, &why),
	    LINKCONN_STOPPED);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(g.type[0], FRAME_HELLO);
	CU_ASSERT(g.hello_ok);
	CU_ASSERT_EQUAL(g.hello.epoch, 77);
	CU_ASSERT_EQUAL(g.hello.rx, 5);
	CU_ASSERT_EQUAL(g.hello.notice_seq, 9);
	pair_close(&srv, &cli);
}

static void
test_linkconn_close_reopen(void)
{
	struct linkconn	 srv, cli;
	struct got	 g;

	memset(&g, 0, sizeof(g));
	pair_open(&srv, &cli, 0);
	/* Queued output and a half-read frame die with the connection. */
	CU_ASSERT_EQUAL(linkconn_append(&cli, FRAME_PING, 0, "x", 1), 0);
	linkconn_close(&cli);
	CU_ASSERT_EQUAL(cli.wire.len, 0);
	CU_ASSERT_FALSE(linkconn_wants_write(&cli));
	CU_ASSERT_PTR_NULL(cli.tls);
	linkconn_close(&cli);		/* twice is harmless */
	linkconn_clear(&srv);
	linkconn_clear(&cli);
	/* The same structs carry a new pair afterwards. */
	pair_open(&srv, &cli, 0);
	CU_ASSERT_EQUAL(linkconn_append(&cli, FRAME_PING, 0, "y", 1), 0);
	CU_ASSERT_EQUAL(linkconn_flush(&cli), 0);
	read_ok(&srv, &g);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(g.first[0], 'y');
	pair_close(&srv, &cli);
}

static CU_TestInfo tests[] = {
	{ "test_linkconn_split_reads", test_linkconn_split_reads },
	{ "test_linkconn_peer_closes_mid_frame",
	    test_linkconn_peer_closes_mid_frame },
	{ "test_linkconn_flush_full_socket", test_linkconn_flush_full_socket },
	{ "test_linkconn_oversized", test_linkconn_oversized },
	{ "test_linkconn_stop_and_hello", test_linkconn_stop_and_hello },
	{ "test_linkconn_close_reopen", test_linkconn_close_reopen },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "linkconn", suite_init, suite_clean, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
