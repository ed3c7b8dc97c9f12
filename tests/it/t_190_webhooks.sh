#!/usr/bin/env bash
# Webhooks (issue 15): a seller and a buyer each add an endpoint on
# /account/webhooks (CSRF, idempotency key: the same form twice adds one);
# a receiver (tests/it/webhook_recv.py) that fails every delivery twice then
# accepts it gets slot bought (buyer and seller), slot started (both, also
# for a slot that starts later), deposit credited and withdrawal sent, each
# exactly once accepted by delivery id, with a valid signature, after
# retries spaced as the schedule says (scaled down: webhook_backoff_scale);
# a delivery written while abc-worker is SIGKILLed is sent after its
# restart; "redeliver" sends the same delivery id again; an endpoint that
# never answers is given up after 7 attempts; with the production policy
# (webhook_allow_private = no) a loopback endpoint is refused; only its
# owner deletes an endpoint.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="h$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
SIM="$ABC_ROOT/deploy/sim"
EXT=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080
S="whs$RUN"
B="whb$RUN"
mkdir -p "$IT_TMP/secrets"
LOG="$IT_TMP/hooks.log"
: >"$LOG"

# --- the receiver, and abc-worker allowed to reach it -------------------------
python3 "$ABC_ROOT/tests/it/webhook_recv.py" "$IT_TMP/port" "$LOG" "$IT_TMP/secrets" 900 &
RECV=$!
trap 'kill $RECV 2>/dev/null || true; [[ -n "${IT_KEEP:-}" ]] && echo "kept $IT_TMP" || rm -rf "$IT_TMP"' EXIT
wait_until 60 test -s "$IT_TMP/port"
PORT=$(cat "$IT_TMP/port")
worker_gone() { ! pid_of worker >/dev/null 2>&1; }
# The test settings: loopback endpoints allowed, the schedule 100 times
# shorter (10 s -> 100 ms, 1 min -> 600 ms, 10 min -> 6 s).
test_worker() {
    ABC_WEBHOOK_ALLOW_PRIVATE=yes ABC_WEBHOOK_BACKOFF_SCALE=10 ABC_WEBHOOK_POLL_MS=100 \
        start_proc worker
}
kill_proc worker TERM
wait_until 15 worker_gone
test_worker

uid() { psql_abc -c "SELECT id FROM users WHERE username = '$1'"; }
# add_hook NAME URL [IDEM]: posts the add form; prints "status location".
add_hook() {
    local c
    c=$(csrf_of "$(jar "$1")" 1)
    web 1 /account/webhooks -b "$(jar "$1")" -o "$IT_TMP/add" -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=${3:-$(new_idem)}" --data-urlencode "url=$2"
}
endpoints() { psql_abc -c "SELECT count(*) FROM webhook_endpoints WHERE user_id = $(uid "$1")"; }
# secret_of NAME: the secret the page shows its owner.
secret_of() {
    web 1 /account/webhooks -b "$(jar "$1")" -o "$IT_TMP/page"
    grep -o '<code class="token secret">[0-9a-f]*</code>' "$IT_TMP/page" | head -1 | sed 's/<[^>]*>//g'
}
# q PY: a Python expression over L, the receiver's log (a list of dicts).
q() {
    python3 -c 'import json, sys
L = [json.loads(x) for x in open(sys.argv[1])]
print(eval(sys.argv[2]))' "$LOG" "$1"
}
# accepted USER KIND: deliveries of KIND to USER accepted (answered 200).
accepted() { q "len([r for r in L if r['user'] == '$1' and r['event'] == '$2' and r['status'] == 200])"; }
accepted_is() { [[ "$(accepted "$1" "$2")" == "$3" ]]; }

# --- 1. endpoints on /account/webhooks ----------------------------------------
check "seller and buyer register" test "$(register "$S" 1)$(register "$B" 2)" = 303303
out=$(add_hook "$S" "ftp://127.0.0.1:$PORT/hook/$S")
check "an ftp:// URL is refused (400), nothing added" \
    bash -c "[[ '${out%% *}' == 400 && $(endpoints "$S") == 0 ]]"
IDEM=$(new_idem)
out=$(add_hook "$S" "http://127.0.0.1:$PORT/hook/$S" "$IDEM")
check "the seller adds an endpoint (303 to /account/webhooks)" \
    bash -c "[[ '$out' == '303 '*'/account/webhooks?done=add' ]]"
out=$(add_hook "$S" "http://127.0.0.1:$PORT/hook/$S" "$IDEM")
check "...the same form again (same idempotency key): still one endpoint" \
    bash -c "[[ '${out%% *}' == 303 && $(endpoints "$S") == 1 ]]"
check "the buyer adds one" bash -c "[[ '$(add_hook "$B" "http://127.0.0.1:$PORT/hook/$B")' == 303* ]]"
secret_of "$S" >"$IT_TMP/secrets/$S"
secret_of "$B" >"$IT_TMP/secrets/$B"
check "each page shows its owner a 64-hex secret, different ones" \
    bash -c "[[ \$(wc -c <'$IT_TMP/secrets/$S') == 65 && \$(cat '$IT_TMP/secrets/$S') != \$(cat '$IT_TMP/secrets/$B') ]]"
