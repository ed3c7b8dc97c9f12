/*
 * Delivery bookkeeping for the link: receive windows, the outbound log and
 * the pump that turns a session's state into frames.  No I/O here; callers
 * own sockets and clocks and pass the time in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "buf.h"
#include "frame.h"
#include "abc_limits.h"
#include "abc_link.h"
#include "xmalloc.h"

void
link_rx_init(struct link_rx *rx, uint64_t cum)
{
	rx->cum = cum;
	rx->bits = 0;
}

/*
 * Records the arrival of id.  Returns LINK_RX_NEW the first time (and
 * slides the cumulative ack over any run of received ids), LINK_RX_DUP for
 * an id seen before, LINK_RX_FAR for an id more than 64 past the
 * cumulative ack (not recorded: the sender will resend it), and
 * LINK_RX_NONE for id 0.
 */
enum link_rx_verdict
link_rx_accept(struct link_rx *rx, uint64_t id)
{
	uint64_t	 off;

	if (id == 0)
		return LINK_RX_NONE;
	if (id <= rx->cum)
		return LINK_RX_DUP;
	off = id - rx->cum - 1;
	if (off >= 64)
		return LINK_RX_FAR;
	if (rx->bits & ((uint64_t)1 << off))
		return LINK_RX_DUP;
	rx->bits |= (uint64_t)1 << off;
	while (rx->bits & 1) {
		rx->cum++;
		rx->bits >>= 1;
	}
	return LINK_RX_NEW;
}

/* Returns non-zero when id has been received. */
int
link_rx_has(const struct link_rx *rx, uint64_t id)
{
	uint64_t	 off;

	if (id == 0 || id <= rx->cum)
		return id != 0;
	off = id - rx->cum - 1;
	return off < 64 && (rx->bits & ((uint64_t)1 << off)) != 0;
}

void
link_out_init(struct link_out *o, size_t max_count, size_t max_bytes)
{
	memset(o, 0, sizeof(*o));
	o->max_count = max_count;
	o->max_bytes = max_bytes;
}

/* Frees every message. */
void
link_out_clear(struct link_out *o)
{
	struct link_msg	*m;

	while ((m = o->head) != NULL) {
		o->head = m->next;
		free(m);
	}
	o->tail = NULL;
	o->count = o->bytes = 0;
}

/* Returns non-zero when a message of len bytes would not fit. */
int
link_out_full(const struct link_out *o, size_t len)
{
	return o->count >= o->max_count || len > o->max_bytes - o->bytes ||
	    o->bytes > o->max_bytes;
}

/*
 * Appends a message with the next id (stored in *id when id != NULL).
 * keep: stays in the log after the peer's ack, until removed by ref (a
 * request waiting for its reply).  Returns 0, or -1 when the body is over
 * LIMIT_FRAME_BODY or the log is full: the caller applies back-pressure.
 */
int
link_out_push(struct link_out *o, uint8_t type, uint64_t ref,
    const void *body, size_t len, int keep, uint64_t *id)
{
	struct link_msg	*m;

	if (len > LIMIT_FRAME_BODY || link_out_full(o, len))
		return -1;
	/* One allocation: the body follows the struct. */
	m = xmalloc(sizeof(*m) + len);
	memset(m, 0, sizeof(*m));
	m->id = ++o->last_id;
	m->ref = ref;
	m->type = type;
	m->keep = keep;
	m->body = (uint8_t *)(m + 1);
	if (len > 0)
		memcpy(m->body, body, len);
	m->len = len;
	if (o->tail != NULL)
		o->tail->next = m;
	else
		o->head = m;
	o->tail = m;
	o->count++;
	o->bytes += len;
	if (id != NULL)
		*id = m->id;
	return 0;
}

/* Unlinks m (whose predecessor is prev, or NULL) and frees it. */
static void
link_out_drop(struct link_out *o, struct link_msg *prev, struct link_msg *m)
{
	if (prev != NULL)
		prev->next = m->next;
	else
		o->head = m->next;
	if (o->tail == m)
		o->tail = prev;
	o->count--;
	o->bytes -= m->len;
	free(m);
}

