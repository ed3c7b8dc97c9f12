/*
 * abc-web's end of the link: one TLS connection to abc-worker per process,
 * owned by a dedicated thread, shared by every FastCGI thread through
 * client_call (send a request, wait for its reply with a deadline).
 *
 * Ownership: client_start borrows the TLS context for the client's life.
 * client_call borrows req and, on APP_OK, hands the caller one reference
 * to the reply in *reply.
 */
#ifndef ABC_CLIENT_H
#define ABC_CLIENT_H

#include <stdint.h>

#include <json-c/json.h>

#include "err.h"

struct tls_ctx;
struct client;

struct client_cfg {
	const char	*worker;	/* "host:port" of abc-worker */
	struct tls_ctx	*tls;		/* borrowed */
};

struct client_stats {
	int		 up;		/* link established now */
	int64_t		 since_ms;	/* real time of the last change */
	uint64_t	 connects;	/* successful handshakes so far */
	char		 detail[160];	/* why it is down, or the peer */
};

struct client	*client_start(const struct client_cfg *cfg);
void		 client_stop(struct client *cl);
enum app_err	 client_call(struct client *cl, struct json_object *req,
		    int timeout_ms, struct json_object **reply);
void		 client_stats(struct client *cl, struct client_stats *out);

#endif /* ABC_CLIENT_H */
