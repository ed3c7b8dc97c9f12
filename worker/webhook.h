/*
 * The webhook sender (issue 15, SPEC 9): a thread of abc-worker with its
 * own PostgreSQL connection that delivers the outbox (webhook_deliveries,
 * written in the same transaction as each event by webhook_event) to the
 * users' endpoints, and writes the "slot started" events as slots start
 * (webhook_slots_started).  Only the active worker acts (lease_may_act).
 *
 * Each run takes up to WEBHOOK_BATCH due deliveries, at most
 * WEBHOOK_PER_ENDPOINT of one endpoint (webhook_take puts
 * them WEBHOOK_HOLD_S ahead, so a worker killed while sending sends them
 * again after that: at least once, with the same delivery id) and POSTs
 * them at once through one libcurl multi handle: connect within 2 s, all
 * within 5 s, no redirects, http and https only, and unless
 * allow_private is set no loopback, private or link-local address
 * (checked on the resolved address, when the socket is opened).  A 2xx
 * answer is sent; anything else is tried again on whsign.h's schedule,
 * then given up ('failed').  Requests never wait on it: it has its own
 * thread and connection, like the payer.
 *
 * Ownership: webhook_start copies conninfo; webhook_stop frees it all.
 */
#ifndef ABC_WEBHOOK_H
#define ABC_WEBHOOK_H

#define WEBHOOK_BATCH		16	/* deliveries in flight at once */
#define WEBHOOK_PER_ENDPOINT	4	/* of one endpoint in a batch */
#define WEBHOOK_HOLD_S		30	/* > the 5 s a delivery may take */
#define WEBHOOK_CONNECT_MS	2000L
#define WEBHOOK_TOTAL_MS	5000L

struct webhook;

struct webhook_cfg {
	const char	*conninfo;
	int		 poll_ms;	/* between runs */
	int		 backoff_pm;	/* schedule scale, per mille */
	int		 allow_private;	/* may reach private addresses */
};

struct webhook	*webhook_start(const struct webhook_cfg *cfg);
void		 webhook_stop(struct webhook *w);

#endif /* ABC_WEBHOOK_H */
