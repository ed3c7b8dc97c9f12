#!/usr/bin/env bash
# tests/hosts/run.sh: the hosts bed's tests (issue 14). Brings a bed up in a throw-away
# state folder (its own network 10.77.N.0/24), runs every tests/hosts/t_*.sh in name order
# against it, and tears it down whatever happens (the state folder is kept on a failure,
# for its logs). As root: network namespaces need CAP_NET_ADMIN, and without them this
# FAILS (never skips). Bounded: HOSTS_TIMEOUT (480 s) for the whole run.
# Prints "PASS name"/"FAIL name" and "N passed, N failed"; exit 1 on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ABC_ROOT="${ABC_ROOT:-$(cd "$here/../.." && pwd)}"
HOSTS_TIMEOUT="${HOSTS_TIMEOUT:-480}"

if [[ -z "${HOSTS_INNER:-}" ]]; then
    export HOSTS_INNER=1
    exec timeout --kill-after=15 "$HOSTS_TIMEOUT" "$0" "$@"
fi

state="$(mktemp -d "${TMPDIR:-/tmp}/abc-hosts.XXXXXX")"
chmod 0755 "$state"
export ABC_HOSTS_DIR="$state"
export ABC_KDF_N="${ABC_KDF_N:-1024}" ABC_ALLOW_SHORT_SLOTS="${ABC_ALLOW_SHORT_SLOTS:-yes}"
export ABC_REGISTER_MAX_PER_ADDR=10000
passed=0
failed=0
finish() {
    local rc=$?
    set +e
    "$ABC_ROOT/deploy/hosts/run" down >/dev/null 2>&1
    if ((failed == 0 && rc == 0)); then
        rm -rf "$state"
    else
        echo "kept the bed's state folder for its logs: $state"
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
if ! "$ABC_ROOT/deploy/hosts/run" up >"$state/up.log" 2>&1; then
    tail -n 40 "$state/up.log"
    echo "FAIL the bed did not come up (deploy/hosts/run up)"
    echo "0 passed, 1 failed"
    failed=1
    exit 1
fi
echo "bed up in $((SECONDS - t0))s"
for t in "$here"/t_*.sh; do
    name="$(basename "$t" .sh)"
    echo "---- $name"
    t1=$SECONDS
    rc=0
    (cd "$ABC_ROOT" && bash "$t") </dev/null || rc=$?
    if ((rc == 0)); then
        echo "PASS $name ($((SECONDS - t1))s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name ($((SECONDS - t1))s)"
        failed=$((failed + 1))
    fi
done
echo "total $((SECONDS - t0))s"
echo "$passed passed, $failed failed"
((failed == 0))
