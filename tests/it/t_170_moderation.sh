#!/usr/bin/env bash
# Moderation by the seller (issue 15): with approval required a purchase is held in escrow
# and waits on /my/approvals; a rejection (with a reason, shown to the buyer) refunds the
# buyer in full exactly once (replayed with the same idem, and across an abc-worker SIGKILL
# while the review is in flight), the later slot moves up by the time freed, and prices stay;
# an ad not reviewed within the review time runs and the seller is paid; a blocked buyer or
# ad is refused.  The ledger invariants (sql/admin/check_invariants.sql) hold after each.
# Needs the stack started with ABC_ALLOW_SHORT_SLOTS=yes (review times in seconds).
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="mo$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

q() { psql_abc -c "$1"; }
slot_col() { q "SELECT $3 FROM slots WHERE campaign_id = $1 AND idx = $2"; }
refunds_of() { q "SELECT count(*) FROM ledger_transfers WHERE kind = 'slot_refund' AND reference = '$1:$2'"; }
uid_of() { q "SELECT id FROM users WHERE username = '$1'"; }
# post_form NAME PATH DATA OUT: a POST of the seller's page; prints "status location".
post_form() {
    web any "$2" -b "$(jar "$1")" -o "$4" -w '%{http_code} %{redirect_url}' --data "$3"
}
# settings NAME CID SECONDS: requires approval with that review time; prints the status.
settings() {
    local c
    c=$(csrf_of "$(jar "$1")" any)
    post_form "$1" /my/approvals/settings \
        "csrf=$c&idem=$(new_idem)&id=$2&requires_approval=1&review_minutes=1&review_seconds=$3" \
        "$IT_TMP/settings.$1" | cut -d' ' -f1
}
# buyer NAME: registers, uploads an ad "ad_NAME", funds 1 BTC.
buyer() {
    [[ "$(register "$1" any)" == 303 ]] || return 1
    [[ "$(upload "$1" any "ad_$1" "hover $1" "https://example.com/$1" "$IMG/gif_300x250.gif")" == 200 ]] || return 1
    fund "$1" "$FUND"
}
# buy_next NAME CID: buys the slot for sale now with NAME's ad; prints "status location".
buy_next() {
    local form
    form=$(confirm "$1" any "$2" "$(ad_of "ad_$1")") || return 1
    buy "$1" any "$2" "$form" "$IT_TMP/buy.$1"
}

SELLER="s_$RUN"
A="a_$RUN" B="b_$RUN" C="c_$RUN" D="d_$RUN" E="e_$RUN"
check "a seller registers" test "$(register "$SELLER" any)" = 303
for u in "$A" "$B" "$C" "$D" "$E"; do
    check "buyer $u registers, uploads an ad, is funded" buyer "$u"
done

# --- 1. approval required: the purchase waits in escrow, shown to the seller -----------
CID=$(sell "$SELLER" any "Mod+$RUN" 0.001 slot_seconds=40)
check "the seller creates a campaign (40 s slots)" test -n "$CID"
check "the seller requires approval, 600 s to review (303)" test "$(settings "$SELLER" "$CID" 600)" = 303
# The liveness share (issue 15's embed guarantee) is a setting of the same form.
live() { # NAME CID PCT: the settings form with a liveness share; prints the status.
    local c
    c=$(csrf_of "$(jar "$1")" any)
    post_form "$1" /my/approvals/settings \
        "csrf=$c&idem=$(new_idem)&id=$2&requires_approval=1&review_minutes=1&review_seconds=600&liveness_pct=$3" \
        "$IT_TMP/live.$1" | cut -d' ' -f1
}
lv() { psql_abc -c "SELECT coalesce(liveness_pct, -1) FROM campaigns WHERE id = $CID"; }
check "the seller sets the liveness share to 80% (303)" test "$(live "$SELLER" "$CID" 80)" = 303
check "...stored ($(lv))" test "$(lv)" = 80
check "...a share over 100 is refused ($(live "$SELLER" "$CID" 101))" test "$(lv)" = 80
shows_lv() {
    web any /my/approvals -b "$(jar "$SELLER")" >"$IT_TMP/approvals.lv"
    grep -q 'name="liveness_pct" value="80"' "$IT_TMP/approvals.lv"
}
check "...the settings form shows it" shows_lv
check "...stored" test "$(q "SELECT requires_approval || ':' || review_ms FROM campaigns WHERE id = $CID")" = "true:600000"
for u in "$A" "$B" "$C"; do
    out=$(buy_next "$u" "$CID")
    check "$u buys the next slot (303: $out)" test "${out%% *}" = 303
done
P0=$(slot_col "$CID" 0 price) P1=$(slot_col "$CID" 1 price) P2=$(slot_col "$CID" 2 price)
check "the three slots are pending" test "$(q "SELECT string_agg(review, ',' ORDER BY idx) FROM slots WHERE campaign_id = $CID")" = "pending,pending,pending"
check "A paid the price in full ($P0)" test "$(balance "$A")" = $((FUND - P0))
check "...the seller has nothing yet (held in escrow)" test "$(balance "$SELLER")" = 0
check "...the escrow holds the three prices" test "$(q "SELECT balance FROM ledger_accounts WHERE kind = 'escrow'")" -ge $((P0 + P1 + P2))
web any /my/approvals -b "$(jar "$SELLER")" -o "$IT_TMP/appr"
check "/my/approvals shows the seller the three pending slots" test "$(grep -c "data-campaign=\"$CID\"" "$IT_TMP/appr")" = 3
check "...with A's ad" grep -q "ad_$A" "$IT_TMP/appr"
web any "/embed/$CID" -o "$IT_TMP/embed"
check "/embed does not show A's pending ad" bash -c "! grep -q 'alt=\"ad_$A\"' '$IT_TMP/embed'"
check "invariants hold with slots in escrow" invariants

# --- 2. reject slot 0 with a reason: A refunded once, slot 1 moves up -------------------
S1=$(slot_col "$CID" 1 start_ms) E0=$(slot_col "$CID" 0 end_ms)
c=$(csrf_of "$(jar "$SELLER")" any)
REJ="csrf=$c&idem=$(new_idem)&campaign=$CID&slot=0&reason=Not+for+my+readers+$RUN"
t_rej=$(now_ms)
out=$(post_form "$SELLER" /my/approvals/review "$REJ" "$IT_TMP/rej")
check "the seller rejects slot 0 with a reason (303: $out)" test "${out%% *}" = 303
check "A is refunded in full" test "$(balance "$A")" = "$FUND"
check "...by exactly one refund transfer" test "$(refunds_of "$CID" 0)" = 1
check "slot 0 is rejected, the reason kept" test "$(slot_col "$CID" 0 "review || ':' || reject_reason")" = "rejected:Not for my readers $RUN"
S1b=$(slot_col "$CID" 1 start_ms)
freed=$((S1 - S1b))
check "slot 1 moved up (by $freed ms) and starts when slot 0 now ends" \
    test "$freed" -gt 0 -a "$S1b" = "$(slot_col "$CID" 0 end_ms)"
check "...by slot 0's remaining time (freed <= $((E0 - t_rej + 1000)))" test "$freed" -le $((E0 - t_rej + 1000))
check "prices unchanged" test "$(slot_col "$CID" 0 price):$(slot_col "$CID" 1 price):$(slot_col "$CID" 2 price)" = "$P0:$P1:$P2"
check "no index sold twice, 3 slots" test "$(q "SELECT slots_sold FROM campaigns WHERE id = $CID")" = 3
web any /account/history -b "$(jar "$A")" -o "$IT_TMP/hist_a"
check "A's history shows the rejection and its reason" grep -q "Not for my readers $RUN" "$IT_TMP/hist_a"
check "invariants hold after the rejection" invariants
out=$(post_form "$SELLER" /my/approvals/review "$REJ" "$IT_TMP/rej2")
check "the same reject sent again (same idem): 303 ($out)" test "${out%% *}" = 303
check "...still exactly one refund, A's balance unchanged" \
    test "$(refunds_of "$CID" 0):$(balance "$A")" = "1:$FUND"
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/review "csrf=$c&idem=$(new_idem)&campaign=$CID&slot=0&approve=1" "$IT_TMP/rej3")
check "approving the rejected slot with a new idem is refused (409: $out)" test "${out%% *}" = 409
check "...no payout for it" test "$(q "SELECT count(*) FROM ledger_transfers WHERE kind IN ('escrow_release', 'fee') AND reference = '$CID:0'")" = 0

