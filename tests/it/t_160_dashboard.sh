#!/usr/bin/env bash
# The dashboards (issue 15): a seller with two campaigns and sold slots, a buyer, and
# impressions and clicks put into slot_stats the way the counting does.  /my/campaigns and
# its JSON twin show exactly: earnings (price - fee) in total and in the 7 x 24 h before
# now (by bought_ms), impressions, clicks and CTR (clicks per impression in hundredths of
# a percent, rounded half up; "–" without impressions); a history purge changes none of
# them; the buyer's /my/ads shows where and when the ad ran, what it cost and drew; the
# buyer's slot page /my/slots/<c>/<i> (+ .json) is 404 for anyone else; the list is
# bounded (the 50 newest campaigns, "more" beyond).
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="d$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

S="s_$RUN" B="b_$RUN" O="o_$RUN"
check "a seller, a buyer and another user register" \
    test "$(register "$S" 1)$(register "$B" 2)$(register "$O" 1)" = 303303303
fund "$B" "$FUND"
check "the buyer uploads an ad" test "$(upload "$B" 1 "ad$RUN" "hover $RUN" \
    "https://example.com/$RUN" "$IMG/gif_300x250.gif")" = 200
AD=$(ad_of "ad$RUN")
C1=$(sell "$S" 1 "One+$RUN" 0.001 slot_hours=1)
C2=$(sell "$S" 2 "Two+$RUN" 0.002 slot_hours=2)
check "two campaigns are created" test -n "$C1" -a -n "$C2"
# buy_slot CID VIA: the buyer buys the next slot of CID with the ad.
buy_slot() {
    local f
    f=$(confirm "$B" "$2" "$1" "$AD")
    buy "$B" "$2" "$1" "$f" "$IT_TMP/buy.out" | cut -d' ' -f1
}
check "the buyer buys slots 0 and 1 of campaign one and slot 0 of two" \
    test "$(buy_slot "$C1" 1)$(buy_slot "$C1" 2)$(buy_slot "$C2" 1)" = 303303303

NOW=$(now_ms)
MIN=$((NOW - NOW % 60000))
DAY=86400000
# Slot 1 of campaign one was bought 8 days ago (as far as the figures go): it counts in the
# total, not in the last 7 days.
psql_abc -q -c "UPDATE slots SET bought_ms = bought_ms - 8 * $DAY WHERE campaign_id = $C1 AND idx = 1"
psql_abc -q -c "INSERT INTO slot_stats (campaign_id, idx, minute_ms, impressions, clicks) VALUES
    ($C1, 0, $MIN, 1000, 7), ($C1, 0, $((MIN - 60000)), 0, 0), ($C1, 0, $((MIN - 2 * DAY)), 500, 3),
    ($C1, 1, $((MIN - 9 * DAY)), 3, 1), ($C2, 0, $MIN, 8, 1)"
earned() { psql_abc -c "SELECT coalesce(sum(price - fee), 0) FROM slots WHERE campaign_id = $1 $2"; }
E1=$(earned "$C1" "")
E1W=$(earned "$C1" "AND idx = 0")
E2=$(earned "$C2" "")
btc() { printf '%d.%08d' $(($1 / 100000000)) $(($1 % 100000000)); }
echo "  campaign one earned $E1 sat ($E1W in 7 days), two $E2 sat"

