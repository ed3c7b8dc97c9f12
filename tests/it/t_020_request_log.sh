#!/usr/bin/env bash
# Integration test of the exactly-once store (SPEC 5, sql/002_request_log.sql, sql/functions/link_counter_add.sql), straight
# on the stack's PostgreSQL: link_counter_add answers a re-sent request from request_log,
# a failing request stores its error without touching the batch around it, and the
# worker's prune statement removes only rows older than 7 days.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Unique per run, so reruns never meet old rows.
RUN="it020_$$_$(date +%s%N)"
EPOCH="$(date +%s%N)"
C1="$RUN-web1"
C2="$RUN-web2"

# add CLIENT EPOCH REQ IDEM_OR_NULL KEY N: prints the reply text.
add() {
    local idem="NULL"
    [[ "$4" == NULL ]] || idem="'$4'"
    psql_abc -c "SELECT link_counter_add('$1', $2, $3, $idem, '$5', $6)"
}
counter() { psql_abc -c "SELECT coalesce((SELECT value FROM link_counters WHERE key = '$1'), -1)"; }
log_rows() { psql_abc -c "SELECT count(*) FROM request_log WHERE client_id = '$1' AND epoch = $2 AND req_no = $3"; }

# (a) the same (client, epoch, req_no) twice: one effect, the identical reply
same_id_twice() {
    local k="$RUN-a" r1 r2
    r1="$(add "$C1" "$EPOCH" 1 "$RUN-idem-a" "$k" 5)" || return 1
    r2="$(add "$C1" "$EPOCH" 1 "$RUN-idem-a" "$k" 5)" || return 1
    echo "  replies: $r1 / $r2; counter $(counter "$k")"
    [[ "$r1" == *'"ok": true'* && "$r1" == "$r2" && "$(counter "$k")" == 5 &&
        "$(log_rows "$C1" "$EPOCH" 1)" == 1 ]]
}
check "same (client, epoch, req_no) twice: identical reply, counter +5 once" same_id_twice

# (b) the same idempotency key through the other abc-web: the first reply, no new effect
same_idem_other_client() {
    local k="$RUN-a" r1 r2
    r1="$(add "$C1" "$EPOCH" 1 "$RUN-idem-a" "$k" 5)" || return 1
    r2="$(add "$C2" "$((EPOCH + 1))" 7 "$RUN-idem-a" "$k" 5)" || return 1
    echo "  replies: $r1 / $r2; counter $(counter "$k")"
    [[ "$r1" == "$r2" && "$(counter "$k")" == 5 &&
        "$(log_rows "$C2" "$((EPOCH + 1))" 7)" == 0 ]]
}
check "same idempotency key from another (client, epoch, req_no): first reply, not applied" \
    same_idem_other_client

# ...while a new request (new req_no, no key) does apply
new_request_applies() {
    local k="$RUN-a" r
    r="$(add "$C1" "$EPOCH" 2 NULL "$k" 5)" || return 1
    echo "  reply: $r"
    [[ "$r" == *'"value": 10'* && "$(counter "$k")" == 10 ]]
}
check "a new req_no without a key applies (counter 10)" new_request_applies

# (c) a failing request: error reply stored, nothing applied, the resend gets the same error
failing_request() {
    local long r1 r2 before after
    long="$RUN-$(printf 'x%.0s' {1..70})" # > 64 chars: CHECK violation in the savepoint
    before="$(psql_abc -c "SELECT count(*) || '/' || coalesce(sum(value), 0) FROM link_counters WHERE key LIKE '$RUN%'")"
    r1="$(add "$C1" "$EPOCH" 3 "$RUN-idem-c" "$long" 1)" || return 1
    r2="$(add "$C1" "$EPOCH" 3 "$RUN-idem-c" "$long" 1)" || return 1
    after="$(psql_abc -c "SELECT count(*) || '/' || coalesce(sum(value), 0) FROM link_counters WHERE key LIKE '$RUN%'")"
    echo "  replies: $r1 / $r2; counters (rows/sum) $before -> $after"
    [[ "$r1" == *'"ok": false'* && "$r1" == *check* && "$r1" == "$r2" &&
        "$before" == "$after" && "$(counter "$long")" == -1 &&
        "$(log_rows "$C1" "$EPOCH" 3)" == 1 ]]
}
check "failing request (key > 64 chars): error reply stored, nothing applied, resend same error" \
    failing_request

# (d) one failing request inside a transaction does not undo the others
batch_with_failure() {
    local k="$RUN-d" long out
    long="$RUN-$(printf 'y%.0s' {1..70})"
    out="$(psql_abc <<SQL
BEGIN;
SELECT link_counter_add('$C1', $EPOCH, 10, NULL, '$k', 1);
SELECT link_counter_add('$C1', $EPOCH, 11, NULL, '$long', 1);
SELECT link_counter_add('$C1', $EPOCH, 12, NULL, '$k', 2);
COMMIT;
SQL
    )" || return 1
    echo "  $(echo "$out" | tr '\n' ' ')"
    local n
    n="$(psql_abc -c "SELECT count(*) FROM request_log WHERE client_id = '$C1' AND epoch = $EPOCH AND req_no IN (10, 11, 12)")"
    [[ "$(counter "$k")" == 3 && "$n" == 3 && "$(echo "$out" | grep -c '"ok": true')" == 2 &&
        "$(echo "$out" | grep -c '"ok": false')" == 1 ]]
}
check "BEGIN; ok; failing; ok; COMMIT: both good ones applied, all three logged" batch_with_failure

