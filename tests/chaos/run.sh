#!/usr/bin/env bash
# tests/chaos/run.sh: the whole system under faults (issue 13): a seeded bank workload
# through nginx, a nemesis, a heal, then the checker (tests/chaos/*.py).
#
#   tests/chaos/run.sh [--seed N] [--seconds S | --minutes M] [--clients C]
#   tests/chaos/run.sh --bounded     the seeds of tests/chaos/seeds, then one random seed,
#                                    50 s each (./deploy/test's chaos group)
#   --fresh                          always a throw-away stack
#
# Without --seed a random seed is drawn and printed; --seed N replays it (same workload
# choices, same fault schedule).  Default 90 s.  The soak: --minutes 30.
# The stack: the one running in ABC_STATE_DIR (default <tree>/var) if there is one and no
# --fresh, else a throw-away stack in a mktemp -d folder (port ABC_HTTP_PORT, or one
# derived from the folder), started here and stopped, with its PostgreSQL dir removed, at
# the end.
# The build must exist (./deploy/run builds it).  Histories: <state>/chaos/*.jsonl (a
# throw-away state folder is kept when a run fails).  Exit status 1 when a run fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ABC_ROOT="${ABC_ROOT:-$(cd "$here/../.." && pwd)}"
seeds=()
secs=""
clients=8
bounded=0
fresh=0
while (($#)); do
    case "$1" in
    --seed) seeds+=("$2"); shift 2 ;;
    --seconds) secs="$2"; shift 2 ;;
    --minutes) secs=$(($2 * 60)); shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --bounded) bounded=1; shift ;;
    --fresh) fresh=1; shift ;;
    -h | --help) sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "usage: $0 [--seed N] [--seconds S | --minutes M] [--clients C] [--bounded] [--fresh]" >&2; exit 2 ;;
    esac
done
random_seed() { echo $(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000000000)); }
if ((bounded)); then
    secs="${secs:-50}"
    while read -r s _; do
        [[ "$s" =~ ^[0-9]+$ ]] && seeds+=("$s")
    done <"$here/seeds"
    seeds+=("$(random_seed)")
fi
((${#seeds[@]})) || seeds=("$(random_seed)")
secs="${secs:-90}"

# Test settings (never production): cheap scrypt, short slots, and a payer that tries a
# refused or unfinished payment again within seconds, so the heal settles quickly.
export ABC_KDF_N="${ABC_KDF_N:-1024}" ABC_ALLOW_SHORT_SLOTS="${ABC_ALLOW_SHORT_SLOTS:-yes}"
export ABC_WITHDRAW_RETRY_S="${ABC_WITHDRAW_RETRY_S:-5}" ABC_WITHDRAW_GRACE_S="${ABC_WITHDRAW_GRACE_S:-10}"
# A platform fee (2.5 %) so every purchase also moves money to the fees account, which the
# checker follows to the satoshi (checker.py check_fees, check_money).
export ABC_PLATFORM_FEE_PPM="${ABC_PLATFORM_FEE_PPM:-25000}"

# shellcheck source=deploy/lib.sh
source "$ABC_ROOT/deploy/lib.sh"
abc_env
own=0
if ((fresh)) || ! abc_pid nginx >/dev/null || ! abc_pid worker >/dev/null; then
    own=1
    state="$(abc_test_state abc-chaos)" || exit 1
    export ABC_STATE_DIR="$state"
    export ABC_HTTP_PORT="${ABC_HTTP_PORT:-$(($(abc_base_port "$state") + 2))}"
    abc_env
fi
failed=0
cleanup() {
    ((own)) || return 0
    "$ABC_ROOT/deploy/run" stop >/dev/null 2>&1 || true
    [[ "$ABC_PGDIR" == /var/tmp/abc-pg-* ]] && rm -rf "$ABC_PGDIR"
    if ((failed)); then
        echo "chaos: kept the state folder for its logs and histories: $ABC_STATE"
    else
        rm -rf "$ABC_STATE"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ((own)); then
    echo "chaos: starting a throw-away stack in $ABC_STATE (http port $ABC_PORT)"
    "$ABC_ROOT/deploy/run" start >"$ABC_STATE/start.log" 2>&1 || {
        tail -n 30 "$ABC_STATE/start.log"
        failed=1
        exit 1
    }
fi

results=()
for seed in "${seeds[@]}"; do
    rc=0
    python3 -B "$here/chaos.py" --seed "$seed" --seconds "$secs" --clients "$clients" || rc=$?
    if ((rc == 0)); then
        results+=("PASS seed $seed")
    else
        results+=("FAIL seed $seed")
        failed=1
    fi
done
printf 'chaos: %s\n' "${results[@]}"
((failed == 0))
