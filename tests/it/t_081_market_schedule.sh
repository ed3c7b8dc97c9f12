#!/usr/bin/env bash
# The market's slot schedule (issue 6): with 3-second slots, three purchases
# by three buyers queue back to back (start_k = end_{k-1} in /api), the prices
# follow the formula of SPEC 4.4, /embed shows each ad during its own
# [start, end) window and then "Your ad here", and the price is back to the
# minimum once the queue has run out.  Needs ABC_ALLOW_SHORT_SLOTS=yes.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="q$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

SELLER="s_$RUN"
check "the seller registers (303)" test "$(register "$SELLER" 1)" = 303
CID=$(sell "$SELLER" 2 "Schedule+$RUN" 0.0001 slot_seconds=3) || true
check "a campaign with 3-second slots (303 to /c/$CID)" test -n "$CID"
if [[ -z "$CID" ]]; then
    echo "  (3-second slots need ABC_ALLOW_SHORT_SLOTS=yes in the environment of abc-web AND abc-worker)"
    it_done
    exit 1
fi
check "...slot_ms 3000, min_price 10000 sat" \
    test "$(psql_abc -c "SELECT slot_ms || ' ' || min_price FROM campaigns WHERE id = $CID")" = "3000 10000"
files=("$IMG/gif_300x250.gif" "$IMG/jpeg_baseline_300x250.jpg" "$IMG/gif_300x250.gif")
for k in 0 1 2; do
    n="b${k}_$RUN"
    [[ "$(register "$n" $((k % 2 + 1)))" == 303 ]] || echo "  register $n failed"
    [[ "$(upload "$n" $((k % 2 + 1)) "ad$k-$RUN" "hover $k" "https://example.com/$k" "${files[$k]}")" == 200 ]] ||
        echo "  upload for $n failed"
    fund "$n" "$FUND"
done
check "three buyers with a 300x250 ad each and 1 BTC" \
    test "$(psql_abc -c "SELECT count(*) FROM ads a JOIN users u ON u.id = a.user_id JOIN ledger_accounts l ON l.user_id = u.id WHERE u.username LIKE 'b_\\_$RUN' AND l.balance = $FUND")" = 3

# /embed every ~250 ms, alternating the processes, in the background: from before the
# first purchase (on a loaded machine the three purchases took 4.5 s, and slot 0, 3 s
# long, was over before a poller started after them could see it) until 2.5 s after the
# last slot's end, which the test writes to poll_stop once /api has told it (30 s at most).
poll_embed() {
    local i=0 a b label refresh stop cap=$(($(now_ms) + 30000))
    : >"$IT_TMP/samples"
    while :; do
        a=$(now_ms)
        stop=$(cat "$IT_TMP/poll_stop" 2>/dev/null || true)
        ((a < ${stop:-$cap} && a < cap)) || break
        web $((i % 2 + 1)) "/embed/$CID" -o "$IT_TMP/embed"
        b=$(now_ms)
        label=$({ grep -o 'alt="[^"]*"' "$IT_TMP/embed" || true; } | head -1 | sed 's/alt="//; s/"$//')
        grep -q 'class="free"[^>]*>Your ad here<' "$IT_TMP/embed" && label="${label:-free}"
        refresh=$({ grep -o 'http-equiv="refresh" content="[0-9]*"' "$IT_TMP/embed" || true; } | sed 's/.*content="//; s/"//')
        echo "$a $b ${label:-none} ${refresh:-none}" >>"$IT_TMP/samples"
        i=$((i + 1))
        sleep 0.25
    done
}

# Three purchases back to back, alternating the processes.
rm -f "$IT_TMP/poll_stop"
poll_embed &
poller=$!
bought=0
for k in 0 1 2; do
    n="b${k}_$RUN"
    via=$((k % 2 + 1))
    form=$(confirm "$n" "$via" "$CID" "$(ad_of "ad$k-$RUN")") || continue
    out=$(buy "$n" "$via" "$CID" "$form" /dev/null)
    if [[ "$out" == "303 "*"?bought=$k" ]]; then bought=$((bought + 1)); else echo "  purchase $k: $out"; fi
done
check "three purchases, slots 0, 1, 2 (303 each, $bought/3)" test "$bought" -eq 3
web 2 "/api/c/$CID.json" -o "$IT_TMP/api.json"
# A summary of the queue from /api: "idx bought start end price nickname" per line.
python3 - "$IT_TMP/api.json" >"$IT_TMP/queue" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["slots"]:
    print(s["idx"], s["bought_ms"], s["start_ms"], s["end_ms"], s["price"], s["nickname"])
PY
sed 's/^/  slot /' "$IT_TMP/queue"
echo $(($(awk '$1 == 2 { print $4 }' "$IT_TMP/queue" | grep . || echo 0) + 2500)) >"$IT_TMP/poll_stop.new"
mv "$IT_TMP/poll_stop.new" "$IT_TMP/poll_stop" # whole, never half-written, for the poller
check "/api lists the three slots" test "$(wc -l <"$IT_TMP/queue")" -eq 3
q() { awk -v i="$1" -v f="$2" '$1 == i { print $f; n++ } END { if (!n) print 0 }' "$IT_TMP/queue"; }
check "slot 0 starts when bought and lasts 3 s" test "$(q 0 3)" = "$(q 0 2)" -a $(($(q 0 4) - $(q 0 3))) -eq 3000
check "start_1 = end_0" test "$(q 1 3)" = "$(q 0 4)"
check "start_2 = end_1" test "$(q 2 3)" = "$(q 1 4)"
check "slots 1 and 2 last 3 s" test $(($(q 1 4) - $(q 1 3))) -eq 3000 -a $(($(q 2 4) - $(q 2 3))) -eq 3000
check "slots are in the order bought, with the buyers' ads" \
    test "$(awk '{ print $6 }' "$IT_TMP/queue" | tr '\n' ' ')" = "ad0-$RUN ad1-$RUN ad2-$RUN "
check "/api agrees with the slots table" test "$(psql_abc -c "SELECT string_agg(idx || ' ' || bought_ms || ' ' || start_ms || ' ' || end_ms || ' ' || price, ',' ORDER BY idx) FROM slots WHERE campaign_id = $CID")" = "$(awk '{ print $1, $2, $3, $4, $5 }' "$IT_TMP/queue" | paste -sd,)"
# formula K: the price of slot K from slot K-1, as SPEC 4.4 says (exact integers).
formula() {
    python3 - "$(q $(($1 - 1)) 5)" "$(q $(($1 - 1)) 2)" "$(q $(($1 - 1)) 4)" "$(q "$1" 2)" 10000 <<'PY'
import sys
p, t0, t1, t, m = map(int, sys.argv[1:])
if t >= t1:
    print(m)
else:
    num = 2 * p * (t1 - t0) - (2 * p - m) * (t - t0)
    print(max(m, min(-(-num // (t1 - t0)), 21000000 * 100000000)))
PY
}
check "slot 0 cost min_price" test "$(q 0 5)" = 10000
check "slot 1 cost the formula's price at its purchase time ($(q 1 5) = $(formula 1))" test "$(q 1 5)" = "$(formula 1)"
check "slot 2 cost the formula's price at its purchase time ($(q 2 5) = $(formula 2))" test "$(q 2 5)" = "$(formula 2)"
check "every buyer paid their slot's price" \
    test "$(psql_abc -c "SELECT count(*) FROM slots s JOIN ledger_accounts l ON l.user_id = s.buyer_id WHERE s.campaign_id = $CID AND l.balance = $FUND - s.price")" = 3

end2=$(q 2 4)
wait "$poller" || true
echo "  $(wc -l <"$IT_TMP/samples") /embed samples from $(($(head -1 "$IT_TMP/samples" | cut -d' ' -f1) - $(q 0 3))) ms after the start of slot 0 to $(($(tail -1 "$IT_TMP/samples" | cut -d' ' -f1) - end2)) ms after the end of slot 2"
awk -v s0="$(q 0 3)" '{ printf "  +%5d ms %s (refresh %s)\n", $1 - s0, $3, $4 }' "$IT_TMP/samples" |
    uniq -f 2 -c | sed 's/^ */  /' | head -20
# verdict: every sample shows what was due at some moment of its request.
python3 - "$IT_TMP/queue" "$IT_TMP/samples" "$RUN" >"$IT_TMP/verdict" <<'PY' || true
import sys
q = [l.split() for l in open(sys.argv[1])]
win = {s[5]: (int(s[2]), int(s[3])) for s in q}
end = max(e for _, e in win.values())
bad, seen, free_after, ads_after, refresh_bad = [], set(), 0, 0, []
for l in open(sys.argv[2]):
    a, b, label, refresh = l.split()
    a, b = int(a), int(b)
    if label in win:
        s, e = win[label]
        if not (s <= b and a < e):
            bad.append(f"{label} at {a}-{b} outside [{s},{e})")
        # the page reloads at its slot's end, within a second
        if refresh == "none" or not (e - b) / 1000 - 1 <= int(refresh) <= (e - a) / 1000 + 1:
            refresh_bad.append(f"{label} refresh {refresh} at {a}, end {e}")
        seen.add(label)
    elif label == "free":
        if not any(a < e2 and s2 <= b for s2, e2 in win.values()) or a >= end:
            pass
        if any(s2 <= a and b < e2 for s2, e2 in win.values()):
            bad.append(f"free at {a}-{b} inside a slot")
        if a >= end:
            free_after += 1
    else:
        bad.append(f"unknown display '{label}' at {a}")
    if a >= end and label != "free":
        ads_after += 1
print("bad=" + ";".join(bad))
print("seen=" + " ".join(sorted(seen)))
print(f"free_after={free_after}")
print(f"ads_after={ads_after}")
print("refresh_bad=" + ";".join(refresh_bad))
PY
v() { sed -n "s/^$1=//p" "$IT_TMP/verdict"; }
[[ -z "$(v bad)" ]] || echo "  $(v bad)"
[[ -z "$(v refresh_bad)" ]] || echo "  $(v refresh_bad)"
check "every /embed sample showed the ad due at that time (none outside its [start, end))" test -z "$(v bad)" -a -s "$IT_TMP/verdict"
check "each of the three ads was on display in turn" test "$(v seen)" = "ad0-$RUN ad1-$RUN ad2-$RUN"
check "'Your ad here' after the last slot ended" test "$(v free_after)" -ge 2
check "...and no ad after the last slot ended" test "$(v ads_after)" = 0
check "while an ad shows, /embed reloads itself at its slot's end" test -z "$(v refresh_bad)" -a -s "$IT_TMP/verdict"
web 1 "/api/c/$CID.json" -o "$IT_TMP/api2.json"
check "once the queue has run out the price is min_price again" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["price_now"] == 10000 and d["price_now_btc"] in ("0.0001", "0.00010000") else 1)' "$IT_TMP/api2.json"
web 2 "/c/$CID" -o "$IT_TMP/page"
check "the campaign page lists the three slots as done" test "$(grep -c '<td>done</td>' "$IT_TMP/page")" -eq 3
check "...and shows nothing on display" grep -q 'this space is free' "$IT_TMP/page"
check "ledger invariants hold" invariants
it_done
