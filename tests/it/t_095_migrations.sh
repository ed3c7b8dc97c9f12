#!/usr/bin/env bash
# Integration test of schema migrations (worker/migrate.c, sql/functions/), on scratch
# databases in the stack's cluster (dropped at the end):
#  (a) a database built by the previous release's migrations (git show 2efb43f:sql/...,
#      applied the way that abc-worker did, no checksums) and then migrated by this
#      abc-worker, and (b) one migrated one numbered step at a time (--migrate-to N),
#      both end with `pg_dump --schema-only` identical to a fresh database's;
#  (c) an applied numbered migration edited afterwards is refused, naming the file, by
#      --migrate and at start-up; (d) an edited function file is applied again, alone.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OLD_RELEASE=2efb43f
WORKER="$ABC_BUILD/worker/abc-worker"
DB_PREFIX="it095_$$"
DBS=()

cleanup() {
    local db
    for db in "${DBS[@]}"; do
        abc_psql -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$IT_TMP"
}
trap cleanup EXIT

# new_db NAME: an empty database owned by abc, dropped at exit.
new_db() {
    DBS+=("$DB_PREFIX$1")
    abc_psql -d postgres -c "CREATE DATABASE $DB_PREFIX$1 OWNER abc" >/dev/null
}
# worker DB SQL_DIR ARGS...: abc-worker on database DB; output in $IT_TMP/worker.log.
worker() {
    local db="$1" dir="$2"
    shift 2
    ABC_DB="host=$ABC_PGDIR dbname=$DB_PREFIX$db user=abc" ABC_SQL_DIR="$dir" \
        timeout 30 "$WORKER" -c "$ABC_STATE/worker.conf" "$@" >"$IT_TMP/worker.log" 2>&1
}
# dump DB: the schema, without pg_dump's per-run \restrict keys.
dump() {
    "$ABC_PG_BIN/pg_dump" -h "$ABC_PGDIR" -U postgres --schema-only "$DB_PREFIX$1" |
        grep -v '^\\\(un\)\?restrict ' >"$IT_TMP/$1.dump"
}
same_schema() {
    dump "$1" && dump "$2" || return 1
    if ! cmp -s "$IT_TMP/$1.dump" "$IT_TMP/$2.dump"; then
        diff -u "$IT_TMP/$1.dump" "$IT_TMP/$2.dump" | head -40
        return 1
    fi
    echo "  $(grep -c '^CREATE FUNCTION' "$IT_TMP/$1.dump") functions, $(grep -c '^CREATE TABLE' "$IT_TMP/$1.dump") tables, $(grep -c '^CREATE TRIGGER' "$IT_TMP/$1.dump") triggers: identical"
}
last_version() { find "$ABC_ROOT/sql" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' | sort | tail -1 | sed 's|.*/0*\([0-9]*\)_.*|\1|'; }

new_db fresh
fresh() {
    worker fresh "$ABC_ROOT/sql" --migrate || { cat "$IT_TMP/worker.log"; return 1; }
    [[ "$(psql_abc -d "${DB_PREFIX}fresh" -c "SELECT count(*) FROM schema_functions")" == \
        "$(find "$ABC_ROOT/sql/functions" -name '*.sql' | wc -l)" ]]
}
check "fresh database: --migrate applies every numbered and function file" fresh

# (a) the previous release's files, each in one transaction recorded without a checksum
old_release() {
    local f v
    git -C "$ABC_ROOT" cat-file -e "$OLD_RELEASE^{commit}" 2>/dev/null || {
        echo "  no git history of $OLD_RELEASE here"
        return 1
    }
    new_db old
    abc_psql -U abc -d "${DB_PREFIX}old" -c "CREATE TABLE schema_migrations (version integer
        PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    for f in $(git -C "$ABC_ROOT" ls-tree --name-only "$OLD_RELEASE" sql/ | grep '^sql/[0-9]\{3\}_.*\.sql$'); do
        v="$(basename "$f" | sed 's/^0*\([0-9]*\)_.*/\1/')"
        { echo "BEGIN;"; git -C "$ABC_ROOT" show "$OLD_RELEASE:$f"
          echo "INSERT INTO schema_migrations (version, name) VALUES ($v, '$(basename "$f")');"
          echo "COMMIT;"; } | abc_psql -U abc -d "${DB_PREFIX}old" >/dev/null || return 1
    done
    # a user of the old release keeps working afterwards
    abc_psql -U abc -d "${DB_PREFIX}old" -c "SELECT acct_register('it095', 1, 1, 'it095old',
        '\\x$(printf '%064d' 0)', '\\x$(printf '%032d' 0)', 2, 1, 1, 'x')" >/dev/null || return 1
    worker old "$ABC_ROOT/sql" --migrate || { cat "$IT_TMP/worker.log"; return 1; }
    echo "  baseline adopted for $(grep -c 'event=migrate_baseline' "$IT_TMP/worker.log") old migrations"
    [[ "$(grep -c 'event=migrate_baseline' "$IT_TMP/worker.log")" == \
        "$(git -C "$ABC_ROOT" ls-tree --name-only "$OLD_RELEASE" sql/ | grep -c '^sql/[0-9]\{3\}_.*\.sql$')" ]] &&
        [[ "$(psql_abc -d "${DB_PREFIX}old" -c "SELECT count(*) FROM schema_migrations WHERE checksum IS NULL")" == 0 ]] &&
        [[ "$(psql_abc -d "${DB_PREFIX}old" -c "SELECT acct_overview(id)::jsonb->>'balance' FROM users WHERE username = 'it095old'")" == 0 ]] &&
        worker old "$ABC_ROOT/sql" --migrate &&
        ! grep -q 'event=migrate_baseline' "$IT_TMP/worker.log" &&
        same_schema fresh old
}
check "(a) previous release's database, then this --migrate: schema identical to fresh" old_release

