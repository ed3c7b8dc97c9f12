/*
 * Applies and checks schema migrations.  Runs before the event loop starts,
 * so blocking libpq calls are fine here.  Migration files are trusted SQL
 * from the deployment (never user input), sent with PQexec because they
 * hold several statements; everything else is parameterised.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "log.h"
#include "migrate.h"

/* Arbitrary constant naming the migration lock. */
#define MIGRATE_LOCK_KEY	"7294061130"

/* Runs sql expecting a command or tuples result; 0, or -1 logged. */
static int
migrate_exec(PGconn *db, const char *sql, const char *what)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(db, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("migrate_failed", "step=\"%s\" error=\"%s\"", what,
		    PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/*
 * Reads the highest applied version into *version (0 when the table is
 * empty or missing); 0, or -1 on a database error.
 */
static int
migrate_current(PGconn *db, int *version)
{
	PGresult	*res;
	int		 rc = -1;

	res = PQexec(db, "SELECT coalesce(max(version), 0) FROM "
	    "schema_migrations");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		*version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
		rc = 0;
	} else if (PQresultStatus(res) == PGRES_FATAL_ERROR &&
	    strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "", "42P01") == 0) {
		*version = 0;
		rc = 0;
	} else
		log_error("migrate_version", "error=\"%s\"",
		    PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/*
 * Finds the file for version in dir ("NNN_*.sql") and reads it into sql.
 * Returns 0, or -1 (logged) when it is missing, duplicated or unreadable.
 */
static int
migrate_read_file(const char *dir, int version, struct buf *sql,
    char *name, size_t namelen)
{
	DIR		*d;
	struct dirent	*de;
	char		 prefix[16], path[4096];
	int		 found = 0;
	FILE		*f;
	size_t		 n;
	char		 chunk[8192];

	snprintf(prefix, sizeof(prefix), "%03d_", version);
	if ((d = opendir(dir)) == NULL) {
		log_error("migrate_dir", "dir=%s error=\"%s\"", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, 4) != 0 || n < 9 ||
		    strcmp(de->d_name + n - 4, ".sql") != 0)
			continue;
		found++;
		snprintf(name, namelen, "%s", de->d_name);
	}
	closedir(d);
	if (found != 1) {
		log_error("migrate_file", "dir=%s version=%d files=%d", dir,
		    version, found);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (f = fopen(path, "r")) == NULL) {
		log_error("migrate_file", "file=%s error=\"cannot open\"", name);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(sql, chunk, n) == -1)
			break;
	n = ferror(f) || !feof(f);
	fclose(f);
	if (n != 0) {
		log_error("migrate_file", "file=%s error=\"read failed\"", name);
		return -1;
	}
	return 0;
}

/* Applies one version in its own transaction; 0, or -1 logged. */
static int
migrate_one(PGconn *db, const char *dir, int version)
{
	struct buf	 sql;
	char		 name[256], vtext[16];
	const char	*params[2];
	PGresult	*res;
	int		 rc = -1;

	buf_init(&sql, 16u * 1024 * 1024);
	if (migrate_read_file(dir, version, &sql, name, sizeof(name)) != 0)
		goto out;
	if (migrate_exec(db, "BEGIN", "begin") != 0)
		goto out;
	if (migrate_exec(db, (const char *)sql.data, name) != 0) {
		(void)migrate_exec(db, "ROLLBACK", "rollback");
		goto out;
	}
	snprintf(vtext, sizeof(vtext), "%d", version);
	params[0] = vtext;
	params[1] = name;
	res = PQexecParams(db, "INSERT INTO schema_migrations (version, name) "
	    "VALUES ($1, $2)", 2, NULL, params, NULL, NULL, 0);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc != 0)
		log_error("migrate_record", "error=\"%s\"",
		    PQresultErrorMessage(res));
	PQclear(res);
	if (rc != 0 || migrate_exec(db, "COMMIT", "commit") != 0) {
		(void)migrate_exec(db, "ROLLBACK", "rollback");
		rc = -1;
		goto out;
	}
	log_info("migrate_applied", "version=%d file=%s", version, name);
out:
	buf_clear(&sql);
	return rc;
}

/*
 * Brings the schema up to MIGRATE_SCHEMA from the files in sql_dir.
 * Returns 0 when the schema is current afterwards, -1 (logged) otherwise,
 * including when the database is newer than this build.
 */
int
migrate_apply(PGconn *db, const char *sql_dir)
{
	int	 version, v, rc = -1;

	if (migrate_exec(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
	    "lock") != 0)
		return -1;
	if (migrate_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", "table") != 0 ||
	    migrate_current(db, &version) != 0)
		goto out;
	if (version > MIGRATE_SCHEMA) {
		log_error("migrate_newer", "schema=%d known=%d", version,
		    MIGRATE_SCHEMA);
		goto out;
	}
	for (v = version + 1; v <= MIGRATE_SCHEMA; v++)
		if (migrate_one(db, sql_dir, v) != 0)
			goto out;
	log_info("migrate_done", "schema=%d", MIGRATE_SCHEMA);
	rc = 0;
out:
	(void)migrate_exec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY
	    ")", "unlock");
	return rc;
}

/* Returns 0 when the database schema is exactly MIGRATE_SCHEMA. */
int
migrate_check(PGconn *db)
{
	int	 version;

	if (migrate_current(db, &version) != 0)
		return -1;
	if (version != MIGRATE_SCHEMA) {
		log_error("schema_mismatch", "schema=%d known=%d hint=\"%s\"",
		    version, MIGRATE_SCHEMA, version < MIGRATE_SCHEMA ?
		    "run abc-worker --migrate" : "this abc-worker is too old");
		return -1;
	}
	return 0;
}
