/*
 * CUnit suite for common/abc_link.c: receive windows, the outbound log, the
 * session pump (window, retransmission, acks, fault injection), a lossy
 * two-party simulation and the fault settings parser.  Frames written by
 * the pump are read back with the real frame decoder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "buf.h"
#include "frame.h"
#include "abc_limits.h"
#include "abc_link.h"

#define T0		1000	/* simulated clock start (0 means "unsent") */
#define MAX_FRAMES	512

struct got {
	struct frame_hdr	 h;
	char			 body[64];
};

static struct got	 got[MAX_FRAMES];

/*
 * Decodes every frame in wire into got[], checks that the wire holds only
 * whole frames, empties the wire and returns the frame count.
 */
static size_t
decode_wire(struct buf *wire)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h;
	const uint8_t		*body;
	enum frame_status	 st;
	size_t			 n = 0, len;

	frame_decoder_init(&d, 0);
	if (wire->len > 0)
		CU_ASSERT_EQUAL_FATAL(frame_decoder_feed(&d, wire->data,
		    wire->len), 0);
	while ((st = frame_decoder_next(&d, &h, &body)) == FRAME_OK) {
		CU_ASSERT_FATAL(n < MAX_FRAMES);
		memset(&got[n], 0, sizeof(got[n]));
		got[n].h = h;
		len = h.body_len < sizeof(got[n].body) - 1 ? h.body_len :
		    sizeof(got[n].body) - 1;
		memcpy(got[n].body, body, len);
		n++;
	}
	CU_ASSERT_EQUAL(st, FRAME_MORE);
	CU_ASSERT_EQUAL(d.in.len, 0);
	frame_decoder_clear(&d);
	buf_reset(wire);
	return n;
}

/* Walks the log: ascending ids, tail, count and bytes all agree. */
static void
check_out(const struct link_out *o)
{
	const struct link_msg	*m, *last = NULL;
	size_t			 count = 0, bytes = 0;

	for (m = o->head; m != NULL; last = m, m = m->next) {
		if (last != NULL)
			CU_ASSERT(m->id > last->id);
		CU_ASSERT(m->id <= o->last_id);
		count++;
		bytes += m->len;
	}
	CU_ASSERT_PTR_EQUAL(o->tail, last);
	CU_ASSERT_EQUAL(o->count, count);
	CU_ASSERT_EQUAL(o->bytes, bytes);
	CU_ASSERT(o->peer_cum <= o->last_id);
}

static struct link_msg *
find_id(const struct link_out *o, uint64_t id)
{
	struct link_msg	*m;

	for (m = o->head; m != NULL; m = m->next)
		if (m->id == id)
			return m;
	return NULL;
}

/* Pushes n messages "m<ref>" with refs from ref0; returns 0 if all fit. */
static int
push_n(struct link_out *o, uint8_t type, uint64_t ref0, int n, int keep)
{
	char	 body[32];
	int	 i, len;

	for (i = 0; i < n; i++) {
		len = snprintf(body, sizeof(body), "m%llu",
		    (unsigned long long)(ref0 + (uint64_t)i));
		if (link_out_push(o, type, ref0 + (uint64_t)i, body,
		    (size_t)len, keep, NULL) != 0)
			return -1;
	}
	return 0;
}

/* A frame header as the peer would send it. */
static struct frame_hdr
peer_frame(uint8_t type, uint64_t id, uint64_t ack, uint64_t sack)
{
	struct frame_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.version = FRAME_VERSION;
	h.type = type;
	h.id = id;
	h.ack = ack;
	h.sack = sack;
	return h;
}

/* ---- link_rx ---- */

static void
test_link_rx_in_order(void)
{
	struct link_rx	 rx;
	uint64_t	 id;

	link_rx_init(&rx, 0);
	for (id = 1; id <= 200; id++) {
		CU_ASSERT_EQUAL(link_rx_accept(&rx, id), LINK_RX_NEW);
		CU_ASSERT_EQUAL(rx.cum, id);
		CU_ASSERT_EQUAL(rx.bits, 0);
	}
}

static void
test_link_rx_gaps_out_of_order(void)
{
	struct link_rx	 rx;
	uint64_t	 id;

	link_rx_init(&rx, 0);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 3), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 0);
	CU_ASSERT_EQUAL(rx.bits, 0x4);		/* id 3 = cum + 1 + 2 */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 5), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.bits, 0x14);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 2), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 0);
	CU_ASSERT_EQUAL(rx.bits, 0x16);
	/* 1 fills the gap: cum slides over 1, 2, 3 and stops before 4. */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 1), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 3);
	CU_ASSERT_EQUAL(rx.bits, 0x2);		/* id 5 = cum + 1 + 1 */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 4), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 5);
	CU_ASSERT_EQUAL(rx.bits, 0);

	/* Reverse order over a whole window. */
	link_rx_init(&rx, 100);
	for (id = 164; id > 101; id--) {
		CU_ASSERT_EQUAL(link_rx_accept(&rx, id), LINK_RX_NEW);
		CU_ASSERT_EQUAL(rx.cum, 100);
	}
	CU_ASSERT_EQUAL(rx.bits, ~(uint64_t)1);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 101), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 164);
	CU_ASSERT_EQUAL(rx.bits, 0);
}

static void
test_link_rx_duplicates(void)
{
	struct link_rx	 rx;

	link_rx_init(&rx, 0);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 1), LINK_RX_NEW);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 2), LINK_RX_NEW);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 10), LINK_RX_NEW);
	/* Below cum. */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 1), LINK_RX_DUP);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 2), LINK_RX_DUP);
	/* Inside the bitmap. */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 10), LINK_RX_DUP);
	CU_ASSERT_EQUAL(rx.cum, 2);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)1 << 7);
	/* Still new: gaps inside the bitmap. */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 9), LINK_RX_NEW);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 9), LINK_RX_DUP);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)3 << 6);
}

static void
test_link_rx_window_edge(void)
{
	struct link_rx	 rx;

	link_rx_init(&rx, 7);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 7 + 65), LINK_RX_FAR);
	CU_ASSERT_EQUAL(rx.cum, 7);
	CU_ASSERT_EQUAL(rx.bits, 0);
	CU_ASSERT_FALSE(link_rx_has(&rx, 7 + 65));
	CU_ASSERT_EQUAL(link_rx_accept(&rx, UINT64_MAX), LINK_RX_FAR);
	CU_ASSERT_EQUAL(rx.bits, 0);

	CU_ASSERT_EQUAL(link_rx_accept(&rx, 7 + 64), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 7);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)1 << 63);
	CU_ASSERT_TRUE(link_rx_has(&rx, 7 + 64));
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 7 + 64), LINK_RX_DUP);
	/* Still far: the window has not moved. */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 7 + 65), LINK_RX_FAR);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)1 << 63);

	/* Once cum moves by one, cum + 65 of before is now cum + 64. */
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 8), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, 8);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)1 << 62);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 7 + 65), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)3 << 62);
}

static void
test_link_rx_id_zero(void)
{
	struct link_rx	 rx;

	link_rx_init(&rx, 0);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 0), LINK_RX_NONE);
	CU_ASSERT_EQUAL(rx.cum, 0);
	CU_ASSERT_EQUAL(rx.bits, 0);
	CU_ASSERT_FALSE(link_rx_has(&rx, 0));
	link_rx_init(&rx, 50);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 0), LINK_RX_NONE);
	CU_ASSERT_EQUAL(rx.cum, 50);
	CU_ASSERT_FALSE(link_rx_has(&rx, 0));
}

