#!/usr/bin/env bash
# Issue 15, API keys and the JSON API: a key is made on /account/api (shown
# once, stored as its SHA-256 only), read endpoints answer with it (ETag and
# 304 on a campaign), a purchase sent twice with one idem buys one slot, a
# key without the scope is refused (403), no key or a bad one is 401 JSON,
# a key past its rate is 429 with Retry-After, and a revoked key is refused
# by both abc-web processes within 1 s.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="a$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

# api VIA KEY METHOD PATH [curl args]: status in $IT_TMP/api.status, body in $IT_TMP/api.
api() {
    local via="$1" key="$2" method="$3" path="$4"
    shift 4
    local auth=()
    [[ -n "$key" ]] && auth=(-H "Authorization: Bearer $key")
    web "$via" "$path" -X "$method" "${auth[@]}" -D "$IT_TMP/api.head" -o "$IT_TMP/api" \
        -w '%{http_code}' "$@" >"$IT_TMP/api.status"
    cat "$IT_TMP/api.status"
}
# jq_ EXPR: a Python expression on the last API body, as d.
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$IT_TMP/api" 2>/dev/null; }
err_code() { jq_ 'd["error"]["code"]'; }
# make_key NAME VIA SCOPE_FIELDS: creates a key on /account/api; prints it.
make_key() {
    local page="$IT_TMP/keys.$1.$BASHPID" c idem
    web "$2" /account/api -b "$(jar "$1")" -o "$page"
    c=$(field_of "$page" csrf)
    idem=$(field_of "$page" idem)
    echo "csrf=$c&idem=$idem&name=key+of+$1&$3" >"$IT_TMP/keyform.$1"
    web "$2" /account/api -b "$(jar "$1")" -o "$IT_TMP/newkey.$1" -w '%{http_code}' \
        --data "$(cat "$IT_TMP/keyform.$1")" >"$IT_TMP/newkey.$1.status"
    { grep -oE 'abc_[A-Za-z0-9_-]{43}' "$IT_TMP/newkey.$1" || true; } | head -1
}

S="s_$RUN"
B="b_$RUN"
check "a seller and a buyer register (303)" \
    test "$(register "$S" 1)$(register "$B" 2)" = 303303

# --- 1. keys made on /account/api, shown once, stored hashed -----------------
RKEY=$(make_key "$B" 1 "scope_read=1")
check "the buyer makes a read key on /account/api (201, key shown: ${RKEY:0:12}...)" \
    test "$(cat "$IT_TMP/newkey.$B.status")" = 201 -a -n "$RKEY"
form=$(cat "$IT_TMP/keyform.$B")
code=$(web 2 /account/api -b "$(jar "$B")" -o "$IT_TMP/again" -w '%{http_code}' --data "$form")
check "the same form sent again (same idem): 200, says it was made, shows no key" \
    bash -c "[[ $code == 200 ]] && grep -q 'shown only once' '$IT_TMP/again' && ! grep -qE 'abc_[A-Za-z0-9_-]{43}' '$IT_TMP/again'"
check "...and made one key, not two" \
    test "$(psql_abc -c "SELECT count(*) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.username = '$B'")" = 1
web 1 /account/api -b "$(jar "$B")" -o "$IT_TMP/list"
check "/account/api lists the key by its prefix, never the whole key" \
    bash -c "grep -q '${RKEY:0:12}' '$IT_TMP/list' && ! grep -q '$RKEY' '$IT_TMP/list'"
check "the database holds the key's SHA-256 only (hash matches; no column, no stored reply holds the key)" \
    test "$(psql_abc -c "SELECT count(*) FROM api_keys WHERE key_hash = sha256('$RKEY'::bytea)")/$(psql_abc -c "SELECT count(*) FROM api_keys k WHERE k::text LIKE '%${RKEY:12}%'")/$(psql_abc -c "SELECT count(*) FROM request_log WHERE reply::text LIKE '%${RKEY:12}%'")" = 1/0/0
