/*
 * The facts abc-worker adds to a status reply (SPEC 6, /status): bitcoind's
 * state as the monitor last saw it, and how long this abc-worker has been
 * up.  They belong to abc-worker's main, which owns the bitcoind monitor
 * and knows when the process started; the link server only answers the
 * request (ops_cfg.status).
 *
 * Ownership: struct facts is the caller's and borrows btc, which must
 * outlive every facts_fill.
 */
#ifndef ABC_FACTS_H
#define ABC_FACTS_H

#include <stdint.h>

#include <json-c/json.h>

struct btc;

struct facts {
	struct btc	*btc;		/* borrowed */
	int64_t		 started_ms;	/* real time this process started */
};

void	facts_init(struct facts *f, struct btc *btc);
void	facts_fill(void *arg, struct json_object *rep);

#endif /* ABC_FACTS_H */
