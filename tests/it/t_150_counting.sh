#!/usr/bin/env bash
# Counting (issue 15): /embed/<id> counts an impression of the slot on display and
# /go/<id>/<idx> a click (a 303 to the ad's own URL), in abc-web's memory, flushed per
# (slot, minute) into slot_stats by one exactly-once stats_flush every stats_flush_ms
# (2 s).  Shows: every fetch counted exactly (both abc-webs, and through nginx, whose
# microcache must not swallow an embed); far fewer flushes than views; a flush whose
# reply is lost (abc-worker SIGSTOPped past the request timeout, so abc-web sends the
# batch again under the same key) counted once; SIGKILL of abc-web mid-count loses at
# most what it counted in the last flush interval and never counts twice.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="k$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FLUSH_MS=2000
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

SELLER="s_$RUN"
BUYER="b_$RUN"
URL="https://example.com/landing-$RUN?x=1"
check "seller and buyer register" test "$(register "$SELLER" 1)$(register "$BUYER" 2)" = 303303
CID=$(sell "$SELLER" 2 "Counting+$RUN" 0.0001 slot_seconds=900) || true
check "a campaign with 15-minute slots" test -n "$CID"
[[ -n "$CID" ]] || { it_done; exit 1; }
upload "$BUYER" 1 "ad-$RUN" "hover" "$URL" "$IMG/gif_300x250.gif" >/dev/null
fund "$BUYER" 100000000
form=$(confirm "$BUYER" 1 "$CID" "$(ad_of "ad-$RUN")") || true
out=$(buy "$BUYER" 1 "$CID" "$form" /dev/null)
check "slot 0 bought ($out)" test "${out%% *}" = 303

imp() { psql_abc -c "SELECT coalesce(sum(impressions), 0) FROM slot_stats WHERE campaign_id = $CID"; }
clk() { psql_abc -c "SELECT coalesce(sum(clicks), 0) FROM slot_stats WHERE campaign_id = $CID"; }
flushes() { psql_abc -c "SELECT count(*) FROM request_log WHERE op = 'stats_flush'"; }
is_imp() { test "$(imp)" = "$1"; }
is_clk() { test "$(clk)" = "$1"; }

# --- 1. Every fetch counted, once, whichever way it came.
f0=$(flushes)
t0=$(now_ms)
web any "/embed/$CID" -o "$IT_TMP/embed"
check "the embed links the ad through /go/$CID/0" grep -q "href=\"/go/$CID/0\"" "$IT_TMP/embed"
check "...and shows 'Ad · your ad here' linking the campaign page" \
    grep -q "href=\"/c/$CID\"[^>]*>Ad · your ad here<" "$IT_TMP/embed"
sent=1
for i in $(seq 1 60); do
    for via in 1 2 any; do
        code=$(web "$via" "/embed/$CID" -o /dev/null -w '%{http_code}')
        [[ "$code" == 200 ]] && sent=$((sent + 1))
    done
done
clicks=0
for i in $(seq 1 10); do
    out=$(web $((i % 2 + 1)) "/go/$CID/0" -o /dev/null -w '%{http_code} %{redirect_url}')
    [[ "$out" == "303 $URL" ]] && clicks=$((clicks + 1))
done
check "/go/$CID/0 answers 303 to the ad's own URL (10/10: $clicks)" test "$clicks" = 10
check "$sent embeds (web1, web2, nginx) arrive in slot_stats, exactly" wait_until 15 is_imp "$sent"
check "10 clicks arrive, exactly" wait_until 15 is_clk 10
sleep 3
check "...and stay exact after more flushes ($(imp) impressions, $(clk) clicks)" test "$(imp) $(clk)" = "$sent 10"
nf=$(($(flushes) - f0))
ticks=$((2 * ($(now_ms) - t0) / FLUSH_MS + 4))
check "one flush per abc-web and interval at most, not a write per view ($nf flushes for $((sent + 10)) hits, bound $ticks)" \
    test "$nf" -le "$ticks"
mins=$((($(now_ms) - t0) / 60000 + 2))
check "no database row per view: slot_stats has one row per minute (at most $mins)" \
    test "$(psql_abc -c "SELECT count(*) <= $mins FROM slot_stats WHERE campaign_id = $CID")" = t
uv=$(psql_abc -c "SELECT coalesce(sum(hll_estimate(regs)), 0) FROM slot_uniques WHERE campaign_id = $CID")
check "unique viewers today: one client (seen through nginx's port and Unix sockets: <= 2), not $sent ($uv)" \
    test "$uv" -ge 1 -a "$uv" -le 2
