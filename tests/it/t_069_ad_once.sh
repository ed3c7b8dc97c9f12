#!/usr/bin/env bash
# An ad upload is exactly-once (SPEC 4.4, 5; found by the chaos test of issue 13): the /ads
# form carries an idempotency key, and ad_create keeps its answer in request_log under the
# request's ids and that key.  The same form sent twice (through each abc-web, as a user's
# retry after a timeout may go) is one ad and the same answer; another form is another ad.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="o$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

U="ado_$RUN"
NICK="once_$RUN"
# send VIA IDEM: the upload form of U with key IDEM through abc-web VIA; prints the status.
send() {
    local c
    c=$(csrf_of "$(jar "$U")" "$1")
    web "$1" /ads -b "$(jar "$U")" -o "$IT_TMP/up_$1" -w '%{http_code}' \
        --form-string "csrf=$c" --form-string "idem=$2" --form-string "nickname=$NICK" \
        --form-string "hover=h" --form-string "url=https://example.com/" \
        -F "image=@$IMG/png_1x1.png"
}
ads() { psql_abc -c "SELECT count(*) FROM ads a JOIN users u ON u.id = a.user_id WHERE u.username = '$U'"; }

check "a user registers" test "$(register "$U" 1)" = 303
web 1 /ads -b "$(jar "$U")" -o "$IT_TMP/form"
check "the upload form carries an idempotency key" grep -Eq 'name="idem" value="[0-9a-f]{32}"' "$IT_TMP/form"
K1=$(new_idem)
check "an upload with key K1 through abc-web 1: 200" test "$(send 1 "$K1")" = 200
check "...the page says it is uploaded" grep -q 'Your ad is uploaded' "$IT_TMP/up_1"
check "...one ad" test "$(ads)" = 1
check "the same form again through abc-web 2: 200, the same answer" test "$(send 2 "$K1")" = 200
check "...the page says it is uploaded" grep -q 'Your ad is uploaded' "$IT_TMP/up_2"
check "...still one ad" test "$(ads)" = 1
check "...and one 'ad uploaded' event" test "$(psql_abc -c "SELECT count(*) FROM account_events e JOIN users u ON u.id = e.user_id WHERE u.username = '$U' AND e.kind = 'ad_uploaded'")" = 1
check "...the answer is kept under the key in request_log" test "$(psql_abc -c "SELECT count(*) FROM request_log WHERE op = 'ad_create' AND idem_key = '$K1'")" = 1
check "another form (key K2): a second ad" test "$(send 1 "$(new_idem)")" = 200
check "...two ads" test "$(ads)" = 2
it_done