# --- 3. reject slot 1 while abc-worker is SIGKILLed mid-way: refunded once ---------------
# A psql session holds the campaign's row lock, so camp_review waits inside its transaction;
# abc-worker is killed then; the lock is let go; the form is sent again until it answers.
q "SELECT 1" >/dev/null
(psql_abc -q -c "BEGIN; SELECT 1 FROM campaigns WHERE id = $CID FOR UPDATE; SELECT pg_sleep(3); COMMIT;" \
    >/dev/null 2>&1) &
HOLD=$!
sleep 0.5
c=$(csrf_of "$(jar "$SELLER")" any)
REJ1="csrf=$c&idem=$(new_idem)&campaign=$CID&slot=1&reason=Killed+$RUN"
(post_form "$SELLER" /my/approvals/review "$REJ1" "$IT_TMP/rejk" >"$IT_TMP/rejk_code" || true) &
POSTER=$!
in_review() { test "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT camp_review(%' AND wait_event_type = 'Lock'")" -ge 1; }
check "the review waits on the campaign's lock inside the database" wait_until 5 in_review
check "abc-worker is killed with SIGKILL while the review is in flight" kill_proc worker KILL
wait "$HOLD" || true
check "abc-worker is started again" start_proc worker
wait "$POSTER" || true
echo "  the POST in flight answered: $(cat "$IT_TMP/rejk_code")"
resend() { [[ "$(post_form "$SELLER" /my/approvals/review "$REJ1" "$IT_TMP/rejk2")" == "303 "* ]]; }
check "the same form sent again answers 303" wait_until 30 resend
check "B is refunded in full, by exactly one refund" test "$(refunds_of "$CID" 1):$(balance "$B")" = "1:$FUND"
check "slot 2 starts when slot 1 now ends" test "$(slot_col "$CID" 2 start_ms)" = "$(slot_col "$CID" 1 end_ms)"
check "invariants hold after the SIGKILL" invariants

