#!/usr/bin/env bash
# Foundation integration test: pages through nginx, the status page, abc-worker killed and
# brought back, ledger invariants.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# (a) home page
home_ok() {
    [[ "$(http_get /)" == 200 ]] && grep -q "Campaigns" "$IT_TMP/body"
}
check "GET / is 200 and lists Campaigns" home_ok

# (b) status page with everything up
status_all_up() {
    local code
    code="$(http_get /status)" || true
    [[ "$code" == 200 ]] || {
        echo "  /status answered $code"
        return 1
    }
    local bad=0
    grep -q "abc-web" "$IT_TMP/body" || {
        echo "  no 'abc-web' on /status"
        bad=1
    }
    [[ "$(status_row 'link to abc-worker')" == up ]] || {
        echo "  link row: $(status_row_html 'link to abc-worker')"
        bad=1
    }
    [[ "$(status_row PostgreSQL)" == up ]] || {
        echo "  PostgreSQL row: $(status_row_html PostgreSQL)"
        bad=1
    }
    local btc
    btc="$(status_row_html bitcoind)"
    [[ "$(status_row bitcoind)" == up && "$btc" =~ [Hh]eight[^0-9\<]*[0-9]+ ]] || {
        echo "  bitcoind row (want up with a block height): $btc"
        bad=1
    }
    return "$bad"
}
# abc-web may still be (re)connecting right after the stack came up: allow it 10 s.
wait_until 10 status_all_up >/dev/null || true
check "GET /status: abc-web, link, PostgreSQL, bitcoind (with height) up" status_all_up

# (c) kill -9 abc-worker: within 2 s /status says the link is down; no GET takes 2 s.
link_is() {
    local want="$1" code
    code="$(http_get /status 2)" || true
    [[ "$code" == 200 && "$(status_row 'link to abc-worker')" == "$want" ]]
}
worker_killed_shows_down() {
    local t0 slow=0 seen=0 n=0 t
    kill_proc worker KILL || return 1
    t0="$(now_ms)"
    while (($(now_ms) - t0 < 2000)); do
        n=$((n + 1))
        if link_is down; then seen=1; fi
        t="$(cat "$IT_TMP/time")"
        if awk -v t="$t" 'BEGIN { exit !(t >= 2.0) }'; then
            echo "  GET /status took ${t}s (status $(cat "$IT_TMP/status"))"
            slow=1
        fi
        ((seen)) && break
        sleep 0.1
    done
    echo "  $n GET(s), $(($(now_ms) - t0)) ms after kill -9"
    ((seen)) || echo "  link row never showed down: $(status_row_html 'link to abc-worker')"
    ((seen && !slow))
}
check "kill -9 abc-worker: /status shows the link down within 2 s, each GET < 2 s" worker_killed_shows_down

# (d) restart: the link is up again within 10 s
worker_restarts() {
    start_proc worker || {
        echo "  ./deploy/run start failed"
        return 1
    }
    local t0
    t0="$(now_ms)"
    if wait_until 10 link_is up; then
        echo "  link up $(($(now_ms) - t0)) ms after the restart"
    else
        echo "  link row after 10 s: $(status_row_html 'link to abc-worker')"
        return 1
    fi
}
check "./deploy/run brings abc-worker back; link up within 10 s" worker_restarts

# (e) ledger invariants
invariants_clean() {
    local f="$ABC_ROOT/sql/admin/check_invariants.sql"
    [[ -f "$f" ]] || {
        echo "  missing $f"
        return 1
    }
    psql_abc -f "$f"
}
check "sql/admin/check_invariants.sql runs clean" invariants_clean

it_done