static void
test_link_rx_near_top(void)
{
	struct link_rx	 rx;
	uint64_t	 base = UINT64_MAX - 200, id;

	link_rx_init(&rx, base);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, base), LINK_RX_DUP);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, UINT64_MAX), LINK_RX_FAR);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, base + 65), LINK_RX_FAR);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, base + 64), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)1 << 63);
	for (id = base + 1; id < base + 64; id++)
		CU_ASSERT_EQUAL(link_rx_accept(&rx, id), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, base + 64);
	CU_ASSERT_EQUAL(rx.bits, 0);

	/* Fill up to the very top, the last ids out of order. */
	for (id = base + 65; id < UINT64_MAX - 10; id++)
		CU_ASSERT_EQUAL(link_rx_accept(&rx, id), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, UINT64_MAX - 11);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, UINT64_MAX), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.bits, (uint64_t)1 << 10);
	CU_ASSERT_TRUE(link_rx_has(&rx, UINT64_MAX));
	CU_ASSERT_FALSE(link_rx_has(&rx, UINT64_MAX - 1));
	for (id = UINT64_MAX - 1; id > UINT64_MAX - 10; id--)
		CU_ASSERT_EQUAL(link_rx_accept(&rx, id), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, UINT64_MAX - 11);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, UINT64_MAX - 10), LINK_RX_NEW);
	CU_ASSERT_EQUAL(rx.cum, UINT64_MAX);
	CU_ASSERT_EQUAL(rx.bits, 0);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, UINT64_MAX), LINK_RX_DUP);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 1), LINK_RX_DUP);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 0), LINK_RX_NONE);
	CU_ASSERT_TRUE(link_rx_has(&rx, UINT64_MAX));
	CU_ASSERT_TRUE(link_rx_has(&rx, 1));
	CU_ASSERT_FALSE(link_rx_has(&rx, 0));
}

static void
test_link_rx_has(void)
{
	struct link_rx	 rx;

	link_rx_init(&rx, 10);
	CU_ASSERT_TRUE(link_rx_has(&rx, 1));
	CU_ASSERT_TRUE(link_rx_has(&rx, 10));
	CU_ASSERT_FALSE(link_rx_has(&rx, 11));
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 12), LINK_RX_NEW);
	CU_ASSERT_EQUAL(link_rx_accept(&rx, 74), LINK_RX_NEW);
	CU_ASSERT_FALSE(link_rx_has(&rx, 11));
	CU_ASSERT_TRUE(link_rx_has(&rx, 12));
	CU_ASSERT_FALSE(link_rx_has(&rx, 13));
	CU_ASSERT_TRUE(link_rx_has(&rx, 74));
	CU_ASSERT_FALSE(link_rx_has(&rx, 75));
	CU_ASSERT_FALSE(link_rx_has(&rx, UINT64_MAX));
	CU_ASSERT_FALSE(link_rx_has(&rx, 0));
}

/* ---- link_out ---- */

static void
test_link_out_full_by_count(void)
{
	struct link_out	 o;
	uint64_t	 id = 0;

	link_out_init(&o, 5, 1 << 20);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 1, 5, 0), 0);
	CU_ASSERT_EQUAL(o.count, 5);
	CU_ASSERT_TRUE(link_out_full(&o, 0));
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 9, "x", 1, 0, &id),
	    -1);
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(o.count, 5);
	CU_ASSERT_EQUAL(o.last_id, 5);
	CU_ASSERT_EQUAL(o.tail->id, 5);
	check_out(&o);
	/* Freeing one makes room again, and ids keep counting. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 1, 0), 1);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 9, "x", 1, 0, &id), 0);
	CU_ASSERT_EQUAL(id, 6);
	check_out(&o);
	link_out_clear(&o);
	CU_ASSERT_PTR_NULL(o.head);
	CU_ASSERT_PTR_NULL(o.tail);
	CU_ASSERT_EQUAL(o.count, 0);
	CU_ASSERT_EQUAL(o.bytes, 0);
}

static void
test_link_out_full_by_bytes(void)
{
	struct link_out	 o;
	uint8_t		 body[100];
	uint64_t	 id = 0;

	memset(body, 'b', sizeof(body));
	link_out_init(&o, 1000, 250);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 1, body, 100, 0, &id),
	    0);
	CU_ASSERT_EQUAL(id, 1);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 2, body, 100, 0, &id),
	    0);
	CU_ASSERT_EQUAL(id, 2);
	CU_ASSERT_TRUE(link_out_full(&o, 51));
	CU_ASSERT_FALSE(link_out_full(&o, 50));
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 3, body, 51, 0, &id),
	    -1);
	CU_ASSERT_EQUAL(id, 2);
	CU_ASSERT_EQUAL(o.count, 2);
	CU_ASSERT_EQUAL(o.bytes, 200);
	CU_ASSERT_EQUAL(o.last_id, 2);
	/* Exactly up to the limit fits; then only empty bodies do. */
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 3, body, 50, 0, &id),
	    0);
	CU_ASSERT_EQUAL(o.bytes, 250);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 4, body, 1, 0, &id),
	    -1);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_ACK, 4, NULL, 0, 0, &id), 0);
	CU_ASSERT_EQUAL(id, 4);
	CU_ASSERT_EQUAL(o.count, 4);
	CU_ASSERT_EQUAL(o.bytes, 250);
	check_out(&o);
	/* A single body larger than the whole log never fits. */
	link_out_clear(&o);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 5, body, 100, 0, &id),
	    0);
	link_out_clear(&o);
	link_out_init(&o, 10, 99);
	CU_ASSERT_EQUAL(link_out_push(&o, FRAME_NOTICE, 5, body, 100, 0, &id),
	    -1);
	CU_ASSERT_EQUAL(o.count, 0);
	CU_ASSERT_EQUAL(o.bytes, 0);
	CU_ASSERT_EQUAL(o.last_id, 0);
	link_out_clear(&o);
}

static void
test_link_out_ack_cumulative(void)
{
	struct link_out	 o;

	link_out_init(&o, 100, 1 << 20);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 1, 10, 0), 0);
	CU_ASSERT_EQUAL(link_out_ack(&o, 4, 0), 4);
	CU_ASSERT_EQUAL(o.count, 6);
	CU_ASSERT_EQUAL(o.head->id, 5);
	CU_ASSERT_EQUAL(o.peer_cum, 4);
	check_out(&o);
	/* The same ack again, and an older one: nothing changes. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 4, 0), 0);
	CU_ASSERT_EQUAL(link_out_ack(&o, 2, 0), 0);
	CU_ASSERT_EQUAL(o.peer_cum, 4);
	CU_ASSERT_EQUAL(o.count, 6);
	CU_ASSERT_EQUAL(link_out_ack(&o, 10, 0), 6);
	CU_ASSERT_EQUAL(o.count, 0);
	CU_ASSERT_EQUAL(o.bytes, 0);
	CU_ASSERT_PTR_NULL(o.head);
	CU_ASSERT_PTR_NULL(o.tail);
	CU_ASSERT_EQUAL(o.peer_cum, 10);
	/* The log works after being emptied. */
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 11, 2, 0), 0);
	CU_ASSERT_EQUAL(o.head->id, 11);
	CU_ASSERT_EQUAL(o.tail->id, 12);
	check_out(&o);
	link_out_clear(&o);
}

