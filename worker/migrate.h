/*
 * Schema migrations: sql/NNN_name.sql files applied in order, each in its own
 * transaction, recorded in schema_migrations, under an advisory lock so two
 * migrators never interleave.  abc-worker knows exactly MIGRATE_SCHEMA
 * versions and refuses to run on any other.
 */
#ifndef ABC_MIGRATE_H
#define ABC_MIGRATE_H

#include <libpq-fe.h>

/* The schema version this build of abc-worker was written for. */
#define MIGRATE_SCHEMA	10

int	migrate_apply(PGconn *db, const char *sql_dir);
int	migrate_check(PGconn *db);

#endif /* ABC_MIGRATE_H */
