#!/usr/bin/env bash
# Purchases in one call (issue 12): camp_purchase_many answers element i exactly as purchase i
# alone would after purchases 1..i-1. Fixtures by SQL (funded users with sessions, ads, campaigns),
# then calls of the function with arrays: one slot bought twice in a call (the second 'sold' with
# the next index, the next index sold at the doubled price); a balance that covers one purchase of
# two; a seller who spends, later in the call, what a sale earlier in it paid (and one whose sale
# comes too late); one idempotency key twice, one request twice; a whole call repeated; every
# refusal, in input order, stored but for no_session and not_yet; a fee and an escrowed campaign;
# then the ledger invariants and the counts. Last, purchases through abc-worker's link whose
# idempotency keys hold '"', '\', braces, a comma and the word NULL (the worker passes them as
# array literals, worker/dbmerge.c): stored verbatim, a repeat buys nothing more.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TAG="pb$(date +%s%N | tail -c 9)"
CLIENT=it079
EPOCH=$(($(date +%s%N) / 1000))
SLOT_MS=3600000
# 1x1 PNG (t_084's); a 2x2 image row is the same bytes plus one, declared 2x2.
PNG=89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082

# sql [psql args]: SQL from stdin, stop on the first error.
sql() { psql_abc -v ON_ERROR_STOP=1 "$@"; }

# --- fixtures -----------------------------------------------------------------------------
# Users NAME:balance (a session each: token = sha256("TAG:NAME"), stored as sha256(token));
# ads NICK:owner:size; campaigns NAME:seller:min_price[:approval]; sB blocks b3.
USERS="s1:0 s0:0 s0b:0 sE:0 sF:0 sB:0 b1:1000000000000 b2:1500 b3:1000000000000 b4:1000000000"
ADS="b1:b1:1 b2:b2:1 b3:b3:1 b3big:b3:2 s0:s0:1 s0b:s0b:1 sE:sE:1 sF:sF:1 s1:s1:1 b4:b4:1"
CAMPS="c1:s1:1000 c2:s1:1000 c3:s1:1000 c4:s1:1000 c5:s0:1000 c6:s1:1000 c7:s0b:1000 c8:s1:1000
c9:s1:1000 c10:s1:1000 cB:sB:1000 cF:sF:1000 cE:sE:1000:t cG:s1:1000 cH:s1:2926 cH2:s1:2925
cI:s1:1000 cJ:s1:1000"
{
    echo "BEGIN;"
    echo "INSERT INTO images (sha256, mime, width, height, data)
        SELECT encode(sha256(d), 'hex'), 'image/png', w, w, d
        FROM (VALUES (decode('$PNG', 'hex'), 1), (decode('$PNG', 'hex') || decode('00', 'hex'), 2)) v(d, w)
        ON CONFLICT (sha256) DO NOTHING;"
    for u in $USERS; do
        n="${TAG}_${u%%:*}" bal="${u#*:}"
        echo "INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
            VALUES ('$n', sha256(convert_to('$n', 'UTF8')), substr(sha256(convert_to('$n', 'UTF8')), 1, 16), 131072, 8, 1);
            INSERT INTO ledger_accounts (kind, user_id) SELECT 'user', id FROM users WHERE username = '$n';
            INSERT INTO user_sessions (token_hash, user_id, expires_at, client_addr)
            SELECT sha256(sha256(convert_to('$TAG:${u%%:*}', 'UTF8'))), id, now() + interval '1 day', 'test'
            FROM users WHERE username = '$n';"
        [[ "$bal" == 0 ]] || echo "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, reference)
            SELECT (SELECT id FROM ledger_accounts WHERE kind = 'deposits'), a.id, $bal, 'deposit', 'test:$n'
            FROM ledger_accounts a JOIN users u ON u.id = a.user_id WHERE u.username = '$n';"
    done
    for a in $ADS; do
        IFS=: read -r nick owner size <<<"$a"
        echo "INSERT INTO ads (user_id, nickname, hover, url, image)
            SELECT u.id, '${TAG}_$nick', 't_079', 'https://example.com/', i.sha256
            FROM users u, images i WHERE u.username = '${TAG}_$owner' AND i.width = $size
            AND i.sha256 = encode(sha256(decode('$PNG', 'hex') || CASE WHEN $size = 2
                THEN decode('00', 'hex') ELSE ''::bytea END), 'hex');"
    done
    for c in $CAMPS; do
        IFS=: read -r name seller min appr <<<"$c"
        echo "INSERT INTO campaigns (seller_id, name, description, width, height, min_price, slot_ms,
                requires_approval)
            SELECT id, '${TAG}_$name', 't_079', 1, 1, $min, $SLOT_MS, '${appr:-f}'
            FROM users WHERE username = '${TAG}_$seller';"
    done
    echo "INSERT INTO seller_blocks (seller_id, kind, target)
        SELECT s.id, 'buyer', b.id FROM users s, users b
        WHERE s.username = '${TAG}_sB' AND b.username = '${TAG}_b3';"
    echo "COMMIT;"
} >"$IT_TMP/fixtures.sql"
if ! sql -q -f "$IT_TMP/fixtures.sql" >"$IT_TMP/fixtures.log" 2>&1; then
    cat "$IT_TMP/fixtures.log"
    check "fixtures made" false
    it_done
