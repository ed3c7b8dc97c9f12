/* fuzz-sources: common/abc_link.c common/frame.c common/buf.c common/xmalloc.c common/msg.c */
/* fuzz-libs: -ljson-c */
/*
 * libFuzzer target for the link's inbound frame handling as a whole.
 * Input layout:
 *
 *	byte 0		chunk size the stream is fed in, minus one
 *	byte 1		fault delay in ms (0: none) for the session's pump
 *	bytes 2-	the byte stream from the peer
 *
 * The session starts with an outbound log of FUZZ_PREFILL messages, all
 * sent once, alternating kept requests and plain notices.  Each decoded
 * frame goes through link_session_receive (acks, sacks, id verdict); a
 * REPLY removes the request it answers, a new REQUEST queues a reply, a
 * HELLO restarts the connection and a CLOSE renumbers the log as for a new
 * peer incarnation; REQUEST/REPLY/NOTICE bodies go through msg_parse.
 * The frame's ref also moves the clock forward, so that retransmission
 * and ack timers fire.  After each frame the session pumps into a bounded
 * wire buffer.  Any broken invariant of the log or of the receive window
 * aborts.  The first decoder error ends the stream, as it would close the
 * connection.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "frame.h"
#include "abc_link.h"
#include "msg.h"

#define FUZZ_PREFIX	2
#define FUZZ_PREFILL	100
#define FUZZ_MAX_BODY	4096
#define FUZZ_WIRE_MAX	(64 * 1024)
#define FUZZ_T0		1000000

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_check(const struct link_session *s);
static void	fuzz_frame(struct link_session *s, const struct frame_hdr *h,
		    const uint8_t *body, int64_t now);

/* Aborts when the session's bookkeeping is inconsistent. */
static void
fuzz_check(const struct link_session *s)
{
	const struct link_msg	*m, *last = NULL;
	size_t			 count = 0, bytes = 0;

	for (m = s->out.head; m != NULL; last = m, m = m->next) {
		if (last != NULL && m->id <= last->id)
			abort();
		if (m->id == 0 || m->id > s->out.last_id)
			abort();
		if (m->acked && !m->keep)
			abort();
		count++;
		bytes += m->len;
	}
	if (s->out.tail != last || s->out.count != count ||
	    s->out.bytes != bytes || s->out.count > s->out.max_count ||
	    s->out.bytes > s->out.max_bytes ||
	    s->out.peer_cum > s->out.last_id)
		abort();
	/* The cumulative ack always slides over a received run. */
	if ((s->rx.bits & 1) != 0)
		abort();
}

/* What a link endpoint does with one inbound frame. */
static void
fuzz_frame(struct link_session *s, const struct frame_hdr *h,
    const uint8_t *body, int64_t now)
{
	struct json_object	*obj;
	enum link_rx_verdict	 v;
	uint64_t		 cum = s->rx.cum;
	char			 err[128], reply[64];
	int			 len;

	v = link_session_receive(s, h, now);
	switch (v) {
	case LINK_RX_NEW:
		if (!link_rx_has(&s->rx, h->id))
			abort();
		break;
	case LINK_RX_DUP:
		if (!link_rx_has(&s->rx, h->id))
			abort();
		break;
	case LINK_RX_FAR:
		if (h->id <= cum + 64 || link_rx_has(&s->rx, h->id) ||
		    s->rx.cum != cum)
			abort();
		break;
	case LINK_RX_NONE:
		if (h->id != 0 || s->rx.cum != cum)
			abort();
		break;
	default:
		abort();
	}
	if (s->rx.cum < cum)
		abort();
	fuzz_check(s);

	switch (h->type) {
	case FRAME_REQUEST:
	case FRAME_REPLY:
	case FRAME_NOTICE:
		obj = msg_parse(body, h->body_len, err, sizeof(err));
		json_object_put(obj);
		break;
	default:
		break;
	}
	switch (h->type) {
	case FRAME_REQUEST:
		if (v != LINK_RX_NEW)
			break;
		len = snprintf(reply, sizeof(reply),
		    "{\"ok\":true,\"id\":%llu}", (unsigned long long)h->id);
		(void)link_out_push(&s->out, FRAME_REPLY, h->id, reply,
		    (size_t)len, 0, NULL);
		break;
	case FRAME_REPLY:
		(void)link_out_remove_ref(&s->out, FRAME_REQUEST, h->ref);
		break;
	case FRAME_HELLO:
		link_session_connected(s, now);
		break;
	case FRAME_CLOSE:
		link_out_renumber(&s->out);
		break;
	default:
		break;
	}
	fuzz_check(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_session	 s;
	struct link_fault	 f;
	struct frame_decoder	 d;
	struct frame_hdr	 h;
	struct buf		 wire;
	const uint8_t		*p, *body;
	enum frame_status	 st;
	char			 text[64];
	size_t			 n, chunk;
	int64_t			 now = FUZZ_T0, next;
	int			 i, len, done = 0;

	if (size < FUZZ_PREFIX)
		return 0;
	chunk = (size_t)data[0] + 1;
	memset(&f, 0, sizeof(f));
	f.delay_ms = data[1];
	f.rng = 0x2545f4914f6cdd1dULL;
	p = data + FUZZ_PREFIX;
	n = size - FUZZ_PREFIX;

	link_session_init(&s, 2 * FUZZ_PREFILL, 16 * 1024, &f);
	for (i = 1; i <= FUZZ_PREFILL; i++) {
		len = snprintf(text, sizeof(text), "{\"op\":\"echo\",\"n\":%d}",
		    i);
		if (link_out_push(&s.out, i % 2 ? FRAME_REQUEST : FRAME_NOTICE,
		    (uint64_t)i, text, (size_t)len, i % 2, NULL) != 0)
			abort();
	}
	buf_init(&wire, FUZZ_WIRE_MAX);
	link_session_connected(&s, now);
	(void)link_session_pump(&s, &wire, now);
	buf_reset(&wire);
	fuzz_check(&s);

	frame_decoder_init(&d, FUZZ_MAX_BODY);
	while (n > 0 && !done) {
		if (chunk > n)
			chunk = n;
		if (frame_decoder_feed(&d, p, chunk) == -1)
			break;
		p += chunk;
		n -= chunk;
		while ((st = frame_decoder_next(&d, &h, &body)) == FRAME_OK) {
			fuzz_frame(&s, &h, body, now);
			now += (int64_t)(h.ref % 512);
			if (link_session_pump(&s, &wire, now) < 0)
				abort();
			if (wire.len > FUZZ_WIRE_MAX)
				abort();
			buf_reset(&wire);
			next = link_session_next_ms(&s, now);
			if (next < -1)
				abort();
			fuzz_check(&s);
		}
		if (st != FRAME_MORE)
			done = 1;
	}
	frame_decoder_clear(&d);
	link_session_clear(&s);
	buf_clear(&wire);
	return 0;
}
