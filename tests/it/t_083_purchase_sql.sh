#!/usr/bin/env bash
# The database prices a purchase with common/price.c's formula (issue 12): camp_price_at
# answers 10 000 random edge-heavy cases (abc-pricecases, C's price_at_ms) exactly like C.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES=10000
SEED="${IT_PRICE_SEED:-$(( $(date +%s) % 100000 + 1 ))}"
echo "seed $SEED ($CASES cases; IT_PRICE_SEED=$SEED replays it)"
"$ABC_BUILD/tests/it/abc-pricecases" "$CASES" "$SEED" >"$IT_TMP/cases"
check "abc-pricecases printed $CASES cases" test "$(wc -l <"$IT_TMP/cases")" -eq "$CASES"

# One psql session: the cases into a temporary table, then every disagreement printed.
psql_abc -q -v ON_ERROR_STOP=1 >"$IT_TMP/diff" 2>&1 <<SQL || true
CREATE TEMP TABLE pc (min bigint, last bigint, t0 bigint, t1 bigint, t bigint, c_price bigint);
\copy pc FROM '$IT_TMP/cases' WITH (DELIMITER ' ')
SELECT 'rows ' || count(*) FROM pc;
SELECT 'differs', min, last, t0, t1, t, c_price, camp_price_at(min, last, t0, t1, t)
FROM pc WHERE camp_price_at(min, last, t0, t1, t) IS DISTINCT FROM c_price LIMIT 5;
SQL
check "psql read every case" grep -qx "rows $CASES" "$IT_TMP/diff"
check "SQL and C agree on every case" bash -c "! grep -q -e differs -e ERROR '$IT_TMP/diff'"
grep -e differs -e ERROR "$IT_TMP/diff" | head -5 || true

# A few fixed cases that a sign or rounding slip would break.
fixed() { psql_abc -c "SELECT camp_price_at($1)"; }
check "no purchase yet: the minimum" test "$(fixed "1000, 0, 0, 0, 5")" = 1000
check "at the purchase: twice the last price" test "$(fixed "1000, 5000, 100, 1100, 100")" = 10000
check "half way: rounded up" test "$(fixed "1, 4, 0, 3, 1")" = 6
check "before the purchase: as at it" test "$(fixed "1, 4, 10, 20, -99")" = 8
check "at the slot's end: the minimum" test "$(fixed "7, 4, 0, 3, 3")" = 7
check "past the cap: the cap" test "$(fixed "1, 2000000000000000, 0, 10, 0")" = 2100000000000000
it_done