static void
test_link_out_sack_selective(void)
{
	struct link_out	 o;

	link_out_init(&o, 200, 1 << 20);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 1, 100, 0), 0);
	/* cum 2; bits 0, 2, 63: ids 3, 5 and 66. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 2,
	    (uint64_t)1 | (uint64_t)1 << 2 | (uint64_t)1 << 63), 5);
	CU_ASSERT_EQUAL(o.count, 95);
	CU_ASSERT_PTR_NULL(find_id(&o, 1));
	CU_ASSERT_PTR_NULL(find_id(&o, 3));
	CU_ASSERT_PTR_NULL(find_id(&o, 5));
	CU_ASSERT_PTR_NULL(find_id(&o, 66));
	CU_ASSERT_PTR_NOT_NULL(find_id(&o, 4));
	CU_ASSERT_PTR_NOT_NULL(find_id(&o, 6));
	CU_ASSERT_PTR_NOT_NULL(find_id(&o, 65));
	CU_ASSERT_PTR_NOT_NULL(find_id(&o, 67));
	CU_ASSERT_EQUAL(o.peer_cum, 2);
	check_out(&o);
	/* Sacking the tail updates it. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 36, (uint64_t)1 << 63), 33);
	CU_ASSERT_PTR_NULL(find_id(&o, 100));
	CU_ASSERT_EQUAL(o.tail->id, 99);
	CU_ASSERT_EQUAL(o.head->id, 37);
	check_out(&o);
	CU_ASSERT_EQUAL(o.count, 62);
	CU_ASSERT_EQUAL(link_out_ack(&o, 98, 1), 62);
	CU_ASSERT_EQUAL(o.count, 0);
	CU_ASSERT_PTR_NULL(o.head);
	CU_ASSERT_PTR_NULL(o.tail);
	check_out(&o);
	link_out_clear(&o);
}

static void
test_link_out_ack_never_sent(void)
{
	struct link_out	 o;

	link_out_init(&o, 100, 1 << 20);
	/* Nothing pushed yet: any ack is ignored. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 1000, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(o.peer_cum, 0);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 1, 5, 0), 0);
	CU_ASSERT_EQUAL(o.head->id, 1);
	/* Bits for ids past the last one given out change nothing. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 5, UINT64_MAX), 5);
	CU_ASSERT_EQUAL(o.peer_cum, 5);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 6, 5, 0), 0);
	CU_ASSERT_EQUAL(o.count, 5);
	CU_ASSERT_EQUAL(o.peer_cum, 5);
	/* A wild cum acks what exists but peer_cum stays <= last_id. */
	CU_ASSERT_EQUAL(link_out_ack(&o, UINT64_MAX, UINT64_MAX), 5);
	CU_ASSERT_EQUAL(o.peer_cum, 10);
	CU_ASSERT_EQUAL(o.last_id, 10);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 11, 1, 0), 0);
	CU_ASSERT_EQUAL(o.head->id, 11);
	CU_ASSERT_EQUAL(link_out_ack(&o, UINT64_MAX - 1, 0), 1);
	CU_ASSERT_EQUAL(o.peer_cum, 11);
	check_out(&o);
	link_out_clear(&o);
}

static void
test_link_out_keep_until_removed(void)
{
	struct link_out	 o;
	struct link_msg	*m;

	link_out_init(&o, 100, 1 << 20);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_REQUEST, 100, 3, 1), 0);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_NOTICE, 200, 2, 0), 0);
	CU_ASSERT_EQUAL(link_out_ack(&o, 5, 0), 5);
	CU_ASSERT_EQUAL(o.count, 3);
	for (m = o.head; m != NULL; m = m->next) {
		CU_ASSERT_EQUAL(m->type, FRAME_REQUEST);
		CU_ASSERT_TRUE(m->acked);
	}
	/* A second ack does not count them again. */
	CU_ASSERT_EQUAL(link_out_ack(&o, 5, 0), 0);
	CU_ASSERT_EQUAL(o.count, 3);
	/* Type and ref must both match. */
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_NOTICE, 101), -1);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 101), 0);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 101), -1);
	CU_ASSERT_EQUAL(o.count, 2);
	check_out(&o);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 102), 0);
	CU_ASSERT_EQUAL(o.tail->id, 1);
	check_out(&o);
	/* A kept message may also be removed before its ack. */
	CU_ASSERT_EQUAL(push_n(&o, FRAME_REQUEST, 300, 1, 1), 0);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 300), 0);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 100), 0);
	CU_ASSERT_EQUAL(o.count, 0);
	CU_ASSERT_EQUAL(o.bytes, 0);
	check_out(&o);
	link_out_clear(&o);
}

static void
test_link_out_remove_ref_unknown(void)
{
	struct link_out	 o;

	link_out_init(&o, 100, 1 << 20);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 1), -1);
	CU_ASSERT_EQUAL(push_n(&o, FRAME_REQUEST, 1, 3, 1), 0);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REQUEST, 4), -1);
	CU_ASSERT_EQUAL(link_out_remove_ref(&o, FRAME_REPLY, 1), -1);
	CU_ASSERT_EQUAL(o.count, 3);
	check_out(&o);
	link_out_clear(&o);
}

static void
test_link_out_rewind(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	size_t			 n, i;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_REQUEST, 1, 3, 1), 0);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 4, 3, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 6);
	(void)decode_wire(&wire);
	/* The peer has 1 (kept: acked) and 5 (freed). */
	h = peer_frame(FRAME_ACK, 0, 1, (uint64_t)1 << 3);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0 + 1), LINK_RX_NONE);
	CU_ASSERT_EQUAL(s.out.count, 5);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 2), 0);
	link_out_rewind(&s.out);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 3), 4);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(got[0].h.id, 2);
	CU_ASSERT_EQUAL(got[1].h.id, 3);
	CU_ASSERT_EQUAL(got[2].h.id, 4);
	CU_ASSERT_EQUAL(got[3].h.id, 6);
	/* Sent anew on this connection: not flagged as a resend. */
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(got[i].h.flags, 0);
	CU_ASSERT_EQUAL(s.out.count, 5);
	CU_ASSERT_EQUAL(s.out.bytes, 10);
	check_out(&s.out);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_out_renumber(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct link_msg		*m;
	struct frame_hdr	 h;
	size_t			 n, i;
	uint64_t		 id;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_REQUEST, 1, 30, 1), 0);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 31, 10, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 40);
	(void)decode_wire(&wire);
	h = peer_frame(FRAME_ACK, 0, 35, 1);
	(void)link_session_receive(&s, &h, T0 + 1);
	CU_ASSERT_EQUAL(s.out.count, 30 + 4);
	(void)link_out_remove_ref(&s.out, FRAME_REQUEST, 7);
	CU_ASSERT_EQUAL(s.out.count, 33);
	link_out_renumber(&s.out);
	CU_ASSERT_EQUAL(s.out.last_id, 33);
	CU_ASSERT_EQUAL(s.out.peer_cum, 0);
	id = 0;
	for (m = s.out.head; m != NULL; m = m->next) {
		CU_ASSERT_EQUAL(m->id, ++id);
		CU_ASSERT_FALSE(m->acked);
		CU_ASSERT_EQUAL(m->sent_ms, 0);
	}
	check_out(&s.out);
	CU_ASSERT_EQUAL(s.out.bytes, 8 * 2 + 21 * 3 + 4 * 3);
	/* Everything goes again, as fresh frames with the new ids. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 2), 33);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 33);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(got[i].h.id, i + 1);
		CU_ASSERT_EQUAL(got[i].h.flags, 0);
	}
	CU_ASSERT_EQUAL(got[5].h.ref, 6);
	CU_ASSERT_EQUAL(got[6].h.ref, 8);
	CU_ASSERT_STRING_EQUAL(got[6].body, "m8");
	CU_ASSERT_EQUAL(got[29].h.ref, 37);
	/* New ids continue after the renumbered ones. */
	CU_ASSERT_EQUAL(link_out_push(&s.out, FRAME_NOTICE, 99, "z", 1, 0,
	    &id), 0);
	CU_ASSERT_EQUAL(id, 34);
	/* And the new peer's acks apply to the new ids. */
	h = peer_frame(FRAME_ACK, 0, 33, 0);
	(void)link_session_receive(&s, &h, T0 + 3);
	CU_ASSERT_EQUAL(s.out.count, 30 - 1 + 1);
	CU_ASSERT_EQUAL(s.out.peer_cum, 33);
	check_out(&s.out);
	link_session_clear(&s);
	buf_clear(&wire);
}

