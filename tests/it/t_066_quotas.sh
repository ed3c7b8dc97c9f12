#!/usr/bin/env bash
# Quotas per user (issue 10): campaigns per seller, ads per user and the bytes of a user's ad
# images, each refused with a message that names the limit, and nothing stored when refused.
# abc-worker runs with small quotas for this test (its settings), then with the stack's again.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="q$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

SETTINGS="$ABC_STATE/settings"
restart_worker() {
    kill_proc worker TERM
    wait_until 20 bash -c "! kill -0 $(pid_of worker) 2>/dev/null"
    start_proc worker
    wait_until 20 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$ABC_HTTP_PORT/c/0) != 5* ]]"
}
restore() {
    sed -i '/^quota_campaigns = \|^quota_ads = \|^quota_image_bytes = /d' "$SETTINGS"
    restart_worker
}
# A 150x150 PNG of noise (about 68 KB: noise does not compress), made here; two of it fit
# in the byte quota, a third does not.
PNG="$IT_TMP/noise.png"
python3 - "$PNG" <<'PY'
import os, struct, sys, zlib
w = h = 150
raw = b"".join(b"\0" + os.urandom(w * 3) for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
BYTES=$(stat -c %s "$PNG")
{
    echo "quota_campaigns = 2"
    echo "quota_ads = 3"
    echo "quota_image_bytes = $((2 * BYTES + BYTES / 2))"
} >>"$SETTINGS"
trap 'restore; rm -rf "$IT_TMP"' EXIT
restart_worker

U="u_$RUN"
check "a user registers" test "$(register "$U" 1)" = 303
c1=$(sell "$U" 1 "One+$RUN" 0.001 slot_hours=1)
c2=$(sell "$U" 2 "Two+$RUN" 0.001 slot_hours=1)
check "two campaigns are made ($c1, $c2)" test -n "$c1" -a -n "$c2"
sell "$U" 1 "Three+$RUN" 0.001 slot_hours=1 >/dev/null 2>&1 || true
check "the third is refused, naming the limit" grep -q "You already have 2 campaigns" "$IT_TMP/sell.$U"
check "...and not stored" test "$(psql_abc -c "SELECT count(*) FROM campaigns c JOIN users u
    ON u.id = c.seller_id WHERE u.username = '$U'")" = 2

# Ads: two of the image fit in the byte quota, a third does not; a small one still fits
# (the count allows three), a fourth ad of any size does not.
check "the first ad is uploaded" test "$(upload "$U" 1 "big1" "h" "https://example.com/" "$PNG")" = 200
check "the second too" test "$(upload "$U" 2 "big2" "h" "https://example.com/" "$PNG")" = 200
upload "$U" 1 "big3" "h" "https://example.com/" "$PNG" >/dev/null
check "a third past the byte quota is refused, naming the limit" \
    grep -q "at most $(((2 * BYTES + BYTES / 2) / 1024)) KiB" "$IT_TMP/up_$U"
check "a small third ad fits" test "$(upload "$U" 2 "small" "h" "https://example.com/" \
    "$IMG/png_1x1.png")" = 200
upload "$U" 2 "fourth" "h" "https://example.com/" "$IMG/png_1x1.png" >/dev/null
check "a fourth ad is refused, naming the limit" grep -q "You already have 3 ads" "$IT_TMP/up_$U"
check "...and not stored" test "$(psql_abc -c "SELECT count(*) FROM ads a JOIN users u
    ON u.id = a.user_id WHERE u.username = '$U'")" = 3
check "the ledger invariants hold" invariants
it_done
