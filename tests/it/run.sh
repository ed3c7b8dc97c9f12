#!/usr/bin/env bash
# tests/it/run.sh: runs every tests/it/t_*.sh, in name order, against a running stack.
# Env (defaults fit a ./deploy/run stack): ABC_ROOT (tree), ABC_STATE_DIR (<tree>/var),
# ABC_HTTP_PORT (8080), ABC_BUILD (<tree>/build). Each test has 300 s.
# Prints "PASS name (Ns)"/"FAIL name (Ns)" and at the end "N passed, N failed"; exit 1 on
# any failure.
# IT_CLAIM_DIR=DIR: several runners, each against its own stack, share the tests: a runner
# runs a test only if it creates DIR/<name> first (mkdir is atomic), so each test runs
# once, on whichever runner is free (deploy/test runs three). The slowest tests (IT_FIRST)
# are handed out first so the runners finish together.
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
claim_dir="${IT_CLAIM_DIR:-}"
if [[ -n "$claim_dir" ]]; then
    # Longest first (measured; a name not in the tree is ignored).
    first=(${IT_FIRST:-t_070_deposits t_071_deposits_faults t_030_link_torture t_151_liveness t_090_withdrawals t_190_webhooks})
    ordered=()
    for f in "${first[@]}"; do
        [[ -f "$here/$f.sh" ]] && ordered+=("$here/$f.sh")
    done
    for t in "${tests[@]}"; do
        [[ " ${first[*]} " == *" $(basename "$t" .sh) "* ]] || ordered+=("$t")
    done
    tests=("${ordered[@]}")
fi
for t in "${tests[@]}"; do
    name="$(basename "$t" .sh)"
    if [[ -n "$claim_dir" ]] && ! mkdir "$claim_dir/$name" 2>/dev/null; then
        continue
    fi
    echo "---- $name"
    rc=0
    t0=$SECONDS
    (cd "$ABC_ROOT" && timeout --kill-after=10 "$IT_TIMEOUT" bash "$t") </dev/null || rc=$?
    if ((rc == 0)); then
        echo "PASS $name ($((SECONDS - t0))s)"
        passed=$((passed + 1))
    else
        ((rc == 124)) && echo "($name timed out after ${IT_TIMEOUT}s)"
        echo "FAIL $name ($((SECONDS - t0))s)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
