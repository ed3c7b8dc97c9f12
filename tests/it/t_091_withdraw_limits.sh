#!/usr/bin/env bash
# Withdrawal limits an operator can trust (issue 9, SPEC 4.5), at their
# defaults: funds from a deposit are withdrawable only once it has 6
# confirmations (deposit_hold_confs), so a reorg cannot take back what was
# already paid out; and one user's withdrawals within 24 h above 0.1 BTC
# (withdraw_day_limit_sat) wait for an admin, even when each request is
# below the per-request threshold.  The account page shows both:
# "withdrawable now", "held until ... confirmations", "24 h limit: used X
# of Y".  The ledger invariants after each part.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="l$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
SIM="$ABC_ROOT/deploy/sim"
EXT=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080
U="lim_$RUN"

withdraw() { # withdraw VIA AMOUNT: prints "status location"; body in $IT_TMP/wd
    local c
    c=$(csrf_of "$(jar "$U")" "$1")
    web "$1" /account/withdraw -b "$(jar "$U")" -o "$IT_TMP/wd" -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" \
        --data-urlencode "address=$EXT" --data-urlencode "amount=$2" --data-urlencode "password=$PW"
}
wds() { psql_abc -c "SELECT count(*) FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.username = '$U'"; }
last_wd() { psql_abc -c "SELECT max(w.id) FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.username = '$U'"; }
wd_is() { [[ "$(psql_abc -c "SELECT status FROM withdrawals WHERE id = $1")" == "$2" ]]; }
page() { web "${1:-1}" /account -b "$(jar "$U")" -o "$IT_TMP/acct"; }
# shows ID TEXT: the account page's element ID holds TEXT.
shows() { page 2 && grep -q "<span id=\"$1\">$2</span>" "$IT_TMP/acct"; }
held_line() { page 1 && grep -q '<span id="held">1.00000000</span> BTC held until its deposits have 6 confirmations' "$IT_TMP/acct"; }

# --- setup: 1 BTC deposited, credited at 1 confirmation -------------------------
check "a user registers (303)" test "$(register "$U" 1)" = 303
c=$(csrf_of "$(jar "$U")" 1)
web 1 /account/address -b "$(jar "$U")" -o /dev/null --data "csrf=$c"
ADDR=$(psql_abc -c "SELECT d.address FROM deposit_addresses d JOIN users u ON u.id = d.user_id WHERE u.username = '$U' LIMIT 1")
"$SIM" send "$ADDR" 1.0 >/dev/null
"$SIM" mine 1 >/dev/null
check "1 BTC deposited is credited at 1 confirmation" wait_until 10 shows balance 1.00000000

# --- 1. the hold on fresh credits ---------------------------------------------------
check "the account page: withdrawable now 0.00000000" shows withdrawable 0.00000000
check "...and 1.00000000 BTC held until its deposits have 6 confirmations" held_line
n0=$(wds)
out=$(withdraw 1 0.05)
check "withdrawing 0.05 BTC at 1 confirmation is refused: 409 ($out)" test "${out%% *}" = 409
check "...saying why (fewer than 6 confirmations, withdrawable 0.00000000)" \
    grep -q 'with fewer than 6 confirmations; you can withdraw up to 0.00000000 BTC now' "$IT_TMP/wd"
check "...no withdrawal recorded, balance still 1.00000000" bash -c "[[ '$(wds)' == '$n0' ]] && grep -q '<span id=\"balance\">1.00000000</span>' '$IT_TMP/acct'"
"$SIM" mine 4 >/dev/null
sleep 2
out=$(withdraw 2 0.05)
check "at 5 confirmations still refused: 409 ($out)" test "${out%% *}" = 409
"$SIM" mine 1 >/dev/null
all_free() { shows withdrawable 1.00000000 && ! grep -q 'id="held"' "$IT_TMP/acct"; }
check "at 6 confirmations the page shows withdrawable now 1.00000000, nothing held" wait_until 10 all_free
check "ledger invariants hold (hold)" invariants

# --- 2. the rolling 24 h limit ---------------------------------------------------------
limit_line() {
    page 1 && grep -q '24 h limit: used <span id="day-used">0.00000000</span> of <span id="day-limit">0.10000000</span> BTC' "$IT_TMP/acct"
}
check "the page shows '24 h limit: used 0.00000000 of 0.10000000'" limit_line
out=$(withdraw 1 0.04)
W1=$(last_wd)
check "a first 0.04 BTC (below the 0.1 BTC per-request threshold): 303, queued and sent" \
    bash -c "[[ '$out' == '303 '* ]]"
check "...sent" wait_until 15 wd_is "$W1" sent
out=$(withdraw 2 0.04)
W2=$(last_wd)
check "a second 0.04 BTC: 303, sent (0.08 of 0.1 used)" wait_until 15 wd_is "$W2" sent
check "...the page: used 0.08000000 of 0.10000000" shows day-used 0.08000000
out=$(withdraw 1 0.04)
W3=$(last_wd)
check "a third 0.04 BTC, which takes the 24 h past 0.1: accepted (303: $out)" bash -c "[[ '$out' == '303 '* ]]"
check "...status 'approval' (not sent)" wd_is "$W3" approval
sleep 2
check "...and still 'approval' 2 s later: nothing paid it" wd_is "$W3" approval
check "...debited like any request: balance 0.88000000" shows balance 0.88000000
psql_abc -v ON_ERROR_STOP=1 -v id="$W3" -f "$ABC_ROOT/sql/admin/approve_withdrawal.sql" >/dev/null
check "once an admin approves it, it is sent" wait_until 15 wd_is "$W3" sent
check "...and it does not use up the automatic allowance: used still 0.08000000" shows day-used 0.08000000
out=$(withdraw 2 0.03)
W4=$(last_wd)
check "0.03 more would make 0.11 without an admin: waits for approval too" wait_until 5 wd_is "$W4" approval
check "ledger invariants hold (24 h limit)" invariants
it_done
