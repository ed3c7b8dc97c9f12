/*
 * abc-worker's event loop: accepts abc-web links (TLS 1.3, client
 * certificates required), decodes frames, dispatches requests to the
 * database thread or answers them at once, and writes replies.  One thread,
 * epoll, non-blocking sockets; SIGTERM/SIGINT arrive through a signalfd.
 *
 * Ownership: the server borrows ctx, db and btc for its whole life.
 */
#ifndef ABC_SERVER_H
#define ABC_SERVER_H

struct tls_ctx;
struct db;
struct btc;

struct server_cfg {
	const char	*listen;	/* "host:port" */
	struct tls_ctx	*tls;		/* borrowed */
	struct db	*db;		/* borrowed */
	struct btc	*btc;		/* borrowed */
	int		 db_done_fd;	/* eventfd the db thread writes */
};

int	server_run(const struct server_cfg *cfg);
int	server_parse_hostport(const char *s, char *host, size_t hostlen,
	    int *port);

#endif /* ABC_SERVER_H */
