/*
 * One page of a list that grows with a user's data (SPEC 4.2, 4.3, 4.5,
 * 4.6: deposits, withdrawals, history, ads), so that no reply grows
 * without bound.  Keyset pagination by id, newest first: a page is the
 * LISTPAGE_SIZE rows before (older than) or after (newer than) a cursor
 * id; the SQL fetches one row more to learn whether another page exists.
 *
 * listpage_sql() gives the statement text (constants only, values are
 * parameters: $1 user, $2 cursor id, then the list's own); it yields one
 * row, one column: a JSON array of at most LISTPAGE_SIZE + 1 objects, each
 * with an "id", newest first.  listpage_fill() turns that array into a
 * page in a reply.  Ownership: nothing is kept; listpage_fill adds new
 * references to the reply it is given.
 */
#ifndef ABC_LISTPAGE_H
#define ABC_LISTPAGE_H

#include <stdint.h>

#include <json-c/json.h>

#define LISTPAGE_SIZE	20

enum listpage_list {
	LISTPAGE_DEPOSITS,
	LISTPAGE_WITHDRAWALS,
	LISTPAGE_HISTORY,
	LISTPAGE_ADS,		/* $3 width, $4 height, $5 ad id: NULL = any;
				   each row's "ran": dash_ad_runs (issue 15) */
	LISTPAGE__MAX
};

/* Where a page starts: before an id (older rows), or after one (newer). */
struct listpage_cur {
	int64_t		 id;	/* before: 0 is the newest page */
	int		 after;	/* rows newer than id (0: the oldest), else older */
};

int		 listpage_parse(const char *name, enum listpage_list *out);
const char	*listpage_name(enum listpage_list l);
int		 listpage_cursor(struct json_object *req,
		    struct listpage_cur *cur);
const char	*listpage_sql(enum listpage_list l, int after);
const char	*listpage_overview_sql(void);
void		 listpage_cursor_param(const struct listpage_cur *cur,
		    char *out, size_t outlen);
int		 listpage_fill(struct json_object *rep, const char *member,
		    const char *rows_json, const struct listpage_cur *cur);

#endif /* ABC_LISTPAGE_H */