fi
check "fixtures: 10 users with accounts and sessions, 10 ads, 18 campaigns ($TAG)" test \
    "$(psql_abc -c "SELECT count(DISTINCT u.id) || ' ' || count(DISTINCT a.id) || ' ' ||
        count(DISTINCT s.token_hash) FROM users u JOIN ledger_accounts a ON a.user_id = u.id
        JOIN user_sessions s ON s.user_id = u.id WHERE u.username LIKE '${TAG}\_%'") $(psql_abc -c "
        SELECT count(*) FROM ads WHERE nickname LIKE '${TAG}\_%'") $(psql_abc -c "
        SELECT count(*) FROM campaigns WHERE name LIKE '${TAG}\_%'")" = "10 10 10 10 18"

# --- calling camp_purchase_many ---------------------------------------------------------------
# A purchase is "WHO CAMPAIGN IDX AD MAX FEE_PPM REQ IDEM": names without the tag (a campaign
# "#N" is the id N), IDEM "-" for none; WHO "nobody" has no session.
# call NAME PURCHASE...: one call; $IT_TMP/NAME.out has a line per answer, in the order returned:
#   n|ok|code|campaign|idx|price|next_idx|next_price|at_ms|start_ms|end_ms|review|answer
call() {
    local name="$1" p who camp idx ad max fee req idem
    local cl=() ep=() rq=() id=() tk=() tt=() ca=() ix=() ads=() mx=() fe=()
    shift
    for p in "$@"; do
        read -r who camp idx ad max fee req idem <<<"$p"
        cl+=("'$CLIENT'") ep+=("$EPOCH") rq+=("$req") tt+=(86400) ix+=("$idx") mx+=("$max")
        fe+=("$fee")
        if [[ "$idem" == - ]]; then id+=(NULL); else id+=("'$idem'"); fi
        tk+=("sha256(sha256(convert_to('$TAG:$who', 'UTF8')))")
        if [[ "$camp" == "#"* ]]; then
            ca+=("${camp#\#}")
        else
            ca+=("(SELECT id FROM campaigns WHERE name = '${TAG}_$camp')")
        fi
        ads+=("(SELECT id FROM ads WHERE nickname = '${TAG}_$ad')")
    done
    sql -F '|' >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" <<SQL || cat "$IT_TMP/$name.err"
SELECT n, j->>'ok', j->>'code', j->>'campaign', j->>'idx', j->>'price', j->>'next_idx',
    j->>'next_price', j->>'at_ms', j->>'start_ms', j->>'end_ms', j->>'review', r
FROM (SELECT n, r, r::jsonb AS j
    FROM camp_purchase_many(ARRAY[$(join "${cl[@]}")]::text[], ARRAY[$(join "${ep[@]}")]::bigint[],
        ARRAY[$(join "${rq[@]}")]::bigint[], ARRAY[$(join "${id[@]}")]::text[],
        ARRAY[$(join "${tk[@]}")]::bytea[], ARRAY[$(join "${tt[@]}")]::integer[],
        ARRAY[$(join "${ca[@]}")]::bigint[], ARRAY[$(join "${ix[@]}")]::bigint[],
        ARRAY[$(join "${ads[@]}")]::bigint[], ARRAY[$(join "${mx[@]}")]::bigint[],
        ARRAY[$(join "${fe[@]}")]::bigint[])
        WITH ORDINALITY AS u(r, n)) t
ORDER BY n;
SQL
}
join() {
    local IFS=,
    echo "$*"
}
# col NAME N FIELD: FIELD of answer N of call NAME.
col() {
    local i
    case "$3" in
    ok) i=2 ;; code) i=3 ;; campaign) i=4 ;; idx) i=5 ;; price) i=6 ;; next_idx) i=7 ;;
    next_price) i=8 ;; at_ms) i=9 ;; start_ms) i=10 ;; end_ms) i=11 ;; review) i=12 ;; answer) i=13 ;;
    esac
    awk -F'|' -v n="$2" -v i="$i" '$1 == n { print $i }' "$IT_TMP/$1.out"
}
codes() { awk -F'|' '{ printf "%s%s", (NR > 1 ? " " : ""), ($2 == "true" ? "ok" : $3) }' "$IT_TMP/$1.out"; }
# answer_is NAME N EXPECTED [JOINS [COND]]: answer N of call NAME equals the jsonb EXPECTED, in
# which a.j is the answer itself (for its at_ms), JOINS adds tables ("JOIN ... ON ...") and COND
# must hold too.
answer_is() {
    test "$(sql -v j="$(col "$1" "$2" answer)" <<SQL
SELECT ($3)::jsonb = a.j AND (${5:-true}) FROM (SELECT :'j'::jsonb AS j) a ${4:-}
SQL
)" = t
}
camp() { echo "(SELECT id FROM campaigns WHERE name = '${TAG}_$1')"; }
user() { echo "(SELECT id FROM users WHERE username = '${TAG}_$1')"; }
# slot_of CAMP IDX: "JOIN ..." clauses naming campaign c and its slot s; ok CAMP IDX: the answer of
# a sale of that slot, from the slot's row.
slot_of() { echo "JOIN campaigns c ON c.name = '${TAG}_$1' JOIN slots s ON s.campaign_id = c.id AND s.idx = $2"; }
OK_JSON="jsonb_build_object('ok', true, 'campaign', c.id, 'idx', s.idx, 'price', s.price,
    'start_ms', s.start_ms, 'end_ms', s.end_ms, 'review', c.requires_approval)"
