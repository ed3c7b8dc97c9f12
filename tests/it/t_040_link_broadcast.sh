#!/usr/bin/env bash
# Broadcasts (issue 3): a notice sent while a client is disconnected is
# delivered after it resumes, or the client is told to revalidate; it never
# silently misses one.  A watcher whose connection is cut every ~300 ms
# listens while another client broadcasts 200 notices; then the worker is
# killed and restarted and one more notice goes out.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=$((ABC_LINK_PORT + 6))
WLOG="$ABC_LOG/broadcast-worker.log"
WPID=""
LINKC=("$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$PORT" --ca "$ABC_CERTS/ca.crt")

start_worker() {
    ABC_LISTEN="127.0.0.1:$PORT" "$ABC_BUILD/worker/abc-worker" \
        -c "$ABC_STATE/worker.conf" >>"$WLOG" 2>&1 &
    WPID=$!
    wait_until 5 abc_tcp_open 127.0.0.1 "$PORT"
}
stop_worker() { [[ -n "$WPID" ]] && kill -9 "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null || true; }
trap 'stop_worker; rm -rf "$IT_TMP"' EXIT

# check_notices FILE FIRST LAST: every test notice FIRST..LAST was seen once,
# or a revalidate came before the first notice seen after a gap.
check_notices() {
    python3 - "$@" <<'PY'
import sys
path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen, expect, reval, bad = set(), first, False, []
for line in open(path):
    f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    if line.startswith("notice") and f.get("kind") == "revalidate":
        reval = True
    elif line.startswith("notice") and f.get("kind") == "test":
        s = int(f["seq"])
        if s in seen:
            bad.append("duplicate %d" % s)
        elif s > expect and not reval:
            bad.append("silent gap %d..%d" % (expect, s - 1))
        seen.add(s)
        expect, reval = max(expect, s + 1), False
missing = [s for s in range(first, last + 1) if s not in seen]
if missing and not reval and expect <= last:
    bad.append("missed %d notices at the end, no revalidate" % len(missing))
print("notices seen=%d missing=%d problems=%s" % (len(seen), len(missing), bad or "none"))
sys.exit(1 if bad else 0)
PY
}

start_worker
# Part 1: cuts while 200 notices go out; the session resumes each time.
ABC_FAULT_CUT_MS=300 "${LINKC[@]}" --cert "$ABC_CERTS/web2.crt" \
    --key "$ABC_CERTS/web2.key" --watch-ms 8000 >"$IT_TMP/watch1" 2>/dev/null &
WATCH=$!
sleep 1
"${LINKC[@]}" --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" \
    --op broadcast -n 200 -t 1 -r 40 >"$IT_TMP/send1" 2>/dev/null
wait "$WATCH"
tail -1 "$IT_TMP/watch1"
connects=$(sed -n 's/^watch connects=\([0-9]*\).*/\1/p' "$IT_TMP/watch1")
check "the watcher was cut off and came back (connects=$connects)" test "${connects:-0}" -ge 5
check "200 notices sent" grep -q "replies_ok=200 " "$IT_TMP/send1"
check "no notice silently missed across cuts" check_notices "$IT_TMP/watch1" 1 200

# Part 2: the worker dies while the watcher listens; a notice goes out as
# soon as it is back: the watcher gets it or a revalidate.
"${LINKC[@]}" --cert "$ABC_CERTS/web2.crt" --key "$ABC_CERTS/web2.key" \
    --watch-ms 4000 >"$IT_TMP/watch2" 2>/dev/null &
WATCH=$!
sleep 1
stop_worker
start_worker
"${LINKC[@]}" --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" \
    --op broadcast -n 1 -t 1 >"$IT_TMP/send2" 2>/dev/null
wait "$WATCH"
check "a notice sent right after a worker restart" grep -q "replies_ok=1 " "$IT_TMP/send2"
check "watcher got it or revalidated" check_notices "$IT_TMP/watch2" 1 1
check "watcher revalidated after the restart" grep -q "kind=revalidate" "$IT_TMP/watch2"
it_done
