#!/usr/bin/env bash
# Logins scale with front-ends (issue 14's benchmark), in the hosts bed (deploy/hosts/run up;
# ABC_HOSTS_DIR names it; as root). Not part of ./deploy/test; bounded (3 phases of
# BENCH_SECONDS, default 15 s, plus set-up), stops by itself and puts back what it changed.
#
# Both abc-workers are restarted with full-cost scrypt (kdf_n = 2^17). Each abc-web is pinned
# to its own CPU (taskset: fe1 on CPU 0, fe2 on CPU 1), as issue 14 asks, and put in a cgroup
# of its own (v1 `cpu` controller, else v2) marked idle (cpu.idle = 1): the bed's other
# processes (edge, both workers, PostgreSQL, the load's clients), which on real hosts would
# have CPUs of their own, always run first on that CPU, and the front-end gets all the rest
# of it. So a second front-end adds a CPU's worth of hashing without taking CPU time from the
# database hosts (without that, measured: 1.20 -> 1.27 logins/s), and the front-end's own
# pages and hashing share its CPU as they would on a host of its own. Inside abc-web the
# hashing threads run at SCHED_IDLE (web/kdfpool.c): its pages go first.
#
# BENCH_FE_CPU (default 1) below 1 caps each front-end at that share of its CPU with a CFS
# quota over BENCH_FE_PERIOD_US (default 100000), to model a smaller host; BENCH_FE_IDLE=0
# with BENCH_FE_SHARES (default 16384) gives the front-ends a high weight instead of the
# idle mark (the setting before 2026-12-07 15:00: 0.5, 100 ms, 16384, not idle). A quota
# that the hashing uses up stops every thread of that abc-web, pages too, until the next
# period: each phase prints how often that happened. See tests/bench/README.md. Then,
# through edge:
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

PREV="${ABC_KDF_N:-$FULL}"
FE_CPU="${BENCH_FE_CPU:-1}"
PERIOD_US="${BENCH_FE_PERIOD_US:-100000}"
[[ "$PERIOD_US" =~ ^[0-9]+$ ]] && ((PERIOD_US >= 1000 && PERIOD_US <= 1000000)) ||
    die "BENCH_FE_PERIOD_US must be between 1000 and 1000000 (microseconds)"
SHARES="${BENCH_FE_SHARES:-16384}"
[[ "$SHARES" =~ ^[0-9]+$ ]] && ((SHARES >= 2 && SHARES <= 262144)) ||
    die "BENCH_FE_SHARES must be between 2 and 262144 (cgroup v1 cpu.shares; 1024 = a process's)"
FE_IDLE="${BENCH_FE_IDLE:-1}"
[[ "$FE_IDLE" == 0 || "$FE_IDLE" == 1 ]] || die "BENCH_FE_IDLE must be 0 or 1"
WEIGHT=$((SHARES * 100 / 1024 < 1 ? 1 : SHARES * 100 / 1024 > 10000 ? 10000 : SHARES * 100 / 1024))
QUOTA_US=$(awk -v c="$FE_CPU" -v p="$PERIOD_US" 'BEGIN { q = int(c * p); if (q < 1000 || q > 2 * p) exit 1; print q }') ||
    die "BENCH_FE_CPU must be between 0.01 and 2 (CPUs), and its quota at least 1 ms a period"
# A whole CPU: no quota at all (one of exactly a period still met the boundary now and then).
if [[ "$QUOTA_US" == "$PERIOD_US" ]]; then QUOTA_V1=-1 QUOTA_V2=max; else QUOTA_V1=$QUOTA_US QUOTA_V2=$QUOTA_US; fi
# The cgroup tree: v1's `cpu` controller where mounted (this machine), else v2's unified
# tree with the cpu controller enabled for its children (Debian 12's default).
if [[ -w /sys/fs/cgroup/cpu/cgroup.procs ]]; then
    CG_ROOT=/sys/fs/cgroup/cpu CG_V=1
elif grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
    echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    CG_ROOT=/sys/fs/cgroup CG_V=2
else
    die "no writable cgroup cpu controller (v1 /sys/fs/cgroup/cpu or v2 /sys/fs/cgroup)"