# refusal CODE ERROR [extra]: a refusal with the state at a.j's at_ms, the last slot being p
# (LEFT JOIN slots p) and the next index nx.
refusal() {
    echo "jsonb_build_object('ok', false, 'code', '$1', 'error', '$2', 'campaign', c.id,
        'next_idx', nx, 'next_price', coalesce(camp_price_at(c.min_price, p.price, p.bought_ms,
        p.end_ms, (a.j->>'at_ms')::bigint), c.min_price), 'at_ms', (a.j->>'at_ms')::bigint${3:-})"
}
# state_of CAMP NX: campaign c, nx = NX, and p its slot NX - 1 (if any).
state_of() {
    echo "JOIN campaigns c ON c.name = '${TAG}_$1' CROSS JOIN (SELECT $2 AS nx) x
        LEFT JOIN slots p ON p.campaign_id = c.id AND p.idx = x.nx - 1"
}
balance_of() { psql_abc -c "SELECT balance FROM ledger_accounts WHERE user_id = $(user "$1")"; }
logged() { psql_abc -c "SELECT count(*) FROM request_log WHERE client_id = '$CLIENT' AND epoch = $EPOCH AND req_no = $1"; }
slots_in() { psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $(camp "$1")"; }

# --- call 1: in-call state (a-d) ------------------------------------------------------------
BIG=1000000000000
K1="${TAG}-idem-one"
C1=(
    "b1 c1 0 b1 $BIG 0 1 -"        # 1 ok 1000
    "b3 c1 0 b3 $BIG 0 2 -"        # 2 sold: next_idx 1
    "b3 c1 1 b3 $BIG 0 3 -"        # 3 ok at twice the last price
    "b2 c3 0 b2 $BIG 0 4 -"        # 4 ok: b2 has 1500, now 500
    "b2 c4 0 b2 $BIG 0 5 -"        # 5 funds
    "b1 c5 0 b1 $BIG 0 6 -"        # 6 ok: s0 (0 sat) earns 1000
    "s0 c6 0 s0 $BIG 0 7 -"        # 7 ok: s0 spends it
    "s0b c8 0 s0b $BIG 0 8 -"      # 8 funds: s0b's sale comes after
    "b1 c7 0 b1 $BIG 0 9 -"        # 9 ok: s0b earns 1000, too late
    "b1 c2 0 b1 $BIG 0 10 $K1"     # 10 ok
    "b1 c2 0 b1 $BIG 0 11 $K1"     # 11 = 10 (same idempotency key)
    "b3 c9 0 b3 $BIG 0 12 -"       # 12 ok
    "b3 c9 1 b3 $BIG 0 12 -"       # 13 = 12 (same request)
    "nobody c10 0 b3 $BIG 0 13 -"  # 14 no_session
    "b3 c10 0 b3 $BIG 0 14 -"      # 15 ok
)
call one "${C1[@]}"
check "call 1: 15 answers in input order ($(codes one))" \
    test "$(codes one)" = "ok sold ok ok funds ok ok funds ok ok ok ok ok no_session ok"

# a. one slot twice in a call, then the next one at the doubled price
check "a. 1st: the answer is the slot's row (b1's), at the minimum 1000" \
    answer_is one 1 "$OK_JSON" "$(slot_of c1 0)" \
    "s.price = 1000 AND s.buyer_id = $(user b1) AND s.end_ms = s.start_ms + $SLOT_MS"
check "a. 2nd: sold, next_idx 1 (first idx + 1), next_price = camp_price_at after slot 0" \
    answer_is one 2 "$(refusal sold 'That slot is already sold.')" "$(state_of c1 1)"
check "a. 2nd: next_idx = $(col one 2 next_idx), next_price = $(col one 2 next_price) (twice 1000)" \
    test "$(col one 2 next_idx)/$(col one 2 next_price)" = 1/2000
check "a. 3rd: ok, slot 1 is b3's, answer = the slot's row" \
    answer_is one 3 "$OK_JSON" "$(slot_of c1 1)" "s.buyer_id = $(user b3)"
check "a. 3rd: price $(col one 3 price) = camp_price_at(1000, 1000, slot 0's bought, end, its bought) = 2000" \
    test "$(psql_abc -c "SELECT camp_price_at(c.min_price, p.price, p.bought_ms, p.end_ms, s.bought_ms)
        || '/' || s.price FROM campaigns c JOIN slots p ON p.campaign_id = c.id AND p.idx = 0
        JOIN slots s ON s.campaign_id = c.id AND s.idx = 1 WHERE c.name = '${TAG}_c1'")" = 2000/2000
check "a. 3rd: slot 1 starts where slot 0 ends, and runs slot_ms" \
    test "$(psql_abc -c "SELECT count(*) FROM slots p JOIN slots s ON s.campaign_id = p.campaign_id
        AND s.idx = 1 WHERE p.campaign_id = $(camp c1) AND p.idx = 0 AND s.start_ms = p.end_ms
        AND s.end_ms = s.start_ms + $SLOT_MS")" = 1
check "a. c1: 2 slots, slots_sold 2" \
    test "$(slots_in c1)/$(psql_abc -c "SELECT slots_sold FROM campaigns WHERE id = $(camp c1)")" = 2/2

# b. a balance for one purchase of two
check "b. b2's 2nd purchase: funds, price 1000, state of c4 (nothing sold)" \
    answer_is one 5 "$(refusal funds 'Your balance is too low for this price.' ", 'price', 1000")" "$(state_of c4 0)"
check "b. b2: balance 1500 - 1000 = 500, one slot, one debit, one 'purchase' event, 2 answers stored" \
    test "$(balance_of b2)/$(psql_abc -c "SELECT count(*) FROM slots WHERE buyer_id = $(user b2)")/$(
        psql_abc -c "SELECT count(*) FROM ledger_transfers WHERE debit_account =
            (SELECT id FROM ledger_accounts WHERE user_id = $(user b2))")/$(
        psql_abc -c "SELECT string_agg(kind, ',') FROM account_events WHERE user_id = $(user b2)")/$(
        psql_abc -c "SELECT count(*) FROM request_log WHERE user_id = $(user b2)")" = "500/1/1/purchase/2"