/* ---- link_session ---- */

static void
test_link_session_first_pump_window(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	size_t			 n, i;

	buf_init(&wire, 0);
	link_session_init(&s, 1000, 1 << 20, NULL);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 200, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), LINK_WINDOW);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, LINK_WINDOW);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(got[i].h.type, FRAME_NOTICE);
		CU_ASSERT_EQUAL(got[i].h.id, i + 1);
		CU_ASSERT_EQUAL(got[i].h.ref, i + 1);
		CU_ASSERT_EQUAL(got[i].h.flags, 0);
	}
	CU_ASSERT_STRING_EQUAL(got[0].body, "m1");
	CU_ASSERT_STRING_EQUAL(got[63].body, "m64");
	/* Nothing more until the window moves. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	/* A sack beyond cum frees but does not move the window. */
	h = peer_frame(FRAME_ACK, 0, 0, UINT64_MAX & ~(uint64_t)1);
	(void)link_session_receive(&s, &h, T0 + 2);
	CU_ASSERT_EQUAL(s.out.count, 200 - 63);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 3), 0);
	/* The cum ack moves it by exactly as much. */
	h = peer_frame(FRAME_ACK, 0, 10, 0);
	(void)link_session_receive(&s, &h, T0 + 4);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 5), 10);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 10);
	CU_ASSERT_EQUAL(got[0].h.id, 65);
	CU_ASSERT_EQUAL(got[9].h.id, 74);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_rto(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	size_t			 n;
	int64_t			 t;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 5, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 5);
	(void)decode_wire(&wire);
	/* Acked: 2 (sack) and 1 (cum); 3, 4, 5 are due again. */
	h = peer_frame(FRAME_ACK, 0, 0, 2);
	(void)link_session_receive(&s, &h, T0 + 10);
	h = peer_frame(FRAME_ACK, 0, 2, 0);
	(void)link_session_receive(&s, &h, T0 + 20);
	for (t = T0 + 1; t < T0 + LINK_RTO_MS; t += 7)
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + LINK_RTO_MS - 1), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 100),
	    T0 + LINK_RTO_MS);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + LINK_RTO_MS), 3);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(got[0].h.id, 3);
	CU_ASSERT_EQUAL(got[1].h.id, 4);
	CU_ASSERT_EQUAL(got[2].h.id, 5);
	CU_ASSERT_EQUAL(got[0].h.flags, FRAME_F_RESEND);
	CU_ASSERT_EQUAL(got[2].h.flags, FRAME_F_RESEND);
	CU_ASSERT_STRING_EQUAL(got[1].body, "m4");
	/* The timer restarts from the resend. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire,
	    T0 + 2 * LINK_RTO_MS - 1), 0);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + LINK_RTO_MS + 1),
	    T0 + 2 * LINK_RTO_MS);
	/* Late pumps resend too. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 5 * LINK_RTO_MS),
	    3);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL(n, 3);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_acked_not_resent(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	size_t			 n, i;
	int64_t			 t;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_REQUEST, 1, 4, 1), 0);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 5, 4, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 8);
	(void)decode_wire(&wire);
	/* Acked: 1, 2 (kept), 4 (kept), 6, 8. */
	h = peer_frame(FRAME_ACK, 0, 2, (uint64_t)1 << 1 | (uint64_t)1 << 3 |
	    (uint64_t)1 << 5);
	(void)link_session_receive(&s, &h, T0 + 1);
	CU_ASSERT_EQUAL(s.out.count, 6);
	for (t = T0 + LINK_RTO_MS; t < T0 + 10 * LINK_RTO_MS;
	    t += LINK_RTO_MS) {
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t), 3);
		n = decode_wire(&wire);
		CU_ASSERT_EQUAL_FATAL(n, 3);
		CU_ASSERT_EQUAL(got[0].h.id, 3);
		CU_ASSERT_EQUAL(got[1].h.id, 5);
		CU_ASSERT_EQUAL(got[2].h.id, 7);
		for (i = 0; i < n; i++)
			CU_ASSERT_EQUAL(got[i].h.flags, FRAME_F_RESEND);
	}
	/* All acked: nothing pending, nothing sent, kept ones stay. */
	h = peer_frame(FRAME_ACK, 0, 8, 0);
	(void)link_session_receive(&s, &h, t);
	CU_ASSERT_EQUAL(s.out.count, 4);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, t), -1);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t + 10 * LINK_RTO_MS), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_frames_carry_ack(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	size_t			 n, i;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	h = peer_frame(FRAME_REQUEST, 1, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
	h = peer_frame(FRAME_REQUEST, 2, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
	h = peer_frame(FRAME_REQUEST, 4, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
	h = peer_frame(FRAME_REQUEST, 9, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_REPLY, 1, 3, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1), 3);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(got[i].h.type, FRAME_REPLY);
		CU_ASSERT_EQUAL(got[i].h.ack, 2);
		CU_ASSERT_EQUAL(got[i].h.sack, 0x42);	/* ids 4 and 9 */
	}
	/* Resends carry the ack current at the time of the resend. */
	h = peer_frame(FRAME_REQUEST, 3, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0 + 2), LINK_RX_NEW);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1 + LINK_RTO_MS),
	    3);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(got[i].h.ack, 4);
		CU_ASSERT_EQUAL(got[i].h.sack, 0x10);	/* id 9 */
		CU_ASSERT_EQUAL(got[i].h.flags, FRAME_F_RESEND);
	}
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_bare_ack_delay(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	int64_t			 t;
	size_t			 n;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), -1);
	h = peer_frame(FRAME_NOTICE, 1, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
	h = peer_frame(FRAME_NOTICE, 3, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0 + 20), LINK_RX_NEW);
	/* The delay counts from the first frame owed an ack. */
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 20),
	    T0 + LINK_ACK_DELAY_MS);
	for (t = T0; t < T0 + LINK_ACK_DELAY_MS; t++) {
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t), 0);
		CU_ASSERT_EQUAL(wire.len, 0);
	}
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t), 0);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.type, FRAME_ACK);
	CU_ASSERT_EQUAL(got[0].h.id, 0);
	CU_ASSERT_EQUAL(got[0].h.ref, 0);
	CU_ASSERT_EQUAL(got[0].h.body_len, 0);
	CU_ASSERT_EQUAL(got[0].h.flags, 0);
	CU_ASSERT_EQUAL(got[0].h.ack, 1);
	CU_ASSERT_EQUAL(got[0].h.sack, 2);
	/* Once only. */
	CU_ASSERT_EQUAL(link_session_next_ms(&s, t), -1);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t + 1000), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	/* A bare ack from the peer (id 0) is not itself acked. */
	h = peer_frame(FRAME_ACK, 0, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, t + 1001), LINK_RX_NONE);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, t + 1001), -1);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t + 2000), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	/* A duplicate means our ack was lost: owe one again. */
	h = peer_frame(FRAME_NOTICE, 1, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, t + 3000), LINK_RX_DUP);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, t + 3000),
	    t + 3000 + LINK_ACK_DELAY_MS);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire,
	    t + 3000 + LINK_ACK_DELAY_MS), 0);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.type, FRAME_ACK);
	CU_ASSERT_EQUAL(got[0].h.ack, 1);
	/* A far id is not recorded but is acked (with the old ack). */
	h = peer_frame(FRAME_NOTICE, 1000, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, t + 4000), LINK_RX_FAR);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire,
	    t + 4000 + LINK_ACK_DELAY_MS), 0);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.ack, 1);
	CU_ASSERT_EQUAL(got[0].h.sack, 2);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_bare_ack_eager(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	uint64_t		 id;
	size_t			 n;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	for (id = 1; id < LINK_ACK_EAGER; id++) {
		h = peer_frame(FRAME_NOTICE, id, 0, 0);
		CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 0);
		CU_ASSERT_EQUAL(wire.len, 0);
		CU_ASSERT_EQUAL(link_session_next_ms(&s, T0),
		    T0 + LINK_ACK_DELAY_MS);
	}
	h = peer_frame(FRAME_NOTICE, id, 0, 0);
	CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0 + 1), LINK_RX_NEW);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 1), T0 + 1);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1), 0);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.type, FRAME_ACK);
	CU_ASSERT_EQUAL(got[0].h.id, 0);
	CU_ASSERT_EQUAL(got[0].h.ack, LINK_ACK_EAGER);
	CU_ASSERT_EQUAL(got[0].h.sack, 0);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 1), -1);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1000), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_no_bare_ack_when_piggybacked(void)
{
	struct link_session	 s;
	struct buf		 wire;
	struct frame_hdr	 h;
	uint64_t		 id;
	size_t			 n;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	for (id = 1; id <= 2 * LINK_ACK_EAGER; id++) {
		h = peer_frame(FRAME_REQUEST, id, 0, 0);
		CU_ASSERT_EQUAL(link_session_receive(&s, &h, T0), LINK_RX_NEW);
	}
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_REPLY, 1, 1, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1), 1);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.type, FRAME_REPLY);
	CU_ASSERT_EQUAL(got[0].h.ack, 2 * LINK_ACK_EAGER);
	/* The reply carried the ack: only the RTO is pending. */
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 2),
	    T0 + 1 + LINK_RTO_MS);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1 +
	    LINK_ACK_DELAY_MS), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + LINK_RTO_MS), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	/* The resend is a data frame, again no bare ack beside it. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1 + LINK_RTO_MS),
	    1);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.type, FRAME_REPLY);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_next_ms(void)
{
	struct link_session	 s;
	struct link_fault	 f;
	struct buf		 wire;
	struct frame_hdr	 h;

	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, NULL);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), -1);
	/* Unsent: due now. */
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 2, 0), 0);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), T0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 2);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), T0 + LINK_RTO_MS);
	/* An owed ack comes earlier than the RTO. */
	h = peer_frame(FRAME_NOTICE, 1, 0, 0);
	(void)link_session_receive(&s, &h, T0 + 10);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 10),
	    T0 + 10 + LINK_ACK_DELAY_MS);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire,
	    T0 + 10 + LINK_ACK_DELAY_MS), 0);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 100), T0 + LINK_RTO_MS);
	/* Outside the window: not pending. */
	link_session_clear(&s);
	link_session_init(&s, 1000, 1 << 20, NULL);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, LINK_WINDOW + 1, 0),
	    0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), LINK_WINDOW);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 1), T0 + LINK_RTO_MS);
	h = peer_frame(FRAME_ACK, 0, 1, 0);
	(void)link_session_receive(&s, &h, T0 + 2);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 2), T0 + 2);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 3), 1);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 3), T0 + LINK_RTO_MS);
	/* Acking the oldest moves the deadline to the next oldest. */
	h = peer_frame(FRAME_ACK, 0, LINK_WINDOW, 0);
	(void)link_session_receive(&s, &h, T0 + 4);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 4),
	    T0 + 3 + LINK_RTO_MS);
	link_session_clear(&s);
	/* A fault cut is a deadline too. */
	memset(&f, 0, sizeof(f));
	f.cut_ms = 1000;
	f.rng = 1;
	link_session_init(&s, 100, 1 << 20, &f);
	link_session_connected(&s, T0);
	CU_ASSERT(s.cut_at_ms >= T0 + 500 && s.cut_at_ms <= T0 + 1500);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), s.cut_at_ms);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 1, 0), 0);
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), T0);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_fault_drop_all(void)
{
	struct link_session	 s;
	struct link_fault	 f;
	struct buf		 wire;
	struct frame_hdr	 h;
	int64_t			 t;

	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&f, "100", NULL, NULL, 42),
	    0);
	CU_ASSERT_EQUAL(f.drop_ppm, 1000000);
	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, &f);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 10, 0), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	/* Dropped frames count as sent: the RTO brings them back. */
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0), T0 + LINK_RTO_MS);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1), 0);
	for (t = T0 + LINK_RTO_MS; t < T0 + 20 * LINK_RTO_MS;
	    t += LINK_RTO_MS) {
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t), 0);
		CU_ASSERT_EQUAL(wire.len, 0);
		CU_ASSERT_EQUAL(link_session_next_ms(&s, t), t + LINK_RTO_MS);
	}
	/* Bare acks are dropped too, and not retried. */
	h = peer_frame(FRAME_NOTICE, 1, 0, 0);
	(void)link_session_receive(&s, &h, t);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, t + LINK_ACK_DELAY_MS),
	    0);
	CU_ASSERT_EQUAL(wire.len, 0);
	CU_ASSERT_EQUAL(s.ack_owed, 0);
	CU_ASSERT_EQUAL(s.out.count, 10);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_fault_drop_none(void)
{
	struct link_session	 s;
	struct link_fault	 f;
	struct buf		 wire;
	int			 round;

	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&f, "0", "", "", 42), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, 0);
	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, &f);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 50, 0), 0);
	for (round = 0; round < 20; round++) {
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire,
		    T0 + round * LINK_RTO_MS), 50);
		CU_ASSERT_EQUAL(decode_wire(&wire), 50);
	}
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_fault_drop_some(void)
{
	struct link_session	 s;
	struct link_fault	 f;
	struct buf		 wire;
	int			 sent;

	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&f, "25", NULL, NULL, 7), 0);
	buf_init(&wire, 0);
	link_session_init(&s, 2000, 1 << 20, &f);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 1000, 0), 0);
	sent = 0;
	/* Move the window along by hand so that all 1000 get a try. */
	while (s.out.head != NULL && s.out.head->sent_ms == 0) {
		sent += link_session_pump(&s, &wire, T0);
		(void)decode_wire(&wire);
		(void)link_out_ack(&s.out, s.out.peer_cum + LINK_WINDOW, 0);
	}
	CU_ASSERT(sent > 650 && sent < 850);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_fault_delay(void)
{
	struct link_session	 s;
	struct link_fault	 f;
	struct buf		 wire;
	int64_t			 t, next;
	size_t			 n, i, total = 0;
	int			 seen[21];

	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&f, NULL, "100", NULL, 3),
	    0);
	CU_ASSERT_EQUAL(f.delay_ms, 100);
	buf_init(&wire, 0);
	link_session_init(&s, 100, 1 << 20, &f);
	CU_ASSERT_EQUAL(push_n(&s.out, FRAME_NOTICE, 1, 20, 0), 0);
	memset(seen, 0, sizeof(seen));
	/* Nothing goes at once; each frame goes once within the delay. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	next = link_session_next_ms(&s, T0);
	CU_ASSERT(next > T0 && next <= T0 + 100);
	/* At each deadline next_ms gives something goes, nothing before. */
	for (t = T0; total < 20 && t <= T0 + 100; t = next) {
		next = link_session_next_ms(&s, t);
		CU_ASSERT_FATAL(next > t && next <= T0 + 100);
		CU_ASSERT_EQUAL(link_session_pump(&s, &wire, next - 1), 0);
		CU_ASSERT_EQUAL(wire.len, 0);
		CU_ASSERT(link_session_pump(&s, &wire, next) > 0);
		n = decode_wire(&wire);
		for (i = 0; i < n; i++) {
			CU_ASSERT_FATAL(got[i].h.id >= 1 && got[i].h.id <= 20);
			CU_ASSERT_EQUAL(got[i].h.flags, 0);
			seen[got[i].h.id]++;
		}
		total += n;
	}
	CU_ASSERT_EQUAL(total, 20);
	for (i = 1; i <= 20; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	/* Resends are not delayed again. */
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 101 + LINK_RTO_MS),
	    20);
	(void)decode_wire(&wire);
	/* Rewind: fresh sends are held again. */
	link_out_rewind(&s.out);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 5000), 0);
	CU_ASSERT_EQUAL(wire.len, 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 5100), 20);
	(void)decode_wire(&wire);
	link_session_clear(&s);
	buf_clear(&wire);
}

