/*
 * The link's delivery layer (SPEC 5), shared by both ends and free of I/O so
 * that it can be tested alone:
 *
 *  - link_rx: which message ids arrived (cumulative ack + 64-bit selective
 *    ack bitmap), telling new, duplicate and far-future ids apart;
 *  - link_out: the bounded outbound log of one direction, kept until the
 *    peer acknowledges each message (or, for requests, until the reply);
 *  - link_session: one direction pair (rx + out + ack timer) and the code
 *    that turns it into frames on a wire buffer with a send window,
 *    retransmission after a timeout, a bare ack within LINK_ACK_DELAY_MS,
 *    and fault injection for tests.
 *
 * Message ids are transport ids: 1, 2, 3... per session.  A request's
 * identity for exactly-once purposes travels separately, in the frame's
 * ref field (see common/msg.h), so a new worker incarnation may renumber.
 *
 * Ownership: link_out owns copies of every body pushed into it.  A session
 * owns its rx and out; the wire buffer passed to link_session_pump is the
 * caller's.
 */
#ifndef ABC_LINK_H
#define ABC_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"

#define LINK_WINDOW		64	/* ids beyond the peer's ack we may send */
#define LINK_ACK_DELAY_MS	50	/* bare ack after this much quiet */
#define LINK_ACK_EAGER		16	/* ...or at once after this many frames */
#define LINK_RTO_MS		250	/* resend what is unacked after this */

enum link_rx_verdict {
	LINK_RX_NEW,		/* first time: deliver it */
	LINK_RX_DUP,		/* seen before: do not deliver again */
	LINK_RX_FAR,		/* beyond the window: drop, sender resends */
	LINK_RX_NONE		/* id 0: frames that carry only acks */
};

struct link_rx {
	uint64_t	 cum;		/* every id <= cum received */
	uint64_t	 bits;		/* bit i: id cum + 1 + i received */
};

struct link_msg {
	uint64_t	 id;
	uint64_t	 ref;
	uint8_t		 type;
	uint16_t	 flags;
	int		 acked;		/* peer has it */
	int		 keep;		/* stay after the ack (until removed) */
	int64_t		 sent_ms;	/* 0: not sent on this connection */
	int64_t		 hold_ms;	/* fault delay: not before this */
	uint8_t		*body;		/* right after the struct, same block */
	size_t		 len;
	struct link_msg	*next;
};

struct link_out {
	struct link_msg	*head;		/* owned, ascending ids */
	struct link_msg	*tail;
	size_t		 count;
	size_t		 bytes;
	size_t		 max_count;
	size_t		 max_bytes;
	uint64_t	 last_id;	/* last id handed out */
	uint64_t	 peer_cum;	/* highest cumulative ack from the peer */
};

struct link_fault {
	unsigned	 drop_ppm;	/* drop this many frames per million */
	unsigned	 delay_ms;	/* hold each frame up to this long */
	unsigned	 cut_ms;	/* cut the connection about this often */
	uint64_t	 rng;		/* xorshift state, never 0 */
};

struct link_session {
	struct link_rx	 rx;
	struct link_out	 out;
	unsigned	 ack_owed;	/* frames received since we last acked */
	int64_t		 ack_owed_since;
	int64_t		 cut_at_ms;	/* fault injection: next cut, 0 none */
	struct link_fault fault;
};

/* Receive side. */
void	link_rx_init(struct link_rx *rx, uint64_t cum);
enum link_rx_verdict link_rx_accept(struct link_rx *rx, uint64_t id);
int	link_rx_has(const struct link_rx *rx, uint64_t id);

/* Outbound log. */
void	link_out_init(struct link_out *o, size_t max_count, size_t max_bytes);
void	link_out_clear(struct link_out *o);
int	link_out_push(struct link_out *o, uint8_t type, uint64_t ref,
	    const void *body, size_t len, int keep, uint64_t *id);
size_t	link_out_ack(struct link_out *o, uint64_t cum, uint64_t sack);
int	link_out_remove_ref(struct link_out *o, uint8_t type, uint64_t ref);
void	link_out_rewind(struct link_out *o);
void	link_out_renumber(struct link_out *o);
int	link_out_full(const struct link_out *o, size_t len);

/* Sessions. */
void	link_session_init(struct link_session *s, size_t max_count,
	    size_t max_bytes, const struct link_fault *fault);
void	link_session_clear(struct link_session *s);
enum link_rx_verdict link_session_receive(struct link_session *s,
	    const struct frame_hdr *h, int64_t now_ms);
int	link_session_pump(struct link_session *s, struct buf *wire,
	    int64_t now_ms);
int64_t	link_session_next_ms(const struct link_session *s, int64_t now_ms);
int	link_session_should_cut(struct link_session *s, int64_t now_ms);
void	link_session_connected(struct link_session *s, int64_t now_ms);
void	link_session_resume(struct link_session *s, int fresh,
	    uint64_t peer_rx, int64_t now_ms);

/* Fault injection settings. */
int64_t	link_new_epoch(void);
int	link_fault_from_env(struct link_fault *f, const char *drop_pct,
	    const char *delay_ms, const char *cut_ms, uint64_t seed);
int	link_fault_parse(const char *text, size_t len, struct link_fault *f,
	    char *err, size_t errlen);
void	link_fault_format(const struct link_fault *f, char *out,
	    size_t outlen);
void	link_session_set_fault(struct link_session *s,
	    const struct link_fault *f, int64_t now_ms);

#endif /* ABC_LINK_H */