check "b. c4 sold nothing" test "$(slots_in c4)" = 0

# c. a seller spends in the call what a sale earlier in it paid; a sale after is too late
check "c. s0 (0 sat) earns 1000 from b1 (6th: ok), then buys c6 with it (7th: ok)" \
    test "$(col one 6 ok)/$(col one 7 ok)/$(col one 7 price)" = true/true/1000
check "c. 7th is the row of s0's slot on c6" answer_is one 7 "$OK_JSON" "$(slot_of c6 0)" "s.buyer_id = $(user s0)"
check "c. s0's balance: 0 + 1000 - 1000 = 0" test "$(balance_of s0)" = 0
check "c. s0b buys before its sale (8th): funds with the state of c8" \
    answer_is one 8 "$(refusal funds 'Your balance is too low for this price.' ", 'price', 1000")" "$(state_of c8 0)"
check "c. s0b: balance 1000 (its sale, 9th), no slot bought, c8 unsold" \
    test "$(balance_of s0b)/$(psql_abc -c "SELECT count(*) FROM slots WHERE buyer_id = $(user s0b)")/$(slots_in c8)" = 1000/0/0

# d. one idempotency key twice, one request twice
check "d. same idem (req 10, 11): identical answers" \
    test "$(col one 10 answer)" = "$(col one 11 answer)" -a "$(col one 10 ok)" = true
check "d. ...one slot on c2, one request_log row with that key (req 10), none for req 11" \
    test "$(slots_in c2)/$(psql_abc -c "SELECT string_agg(req_no::text, ',') FROM request_log
        WHERE idem_key = '$K1'")/$(logged 11)" = "1/10/0"
check "d. same (client, epoch, req 12) twice: identical answers, other parameters ignored" \
    test "$(col one 12 answer)" = "$(col one 13 answer)" -a "$(col one 12 ok)" = true
check "d. ...one request_log row for req 12, one slot on c9" test "$(logged 12)/$(slots_in c9)" = 1/1

# f (part). no_session in the middle: exact, not stored, the next one undisturbed
check "f. 14th: exactly {ok: false, code: no_session, error}" \
    answer_is one 14 "jsonb_build_object('ok', false, 'code', 'no_session', 'error', 'You are not logged in.')"
check "f. ...no request_log row for it (req 13); the 15th (c10) sold" \
    test "$(logged 13)/$(col one 15 ok)/$(slots_in c10)" = 0/true/1

