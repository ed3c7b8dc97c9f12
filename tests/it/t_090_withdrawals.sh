#!/usr/bin/env bash
# Withdrawals (SPEC 4.5): a user who deposited withdraws part of the balance
# with the password; the amount leaves the balance at once and bitcoind pays
# it once (sendtoaddress, fee taken from the amount).  The same form posted
# three times through both abc-web processes withdraws once.  Bad input
# changes nothing.  Above the approval threshold a withdrawal waits for the
# admin script, which can also reject it (refund).  Exactly once across
# crashes: abc-worker SIGKILLed right before and right after sendtoaddress
# pays each withdrawal exactly once (the wallet is looked up before any
# second send).  The ledger invariants after every scenario.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="w$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
SIM="$ABC_ROOT/deploy/sim"
EXT=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080 # BIP 173's regtest vector: not ours
APPROVE=10000000                                  # withdraw_approval_sat's default

U="wd_$RUN"
state() { web "$1" /account/state.json -b "$(jar "$U")"; }
balance_via() { state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["balance"])' 2>/dev/null; }
balance_is() { [[ "$(balance_via "$1")" == "$2" ]]; }
# withdraw VIA ADDRESS AMOUNT PASSWORD [IDEM]: prints "status location"; body in $IT_TMP/wd.
withdraw() {
    local c
    c=$(csrf_of "$(jar "$U")" "$1")
    web "$1" /account/withdraw -b "$(jar "$U")" -o "$IT_TMP/wd" -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=${5:-$(new_idem)}" \
        --data-urlencode "address=$2" --data-urlencode "amount=$3" --data-urlencode "password=$4"
}
wds() { psql_abc -c "SELECT count(*) FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.username = '$U'"; }
last_wd() { psql_abc -c "SELECT max(w.id) FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.username = '$U'"; }
wd_field() { psql_abc -c "SELECT $2 FROM withdrawals WHERE id = $1"; }
wd_is() { [[ "$(wd_field "$1" status)" == "$2" ]]; }
# sends_for ID: how many wallet payments carry withdrawal ID's comment.
sends_for() {
    "$SIM" raw listsinceblock '[]' | python3 -c '
import json, sys
r = json.load(sys.stdin)
r = r.get("result", r)
print(sum(1 for t in r["transactions"] if t["category"] == "send" and t.get("comment") == "abc-withdrawal-" + sys.argv[1]))' "$1"
}
# sent_ok ID ADDRESS SAT: bitcoind paid ADDRESS once for ID, SAT less a fee, under the recorded txid.
sent_ok() {
    local txid
    txid=$(wd_field "$1" txid)
    [[ -n "$txid" && "$(sends_for "$1")" == 1 ]] || return 1
    "$SIM" raw gettransaction "[\"$txid\"]" | python3 -c '
import json, sys
from decimal import Decimal
r = json.load(sys.stdin, parse_float=Decimal)
r = r.get("result", r)
d = [x for x in r["details"] if x["category"] == "send"]
sat = Decimal(sys.argv[2]) / 100000000
ok = (len(d) == 1 and d[0]["address"] == sys.argv[1] and -d[0]["amount"] < sat
      and -d[0]["amount"] - d[0]["fee"] == sat and r.get("comment") == "abc-withdrawal-" + sys.argv[3])
sys.exit(0 if ok else 1)' "$2" "$3" "$1"
}

# --- setup: 1 BTC deposited and credited, the real way ----------------------
check "a user registers (303)" test "$(register "$U" 1)" = 303
c=$(csrf_of "$(jar "$U")" 1)
web 1 /account/address -b "$(jar "$U")" -o /dev/null --data "csrf=$c"
ADDR=$(psql_abc -c "SELECT d.address FROM deposit_addresses d JOIN users u ON u.id = d.user_id WHERE u.username = '$U' LIMIT 1")
check "...gets a deposit address" test -n "$ADDR"
"$SIM" send "$ADDR" 1.0 >/dev/null
"$SIM" mine 1 >/dev/null
check "...and 1 BTC is credited" wait_until 10 balance_is 1 1.00000000
# Deposited funds are withdrawable at 6 confirmations (deposit_hold_confs, t_091).
"$SIM" mine 5 >/dev/null
wd_ready() { psql_abc -c "SELECT balance - held FROM wd_limits((SELECT id FROM users WHERE username = '$U'))" | grep -qx 100000000; }
wait_until 10 wd_ready || echo "  the deposit is still held"