# --- /my/campaigns.json and the page: exact figures ----------------------------------
# dash_json: the seller's JSON twin, the campaign CID's object of it.
dash_json() { web 1 /my/campaigns.json -b "$(jar "$S")" | jq -c ".campaigns[] | select(.id == $1) |
    [.sold, .earned_sat, .earned, .earned_7d_sat, .earned_7d, .impressions, .clicks, .ctr]"; }
J1=$(dash_json "$C1")
J2=$(dash_json "$C2")
echo "  json one: $J1"
echo "  json two: $J2"
check "campaign one: 2 sold, earnings total and 7 days, 1503 impressions, 11 clicks, CTR 0.73%" \
    test "$J1" = "[2,$E1,\"$(btc "$E1")\",$E1W,\"$(btc "$E1W")\",1503,11,\"0.73%\"]"
check "campaign two: 1 sold, 8 impressions, 1 click, CTR 12.50%" \
    test "$J2" = "[1,$E2,\"$(btc "$E2")\",$E2,\"$(btc "$E2")\",8,1,\"12.50%\"]"
check "campaign one's days: 14, today last, with today's and 2 days ago's figures" \
    test "$(web 1 /my/campaigns.json -b "$(jar "$S")" | jq -c ".campaigns[] | select(.id == $C1) |
        [(.days | length), .days[13].impressions, .days[13].clicks, .days[11].impressions,
         .days[13].day_ms == ($NOW - $NOW % $DAY)]")" = "[14,1000,7,500,true]"
web 1 /my/campaigns -b "$(jar "$S")" -o "$IT_TMP/mine.html"
fig() { grep -o "data-fig=\"c$1-$2\">[^<]*<" "$IT_TMP/mine.html" | sed 's/.*">//; s/<$//'; }
check "the page shows the same figures as the JSON" test \
    "$(fig "$C1" earned) $(fig "$C1" earned_7d) $(fig "$C1" impressions) $(fig "$C1" clicks) $(fig "$C1" ctr)" \
    = "$(btc "$E1") $(btc "$E1W") 1503 11 0.73%"
check "the page has a chart per day for each campaign (inline SVG, 14 days each)" \
    test "$(grep -c '<svg xmlns="http://www.w3.org/2000/svg" class="daychart"' "$IT_TMP/mine.html")" -ge 2 -a \
    "$(grep -c 'class="bar-imp"' "$IT_TMP/mine.html")" -ge 28
check "the page works without JavaScript: figures are in the HTML; dash.js only polls" \
    grep -q 'data-live="/my/campaigns.json"' "$IT_TMP/mine.html"
check "a campaign without impressions has no CTR (–), not 0%" test "$(
    C3=$(sell "$S" 1 "Three+$RUN" 0.001 slot_hours=1)
    web 1 /my/campaigns.json -b "$(jar "$S")" | jq -r ".campaigns[] | select(.id == $C3) | .ctr")" = "–"
check "the JSON twin needs a session (403)" \
    test "$(web 1 /my/campaigns.json -o /dev/null -w '%{http_code}')" = 403

# --- a history purge leaves the figures as they are ----------------------------------
before=$(web 1 /my/campaigns.json -b "$(jar "$S")" | jq -c '[.campaigns[] | del(.price)]')
c=$(csrf_of "$(jar "$S")" 1)
check "the seller purges the history (303)" test "$(web 1 /account/history/purge -b "$(jar "$S")" \
    -o /dev/null -w '%{http_code}' --data "csrf=$c&password=$PW")" = 303
check "...and the history is gone" test "$(psql_abc -c "SELECT count(*) FROM account_events e
    JOIN users u ON u.id = e.user_id WHERE u.username = '$S' AND e.kind = 'sale'")" = 0
after=$(web 1 /my/campaigns.json -b "$(jar "$S")" | jq -c '[.campaigns[] | del(.price)]')
check "the dashboard's figures are unchanged by the purge" test "$before" = "$after"

# --- the buyer: /my/ads and the slot's own page --------------------------------------
web 1 /my/ads -b "$(jar "$B")" -o "$IT_TMP/ads.html"
links=$(grep -o 'href="/my/slots/[0-9]*/[0-9]*"' "$IT_TMP/ads.html" | sort | tr '\n' ' ')
want=$(printf 'href="/my/slots/%s"\n' "$C1/0" "$C1/1" "$C2/0" | sort | tr '\n' ' ')
check "/my/ads shows the ad's 3 slots, each linking to its slot page" test "$links" = "$want"
check "/my/ads renders whole (no template text left)" bash -c "! grep -q '}}' '$IT_TMP/ads.html'"
PAID=$(psql_abc -c "SELECT sum(price) FROM slots WHERE ad_id = $AD")
check "/my/ads shows the price paid in all and the impressions and clicks (1511, 12)" \
    grep -q "<td class=\"num\">3</td><td class=\"num\">$(btc "$PAID")</td><td class=\"num\">1511</td><td class=\"num\">12</td><td class=\"num\">0.79%</td>" "$IT_TMP/ads.html"