# --- e. the same call again: the stored answers, nothing written -----------------------------
# counts: slots of the tag's campaigns, transfers touching its users, its request_log rows,
# its users' events and balances.
counts() {
    psql_abc -c "SELECT (SELECT count(*) FROM slots s JOIN campaigns c ON c.id = s.campaign_id
            WHERE c.name LIKE '${TAG}\_%') || ' ' ||
        (SELECT count(*) FROM ledger_transfers t JOIN ledger_accounts a
            ON a.id IN (t.debit_account, t.credit_account) JOIN users u ON u.id = a.user_id
            WHERE u.username LIKE '${TAG}\_%') || ' ' ||
        (SELECT count(*) FROM request_log WHERE client_id = '$CLIENT' AND epoch = $EPOCH) || ' ' ||
        (SELECT count(*) FROM account_events e JOIN users u ON u.id = e.user_id
            WHERE u.username LIKE '${TAG}\_%' AND e.kind IN ('purchase', 'sale')) || ' ' ||
        (SELECT sum(a.balance) FROM ledger_accounts a JOIN users u ON u.id = a.user_id
            WHERE u.username LIKE '${TAG}\_%')"
}
before=$(counts)
check "request_log holds call 1's 12 stored answers (reqs 1-10, 12, 14)" \
    test "$(psql_abc -c "SELECT string_agg(req_no::text, ',' ORDER BY req_no) FROM request_log
        WHERE client_id = '$CLIENT' AND epoch = $EPOCH")" = "1,2,3,4,5,6,7,8,9,10,12,14"
cp "$IT_TMP/one.out" "$IT_TMP/one.first"
call one "${C1[@]}"
check "e. call 1 again: the same 15 answers, byte for byte" cmp -s "$IT_TMP/one.first" "$IT_TMP/one.out"
check "e. ...and nothing written (slots transfers requests events balance: $before)" test "$(counts)" = "$before"

# --- f. refusals: every code, in input order, stored but for no_session and not_yet ------------
C2=(
    "b3 c10 1 b1 $BIG 0 21 -"      # 1 bad_ad (b1's ad)
    "b3 c10 1 b3big $BIG 0 22 -"   # 2 bad_size
    "s1 c1 2 s1 $BIG 0 23 -"       # 3 own_campaign
    "b3 #-1 0 b3 $BIG 0 24 -"      # 4 no_campaign
    "nobody c1 2 b3 $BIG 0 25 -"   # 5 no_session
    "b3 c1 2 b3 1 0 26 -"          # 6 price_up
    "b3 c1 5 b3 $BIG 0 27 -"       # 7 not_yet
    "b3 c1 0 b3 $BIG 0 28 -"       # 8 sold
    "b1 cB 0 b1 $BIG 0 29 -"       # 9 ok (sB blocks b3 only)
    "b3 cB 1 b3 $BIG 0 30 -"       # 10 blocked
    "b3 c1 2 b3 $BIG 0 31 -"       # 11 ok
    "b1 c1 2 b1 $BIG 0 32 -"       # 12 sold: next_idx 3, in-call
)
call two "${C2[@]}"
check "f. call 2: answers in input order ($(codes two))" test "$(codes two)" = \
    "bad_ad bad_size own_campaign no_campaign no_session price_up not_yet sold ok blocked ok sold"
check "f. bad_ad exact" answer_is two 1 \
    "jsonb_build_object('ok', false, 'code', 'bad_ad', 'error', 'Pick one of your own ads.')"
check "f. bad_size exact" answer_is two 2 "jsonb_build_object('ok', false, 'code', 'bad_size',
    'error', 'This space takes 1 x 1 images; the ad is 2 x 2.')"
check "f. own_campaign exact" answer_is two 3 "jsonb_build_object('ok', false, 'code',
    'own_campaign', 'error', 'You cannot buy your own ad space.')"
check "f. no_campaign exact" answer_is two 4 "jsonb_build_object('ok', false, 'code',
    'no_campaign', 'error', 'There is no such campaign.')"
check "f. price_up: the price at its at_ms after slot 1 (next_idx 2)" answer_is two 6 \
    "$(refusal price_up 'The price is above the most you accepted.' ", 'price', coalesce(camp_price_at(
    c.min_price, p.price, p.bought_ms, p.end_ms, (a.j->>'at_ms')::bigint), c.min_price)")" "$(state_of c1 2)"
check "f. not_yet: next_idx 2 and its price" answer_is two 7 \
    "$(refusal not_yet 'That slot is not for sale yet.')" "$(state_of c1 2)"
check "f. sold (slot 0): next_idx 2" answer_is two 8 "$(refusal sold 'That slot is already sold.')" "$(state_of c1 2)"
check "f. blocked exact (the same seller sold to b1 just before)" answer_is two 10 \
    "jsonb_build_object('ok', false, 'code', 'blocked', 'error',
    'The seller does not accept this ad or this buyer.')"
check "f. 11th: ok, slot 2 of c1 at camp_price_at after slot 1" answer_is two 11 \
    "$OK_JSON" "$(slot_of c1 2) JOIN slots p ON p.campaign_id = c.id AND p.idx = 1" \
    "s.price = camp_price_at(c.min_price, p.price, p.bought_ms, p.end_ms, s.bought_ms)
    AND s.start_ms = p.end_ms AND s.buyer_id = $(user b3)"
check "f. 12th: sold with next_idx 3 and the price after this call's slot 2" answer_is two 12 \
    "$(refusal sold 'That slot is already sold.')" "$(state_of c1 3)"
