#!/usr/bin/env bash
# Pagination (issue 10): the lists that grow with a user's data (history,
# deposits, withdrawals on /account, ads on /ads, and their JSON views)
# come a page of 20 at a time, newest first, with "Older" / "Newer" links
# (keyset by id: ?before=ID, ?after=ID); following them visits every row
# exactly once, and the worker never answers with more than one page.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="pg$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image/gif_300x250.gif"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
U="u_$RUN"
PAGE=20

check "a user registers (303)" test "$(register "$U" any)" = 303
UID_=$(psql_abc -c "SELECT id FROM users WHERE username = '$U'")
fund "$U" 300000000
check "an ad uploads (200)" test "$(upload "$U" any "ad0_$RUN" hover https://example.com/ "$IMG")" = 200

# Rows beyond two pages: 44 more ads, 44 history events, 25 deposits.
psql_abc -q -c "
INSERT INTO ads (user_id, nickname, hover, url, image)
    SELECT $UID_, 'ad' || g || '_$RUN', '', 'https://example.com/' || g, a.image
    FROM generate_series(1, 44) g, (SELECT image FROM ads WHERE user_id = $UID_ LIMIT 1) a;
INSERT INTO account_events (user_id, kind, detail)
    SELECT $UID_, 'login', 'event ' || g FROM generate_series(1, 44) g;
INSERT INTO deposit_addresses (address, user_id) VALUES ('bcrt1qpagination$RUN', $UID_);
INSERT INTO deposits (txid, vout, address, user_id, amount, status)
    SELECT md5('$RUN' || g) || md5('x$RUN' || g), g, 'bcrt1qpagination$RUN', $UID_, 1000 + g, 'dropped'
    FROM generate_series(1, 25) g;" >/dev/null
# 23 withdrawals, the way a person makes them; above withdraw_approval_sat
# they wait for an admin, so the payer leaves them (and the wallet) alone.
withdraw() {
    local c
    c=$(csrf_of "$(jar "$U")" any)
    web any /account/withdraw -b "$(jar "$U")" -o /dev/null -w '%{http_code}' \
        --data "csrf=$c&idem=$(new_idem)&address=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080&amount=0.11&password=$PW"
}
ok=0
for _ in $(seq 23); do [[ "$(withdraw)" == 303 ]] && ok=$((ok + 1)); done
check "23 withdrawals are asked for (303 each; got $ok)" test "$ok" = 23

count_of() { psql_abc -c "SELECT count(*) FROM $1 WHERE user_id = $UID_"; }

# /account: the newest page of each list and a link to the older ones.
web any /account -b "$(jar "$U")" -o "$IT_TMP/acct"
rows_in() { # rows_in CLASS: <tr> rows of the table with that class (among others)
    python3 - "$IT_TMP/acct" "$1" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<table class="%s(?: [^"]*)?"[^>]*>.*?<tbody>(.*?)</tbody>' % sys.argv[2], html, re.S)
print(len(re.findall(r"<tr[\s>]", m.group(1))) if m else -1)
PY
}
for l in history deposits withdrawals; do
    n=$(rows_in "$l")
    check "/account shows $PAGE $l rows, not all $(count_of "$( [[ $l == history ]] && echo account_events || echo $l)") (got $n)" test "$n" = $PAGE
    check "/account links to older $l" grep -q "href=\"/account/$l?before=[0-9]*\"" "$IT_TMP/acct"
done

# walk PATH MEMBER: follows "older" from the newest page of a JSON view,
# then "newer" back; prints "pages rows distinct ordered back_same".
walk() {
    python3 - "$ABC_HTTP_PORT" "$(jar "$U")" "$1" "$2" "$PAGE" <<'PY'
import http.cookiejar, json, sys, urllib.request
port, jarfile, path, member, page = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
jar = http.cookiejar.MozillaCookieJar(jarfile)
jar.load(ignore_discard=True, ignore_expires=True)
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def get(q):
    return json.load(op.open("http://127.0.0.1:%s%s%s" % (port, path, q)))
pages, ids, q, big = [], [], "", 0
while True:
    d = get(q)
    rows = [r["id"] for r in d[member]]
    big += len(rows) > page
    pages.append(rows)
    ids += rows
    if "older" not in d:
        break
    q = "?before=%d" % d["older"]
back = [pages[-1]]
while "newer" in d:
    d = get("?after=%d" % d["newer"])
    back.append([r["id"] for r in d[member]])
ordered = all(a > b for a, b in zip(ids, ids[1:]))
print(len(pages), len(ids), len(set(ids)), int(ordered and big == 0), int(back[::-1] == pages))
PY
}
for l in history deposits withdrawals; do
    table=$([[ $l == history ]] && echo account_events || echo $l)
    want=$(count_of "$table")
    read -r pages rows distinct ordered same <<<"$(walk "/account/$l.json" "$l")"
    echo "$l: $want rows in the database, $pages pages, $rows rows seen ($distinct distinct)"
    check "$l.json: every row exactly once over $(((want + PAGE - 1) / PAGE)) pages" \
        test "$rows" = "$want" -a "$distinct" = "$want" -a "$pages" = $(((want + PAGE - 1) / PAGE))
    check "$l.json: newest first, at most $PAGE a page" test "$ordered" = 1
    check "$l.json: the newer links lead back through the same pages" test "$same" = 1
done

# /ads: pages of 20 with links; every ad once.
seen=0
url="/ads"
pages=0
while [[ -n "$url" ]]; do
    web any "$url" -b "$(jar "$U")" -o "$IT_TMP/ads"
    n=$(grep -c "<tr><td><img" "$IT_TMP/ads" || true)
    seen=$((seen + n))
    pages=$((pages + 1))
    ((n <= PAGE)) || echo "  $url has $n ads"
    next=$(grep -o 'href="/ads?before=[0-9]*"' "$IT_TMP/ads" | head -1 | sed 's/href="//; s/"$//' || true)
    url=$next
    ((pages < 10)) || break
done
check "/ads shows all 45 ads over 3 pages of at most $PAGE (saw $seen on $pages)" test "$seen" = 45 -a "$pages" = 3
web any "/ads?before=$(psql_abc -c "SELECT min(id) FROM ads WHERE user_id = $UID_")" -b "$(jar "$U")" -o "$IT_TMP/ads"
check "the page past the oldest ad links back to newer ones" grep -q 'href="/ads?after=' "$IT_TMP/ads"

# Malformed cursors are a 400, not a guess.
code() { web any "$1" -b "$(jar "$U")" -o /dev/null -w '%{http_code}'; }
check "?before=abc is 400" test "$(code '/account/history?before=abc')" = 400
check "?before=1&after=2 is 400" test "$(code '/account/history.json?before=1&after=2')" = 400
check "/ads?before=0 is 400" test "$(code '/ads?before=0')" = 400
check "/ads?after=-1 is 400" test "$(code '/ads?after=-1')" = 400
check "ledger invariants hold" invariants

it_done
