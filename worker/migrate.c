/*
 * Applies and checks schema migrations (see migrate.h).  Runs before the
 * event loop starts, so blocking libpq calls are fine here.  Migration files
 * are trusted SQL from the deployment (never user input), sent with PQexec
 * because they hold several statements; everything else is parameterised.
 *
 * Checksums: rows recorded before checksums existed (a database migrated by
 * an earlier release, whose files this release edited when their functions
 * moved to sql/functions/) adopt the current file's checksum once, logged as
 * migrate_baseline; from then on the file may not change.
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
#include "sqlfn.h"

/* Arbitrary constant naming the migration lock. */
#define MIGRATE_LOCK_KEY	"7294061130"
#define MIGRATE_FILE_MAX	(16u * 1024 * 1024)
#define MIGRATE_FN_MAX		1024

/* One function file: its name, requirements, text and checksum. */
struct migrate_fn {
	struct sqlfn_file	 f;
	struct buf		 sql;
	char			 sum[SQLFN_HEX_LEN];
};

/*
 * Runs sql expecting a command or tuples result, or nothing (a file left
 * with comments only once its functions moved out); 0, or -1 logged.
 */
static int
migrate_exec(PGconn *db, const char *sql, const char *what)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(db, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		log_error("migrate_failed", "step=\"%s\" error=\"%s\"", what,
		    PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Runs a parameterised statement; the result (NULL: failed, logged). */
static PGresult *
migrate_params(PGconn *db, const char *sql, int n, const char *const *p,
    const char *what)
{
	PGresult	*res;

	res = PQexecParams(db, sql, n, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("migrate_failed", "step=\"%s\" error=\"%s\"", what,
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * The bookkeeping tables, created or brought up to date (checksum is new in
 * this release).  The checks avoid IF NOT EXISTS, whose notices libpq would
 * print on every run.
 */
static int
migrate_tables(PGconn *db)
{
	return migrate_exec(db, "DO $$ BEGIN "
	    "IF to_regclass('schema_migrations') IS NULL THEN "
	    "CREATE TABLE schema_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now(), checksum text); "
	    "ELSIF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
	    "'schema_migrations'::regclass AND attname = 'checksum' AND "
	    "NOT attisdropped) THEN "
	    "ALTER TABLE schema_migrations ADD COLUMN checksum text; "
	    "END IF; "
	    "IF to_regclass('schema_functions') IS NULL THEN "
	    "CREATE TABLE schema_functions ("
	    "name text PRIMARY KEY, checksum text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now()); "
	    "END IF; END $$", "tables");
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

/* Reads the file dir/name into sql; 0, or -1 logged. */
static int
migrate_read(const char *dir, const char *name, struct buf *sql)
{
	char		 path[4096], chunk[8192];
	FILE		*f;
	size_t		 n;
	int		 bad;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (f = fopen(path, "r")) == NULL) {
		log_error("migrate_file", "file=%s/%s error=\"cannot open\"",
		    dir, name);
		return -1;
	}
	bad = 0;
	while (!bad && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		bad = buf_add(sql, chunk, n) != 0;
	bad = bad || ferror(f) || !feof(f) || sql->len == 0;
	fclose(f);
	if (bad) {
		log_error("migrate_file", "file=%s/%s error=\"read failed, "
		    "empty or too large\"", dir, name);
		return -1;
	}
	return 0;
}

/*
 * Finds the file for version in dir ("NNN_*.sql"), reads it into sql and
 * its checksum into sum.  Returns 0, or -1 (logged) when it is missing,
 * duplicated or unreadable.
 */
static int
migrate_read_numbered(const char *dir, int version, struct buf *sql,
    char *name, size_t namelen, char sum[SQLFN_HEX_LEN])
{
	DIR		*d;
	struct dirent	*de;
	char		 prefix[16];
	int		 found = 0;
	size_t		 n;

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
	if (migrate_read(dir, name, sql) != 0)
		return -1;
	if (sqlfn_sha256_hex(sql->data, sql->len, sum) != 0) {
		log_error("migrate_checksum", "file=%s", name);
		return -1;
	}
	return 0;
}

/*
 * Compares one applied version's recorded checksum with its file: equal,
 * or none recorded yet and adopt set (recorded now, logged), is 0;
 * anything else -1, logged with the file's name.
 */
static int
migrate_verify_one(PGconn *db, const char *dir, const char *vtext,
    const char *recorded, int adopt)
{
	struct buf	 sql;
	char		 name[256], sum[SQLFN_HEX_LEN];
	const char	*p[2];
	PGresult	*res;
	int		 rc = -1;

	buf_init(&sql, MIGRATE_FILE_MAX);
	if (migrate_read_numbered(dir, (int)strtol(vtext, NULL, 10), &sql,
	    name, sizeof(name), sum) != 0)
		goto out;
	if (recorded != NULL && strcmp(recorded, sum) == 0)
		rc = 0;
	else if (recorded != NULL)
		log_error("migrate_edited", "file=%s version=%s recorded=%s "
		    "now=%s error=\"this migration was edited after it was "
		    "applied: restore it and put the change in a new numbered "
		    "migration\"", name, vtext, recorded, sum);
	else if (!adopt)
		log_error("migrate_unchecked", "file=%s version=%s error=\"no "
		    "checksum recorded\" hint=\"run abc-worker --migrate\"",
		    name, vtext);
	else {
		p[0] = sum;
		p[1] = vtext;
		if ((res = migrate_params(db, "UPDATE schema_migrations SET "
		    "checksum = $1 WHERE version = $2", 2, p,
		    "baseline")) != NULL) {
			PQclear(res);
			log_info("migrate_baseline", "file=%s version=%s "
			    "checksum=%s note=\"applied before checksums were "
			    "kept: the current file is adopted\"", name, vtext,
			    sum);
			rc = 0;
		}
	}
out:
	buf_clear(&sql);
	return rc;
}

/* Checks every applied numbered migration against its file (see above). */
static int
migrate_verify(PGconn *db, const char *dir, int adopt)
{
	PGresult	*res;
	int		 i, rc = 0;

	if ((res = migrate_params(db, "SELECT version, checksum FROM "
	    "schema_migrations ORDER BY version", 0, NULL, "verify")) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		if (migrate_verify_one(db, dir, PQgetvalue(res, i, 0),
		    PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
		    adopt) != 0)
			rc = -1;
	PQclear(res);
	return rc;
}

/* Applies one version in its own transaction; 0, or -1 logged. */
static int
migrate_one(PGconn *db, const char *dir, int version)
{
	struct buf	 sql;
	char		 name[256], vtext[16], sum[SQLFN_HEX_LEN];
	const char	*params[3];
	PGresult	*res;
	int		 rc = -1;

	buf_init(&sql, MIGRATE_FILE_MAX);
	if (migrate_read_numbered(dir, version, &sql, name, sizeof(name),
	    sum) != 0)
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
	params[2] = sum;
	res = migrate_params(db, "INSERT INTO schema_migrations (version, name, "
	    "checksum) VALUES ($1, $2, $3)", 3, params, "record");
	rc = res != NULL ? 0 : -1;
	PQclear(res);
	if (rc != 0 || migrate_exec(db, "COMMIT", "commit") != 0) {
		(void)migrate_exec(db, "ROLLBACK", "rollback");
		rc = -1;
		goto out;
	}
	log_info("migrate_applied", "version=%d file=%s checksum=%s", version,
	    name, sum);
out:
	buf_clear(&sql);
	return rc;
}

/* strcmp order for scandir: byte order, whatever the locale. */
static int
migrate_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Keeps "<name>.sql" with a valid name. */
static int
migrate_fn_filter(const struct dirent *de)
{
	size_t	 n = strlen(de->d_name);

	return n > 4 && strcmp(de->d_name + n - 4, ".sql") == 0 &&
	    sqlfn_name_ok(de->d_name, n - 4);
}

/* Frees what migrate_fn_load filled. */
static void
migrate_fn_free(struct migrate_fn *fns, size_t n)
{
	size_t	 i;

	for (i = 0; fns != NULL && i < n; i++)
		buf_clear(&fns[i].sql);
	free(fns);
}

/* Reads one function file into fn: text, requirements, checksum. */
static int
migrate_fn_read(const char *fdir, const char *file, struct migrate_fn *fn)
{
	size_t	 n = strlen(file) - 4;

	memcpy(fn->f.name, file, n);
	fn->f.name[n] = '\0';
	buf_init(&fn->sql, MIGRATE_FILE_MAX);
	if (migrate_read(fdir, file, &fn->sql) != 0)
		return -1;
	if (sqlfn_requires((const char *)fn->sql.data, fn->sql.len,
	    &fn->f) != 0) {
		log_error("migrate_requires", "file=%s/%s error=\"bad requires "
		    "line (names [a-z0-9_], at most %d)\"", fdir, file,
		    SQLFN_REQ_MAX);
		return -1;
	}
	if (sqlfn_sha256_hex(fn->sql.data, fn->sql.len, fn->sum) != 0) {
		log_error("migrate_checksum", "file=%s/%s", fdir, file);
		return -1;
	}
	return 0;
}

/*
 * Loads every sql_dir/functions/<name>.sql, in name order, into *out (to
 * free with migrate_fn_free) and their apply order into *order (to free).
 * Returns the number of files, or -1 logged.
 */
static int
migrate_fn_load(const char *dir, struct migrate_fn **out, size_t **order)
{
	struct dirent	**list = NULL;
	struct migrate_fn *fns = NULL;
	struct sqlfn_file *files = NULL;
	char		  fdir[4096], why[256];
	int		  n, i, rc = -1;

	*out = NULL;
	*order = NULL;
	snprintf(fdir, sizeof(fdir), "%s/functions", dir);
	if ((n = scandir(fdir, &list, migrate_fn_filter,
	    migrate_name_cmp)) < 0) {
		log_error("migrate_dir", "dir=%s error=\"%s\"", fdir,
		    strerror(errno));
		return -1;
	}
	if (n > MIGRATE_FN_MAX ||
	    (fns = calloc((size_t)n + 1, sizeof(*fns))) == NULL ||
	    (files = calloc((size_t)n + 1, sizeof(*files))) == NULL ||
	    (*order = calloc((size_t)n + 1, sizeof(**order))) == NULL) {
		log_error("migrate_functions", "files=%d error=\"too many or "
		    "out of memory\"", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (migrate_fn_read(fdir, list[i]->d_name, &fns[i]) != 0)
			goto out;
		files[i] = fns[i].f;
	}
	if (sqlfn_order(files, (size_t)n, *order, why, sizeof(why)) != 0) {
		log_error("migrate_requires", "dir=%s error=\"%s\"", fdir, why);
		goto out;
	}
	rc = n;
out:
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(files);
	if (rc < 0) {
		migrate_fn_free(fns, n > 0 ? (size_t)n : 0);
		free(*order);
		*order = NULL;
	} else
		*out = fns;
	return rc;
}

/* The checksum recorded for function file name ("" when none) into sum. */
static int
migrate_fn_recorded(PGconn *db, const char *name, char sum[SQLFN_HEX_LEN])
{
	PGresult	*res;

	if ((res = migrate_params(db, "SELECT checksum FROM schema_functions "
	    "WHERE name = $1", 1, &name, "function checksum")) == NULL)
		return -1;
	snprintf(sum, SQLFN_HEX_LEN, "%s", PQntuples(res) == 1 ?
	    PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return 0;
}

/* Applies one function file and records its checksum (in a transaction). */
static int
migrate_fn_apply(PGconn *db, const struct migrate_fn *fn)
{
	const char	*p[2];
	PGresult	*res;

	if (migrate_exec(db, (const char *)fn->sql.data, fn->f.name) != 0)
		return -1;
	p[0] = fn->f.name;
	p[1] = fn->sum;
	if ((res = migrate_params(db, "INSERT INTO schema_functions (name, "
	    "checksum) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET "
	    "checksum = $2, applied_at = now()", 2, p, "record")) == NULL)
		return -1;
	PQclear(res);
	log_info("migrate_function", "file=functions/%s.sql checksum=%s",
	    fn->f.name, fn->sum);
	return 0;
}

/*
 * Applies, in one transaction and in their order, the function files whose
 * checksum differs from the recorded one, or every file when all is set
 * (after a numbered migration, which may have dropped one).  With check
 * set, applies nothing and fails when any file would be applied.
 */
static int
migrate_functions(PGconn *db, const char *dir, int all, int check)
{
	struct migrate_fn	*fns;
	size_t			*order, i;
	char			 rec[SQLFN_HEX_LEN];
	int			 n, done = 0, rc = -1;

	if ((n = migrate_fn_load(dir, &fns, &order)) < 0)
		return -1;
	if (!check && migrate_exec(db, "BEGIN", "begin") != 0)
		goto out;
	for (i = 0; i < (size_t)n; i++) {
		if (migrate_fn_recorded(db, fns[order[i]].f.name, rec) != 0)
			goto fail;
		if (!all && strcmp(rec, fns[order[i]].sum) == 0)
			continue;
		if (check) {
			log_error("migrate_pending", "file=functions/%s.sql "
			    "error=\"not applied in this version\" "
			    "hint=\"run abc-worker --migrate\"",
			    fns[order[i]].f.name);
			goto out;
		}
		if (migrate_fn_apply(db, &fns[order[i]]) != 0)
			goto fail;
		done++;
	}
	if (!check && migrate_exec(db, "COMMIT", "commit") != 0)
		goto fail;
	if (!check)
		log_info("migrate_functions", "files=%d applied=%d", n, done);
	rc = 0;
	goto out;
fail:
	if (!check)
		(void)migrate_exec(db, "ROLLBACK", "rollback");
out:
	migrate_fn_free(fns, (size_t)n);
	free(order);
	return rc;
}

/* Applies the numbered versions after version up to target; -1 logged. */
static int
migrate_numbered(PGconn *db, const char *sql_dir, int version, int target)
{
	int	 v;

	if (version > MIGRATE_SCHEMA) {
		log_error("migrate_newer", "schema=%d known=%d", version,
		    MIGRATE_SCHEMA);
		return -1;
	}
	if (version > target) {
		log_error("migrate_past", "schema=%d target=%d", version,
		    target);
		return -1;
	}
	for (v = version + 1; v <= target; v++)
		if (migrate_one(db, sql_dir, v) != 0)
			return -1;
	return 0;
}

/*
 * Brings the schema up to target (1..MIGRATE_SCHEMA) from the files in
 * sql_dir: the numbered migrations, then, when target is MIGRATE_SCHEMA,
 * the function files (they are written for the latest schema).  Returns 0
 * when that is done, -1 (logged) otherwise, including when an applied
 * migration was edited or the database is newer than this build.
 */
int
migrate_apply(PGconn *db, const char *sql_dir, int target)
{
	int	 version, rc = -1;

	if (target < 1 || target > MIGRATE_SCHEMA) {
		log_error("migrate_target", "target=%d known=%d", target,
		    MIGRATE_SCHEMA);
		return -1;
	}
	if (migrate_exec(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
	    "lock") != 0)
		return -1;
	if (migrate_tables(db) != 0 || migrate_current(db, &version) != 0 ||
	    migrate_verify(db, sql_dir, 1) != 0 ||
	    migrate_numbered(db, sql_dir, version, target) != 0)
		goto out;
	if (target == MIGRATE_SCHEMA && migrate_functions(db, sql_dir,
	    version < target, 0) != 0)
		goto out;
	log_info("migrate_done", "schema=%d", target);
	rc = 0;
out:
	(void)migrate_exec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY
	    ")", "unlock");
	return rc;
}

/*
 * Returns 0 when the database schema is exactly MIGRATE_SCHEMA, no applied
 * migration was edited since and every function file is applied.
 */
int
migrate_check(PGconn *db, const char *sql_dir)
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
	if (migrate_verify(db, sql_dir, 0) != 0 ||
	    migrate_functions(db, sql_dir, 0, 1) != 0)
		return -1;
	return 0;
}
