#!/usr/bin/env bash
# Issue 12, c3: the logged-in campaign page is made from abc-web's caches (the campaign's
# record for everyone, the viewer's fitting ads, the session's CSRF token made once per
# session lookup), and what is the viewer's own never reaches another viewer: each page
# shows its viewer's name, their own CSRF token (the one their session's forms are
# accepted with) and their own ads, also when views of several users interleave and run
# at once through the same abc-web; and a buyer sees their own purchase at once.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="cv$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=100000000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

S="s_$RUN" A="a_$RUN" B="b_$RUN"
check "a seller and two buyers register" \
    test "$(register "$S" 1)$(register "$A" 1)$(register "$B" 2)" = 303303303
CID=$(sell "$S" 1 "Viewers+$RUN" 0.001 slot_hours=1)
check "a campaign of 300 x 250 is created" test -n "$CID"
check "A uploads an ad through #1, B through #2" test \
    "$(upload "$A" 1 "adA$RUN" hover https://example.com/a "$IMG/gif_300x250.gif")$(upload "$B" 2 "adB$RUN" hover https://example.com/b "$IMG/gif_300x250.gif")" = 200200
fund "$A" "$FUND"
# (The database's own notice of an upload may drop the user's entries a moment after the
# reply: let it pass, as t_087 does.)
sleep 1

# What a saved page says: its viewer, its CSRF token, its ads offered, the seller's part.
me_of() { { grep -o 'title="Signed in as [^"]*"' "$1" || true; } | sed 's/.*as //; s/"$//'; }
csrf_in() { field_of "$1" csrf; }
ads_in() {
    { grep -o '<option value="[0-9]*">[^<]*</option>' "$1" || true; } | sed 's/.*">//; s/<.*//' |
        sort | tr '\n' ' '
}
seller_part() { grep -c '<section class="embed">' "$1" || true; }
# page VIA WHO FILE [QUERY]: the campaign page as WHO sees it (anon: no session).
page() {
    if [[ "$2" == anon ]]; then
        web "$1" "/c/$CID${4:-}" -o "$3"
    else
        web "$1" "/c/$CID${4:-}" -b "$(jar "$2")" -o "$3"
    fi
}
# The token each user's page shows first: every later page of theirs must show the same.
declare -A TOKEN
for who in "$S" "$A" "$B"; do
    page 1 "$who" "$IT_TMP/first.$who"
    TOKEN[$who]=$(csrf_in "$IT_TMP/first.$who")
done
check "three sessions, three different CSRF tokens" bash -c \
    "test -n '${TOKEN[$S]}' -a -n '${TOKEN[$A]}' -a -n '${TOKEN[$B]}' -a '${TOKEN[$S]}' != '${TOKEN[$A]}' -a '${TOKEN[$A]}' != '${TOKEN[$B]}' -a '${TOKEN[$S]}' != '${TOKEN[$B]}'"

# right FILE WHO: 0 when the page is WHO's own: their name, token, ads and seller's part.
right() {
    local f="$1" who="$2" want_ads="" want_seller=0
    case "$who" in
    "$A") want_ads="adA$RUN " ;;
    "$B") want_ads="adB$RUN " ;;
    "$S") want_seller=1 ;;
    esac
    grep -q '</html>' "$f" || { echo "  $who: $f is not a whole page" >&2; return 1; }
    if [[ "$who" == anon ]]; then
        [[ -z "$(me_of "$f")" && -z "$(ads_in "$f")" && "$(seller_part "$f")" == 0 ]] &&
            ! grep -q -e "${TOKEN[$A]}" -e "${TOKEN[$B]}" -e "${TOKEN[$S]}" "$f" && return 0
    else
        [[ "$(me_of "$f")" == "$who" && "$(csrf_in "$f")" == "${TOKEN[$who]}" &&
            "$(ads_in "$f")" == "$want_ads" && "$(seller_part "$f")" == "$want_seller" ]] && return 0
    fi
    echo "  $f for $who: me '$(me_of "$f")' csrf '$(csrf_in "$f")' ads '$(ads_in "$f")' seller $(seller_part "$f")" >&2
    return 1
}