/* Returns non-zero when the peer's (cum, sack) covers id. */
static int
link_acked(uint64_t cum, uint64_t sack, uint64_t id)
{
	uint64_t	 off;

	if (id <= cum)
		return 1;
	off = id - cum - 1;
	return off < 64 && (sack & ((uint64_t)1 << off)) != 0;
}

/*
 * Applies the peer's cumulative ack and bitmap.  Acked messages are freed,
 * except kept ones, which are only marked.  Acks for ids never handed out
 * are ignored.  Returns how many messages became acked.
 */
size_t
link_out_ack(struct link_out *o, uint64_t cum, uint64_t sack)
{
	struct link_msg	*m, *prev = NULL, *next;
	size_t		 n = 0;

	if (cum > o->last_id)
		cum = o->last_id;
	if (cum > o->peer_cum)
		o->peer_cum = cum;
	for (m = o->head; m != NULL; m = next) {
		next = m->next;
		if (m->id > cum + 64)
			break;
		if (m->acked || !link_acked(cum, sack, m->id) ||
		    m->id > o->last_id) {
			prev = m;
			continue;
		}
		n++;
		if (m->keep) {
			m->acked = 1;
			prev = m;
		} else
			link_out_drop(o, prev, m);
	}
	return n;
}

/*
 * Removes the first message of type with ref (a request whose reply came).
 * Returns 0, or -1 when there is none.
 */
int
link_out_remove_ref(struct link_out *o, uint8_t type, uint64_t ref)
{
	struct link_msg	*m, *prev = NULL;

	for (m = o->head; m != NULL; prev = m, m = m->next)
		if (m->type == type && m->ref == ref) {
			link_out_drop(o, prev, m);
			return 0;
		}
	return -1;
}

/* After a reconnect to the same peer: everything unacked goes again. */
void
link_out_rewind(struct link_out *o)
{
	struct link_msg	*m;

	for (m = o->head; m != NULL; m = m->next)
		if (!m->acked)
			m->sent_ms = m->hold_ms = 0;
}

/*
 * After a reconnect to a new incarnation of the peer, which knows nothing:
 * every message left (acked or not) is renumbered from 1 and sent again.
 */
void
link_out_renumber(struct link_out *o)
{
	struct link_msg	*m;

	o->last_id = 0;
	o->peer_cum = 0;
	for (m = o->head; m != NULL; m = m->next) {
		m->id = ++o->last_id;
		m->acked = 0;
		m->sent_ms = m->hold_ms = 0;
	}
}

/* xorshift64*: cheap, good enough for fault injection. */
static uint64_t
link_fault_rand(struct link_fault *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

/* Returns non-zero when fault injection says to drop this frame. */
static int
link_fault_drop(struct link_fault *f)
{
	return f->drop_ppm > 0 && link_fault_rand(f) % 1000000 < f->drop_ppm;
}

/*
 * Parses a percentage like "10" or "2.5" into parts per million; 0, or -1
 * for anything but digits with at most 4 decimals, or above 100.
 */
static int
link_parse_pct(const char *s, unsigned *ppm)
{
	unsigned long	 whole = 0, frac = 0, scale = 10000;
	const char	*p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9' && whole <= 100; p++)
		whole = whole * 10 + (unsigned long)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 1; p++) {
			scale /= 10;
			frac += (unsigned long)(*p - '0') * scale;
		}
	if (*p != '\0' || whole > 100 || (whole == 100 && frac > 0))
		return -1;
	*ppm = (unsigned)(whole * 10000 + frac);
	return 0;
}

/* Parses a non-negative millisecond count up to one hour. */
static int
link_parse_ms(const char *s, unsigned *ms)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 3600000)
		return -1;
	*ms = (unsigned)v;
	return 0;
}

/*
 * Fills f from text settings (each may be NULL or "" for off): percentage
 * of frames to drop, maximum delay and mean interval between cuts in
 * milliseconds.  Returns 0, or -1 when a value is malformed.
 */
