#!/usr/bin/env bash
# Exactly one active abc-worker (issue 14, worker/lease.h), on this host's stack: two more
# workers with active_lock = yes on spare ports. The first takes the advisory lock and
# listens; the second is a standby: it logs event=standby and does not listen. When the
# first one's lock session is killed in PostgreSQL, it logs event=lost_lock and exits 3 at
# once; the standby takes the lock and listens. A standby stops on SIGTERM while waiting.
# (The stack's own worker runs with active_lock = no and is not involved.)
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEY=1633837943
PA=$((ABC_LINK_PORT + 21))
PB=$((ABC_LINK_PORT + 22))
LA="$ABC_LOG/lock-a.log"
LB="$ABC_LOG/lock-b.log"
: >"$LA"
: >"$LB"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$IT_TMP"
}
trap cleanup EXIT

# worker PORT LOG: a worker with the lock on, in the background; sets WPID.
worker() {
    ABC_ACTIVE_LOCK=yes ABC_LISTEN="127.0.0.1:$1" "$ABC_BUILD/worker/abc-worker" \
        -c "$ABC_STATE/worker.conf" >>"$2" 2>&1 &
    WPID=$!
    PIDS+=("$WPID")
}
in_log() { grep -q "event=$2" "$1"; }
listens() { abc_tcp_open 127.0.0.1 "$1"; }
not_listening() { ! listens "$1"; }
holders() { psql_abc -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $KEY AND granted"; }

worker "$PA" "$LA"
A=$WPID
check "the first worker takes the lock and listens" wait_until 10 listens "$PA"
check "...logging event=active" in_log "$LA" active
worker "$PB" "$LB"
B=$WPID
check "the second worker waits as the standby (event=standby)" wait_until 10 in_log "$LB" standby
sleep 1
check "...and does not listen" not_listening "$PB"
check "one session holds the lock ($(holders))" test "$(holders)" = 1

t0=$(now_ms)
psql_abc -c "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
    AND objid = $KEY AND granted" >/dev/null
# status PID SECS: rc = its exit status once it ended within SECS, else "running".
status() {
    rc=0
    wait_until "$2" bash -c "! kill -0 $1 2>/dev/null" || {
        rc=running
        return 0
    }
    wait "$1" || rc=$?
}
status "$A" 5
echo "  the first worker exited with $rc $(($(now_ms) - t0)) ms after its lock session was killed"
check "the worker that lost its lock exited with 3" test "$rc" = 3
check "...logging event=lost_lock" in_log "$LA" lost_lock
check "the standby takes over and listens" wait_until 10 listens "$PB"
echo "  the standby listened $(($(now_ms) - t0)) ms after"
lost_ts=$(grep 'event=lost_lock' "$LA" | sed -E 's/^ts=([^ ]*).*/\1/')
act_ts=$(grep 'event=active' "$LB" | sed -E 's/^ts=([^ ]*).*/\1/')
check "lost_lock ($lost_ts) came before the standby's active ($act_ts)" \
    test "$(date -d "$lost_ts" +%s%3N)" -le "$(date -d "$act_ts" +%s%3N)"

# A standby asked to stop while it waits stops at once.
LC="$ABC_LOG/lock-c.log"
: >"$LC"
worker "$((ABC_LINK_PORT + 23))" "$LC"
C=$WPID
wait_until 10 in_log "$LC" standby || true
kill -TERM "$C"
status "$C" 3
check "a waiting standby stops on SIGTERM with status 0 ($rc)" test "$rc" = 0
kill -TERM "$B"
wait "$B" || true
it_done
