#!/usr/bin/env bash
# The per-user cache of abc-web (issue 12, c3): a logged-in campaign page reads the viewer's
# ads from abc-web's memory, not from abc-worker, and a user who uploads an ad through one
# abc-web sees it on the very next page through either abc-web (read-your-writes, SPEC 6):
# the worker's "account_changed" notice drops everything cached for that user on both.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="uc$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

metric() { web "$1" /metrics | awk -v k="$2" '$1 == k { print $2 }'; }
# ads_on VIA: the ads the campaign page offers the user, through abc-web VIA.
ads_on() {
    web "$1" "/c/$CID" -b "$(jar "$U")" -o "$IT_TMP/page.$1"
    { grep -o '<option value="[0-9]*">[^<]*</option>' "$IT_TMP/page.$1" || true; } |
        sed 's/.*">//; s/<.*//' | sort | tr '\n' ' '
}

SELLER="s_$RUN"
U="u_$RUN"
check "a seller and a user register" test "$(register "$SELLER" 1)$(register "$U" 2)" = 303303
CID=$(sell "$SELLER" 1 "Users+$RUN" 0.001 slot_hours=1)
check "a campaign of 300 x 250 is created" test -n "$CID"
check "the user uploads ad one through #1" test "$(upload "$U" 1 "one$RUN" "hover" \
    "https://example.com/" "$IMG/gif_300x250.gif")" = 200

# --- 1. a logged-in campaign page is served from abc-web's memory -------------
# (PostgreSQL's own notice of the upload, relayed by abc-worker's listener, may come a
# moment after the reply and drop the user's entries once more: let it pass first.)
sleep 1
for via in 1 2; do
    check "the page through #$via offers ad one" test "$(ads_on "$via")" = "one$RUN "
done
# views VIA N: N logged-in views of the campaign page through abc-web VIA, on one connection.
views() {
    local urls=() i
    for i in $(seq 1 "$2"); do urls+=(-o /dev/null "http://localhost/c/$CID"); done
    curl -s --max-time 20 --unix-socket "$ABC_STATE/run/http-web$1.sock" -b "$(jar "$U")" "${urls[@]}"
}
for via in 1 2; do
    h0=$(metric "$via" abc_web_cache_hits_total)
    m0=$(metric "$via" abc_web_cache_misses_total)
    views "$via" 20
    h1=$(metric "$via" abc_web_cache_hits_total)
    m1=$(metric "$via" abc_web_cache_misses_total)
    echo "  #$via: 20 logged-in views: $((h1 - h0)) cache hits, $((m1 - m0)) misses"
    # Two cache reads a view: the campaign's record that is the same for everyone (fresh
    # for 100 ms: a hit or a miss; a miss reads the campaign too, one more read), and the
    # viewer's fitting ads (without their cache they would go to abc-worker: no read). The
    # ads are hits, but for an entry that reached its 5 s age meanwhile (fetched again
    # once at most, which reads their page of ads too).
    reads=$((h1 - h0 + m1 - m0))
    check "20 logged-in views through #$via: 40 cache reads and one more per miss, at least 38 hits" \
        test "$reads" -ge 40 -a "$reads" -le $((40 + 2 * (m1 - m0))) -a $((h1 - h0)) -ge 38
done

# --- 2. read-your-writes on both abc-web ------------------------------------
# prime VIA...: fresh entries of the user's ads on each abc-web VIA.  An entry is fetched
# again after 5 s (a hit does not renew it), so this waits for that age first: the entries
# are then younger than the steps below take, and only a dropped one is fetched again.
prime() {
    local via
    sleep 5.2
    for via in "$@"; do ads_on "$via" >/dev/null; done
}
prime 1 2 # both hold the list of one ad now
check "the user uploads ad two through #1" test "$(upload "$U" 1 "two$RUN" "hover" \
    "https://example.com/" "$IMG/gif_300x250.gif")" = 200
check "the very next page through #2 offers ad two" test "$(ads_on 2)" = "one$RUN two$RUN "
check "...and through #1" test "$(ads_on 1)" = "one$RUN two$RUN "
prime 1
check "the user uploads ad three through #2" test "$(upload "$U" 2 "three$RUN" "hover" \
    "https://example.com/" "$IMG/gif_300x250.gif")" = 200
check "the very next page through #1 offers ad three" \
    test "$(ads_on 1)" = "one$RUN three$RUN two$RUN "

it_done