static void
test_link_session_fault_cut(void)
{
	struct link_session	 s;
	struct link_fault	 f;
	int64_t			 at;
	int			 i;

	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&f, NULL, NULL, "1000", 9),
	    0);
	CU_ASSERT_EQUAL(f.cut_ms, 1000);
	link_session_init(&s, 100, 1 << 20, &f);
	CU_ASSERT_FALSE(link_session_should_cut(&s, T0));
	CU_ASSERT_FALSE(link_session_should_cut(&s, INT64_MAX));
	for (i = 0; i < 50; i++) {
		link_session_connected(&s, T0 * (i + 1));
		at = s.cut_at_ms;
		CU_ASSERT(at >= T0 * (i + 1) + 500);
		CU_ASSERT(at <= T0 * (i + 1) + 1500);
		CU_ASSERT_FALSE(link_session_should_cut(&s, T0 * (i + 1)));
		CU_ASSERT_FALSE(link_session_should_cut(&s, at - 1));
		CU_ASSERT_TRUE(link_session_should_cut(&s, at));
		CU_ASSERT_TRUE(link_session_should_cut(&s, at + 10000));
	}
	link_session_clear(&s);
	/* Off: never. */
	CU_ASSERT_EQUAL_FATAL(link_fault_from_env(&f, NULL, NULL, "", 9), 0);
	link_session_init(&s, 100, 1 << 20, &f);
	link_session_connected(&s, T0);
	CU_ASSERT_FALSE(link_session_should_cut(&s, INT64_MAX));
	link_session_clear(&s);
}