int
link_fault_from_env(struct link_fault *f, const char *drop_pct,
    const char *delay_ms, const char *cut_ms, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
	if (drop_pct != NULL && *drop_pct != '\0' &&
	    link_parse_pct(drop_pct, &f->drop_ppm) != 0)
		return -1;
	if (delay_ms != NULL && *delay_ms != '\0' &&
	    link_parse_ms(delay_ms, &f->delay_ms) != 0)
		return -1;
	if (cut_ms != NULL && *cut_ms != '\0' &&
	    link_parse_ms(cut_ms, &f->cut_ms) != 0)
		return -1;
	return 0;
}

/*
 * Parses one setting "key=value" of a fault line into f; 0, or -1 with the
 * reason in err.  seen collects the keys met so far (bit per key).
 */
static int
link_fault_setting(const char *tok, size_t n, struct link_fault *f,
    unsigned *seen, char *err, size_t errlen)
{
	static const char *const keys[] = { "drop_pct", "delay_ms", "cut_ms" };
	char		 val[16];
	const char	*eq;
	size_t		 k, klen;
	int		 rc;

	if ((eq = memchr(tok, '=', n)) == NULL) {
		snprintf(err, errlen, "want key=value, got \"%.*s\"",
		    (int)(n > 32 ? 32 : n), tok);
		return -1;
	}
	klen = (size_t)(eq - tok);
	for (k = 0; k < 3; k++)
		if (strlen(keys[k]) == klen && memcmp(keys[k], tok, klen) == 0)
			break;
	if (k == 3) {
		snprintf(err, errlen, "unknown key \"%.*s\" (drop_pct, "
		    "delay_ms, cut_ms)", (int)(klen > 32 ? 32 : klen), tok);
		return -1;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "%s given twice", keys[k]);
		return -1;
	}
	*seen |= 1u << k;
	if (n - klen - 1 >= sizeof(val)) {
		snprintf(err, errlen, "%s: value too long", keys[k]);
		return -1;
	}
	memcpy(val, eq + 1, n - klen - 1);
	val[n - klen - 1] = '\0';
	rc = k == 0 ? link_parse_pct(val, &f->drop_ppm) :
	    link_parse_ms(val, k == 1 ? &f->delay_ms : &f->cut_ms);
	if (rc != 0)
		snprintf(err, errlen, "%s: bad value \"%s\" (%s)", keys[k],
		    val, k == 0 ? "0 to 100, up to 4 decimals" :
		    "0 to 3600000 ms");
	return rc;
}

/*
 * Parses the fault settings of a runtime fault file: one line of
 * "drop_pct=P delay_ms=D cut_ms=C", any subset, in any order, separated
 * by spaces or tabs, with an optional final newline; a missing key (or
 * empty text) is off.  Returns 0 with *f filled (rng 0: see
 * link_session_set_fault), or -1 with the reason in err and *f untouched.
 */
int
link_fault_parse(const char *text, size_t len, struct link_fault *f,
    char *err, size_t errlen)
{
	struct link_fault	 nf;
	unsigned		 seen = 0;
	size_t			 i = 0, start;

	memset(&nf, 0, sizeof(nf));
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	while (i < len) {
		if (text[i] == ' ' || text[i] == '\t') {
			i++;
			continue;
		}
		start = i;
		while (i < len && text[i] > ' ' && text[i] < 0x7f)
			i++;
		if (i < len && text[i] != ' ' && text[i] != '\t') {
			snprintf(err, errlen, "byte 0x%02x at %zu: one line of "
			    "key=value settings expected",
			    (unsigned char)text[i], i);
			return -1;
		}
		if (link_fault_setting(text + start, i - start, &nf, &seen,
		    err, errlen) != 0)
			return -1;
	}
	*f = nf;
	return 0;
}

