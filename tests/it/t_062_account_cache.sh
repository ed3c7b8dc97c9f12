#!/usr/bin/env bash
# The account overview in abc-web's cache (SPEC 6; issue 5's "cached JSON
# endpoint"): /account/state.json is served from the cache while nothing
# changes, and a change to what it shows reaches both abc-web processes
# within 1 s whoever made it: SQL run outside abc-worker (an admin's psql,
# heard through PostgreSQL's NOTIFY), the user's own POST (read-your-writes
# on the other process), and a change made while abc-worker's listening
# connection to PostgreSQL is being killed and re-established.  Changes to
# several accounts at once come as one notice naming them (worker/acctnote.h;
# that it names only them is tests/unit/test_acctnote's).
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="k$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

U="u_$RUN"
check "a user registers (303)" test "$(register "$U" 1)" = 303
state() { web "$1" /account/state.json -b "$(jar "$U")"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" 2>/dev/null; }
balance_via() { state "$1" | field balance; }
both_show() { [[ "$(balance_via 1)" == "$1" && "$(balance_via 2)" == "$1" ]]; }
metric() { web "$1" /metrics | awk -v k="$2" '$1 == k { print $2 }'; }

# --- 1. served from the cache --------------------------------------------
check "state.json through #1 and #2: balance 0.00000000" both_show 0.00000000
h0=$(metric 1 abc_web_cache_hits_total)
m0=$(metric 1 abc_web_cache_misses_total)
for _ in $(seq 1 20); do state 1 >/dev/null; done
h1=$(metric 1 abc_web_cache_hits_total)
m1=$(metric 1 abc_web_cache_misses_total)
echo "  20 reads: $((h1 - h0)) cache hits, $((m1 - m0)) misses"
check "20 reads of state.json through #1 are 20 cache hits, no miss" \
    test $((h1 - h0)) -eq 20 -a $((m1 - m0)) -eq 0

# --- 2. a change made by SQL outside abc-worker ----------------------------
t0=$(now_ms)
fund "$U" 12345678
ok=0
wait_until 1 both_show 0.12345678 && ok=1
echo "  both processes showed the new balance after $(($(now_ms) - t0)) ms"
check "SQL credits the user outside abc-worker: both processes show it within 1 s" test "$ok" = 1

# --- 3. read-your-writes on the other process ------------------------------
web 2 /account -b "$(jar "$U")" -o /dev/null # cached on #2 now
c=$(csrf_of "$(jar "$U")" 1)
code=$(web 1 /account/address -b "$(jar "$U")" -o /dev/null -w '%{http_code}' --data "csrf=$c")
check "a new deposit address through #1 (303)" test "$code" = 303
addr=$(psql_abc -c "SELECT d.address FROM deposit_addresses d JOIN users u ON u.id = d.user_id
    WHERE u.username = '$U' ORDER BY d.created_at DESC LIMIT 1")
web 2 /account -b "$(jar "$U")" -o "$IT_TMP/acct2"
check "the very next page, through #2, shows the new address ($addr)" \
    grep -q "${addr:-no-address}" "$IT_TMP/acct2"

# --- 4. the listening connection dies ---------------------------------------
listener() {
    psql_abc -c "SELECT pid FROM pg_stat_activity WHERE datname = 'abc' AND query LIKE 'LISTEN %abc_account%'
        AND backend_type = 'client backend' LIMIT 1"
}
pid=$(listener)
check "abc-worker listens on abc_account (backend ${pid:-none})" test -n "$pid"
off=$(stat -c %s "$ABC_LOG/worker.log")
psql_abc -c "SELECT pg_terminate_backend(${pid:-0})" >/dev/null
fund "$U" 1 # while abc-worker reconnects: must not be missed
t0=$(now_ms)
ok=0
wait_until 10 both_show 0.12345679 && ok=1
echo "  both processes showed it after $(($(now_ms) - t0)) ms"
check "a change made while the listener reconnects shows on both within 10 s" test "$ok" = 1
relisten() { local p; p=$(listener); [[ -n "$p" && "$p" != "$pid" ]]; }
check "abc-worker listens again, on a new backend" wait_until 10 relisten
check "...and logged the outage once (pglisten_down)" \
    test "$(tail -c +$((off + 1)) "$ABC_LOG/worker.log" | grep -c 'event=pglisten_down')" = 1
t0=$(now_ms)
fund "$U" 1
ok=0
wait_until 1 both_show 0.12345680 && ok=1
check "after the reconnect a change shows on both within 1 s again ($(($(now_ms) - t0)) ms)" test "$ok" = 1

# --- 5. several accounts in one transaction: both seen on both within 1 s ------
V="v_$RUN"
W="w_$RUN"
check "two more users register (303, 303)" test "$(register "$V" 2)/$(register "$W" 1)" = 303/303
both_show_as() { # USER BALANCE
    [[ "$(web 1 /account/state.json -b "$(jar "$1")" | field balance)" == "$2" &&
        "$(web 2 /account/state.json -b "$(jar "$1")" | field balance)" == "$2" ]]
}
check "their state.json is cached on both, balance 0" both_show_as "$V" 0.00000000
check "...and for $W" both_show_as "$W" 0.00000000
t0=$(now_ms)
psql_abc -q -c "BEGIN;
    INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, reference)
    SELECT (SELECT id FROM ledger_accounts WHERE kind = 'deposits'), a.id, 5, 'deposit',
           'test:$RUN:' || u.username || ':' || clock_timestamp()
    FROM ledger_accounts a JOIN users u ON u.id = a.user_id WHERE u.username IN ('$V', '$W');
    COMMIT;" >/dev/null
ok=0
wait_until 1 both_show_as "$V" 0.00000005 && wait_until 1 both_show_as "$W" 0.00000005 && ok=1
echo "  both showed both new balances after $(($(now_ms) - t0)) ms"
check "one SQL transaction credits two users: both processes show both within 1 s" test "$ok" = 1
check "ledger invariants hold" invariants

it_done