# --- 1. the journey -------------------------------------------------------------
out=$(withdraw 1 "$EXT" 0.05 "$PW")
check "withdraw 0.05 BTC through #1: 303 to /account?done=withdraw ($out)" \
    bash -c "[[ '$out' == '303 '*'/account?done=withdraw' ]]"
check "...the balance is 0.95 at once, on #2 too" balance_is 2 0.95000000
W1=$(last_wd)
check "...within 10 s the withdrawal is sent (#$W1)" wait_until 10 wd_is "$W1" sent
check "...bitcoind paid $EXT once, 0.05 BTC less its fee, under the recorded txid" sent_ok "$W1" "$EXT" 5000000
web 2 /account -b "$(jar "$U")" -o "$IT_TMP/acct"
check "...the account page shows it with its txid" grep -q "$(wd_field "$W1" txid)" "$IT_TMP/acct"
check "...and the history says 'Withdrawal requested' and 'Withdrawal sent'" \
    bash -c "grep -q '>Withdrawal requested<' '$IT_TMP/acct' && grep -q '>Withdrawal sent<' '$IT_TMP/acct'"
check "ledger invariants hold" invariants

# --- 2. one form, three posts through both processes ---------------------------
IDEM=$(new_idem)
n0=$(wds)
o1=$(withdraw 1 "$EXT" 0.01 "$PW" "$IDEM")
o2=$(withdraw 1 "$EXT" 0.01 "$PW" "$IDEM")
o3=$(withdraw 2 "$EXT" 0.01 "$PW" "$IDEM")
check "the same withdraw form posted 3 times (2 via #1, 1 via #2): 303 each ($o1 | $o2 | $o3)" \
    test "${o1%% *}${o2%% *}${o3%% *}" = 303303303
check "...one withdrawal" test "$(wds)" = $((n0 + 1))
check "...one debit: balance 0.94" balance_is 1 0.94000000
check "...and it is sent" wait_until 10 wd_is "$(last_wd)" sent
check "ledger invariants hold after the repeated form" invariants

# --- 3. bad input changes nothing ----------------------------------------------
n0=$(wds)
bad=0
expect() { # expect STATUS TEXT VIA ADDRESS AMOUNT PASSWORD
    local want="$1" text="$2" o
    shift 2
    o=$(withdraw "$@")
    if [[ "${o%% *}" == "$want" ]] && grep -q "$text" "$IT_TMP/wd"; then
        bad=$((bad + 1))
    else
        echo "  withdraw $* -> $o, wanted $want and '$text'"
    fi
}
expect 403 "password is wrong" 1 "$EXT" 0.01 "wrong password!!"
expect 400 "not a valid bitcoin address for this network" 2 bcrt1qnotvalidaddress00 0.01 "$PW"
expect 400 "not a bitcoin address" 1 "bc1<script>alert(1)</script>" 0.01 "$PW"
check "...the typed address is shown back escaped" bash -c "! grep -q '<script>alert' '$IT_TMP/wd' && grep -q '&lt;script&gt;alert' '$IT_TMP/wd'"
expect 409 "balance is too low" 2 "$EXT" 5 "$PW"
expect 400 "positive BTC amount" 1 "$EXT" 0 "$PW"
expect 400 "positive BTC amount" 2 "$EXT" -1 "$PW"
expect 400 "positive BTC amount" 1 "$EXT" abc "$PW"
expect 400 "positive BTC amount" 2 "$EXT" 0.000000001 "$PW"
expect 400 "smallest withdrawal is 0.00010000 BTC" 1 "$EXT" 0.00009999 "$PW"
check "wrong password, unknown address, script, too much, 0, -1, abc, 9 decimals, below the minimum: refused with the reason ($bad/9)" test "$bad" = 9
code=$(web 1 /account/withdraw -b "$(jar "$U")" -o /dev/null -w '%{http_code}' \
    --data "csrf=wrong&idem=$(new_idem)&address=$EXT&amount=0.01&password=$PW")