# (b) one numbered step at a time
step_by_step() {
    local n last
    last="$(last_version)"
    new_db step
    for ((n = 1; n <= last; n++)); do
        worker step "$ABC_ROOT/sql" --migrate-to "$n" || { echo "  step $n:"; cat "$IT_TMP/worker.log"; return 1; }
        [[ "$(psql_abc -d "${DB_PREFIX}step" -c "SELECT max(version) FROM schema_migrations")" == "$n" ]] || return 1
    done
    worker step "$ABC_ROOT/sql" --migrate && same_schema fresh step
}
check "(b) --migrate-to 1, 2, ... last: schema identical to fresh" step_by_step

# (c) an applied numbered migration edited afterwards
cp -r "$ABC_ROOT/sql" "$IT_TMP/edited"
printf -- '-- an afterthought\n' >>"$IT_TMP/edited/003_accounts.sql"
edited_refused() {
    if worker fresh "$IT_TMP/edited" --migrate; then
        echo "  --migrate accepted an edited migration"
        return 1
    fi
    grep 'event=migrate_edited' "$IT_TMP/worker.log" | cut -c1-200
    grep -q 'event=migrate_edited file=003_accounts.sql version=3 .*was edited after it was applied' \
        "$IT_TMP/worker.log" || return 1
    if worker fresh "$IT_TMP/edited"; then
        echo "  abc-worker started with an edited migration"
        return 1
    fi
    grep -q 'event=migrate_edited file=003_accounts.sql' "$IT_TMP/worker.log" &&
        worker fresh "$ABC_ROOT/sql" --migrate
}
check "(c) edited applied migration: --migrate and start-up refuse it, naming the file" edited_refused

# (d) a function file changed: applied again, alone, on the next --migrate
cp -r "$ABC_ROOT/sql" "$IT_TMP/fnedit"
printf "COMMENT ON FUNCTION acct_purge(bigint) IS 'it095';\n" >>"$IT_TMP/fnedit/functions/acct_purge.sql"
function_reapplied() {
    worker fresh "$IT_TMP/fnedit" --migrate || { cat "$IT_TMP/worker.log"; return 1; }
    grep -q 'event=migrate_functions files=[0-9]* applied=1$' "$IT_TMP/worker.log" &&
        grep -q 'event=migrate_function file=functions/acct_purge.sql' "$IT_TMP/worker.log" &&
        [[ "$(psql_abc -d "${DB_PREFIX}fresh" -c "SELECT obj_description('acct_purge(bigint)'::regprocedure)")" == it095 ]] &&
        worker fresh "$IT_TMP/fnedit" --migrate &&
        grep -q 'event=migrate_functions files=[0-9]* applied=0$' "$IT_TMP/worker.log"
}
check "(d) an edited function file is applied again, and only it" function_reapplied

it_done
