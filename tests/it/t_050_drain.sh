#!/usr/bin/env bash
# Drain (issue 3): SIGTERM to abc-worker under load loses no accepted
# request: in-flight requests finish and are answered, the worker exits
# cleanly, and what arrives meanwhile is answered by its successor.  Then
# abc-web: SIGTERM while pages are being served; every page still answers.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=$((ABC_LINK_PORT + 7))
WLOG="$ABC_LOG/drain-worker.log"
PREFIX="drain$$_"
TOTAL=6000
WPID=""

start_worker() {
    ABC_LISTEN="127.0.0.1:$PORT" "$ABC_BUILD/worker/abc-worker" \
        -c "$ABC_STATE/worker.conf" >>"$WLOG" 2>&1 &
    WPID=$!
    wait_until 5 abc_tcp_open 127.0.0.1 "$PORT"
}
cleanup() {
    [[ -n "$WPID" ]] && kill -9 "$WPID" 2>/dev/null || true
    rm -rf "$IT_TMP"
}
trap cleanup EXIT

start_worker
"$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$PORT" --ca "$ABC_CERTS/ca.crt" \
    --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" -c 4 -t 8 \
    -n "$TOTAL" -r 2000 --op counter_add --prefix "$PREFIX" \
    >"$IT_TMP/linkc" 2>/dev/null &
LINKC=$!
sleep 1.5
t0=$(now_ms)
kill -TERM "$WPID"
rc=0
wait "$WPID" || rc=$?
t1=$(now_ms)
WPID=""
echo "abc-worker drained and exited with status $rc after $((t1 - t0)) ms"
check "abc-worker exits 0 after SIGTERM" test "$rc" -eq 0
check "it drained within its deadline" test $((t1 - t0)) -lt 12000
check "its log says it drained" grep -q "event=stopped reason=drained" "$WLOG"
start_worker
wait "$LINKC" || true
cat "$IT_TMP/linkc"
applied=$(psql_abc -c "SELECT coalesce(sum(value), 0) FROM link_counters WHERE key LIKE '${PREFIX}%'")
check "every request answered exactly once across the drain" \
    grep -q "replies_ok=$TOTAL errors=0 timeouts=0 orphans=0" "$IT_TMP/linkc"
check "counters equal requests sent ($applied = $TOTAL)" test "$applied" -eq "$TOTAL"

# abc-web: SIGTERM while 200 pages are in flight through nginx.
CURLS=()
for i in $(seq 1 200); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
        "http://127.0.0.1:$ABC_HTTP_PORT/status" >>"$IT_TMP/codes" &
    CURLS+=($!)
    if [[ "$i" == 60 ]]; then kill_proc web1 TERM; fi
done
wait "${CURLS[@]}"
web1_gone() { ! pid_of web1 >/dev/null; }
wait_until 10 web1_gone
bad=$(grep -vc '^200$' "$IT_TMP/codes" || true)
echo "pages answered: $(wc -l <"$IT_TMP/codes"), not 200: $bad"
check "every page answered 200 while abc-web #1 drained" test "$bad" -eq 0
check "abc-web #1 logged a clean stop" grep -q "event=stopped status=0" "$ABC_LOG/web1.log"
start_proc web1
wait_until 10 test -S "$ABC_STATE/run/web1.sock"
it_done