static void
test_link_session_wire_full(void)
{
	struct link_session	 s;
	struct buf		 wire;
	uint8_t			 body[100];
	size_t			 n;
	int			 i;

	memset(body, 'w', sizeof(body));
	buf_init(&wire, 3 * (FRAME_HDR_LEN + 100) + 10);
	link_session_init(&s, 100, 1 << 20, NULL);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(link_out_push(&s.out, FRAME_NOTICE,
		    (uint64_t)i, body, sizeof(body), 0, NULL), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 3);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	/* The rest go next time, as first sends. */
	CU_ASSERT_EQUAL(link_session_next_ms(&s, T0 + 1), T0 + 1);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 1), 2);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(got[0].h.id, 4);
	CU_ASSERT_EQUAL(got[0].h.flags, 0);
	CU_ASSERT_EQUAL(got[1].h.id, 5);
	link_session_clear(&s);
	buf_clear(&wire);
}

/*
 * A body larger than LIMIT_FRAME_BODY must be refused at push time: a
 * frame the pump can never write would stall every message behind it.
 */
static void
test_link_out_push_oversize_body(void)
{
	struct link_session	 s;
	struct buf		 wire;
	uint8_t			*big;
	size_t			 n;

	big = calloc(1, LIMIT_FRAME_BODY + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	buf_init(&wire, 0);
	link_session_init(&s, 10, 4 * LIMIT_FRAME_BODY, NULL);
	/* Refused like a full log: the caller has to cope. */
	CU_ASSERT_EQUAL(link_out_push(&s.out, FRAME_REPLY, 1, big,
	    LIMIT_FRAME_BODY + 1, 0, NULL), -1);
	CU_ASSERT_EQUAL(link_out_push(&s.out, FRAME_REPLY, 2, "{}", 2, 0,
	    NULL), 0);
	/* Whatever happened to the big one, the small one goes out. */
	(void)link_session_pump(&s, &wire, T0);
	n = decode_wire(&wire);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(got[0].h.ref, 2);
	CU_ASSERT_NOT_EQUAL(link_session_next_ms(&s, T0 + 1), T0 + 1);
	/* The largest legal body is fine. */
	CU_ASSERT_EQUAL(link_out_push(&s.out, FRAME_REPLY, 3, big,
	    LIMIT_FRAME_BODY, 0, NULL), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 2), 1);
	link_session_clear(&s);
	buf_clear(&wire);
	free(big);
}

/* ---- two sessions over a lossy, reordering network ---- */

#define SIM_MSGS	2000
#define SIM_BACK	300
#define SIM_MAX_MS	(120 * 1000)
#define SIM_INFLIGHT	8192

struct sim_pkt {
	int64_t		 at;
	int		 to;		/* 0: A, 1: B */
	uint8_t		*bytes;
	size_t		 len;
};

struct sim {
	struct sim_pkt	 pkt[SIM_INFLIGHT];
	size_t		 npkt;
	uint64_t	 rng;
	unsigned long	 dropped, carried;
};

static uint64_t
sim_rand(struct sim *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return n->rng;
}

/* Splits what a session wrote into frames and puts each on the net. */
static void
sim_send(struct sim *n, struct buf *wire, int to, int64_t now)
{
	struct frame_decoder	 d;
	struct frame_hdr	 h;
	const uint8_t		*body;
	struct sim_pkt		*p;
	int64_t			 lat;

	frame_decoder_init(&d, 0);
	if (wire->len > 0)
		CU_ASSERT_EQUAL_FATAL(frame_decoder_feed(&d, wire->data,
		    wire->len), 0);
	while (frame_decoder_next(&d, &h, &body) == FRAME_OK) {
		if (sim_rand(n) % 100 < 30) {
			n->dropped++;
			continue;
		}
		lat = 5 + (int64_t)(sim_rand(n) % 5);
		if (sim_rand(n) % 10 == 0)
			lat += (int64_t)(sim_rand(n) % 60);	/* reorder */
		CU_ASSERT_FATAL(n->npkt < SIM_INFLIGHT);
		p = &n->pkt[n->npkt++];
		p->at = now + lat;
		p->to = to;
		p->len = FRAME_HDR_LEN + h.body_len;
		p->bytes = malloc(p->len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p->bytes);
		memcpy(p->bytes, body - FRAME_HDR_LEN, p->len);
		n->carried++;
	}
	frame_decoder_clear(&d);
	buf_reset(wire);
}

