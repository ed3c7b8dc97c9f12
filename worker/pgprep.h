/*
 * Prepared statements of one libpq connection, by statement text.
 *
 * The request thread (worker/db.c) sends the same few hundred statements
 * over and over; sent unnamed, each is parsed, analysed and planned again
 * every time (for a purchase, 5 % of PostgreSQL's CPU).  Prepared once
 * per connection under a name of its own, a statement costs only its
 * execution.  The cache is keyed by the text itself, not by its address,
 * so a statement built at run time is safe too.
 *
 * This module is the bookkeeping only (what is prepared under which
 * name); worker/db.c sends the Parse messages.  pgprep_lookup says whether
 * a text is prepared and the name it has or is to get; pgprep_done
 * records whether preparing it worked.
 *
 * Ownership: the cache owns copies of the texts; names point into the
 * cache and stay valid until pgprep_forget or pgprep_free.  pgprep_forget
 * must be called whenever the connection is replaced: a new session has
 * nothing prepared.  Not thread-safe: one cache per connection, used by
 * the thread that owns the connection.
 */
#ifndef ABC_PGPREP_H
#define ABC_PGPREP_H

/* Statements one cache keeps; more are sent unnamed. */
#define PGPREP_MAX	512

struct pgprep;

enum pgprep_state {
	PGPREP_READY,		/* prepared: execute it by name */
	PGPREP_NEW,		/* not yet: prepare it under name, then done */
	PGPREP_FULL		/* no room: send it unnamed */
};

struct pgprep		*pgprep_new(void);
void			 pgprep_free(struct pgprep *p);
void			 pgprep_forget(struct pgprep *p);
enum pgprep_state	 pgprep_lookup(struct pgprep *p, const char *sql,
			    const char **name);
void			 pgprep_done(struct pgprep *p, const char *sql, int ok);
int			 pgprep_count(const struct pgprep *p);

#endif /* ABC_PGPREP_H */