BKEY=$(make_key "$B" 2 "scope_read=1&scope_buy=1")
check "...and a read+buy key through the other abc-web (201)" test -n "$BKEY"
SKEY=$(make_key "$S" 1 "scope_read=1")
check "the seller makes a read key (201)" test -n "$SKEY"

# --- 2. no key, a bad key, a cookie: 401 JSON ---------------------------------
check "no Authorization: 401 JSON, code unauthorized" \
    test "$(api 1 "" GET /api/v1/me/ads)/$(err_code)" = 401/unauthorized
check "a garbage token: 401 unauthorized" \
    test "$(api 1 "garbage" GET /api/v1/me/ads)/$(err_code)" = 401/unauthorized
check "a well-formed key that does not exist: 401 unauthorized" \
    test "$(api 2 "abc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" GET /api/v1/me/ads)/$(err_code)" = 401/unauthorized
check "the session cookie alone is no API credential: 401" \
    test "$(api 1 "" GET /api/v1/me/ads -b "$(jar "$B")")/$(err_code)" = 401/unauthorized
check "an unknown API path: 404 JSON not_found" \
    test "$(api 1 "$RKEY" GET /api/v1/nothing)/$(err_code)" = 404/not_found

# --- 3. upload an ad, read campaigns, ETag ------------------------------------
CID=$(sell "$S" 1 "Api+$RUN" 0.001 slot_hours=1)
check "the seller creates a campaign (id $CID)" test -n "$CID"
b64=$(base64 -w0 "$IMG/gif_300x250.gif")
adjson="{\"nickname\":\"api_$RUN\",\"hover\":\"from the API\",\"url\":\"https://example.com/api\",\"image\":\"$b64\"}"
check "uploading an ad with the read key: 403 forbidden_scope" \
    test "$(api 1 "$RKEY" POST /api/v1/ads -H 'Content-Type: application/json' --data "$adjson")/$(err_code)" = 403/forbidden_scope
check "uploading an ad with the buy key: 201 with its id" \
    test "$(api 2 "$BKEY" POST /api/v1/ads -H 'Content-Type: application/json' --data "$adjson")" = 201
AD=$(jq_ 'd["id"]')
check "...which is the buyer's ad in the database" \
    test "$(psql_abc -c "SELECT a.id FROM ads a JOIN users u ON u.id = a.user_id WHERE u.username = '$B' AND a.nickname = 'api_$RUN'")" = "$AD"
check "malformed JSON: 400 bad_json" \
    test "$(api 1 "$BKEY" POST /api/v1/ads --data '{"nickname": ')/$(err_code)" = 400/bad_json
check "GET /api/v1/me/ads lists it" \
    test "$(api 1 "$RKEY" GET /api/v1/me/ads)/$(jq_ '[a["id"] for a in d["ads"]]')" = "200/[$AD]"
check "...?after=0 (the oldest page) too; ?before=x is 400 invalid" \
    test "$(api 2 "$RKEY" GET "/api/v1/me/ads?after=0")/$(jq_ '[a["id"] for a in d["ads"]]')/$(api 2 "$RKEY" GET "/api/v1/me/ads?before=x")/$(err_code)" = "200/[$AD]/400/invalid"
check "a key's use is recorded (last_used_at), not its every request" \
    test "$(psql_abc -c "SELECT count(*) FROM api_keys WHERE key_hash = sha256('$RKEY'::bytea) AND last_used_at > now() - interval '1 minute'")" = 1
check "GET /api/v1/campaigns/$CID: 200 with the state, schedule and an ETag" \
    test "$(api 1 "$RKEY" GET "/api/v1/campaigns/$CID")/$(jq_ 'd["id"], d["slots_sold"], d["price_now"]')" = "200/$CID 0 100000"