# --- 1. interleaved views through both abc-web: each page is its viewer's own ----------
bad=0
for i in $(seq 1 6); do
    for who in "$A" "$B" anon "$S"; do
        via=$((1 + (i % 2)))
        page "$via" "$who" "$IT_TMP/seq.$i.$who"
        right "$IT_TMP/seq.$i.$who" "$who" || bad=$((bad + 1))
    done
done
check "24 interleaved views (A, B, anonymous, seller; both abc-web): each shows its own viewer's name, CSRF token, ads and seller's part" \
    test "$bad" = 0

# --- 2. the same at once: four viewers, 25 views each, in parallel through one abc-web ---
# views_at_once VIA WHO: 25 views on one connection, saved as par.VIA.WHO.N.
views_at_once() {
    local args=() n
    for n in $(seq 1 25); do args+=(-o "$IT_TMP/par.$1.$2.$n" "http://localhost/c/$CID"); done
    if [[ "$2" == anon ]]; then
        curl -s --max-time 60 --unix-socket "$ABC_STATE/run/http-web$1.sock" "${args[@]}"
    else
        curl -s --max-time 60 --unix-socket "$ABC_STATE/run/http-web$1.sock" -b "$(jar "$2")" "${args[@]}"
    fi
}
for via in 1 2; do
    pids=()
    for who in "$A" "$B" anon "$S"; do
        views_at_once "$via" "$who" &
        pids+=("$!")
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    bad=0
    for who in "$A" "$B" anon "$S"; do
        for n in $(seq 1 25); do
            right "$IT_TMP/par.$via.$who.$n" "$who" || bad=$((bad + 1))
        done
    done
    check "100 views at once through #$via (4 viewers x 25): each page is its own viewer's" \
        test "$bad" = 0
done

# --- 3. the CSRF token a page shows is its session's: accepted for it, refused for another
form=$(confirm "$A" 1 "$CID" "$(ad_of "adA$RUN")")
check "B's token in A's purchase form: refused (403)" \
    test "$(buy "$A" 1 "$CID" "$(with "$form" csrf "${TOKEN[$B]}")" /dev/null | cut -d' ' -f1)" = 403
# (A view through #1 just before: the page's record is cached there when the purchase
# comes, and must not outlive it.)
page 1 "$A" "$IT_TMP/before.buy"
check "before the purchase A's page through #1 lists no slot" grep -q 'No slot sold yet' "$IT_TMP/before.buy"
out=$(buy "$A" 1 "$CID" "$(with "$form" csrf "${TOKEN[$A]}")" "$IT_TMP/bought")
check "A's purchase with the token of A's campaign page (through #1): 303 to ?bought=0 ($out)" \
    bash -c "[[ '$out' == '303 '*'/c/$CID?bought=0' ]]"

# --- 4. the buyer sees their own purchase at once, the others' pages stay theirs --------
page 1 "$A" "$IT_TMP/after.bought" "?bought=0"
check "A's very next page through #1 says 'You bought slot #1'" grep -q 'You bought slot #1' "$IT_TMP/after.bought"
check "...and lists the slot with A's ad" grep -q "<td>1</td><td>adA$RUN</td>" "$IT_TMP/after.bought"
page 1 "$A" "$IT_TMP/after.plain"
check "A's plain page through #1 right after lists it too" grep -q "<td>1</td><td>adA$RUN</td>" "$IT_TMP/after.plain"
shown2() {
    page 2 "$A" "$IT_TMP/after.2"
    grep -q "<td>1</td><td>adA$RUN</td>" "$IT_TMP/after.2"
}
check "A's page through #2 lists it within 1 s" wait_until 1 shown2
for who in "$B" anon "$S"; do
    page 1 "$who" "$IT_TMP/after.$who"
done
others_own() { right "$IT_TMP/after.$B" "$B" && right "$IT_TMP/after.anon" anon && right "$IT_TMP/after.$S" "$S"; }
check "after the purchase, B's, the anonymous and the seller's pages through #1 are their own" others_own
check "...and show A's slot to everyone" bash -c \
    "grep -q '<td>1</td><td>adA$RUN</td>' '$IT_TMP/after.$B' && grep -q '<td>1</td><td>adA$RUN</td>' '$IT_TMP/after.anon'"
check "ledger invariants hold" invariants
it_done