fi
# pin NODE CPU: NODE's abc-web (every thread) on CPU and in its own cgroup, with a quota of
# FE_CPU of a CPU (1: none in effect, a single CPU cannot give more) and either the idle mark
# (FE_IDLE=1: every other process on that CPU goes first) or a weight of SHARES (v1 shares,
# 1024 a process's; v2 weight scaled from it).
pin() {
    local pid cg="$CG_ROOT/abc-bench-$$-$1"
    pid=$(abc_pid "$1-web")
    taskset -a -p -c "$2" "$pid" >/dev/null
    if [[ ! -d "$cg" ]]; then # once: an idle group refuses a later weight
        mkdir "$cg"
        if ((CG_V == 1)); then
            echo "$PERIOD_US" >"$cg/cpu.cfs_period_us"
            echo "$QUOTA_V1" >"$cg/cpu.cfs_quota_us"
            echo "$SHARES" >"$cg/cpu.shares"
        else
            echo "$QUOTA_V2 $PERIOD_US" >"$cg/cpu.max"
            echo "$WEIGHT" >"$cg/cpu.weight"
        fi
        [[ "$FE_IDLE" == 0 ]] || echo 1 >"$cg/cpu.idle"
    fi
    echo "$pid" >"$cg/cgroup.procs"
}
# unpin: every process of this run's cgroups back to the root group, the groups removed.
unpin() {
    local cg pid
    for cg in "$CG_ROOT"/abc-bench-$$-*; do
        [[ -d "$cg" ]] || continue
        while read -r pid; do
            echo "$pid" >"$CG_ROOT/cgroup.procs" 2>/dev/null || true
        done <"$cg/cgroup.procs"
        rmdir "$cg"
    done
}
cleanup() {
    set +e
    unpin
    "$ROOT/deploy/hosts/run" start fe2 >/dev/null 2>&1
    hosts_set_cost "$PREV" >/dev/null 2>&1
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
hosts_set_cost "$FULL"
LU="l$RUN"
[[ "$(register "$LU" any)" == 303 ]] || die "cannot register the storm's user"
pin fe1 0
pin fe2 1
load() { python3 "$ROOT/tests/bench/logins_load.py" "$HOSTS_EDGE_URL" "$D" "$1" "$LU" "$PW" "$SESSION" "$AD" "$CIDS"; }
la() { cut -d' ' -f1-3 /proc/loadavg; }
# thr: how long each front-end's cgroup was throttled (its quota used up: every thread of
# that abc-web stopped until the next period) since the last call, "fe1 12/150 periods 480 ms".
declare -A THR_N THR_T
thr() {
    local fe cg n t out=""
    for fe in fe1 fe2; do
        cg="$CG_ROOT/abc-bench-$$-$fe"
        n=$(awk '$1 == "nr_throttled" { print $2 }' "$cg/cpu.stat")
        t=$(awk '$1 == "throttled_time" { print int($2 / 1000000) } $1 == "throttled_usec" { print int($2 / 1000) }' "$cg/cpu.stat")
        out+=" $fe throttled $((n - ${THR_N[$fe]:-0})) times $((t - ${THR_T[$fe]:-0})) ms;"
        THR_N[$fe]=$n THR_T[$fe]=$t
    done
    echo "${out# }"
}

echo "kdf_n=$FULL, $D s a phase, storm of $STORM clients, fe1 on CPU 0, fe2 on CPU 1, $FE_CPU CPU each (period $((PERIOD_US / 1000)) ms, shares $SHARES, idle $FE_IDLE), $(nproc) CPUs"
thr >/dev/null
echo "quiet: $(load 0) load=$(la) $(thr)"
"$ROOT/deploy/hosts/run" kill fe2 >/dev/null
sleep 6 # past edge's fail_timeout: fe2 is marked down after its first failure
thr >/dev/null
echo "one:   $(load "$STORM") load=$(la) $(thr)"
"$ROOT/deploy/hosts/run" start fe2 >/dev/null
pin fe2 1
sleep 6
thr >/dev/null
echo "two:   $(load "$STORM") load=$(la) $(thr)"