etag=$(grep -i '^etag:' "$IT_TMP/api.head" | tr -d '\r' | cut -d' ' -f2)
check "...If-None-Match with that ETag: 304, through either abc-web" \
    test "$(api 1 "$RKEY" GET "/api/v1/campaigns/$CID" -H "If-None-Match: $etag")$(api 2 "$RKEY" GET "/api/v1/campaigns/$CID" -H "If-None-Match: $etag")" = 304304
check "...never kept by a cache (Cache-Control: no-store)" grep -qi '^cache-control: no-store' "$IT_TMP/api.head"
check "a campaign that does not exist: 404 no_campaign" \
    test "$(api 1 "$RKEY" GET /api/v1/campaigns/999999999)/$(err_code)" = 404/no_campaign

# --- 4. buy: scope, idem twice -> one slot ------------------------------------
fund "$B" 100000000
IDEM="api-$RUN-1"
buyjson="{\"slot\":0,\"ad\":$AD,\"max_price\":100000,\"idem\":\"$IDEM\"}"
check "buying with the read key: 403 forbidden_scope" \
    test "$(api 1 "$RKEY" POST "/api/v1/campaigns/$CID/buy" --data "$buyjson")/$(err_code)" = 403/forbidden_scope
check "buying slot 0 with the buy key through #1: 200" \
    test "$(api 1 "$BKEY" POST "/api/v1/campaigns/$CID/buy" --data "$buyjson")" = 200
cp "$IT_TMP/api" "$IT_TMP/buy1"
code=$(api 2 "$BKEY" POST "/api/v1/campaigns/$CID/buy" --data "$buyjson")
check "the same purchase (same idem) again through #2: 200, the same answer" \
    bash -c "[[ $code == 200 ]] && cmp -s '$IT_TMP/buy1' '$IT_TMP/api'"
check "...one slot sold, one payment" \
    test "$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $CID")/$(balance "$B")" = "1/$((100000000 - 100000))"
check "a purchase without idem: 400 invalid" \
    test "$(api 1 "$BKEY" POST "/api/v1/campaigns/$CID/buy" --data "{\"slot\":1,\"ad\":$AD,\"max_price\":300000}")/$(err_code)" = 400/invalid
code=$(api 1 "$BKEY" POST "/api/v1/campaigns/$CID/buy" --data "{\"slot\":0,\"ad\":$AD,\"max_price\":100000,\"idem\":\"api-$RUN-2\"}")
check "slot 0 again with a new idem: 409 sold (status $code, code $(err_code))" \
    test "$code/$(err_code)" = 409/sold
check "the old ETag no longer matches after the sale: 200" \
    test "$(api 1 "$RKEY" GET "/api/v1/campaigns/$CID" -H "If-None-Match: $etag")" = 200

# --- 5. the seller's campaigns with figures -----------------------------------
psql_abc -q -c "INSERT INTO slot_stats (campaign_id, idx, minute_ms, impressions, clicks)
    VALUES ($CID, 0, 60000, 7, 2), ($CID, 0, 120000, 5, 1)" >/dev/null
earn=$(psql_abc -c "SELECT price - fee FROM slots WHERE campaign_id = $CID AND idx = 0")
check "GET /api/v1/me/campaigns: slots sold 1, earnings $earn sat, 12 impressions, 3 clicks" \
    test "$(api 2 "$SKEY" GET /api/v1/me/campaigns)/$(jq_ '[(c["id"], c["slots_sold"], c["earnings_sat"], c["impressions"], c["clicks"]) for c in d["campaigns"]]')" = "200/[($CID, 1, $earn, 12, 3)]"

# --- 6. rate limit: 429 with Retry-After --------------------------------------
# One curl sends 60 requests back to back (URL globbing): faster than the rate.
web 1 "/api/v1/campaigns/$CID?n=[1-60]" -H "Authorization: Bearer $SKEY" -i \
    -o "$IT_TMP/rl_#1" -w '%{http_code}\n' >"$IT_TMP/rl_codes"
