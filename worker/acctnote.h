/*
 * What a PostgreSQL account notification (channel "abc_account", see
 * sql/functions/abc_notify_account.sql and worker/pglisten.h) becomes on
 * the link: a user id is "account_changed" for that user; PGLISTEN_ALL or
 * anything else that is not a positive id is "accounts_changed" for all.
 * abc-worker's main relays each through server_broadcast.
 *
 * Ownership: acctnote_notice returns one reference the caller puts.
 */
#ifndef ABC_ACCTNOTE_H
#define ABC_ACCTNOTE_H

#include <json-c/json.h>

struct json_object	*acctnote_notice(const char *payload);

#endif /* ABC_ACCTNOTE_H */
