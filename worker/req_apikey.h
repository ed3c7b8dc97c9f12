/*
 * Issue 15: the requests of API keys (create, revoke, list, resolve) and
 * of the JSON API's own read (a seller's campaigns with figures), and the
 * rule of which ops accept an "api_key" in place of a session "token".
 *
 * Ownership: as every request module (ops_req.h).
 */
#ifndef ABC_REQ_APIKEY_H
#define ABC_REQ_APIKEY_H

#include "msg.h"
#include "ops_req.h"

/* Most keys one user may hold at once (revoked ones do not count). */
#define APIKEY_MAX_PER_USER	10

extern const struct req_row	 req_apikey_rows[];

int	apikey_op_allowed(enum msg_op op);
int	apikey_take(struct request *rq);

#endif /* ABC_REQ_APIKEY_H */
