#!/usr/bin/env bash
# The microcache at the edge (issue 12): nginx keeps anonymous pages that abc-web marks as
# the same for everyone for the current 100 ms; a page with a session is never kept nor
# served from it; nothing kept sets a cookie; a purchase shows on the anonymous page 110 ms
# after it was answered, and the buyer sees it at once.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="mc$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

# anon PATH: an anonymous GET through nginx; headers in $IT_TMP/h, body in $IT_TMP/b.
anon() { curl -s --max-time 10 -D "$IT_TMP/h" -o "$IT_TMP/b" "http://127.0.0.1:$ABC_HTTP_PORT$1"; }
cache_status() { tr -d '\r' <"$IT_TMP/h" | sed -n 's/^X-Microcache: //Ip'; }

SELLER="s_$RUN"
BUYER="b_$RUN"
check "a seller and a buyer register" test "$(register "$SELLER" 1)$(register "$BUYER" 2)" = 303303
CID=$(sell "$SELLER" 1 "Micro+$RUN" 0.001 slot_hours=1)
check "a campaign is created" test -n "$CID"
fund "$BUYER" "$FUND"
check "the buyer uploads an ad" test "$(upload "$BUYER" 2 "nick$RUN" "hover" "https://example.com/" \
    "$IMG/gif_300x250.gif")" = 200

# Anonymous pages are kept: 10 GETs at once (one curl, in parallel) wait on the cache lock
# for the one that reaches abc-web, and the others are answered from the microcache.
burst() {
    local urls=() i
    for i in $(seq 1 10); do urls+=(-o /dev/null "http://127.0.0.1:$ABC_HTTP_PORT$1"); done
    curl -s --max-time 10 -Z --parallel-immediate -D "$IT_TMP/hb" "${urls[@]}" 2>/dev/null || true
    tr -d '\r' <"$IT_TMP/hb" | grep -ci '^X-Microcache: HIT' || true
}
hits=$(burst "/c/$CID")
check "anonymous GET /c/$CID is served from the microcache ($hits of 10 parallel GETs hit)" test "$hits" -gt 0
anon "/c/$CID"
check "a kept page sets no cookie" bash -c "! grep -qi '^set-cookie' '$IT_TMP/h'"
anon "/api/c/$CID.json"
anon "/api/c/$CID.json"
anon "/embed/$CID"
check "the embed may be kept too" grep -qiE '^X-Microcache: (HIT|MISS|EXPIRED|UPDATING)' "$IT_TMP/h"
anon "/login"
check "a page with a form (and a cookie) is never kept" bash -c \
    "grep -qi '^set-cookie' '$IT_TMP/h' && ! grep -qi '^X-Microcache: HIT' '$IT_TMP/h'"
anon "/login"
check "...not even the second time" bash -c "! grep -qi '^X-Microcache: HIT' '$IT_TMP/h'"

# With a session: never from the cache. (The jars hold cookies of "localhost", the name
# market_lib.sh's unix-socket requests use; through nginx's port the cookie goes by hand.)
session_of() { awk '$6 ~ /abc_session$/ {print $6 "=" $7}' "$(jar "$1")" | tail -1; }
mine() { curl -s --max-time 10 -H "Cookie: $(session_of "$BUYER")" "$@" "http://127.0.0.1:$ABC_HTTP_PORT/c/$CID"; }
check "the buyer has a session cookie" test -n "$(session_of "$BUYER")"
for _ in 1 2 3; do
    mine -D "$IT_TMP/h" -o "$IT_TMP/b"
    check "a GET with a session bypasses the microcache" test "$(cache_status)" = BYPASS
done
check "...and shows the logged-in page" grep -q "$BUYER" "$IT_TMP/b"

# A purchase: the buyer sees it at once; anonymous visitors 110 ms after it was answered.
AD=$(ad_of "nick$RUN")
anon "/c/$CID"     # the old page is in the microcache now
check "before: the anonymous page does not show the ad" bash -c "! grep -q 'nick$RUN' '$IT_TMP/b'"
DATA=$(confirm "$BUYER" 2 "$CID" "$AD")
out=$(buy "$BUYER" 2 "$CID" "$DATA" "$IT_TMP/bought")
t_answer=$(now_ms)
check "the purchase is answered 303 ($out)" test "${out%% *}" = 303
mine -o "$IT_TMP/mine"
check "the buyer sees the ad on the page at once" grep -q "nick$RUN" "$IT_TMP/mine"
# Every GET from 110 ms after the answer on shows it; before, it may show the old page.
sleep 0.11
anon "/c/$CID"
check "110 ms after the answer an anonymous GET shows the purchase ($(($(now_ms) - t_answer)) ms)" \
    grep -q "nick$RUN" "$IT_TMP/b"
web 1 "/c/$CID" -o "$IT_TMP/b1"
web 2 "/c/$CID" -o "$IT_TMP/b2"
check "...as both abc-web do" grep -q "nick$RUN" "$IT_TMP/b1" "$IT_TMP/b2"
check "the ledger invariants hold" invariants
it_done