links() { web 1 /account -b "$(jar "$S")" | grep 'href="/account/webhooks"' >/dev/null; }
check "/account links to the webhooks page" links

# --- 2. the events ------------------------------------------------------------
# Deposit credited: the buyer's deposit, the real way (the stand-in).
c=$(csrf_of "$(jar "$B")" 1)
web 1 /account/address -b "$(jar "$B")" -o /dev/null --data "csrf=$c"
ADDR=$(psql_abc -c "SELECT d.address FROM deposit_addresses d WHERE d.user_id = $(uid "$B") LIMIT 1")
"$SIM" send "$ADDR" 1.0 >/dev/null
"$SIM" mine 1 >/dev/null
check "deposit credited: accepted once by the buyer's receiver" wait_until 20 accepted_is "$B" deposit_credited 1
"$SIM" mine 5 >/dev/null # withdrawable at 6 confirmations

# Slot bought and started: slot 0 starts at once, slot 1 after 3 s.
CID=$(sell "$S" 1 "Hooks+$RUN" 0.0001 slot_seconds=3)
upload "$B" 1 "hk$RUN" "hover" "https://example.com/" "$IMG/jpeg_baseline_300x250.jpg" >/dev/null
AD=$(ad_of "hk$RUN")
for slot in 0 1; do
    data=$(confirm "$B" 1 "$CID" "$AD")
    out=$(buy "$B" 1 "$CID" "$data" "$IT_TMP/buy")
    check "the buyer buys slot $slot (303)" test "${out%% *}" = 303
done
for u in "$S" "$B"; do
    check "slot bought: $u accepted 2 (slots 0 and 1)" wait_until 20 accepted_is "$u" slot_bought 2
    check "slot started: $u accepted 2 (slot 1 three seconds later)" wait_until 20 accepted_is "$u" slot_started 2
done