n200=$(grep -c '^200$' "$IT_TMP/rl_codes" || true)
n429=$(grep -c '^429$' "$IT_TMP/rl_codes" || true)
last429=$(grep -l '^HTTP/1.1 429' "$IT_TMP"/rl_* | head -1)
echo "  60 requests at once with one key through #1: $n200 answered, $n429 refused"
check "past its burst (20) a key is refused: 429 rate_limited with Retry-After" \
    bash -c "(( $n200 >= 20 && $n429 > 0 && $n200 + $n429 == 60 )) && grep -q rate_limited '$last429' && grep -qi '^retry-after: [1-9]' '$last429'"

# --- 7. revoked: refused by both abc-web within 1 s ---------------------------
check "before: the buy key reads through #1 and #2 (each caches it)" \
    test "$(api 1 "$BKEY" GET /api/v1/me/ads)$(api 2 "$BKEY" GET /api/v1/me/ads)" = 200200
kid=$(psql_abc -c "SELECT id FROM api_keys WHERE key_hash = sha256('$BKEY'::bytea)")
web 1 /account/api -b "$(jar "$B")" -o "$IT_TMP/rv"
c=$(field_of "$IT_TMP/rv" csrf)
sess=$(awk '$6 == "abc_session" { print $7 }' "$(jar "$B")")
pre=$(awk '$6 ~ /abc_csrf$/ { print $7 }' "$(jar "$B")")
# One process sends the revocation through #1, then asks #1 and #2 in turn
# until each refuses the key; it times from the revocation's answer (a
# curl per poll would mostly time process start-up on a loaded machine).
# It reads /api/v1/campaigns/<id>: answered by abc-web with the key as it
# cached it (the worker's SQL checks keys itself on the other paths).
python3 - "$ABC_STATE/run" "$BKEY" "$sess" "$pre" "csrf=$c&idem=$(new_idem)&id=$kid" \
    "/api/v1/campaigns/$CID" >"$IT_TMP/revoke" <<'PY'
import http.client, socket, sys, time
run, key, sess, pre, form, path = sys.argv[1:7]
class Unix(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=5)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)
def ask(n, method, path, headers, body=None):
    c = Unix("%s/http-web%d.sock" % (run, n))
    c.request(method, path, body=body, headers=headers)
    st = c.getresponse().status
    c.close()
    return st
# Both cache the key a moment before: only the notice can drop it sooner.
warm = [ask(n, "GET", path, {"Authorization": "Bearer " + key})
        for n in (1, 2)]
status = ask(1, "POST", "/account/api/revoke", {
    "Cookie": "abc_session=%s; abc_csrf=%s" % (sess, pre),
    "Content-Type": "application/x-www-form-urlencoded"}, form)
t0 = time.monotonic()
took = {}
while len(took) < 2 and time.monotonic() - t0 < 3:
    for n in (1, 2):
        if n not in took and ask(n, "GET", path,
                {"Authorization": "Bearer " + key}) == 401:
            took[n] = int((time.monotonic() - t0) * 1000)
print(status if warm == [200, 200] else "warm:%s" % warm, took.get(1, "never"),
      took.get(2, "never"))
PY
read -r code t1 t2 <"$IT_TMP/revoke"
echo "  revoked (status $code): refused by #1 after $t1 ms, by #2 after $t2 ms"
check "the key is revoked on /account/api (303) and refused by both abc-web within 1 s" \
    bash -c "[[ $code == 303 && $t1 != never && $t2 != never ]] && (( $t1 <= 1000 && $t2 <= 1000 ))"
check "...also for a purchase" \
    test "$(api 2 "$BKEY" POST "/api/v1/campaigns/$CID/buy" --data "{\"slot\":1,\"ad\":$AD,\"max_price\":300000,\"idem\":\"api-$RUN-3\"}")" = 401
check "...while the read key still works" test "$(api 2 "$RKEY" GET /api/v1/me/ads)" = 200

check "ledger invariants hold" invariants
it_done
