#!/usr/bin/env bash
# A logged-in campaign page is made from the campaign record's frame (issue 12, row c3: the
# page rendered once for every logged-in viewer but the seller, cut where viewers differ):
# byte for byte the page rendered whole for the same viewer (a query makes abc-web render it
# whole), with each viewer's own name, CSRF token and ads and no one else's, viewers taking
# turns on one abc-web; the seller's page (rendered whole) shows the embed snippet.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="fr$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

# A frame that cannot be made is logged (event=campaign_frame) and the page rendered whole:
# right, but not what this test is about.
frame_warnings() { cat "$ABC_LOG"/web*.log 2>/dev/null | grep -c 'event=campaign_frame' || true; }
WARN0="$(frame_warnings)"

SELLER="s_$RUN"
BUYER="b_$RUN"
OTHER="o_$RUN"
check "a seller and two viewers register" \
    test "$(register "$SELLER" 1)$(register "$BUYER" 1)$(register "$OTHER" 1)" = 303303303
CID=$(sell "$SELLER" 1 "Frame+$RUN" 0.001 slot_hours=1)
check "a campaign is created" test -n "$CID"
check "the buyer uploads an ad" test "$(upload "$BUYER" 1 "nick$RUN" "hover" "https://example.com/" \
    "$IMG/gif_300x250.gif")" = 200

# page NAME [QUERY] > FILE: the campaign page for NAME through abc-web #1.
page() { web 1 "/c/$CID$2" -b "$(jar "$1")"; }
csrf_in() { { grep -o 'name="csrf" value="[^"]*"' "$1" || true; } | head -1; }

# The frame and the whole page agree once both come from one record (it lasts 100 ms).
same=0
for _ in $(seq 1 20); do
    page "$BUYER" "" >"$IT_TMP/framed"
    page "$BUYER" "?whole=1" >"$IT_TMP/whole"
    if cmp -s "$IT_TMP/framed" "$IT_TMP/whole"; then
        same=1
        break
    fi
done
check "the buyer's page from the frame is the page rendered whole, byte for byte" test "$same" = 1
check "...it names the buyer" grep -q "Signed in as $BUYER\"" "$IT_TMP/framed"
check "...offers the buyer's ad" grep -q ">nick$RUN</option>" "$IT_TMP/framed"
check "...carries a CSRF token" test -n "$(csrf_in "$IT_TMP/framed")"
check "...and no embed snippet (not the seller)" bash -c "! grep -q 'Put this space on your page' '$IT_TMP/framed'"

# Viewers in turn on the same abc-web, the same record: each sees their own.
page "$OTHER" "" >"$IT_TMP/other"
page "$BUYER" "" >"$IT_TMP/buyer2"
check "another viewer's page names them" grep -q "Signed in as $OTHER\"" "$IT_TMP/other"
check "...not the buyer" bash -c "! grep -q '$BUYER' '$IT_TMP/other'"
check "...offers none of the buyer's ads" bash -c "! grep -q 'nick$RUN' '$IT_TMP/other'"
check "...says they have no ad of the size" grep -q "You have no ad of 300 × 250 pixels yet" "$IT_TMP/other"
check "...and has a CSRF token of its own" \
    bash -c "[[ -n \"$(csrf_in "$IT_TMP/other")\" && \"$(csrf_in "$IT_TMP/other")\" != \"$(csrf_in "$IT_TMP/buyer2")\" ]]"
check "the buyer's next page is still theirs" grep -q ">nick$RUN</option>" "$IT_TMP/buyer2"
check "...with the same token as before" test "$(csrf_in "$IT_TMP/buyer2")" = "$(csrf_in "$IT_TMP/framed")"

# The seller's page is rendered whole: their snippet, their name.
page "$SELLER" "" >"$IT_TMP/seller"
check "the seller's page shows the embed snippet" grep -q 'Put this space on your page' "$IT_TMP/seller"
check "...and names the seller" grep -q "Signed in as $SELLER\"" "$IT_TMP/seller"
check "every record had its frame (no event=campaign_frame logged)" test "$(frame_warnings)" = "$WARN0"
it_done
