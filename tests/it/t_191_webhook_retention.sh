#!/usr/bin/env bash
# Webhook history retention (worker/retention.c, sql/functions/webhook_retain.sql):
# with abc-worker's retention job running every 200 ms, a delivery that ended (sent or
# failed) over webhook_keep_days (30) ago goes, then an event that old with no delivery
# left; a pending delivery stays however old (it still has a receiver to reach), and so
# does its event; recent history stays. The job logs what it removed. Then the stack's
# own settings again.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="r$$$((RANDOM % 100))"
worker_gone() { ! pid_of worker >/dev/null 2>&1; }

# A user with one endpoint, made in SQL (this test is about the tables, not the pages).
U=$(psql_abc -c "INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
    VALUES ('ret$RUN', sha256('x'), '\\x00112233445566778899aabbccddeeff', 1024, 8, 1)
    RETURNING id" | head -n 1)
psql_abc -c "INSERT INTO ledger_accounts (kind, user_id) VALUES ('user', $U)" >/dev/null
E=$(psql_abc -c "INSERT INTO webhook_endpoints (user_id, url, secret)
    VALUES ($U, 'https://example.com/hook', repeat('ab', 32)) RETURNING id" | head -n 1)
# event NAME AGE_DAYS: an event of the user, made AGE_DAYS days ago; prints its id.
event() {
    psql_abc -c "INSERT INTO webhook_events (user_id, kind, data, created_at)
        VALUES ($U, 'slot_bought', '{\"t\":\"$1\"}', now() - interval '$2 days')
        RETURNING id" | head -n 1
}
# delivery EVENT STATUS AGE_DAYS: a delivery of EVENT in STATUS, last tried AGE_DAYS ago.
delivery() {
    psql_abc -c "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts,
        next_at, last_at) VALUES ($1, $E, '$2', 1, now() - interval '$3 days',
        now() - interval '$3 days') RETURNING id" | head -n 1
}
E_OLD_DONE=$(event old-done 40)
D_OLD_SENT=$(delivery "$E_OLD_DONE" sent 40)
D_OLD_FAILED=$(delivery "$E_OLD_DONE" failed 39)
E_OLD_PENDING=$(event old-pending 40)
D_OLD_PENDING=$(delivery "$E_OLD_PENDING" pending 40)
E_OLD_BARE=$(event old-bare 35)
E_NEW=$(event new 2)
D_NEW_SENT=$(delivery "$E_NEW" sent 2)
E_MIXED=$(event mixed 40)
D_MIXED_OLD=$(delivery "$E_MIXED" sent 40)
D_MIXED_NEW=$(delivery "$E_MIXED" sent 1)

exists() { test "$(psql_abc -c "SELECT count(*) FROM $1 WHERE id = $2")" = 1; }
gone() { test "$(psql_abc -c "SELECT count(*) FROM $1 WHERE id = $2")" = 0; }
check "before the job: all 6 deliveries and 5 events are there" test "$(psql_abc -c \
    "SELECT (SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $E) || ' ' ||
    (SELECT count(*) FROM webhook_events WHERE user_id = $U)")" = "6 5"

LOG_FROM=$(($(wc -l <"$ABC_LOG/worker.log") + 1))
kill_proc worker TERM
wait_until 15 worker_gone
ABC_RETENTION_POLL_MS=200 start_proc worker
check "the job removes the old sent delivery" wait_until 20 gone webhook_deliveries "$D_OLD_SENT"
check "...and the old failed one" wait_until 5 gone webhook_deliveries "$D_OLD_FAILED"
check "...then their event, left without deliveries" wait_until 5 gone webhook_events "$E_OLD_DONE"
check "...and an old event that never had one" wait_until 5 gone webhook_events "$E_OLD_BARE"
check "...and an old delivery of an event with a recent one" \
    wait_until 5 gone webhook_deliveries "$D_MIXED_OLD"
sleep 1 # several more runs of the job
check "an old pending delivery stays" exists webhook_deliveries "$D_OLD_PENDING"
check "...and its event" exists webhook_events "$E_OLD_PENDING"
recent_stay() {
    exists webhook_deliveries "$D_NEW_SENT" && exists webhook_deliveries "$D_MIXED_NEW" &&
        exists webhook_events "$E_NEW" && exists webhook_events "$E_MIXED"
}
check "recent deliveries and their events stay" recent_stay
logged() { tail -n +"$LOG_FROM" "$ABC_LOG/worker.log" | grep -E "$1" >/dev/null; }
check "the worker logged what it removed (5 rows)" logged 'webhook_history_pruned rows=5 keep_days=30'
check "...once: later runs found nothing" test "$(tail -n +"$LOG_FROM" "$ABC_LOG/worker.log" |
    grep -c webhook_history_pruned)" = 1

# The stack's own settings again (hourly), and nothing of this test left behind.
kill_proc worker TERM
wait_until 15 worker_gone
start_proc worker
psql_abc -c "DELETE FROM webhook_deliveries WHERE endpoint_id = $E;
    DELETE FROM webhook_events WHERE user_id = $U;
    DELETE FROM webhook_endpoints WHERE id = $E" >/dev/null
check "ledger invariants hold" invariants

it_done
