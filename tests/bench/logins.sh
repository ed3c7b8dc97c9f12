#!/usr/bin/env bash
# Logins scale with front-ends (issue 14's benchmark), in the hosts bed (deploy/hosts/run up;
# ABC_HOSTS_DIR names it; as root). Not part of ./deploy/test; bounded (3 phases of
# BENCH_SECONDS, default 15 s, plus set-up), stops by itself and puts back what it changed.
#
# Both abc-workers are restarted with full-cost scrypt (kdf_n = 2^17) and each abc-web is
# pinned to its own CPU (taskset: fe1 on CPU 0, fe2 on CPU 1). Then, through edge:
#   quiet  purchases only (one buyer, 5 a second over 30 campaigns): their latency
#   one    a login storm (BENCH_STORM clients, default 16) with fe2's abc-web stopped, so
#          every login and purchase goes to fe1: logins/s of one front-end, purchases' latency
#   two    the same storm with fe2 back: logins/s of two front-ends, purchases' latency
# and prints one line a phase plus the load average. Results: tests/bench/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tests/hosts/lib.sh
source "$ROOT/tests/hosts/lib.sh"
D="${BENCH_SECONDS:-15}"
STORM="${BENCH_STORM:-16}"
FULL=131072

any_active() { hosts_worker_active db1 || hosts_worker_active db2; }
# set_cost N: both abc-workers started again with kdf_n = N. The bed's workers got ABC_KDF_N
# from the environment (it wins over the file), so each supervise loop is stopped (SIGTERM:
# the worker drains and exits 0, which ends the loop) and started anew with ABC_KDF_N=N.
set_cost() {
    local n p
    for n in db2 db1; do
        p=$(abc_pid "$n-worker") || continue
        kill -TERM "$p"
        hosts_wait 30 "$n's abc-worker stopping" bash -c "! kill -0 $p 2>/dev/null"
    done
    for n in db1 db2; do
        ABC_KDF_N="$1" hosts_start_worker "$n"
    done
    hosts_wait 60 "an abc-worker active with kdf_n = $1" any_active
    hosts_wait 30 "logins answered through edge" link_ok
}
# link_ok: two reads of a campaign that does not exist through edge answer 404 ("no such
# campaign"), not 503: both front-ends reach the active worker (no hashing involved).
link_ok() {
    local i
    for i in 1 2; do
        [[ "$(web any "/c/99999999$i" -o /dev/null -w '%{http_code}')" == 404 ]] || return 1
    done
}
PREV="${ABC_KDF_N:-$FULL}"
pin() { taskset -a -p -c "$2" "$(abc_pid "$1-web")" >/dev/null; }
cleanup() {
    set +e
    "$ROOT/deploy/hosts/run" start fe2 >/dev/null 2>&1
    set_cost "$PREV" >/dev/null 2>&1
    rm -rf "$IT_TMP"
}
trap cleanup EXIT

# Set-up at test cost (quick): a buyer with funds and an ad, a seller with 30 campaigns.
market "m$RUN" >/dev/null
CIDS="$CID"
for i in $(seq 2 30); do
    CIDS+=",$(sell "m$RUN" any "c${RUN}_$i" 0.00001 slot_hours=1)"
done
fund "m${RUN}b" "$FUND"
SESSION=$(awk '$6 == "abc_session" { print $7 }' "$(jar "m${RUN}b")" | tail -1)
set_cost "$FULL"
LU="l$RUN"
[[ "$(register "$LU" any)" == 303 ]] || die "cannot register the storm's user"
pin fe1 0
pin fe2 1
load() { python3 "$ROOT/tests/bench/logins_load.py" "$HOSTS_EDGE_URL" "$D" "$1" "$LU" "$PW" "$SESSION" "$AD" "$CIDS"; }
la() { cut -d' ' -f1-3 /proc/loadavg; }

echo "kdf_n=$FULL, $D s a phase, storm of $STORM clients, fe1 on CPU 0, fe2 on CPU 1, $(nproc) CPUs"
echo "quiet: $(load 0) load=$(la)"
"$ROOT/deploy/hosts/run" kill fe2 >/dev/null
sleep 6 # past edge's fail_timeout: fe2 is marked down after its first failure
echo "one:   $(load "$STORM") load=$(la)"
"$ROOT/deploy/hosts/run" start fe2 >/dev/null
pin fe2 1
sleep 6
echo "two:   $(load "$STORM") load=$(la)"