/*
 * Delivers every packet due by now to its session.  Counts deliveries
 * of each id (by the body's text, which must match the id) in counts.
 */
static void
sim_deliver(struct sim *n, struct link_session *s[2], int *counts[2],
    int nmsgs[2], int64_t now)
{
	struct frame_hdr	 h;
	enum link_rx_verdict	 v;
	char			 want[32];
	size_t			 i = 0;
	int			 to;

	while (i < n->npkt) {
		if (n->pkt[i].at > now) {
			i++;
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(frame_hdr_decode(n->pkt[i].bytes,
		    n->pkt[i].len, 0, &h), FRAME_OK);
		to = n->pkt[i].to;
		v = link_session_receive(s[to], &h, now);
		CU_ASSERT_NOT_EQUAL(v, LINK_RX_FAR);
		if (v == LINK_RX_NEW) {
			CU_ASSERT_FATAL(h.id >= 1 &&
			    h.id <= (uint64_t)nmsgs[to]);
			(void)snprintf(want, sizeof(want), "m%llu",
			    (unsigned long long)h.id);
			CU_ASSERT_EQUAL(h.ref, h.id);
			CU_ASSERT(h.body_len == strlen(want) &&
			    memcmp(n->pkt[i].bytes + FRAME_HDR_LEN, want,
			    h.body_len) == 0);
			counts[to][h.id]++;
		} else if (v == LINK_RX_NONE)
			CU_ASSERT_EQUAL(h.type, FRAME_ACK);
		free(n->pkt[i].bytes);
		n->pkt[i] = n->pkt[--n->npkt];
	}
}

static void
test_link_session_sim_lossy(void)
{
	static struct sim	 net;
	struct link_session	 a, b, *s[2];
	struct buf		 wa, wb;
	int			*counts[2], nmsgs[2], pushed[2], i, k;
	int64_t			 now;
	size_t			 j;
	char			 body[32];
	int			 len;

	memset(&net, 0, sizeof(net));
	net.rng = 0x2545f4914f6cdd1dULL;
	link_session_init(&a, 256, 1 << 20, NULL);
	link_session_init(&b, 256, 1 << 20, NULL);
	s[0] = &a;
	s[1] = &b;
	nmsgs[0] = SIM_BACK;		/* A receives what B pushes */
	nmsgs[1] = SIM_MSGS;
	counts[0] = calloc(SIM_BACK + 1, sizeof(int));
	counts[1] = calloc(SIM_MSGS + 1, sizeof(int));
	CU_ASSERT_FATAL(counts[0] != NULL && counts[1] != NULL);
	pushed[0] = pushed[1] = 0;
	buf_init(&wa, 0);
	buf_init(&wb, 0);
	link_session_connected(&a, T0);
	link_session_connected(&b, T0);

	for (now = T0; now < T0 + SIM_MAX_MS; now++) {
		/* Back-pressure: push only while the log has room. */
		for (k = 0; k < 2; k++) {
			int	 total = k == 0 ? SIM_MSGS : SIM_BACK;

			while (pushed[k] < total) {
				len = snprintf(body, sizeof(body), "m%d",
				    pushed[k] + 1);
				if (link_out_push(&s[k]->out, FRAME_NOTICE,
				    (uint64_t)pushed[k] + 1, body,
				    (size_t)len, 0, NULL) != 0)
					break;
				pushed[k]++;
			}
		}
		sim_deliver(&net, s, counts, nmsgs, now);
		(void)link_session_pump(&a, &wa, now);
		sim_send(&net, &wa, 1, now);
		(void)link_session_pump(&b, &wb, now);
		sim_send(&net, &wb, 0, now);
		check_out(&a.out);
		if (pushed[0] == SIM_MSGS && pushed[1] == SIM_BACK &&
		    a.out.count == 0 && b.out.count == 0)
			break;
	}
	CU_ASSERT(now < T0 + SIM_MAX_MS);
	CU_ASSERT_EQUAL(pushed[0], SIM_MSGS);
	CU_ASSERT_EQUAL(a.out.count, 0);
	CU_ASSERT_EQUAL(a.out.bytes, 0);
	CU_ASSERT_PTR_NULL(a.out.head);
	CU_ASSERT_EQUAL(b.out.count, 0);
	CU_ASSERT_EQUAL(b.rx.cum, SIM_MSGS);
	CU_ASSERT_EQUAL(a.rx.cum, SIM_BACK);
	k = 0;
	for (i = 1; i <= SIM_MSGS; i++) {
		CU_ASSERT_EQUAL(counts[1][i], 1);
		k += counts[1][i];
	}
	CU_ASSERT_EQUAL(k, SIM_MSGS);
	k = 0;
	for (i = 1; i <= SIM_BACK; i++)
		k += counts[0][i];
	CU_ASSERT_EQUAL(k, SIM_BACK);
	CU_ASSERT(net.dropped > 0);

	for (j = 0; j < net.npkt; j++)
		free(net.pkt[j].bytes);
	free(counts[0]);
	free(counts[1]);
	link_session_clear(&a);
	link_session_clear(&b);
	buf_clear(&wa);
	buf_clear(&wb);
}

/* ---- link_fault_from_env ---- */

static void
test_link_fault_env_pct(void)
{
	static const struct {
		const char	*s;
		unsigned	 ppm;
	} good[] = {
		{ "10", 100000 }, { "2.5", 25000 }, { "0", 0 },
		{ "100", 1000000 }, { "0.0001", 1 }, { "99.9999", 999999 },
		{ "100.0", 1000000 }, { "100.0000", 1000000 }, { "007", 70000 },
		{ "1.2345", 12345 }, { "50", 500000 },
	};
	static const char *const bad[] = {
		"101", "-1", "abc", "1.23456", "100.0001", "100.5", "1000",
		"10x", " 10", "10 ", "+5", ".5", "1e1", "0x10", "1,5",
		"99999999999999999999", "1.2.3", "5%",
	};
	struct link_fault	 f;
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		f.drop_ppm = 12345678;
		CU_ASSERT_EQUAL(link_fault_from_env(&f, good[i].s, NULL, NULL,
		    1), 0);
		CU_ASSERT_EQUAL(f.drop_ppm, good[i].ppm);
		if (f.drop_ppm != good[i].ppm)
			fprintf(stderr, "pct \"%s\" gave %u\n", good[i].s,
			    f.drop_ppm);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(link_fault_from_env(&f, bad[i], NULL, NULL,
		    1), -1);
		if (link_fault_from_env(&f, bad[i], NULL, NULL, 1) != -1)
			fprintf(stderr, "pct \"%s\" accepted\n", bad[i]);
	}
	/* "" and NULL are off; everything off is valid. */
	CU_ASSERT_EQUAL(link_fault_from_env(&f, "", "", "", 1), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, 0);
	CU_ASSERT_EQUAL(f.delay_ms, 0);
	CU_ASSERT_EQUAL(f.cut_ms, 0);
	CU_ASSERT_EQUAL(link_fault_from_env(&f, NULL, NULL, NULL, 1), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, 0);
	CU_ASSERT_EQUAL(f.delay_ms, 0);
	CU_ASSERT_EQUAL(f.cut_ms, 0);
	/* The seed never leaves the generator stuck at 0. */
	CU_ASSERT_EQUAL(f.rng, 1);
	CU_ASSERT_EQUAL(link_fault_from_env(&f, NULL, NULL, NULL, 0), 0);
	CU_ASSERT_NOT_EQUAL(f.rng, 0);
}

