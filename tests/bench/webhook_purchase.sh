#!/usr/bin/env bash
# What webhooks cost a purchase (issue 15 against issue 12's throughput):
# pgbench runs camp_purchase, one purchase a transaction (as abc-worker's
# requests are), on campaigns of their own, first when neither buyer nor
# seller has a webhook endpoint (webhook_event is one index probe each and
# writes nothing), then when both have one (two events and two deliveries
# written in the purchase's transaction), then without again.
# Usage (a ./deploy/run stack, root): tests/bench/webhook_purchase.sh BUYER SELLER [N]
# with BUYER owning a 300x250 ad (tests/it/t_190_webhooks.sh leaves such a
# pair: whb..., whs...).  It leaves its campaigns and purchases in that
# stack's database: use a stack you can throw away.
set -euo pipefail
ABC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ABC_ROOT/deploy/lib.sh"
abc_env
BUYER="$1" SELLER="$2" N="${3:-2000}"
q() { abc_psql -d abc -At -v ON_ERROR_STOP=1 "$@"; }
b=$(q -c "SELECT id FROM users WHERE username = '$BUYER'")
s=$(q -c "SELECT id FROM users WHERE username = '$SELLER'")
ad=$(q -c "SELECT max(a.id) FROM ads a JOIN images i ON i.sha256 = a.image WHERE a.user_id = $b AND i.width = 300 AND i.height = 250")
tag="bench$$"
q -q <<SQL
INSERT INTO user_sessions (token_hash, user_id, expires_at)
VALUES (sha256('$tag'::bytea), $b, now() + interval '1 day');
INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, reference)
SELECT (SELECT id FROM ledger_accounts WHERE kind = 'deposits'), id, 1000000000000, 'deposit', '$tag'
FROM ledger_accounts WHERE user_id = $b;
INSERT INTO campaigns (seller_id, name, description, width, height, min_price, slot_ms)
SELECT $s, '$tag ' || g, '', 300, 250, 1000, 3600000 FROM generate_series(1, 3 * $N) g;
SQL
lo=$(q -c "SELECT min(id) FROM campaigns WHERE name LIKE '$tag %'")
run() { # run LABEL FIRST_CAMPAIGN: N purchases, slot 0 of N campaigns in turn
    [[ $2 != "$lo" ]] || abc_psql -d abc -At -v ON_ERROR_STOP=1 >/dev/null -c "CREATE SEQUENCE ${tag}_seq"
    # synchronous_commit off: the function's own cost, not the disk's
    # flush (which dominates on a shared machine and is the same for both).
    cat >"/tmp/$tag.sql" <<SQL
SET synchronous_commit = off;
SELECT camp_purchase('$tag', 1, nextval('${tag}_seq'), NULL, sha256('$tag'::bytea), 86400, $2 + currval('${tag}_seq') % $N, 0, $ad, 1000000, 0);
SQL
    chmod 644 "/tmp/$tag.sql"
    local tps
    tps=$(as_postgres pgbench -h "$ABC_PGDIR" -U postgres -n -M prepared -c 1 -t "$N" -f "/tmp/$tag.sql" abc 2>&1 |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    echo "$1: $N purchases, $tps purchases/s, $(awk -v t="$tps" 'BEGIN { printf "%.0f", 1e6 / t }') us each"
}
hooks() { q -q -c "$1"; }
hooks "DELETE FROM webhook_endpoints WHERE url = 'https://bench.invalid/$tag'"
run "no endpoints" "$lo"
hooks "INSERT INTO webhook_endpoints (user_id, url, secret) VALUES ($b, 'https://bench.invalid/$tag', repeat('ab', 32)), ($s, 'https://bench.invalid/$tag', repeat('ab', 32))"
run "buyer and seller have an endpoint" "$((lo + N))"
hooks "DELETE FROM webhook_endpoints WHERE url = 'https://bench.invalid/$tag'"
run "no endpoints again" "$((lo + 2 * N))"
ok=$(q -c "SELECT count(*) FROM slots WHERE campaign_id >= $lo")
echo "slots sold: $ok of $((3 * N))"
rm -f "/tmp/$tag.sql"