slot_code() { web 1 "/my/slots/$2" -b "$(jar "$1")" -o "$IT_TMP/slot.html" -w '%{http_code}'; }
check "the buyer's slot page: 200" test "$(slot_code "$B" "$C1/0")" = 200
check "...shows the campaign, the ad, the price paid and the figures" bash -c "
    grep -q 'One $RUN' '$IT_TMP/slot.html' && grep -q 'hover $RUN' '$IT_TMP/slot.html' &&
    grep -q '$(btc "$(psql_abc -c "SELECT price FROM slots WHERE campaign_id = $C1 AND idx = 0")") BTC' '$IT_TMP/slot.html' &&
    grep -q 'data-fig=\"slot-impressions\">1500<' '$IT_TMP/slot.html' &&
    grep -q 'data-fig=\"slot-ctr\">0.67%<' '$IT_TMP/slot.html' && grep -q 'class=\"daychart\"' '$IT_TMP/slot.html'"
SJ=$(web 1 "/my/slots/$C1/0.json" -b "$(jar "$B")")
echo "  slot json: $(jq -c 'del(.days)' <<<"$SJ")"
check "its JSON twin: 1500 impressions, 10 clicks, CTR 0.67%, 1 minute seen (not the 2 before), seen / so far" \
    test "$(jq -r '[.impressions, .clicks, .ctr, .minutes_seen, (.seen == (if .minutes_so_far > 0 then
        "\([(.minutes_seen * 100 / .minutes_so_far | floor), 100] | min)%" else "–" end))] | @csv' <<<"$SJ")" \
    = '1500,10,"0.67%",1,true'
check "another user gets 404 for the buyer's slot page" test "$(slot_code "$O" "$C1/0")" = 404
check "...and for its JSON" test "$(slot_code "$O" "$C1/0.json")" = 404
check "the seller too (it is the buyer's page)" test "$(slot_code "$S" "$C1/0")" = 404
check "a slot not sold: 404" test "$(slot_code "$B" "$C1/7")" = 404
check "a malformed slot path: 404" test "$(slot_code "$B" "$C1/01")$(slot_code "$B" "0/0")$(slot_code "$B" "$C1/x")" = 404404404
check "no session: to the login page (303)" \
    test "$(web 1 "/my/slots/$C1/0" -o /dev/null -w '%{http_code}')" = 303

# --- bounded: the 50 newest campaigns, "more" beyond ---------------------------------
psql_abc -q -c "INSERT INTO campaigns (seller_id, name, description, width, height, min_price, slot_ms)
    SELECT u.id, 'bulk $RUN ' || g, '', 300, 250, 100000, 3600000 FROM users u, generate_series(1, 60) g
    WHERE u.username = '$S'"
t0=$(now_ms)
n=$(web 1 /my/campaigns.json -b "$(jar "$S")" | jq -c '[(.campaigns | length), .more]')
echo "  /my/campaigns.json with 63 campaigns: $(($(now_ms) - t0)) ms"
check "63 campaigns: the JSON lists 50 and says there are more" test "$n" = "[50,true]"
web 1 /my/campaigns -b "$(jar "$S")" -o "$IT_TMP/mine.html"
check "...the page too (50 rows, a note)" bash -c "test \$(grep -c '^<tr><td><a href=\"/c/' '$IT_TMP/mine.html') -eq 50 &&
    grep -q 'Your 50 newest campaigns are shown' '$IT_TMP/mine.html'"

it_done