check "slot_seen marks the slot's current bucket" \
    test "$(psql_abc -c "SELECT mask <> 0 FROM slot_seen WHERE campaign_id = $CID AND idx = 0")" = t

# --- 2. Unknown ids.
check "/go of an unknown slot: 404" test "$(web any "/go/$CID/7" -o /dev/null -w '%{http_code}')" = 404
check "/go of an unknown campaign: 404" test "$(web any "/go/99999999/0" -o /dev/null -w '%{http_code}')" = 404
check "/go with junk: 404" test "$(web any "/go/$CID/0x" -o /dev/null -w '%{http_code}')" = 404
check "/go never redirects elsewhere (?url= ignored)" \
    test "$(web any "/go/$CID/0?url=https://evil.example/" -o /dev/null -w '%{redirect_url}')" = "$URL"
code=$(web any "/embed/99999999" -o "$IT_TMP/empty" -w '%{http_code}')
check "/embed of an unknown campaign: 404, an empty box without the site's header" \
    bash -c "test $code = 404 && grep -q '<body></body>' '$IT_TMP/empty' && ! grep -qi '<nav\|<header\|Sell' '$IT_TMP/empty'"

# --- 3. A lost reply: abc-worker stopped past abc-web's request timeout (3 s), so the
# flush times out and is sent again under the same key; both deliveries reach it.  The
# views are fetched fast (20 per curl process) and abc-worker stopped right after, so
# they wait in abc-web when it stops; should a flush still slip in between (nothing
# left to send again), the round is repeated, up to 3 times.
retried=""
for round in 1 2 3; do
    base=$(imp)
    off1=$(($(wc -c <"$ABC_STATE/log/web1.log") + 1))
    off2=$(($(wc -c <"$ABC_STATE/log/web2.log") + 1))
    web 1 "/embed/$CID?n=[1-20]" -o /dev/null -w '%{http_code}\n' >"$IT_TMP/codes1" &
    web 2 "/embed/$CID?n=[1-20]" -o /dev/null -w '%{http_code}\n' >"$IT_TMP/codes2"
    wait
    kill_proc worker STOP
    n3=$(cat "$IT_TMP/codes1" "$IT_TMP/codes2" | grep -c '^200$' || true)
    sleep 8
    kill_proc worker CONT
    check "round $round: after the stop, exactly $n3 more impressions" wait_until 20 is_imp $((base + n3))
    # A key sent again during this stop (the logs' new lines only).
    retried=$({ tail -c +"$off1" "$ABC_STATE/log/web1.log"; tail -c +"$off2" "$ABC_STATE/log/web2.log"; } |
        { grep 'event=stats_flush_retry' || true; } | { grep -o 'idem=[0-9a-f]*' || true; } |
        tail -n 1 | sed 's/idem=//')
    [[ -z "$retried" ]] || break
done
check "a flush was sent again (stats_flush_retry in the abc-web logs)" test -n "$retried"
check "...and its key is stored once" \
    test "$(psql_abc -c "SELECT count(*) FROM request_log WHERE op = 'stats_flush' AND idem_key = '$retried'")" = 1
sleep 3
check "...still exact after more flushes" is_imp $((base + n3))

# --- 4. SIGKILL of web1 mid-count: at most the last flush interval lost, never double.
base=$(imp)
: >"$IT_TMP/hits"
(
    stop=$(($(now_ms) + 9000))
    while (($(now_ms) < stop)); do
        code=$(web 1 "/embed/$CID" -o /dev/null -w '%{http_code}' --max-time 2 || true)
        [[ "$code" == 200 ]] && echo "$(now_ms)" >>"$IT_TMP/hits"
    done
) &
hitter=$!
sleep 5
kill_ms=$(now_ms)
kill_proc web1 KILL
wait "$hitter" || true
start_proc web1
sleep $((FLUSH_MS * 3 / 1000))
got=$(($(imp) - base))
answered=$(wc -l <"$IT_TMP/hits")
# Hits answered more than one interval (+ 1 s for the flush's round trip under load)
# before the kill must have been flushed.
old=$(awk -v k="$kill_ms" -v w=$((FLUSH_MS + 1000)) '$1 < k - w' "$IT_TMP/hits" | wc -l)
lost=$((answered - got))
echo "  web1 answered $answered embeds before the kill, $old of them over $((FLUSH_MS + 1000)) ms before; counted $got, lost $lost"
check "counted at most what was answered (never double)" test "$got" -le "$answered"
check "counted at least what was answered one flush interval before the kill" test "$got" -ge "$old"
web 1 "/embed/$CID" -o /dev/null
check "the restarted web1 counts again" wait_until 15 is_imp $((base + got + 1))
check "invariants hold" invariants
it_done
