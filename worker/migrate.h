/*
 * Schema migrations, in two kinds of file under sql_dir:
 *  - numbered: NNN_name.sql, applied once each in order, each in its own
 *    transaction, recorded in schema_migrations with the SHA-256 of the file;
 *    an applied file edited afterwards is refused (by --migrate and at
 *    start-up).  They hold tables, columns, indexes and drops, and never
 *    call a function of sql/functions/ (those may not exist yet);
 *  - repeatable: functions/<name>.sql, one SQL function each (CREATE OR
 *    REPLACE, with the triggers a trigger function serves), applied after
 *    the numbered ones whenever a file's checksum differs from the one in
 *    schema_functions, or all of them after any numbered migration ran.
 * Everything runs under an advisory lock so two migrators never interleave.
 * abc-worker knows exactly MIGRATE_SCHEMA versions and refuses to run on any
 * other, or with a function file not applied.
 */
#ifndef ABC_MIGRATE_H
#define ABC_MIGRATE_H

#include <libpq-fe.h>

/* The schema version this build of abc-worker was written for. */
#define MIGRATE_SCHEMA	27

int	migrate_apply(PGconn *db, const char *sql_dir, int target);
int	migrate_check(PGconn *db, const char *sql_dir);

#endif /* ABC_MIGRATE_H */
