/*
 * abc-worker's memory of each abc-web process it serves: one session per
 * (client id, client epoch), outliving connections, holding the delivery
 * state of both directions (common/abc_link.h) and the requests in flight.
 * A session whose client stays away longer than SESSION_IDLE_MS is
 * forgotten; its client then starts afresh, and request_log still answers
 * its durable requests exactly once.
 *
 * Ownership: the table owns its sessions; a session borrows its connection
 * (set and cleared by the server).
 */
#ifndef ABC_SESSION_H
#define ABC_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "abc_limits.h"
#include "abc_link.h"

#define SESSION_IDLE_MS		(10 * 60 * 1000)
#define SESSION_OUT_COUNT	8192		/* replies + notices queued */
#define SESSION_OUT_BYTES	(64u * 1024 * 1024)
#define SESSION_NOTICE_ROOM	4096		/* notices only below this */

struct conn;

struct session {
	char			 client[LIMIT_PEER_NAME + 1];	/* certificate CN */
	int64_t			 epoch;		/* client's epoch */
	struct link_session	 ls;
	struct conn		*conn;		/* borrowed; NULL while away */
	int64_t			 away_ms;	/* when conn went away */
	uint64_t		*inflight;	/* owned; req_nos in progress */
	size_t			 ninflight;
	size_t			 capinflight;
	int			 notice_gap;	/* a notice was dropped */
	struct session		*next;
};

struct session_table {
	struct session		*head;		/* owned */
	struct link_fault	 fault;		/* copied into new sessions */
};

void		 session_table_init(struct session_table *t,
		    const struct link_fault *fault);
void		 session_table_clear(struct session_table *t);
struct session	*session_find(struct session_table *t, const char *client,
		    int64_t epoch);
struct session	*session_create(struct session_table *t, const char *client,
		    int64_t epoch);
size_t		 session_expire(struct session_table *t, int64_t now_ms);
void		 session_table_set_fault(struct session_table *t,
		    const struct link_fault *fault, int64_t now_ms);
int		 session_inflight_add(struct session *s, uint64_t req_no);
int		 session_inflight_del(struct session *s, uint64_t req_no);
int		 session_inflight_has(const struct session *s, uint64_t req_no);

#endif /* ABC_SESSION_H */