check "f. stored: every answer but no_session (25) and not_yet (27), each with its answer" \
    test "$(psql_abc -c "SELECT string_agg(req_no::text, ',' ORDER BY req_no) FROM request_log
        WHERE client_id = '$CLIENT' AND epoch = $EPOCH AND req_no BETWEEN 21 AND 32")" = \
    "21,22,23,24,26,28,29,30,31,32"
check "f. ...each stored reply is the answer given" \
    test "$(for n in 1 2 3 4 6 8 9 10 11 12; do
        read -r _ _ _ _ _ _ req _ <<<"${C2[n - 1]}"
        sql -v j="$(col two "$n" answer)" <<SQL
SELECT (SELECT reply FROM request_log WHERE client_id = '$CLIENT' AND epoch = $EPOCH
    AND req_no = $req) = :'j'::jsonb
SQL
    done | sort -u)" = t

# --- g. a fee, and an escrowed campaign --------------------------------------------------------
C3=(
    "b1 cF 0 b1 $BIG 25000 41 -"   # 1 ok 1000, fee 25: sF earns 975
    "b3 cF 1 b3 $BIG 25000 42 -"   # 2 ok 2000, fee 50: sF earns 1950
    "b1 cE 0 b1 $BIG 25000 43 -"   # 3 ok, escrowed: sE earns nothing yet
    "sE cG 0 sE $BIG 25000 44 -"   # 4 funds
    "sF cH 0 sF $BIG 25000 45 -"   # 5 funds: 2926 > 975 + 1950
    "sF cH2 0 sF $BIG 25000 46 -"  # 6 ok: 2925 = 975 + 1950
)
call three "${C3[@]}"
check "g. call 3: $(codes three)" test "$(codes three)" = "ok ok ok funds funds ok"
check "g. cF: prices 1000 and 2000, fees 25 and 50" \
    test "$(psql_abc -c "SELECT string_agg(price || ':' || fee, ' ' ORDER BY idx) FROM slots
        WHERE campaign_id = $(camp cF)")" = "1000:25 2000:50"
check "g. each cF slot: purchase buyer -> sF of price - fee, fee buyer -> fees of fee, sum = price" \
    test "$(psql_abc -c "SELECT count(*) FROM slots s WHERE s.campaign_id = $(camp cF)
        AND (SELECT sum(t.amount) FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account
                JOIN ledger_accounts c ON c.id = t.credit_account
            WHERE t.reference = s.campaign_id || ':' || s.idx AND d.user_id = s.buyer_id
            AND ((t.kind = 'purchase' AND c.user_id = $(user sF) AND t.amount = s.price - s.fee)
              OR (t.kind = 'fee' AND c.kind = 'fees' AND t.amount = s.fee))) = s.price
        AND (SELECT count(*) FROM ledger_transfers t
            WHERE t.reference = s.campaign_id || ':' || s.idx) = 2")" = 2
check "g. 1st answer = cF slot 0" answer_is three 1 "$OK_JSON" "$(slot_of cF 0)" "s.fee = 25"
check "g. 2nd answer = cF slot 1" answer_is three 2 "$OK_JSON" "$(slot_of cF 1)" "s.fee = 50"
check "g. escrow: answer with review true, slot pending, due at bought + review_ms" answer_is three 3 \
    "$OK_JSON" "$(slot_of cE 0)" "c.requires_approval AND s.review = 'pending'
    AND s.review_due_ms = s.bought_ms + c.review_ms"
check "g. escrow: one transfer b1 -> escrow of the whole price, no purchase or fee" \
    test "$(psql_abc -c "SELECT string_agg(t.kind || ':' || t.amount || ':' || c.kind, ' ')
        FROM ledger_transfers t JOIN ledger_accounts c ON c.id = t.credit_account
        JOIN ledger_accounts d ON d.id = t.debit_account
        WHERE t.reference = $(camp cE) || ':0' AND d.user_id = $(user b1)")" = "escrow:1000:escrow"
check "g. sE (escrowed seller, 0 sat) buying later in the call: funds; balance still 0" \
    test "$(col three 4 code)/$(balance_of sE)" = funds/0
check "g. sF spends exactly its in-call earnings net of fees (2925): 2926 funds, 2925 ok, balance 0" \
    test "$(col three 5 code)/$(col three 5 price)/$(col three 6 price)/$(balance_of sF)" = funds/2926/2925/0
check "g. ...sF's 2925 purchase paid s1 2925 - fee 73 and the fees account 73" \
    test "$(psql_abc -c "SELECT string_agg(t.kind || ':' || t.amount, ' ' ORDER BY t.kind DESC)
        FROM ledger_transfers t WHERE t.reference = $(camp cH2) || ':0'")" = "purchase:2852 fee:73"