/* Writes f as "drop_pct=P delay_ms=D cut_ms=C" into out (for logs). */
void
link_fault_format(const struct link_fault *f, char *out, size_t outlen)
{
	char	 pct[24];
	size_t	 n;

	snprintf(pct, sizeof(pct), "%u.%04u", f->drop_ppm / 10000,
	    f->drop_ppm % 10000);
	/* "2.5000" -> "2.5", "30.0000" -> "30" */
	n = strlen(pct);
	while (pct[n - 1] == '0')
		pct[--n] = '\0';
	if (pct[n - 1] == '.')
		pct[n - 1] = '\0';
	snprintf(out, outlen, "drop_pct=%s delay_ms=%u cut_ms=%u", pct,
	    f->delay_ms, f->cut_ms);
}

/*
 * Applies new fault settings to a live session: drop, delay and cut from
 * f, the session's own random stream kept, and the next cut re-armed from
 * now (or disarmed when cuts are off).
 */
void
link_session_set_fault(struct link_session *s, const struct link_fault *f,
    int64_t now_ms)
{
	s->fault.drop_ppm = f->drop_ppm;
	s->fault.delay_ms = f->delay_ms;
	s->fault.cut_ms = f->cut_ms;
	s->cut_at_ms = f->cut_ms == 0 ? 0 : now_ms + f->cut_ms / 2 +
	    (int64_t)(link_fault_rand(&s->fault) % (f->cut_ms + 1));
}

void
link_session_init(struct link_session *s, size_t max_count, size_t max_bytes,
    const struct link_fault *fault)
{
	memset(s, 0, sizeof(*s));
	link_rx_init(&s->rx, 0);
	link_out_init(&s->out, max_count, max_bytes);
	if (fault != NULL)
		s->fault = *fault;
	if (s->fault.rng == 0)
		s->fault.rng = 0x9e3779b97f4a7c15ULL;
}

void
link_session_clear(struct link_session *s)
{
	link_out_clear(&s->out);
}

/*
 * Called when a connection (re)starts carrying this session: resets the
 * ack timer, re-sends what is unacked, and arms the next fault cut.
 */
void
link_session_connected(struct link_session *s, int64_t now_ms)
{
	unsigned	 cut = s->fault.cut_ms;

	s->ack_owed = 0;
	link_out_rewind(&s->out);
	s->cut_at_ms = cut == 0 ? 0 : now_ms + cut / 2 +
	    (int64_t)(link_fault_rand(&s->fault) % (cut + 1));
}

/*
 * Resume negotiation, the same at both ends once HELLOs are exchanged.
 * fresh: the peer is a new incarnation or forgot us, so nothing it had
 * counts: our log is renumbered from 1 and resent whole (kept requests
 * included) and we expect its ids from 1 again.  Otherwise peer_rx (the
 * last id the peer got from us) acknowledges what it has, and only the
 * rest is resent.
 */
void
link_session_resume(struct link_session *s, int fresh, uint64_t peer_rx,
    int64_t now_ms)
{
	if (fresh) {
		link_out_renumber(&s->out);
		link_rx_init(&s->rx, 0);
	} else
		(void)link_out_ack(&s->out, peer_rx, 0);
	link_session_connected(s, now_ms);
}

/*
 * Applies the acks a received frame carries and classifies its id.  Frames
 * with an id (new, duplicate or far) all make us owe an ack: a duplicate
 * means our last ack was lost.
 */
enum link_rx_verdict
link_session_receive(struct link_session *s, const struct frame_hdr *h,
    int64_t now_ms)
{
	enum link_rx_verdict	 v;

	(void)link_out_ack(&s->out, h->ack, h->sack);
	v = link_rx_accept(&s->rx, h->id);
	if (v != LINK_RX_NONE) {
		if (s->ack_owed++ == 0)
			s->ack_owed_since = now_ms;
	}
	return v;
}