# Withdrawal sent.
c=$(csrf_of "$(jar "$B")" 1)
out=$(web 1 /account/withdraw -b "$(jar "$B")" -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" --data-urlencode "address=$EXT" \
    --data-urlencode "amount=0.001" --data-urlencode "password=$PW")
check "the buyer withdraws (303)" test "$out" = 303
check "withdrawal sent: accepted once" wait_until 20 accepted_is "$B" withdrawal_sent 1

# --- 3. what the receiver saw -------------------------------------------------
check "every request carried a valid signature" test "$(q "all(r['sig_ok'] for r in L)")" = True
check "every delivery id was accepted exactly once" \
    test "$(q "all(sum(1 for x in L if x['delivery'] == d and x['status'] == 200) == 1 for d in set(r['delivery'] for r in L))")" = True
check "...after exactly 2 refused attempts (3 requests per id)" \
    test "$(q "all(sum(1 for x in L if x['delivery'] == d) == 3 for d in set(r['delivery'] for r in L))")" = True
check "the body names the same delivery, its kind and data" \
    test "$(q "all(r['body'].get('delivery') == r['delivery'] and r['body'].get('kind') == r['event'] and isinstance(r['body'].get('data'), dict) for r in L)")" = True
check "slot bought data: the seller earned the price, the buyer paid it" \
    test "$(q "sorted(r['body']['data']['role'] for r in L if r['event'] == 'slot_bought' and r['status'] == 200 and r['body']['data']['idx'] == 0)")" = "['buyer', 'seller']"
# Retries: after 100 ms, then after 600 ms (scaled 10 s and 1 min).
gaps=$(q "min(sorted(x['t'] for x in L if x['delivery'] == d)[1] - sorted(x['t'] for x in L if x['delivery'] == d)[0] for d in set(r['delivery'] for r in L))")
gaps2=$(q "min(sorted(x['t'] for x in L if x['delivery'] == d)[2] - sorted(x['t'] for x in L if x['delivery'] == d)[1] for d in set(r['delivery'] for r in L))")
check "backoff: the 2nd attempt >= 0.1 s after the 1st (min $gaps)" python3 -c "import sys; sys.exit(0 if $gaps >= 0.1 else 1)"
check "backoff: the 3rd attempt >= 0.6 s after the 2nd (min $gaps2)" python3 -c "import sys; sys.exit(0 if $gaps2 >= 0.6 else 1)"
check "the delivery log: all 10 deliveries sent, 3 attempts each" \
    test "$(psql_abc -c "SELECT count(*) FILTER (WHERE status <> 'sent' OR attempts <> 3) || ' ' || count(*) FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id WHERE p.user_id IN ($(uid "$S"), $(uid "$B"))")" = "0 10"
buttons() { web 1 /account/webhooks -b "$(jar "$B")" | grep -c '>Redeliver<' || true; }
check "the page's delivery log lists the buyer's 6 deliveries with a Redeliver button each" \
    test "$(buttons)" = 6

# --- 4. SIGKILL between the event and its sending -----------------------------
kill_proc worker KILL
wait_until 10 worker_gone
psql_abc -c "SELECT webhook_event($(uid "$B"), 'ad_rejected', '{\"ad\": $AD, \"reason\": \"test $RUN\"}')" >/dev/null
check "an event written while abc-worker is dead is pending" \
    test "$(psql_abc -c "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id WHERE p.user_id = $(uid "$B") AND status = 'pending'")" = 1
test_worker
check "...and accepted once after the restart" wait_until 30 accepted_is "$B" ad_rejected 1

# --- 5. redeliver -------------------------------------------------------------
DID=$(psql_abc -c "SELECT d.id FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.kind = 'withdrawal_sent' AND e.user_id = $(uid "$B")")
DUUID=$(psql_abc -c "SELECT delivery FROM webhook_deliveries WHERE id = $DID")
web 1 /account/webhooks -b "$(jar "$B")" -o "$IT_TMP/page"
form=$(tr -d '\n' <"$IT_TMP/page" | grep -o "<form method=\"post\" action=\"/account/webhooks/redeliver\"[^>]*><input type=\"hidden\" name=\"csrf\" value=\"[^\"]*\"><input type=\"hidden\" name=\"idem\" value=\"[0-9a-f]*\"><input type=\"hidden\" name=\"id\" value=\"$DID\">" | head -1)
c=$(sed -E 's/.*name="csrf" value="([^"]*)".*/\1/' <<<"$form")
i=$(sed -E 's/.*name="idem" value="([^"]*)".*/\1/' <<<"$form")
for n in 1 2; do
    out=$(web 1 /account/webhooks/redeliver -b "$(jar "$B")" -o /dev/null -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=$i" --data-urlencode "id=$DID")
    check "redeliver (form sent $n time(s)): 303" bash -c "[[ '$out' == '303 '*'done=redeliver' ]]"
done
requests_of() { q "len([r for r in L if r['delivery'] == '$DUUID'])"; }
# (A function: wait_until must count the requests again at every try.)
redelivered() { test "$(requests_of)" -ge 4; }
check "...the same delivery id arrives again, once" wait_until 15 redelivered
sleep 1
check "...once only (the form twice is one request)" test "$(requests_of)" = 4
check "...signed" test "$(q "all(r['sig_ok'] for r in L if r['delivery'] == '$DUUID')")" = True
c=$(csrf_of "$(jar "$S")" 1)
out=$(web 1 /account/webhooks/redeliver -b "$(jar "$S")" -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" --data-urlencode "id=$DID")
check "another user cannot redeliver it (400)" test "$out" = 400
out=$(web 1 /account/webhooks/redeliver -b "$(jar "$B")" -o /dev/null -w '%{http_code}' \
    --data-urlencode "idem=$(new_idem)" --data-urlencode "id=$DID")
check "without the CSRF token: refused (403)" test "$out" = 403

# --- 6. an endpoint that never answers is given up ----------------------------
psql_abc -c "UPDATE webhook_endpoints SET url = 'http://127.0.0.1:9/none' WHERE user_id = $(uid "$S")" >/dev/null
psql_abc -c "SELECT webhook_event($(uid "$S"), 'ad_rejected', '{}')" >/dev/null
gave_up() { [[ "$(psql_abc -c "SELECT status || ' ' || attempts FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id WHERE p.user_id = $(uid "$S") ORDER BY d.id DESC LIMIT 1")" == "failed 7" ]]; }
check "a dead endpoint: 'failed' after 7 attempts (6 retries)" wait_until 60 gave_up

# --- 7. the production policy: no loopback ------------------------------------
kill_proc worker TERM
wait_until 15 worker_gone
start_proc worker # the stack's own settings: webhook_allow_private = no
n0=$(requests_of)
c=$(csrf_of "$(jar "$B")" 1)
web 1 /account/webhooks/redeliver -b "$(jar "$B")" -o /dev/null \
    --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" --data-urlencode "id=$DID"
refused() { psql_abc -c "SELECT last_error FROM webhook_deliveries WHERE id = $DID" | grep 'address refused' >/dev/null; }
check "webhook_allow_private = no: a loopback endpoint is refused, not reached" wait_until 15 refused
check "...the receiver saw nothing" test "$(requests_of)" = "$n0"

# --- 8. deleting an endpoint ---------------------------------------------------
EID=$(psql_abc -c "SELECT id FROM webhook_endpoints WHERE user_id = $(uid "$B")")
del() {
    local c
    c=$(csrf_of "$(jar "$1")" 1)
    web 1 /account/webhooks/delete -b "$(jar "$1")" -o /dev/null -w '%{http_code}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" --data-urlencode "id=$EID"
}
check "the seller cannot delete the buyer's endpoint (400)" test "$(del "$S")" = 400
check "the buyer deletes it (303), with its delivery log" \
    bash -c "[[ $(del "$B") == 303 && $(endpoints "$B") == 0 && \
        $(psql_abc -c "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $EID") == 0 ]]"
psql_abc -c "DELETE FROM webhook_endpoints WHERE user_id = $(uid "$S")" >/dev/null
check "ledger invariants hold" invariants

it_done
