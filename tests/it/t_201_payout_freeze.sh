#!/usr/bin/env bash
# Payout address (issue 15): a saved address, whose change freezes
# withdrawals.  abc-worker is restarted with payout_freeze_s=6 (default 3
# days).  The first address saves without a freeze; withdrawals then go
# only there; a change (password needed) freezes withdrawals, says until
# when in the timeline and on the account page, refuses a withdrawal with
# "frozen" (409), and lets it through once the freeze ended.  Each form is
# exactly once (the same idempotency key twice changes once).
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="p$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
SIM="$ABC_ROOT/deploy/sim"
A1=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080
A2=$("$SIM" raw getnewaddress '[]')
FREEZE=20
U="po_$RUN"

worker_gone() { ! pid_of worker >/dev/null 2>&1; }
# restart_worker [VAR=VALUE...]: abc-worker again, with those settings.
restart_worker() {
    kill_proc worker TERM || true
    wait_until 10 worker_gone || true
    (
        unset ABC_PAYOUT_FREEZE_S
        if (($#)); then export "$@"; fi
        start_proc worker
    )
}
page_has() { web 1 "$2" -b "$1" | grep -iE "$3" >/dev/null; }
# post PATH DATA...: a form POST of U through abc-web 1; the status; body in $IT_TMP/out.
post() {
    local p="$1" c
    shift
    c=$(csrf_of "$J" 1)
    web 1 "$p" -b "$J" -o "$IT_TMP/out" -w '%{http_code}' --data-urlencode "csrf=$c" "$@"
}
payout() { post /account/payout --data-urlencode "address=$1" --data-urlencode "password=${2:-$PW}" \
    --data-urlencode "idem=${3:-$(new_idem)}"; }
wd() { post /account/withdraw --data-urlencode "idem=$(new_idem)" --data-urlencode "address=$1" \
    --data-urlencode "amount=0.01" --data-urlencode "password=$PW"; }
uid() { psql_abc -c "SELECT id FROM users WHERE username = '$U'"; }
wds() { psql_abc -c "SELECT count(*) FROM withdrawals WHERE user_id = $(uid)"; }
saved() { psql_abc -c "SELECT coalesce(payout_address, '') FROM users WHERE id = $(uid)"; }
frozen() { test "$(psql_abc -c "SELECT coalesce(payout_frozen_until > now(), false) FROM users WHERE id = $(uid)")" = t; }
thawed() { ! frozen; }
changes() { psql_abc -c "SELECT count(*) FROM account_events WHERE user_id = $(uid) AND kind = 'payout_address'"; }

restart_worker ABC_PAYOUT_FREEZE_S=$FREEZE
check "a user registers (303)" test "$(register "$U" 1)" = 303
J=$(jar "$U")
fund "$U" 50000000

check "no payout address: the account page offers one" page_has "$J" /account 'protect your withdrawals'
check "a withdrawal goes anywhere while none is saved (303)" test "$(wd "$A2")" = 303
check "a malformed address is refused (400)" test "$(payout "not-an-address!")" = 400
check "a wrong password saves nothing (403)" test "$(payout "$A1" "wrong password here")" = 403
check "...nothing saved" test -z "$(saved)"
IDEM=$(new_idem)
check "the first address saves (303)" test "$(payout "$A1" "$PW" "$IDEM")" = 303
check "...saved" test "$(saved)" = "$A1"
check "...without a freeze" thawed
check "...in the timeline" page_has "$J" /account "payout address set to $A1"
check "a withdrawal elsewhere is refused (400)" test "$(wd "$A2")" = 400
check "...saying where they go" grep -q "only to your saved payout address" "$IT_TMP/out"
check "a withdrawal to it goes through (303)" test "$(wd "$A1")" = 303
check "...two withdrawals in all" test "$(wds)" = 2

T_CHANGE=$(date +%s)
check "changing it (303)" test "$(payout "$A2")" = 303
check "...saved" test "$(saved)" = "$A2"
check "...freezes withdrawals" frozen
echo "  (withdrawing $(($(date +%s) - T_CHANGE)) s after the change)"
check "a withdrawal during the freeze is refused (409)" test "$(wd "$A2")" = 409
check "...saying until when" grep -qE "frozen until [0-9-]+ [0-9:]+ UTC" "$IT_TMP/out"
check "...nothing withdrawn" test "$(wds)" = 2
check "...for payout_freeze_s" test "$(psql_abc -c "SELECT round(extract(epoch FROM payout_frozen_until - now())) BETWEEN 2 AND $FREEZE FROM users WHERE id = $(uid)")" = t
check "...announced in the timeline with the time" page_has "$J" /account/history "payout address changed to $A2; withdrawals frozen until [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC"
check "...and on the account page" page_has "$J" /account 'id="frozen">Withdrawals are frozen until [0-9-]+ [0-9:]+ UTC'
check "the same change form again (same idem) changes nothing more" test "$(payout "$A1" "$PW" "$IDEM")" = 303
check "...still $A2, two timeline lines" test "$(saved) $(changes)" = "$A2 2"
check "the freeze ends within $((FREEZE + 4)) s" wait_until $((FREEZE + 4)) thawed
check "then a withdrawal to the new address goes through (303)" test "$(wd "$A2")" = 303
check "...three withdrawals in all" test "$(wds)" = 3

restart_worker # back to the stack's own settings
check "ledger invariants hold" invariants
it_done
