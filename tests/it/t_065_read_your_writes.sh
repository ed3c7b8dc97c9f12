#!/usr/bin/env bash
# Read-your-writes across the two abc-web processes (web/http.h,
# HTTP_WROTE_COOKIE).  abc-worker sends "account_changed" to every abc-web
# before it answers the write, but the writer's next page may reach the
# other process before that process has read the notice: t_070 once saw its
# account page without the deposit address it had just asked for (the POST
# on one process, the GET 3 ms later on the other, served from its cache).
# Here abc-worker holds each link frame up to 300 ms (its fault file), so a
# notice often arrives after the reply; each of 8 rounds warms the account
# page in web2's cache, asks for a new address through web1 and at once
# loads the account page through web2: it must show the new address every
# time.  The cookie that asks for this lasts 2 s; after it the page is
# served from the cache again.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="w$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
ROUNDS=8

FAULTS="$ABC_STATE/worker.faults"
set_worker_faults() {
    printf '%s\n' "$1" >"$FAULTS"
    kill -USR2 "$(pid_of worker)"
}
restore() {
    : >"$FAULTS"
    kill -USR2 "$(pid_of worker)" 2>/dev/null || true
    rm -rf "$IT_TMP"
}
trap restore EXIT
metric() { web "$1" /metrics | awk -v k="$2" '$1 == k { print $2 }'; }
shown_address() { # shown_address FILE: the address an account page shows
    { grep -o '<code id="address">[^<]*</code>' "$1" || true; } | head -1 | sed 's/<[^>]*>//g'
}
db_address() {
    psql_abc -c "SELECT d.address FROM deposit_addresses d JOIN users u ON u.id = d.user_id
        WHERE u.username = '$U' ORDER BY d.created_at DESC LIMIT 1"
}

U="u_$RUN"
J="$(jar "$U")"
check "a user registers (303)" test "$(register "$U" 1)" = 303

log0=$(stat -c %s "$ABC_LOG/worker.log")
set_worker_faults "delay_ms=300"
wait_until 5 bash -c "tail -c +$((log0 + 1)) '$ABC_LOG/worker.log' | grep -q 'event=faults.*delay_ms=300'" || true
check "abc-worker holds every link frame up to 300 ms" \
    bash -c "tail -c +$((log0 + 1)) '$ABC_LOG/worker.log' | grep -q 'event=faults.*delay_ms=300'"

fresh=0 stale=0 failed=0
for i in $(seq 1 "$ROUNDS"); do
    sleep 3.1 # the previous round's cookie has expired (curl counts whole seconds)
    web 2 /account -b "$J" -c "$J" -o "$IT_TMP/warm" || true
    web 1 /account -b "$J" -c "$J" -o "$IT_TMP/form" || true
    c=$(field_of "$IT_TMP/form" csrf)
    code=$(web 1 /account/address -b "$J" -c "$J" -o /dev/null -D "$IT_TMP/post_h" -w '%{http_code}' \
        --data "csrf=$c" || true)
    web 2 /account -b "$J" -c "$J" -o "$IT_TMP/after" || true
    want=$(db_address)
    got=$(shown_address "$IT_TMP/after")
    if [[ "$code" != 303 || -z "$want" ]]; then
        failed=$((failed + 1))
        echo "  round $i: POST /account/address answered $code"
    elif [[ "$got" == "$want" ]]; then
        fresh=$((fresh + 1))
    else
        stale=$((stale + 1))
        echo "  round $i: web2 showed '${got:-no address}', the database holds $want"
    fi
done
check "every new address was made (303) ($failed failed)" test "$failed" = 0
check "web2's page after each POST on web1 shows the new address ($fresh of $ROUNDS; $stale stale)" \
    test "$fresh" = "$ROUNDS"
check "the POST's answer sets abc_wrote for 2 s" \
    grep -qi '^set-cookie: abc_wrote=1; Path=/; Max-Age=2;' "$IT_TMP/post_h"

set_worker_faults ""
sleep 3.1
web 2 /account -b "$J" -c "$J" -o /dev/null || true
h0=$(metric 2 abc_web_cache_hits_total)
web 2 /account -b "$J" -c "$J" -o "$IT_TMP/later" || true
h1=$(metric 2 abc_web_cache_hits_total)
check "2 s after the write web2 serves the page from its cache again ($h0 -> $h1 hits)" \
    test "$((h1 - h0))" -ge 1
check "...still with the newest address" test "$(shown_address "$IT_TMP/later")" = "$(db_address)"
check "ledger invariants hold" invariants

it_done