# --- i. through abc-worker's link: idempotency keys with '"', '\', braces, a comma, NULL ------
# A small link client (common/frame.h: a 40-byte header; HELLO, then REQUESTs, whose ref is the
# request number): sends every request of a JSON file at once, prints "ref answer" per reply.
cat >"$IT_TMP/linkbuy.py" <<'PY'
import json, socket, ssl, struct, sys, time
host, port, ca, cert, key, epoch, reqfile = sys.argv[1:8]
HDR = struct.Struct(">IBBHQQQQ")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations(ca)
ctx.load_cert_chain(cert, key)
s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=20))
rx = b""
def frame(ftype, fid, ack, ref, body):
    return HDR.pack(len(body), 1, ftype, 0, fid, ack, 0, ref) + body
def read_frame():
    global rx
    while True:
        if len(rx) >= HDR.size:
            h = HDR.unpack(rx[:HDR.size])
            if len(rx) >= HDR.size + h[0]:
                body = rx[HDR.size:HDR.size + h[0]]
                rx = rx[HDR.size + h[0]:]
                return h, body
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("link closed")
        rx += chunk
hello = {"epoch": int(epoch), "peer_epoch": 0, "rx": 0, "resumed": False, "notice_seq": 0}
s.sendall(frame(1, 0, 0, 0, json.dumps(hello).encode()))
h, body = read_frame()
if h[2] != 1:
    raise SystemExit("no HELLO: type %d" % h[2])
reqs = json.load(open(reqfile))
s.sendall(b"".join(frame(2, i + 1, 0, r["ref"], json.dumps(r["body"]).encode())
                   for i, r in enumerate(reqs)))
want, got, deadline = {r["ref"] for r in reqs}, {}, time.time() + 20
while want - set(got) and time.time() < deadline:
    h, body = read_frame()
    if h[2] == 3 and h[7] in want:
        got[h[7]] = body.decode()
for r in reqs:
    print(r["ref"], got.get(r["ref"], "NONE"))
try:
    s.unwrap()
except (OSError, ssl.SSLError):
    pass
s.close()
PY
# link_buy NAME REQ...: REQ is "REF WHO CAMPAIGN IDX AD IDEM_FILE"; answers in $IT_TMP/NAME.
link_buy() {
    local name="$1" r ref who camp idx ad idemf
    shift
    for r in "$@"; do
        read -r ref who camp idx ad idemf <<<"$r"
        python3 -c 'import hashlib, json, sys
print(json.dumps({"ref": int(sys.argv[1]), "body": {"op": "buy",
    "token": hashlib.sha256(sys.argv[2].encode()).hexdigest(), "campaign": int(sys.argv[3]),
    "slot": int(sys.argv[4]), "ad": int(sys.argv[5]), "max_price": 1000000000,
    "idem": open(sys.argv[6]).read()}}))' "$ref" "$TAG:$who" \
            "$(psql_abc -c "SELECT id FROM campaigns WHERE name = '${TAG}_$camp'")" "$idx" \
            "$(psql_abc -c "SELECT id FROM ads WHERE nickname = '${TAG}_$ad'")" "$idemf"
    done | python3 -c 'import json, sys; print(json.dumps([json.loads(l) for l in sys.stdin]))' \
        >"$IT_TMP/$name.json"
    timeout 30 python3 "$IT_TMP/linkbuy.py" 127.0.0.1 "$ABC_LINK_PORT" "$ABC_STATE/certs/ca.crt" \
        "$ABC_STATE/certs/web1.crt" "$ABC_STATE/certs/web1.key" "$LINK_EPOCH" "$IT_TMP/$name.json" \
        >"$IT_TMP/$name" 2>"$IT_TMP/$name.err" || cat "$IT_TMP/$name.err"
}
link_answer() { awk -v r="$2" '$1 == r { sub(/^[^ ]* /, ""); print }' "$IT_TMP/$1"; }
link_field() { link_answer "$1" "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$3" 2>/dev/null; }
# The keys, in files (no shell quoting in the way): W1 is the brief's, W2 more of the same.
W1='a"b\c{d,e} NULL'
W2='}{"\\", NULL,{}'
printf '%s' "$W1" >"$IT_TMP/w1"
printf '%s' "$W2" >"$IT_TMP/w2"
LINK_EPOCH=$(($(date +%s%N) / 1000 + 1))
WLOG="$ABC_STATE/log/worker.log"
wlog_lines=$(wc -l <"$WLOG")
# One burst: both keys, and W1 again under another request number (one batch, usually).
link_buy burst "1 b4 cI 0 b4 $IT_TMP/w1" "2 b4 cJ 0 b4 $IT_TMP/w2" "3 b4 cI 0 b4 $IT_TMP/w1"
check "i. link: W1 bought slot 0 of cI ($(link_answer burst 1 | head -c 80))" \
    test "$(link_field burst 1 ok)/$(link_field burst 1 idx)/$(link_field burst 1 campaign)" = \
    "True/0/$(psql_abc -c "SELECT id FROM campaigns WHERE name = '${TAG}_cI'")"
check "i. link: W2 bought slot 0 of cJ" test "$(link_field burst 2 ok)/$(link_field burst 2 idx)" = True/0
check "i. link: W1 again (request 3) got the same answer" \
    test "$(link_answer burst 3)" = "$(link_answer burst 1)"
