#!/usr/bin/env bash
# Form bounds (issue 10): every text field of the ad and campaign forms has
# a bound (common/abc_limits.h) that abc-web checks before it builds a request,
# answering 400 with a message naming the field and its limit; an upload
# over the body limit is 413 with a page saying so.  The case that used to
# be "service unavailable": a 175 KB link of control bytes grows six-fold
# when JSON-escaped, past the link's 1 MiB frame limit.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="fb$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image/gif_300x250.gif"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
U="u_$RUN"
ads_of() { psql_abc -c "SELECT count(*) FROM ads a JOIN users u ON u.id = a.user_id WHERE u.username = '$U'"; }

# post_ad NICK_FILE HOVER_FILE URL_FILE [IMAGE]: an upload whose text fields
# come from files (values too long for a command line); prints the status,
# the page in $IT_TMP/ad_page.
post_ad() {
    local c
    c=$(csrf_of "$(jar "$U")" any)
    web any /ads -b "$(jar "$U")" -o "$IT_TMP/ad_page" -w '%{http_code}' \
        --form-string "csrf=$c" -F "nickname=<$IT_TMP/$1" -F "hover=<$IT_TMP/$2" -F "url=<$IT_TMP/$3" \
        -F "image=@${4:-$IMG}"
}
# text FILE PYTHON_EXPR: writes the bytes of a Python expression to FILE.
text() { python3 -c "import sys; sys.stdout.buffer.write($2)" >"$IT_TMP/$1"; }
page_says() { grep -q "$1" "$IT_TMP/ad_page"; }

check "a user registers (303)" test "$(register "$U" any)" = 303
text nick "b'nick'"
text hover "b'hover'"
text url "b'https://example.com/'"
code=$(post_ad nick hover url)
check "a plain ad uploads (200, got $code)" test "$code" = 200
[[ "$code" == 200 ]] || grep -o "class=\"error\"[^<]*" "$IT_TMP/ad_page" || true

# The near-1 MiB request: 400 naming the link's bound, not 503.
text url_ctl "b'http://x/' + b'\\x01' * 175000"
code=$(post_ad nick hover url_ctl)
echo "175 KB link of control bytes: $code"
check "a 175 KB link of control bytes is refused with 400 (was 503)" test "$code" = 400
check "...and the page names the link and its 2000-byte bound" page_says "link is an http:// or https:// address of at most 2000"
text url2000 "b'https://example.com/' + b'a' * (2000 - 20)"
text url2001 "b'https://example.com/' + b'a' * (2001 - 20)"
check "a link of exactly 2000 bytes is accepted (200)" test "$(post_ad nick hover url2000)" = 200
check "a link of 2001 bytes is refused (400)" test "$(post_ad nick hover url2001)" = 400
text url_js "b'javascript:alert(1)'"
check "a javascript: link is refused (400)" test "$(post_ad nick hover url_js)" = 400

text hover140 "'é'.encode() * 140"
text hover141 "b'h' * 141"
check "hover text of 140 two-byte characters is accepted (200)" test "$(post_ad nick hover140 url)" = 200
code=$(post_ad nick hover141 url)
check "hover text of 141 characters is refused (400)" test "$code" = 400
check "...and the page names the hover text and 140" page_says "hover text is at most 140 characters"
text nick41 "b'n' * 41"
text empty "b''"
check "a nickname of 41 characters is refused (400)" test "$(post_ad nick41 hover url)" = 400
check "...naming the nickname's bound" page_says "nickname is 1 to 40 characters"
check "an empty nickname is refused (400)" test "$(post_ad empty hover url)" = 400
check "exactly 3 ads were stored (the refused ones never reached the worker)" test "$(ads_of)" = 3

# Campaign name and description.
sell_code() {
    local c
    c=$(csrf_of "$(jar "$U")" any)
    web any /sell -b "$(jar "$U")" -o "$IT_TMP/sell_page" -w '%{http_code}' \
        --data "csrf=$c&idem=$(new_idem)&width=300&height=250&min_price=0.001&slot_hours=1" \
        --data-urlencode "name@$IT_TMP/$1" --data-urlencode "description@$IT_TMP/$2"
}
text name "b'Campaign'"
text name81 "b'c' * 81"
text desc "b'about it'"
text desc2001 "b'd' * 2001"
text desc_ok "'ü'.encode() * 2000"
check "a campaign name of 81 characters is refused (400)" test "$(sell_code name81 desc)" = 400
check "...naming the name's bound" grep -q "campaign name is 1 to 80 characters" "$IT_TMP/sell_page"
check "a description of 2001 characters is refused (400)" test "$(sell_code name desc2001)" = 400
check "...naming the description's bound" grep -q "description is at most 2000 characters" "$IT_TMP/sell_page"
check "a description of 2000 two-byte characters is accepted (303)" test "$(sell_code name desc_ok)" = 303

# Over the body limit: 413 with abc's page, not 503.
python3 -c "import sys; sys.stdout.buffer.write(open('$IMG','rb').read() + b'\\0' * 310 * 1024)" >"$IT_TMP/big.gif"
code=$(post_ad nick hover url "$IT_TMP/big.gif")
check "an upload over the body limit is answered 413 (got $code)" test "$code" = 413
check "...with a page that says it is too large" page_says "too large"
# Over nginx's limit (512 KiB): nginx answers, with the same clear words.
python3 -c "import sys; sys.stdout.buffer.write(open('$IMG','rb').read() + b'\\0' * 600 * 1024)" >"$IT_TMP/huge.gif"
code=$(post_ad nick hover url "$IT_TMP/huge.gif")
check "an upload over nginx's limit is answered 413 (got $code)" test "$code" = 413
check "...with abc's page saying what the limits are" page_says "at most 512 KiB"

it_done
