#!/usr/bin/env bash
# Deposits when bitcoind is down, warming up (-28) or slow (issue 5, SPEC
# 4.2): registration, login and the pages keep answering quickly (curl
# --max-time 3), /status says what is wrong, and once bitcoind is back a
# deposit made around the outage is credited exactly once.
# Each phase is kept to ~15-25 s (not a full minute) so that the file stays
# well under 4 minutes; abc-worker's follower backs off up to 30 s, so
# recovery waits are bounded at 45 s.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="f$$_$((RANDOM % 1000))"
PW="correct horse $RUN"
SIM="$ABC_ROOT/deploy/sim"
export ABC_STATE_DIR ABC_HTTP_PORT
T_START=$(now_ms)
# Whatever happens, leave the stand-in healthy for the next test.
restore_sim() {
    "$SIM" up >/dev/null 2>&1 || true
    "$SIM" raw abcsim_warmup '[0]' >/dev/null 2>&1 || true
    "$SIM" raw abcsim_slow '[0]' >/dev/null 2>&1 || true
}
trap 'restore_sim; rm -rf "$IT_TMP"' EXIT

web() {
    local via="$1" path="$2"
    shift 2
    if [[ "$via" == any ]]; then
        curl -s --max-time 10 "$@" "http://127.0.0.1:$ABC_HTTP_PORT$path"
    else
        curl -s --max-time 10 --unix-socket "$ABC_STATE/run/http-web$via.sock" \
            "$@" "http://localhost$path"
    fi
}
csrf_in() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | sed 's/.*value="//; s/"$//'; }
register() { # register NAME JAR: prints the status of the POST
    local c
    web any /register -c "$2" -b "$2" -o "$IT_TMP/form" --max-time 3 || true
    c=$(csrf_in "$IT_TMP/form")
    web any /register -c "$2" -b "$2" -o /dev/null -w '%{http_code}' --max-time 3 \
        --data "csrf=$c&username=$1&password=$PW&password2=$PW" || true
}
new_address() { # new_address JAR: prints the address the account page shows
    local c
    web any /account -c "$1" -b "$1" -o "$IT_TMP/acct" || true
    c=$(csrf_in "$IT_TMP/acct")
    web any /account/address -L -c "$1" -b "$1" -o "$IT_TMP/acct" --data "csrf=$c" || true
    # No address (a failed step) prints nothing: the caller's check says so, set -e does not.
    { grep -o '<code id="address">[^<]*</code>' "$IT_TMP/acct" || true; } | head -1 | sed 's/<[^>]*>//g'
}
new_user() { # new_user NAME JAR: registers, prints a deposit address
    [[ "$(register "$1" "$2")" == 303 ]] || echo "  registering $1 failed" >&2
    new_address "$2"
}
state() { web any /account/state.json -b "$1" -o "$IT_TMP/state.json" -w '%{http_code}' || echo 000; }
js() {
    python3 -c 'import json,sys
try: d = json.load(open(sys.argv[1]))
except Exception: d = {}
try: print(eval(sys.argv[2]))
except Exception: print("?")' "$IT_TMP/state.json" "$1"
}
state_is() { state "$1" >/dev/null; [[ "$(js "d.get('$2')")" == "$3" ]]; }
transfers_of() { psql_abc -c "SELECT count(*) FROM ledger_transfers WHERE kind = 'deposit' AND reference = '$1:$2'"; }
db_status() { psql_abc -c "SELECT status FROM deposits WHERE txid = '$1' AND vout = $2"; }
tip() { "$SIM" raw getbestblockhash 2>/dev/null; }
caught_up() { local t; t=$(tip) && [[ -n "$t" && "$(psql_abc -c "SELECT lastblock FROM chain_cursor WHERE id = 1")" == "$t" ]]; }
elapsed() { echo "$(($(now_ms) - $1))"; }
# quick WHAT CURL_STATUS_EXPECTED PATH JAR: GET through nginx with --max-time 3.
quick_get() {
    local code t
    code=$(curl -s -o "$IT_TMP/page" -w '%{http_code} %{time_total}' --max-time 3 -b "$3" -c "$3" \
        "http://127.0.0.1:$ABC_HTTP_PORT$2" || true)
    t=${code#* }
    code=${code%% *}
    echo "  GET $2: $code in ${t}s"
    [[ "$code" == "$1" ]]
}
quick_login() { # quick_login NAME JAR: 303 within 3 s
    local c code
    web any /login -c "$2" -b "$2" -o "$IT_TMP/form" --max-time 3 || true
    c=$(csrf_in "$IT_TMP/form")
    code=$(web any /login -c "$2" -b "$2" -o /dev/null -w '%{http_code}' --max-time 3 \
        --data "csrf=$c&username=$1&password=$PW" || true)
    [[ "$code" == 303 ]]
}
timed_register() { # timed_register NAME JAR: 303 within 3 s
    local t0 code
    t0=$(now_ms)
    code=$(register "$1" "$2")
    echo "  registration: $code in $(elapsed "$t0") ms"
    [[ "$code" == 303 ]]
}
# btc_row_says TEXT: the /status bitcoind row is down and mentions TEXT.
btc_row_says() {
    # The detail is on the admin's page since issue 10; the public one says only down.
    http_get /status 3 >/dev/null || return 1
    [[ "$(status_row bitcoind)" =~ ^(down|degraded)$ ]] || return 1
    http_get /status/detail 3 >/dev/null || return 1
    [[ "$(status_row bitcoind)" == down ]] && status_row_html bitcoind | grep -i "$1" >/dev/null
}
btc_row_up() {
    http_get /status 3 >/dev/null || return 1
    [[ "$(status_row bitcoind)" == up ]]
}
pages_work() { # pages_work PHASE: registration, login, pages answer within 3 s
    local u="pg_${1}_$RUN" j="$IT_TMP/pg_$1"
    check "$1: registration answers within 3 s (303)" timed_register "$u" "$j"
    check "$1: login answers within 3 s (303)" quick_login "$u" "$IT_TMP/pg_login_$1"
    check "$1: / answers 200 within 3 s" quick_get 200 / "$j"
    check "$1: /account answers 200 within 3 s" quick_get 200 /account "$j"
    check "$1: /status answers 200 within 3 s" quick_get 200 /status "$j"
    check "$1: /account/state.json answers 200 within 3 s" quick_get 200 /account/state.json "$j"
}
# credited_once JAR TXID BTC: the deposit is credited, the balance is BTC,
# one transfer; checked after the follower caught up and another poll.
credited_once() {
    [[ "$(db_status "$2" 0)" == credited && "$(transfers_of "$2" 0)" == 1 ]] && state_is "$1" balance "$3"
}

restore_sim
wait_until 20 btc_row_up || echo "  (bitcoind not up on /status before the test)"

# ===========================================================================
echo "# A. bitcoind down (~20 s)"
JH="$IT_TMP/jh"
UH="flt_h_$RUN"
ADDR_H=$(new_user "$UH" "$JH")
check "a user with a deposit address before the outage" test -n "$ADDR_H"
TXH=$("$SIM" send "$ADDR_H" 0.21 || true)
check "0.21 BTC sent to it just before the outage is seen as pending" wait_until 3 state_is "$JH" pending 0.21000000
T_DOWN=$(now_ms)
"$SIM" down 40 >/dev/null || echo "  ./deploy/sim down failed"
check "A: /status says bitcoind is down (within 5 s)" wait_until 5 btc_row_says down
echo "  /status bitcoind row: $(status_row_html bitcoind | sed 's/<[^>]*>/ /g; s/  */ /g')"
row_has_since() { status_row_html bitcoind | grep since >/dev/null; }
check "A: ...with 'since'" row_has_since
pages_work A
check "A: the pending deposit still shows (pending 0.21000000)" state_is "$JH" pending 0.21000000
t0=$(now_ms)
code=$(curl -s -o "$IT_TMP/addr_down" -w '%{http_code}' --max-time 5 -b "$JH" -c "$JH" \
    --data "csrf=$(csrf_in "$IT_TMP/acct")" "http://127.0.0.1:$ABC_HTTP_PORT/account/address" || true)
echo "  POST /account/address while bitcoind is down: $code in $(elapsed "$t0") ms: $(grep -o '<p class="error"[^<]*<' "$IT_TMP/addr_down" | head -1)"
addr_refused() {
    [[ "$code" =~ ^[45] ]] && [[ "$(psql_abc -c "SELECT count(*) FROM deposit_addresses a JOIN users u ON u.id = a.user_id WHERE u.username = '$UH'")" == 1 ]]
}
check "A: asking for a new address answers within 5 s with an error (4xx/5xx: $code), no new address stored" addr_refused
# stay down for ~20 s in all, then come back early with `up`
while (($(elapsed "$T_DOWN") < 20000)); do sleep 0.5; done
"$SIM" up >/dev/null || echo "  ./deploy/sim up failed"
T_UP=$(now_ms)
mine_out=$("$SIM" mine 1 || true)
echo "  bitcoind back after $(elapsed "$T_DOWN") ms; mined block $mine_out"
check "A: /status shows bitcoind up again (within 10 s)" wait_until 10 btc_row_up
ok=0
wait_until 45 state_is "$JH" balance 0.21000000 && ok=1
echo "  the deposit was credited $(elapsed "$T_UP") ms after bitcoind came back (follower backoff)"
check "A: after ./deploy/sim up the deposit is credited (within 45 s)" test "$ok" = 1
wait_until 10 caught_up || true
sleep 2
check "A: ...exactly once (status credited, one transfer, balance 0.21)" credited_once "$JH" "$TXH" 0.21000000
check "A: ledger invariants hold" invariants

# ===========================================================================
echo "# B. bitcoind warming up (-28) for 20 s"
JW="$IT_TMP/jw"
UW="flt_w_$RUN"
ADDR_W=$(new_user "$UW" "$JW")
check "a user with a deposit address before the warm-up" test -n "$ADDR_W"
T_WARM=$(now_ms)
"$SIM" raw abcsim_warmup '[20]' >/dev/null || echo "  abcsim_warmup failed"
check "B: /status says bitcoind is warming up (within 5 s)" wait_until 5 btc_row_says "warming up"
echo "  /status bitcoind row: $(status_row_html bitcoind | sed 's/<[^>]*>/ /g; s/  */ /g')"
TXW=$("$SIM" send "$ADDR_W" 0.22 || true)
check "B: a deposit is sent during the warm-up" test -n "$TXW"
"$SIM" raw abcsim_mine '[1]' >/dev/null || echo "  abcsim_mine failed"
pages_work B
sleep 2
check "B: nothing is credited while bitcoind warms up" state_is "$JW" balance 0.00000000
ok=0
wait_until 50 state_is "$JW" balance 0.22000000 && ok=1
echo "  credited $(elapsed "$T_WARM") ms after the warm-up began (it lasts 20 s)"
check "B: after the warm-up the deposit is credited (within 50 s of its start)" test "$ok" = 1
check "B: /status shows bitcoind up again" wait_until 10 btc_row_up
wait_until 10 caught_up || true
sleep 2
check "B: ...exactly once" credited_once "$JW" "$TXW" 0.22000000
check "B: ledger invariants hold" invariants

# ===========================================================================
echo "# C. bitcoind slow: every answer takes 3 s"
JS="$IT_TMP/js"
US="flt_s_$RUN"
ADDR_S=$(new_user "$US" "$JS")
check "a user with a deposit address before bitcoind turns slow" test -n "$ADDR_S"
T_SLOW=$(now_ms)
"$SIM" raw abcsim_slow '[3000]' >/dev/null || echo "  abcsim_slow failed"
TXS=$("$SIM" send "$ADDR_S" 0.23 || true)
check "C: a deposit is sent while bitcoind is slow" test -n "$TXS"
pages_work C
http_get /status/detail 3 >/dev/null || true
echo "  /status bitcoind row: $(status_row_html bitcoind | sed 's/<[^>]*>/ /g; s/  */ /g')"
ok=0
wait_until 20 state_is "$JS" pending 0.23000000 && ok=1
echo "  pending shown $(elapsed "$T_SLOW") ms after bitcoind turned slow"
check "C: the deposit shows as pending despite 3 s answers (within 20 s)" test "$ok" = 1
"$SIM" raw abcsim_mine '[1]' >/dev/null || echo "  abcsim_mine failed"
t0=$(now_ms)
ok=0
wait_until 30 state_is "$JS" balance 0.23000000 && ok=1
echo "  credited $(elapsed "$t0") ms after the block"
check "C: ...and is credited once mined (within 30 s)" test "$ok" = 1
"$SIM" raw abcsim_slow '[0]' >/dev/null || true
wait_until 10 caught_up || true
sleep 2
check "C: ...exactly once" credited_once "$JS" "$TXS" 0.23000000
check "C: ledger invariants hold" invariants

echo "  t_071 took $(elapsed "$T_START") ms"
it_done
