#!/usr/bin/env bash
# tests/it/run.sh: runs every tests/it/t_*.sh, in name order, against a running stack.
# Env (defaults fit a ./deploy/run stack): ABC_ROOT (tree), ABC_STATE_DIR (<tree>/var),
# ABC_HTTP_PORT (8080), ABC_BUILD (<tree>/build). Each test has 300 s.
# Prints "PASS name"/"FAIL name" and at the end "N passed, N failed"; exit 1 on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ABC_ROOT="${ABC_ROOT:-$(cd "$here/../.." && pwd)}"
export ABC_STATE_DIR="${ABC_STATE_DIR:-$ABC_ROOT/var}"
export ABC_HTTP_PORT="${ABC_HTTP_PORT:-8080}"
export ABC_BUILD="${ABC_BUILD:-$ABC_ROOT/build}"
IT_TIMEOUT="${IT_TIMEOUT:-300}"

passed=0
failed=0
shopt -s nullglob
tests=("$here"/t_*.sh)
if ((${#tests[@]} == 0)); then
    echo "no tests in $here"
    exit 1
fi
for t in "${tests[@]}"; do
    name="$(basename "$t" .sh)"
    echo "---- $name"
    rc=0
    (cd "$ABC_ROOT" && timeout --kill-after=10 "$IT_TIMEOUT" bash "$t") </dev/null || rc=$?
    if ((rc == 0)); then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        ((rc == 124)) && echo "($name timed out after ${IT_TIMEOUT}s)"
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