/* Appends one frame for m; 0, or -1 when the wire buffer is full. */
static int
link_session_emit(struct link_session *s, struct buf *wire,
    const struct link_msg *m, uint16_t flags)
{
	struct frame_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = m != NULL ? m->type : FRAME_ACK;
	h.flags = flags;
	h.id = m != NULL ? m->id : 0;
	h.ack = s->rx.cum;
	h.sack = s->rx.bits;
	h.ref = m != NULL ? m->ref : 0;
	return frame_append(wire, &h, m != NULL ? m->body : NULL,
	    m != NULL ? m->len : 0);
}

/*
 * Writes into wire every message that is due: never sent on this
 * connection, or unacked for LINK_RTO_MS, within LINK_WINDOW of the peer's
 * ack.  Then, if nothing carried our ack and one is owed long enough, a
 * bare ACK.  Dropped frames (fault injection) count as sent, so the
 * retransmission timer brings them back.  Returns the frames written.
 */
int
link_session_pump(struct link_session *s, struct buf *wire, int64_t now_ms)
{
	struct link_msg	*m;
	int		 n = 0;

	for (m = s->out.head; m != NULL; m = m->next) {
		if (m->id > s->out.peer_cum + LINK_WINDOW)
			break;
		if (m->acked || (m->sent_ms != 0 &&
		    now_ms - m->sent_ms < LINK_RTO_MS))
			continue;
		if (m->sent_ms == 0 && s->fault.delay_ms > 0 && m->hold_ms == 0)
			m->hold_ms = now_ms + 1 + (int64_t)(link_fault_rand(
			    &s->fault) % s->fault.delay_ms);
		if (m->sent_ms == 0 && now_ms < m->hold_ms)
			continue;
		if (link_fault_drop(&s->fault))
			;	/* lost on the way: the timer resends it */
		else if (link_session_emit(s, wire, m, m->sent_ms != 0 ?
		    FRAME_F_RESEND : 0) != 0)
			break;
		else
			n++;
		m->sent_ms = now_ms;
	}
	if (n > 0)
		s->ack_owed = 0;
	else if (s->ack_owed > 0 && (s->ack_owed >= LINK_ACK_EAGER ||
	    now_ms - s->ack_owed_since >= LINK_ACK_DELAY_MS)) {
		if (link_fault_drop(&s->fault) ||
		    link_session_emit(s, wire, NULL, 0) == 0)
			s->ack_owed = 0;
	}
	return n;
}

/*
 * Returns the earliest time the session needs link_session_pump again
 * (now_ms when something is due already), or -1 when nothing is pending.
 */
int64_t
link_session_next_ms(const struct link_session *s, int64_t now_ms)
{
	const struct link_msg	*m;
	int64_t			 next = -1, t;

	for (m = s->out.head; m != NULL; m = m->next) {
		if (m->id > s->out.peer_cum + LINK_WINDOW)
			break;
		if (m->acked)
			continue;
		if (m->sent_ms != 0)
			t = m->sent_ms + LINK_RTO_MS;
		else
			t = m->hold_ms > now_ms ? m->hold_ms : now_ms;
		if (next == -1 || t < next)
			next = t;
	}
	if (s->ack_owed > 0) {
		t = s->ack_owed >= LINK_ACK_EAGER ? now_ms :
		    s->ack_owed_since + LINK_ACK_DELAY_MS;
		if (next == -1 || t < next)
			next = t;
	}
	if (s->cut_at_ms != 0 && (next == -1 || s->cut_at_ms < next))
		next = s->cut_at_ms;
	return next;
}

/* Fault injection: returns non-zero when the connection should be cut. */
int
link_session_should_cut(struct link_session *s, int64_t now_ms)
{
	return s->cut_at_ms != 0 && now_ms >= s->cut_at_ms;
}

/*
 * Picks an epoch for a new incarnation of either end: random, positive,
 * never 0, so that a restarted process is never taken for its predecessor.
 */
int64_t
link_new_epoch(void)
{
	uint64_t	 r = 0;

	while (getrandom(&r, sizeof(r), 0) != sizeof(r) ||
	    (r & INT64_MAX) == 0)
		continue;
	return (int64_t)(r & INT64_MAX);
}
