#!/usr/bin/env bash
# Purchases racing on the one-call path (issue 12): 64 buyers over 8 campaigns for a bounded
# time through the link (abc-linkc --buy-race). Afterwards: slots sold = ok replies, no slot
# index sold twice and none skipped, the ledger invariants, and every refusal of a lost race
# carried the state that was true when it was decided (next_idx and the price then).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TAG="race$(date +%s%N | tail -c 9)"
BUYERS=64
CAMPS=8
N="${IT_RACE_N:-6000}"
# 64 funded buyers with sessions and a 1x1 ad each, 8 sellers with a 1x1 campaign each
# (min price 1 sat, 1 h slots); a lane per buyer on campaign (buyer mod 8).
PNG=89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082
psql_abc -q -v ON_ERROR_STOP=1 -F ' ' -v tag="$TAG" -v png="$PNG" -f - >"$IT_TMP/lanes" <<'SQL'
BEGIN;
INSERT INTO images (sha256, mime, width, height, data)
SELECT encode(sha256(d), 'hex'), 'image/png', 1, 1, d
FROM (SELECT decode(:'png', 'hex') AS d) x
ON CONFLICT (sha256) DO NOTHING;
CREATE TEMP TABLE bu ON COMMIT DROP AS
SELECT j, format('%s_b%s', :'tag', j) AS bname,
    sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')) AS token,
    0::bigint AS buyer, 0::bigint AS ad
FROM generate_series(0, 63) j;
INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
SELECT n, sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
    substr(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 1, 16), 131072, 8, 1
FROM (SELECT bname FROM bu UNION ALL
    SELECT format('%s_s%s', :'tag', k) FROM generate_series(0, 7) k) v(n);
UPDATE bu SET buyer = (SELECT id FROM users WHERE username = bname);
INSERT INTO ledger_accounts (kind, user_id)
SELECT 'user', id FROM users WHERE username LIKE :'tag' || '\_%';
INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, reference)
SELECT (SELECT id FROM ledger_accounts WHERE kind = 'deposits'), a.id,
    10000000000000, 'deposit', 'test:' || bu.bname
FROM bu JOIN ledger_accounts a ON a.user_id = bu.buyer;
INSERT INTO user_sessions (token_hash, user_id, expires_at, client_addr)
SELECT sha256(token), buyer, now() + interval '1 day', 'test' FROM bu;
INSERT INTO ads (user_id, nickname, hover, url, image)
SELECT buyer, 'race', 'race', 'https://example.com/',
    encode(sha256(decode(:'png', 'hex')), 'hex')
FROM bu;
UPDATE bu SET ad = a.id FROM ads a WHERE a.user_id = bu.buyer;
INSERT INTO campaigns (seller_id, name, description, width, height, min_price, slot_ms)
SELECT u.id, u.username, 'race', 1, 1, 1, 3600000
FROM users u WHERE u.username LIKE :'tag' || '\_s%';
SELECT encode(bu.token, 'hex'), c.id, bu.ad
FROM bu JOIN campaigns c ON c.name = format('%s_s%s', :'tag', bu.j % 8)
ORDER BY bu.j;
COMMIT;
SQL
check "64 lanes over 8 campaigns" test "$(wc -l <"$IT_TMP/lanes")" -eq "$BUYERS"

certs="$ABC_STATE/certs"
t0=$(now_ms)
"$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$ABC_LINK_PORT" --ca "$certs/ca.crt" \
    --cert "$certs/web1.crt" --key "$certs/web1.key" -c 4 -t 16 -n "$N" --op buy \
    --buy-file "$IT_TMP/lanes" --buy-race --timeout-ms 30000 >"$IT_TMP/linkc" 2>&1 || true
echo "$(cat "$IT_TMP/linkc") ($(($(now_ms) - t0)) ms)"
ok=$(grep -o 'replies_ok=[0-9]*' "$IT_TMP/linkc" | cut -d= -f2)
lost=$(grep -o 'lost=[0-9]*' "$IT_TMP/linkc" | cut -d= -f2)
check "every purchase sold or lost a race (no error, no timeout)" test "$((ok + lost))" -eq "$N"
check "some purchases lost a race (they did race)" test "${lost:-0}" -gt 0

camps="(SELECT id FROM campaigns WHERE name LIKE '${TAG}\_s%')"
sold=$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id IN $camps")
check "slots sold ($sold) = ok replies ($ok)" test "$sold" = "$ok"
check "no slot index sold twice, none skipped" test "$(psql_abc -c "
    SELECT count(*) FROM (SELECT campaign_id, count(*) n, count(DISTINCT idx) d, max(idx) m
    FROM slots WHERE campaign_id IN $camps GROUP BY campaign_id) s
    WHERE n <> d OR m <> n - 1")" = 0
check "each campaign's count matches its slots" test "$(psql_abc -c "
    SELECT count(*) FROM campaigns c WHERE c.id IN $camps AND c.slots_sold <>
    (SELECT count(*) FROM slots s WHERE s.campaign_id = c.id)")" = 0
check "the ledger invariants hold" invariants

# Every stored refusal names the slot for sale and its price at the moment it was decided:
# slot next_idx - 1 was bought at or before at_ms, slot next_idx (if any) at or after, and
# next_price is the formula at at_ms.
refusals=$(psql_abc -c "SELECT count(*) FROM request_log r JOIN users u ON u.id = r.user_id
    WHERE u.username LIKE '${TAG}\_b%' AND r.op = 'buy' AND NOT (r.reply->>'ok')::boolean")
check "refusals were recorded ($refusals)" test "$refusals" -gt 0
wrong=$(psql_abc -c "
    WITH r AS (SELECT (l.reply->>'campaign')::bigint AS camp,
        (l.reply->>'next_idx')::bigint AS nx, (l.reply->>'next_price')::bigint AS np,
        (l.reply->>'at_ms')::bigint AS at
        FROM request_log l JOIN users u ON u.id = l.user_id
        WHERE u.username LIKE '${TAG}\_b%' AND l.op = 'buy' AND NOT (l.reply->>'ok')::boolean)
    SELECT count(*) FROM r LEFT JOIN campaigns c ON c.id = r.camp AND c.id IN $camps
    LEFT JOIN slots p ON p.campaign_id = r.camp AND p.idx = r.nx - 1
    LEFT JOIN slots n ON n.campaign_id = r.camp AND n.idx = r.nx
    WHERE c.id IS NULL OR r.nx IS NULL OR r.np IS NULL OR r.at IS NULL
       OR (r.nx > 0 AND (p.idx IS NULL OR p.bought_ms > r.at))
       OR (n.idx IS NOT NULL AND n.bought_ms < r.at)
       OR r.np <> coalesce(camp_price_at(c.min_price, p.price, p.bought_ms, p.end_ms, r.at),
                           c.min_price)")
check "every refusal carried the state true at its decision ($wrong wrong)" test "$wrong" = 0
it_done
