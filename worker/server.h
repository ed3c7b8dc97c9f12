/*
 * abc-worker's event loop: accepts abc-web links (TLS 1.3, client
 * certificates required), keeps one session per abc-web process across
 * reconnects (worker/session.h), delivers requests exactly once to the
 * database thread or answers them at once, broadcasts notices, and drains
 * on SIGTERM: no new requests, in-flight ones finish and are delivered,
 * then every link gets a CLOSE and the loop returns.  SIGUSR2 re-reads
 * the runtime fault file (common/faultfile.h) and applies it to every
 * session.  A peer is let in only while fewer than max_conns connections
 * are open, only if its certificate's whole CN is one of clients[], and
 * only for hello_ms to finish the TLS handshake and its HELLO.  One
 * thread, epoll, non-blocking sockets (each a common/linkconn.h); signals
 * arrive through a signalfd.
 *
 * What the server does not own reaches it through its config: the facts a
 * status reply carries (status, e.g. worker/facts.h), and eventfds other
 * threads write (wakes), whose handlers may send notices to every abc-web
 * with server_broadcast (abc-worker's main relays account notifications
 * this way).
 *
 * Ownership: the server borrows everything in its config.
 */
#ifndef ABC_SERVER_H
#define ABC_SERVER_H

#include <stddef.h>

#include "abc_link.h"
#include "ops.h"

struct tls_ctx;
struct db;
struct server;
struct json_object;

/*
 * Runs on the event loop once fd of a server_wake was written (the server
 * has read it); s is for server_broadcast.
 */
typedef void	(*server_wake_fn)(struct server *s, void *arg);

struct server_wake {
	int			 fd;		/* eventfd another thread writes */
	server_wake_fn		 fn;
	void			*arg;		/* borrowed */
};

#define SERVER_WAKES_MAX	8

struct server_cfg {
	const char		*listen;	/* "host:port" */
	struct tls_ctx		*tls;		/* borrowed */
	struct db		*db;		/* borrowed */
	int			 db_done_fd;	/* eventfd the db thread writes */
	int			 kdf_done_fd;	/* eventfd the hashing pool writes */
	int			 chain_done_fd;	/* eventfd the bitcoind thread writes */
	const struct server_wake *wakes;	/* borrowed, nwakes of them */
	size_t			 nwakes;	/* at most SERVER_WAKES_MAX */
	ops_status_fn		 status;	/* adds facts to status replies */
	void			*status_arg;
	struct ops_cfg		 ops;		/* db, kdf and settings */
	struct link_fault	 fault;		/* off unless configured */
	const char		*fault_file;	/* SIGUSR2 reloads; "" none */
	int			 drain_ms;	/* longest drain before giving up */
	const char *const	*clients;	/* front-end CNs let in */
	size_t			 nclients;
	int			 max_conns;	/* open connections, at most */
	int			 hello_ms;	/* handshake + HELLO deadline */
};

int	server_run(const struct server_cfg *cfg);
void	server_broadcast(struct server *s, struct json_object *notice);
int	server_client_known(const struct server_cfg *cfg, const char *cn);

#endif /* ABC_SERVER_H */
