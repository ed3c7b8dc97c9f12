#!/usr/bin/env bash
# A durable request whose SQL raises an error it does not catch fails alone and leaves
# abc-worker's database session usable (worker/db.c): the failed pipeline left its
# transaction open and aborted (the COMMIT after the error is skipped), so without a
# ROLLBACK every later batch failed at its BEGIN and the worker answered nothing more.
# The error is made with a trigger on request_log that raises for one counter value.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="it021_$$_$(date +%s)"
PORT="$ABC_LINK_PORT"
BOOM=777777
drop_trigger() {
    psql_abc -q -c "DROP TRIGGER IF EXISTS it021_boom ON request_log;
        DROP FUNCTION IF EXISTS it021_boom();" >/dev/null 2>&1 || true
}
trap 'drop_trigger; rm -rf "$IT_TMP"' EXIT
psql_abc -q -v ON_ERROR_STOP=1 -c "
    CREATE OR REPLACE FUNCTION it021_boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN RAISE EXCEPTION 'it021: an error no SQL function catches'; END \$\$;
    CREATE TRIGGER it021_boom BEFORE INSERT ON request_log FOR EACH ROW
        WHEN (NEW.op = 'counter_add' AND NEW.reply->>'value' = '$BOOM')
        EXECUTE FUNCTION it021_boom();
    INSERT INTO link_counters (key, value) VALUES ('$RUN-boom-0', $((BOOM - 1)));" >/dev/null

# linkc PREFIX N TIMEOUT_MS: N counter_add requests on one key; its summary line.
linkc() {
    "$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$PORT" --ca "$ABC_CERTS/ca.crt" \
        --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" -c 1 -t 1 -n "$2" \
        --op counter_add --prefix "$1" --keys 1 --timeout-ms "$3" 2>>"$IT_TMP/linkc.err" | tail -n 1
}
out="$(linkc "$RUN-boom-" 1 3000 || true)"
echo "  the failing request: $out"
check "the request whose SQL raises is not answered ok" \
    test "$(psql_abc -c "SELECT value FROM link_counters WHERE key = '$RUN-boom-0'")" = $((BOOM - 1))
drop_trigger
out="$(linkc "$RUN-ok-" 20 10000 || true)"
echo "  then: $out"
check "...and abc-worker answers the next 20 durable requests ok" \
    grep -q "replies_ok=20 errors=0 timeouts=0" <<<"$out"
check "...applied once each" \
    test "$(psql_abc -c "SELECT value FROM link_counters WHERE key = '$RUN-ok-0'")" = 20
it_done
