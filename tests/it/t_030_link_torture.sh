#!/usr/bin/env bash
# The link's torture test (issue 3): several abc-web-side clients send 20 000
# counter requests with 10% of frames dropped in each direction, the
# connection cut every few hundred ms, and a private abc-worker killed with
# SIGKILL and restarted at least 3 times.  Every request must get exactly one
# reply and the counters in PostgreSQL must equal the requests sent.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOTAL="${TORTURE_REQUESTS:-20000}"
PORT=$((ABC_LINK_PORT + 5))
PREFIX="torture$$_"
WLOG="$ABC_LOG/torture-worker.log"

PIDFILE="$IT_TMP/worker.pid"

# The worker's pid lives in a file: the killer restarts it from a subshell.
start_worker() {
    ABC_LISTEN="127.0.0.1:$PORT" ABC_FAULT_DROP_PCT=10 ABC_FAULT_CUT_MS=400 \
        "$ABC_BUILD/worker/abc-worker" -c "$ABC_STATE/worker.conf" >>"$WLOG" 2>&1 &
    echo $! >"$PIDFILE"
}
stop_worker() {
    [[ -s "$PIDFILE" ]] && kill -9 "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -rf "$IT_TMP"
}
trap stop_worker EXIT

if abc_tcp_open 127.0.0.1 "$PORT"; then
    echo "port $PORT is taken: a worker from an earlier run is still alive" >&2
    exit 1
fi
start_worker
wait_until 5 abc_tcp_open 127.0.0.1 "$PORT"
# Kill the worker with SIGKILL every 4-7 s while the clients run.
killer() {
    local kills=0
    while :; do
        sleep "$((4 + RANDOM % 4))"
        kill -9 "$(cat "$PIDFILE")" 2>/dev/null || return 0
        kills=$((kills + 1))
        echo "killed abc-worker with SIGKILL ($kills)" >>"$IT_TMP/kills"
        sleep 0.3
        start_worker
    done
}
: >"$IT_TMP/kills"
killer &
KILLER=$!

t0=$(now_ms)
set +e
ABC_FAULT_DROP_PCT=10 ABC_FAULT_CUT_MS=400 timeout 170 "$ABC_BUILD/tests/it/abc-linkc" \
    -w "127.0.0.1:$PORT" --ca "$ABC_CERTS/ca.crt" --cert "$ABC_CERTS/web1.crt" \
    --key "$ABC_CERTS/web1.key" -c 4 -t 8 -n "$TOTAL" --op counter_add \
    --prefix "$PREFIX" --keys 50 >"$IT_TMP/linkc" 2>"$IT_TMP/linkc.err"
rc=$?
set -e
kill "$KILLER" 2>/dev/null || true
wait "$KILLER" 2>/dev/null || true
t1=$(now_ms)
cat "$IT_TMP/linkc"
cat "$IT_TMP/kills"
kills=$(wc -l <"$IT_TMP/kills")
applied=$(psql_abc -c "SELECT coalesce(sum(value), 0) FROM link_counters WHERE key LIKE '${PREFIX}%'")
echo "torture: requests=$TOTAL applied_in_db=$applied worker_kills=$kills elapsed_ms=$((t1 - t0))"

check "abc-linkc finished with every request answered exactly once (exit $rc)" test "$rc" -eq 0
check "every request got one ok reply" grep -q "replies_ok=$TOTAL errors=0 timeouts=0 orphans=0" "$IT_TMP/linkc"
check "counters in PostgreSQL equal the requests sent ($applied = $TOTAL)" test "$applied" -eq "$TOTAL"
check "abc-worker was killed with SIGKILL at least 3 times ($kills)" test "$kills" -ge 3
check "the run took under 3 minutes" test $((t1 - t0)) -lt 180000
it_done
