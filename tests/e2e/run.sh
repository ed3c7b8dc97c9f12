#!/usr/bin/env bash
# Browser tests for abc: Playwright (playwright-core only) drives Debian's
# Chromium against a running stack.  Called by ./deploy/test once its stack
# is up; also runnable by hand against ./deploy/run's stack:
#
#   ABC_STATE_DIR=/work/main/var ABC_HTTP_PORT=8080 tests/e2e/run.sh
#
# Installs what is missing (Debian's chromium, tests/e2e/node_modules), then
# runs every tests/e2e/*.test.mjs with Node's built-in test runner (TAP
# output).  Screenshots go to $ABC_STATE_DIR/screenshots/.  Exit status is
# non-zero on any failure.  Never downloads a browser.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export ABC_ROOT="${ABC_ROOT:-$(cd "$here/../.." && pwd -P)}"
export ABC_STATE_DIR="${ABC_STATE_DIR:-$ABC_ROOT/var}"
export ABC_HTTP_PORT="${ABC_HTTP_PORT:-8080}"
export ABC_BUILD="${ABC_BUILD:-$ABC_ROOT/build}"

export E2E_BASE_URL="${E2E_BASE_URL:-http://127.0.0.1:$ABC_HTTP_PORT}"
export E2E_CHROMIUM="${E2E_CHROMIUM:-/usr/bin/chromium}"
export E2E_SCREENSHOT_DIR="${E2E_SCREENSHOT_DIR:-$ABC_STATE_DIR/screenshots}"
E2E_TIMEOUT="${E2E_TIMEOUT:-1200}"

say() { printf 'e2e: %s\n' "$*"; }

# --- Chromium (Debian package; never a downloaded browser) -----------------
if [[ ! -x "$E2E_CHROMIUM" ]]; then
    [[ "$E2E_CHROMIUM" == /usr/bin/chromium ]] || {
        say "E2E_CHROMIUM=$E2E_CHROMIUM is not executable"
        exit 1
    }
    say "installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends chromium </dev/null; then
        say "apt-get install failed; apt-get update and retry"
        apt-get update </dev/null
        apt-get install -y --no-install-recommends chromium </dev/null
    fi
fi
"$E2E_CHROMIUM" --version 2>/dev/null || true

# --- playwright-core (exact version pinned by package-lock.json) ----------
command -v node >/dev/null || { say "node is missing"; exit 1; }
command -v npm >/dev/null || { say "npm is missing"; exit 1; }
cd "$here"
# Every package of the lock file at its version (playwright-core, axe-core).
want="$(node -e 'const l=require("./package-lock.json");process.stdout.write(Object.keys(l.packages).filter((k)=>k).sort().map((k)=>k+"@"+l.packages[k].version).join(" "))' 2>/dev/null || true)"
have="$(node -e 'const l=require("./package-lock.json");process.stdout.write(Object.keys(l.packages).filter((k)=>k).sort().map((k)=>{try{return k+"@"+require("./"+k+"/package.json").version}catch(e){return k+"@-"}}).join(" "))' 2>/dev/null || true)"
if [[ -z "$want" || "$want" != "$have" ]]; then
    # Both clients are told not to fetch any browser.
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    if [[ -f package-lock.json ]]; then
        say "npm ci (${want:-?})"
        npm ci --no-audit --no-fund </dev/null
    else
        say "npm install (no lock file yet)"
        npm install --no-audit --no-fund </dev/null
    fi
else
    say "$have already installed"
fi

# --- run ---------------------------------------------------------------------
mkdir -p "$E2E_SCREENSHOT_DIR"
rm -f "$E2E_SCREENSHOT_DIR"/*.png # this run's pictures only
say "base url $E2E_BASE_URL"
say "screenshots: $E2E_SCREENSHOT_DIR/"

shopt -s nullglob
tests=("$here"/*.test.mjs)
((${#tests[@]} > 0)) || { say "no tests/e2e/*.test.mjs"; exit 1; }

rc=0
timeout --kill-after=10 "$E2E_TIMEOUT" \
    node --test --test-reporter=tap --test-reporter-destination=stdout \
    "${tests[@]}" </dev/null || rc=$?
if ((rc == 124 || rc == 137)); then
    say "timed out after ${E2E_TIMEOUT}s"
fi
say "screenshots: $E2E_SCREENSHOT_DIR/"
if ((rc != 0)); then
    say "FAILED (exit $rc)"
    exit "$rc"
fi
say "passed"