static void
test_link_fault_env_ms(void)
{
	static const struct {
		const char	*s;
		unsigned	 ms;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "250", 250 }, { "3600000", 3600000 },
		{ "0010", 10 },
	};
	static const char *const bad[] = {
		"-1", "abc", "3600001", "1.5", "10ms", " 10", "+10", "1e3",
		"99999999999999999999999", "4294967296", "10 ",
	};
	struct link_fault	 f;
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_EQUAL(link_fault_from_env(&f, NULL, good[i].s, NULL,
		    1), 0);
		CU_ASSERT_EQUAL(f.delay_ms, good[i].ms);
		CU_ASSERT_EQUAL(link_fault_from_env(&f, NULL, NULL, good[i].s,
		    1), 0);
		CU_ASSERT_EQUAL(f.cut_ms, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(link_fault_from_env(&f, NULL, bad[i], NULL,
		    1), -1);
		CU_ASSERT_EQUAL(link_fault_from_env(&f, NULL, NULL, bad[i],
		    1), -1);
	}
	/* One bad value fails the whole setting. */
	CU_ASSERT_EQUAL(link_fault_from_env(&f, "10", "20", "x", 1), -1);
	CU_ASSERT_EQUAL(link_fault_from_env(&f, "10", "20", "30", 1), 0);
	CU_ASSERT_EQUAL(f.drop_ppm, 100000);
	CU_ASSERT_EQUAL(f.delay_ms, 20);
	CU_ASSERT_EQUAL(f.cut_ms, 30);
}

/*
 * Resume negotiation: with the same peer, what it acknowledged in its
 * HELLO is done and only the rest goes again; with a fresh peer every
 * message still kept (requests waiting for replies included) is
 * renumbered from 1 and sent again, and its ids are expected from 1.
 */
static void
test_link_session_resume(void)
{
	struct link_session	 s;
	struct frame_hdr	 h;
	struct buf		 wire;
	int			 i;

	link_session_init(&s, 64, 1 << 20, NULL);
	buf_init(&wire, 0);
	for (i = 1; i <= 5; i++)
		CU_ASSERT_EQUAL(link_out_push(&s.out, FRAME_REQUEST, 100 + i,
		    "x", 1, 1, NULL), 0);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0), 5);
	memset(&h, 0, sizeof(h));
	h.type = FRAME_REPLY;
	h.id = 1;
	h.ack = 3;	/* the peer has 1..3 */
	(void)link_session_receive(&s, &h, T0 + 1);
	CU_ASSERT_EQUAL(s.rx.cum, 1);
	/* Same peer: it says it got 1..4; only 5 is sent again. */
	link_session_resume(&s, 0, 4, T0 + 2);
	buf_reset(&wire);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 2), 1);
	CU_ASSERT_EQUAL(s.out.count, 5);	/* kept until their replies */
	CU_ASSERT_EQUAL(s.rx.cum, 1);		/* its messages: unchanged */
	/* A fresh peer: all five again, as 1..5, and its ids from 1. */
	link_session_resume(&s, 1, 0, T0 + 3);
	CU_ASSERT_EQUAL(s.rx.cum, 0);
	CU_ASSERT_EQUAL(s.out.head->id, 1);
	CU_ASSERT_EQUAL(s.out.head->ref, 101);
	CU_ASSERT_EQUAL(s.out.tail->id, 5);
	buf_reset(&wire);
	CU_ASSERT_EQUAL(link_session_pump(&s, &wire, T0 + 3), 5);
	CU_ASSERT_EQUAL(link_rx_accept(&s.rx, 1), LINK_RX_NEW);
	link_session_clear(&s);
	buf_clear(&wire);
}

static CU_TestInfo rx_tests[] = {
	{ "test_link_rx_in_order", test_link_rx_in_order },
	{ "test_link_rx_gaps_out_of_order",
	    test_link_rx_gaps_out_of_order },
	{ "test_link_rx_duplicates", test_link_rx_duplicates },
	{ "test_link_rx_window_edge", test_link_rx_window_edge },
	{ "test_link_rx_id_zero", test_link_rx_id_zero },
	{ "test_link_rx_near_top", test_link_rx_near_top },
	{ "test_link_rx_has", test_link_rx_has },
	CU_TEST_INFO_NULL
};

static CU_TestInfo out_tests[] = {
	{ "test_link_out_full_by_count", test_link_out_full_by_count },
	{ "test_link_out_full_by_bytes", test_link_out_full_by_bytes },
	{ "test_link_out_ack_cumulative",
	    test_link_out_ack_cumulative },
	{ "test_link_out_sack_selective",
	    test_link_out_sack_selective },
	{ "test_link_out_ack_never_sent",
	    test_link_out_ack_never_sent },
	{ "test_link_out_keep_until_removed",
	    test_link_out_keep_until_removed },
	{ "test_link_out_remove_ref_unknown",
	    test_link_out_remove_ref_unknown },
	{ "test_link_out_rewind", test_link_out_rewind },
	{ "test_link_out_renumber", test_link_out_renumber },
	{ "test_link_out_push_oversize_body",
	    test_link_out_push_oversize_body },
	CU_TEST_INFO_NULL
};

static CU_TestInfo session_tests[] = {
	{ "test_link_session_resume", test_link_session_resume },
	{ "test_link_session_first_pump_window",
	    test_link_session_first_pump_window },
	{ "test_link_session_rto", test_link_session_rto },
	{ "test_link_session_acked_not_resent",
	    test_link_session_acked_not_resent },
	{ "test_link_session_frames_carry_ack",
	    test_link_session_frames_carry_ack },
	{ "test_link_session_bare_ack_delay",
	    test_link_session_bare_ack_delay },
	{ "test_link_session_bare_ack_eager",
	    test_link_session_bare_ack_eager },
	{ "test_link_session_no_bare_ack_when_piggybacked",
	    test_link_session_no_bare_ack_when_piggybacked },
	{ "test_link_session_next_ms", test_link_session_next_ms },
	{ "test_link_session_fault_drop_all",
	    test_link_session_fault_drop_all },
	{ "test_link_session_fault_drop_none",
	    test_link_session_fault_drop_none },
	{ "test_link_session_fault_drop_some",
	    test_link_session_fault_drop_some },
	{ "test_link_session_fault_delay",
	    test_link_session_fault_delay },
	{ "test_link_session_fault_cut", test_link_session_fault_cut },
	{ "test_link_session_wire_full", test_link_session_wire_full },
	{ "test_link_session_sim_lossy", test_link_session_sim_lossy },
	CU_TEST_INFO_NULL
};

static CU_TestInfo fault_tests[] = {
	{ "test_link_fault_env_pct", test_link_fault_env_pct },
	{ "test_link_fault_env_ms", test_link_fault_env_ms },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "link_rx", NULL, NULL, NULL, NULL, rx_tests },
	{ "link_out", NULL, NULL, NULL, NULL, out_tests },
	{ "link_session", NULL, NULL, NULL, NULL, session_tests },
	{ "link_fault", NULL, NULL, NULL, NULL, fault_tests },
	CU_SUITE_INFO_NULL
};
