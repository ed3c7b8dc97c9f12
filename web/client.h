/*
 * abc-web's end of the link (SPEC 5): one TLS connection to abc-worker per
 * process, owned by a dedicated thread and shared by every FastCGI thread.
 * A request accepted by client_call is delivered and answered exactly once
 * as long as this process lives: it stays in the outbound log until its
 * reply arrives, across dropped frames, reconnects and worker restarts.
 * Callers wait with a deadline; past it they get APP_ETIMEDOUT while the
 * request goes on (its outcome shows on the next read).
 *
 * Broadcast notices from the worker reach subscribers on the link thread;
 * a gap in their numbering or a new worker incarnation is reported as the
 * kind "revalidate", meaning "drop or re-check what you cached".
 *
 * Ownership: client_start borrows the TLS context for the client's life.
 * client_call borrows req and, on APP_OK, hands the caller one reference
 * to the reply in *reply.
 */
#ifndef ABC_CLIENT_H
#define ABC_CLIENT_H

#include <stdint.h>

#include <json-c/json.h>

#include "abc_err.h"
#include "abc_link.h"

struct tls_ctx;
struct client;

/* client_call flags. */
#define CLIENT_FAIL_FAST	0x1	/* APP_EPEER at once if the link is down */

/*
 * Called on the link thread; must not block or call client_call.  notice
 * is the notice's JSON body (borrowed; NULL for "revalidate").
 */
typedef void	(*client_notice_fn)(void *arg, const char *kind, int64_t seq,
		    struct json_object *notice);

struct client_cfg {
	const char		*worker;	/* "host:port[, host:port]..." */
	struct tls_ctx		*tls;		/* borrowed */
	struct link_fault	 fault;		/* off unless configured */
	size_t			 max_queued;	/* requests awaiting replies */
};

struct client_stats {
	int		 up;		/* link established now */
	int64_t		 since_ms;	/* real time of the last change */
	uint64_t	 connects;	/* sessions started or resumed */
	uint64_t	 revalidations;	/* notice gaps and fresh sessions */
	size_t		 queued;	/* requests without a reply yet */
	uint64_t	 orphans;	/* replies nobody waited for */
	char		 detail[160];	/* why it is down, or the peer */
};

struct client	*client_start(const struct client_cfg *cfg);
void		 client_stop(struct client *cl);
enum app_err	 client_call(struct client *cl, struct json_object *req,
		    int timeout_ms, int flags, struct json_object **reply);
int		 client_subscribe(struct client *cl, client_notice_fn fn,
		    void *arg);
void		 client_stats(struct client *cl, struct client_stats *out);
void		 client_set_fault(struct client *cl,
		    const struct link_fault *fault);
int64_t		 client_epoch(const struct client *cl);

#endif /* ABC_CLIENT_H */