# (e) a retry through the other abc-web racing the original (both in flight at once, which
# needs two writers: today's worker has one database thread). The retry must not apply a
# second time; it may fail with a unique violation (the worker then re-runs its batch), and
# that re-run gets the original reply.
concurrent_idem() {
    local k="$RUN-e" a b c rc=0
    psql_abc >"$IT_TMP/race_a" 2>&1 <<SQL &
BEGIN;
SELECT link_counter_add('$C1', $EPOCH, 20, '$RUN-idem-e', '$k', 4);
SELECT pg_sleep(1.5);
COMMIT;
SQL
    local pid=$!
    sleep 0.5
    b="$(add "$C2" "$EPOCH" 21 "$RUN-idem-e" "$k" 4 2>&1)" || rc=$?
    wait "$pid" || true
    a="$(head -n 1 "$IT_TMP/race_a")"
    c="$(add "$C2" "$EPOCH" 21 "$RUN-idem-e" "$k" 4)" || return 1
    echo "  original: $a; racing retry (rc $rc): $(echo "$b" | head -n 1); re-run: $c;" \
        "counter $(counter "$k")"
    [[ "$(counter "$k")" == 4 && "$a" == *'"ok": true'* && "$a" == "$c" ]] || return 1
    [[ "$rc" == 0 && "$b" == "$a" ]] || [[ "$rc" != 0 && "$b" == *request_log_idem* ]]
}
check "racing retry with the same idempotency key: one effect; re-run gets the original reply" \
    concurrent_idem

# (e2) a lock timeout says nothing about the request: it is raised, nothing is stored,
# and the same request sent again once the lock is gone is applied (abc-worker's request
# connection has lock_timeout 1 s; stored as the request's reply, the error would be
# answered to every resend and the counter never added).
lock_timeout_not_stored() {
    local k="$RUN-lock" out rc=0 again
    psql_abc -c "INSERT INTO link_counters (key, value) VALUES ('$k', 10)" >/dev/null
    psql_abc >/dev/null 2>&1 <<SQL &
BEGIN;
SELECT value FROM link_counters WHERE key = '$k' FOR UPDATE;
SELECT pg_sleep(2);
COMMIT;
SQL
    local pid=$!
    sleep 0.5
    out="$(psql_abc 2>&1 <<SQL
SET lock_timeout = '300ms';
SELECT link_counter_add('$C1', $EPOCH, 40, '$RUN-idem-lock', '$k', 1);
SQL
    )" || rc=$?
    wait "$pid" || true
    again="$(add "$C1" "$EPOCH" 40 "$RUN-idem-lock" "$k" 1)" || return 1
    echo "  under the lock (rc $rc): $(echo "$out" | tr '\n' ' '); sent again: $again;" \
        "counter $(counter "$k")"
    [[ "$rc" != 0 && "$out" == *"lock timeout"* && "$again" == *'"ok": true'* &&
        "$(counter "$k")" == 11 && "$(log_rows "$C1" "$EPOCH" 40)" == 1 ]]
}
check "a lock timeout is raised, not stored: the same request sent again is applied once" \
    lock_timeout_not_stored

# (f) the worker's prune statement (from worker/db.c) removes rows older than 7 days only
prune_sql="$(sed -n '/"DELETE FROM request_log/,/;/p' "$ABC_ROOT/worker/db.c" |
    grep -o '"[^"]*"' | tr -d '"' | tr -d '\n')"
prune_ages() {
    [[ "$prune_sql" == "DELETE FROM request_log WHERE"* ]] || {
        echo "  could not find the prune statement in worker/db.c (got: '$prune_sql')"
        return 1
    }
    echo "  statement: $prune_sql"
    local out
    out="$(psql_abc <<SQL
BEGIN;
INSERT INTO request_log (client_id, epoch, req_no, op, reply, created_at) VALUES
    ('$C1', $EPOCH, 30, 'counter_add', '{"ok":true}', now() - interval '8 days'),
    ('$C1', $EPOCH, 31, 'counter_add', '{"ok":true}', now() - interval '6 days 23 hours'),
    ('$C1', $EPOCH, 32, 'counter_add', '{"ok":true}', now());
$prune_sql;
SELECT string_agg(req_no::text, ',' ORDER BY req_no) FROM request_log
    WHERE client_id = '$C1' AND epoch = $EPOCH AND req_no BETWEEN 30 AND 32;
ROLLBACK;
SQL
    )" || return 1
    echo "  kept: $out"
    [[ "$out" == "31,32" && "$(psql_abc -c "SELECT count(*) FROM request_log WHERE client_id = '$C1' AND epoch = $EPOCH AND req_no BETWEEN 30 AND 32")" == 0 ]]
}
check "prune statement deletes an 8-day-old row, keeps 6-day-old and fresh ones (rolled back)" \
    prune_ages

# (g) ledger invariants still hold
invariants_clean() { psql_abc -f "$ABC_ROOT/sql/admin/check_invariants.sql" >/dev/null; }
check "sql/admin/check_invariants.sql runs clean" invariants_clean

it_done