check "...a wrong CSRF token: 403 ($code)" test "$code" = 403
check "...no withdrawal recorded" test "$(wds)" = "$n0"
check "...balance still 0.94" balance_is 2 0.94000000
check "ledger invariants hold after the refusals" invariants

# --- 4. above the threshold: approval, or rejection with a refund --------------
out=$(withdraw 1 "$EXT" 0.2 "$PW")
WA=$(last_wd)
check "0.2 BTC (above $APPROVE sat): 303, recorded as waiting for approval" \
    bash -c "[[ '${out%% *}' == 303 && '$(wd_field "$WA" status)' == approval ]]"
check "...debited at once: 0.74" balance_is 2 0.74000000
sleep 2
check "...not sent while it waits" test "$(sends_for "$WA")" = 0
psql_abc -v ON_ERROR_STOP=1 -f "$ABC_ROOT/sql/admin/withdrawals.sql" >"$IT_TMP/adm"
check "sql/admin/withdrawals.sql lists it" grep -q "^$WA|$U|20000000|" "$IT_TMP/adm"
psql_abc -v ON_ERROR_STOP=1 -v id="$WA" -f "$ABC_ROOT/sql/admin/approve_withdrawal.sql" >/dev/null
check "approve_withdrawal.sql: sent within 10 s" wait_until 10 wd_is "$WA" sent
check "...paid once" sent_ok "$WA" "$EXT" 20000000
out=$(withdraw 2 "$EXT" 0.3 "$PW")
WR=$(last_wd)
psql_abc -v ON_ERROR_STOP=1 -v id="$WR" -v reason="'test rejection'" \
    -f "$ABC_ROOT/sql/admin/reject_withdrawal.sql" >/dev/null
check "reject_withdrawal.sql: status rejected" wd_is "$WR" rejected
check "...the 0.3 BTC are back: 0.74" wait_until 2 balance_is 1 0.74000000
check "...never sent" test "$(sends_for "$WR")" = 0
check "...a second rejection is refused" bash -c "! psql_abc -v ON_ERROR_STOP=1 -v id=$WR -v reason=\"'again'\" -f '$ABC_ROOT/sql/admin/reject_withdrawal.sql' >/dev/null 2>&1"
check "ledger invariants hold after approval and rejection" invariants

# --- 5. exactly once across SIGKILL before and after sendtoaddress -------------
worker_gone() { ! pid_of worker >/dev/null 2>&1; }
for when in before_send after_send; do
    kill_proc worker KILL
    wait_until 5 worker_gone || true
    ABC_FAULT_WITHDRAW_CRASH=$when start_proc worker
    out=$(withdraw 1 "$EXT" 0.01 "$PW") || true
    WK=$(last_wd)
    check "$when: abc-worker kills itself paying withdrawal #$WK" wait_until 15 worker_gone
    check "...left 'sending'" wd_is "$WK" sending
    check "...$( [[ $when == before_send ]] && echo nothing || echo one payment) in the wallet" \
        test "$(sends_for "$WK")" = "$( [[ $when == before_send ]] && echo 0 || echo 1)"
    ABC_WITHDRAW_GRACE_S=10 start_proc worker
    check "...after the restart it is settled as sent within 25 s" wait_until 25 wd_is "$WK" sent
    check "...paid exactly once, under the recorded txid" sent_ok "$WK" "$EXT" 1000000
done
check "the balance fell by exactly what was withdrawn: 0.72" balance_is 2 0.72000000
kill_proc worker TERM
wait_until 10 worker_gone || true
start_proc worker # back to the stack's own settings
check "ledger invariants hold after the crashes" invariants

it_done
