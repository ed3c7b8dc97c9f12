/*
 * abc-worker's event loop: accepts abc-web links (TLS 1.3, client
 * certificates required), keeps one session per abc-web process across
 * reconnects (worker/session.h), delivers requests exactly once to the
 * database thread or answers them at once, broadcasts notices, and drains
 * on SIGTERM: no new requests, in-flight ones finish and are delivered,
 * then every link gets a CLOSE and the loop returns.  A peer is let in only
 * while fewer than max_conns connections are open, only if its
 * certificate's whole CN is one of clients[], and only for hello_ms to
 * finish the TLS handshake and its HELLO.  One thread, epoll,
 * non-blocking sockets; signals arrive through a signalfd.
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
struct btc;
struct pglisten;

struct server_cfg {
	const char		*listen;	/* "host:port" */
	struct tls_ctx		*tls;		/* borrowed */
	struct db		*db;		/* borrowed */
	struct btc		*btc;		/* borrowed */
	int			 db_done_fd;	/* eventfd the db thread writes */
	int			 kdf_done_fd;	/* eventfd the hashing pool writes */
	int			 chain_done_fd;	/* eventfd the bitcoind thread writes */
	struct pglisten		*accounts;	/* borrowed: "abc_account" */
	int			 accounts_fd;	/* eventfd it writes */
	struct ops_cfg		 ops;		/* db, kdf and settings */
	struct link_fault	 fault;		/* off unless configured */
	int			 drain_ms;	/* longest drain before giving up */
	const char *const	*clients;	/* front-end CNs let in */
	size_t			 nclients;
	int			 max_conns;	/* open connections, at most */
	int			 hello_ms;	/* handshake + HELLO deadline */
};

int	server_run(const struct server_cfg *cfg);
int	server_client_known(const struct server_cfg *cfg, const char *cn);

#endif /* ABC_SERVER_H */
