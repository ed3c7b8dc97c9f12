#!/usr/bin/env bash
# An error is never an answer (issue 10, SPEC 6): a whole-system fault run.
#  1. PostgreSQL stopped for 5 s while two browsers (one per abc-web) read
#     campaign pages, the JSON state, the embed, the home and account pages,
#     and four buyers buy through both abc-web: no user is logged out (no
#     Set-Cookie deleting abc_session, no redirect to /login), no existing
#     campaign answers 404, a campaign page cached before the outage is
#     served stale (Cache-Status ... stale) instead of failing, and every
#     purchase is done, refused for a reason, or refused with a retryable
#     message ("try again", or 202 "still working"); once PostgreSQL is back,
#     every 202 form sent again gets its outcome, slots = purchases answered
#     done, and the ledger invariants hold.
#  2. abc-worker killed: a logged-in POST answers 202 "still working" (not
#     303 /login), GET /account answers 503 (not the login page), the cookie
#     stays, a campaign page is served stale; once abc-worker is back, the
#     purchase is carried out without being sent again, and sending the
#     same form again shows it (one slot).
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="o$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=1000000000 # 10 BTC each: prices double with every purchase
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
pg_up() { abc_pg_start >/dev/null 2>&1 || abc_pg_start; }
# Whatever happens, leave PostgreSQL and abc-worker running for the next test.
restore() {
    touch "$IT_TMP/stop"
    pg_up || true
    pid_of worker >/dev/null 2>&1 || start_proc worker || true
}
trap 'restore; [[ -n "${IT_KEEP:-}" ]] && echo "kept $IT_TMP" || rm -rf "$IT_TMP"' EXIT
export ABC_STATE_DIR ABC_HTTP_PORT
# start_proc runs ./deploy/run start with our environment: give it the ABC_*
# settings abc-worker runs with now, so the restarted one is configured alike.
if wpid=$(pid_of worker) && [[ -r "/proc/$wpid/environ" ]]; then
    while IFS= read -r kv; do
        if [[ "$kv" =~ ^ABC_[A-Z0-9_]+= && ! "$kv" =~ ^ABC_(ROOT|STATE_DIR|HTTP_PORT|BUILD)= ]]; then
            export "${kv?}"
        fi
    done < <(tr '\0' '\n' <"/proc/$wpid/environ")
fi

# The machine may be loaded: what runs per request forks little.
ms() { REPLY=${EPOCHREALTIME/./}; REPLY=${REPLY:0:-3}; }
# req LOG KIND VIA PATH JAR [curl args]: one request; sets REQ_CODE and
# REQ_LOC and appends to LOG the line "start_ms kind path status location
# del=0|1 stale=0|1 retry=0|1 busy=0|1": del, a Set-Cookie deleted
# abc_session; stale, served stale from the cache; retry, the page says
# "try again"; busy, it says "Still working".  Body in $IT_TMP/b.$BASHPID.
req() {
    local log="$1" kind="$2" via="$3" path="$4" jar="$5" out t0 flags
    shift 5
    local h="$IT_TMP/h.$BASHPID" b="$IT_TMP/b.$BASHPID"
    : >"$h"
    : >"$b"
    ms
    t0=$REPLY
    out=$(web "$via" "$path" -b "$jar" -D "$h" -o "$b" -w '%{http_code} %{redirect_url}' "$@") || true
    [[ -n "$out" ]] || out="000 "
    flags=$(awk 'FNR == 1 { f++ } { l = tolower($0) }
        f == 1 && l ~ /^set-cookie: abc_session=;/ { d = 1 }
        f == 1 && l ~ /^cache-status:.*stale/ { s = 1 }
        f == 2 && l ~ /try again/ { r = 1 }
        f == 2 && /Still working/ { w = 1 }
        END { printf "del=%d stale=%d retry=%d busy=%d", d, s, r, w }' "$h" "$b")
    REQ_CODE="${out%% *}"
    REQ_LOC="${out#* }"
    echo "$t0 $kind $path $REQ_CODE ${REQ_LOC:--} $flags" >>"$log"
}
# form_of FILE: the purchase form in FILE as POST data, or nothing.
form_of() {
    awk '{ while (match($0, /name="(csrf|idem|slot|ad|max_price)" value="[^"]*"/)) {
            s = substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH)
            split(s, p, "\""); if (!(p[2] in v)) { v[p[2]] = p[4]; o[++n] = p[2] } } }
        END { if (("slot" in v) && ("ad" in v) && ("max_price" in v))
            for (i = 1; i <= n; i++) printf "%s%s=%s", (i > 1 ? "&" : ""), o[i], v[o[i]] }' "$1"
}
new_key() { printf -v REPLY '%04x%04x%04x%04x%04x%04x%04x%04x' $RANDOM $RANDOM $RANDOM $RANDOM \
    $RANDOM $RANDOM $RANDOM $RANDOM; }

