#!/usr/bin/env bash
# Backups (issue 14): a base backup of the current primary (deploy/backup base), then a
# user registered after it, the WAL switched into the archive (deploy/backup switch), and
# the restore drill (deploy/backup drill): the copy replays the archive past the base
# backup (it holds the later user: its user count equals the primary's), and
# check_invariants.sql passes on it. The drill leaves no folder and no process behind.
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rm -rf "$IT_TMP"' EXIT

rc=0
"$ABC_ROOT/deploy/backup" base >"$IT_TMP/base" 2>&1 || rc=$?
((rc == 0)) || cat "$IT_TMP/base"
check "a base backup is taken" test "$rc" == 0
check "a user registers after the base backup" test "$(register "late$RUN" any)" == 303
users=$(psql_abc -c "SELECT count(*) FROM users")
check "the WAL is archived up to now" "$ABC_ROOT/deploy/backup" switch
before=$(find /var/tmp -maxdepth 1 -name 'abc-drill.*' | wc -l)
rc=0
"$ABC_ROOT/deploy/backup" drill >"$IT_TMP/drill" 2>&1 || rc=$?
sed 's/^/     /' "$IT_TMP/drill"
check "the drill passes" test "$rc" == 0 -a -n "$(grep -x 'drill: PASS' "$IT_TMP/drill")"
check "check_invariants.sql ran on the copy" grep -q 'check_invariants.sql passed on the copy' "$IT_TMP/drill"
check "the copy holds every user, the later one too (users=$users)" grep -q "holds users=$users " "$IT_TMP/drill"
check "the drill removed its copy" test "$(find /var/tmp -maxdepth 1 -name 'abc-drill.*' | wc -l)" == "$before"
check "no PostgreSQL of the drill still runs" bash -c "! pgrep -f 'cluster_name=abc-[d]rill' >/dev/null"
ht_done