# --- 4. an ad not reviewed within the review time runs; the seller is paid -------------
CID2=$(sell "$SELLER" any "Auto+$RUN" 0.001 slot_seconds=60)
check "a second campaign, approval with 3 s to review (303)" test "$(settings "$SELLER" "$CID2" 3)" = 303
before=$(balance "$SELLER")
out=$(buy_next "$D" "$CID2")
check "D buys its slot 0 (303: $out)" test "${out%% *}" = 303
PD=$(slot_col "$CID2" 0 price) FD=$(slot_col "$CID2" 0 fee)
web any "/embed/$CID2" -o "$IT_TMP/embed2"
check "/embed does not show D's ad before the review time" bash -c "! grep -q 'alt=\"ad_$D\"' '$IT_TMP/embed2'"
auto() { test "$(slot_col "$CID2" 0 review)" = auto; }
check "after 3 s unreviewed, the slot is approved by the deadline" wait_until 15 auto
check "...the seller is paid price - fee once ($PD - $FD)" test "$(balance "$SELLER")" = $((before + PD - FD))
shows_d() { web any "/embed/$CID2" -o "$IT_TMP/embed3" && grep -q "alt=\"ad_$D\"" "$IT_TMP/embed3"; }
check "...and /embed shows D's ad" wait_until 5 shows_d
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/review "csrf=$c&idem=$(new_idem)&campaign=$CID2&slot=0&reason=late" "$IT_TMP/late")
check "rejecting it after the review time is refused (409: $out)" test "${out%% *}" = 409
check "invariants hold after the deadline" invariants