# --- setup: a seller with three campaigns, four funded buyers with an ad ----
SELLER="s_$RUN"
check "the seller registers (303)" test "$(register "$SELLER" 1)" = 303
C1=$(sell "$SELLER" 1 "Out1+$RUN" 0.00000001 slot_hours=1)
C2=$(sell "$SELLER" 2 "Out2+$RUN" 0.00000001 slot_hours=1)
C3=$(sell "$SELLER" 1 "Quiet+$RUN" 0.00000001 slot_hours=1)
check "...and creates three campaigns ($C1, $C2, $C3)" test -n "$C1" -a -n "$C2" -a -n "$C3"
NB=4
declare -A AD
for i in $(seq 1 $NB); do
    name="b${RUN}_$i"
    via=$(((i % 2) + 1))
    [[ "$(register "$name" "$via")" == 303 ]] || echo "  register $name failed"
    [[ "$(upload "$name" "$via" "ad_$name" "hover" "https://example.com/$i" "$IMG/gif_300x250.gif")" == 200 ]] ||
        echo "  upload for $name failed"
    fund "$name" "$FUND"
    AD[$i]=$(ad_of "ad_$name")
done
check "$NB buyers registered, funded, with an ad each" test "$(psql_abc -c "SELECT count(*) FROM ledger_accounts a
    JOIN users u ON u.id = a.user_id WHERE u.username LIKE 'b${RUN}\_%' AND a.balance = $FUND")" = "$NB"
VIEWER="v_$RUN"
check "a viewer registers (303)" test "$(register "$VIEWER" 2)" = 303
# The quiet campaign is read through both processes now and not again until
# the outage: its cached copy is then past its freshness (5 s).
for via in 1 2; do
    for c in "$C1" "$C2" "$C3"; do
        for p in "/c/$c" "/api/c/$c.json" "/embed/$c"; do
            web "$via" "$p" -b "$(jar "$VIEWER")" -o /dev/null
        done
    done
done
T_QUIET=$(now_ms)

# --- 1. PostgreSQL stopped for 5 s under browsing and buying ----------------
mkdir -p "$IT_TMP/forms"
browser() { # browser VIA: reads pages until $IT_TMP/stop
    local via="$1" log="$IT_TMP/log_browse_$1" c j
    j=$(jar "$VIEWER")
    while [[ ! -e "$IT_TMP/stop" ]]; do
        for c in "$C1" "$C2"; do
            req "$log" page "$via" "/c/$c" "$j"
            req "$log" api "$via" "/api/c/$c.json" "$j"
            req "$log" embed "$via" "/embed/$c" "$j"
        done
        req "$log" home "$via" / "$j"
        req "$log" account "$via" /account "$j"
    done
}
quiet() { # quiet VIA: reads the quiet campaign from $IT_TMP/quiet to $IT_TMP/stop
    local via="$1" log="$IT_TMP/log_quiet_$1" j
    j=$(jar "$VIEWER")
    until [[ -e "$IT_TMP/quiet" || -e "$IT_TMP/stop" ]]; do sleep 0.1; done
    while [[ ! -e "$IT_TMP/stop" ]]; do
        req "$log" page "$via" "/c/$C3" "$j"
        req "$log" api "$via" "/api/c/$C3.json" "$j"
        req "$log" embed "$via" "/embed/$C3" "$j"
    done
}
# buyer I: step 1 then step 2 of a purchase, in turn on C1 and C2, until
# $IT_TMP/stop; when step 1 fails (the outage) the last form is sent again
# with a new key.  Every form sent is kept under its key for a resend, with
# its outcome: the status, "303b" for a purchase done.
buyer() {
    local i="$1" via=$((($1 % 2) + 1)) name="b${RUN}_$1" n=0 log="$IT_TMP/log_buy_$1"
    local cid form="" fcid="" f idem j body="$IT_TMP/b.$BASHPID"
    j=$(jar "$name")
    while [[ ! -e "$IT_TMP/stop" ]]; do
        n=$((n + 1))
        cid=$C1
        ((n % 2)) || cid=$C2
        req "$log" confirm "$via" "/c/$cid/buy?ad=${AD[$i]}" "$j"
        f=$(form_of "$body")
        if [[ -n "$f" ]]; then
            form=$f
            fcid=$cid
        elif [[ -n "$form" ]]; then
            new_key
            form="${form/idem=$idem/idem=$REPLY}"
        else
            sleep 0.2
            continue
        fi
        idem=${form#*idem=}
        idem=${idem%%&*}
        echo "$via $fcid $name $form" >"$IT_TMP/forms/$idem"
        req "$log" buy "$via" "/c/$fcid/buy" "$j" --data "$form"
        if [[ "$REQ_CODE" == 303 && "$REQ_LOC" == *bought=* ]]; then
            echo 303b >"$IT_TMP/forms/$idem.code"
        else
            echo "$REQ_CODE" >"$IT_TMP/forms/$idem.code"
        fi
    done
}
pids=()
for via in 1 2; do
    browser "$via" &
    pids+=($!)
    quiet "$via" &
    pids+=($!)
done
for i in $(seq 1 $NB); do
    buyer "$i" &
    pids+=($!)
done
sleep 2
OUT_START=$(now_ms)
as_postgres "$ABC_PG_BIN/pg_ctl" -D "$ABC_PGDATA" -m fast -w -t 60 stop >/dev/null
echo "  PostgreSQL stopped"
sleep_until() { local ms=$(($1 - $(now_ms))); ((ms <= 0)) || sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"; }
# The quiet campaign's copies are past their 5 s of freshness then: read them.
sleep_until $((OUT_START + 1000 > T_QUIET + 5600 ? OUT_START + 1000 : T_QUIET + 5600))
echo "  the quiet campaign was last read $(($(now_ms) - T_QUIET)) ms ago"
touch "$IT_TMP/quiet"
sleep_until $((OUT_START + 5000))
pg_up
OUT_END=$(now_ms)
echo "  PostgreSQL started again after $((OUT_END - OUT_START)) ms"
sleep 2
touch "$IT_TMP/stop"
for p in "${pids[@]}"; do wait "$p" || true; done
cat "$IT_TMP"/log_* >"$IT_TMP/all"
during() { awk -v a="$OUT_START" -v b="$OUT_END" '$1 >= a && $1 < b' "$IT_TMP/all"; }
echo "  $(wc -l <"$IT_TMP/all") requests, $(during | wc -l) of them sent during the outage;" \
    "statuses during it: $(during | awk '{print $2 "=" $4}' | sort | uniq -c | tr -s ' \n' ' ')"
check "requests were answered during the outage (pages and purchases)" \
    test "$(during | awk '$2 == "page"' | wc -l)" -ge 3 -a "$(during | awk '$2 == "buy"' | wc -l)" -ge 2
no_logout() {
    local bad
    bad=$(grep -E 'del=1| [^ ]*/login ' "$IT_TMP/all" || true)
    [[ -z "$bad" ]] || {
        echo "  $(wc -l <<<"$bad") answer(s) logged a user out, e.g.:"
        head -n 5 <<<"$bad" | sed 's/^/    /'
        return 1
    }
}
check "no user was logged out (no abc_session deleted, no redirect to /login)" no_logout
no_404() {
    local bad
    bad=$(awk '($2 == "page" || $2 == "api" || $2 == "embed" || $2 == "confirm") && $4 == 404' "$IT_TMP/all")
    [[ -z "$bad" ]] || {
        echo "  $(wc -l <<<"$bad") existing campaign(s) answered 404, e.g.:"
        head -n 5 <<<"$bad" | sed 's/^/    /'
        return 1
    }
}
check "no existing campaign answered 404 (/c, /api/c, /embed, /c/N/buy)" no_404
reads_honest() { # every read: 200, or 503 saying "try again"
    local bad
    bad=$(awk '($2 == "page" || $2 == "api" || $2 == "embed" || $2 == "home" || $2 == "account") &&
        !($4 == 200 || ($4 == 503 && $8 == "retry=1"))' "$IT_TMP/all")
    [[ -z "$bad" ]] || {
        echo "  $(wc -l <<<"$bad") read(s) answered otherwise, e.g.:"
        head -n 5 <<<"$bad" | sed 's/^/    /'
        return 1
    }
}
check "every read answered 200 or 503 \"try again\"" reads_honest
check "the quiet campaign was served stale during the outage (Cache-Status: stale)" \
    test "$(during | awk '$3 ~ /^\/(c|embed|api\/c)\/'"$C3"'/ && $4 == 200 && $7 == "stale=1"' | wc -l)" -ge 1
buys_honest() { # done (303 to the campaign), refused (409), or retryable
    local bad
    bad=$(awk '$2 == "buy" && !(($4 == 303 && $5 ~ /bought=/) || $4 == 409 ||
        ($4 == 503 && $8 == "retry=1") || ($4 == 202 && $9 == "busy=1"))' "$IT_TMP/all")
    [[ -z "$bad" ]] || {
        echo "  $(wc -l <<<"$bad") purchase(s) answered otherwise, e.g.:"
        head -n 5 <<<"$bad" | sed 's/^/    /'
        return 1
    }
}
check "every purchase was done, refused for a reason, or refused with a retryable message" buys_honest
echo "  purchases: $(awk '$2 == "buy" {print $4}' "$IT_TMP/all" | sort | uniq -c | tr -s ' \n' ' ')"

# A 202 means "reload to see the outcome": send each such form again.
resend() { # resend IDEM: sends the form again until it is not 202/503
    local via cid name form n=0
    read -r via cid name form <"$IT_TMP/forms/$1"
    while :; do
        req "$IT_TMP/log_resend" resend "$via" "/c/$cid/buy" "$(jar "$name")" --data "$form"
        [[ "$REQ_CODE" == 202 || "$REQ_CODE" == 503 ]] && ((n++ < 20)) || break
        sleep 0.5
    done
    if [[ "$REQ_CODE" == 303 && "$REQ_LOC" == *bought=* ]]; then
        echo 303b >"$IT_TMP/forms/$1.code"
    else
        echo "$REQ_CODE" >"$IT_TMP/forms/$1.code"
    fi
}
for f in "$IT_TMP"/forms/*.code; do
    if [[ "$(cat "$f")" == 202 ]]; then
        idem=$(basename "$f" .code)
        resend "$idem"
    fi
done
[[ -f "$IT_TMP/log_resend" ]] && echo "  forms sent again: $(awk '{print $4}' "$IT_TMP/log_resend" | sort | uniq -c | tr -s ' \n' ' ')"
done_count() { grep -l '^303b$' "$IT_TMP"/forms/*.code 2>/dev/null | wc -l; }
slots_count() { psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id IN ($C1, $C2)"; }
check "slots sold = purchases answered done ($(slots_count) = $(done_count))" test "$(slots_count)" = "$(done_count)"
check "ledger invariants hold" invariants

# --- 2. abc-worker killed: a logged-in POST is "still working" --------------
B="b${RUN}_1"
VIA=2
form=$(confirm "$B" "$VIA" "$C3" "${AD[1]}") || form=""
check "a buyer has a purchase form for campaign $C3" test -n "$form"
web "$VIA" /account -b "$(jar "$B")" -o /dev/null
sleep 1.5 # abc-web's session cache keeps a session 1 s: now it must ask
kill_proc worker KILL
echo "  abc-worker killed"
t0=$(now_ms)
req "$IT_TMP/log_kill" buy "$VIA" "/c/$C3/buy" "$(jar "$B")" --data "$form"
echo "  POST /c/$C3/buy with abc-worker down: $REQ_CODE in $(($(now_ms) - t0)) ms"
check "...a logged-in POST answers 202 \"still working\", cookie kept" \
    grep -qE ' buy .* 202 - del=0 .* busy=1$' "$IT_TMP/log_kill"
req "$IT_TMP/log_kill" account "$VIA" /account "$(jar "$B")"
check "...GET /account answers 503 \"try again\", not the login page, cookie kept ($REQ_CODE)" \
    grep -qE ' account /account 503 - del=0 .* retry=1 ' "$IT_TMP/log_kill"
req "$IT_TMP/log_kill" page "$VIA" "/c/$C3" "$(jar "$B")"
check "...GET /c/$C3 answers 200 from the cache, stale ($REQ_CODE)" \
    grep -qE " page /c/$C3 200 - del=0 stale=1 " "$IT_TMP/log_kill"
start_proc worker || echo "  start_proc worker failed"
link_up() { http_get /status 2 >/dev/null && [[ "$(status_row 'link to abc-worker')" == up ]]; }
wait_until 20 link_up || echo "  the link did not come back within 20 s"
c3_sold() { [[ "$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $C3")" == 1 ]]; }
check "...the POST answered 202 was carried out once abc-worker was back, unsent again" \
    wait_until 15 c3_sold
n=0
while req "$IT_TMP/log_kill" resend "$VIA" "/c/$C3/buy" "$(jar "$B")" --data "$form" &&
    [[ "$REQ_CODE" == 202 || "$REQ_CODE" == 503 ]] && ((n++ < 20)); do
    sleep 0.5
done
code=$REQ_CODE
check "...the same form sent again shows that purchase ($code), still one slot" \
    test "$code" = 303 -a "$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $C3")" = 1
check "ledger invariants hold" invariants
it_done