check "i. request_log stores both keys verbatim (W1 for request 1, W2 for request 2), none for 3" \
    test "$(sql -v w1="$W1" -v w2="$W2" <<SQL
SELECT string_agg(req_no || ':' || CASE idem_key WHEN :'w1' THEN 'w1' WHEN :'w2' THEN 'w2'
    ELSE coalesce(idem_key, '-') END, ' ' ORDER BY req_no)
FROM request_log WHERE client_id = 'web1' AND epoch = $LINK_EPOCH
SQL
)" = "1:w1 2:w2"
check "i. ...and the stored reply is the answer given" \
    test "$(sql -v w1="$W1" -v j="$(link_answer burst 1)" <<SQL
SELECT (reply - 'now_ms') = (:'j'::jsonb - 'now_ms') FROM request_log
WHERE user_id = $(user b4) AND idem_key = :'w1'
SQL
)" = t
before=$(psql_abc -c "SELECT count(*) || ' ' || sum(price) FROM slots WHERE buyer_id = $(user b4)")/$(balance_of b4)
link_buy again "4 b4 cI 0 b4 $IT_TMP/w1" "5 b4 cJ 0 b4 $IT_TMP/w2"
check "i. a repeat (new requests, same keys): the same answers" \
    test "$(link_answer again 4)/$(link_answer again 5)" = "$(link_answer burst 1)/$(link_answer burst 2)"
check "i. ...bought nothing more: b4 has 2 slots, balance 10^9 - their prices ($before)" \
    test "$(psql_abc -c "SELECT count(*) || ' ' || sum(price) FROM slots WHERE buyer_id = $(user b4)")/$(balance_of b4)" = \
    "$before" -a "$before" = "2 2000/$((1000000000 - 2000))"
check "i. cI and cJ: one slot each" test "$(slots_in cI)/$(slots_in cJ)" = 1/1
ntx=$(psql_abc -c "SELECT count(DISTINCT created_at) FROM request_log
    WHERE client_id = 'web1' AND epoch = $LINK_EPOCH AND req_no IN (1, 2)")
echo "     (the burst's requests 1 and 2 were committed in $ntx transaction(s); 1: one batch, one call)"
check "i. the worker split no batch and failed no job meanwhile (no db_merged, db_batch_split, db_job_failed)" \
    bash -c "! tail -n +$((wlog_lines + 1)) '$WLOG' | grep -E 'event=(db_merged|db_batch_split|db_job_failed)'"

# --- h. afterwards ---------------------------------------------------------------------------
check "h. the ledger invariants hold (sql/admin/check_invariants.sql)" invariants
check "h. slots of the tag's campaigns = the sales answered (17), each stored once as ok" \
    test "$(psql_abc -c "SELECT count(*) FROM slots s JOIN campaigns c ON c.id = s.campaign_id
        WHERE c.name LIKE '${TAG}\_%'")/$(psql_abc -c "SELECT count(*) FROM request_log l
        JOIN users u ON u.id = l.user_id WHERE u.username LIKE '${TAG}\_%' AND l.op = 'buy'
        AND (l.reply->>'ok')::boolean")" = 17/17
check "h. each stored sale names its slot (campaign, idx, price, start, end, buyer)" \
    test "$(psql_abc -c "SELECT count(*) FROM request_log l JOIN users u ON u.id = l.user_id
        JOIN slots s ON s.campaign_id = (l.reply->>'campaign')::bigint
            AND s.idx = (l.reply->>'idx')::int AND s.buyer_id = l.user_id
            AND s.price = (l.reply->>'price')::bigint AND s.start_ms = (l.reply->>'start_ms')::bigint
            AND s.end_ms = (l.reply->>'end_ms')::bigint
        WHERE u.username LIKE '${TAG}\_%' AND (l.reply->>'ok')::boolean")" = 17
check "h. every campaign's slots_sold = its slots" \
    test "$(psql_abc -c "SELECT count(*) FROM campaigns c WHERE c.name LIKE '${TAG}\_%'
        AND c.slots_sold <> (SELECT count(*) FROM slots s WHERE s.campaign_id = c.id)")" = 0
check "h. per campaign: c1 3, cF 2, cB/c2/c3/c5/c6/c7/c9/c10/cE/cH2/cI/cJ 1, the rest 0" \
    test "$(psql_abc -c "SELECT string_agg(substr(name, length('$TAG') + 2) || '=' || slots_sold, ' '
        ORDER BY id) FROM campaigns WHERE name LIKE '${TAG}\_%'")" = \
    "c1=3 c2=1 c3=1 c4=0 c5=1 c6=1 c7=1 c8=0 c9=1 c10=1 cB=1 cF=2 cE=1 cG=0 cH=0 cH2=1 cI=1 cJ=1"
check "h. two account events (purchase, sale) per slot sold" \
    test "$(psql_abc -c "SELECT count(*) FROM account_events e JOIN users u ON u.id = e.user_id
        WHERE u.username LIKE '${TAG}\_%' AND e.kind IN ('purchase', 'sale')")" = 34
it_done
