#!/usr/bin/env bash
# The deposit follower and the payer never stall each other, and a bound is
# a smaller step, never a skip (issue 9, SPEC 4.2, 4.5).
# 1. The payer pays while the follower is stuck: a session holds
#    chain_cursor locked against writes (the follower cannot store what it
#    found) and a withdrawal requested meanwhile is still sent within 10 s;
#    once the lock goes, the deposit the follower was storing is there.
# 2. With abc-worker's response bound lowered to 64 KiB
#    (fault_rpc_body_max), 10 transactions of 100 outputs each (pages of
#    wallet entries and batches of gettransaction answers far over 64 KiB)
#    are all seen pending, then all credited once mined: the follower asked
#    for fewer entries and smaller batches (logged), it skipped nothing.
# The ledger invariants after each part.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="b$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
SIM="$ABC_ROOT/deploy/sim"
EXT=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080
elapsed() { echo "$(($(now_ms) - $1))"; }

new_address() { # new_address USER: prints the address it got
    local c
    c=$(csrf_of "$(jar "$1")" 1)
    web 1 /account/address -b "$(jar "$1")" -o /dev/null --data "csrf=$c"
    psql_abc -c "SELECT d.address FROM deposit_addresses d JOIN users u ON u.id = d.user_id WHERE u.username = '$1' ORDER BY d.created_at DESC LIMIT 1"
}
withdraw() { # withdraw USER AMOUNT: prints "status location"
    local c
    c=$(csrf_of "$(jar "$1")" 1)
    web 1 /account/withdraw -b "$(jar "$1")" -o "$IT_TMP/wd" -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" \
        --data-urlencode "address=$EXT" --data-urlencode "amount=$2" --data-urlencode "password=$PW"
}
wd_is() { [[ "$(psql_abc -c "SELECT status FROM withdrawals WHERE id = $1")" == "$2" ]]; }
deps() { psql_abc -c "SELECT count(*) FROM deposits d JOIN users u ON u.id = d.user_id WHERE u.username = '$1' AND d.status = '$2'"; }
deps_are() { [[ "$(deps "$1" "$2")" == "$3" ]]; }
worker_gone() { ! pid_of worker >/dev/null 2>&1; }
worker_up() { pid_of worker >/dev/null 2>&1; }
restart_worker() { # restart_worker [VAR=VALUE...]: TERM, then start with these settings
    local i
    kill_proc worker TERM
    wait_until 15 worker_gone || true
    for i in 1 2 3; do # the old one's ports may still be held a moment
        env "$@" "$ABC_ROOT/deploy/run" start >"$IT_TMP/start.log" 2>&1 || true
        wait_until 5 worker_up && return 0
        sleep 1
    done
    cat "$IT_TMP/start.log"
    return 1
}

# --- setup: a payer with 0.5 BTC withdrawable, a depositor --------------------
P="pay_$RUN"
D="dep_$RUN"
check "two users register" test "$(register "$P" 1)$(register "$D" 2)" = 303303
ADDR_P=$(new_address "$P")
"$SIM" send "$ADDR_P" 0.5 >/dev/null
"$SIM" mine 6 >/dev/null
check "0.5 BTC to the payer credited with 6 confirmations" wait_until 20 deps_are "$P" credited 1
ready() { # withdrawable (wd_limits; a build without the hold: the balance)
    local v
    v=$(psql_abc -c "SELECT balance - held FROM wd_limits((SELECT id FROM users WHERE username = '$P'))" 2>/dev/null) ||
        v=$(balance "$P")
    [[ "$v" == 50000000 ]]
}
check "...and withdrawable" wait_until 20 ready

# --- 1. the payer pays while the follower is stuck ------------------------------------
ADDR_D=$(new_address "$D")
psql_abc -q -c "BEGIN; LOCK TABLE chain_cursor IN EXCLUSIVE MODE; SELECT pg_sleep(25); COMMIT" >/dev/null 2>&1 &
LOCKER=$!
sleep 1
TXD=$("$SIM" send "$ADDR_D" 0.2)
"$SIM" mine 1 >/dev/null
stuck() { psql_abc -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%chain_cursor%'" | grep -qv '^0$'; }
check "the follower is stuck: its write to chain_cursor waits for the lock" wait_until 10 stuck
t0=$(now_ms)
out=$(withdraw "$P" 0.03)
W=$(psql_abc -c "SELECT max(w.id) FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.username = '$P'")
check "a withdrawal requested meanwhile is accepted ($out)" bash -c "[[ '$out' == '303 '* ]]"
check "...and sent within 10 s, the follower still stuck" wait_until 10 wd_is "$W" sent
echo "  sent after $(elapsed "$t0") ms"
check "...while the follower is still stuck" stuck
check "...the depositor's deposit is not stored while the lock is held" deps_are "$D" credited 0
wait "$LOCKER" || true
check "once the lock goes, the follower stores it: credited" wait_until 20 deps_are "$D" credited 1
check "ledger invariants hold (payer while the follower is stuck)" invariants

# --- 2. a 64 KiB bound: smaller pages and batches, nothing skipped ---------------------
check "abc-worker restarts with fault_rpc_body_max = 64 KiB" restart_worker ABC_FAULT_RPC_BODY_MAX=65536
check "abc-worker runs with fault_rpc_body_max = 64 KiB" bash -c "grep -q 'fault_rpc_body_max set' '$ABC_STATE/log/worker.log'"
LOG0=$(wc -l <"$ABC_STATE/log/worker.log")
ADDRS=()
for _ in 1 2 3 4 5; do ADDRS+=("$(new_address "$D")"); done
t0=$(now_ms)
for t in $(seq 1 10); do
    spec=""
    for k in $(seq 0 99); do
        a=${ADDRS[$(((k + t) % 5))]}
        spec+="${spec:+,}[\"$a\",\"0.0001$(printf '%04d' $((t * 100 + k)))\"]"
    done
    "$SIM" raw abcsim_pay "[[$spec]]" >/dev/null || echo "  abcsim_pay failed"
done
check "within 60 s the 1 000 unconfirmed outputs are pending" wait_until 60 deps_are "$D" pending 1000
echo "  pending after $(elapsed "$t0") ms"
"$SIM" mine 1 >/dev/null
check "within 60 s of one block all 1 000 are credited (and the first deposit: 1 001)" \
    wait_until 60 deps_are "$D" credited 1001
echo "  credited after $(elapsed "$t0") ms"
# since_restart PATTERN: how many lines of abc-worker's log since the restart match.
since_restart() { tail -n +"$LOG0" "$ABC_STATE/log/worker.log" | grep -c -- "$1" || true; }
smaller() { (($(since_restart 'event=follower_page entries=') > 0)); }
check "...the follower asked for fewer entries a page when an answer was over the bound" smaller
want=$(psql_abc -c "SELECT sum(amount) FROM deposits d JOIN users u ON u.id = d.user_id WHERE u.username = '$D'")
check "...the depositor's balance is every output, once: $want sat" test "$(balance "$D")" = "$want"
check "...the follower never had to wait at one transaction over the bound" \
    test "$(since_restart 'over the response bound; the follower waits')" = 0
check "abc-worker restarts with the stack's own settings" restart_worker
check "ledger invariants hold (bounded steps)" invariants
it_done
