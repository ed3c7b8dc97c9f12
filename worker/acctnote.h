/*
 * What PostgreSQL's account notifications (channel "abc_account", see
 * sql/functions/abc_notify_account.sql and worker/pglisten.h) become on
 * the link.  A payload is a user id, or PGLISTEN_ALL (anything that is
 * not a positive id) for "every account".  The notifications drained at
 * one wake are relayed as few notices as possible, because every notice
 * costs every abc-web a TLS record, a JSON parse and cache drops on its
 * link thread (a purchase alone notifies its buyer and its seller):
 *   one user          "account_changed" {"user": id}
 *   several users     "accounts_changed" {"users": [id, ...]} (distinct,
 *                     at most ACCTNOTE_USERS_MAX)
 *   every account     "accounts_changed" without "users"
 * An abc-web that does not read "users" drops every user's entries on
 * "accounts_changed", which is still right, only slower.
 *
 * Ownership: a batch lives in the caller's memory; acctnote_notice
 * returns one reference the caller puts.
 */
#ifndef ABC_ACCTNOTE_H
#define ABC_ACCTNOTE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define ACCTNOTE_USERS_MAX	128

struct acctnote_batch {
	int64_t		 users[ACCTNOTE_USERS_MAX];	/* distinct */
	size_t		 n;
	int		 all;	/* a payload for every account came */
};

void			 acctnote_init(struct acctnote_batch *b);
int			 acctnote_add(struct acctnote_batch *b,
			    const char *payload);
struct json_object	*acctnote_notice(const struct acctnote_batch *b);

#endif /* ABC_ACCTNOTE_H */