# --- 5. blocks: a blocked buyer, a blocked ad --------------------------------------------
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/block "csrf=$c&idem=$(new_idem)&kind=buyer&target=$(uid_of "$E")" "$IT_TMP/blk")
check "the seller blocks buyer E (303: $out)" test "${out%% *}" = 303
out=$(buy_next "$E" "$CID2" || true)
check "E's purchase is refused (403: $out)" test "${out%% *}" = 403
check "...saying so" grep -q "does not accept this ad or this buyer" "$IT_TMP/buy.$E"
check "...nothing charged" test "$(balance "$E")" = "$FUND"
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/block "csrf=$c&idem=$(new_idem)&kind=ad&target=$(ad_of "ad_$C")" "$IT_TMP/blk2")
check "the seller blocks C's ad (303: $out)" test "${out%% *}" = 303
out=$(buy_next "$C" "$CID2" || true)
check "a purchase with C's ad is refused (403: $out)" test "${out%% *}" = 403
web any /my/approvals -b "$(jar "$SELLER")" -o "$IT_TMP/appr2"
check "/my/approvals lists both blocks" test "$(grep -c 'value="1">Unblock<' "$IT_TMP/appr2")" = 2
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/block "csrf=$c&idem=$(new_idem)&kind=buyer&target=$(uid_of "$E")&unblock=1" "$IT_TMP/blk3")
check "the seller unblocks E (303: $out)" test "${out%% *}" = 303
out=$(buy_next "$E" "$CID2")
check "E can buy again (303: $out)" test "${out%% *}" = 303
# A seller holds at most 1 000 blocks (seller_block), so /my/approvals stays within a
# link frame: 999 more are stored straight in the table, then one more through the page
# makes 1 000 and the next is refused, nothing stored.
seller_id=$(uid_of "$SELLER")
psql_abc -q -c "INSERT INTO seller_blocks (seller_id, kind, target)
    SELECT $seller_id, 'ad', -i FROM generate_series(1, 1000) i
    WHERE (SELECT count(*) FROM seller_blocks WHERE seller_id = $seller_id) + i <= 999" >/dev/null
blocks() { psql_abc -c "SELECT count(*) FROM seller_blocks WHERE seller_id = $seller_id"; }
check "the seller holds 999 blocks ($(blocks))" test "$(blocks)" = 999
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/block "csrf=$c&idem=$(new_idem)&kind=buyer&target=$(uid_of "$E")" "$IT_TMP/blk5")
check "the 1000th block is taken (303: $out)" test "${out%% *}" = 303 -a "$(blocks)" = 1000
c=$(csrf_of "$(jar "$SELLER")" any)
out=$(post_form "$SELLER" /my/approvals/block "csrf=$c&idem=$(new_idem)&kind=buyer&target=$(uid_of "$D")" "$IT_TMP/blk6")
check "the 1001st is refused (409: $out), nothing stored ($(blocks))" \
    test "${out%% *}" = 409 -a "$(blocks)" = 1000
check "...saying why" grep -q "You block 1000 buyers and ads already" "$IT_TMP/blk6"
code=$(web any /my/approvals -b "$(jar "$SELLER")" -o "$IT_TMP/appr3" -w '%{http_code}')
check "/my/approvals lists the 1000 blocks ($code)" \
    test "$code" = 200 -a "$(grep -c 'value="1">Unblock<' "$IT_TMP/appr3")" = 1000
psql_abc -q -c "DELETE FROM seller_blocks WHERE seller_id = $seller_id AND target < 0" >/dev/null
out=$(post_form "$SELLER" /my/approvals/block "idem=$(new_idem)&kind=buyer&target=1" "$IT_TMP/blk4")
check "a block without the CSRF token is refused (403: $out)" test "${out%% *}" = 403
check "invariants hold at the end" invariants
it_done
