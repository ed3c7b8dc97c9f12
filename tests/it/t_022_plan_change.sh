#!/usr/bin/env bash
# abc-worker prepares each statement once per database session (worker/pgprep.c). When a
# function a prepared statement calls is replaced by one of another result type while the
# worker runs (an upgrade applying sql/functions/), PostgreSQL refuses to run the old
# plan ("cached plan must not change result type"). Without handling, that statement
# failed for as long as the session lived; now the worker starts a new session and
# prepares again (db_replan), and the requests are answered. Here link_counter_add is
# replaced by a wrapper returning varchar instead of text, then put back.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="it022_$$_$(date +%s)"
PORT="$ABC_LINK_PORT"
SIG="text, bigint, bigint, text, text, bigint"
restore() {
    psql_abc -q -c "DO \$\$ BEGIN
        IF to_regprocedure('it022_orig($SIG)') IS NOT NULL THEN
            DROP FUNCTION IF EXISTS link_counter_add($SIG);
            ALTER FUNCTION it022_orig($SIG) RENAME TO link_counter_add;
        END IF; END \$\$;" >/dev/null 2>&1 || true
}
trap 'restore; rm -rf "$IT_TMP"' EXIT

# linkc PREFIX N: N counter_add requests on one key; the summary line.
linkc() {
    "$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$PORT" --ca "$ABC_CERTS/ca.crt" \
        --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" -c 1 -t 1 -n "$2" \
        --op counter_add --prefix "$1" --keys 1 --timeout-ms 10000 2>>"$IT_TMP/linkc.err" |
        tail -n 1
}
value() { psql_abc -c "SELECT value FROM link_counters WHERE key = '$1'"; }
replans() { grep -c 'event=db_replan' "$ABC_LOG/worker.log" || true; }

out="$(linkc "$RUN-a-" 5 || true)"
check "counter_add answered (the statement is now prepared)" \
    grep -q "replies_ok=5 errors=0 timeouts=0" <<<"$out"
before="$(replans)"
psql_abc -q -v ON_ERROR_STOP=1 -c "BEGIN;
    ALTER FUNCTION link_counter_add($SIG) RENAME TO it022_orig;
    CREATE FUNCTION link_counter_add(p_client text, p_epoch bigint, p_req bigint,
        p_idem text, p_key text, p_n bigint) RETURNS varchar LANGUAGE sql
        AS 'SELECT it022_orig(p_client, p_epoch, p_req, p_idem, p_key, p_n)';
    COMMIT;" >/dev/null
out="$(linkc "$RUN-b-" 20 || true)"
echo "  after the replacement: $out"
check "with the result type changed, the next 20 requests are answered ok" \
    grep -q "replies_ok=20 errors=0 timeouts=0" <<<"$out"
check "...applied once each" test "$(value "$RUN-b-0")" = 20
check "...after the worker replanned on a new session" test "$(replans)" -gt "$before"
restore
out="$(linkc "$RUN-c-" 5 || true)"
check "with the function put back, requests are answered ok again" \
    grep -q "replies_ok=5 errors=0 timeouts=0" <<<"$out"
it_done
