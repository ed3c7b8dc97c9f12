#!/usr/bin/env bash
# The home page's list and the seller's dashboard stay small whatever buyers
# queue (sql/functions/camp_list.sql, dash_campaigns.sql, camp_state_slots).
# The home page shows, for each of the 50 newest campaigns, the ad on display
# and the price: it needs the slot on display, the next one (abc-web keeps
# the list up to 5 s) and the last one sold; the dashboard only the last.
# Both used to carry every queued slot with its ad's texts and link: at a
# minimum price of 1 sat, queueing 5 slots costs 31 sat, and 50 campaigns
# with 5 queued slots of an ad at its longest made a reply over the link's
# 1 MiB frame, so the home page failed for everyone (503).  The seller's
# approvals page lists at most the 100 slots with the nearest deadlines
# (it listed 200: 200 of the longest ads are over 1 MiB) and says how many
# wait in all.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="h$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
NCAMP=50 # camp_list(50): every campaign on the home page is one of ours
QUEUE=5  # slots bought on each

S="s_$RUN" B="b_$RUN"
log_from=$(($(stat -c %s "$ABC_LOG/worker.log") + 1))
check "a seller and a buyer register" \
    test "$(register "$S" 1)$(register "$B" 2)" = 303303
fund "$B" 100000000
# The largest ad the fields allow: 40 and 140 four-byte characters, a link
# of 2 000 bytes of backslashes (each one two bytes in JSON).
clef=$'\xf0\x9d\x84\x9e'
nick=$(printf "$clef%.0s" $(seq 40))
hover=$(printf "$clef%.0s" $(seq 140))
url="https://example.com/$(printf '\\%.0s' $(seq 1980))"
check "the buyer uploads an ad with every field at its longest (link ${#url} bytes)" \
    test "$(upload "$B" 1 "$nick" "$hover" "$url" "$IMG/gif_300x250.gif")" = 200
AD=$(ad_of "$nick")

# Campaign names at their longest too: 80 characters, all but the number
# four bytes each (percent-encoded in the form).
cids=()
for i in $(seq "$NCAMP"); do
    cname="H$i$(printf '%%F0%%9D%%84%%9E%.0s' $(seq $((79 - ${#i}))))"
    cids+=("$(sell "$S" $((i % 2 + 1)) "$cname" 0.00000001 slot_hours=1)")
done
made=0
for c in "${cids[@]}"; do [[ -n "$c" ]] && made=$((made + 1)); done
check "the seller makes $NCAMP campaigns at 1 sat ($made)" test "$made" = "$NCAMP"

# queue CID N: buys N slots of CID, one after the other; prints how many.
queue() {
    local k n=0 form
    for k in $(seq "$2"); do
        form=$(confirm "$B" $((k % 2 + 1)) "$1" "$AD") || break
        [[ "$(buy "$B" $((k % 2 + 1)) "$1" "$form" /dev/null)" == "303 "* ]] && n=$((n + 1))
    done
    echo "$n"
}
for b in $(seq 0 10 $((NCAMP - 1))); do
    for c in "${cids[@]:b:10}"; do queue "$c" "$QUEUE" >"$IT_TMP/q_$c" & done
    wait
done
bought=0
for c in "${cids[@]}"; do bought=$((bought + $(cat "$IT_TMP/q_$c"))); done
check "the buyer queues $QUEUE slots on each ($bought of $((NCAMP * QUEUE)))" \
    test "$bought" = $((NCAMP * QUEUE))

code=$(web any / -o "$IT_TMP/home" -w '%{http_code}')
bytes=$(wc -c <"$IT_TMP/home")
echo "  GET /: $code, $bytes bytes"
check "the home page is 200 ($code)" test "$code" = 200
shown=0
for c in "${cids[@]}"; do grep -q "href=\"/c/$c\"" "$IT_TMP/home" && shown=$((shown + 1)); done
check "...and lists all $NCAMP campaigns ($shown)" test "$shown" = "$NCAMP"
check "...each showing the ad on display now" \
    test "$(grep -o "$nick" "$IT_TMP/home" | wc -l)" -ge "$NCAMP"
check "...each with the last price sold (16 sat) for its ticker" \
    test "$(grep -o 'data-plast="16"' "$IT_TMP/home" | wc -l)" = "$NCAMP"
slots_of() {
    psql_abc -c "SELECT string_agg(s->>'idx', ',') FROM jsonb_array_elements(camp_list(50)::jsonb) c,
        jsonb_array_elements(c->'slots') s WHERE (c->>'id')::bigint = $1"
}
check "the list carries the slot on display, the next and the last: 0,1,4 ($(slots_of "${cids[0]}"))" \
    test "$(slots_of "${cids[0]}")" = "0,1,4"
code=$(web 1 /my/campaigns -b "$(jar "$S")" -o "$IT_TMP/dash" -w '%{http_code}')
shown=0
for c in "${cids[@]}"; do grep -q "href=\"/c/$c\"" "$IT_TMP/dash" && shown=$((shown + 1)); done
check "the seller's dashboard is 200 with all $NCAMP campaigns ($code, $shown)" \
    test "$code" = 200 -a "$shown" = "$NCAMP"
code=$(web 2 "/c/${cids[0]}" -o "$IT_TMP/camp" -w '%{http_code}')
check "a campaign page still lists its queue ($code)" \
    test "$code" = 200 -a "$(grep -o "$nick" "$IT_TMP/camp" | wc -l)" -ge 1
# Moderation: every campaign now requires approval, and the buyer queues 4 more
# slots on each: 200 slots wait for the seller's review, each with the longest ad.
approval() {
    local c
    c=$(csrf_of "$(jar "$S")" 1)
    web 1 /my/approvals/settings -b "$(jar "$S")" -o /dev/null -w '%{http_code}' \
        --data "csrf=$c&idem=$(new_idem)&id=$1&requires_approval=1&review_minutes=600"
}
set_ok=0
for c in "${cids[@]}"; do [[ "$(approval "$c")" == 303 ]] && set_ok=$((set_ok + 1)); done
check "the seller makes every campaign require approval ($set_ok)" test "$set_ok" = "$NCAMP"
for b in $(seq 0 10 $((NCAMP - 1))); do
    for c in "${cids[@]:b:10}"; do queue "$c" 4 >"$IT_TMP/p_$c" & done
    wait
done
pending=$(psql_abc -c "SELECT count(*) FROM slots s JOIN campaigns c ON c.id = s.campaign_id
    WHERE c.seller_id = (SELECT id FROM users WHERE username = '$S') AND s.review = 'pending'")
check "...and 4 more slots on each wait for review ($pending)" test "$pending" = $((NCAMP * 4))
code=$(web 1 /my/approvals -b "$(jar "$S")" -o "$IT_TMP/appr" -w '%{http_code}')
rows=$(grep -c '<tr class="pending"' "$IT_TMP/appr" || true)
echo "  GET /my/approvals: $code, $(wc -c <"$IT_TMP/appr") bytes, $rows rows"
check "the seller's approvals page is 200 with the 100 nearest deadlines ($code, $rows)" \
    test "$code" = 200 -a "$rows" = 100
check "...and says that $pending wait" \
    grep -q "These are the 100 with the nearest deadlines, of $pending waiting" "$IT_TMP/appr"
check "abc-worker logged no reply it could not make or send" \
    bash -c "! tail -c +$log_from '$ABC_LOG/worker.log' | grep -E 'event=(reply_too_large|db_reply) '"
check "ledger invariants hold" invariants

it_done
