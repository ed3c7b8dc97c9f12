#!/usr/bin/env bash
# Abuse of the expensive and the irreversible (issue 10): a storm of
# registrations of a taken name hashes nothing while a correct login from
# the same address keeps succeeding within 3 s; new names are limited per
# address; one guesser behind a shared address locks out nobody else; the
# public /status shows no error text; CSRF tokens are bound to the session.
#
# The worker's own rules are tested through the per-abc-web Unix sockets
# (no nginx limit_req there; REMOTE_ADDR "unix:") and abc-linkc (the link
# itself, any client address); nginx's zones through the public port.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="ab$$"
PW="correct horse $RUN"
LINKC=("$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$ABC_LINK_PORT" --ca "$ABC_CERTS/ca.crt"
    --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" -c 1)

# web N|any PATH [curl args...]: a request through abc-web N's socket or nginx.
web() {
    local via="$1" path="$2"
    shift 2
    if [[ "$via" == any ]]; then
        curl -s --max-time 10 "$@" "http://127.0.0.1:$ABC_HTTP_PORT$path"
    else
        curl -s --max-time 10 --unix-socket "$ABC_STATE/run/http-web$via.sock" \
            "$@" "http://localhost$path"
    fi
}
# csrf_of JAR VIA [PATH]: loads a form page, prints its CSRF token.
csrf_of() {
    web "$2" "${3:-/login}" -c "$1" -b "$1" | grep -o 'name="csrf" value="[0-9a-f]*"' |
        head -1 | sed 's/.*value="//; s/"$//'
}
# post JAR VIA PATH DATA: prints the HTTP status; the body is in $IT_TMP/out.
post() {
    web "$2" "$3" -c "$1" -b "$1" -o "$IT_TMP/out" -w '%{http_code}' --data "$4"
}
# register NAME VIA: a new account logged in, its jar $IT_TMP/j_NAME; prints the status.
register() {
    local j="$IT_TMP/j_$1" c
    c=$(csrf_of "$j" "$2")
    post "$j" "$2" /register "csrf=$c&username=$1&password=$PW&password2=$PW"
}
# hashed: how many new password hashes abc-worker computed (from /status/detail).
hashed() {
    local n
    n=$(web any /status/detail | grep -o 'hashed [0-9]*' | head -1 | cut -d' ' -f2) || true
    echo "${n:-unknown}"
}
# timed_login NAME VIA: "STATUS SECONDS" of a correct login with a fresh jar.
timed_login() {
    local j="$IT_TMP/tl_$1_$RANDOM" c
    c=$(csrf_of "$j" "$2")
    web "$2" /login -c "$j" -b "$j" -o /dev/null -w '%{http_code} %{time_total}' \
        --data "csrf=$c&username=$1&password=$PW"
}

# --- 1. 400 registrations of a taken name in 20 s, 32 clients -------------
TAKEN="taken_$RUN"
LEGIT="legit_$RUN"
check "the name to attack is registered (303)" test "$(register "$TAKEN" 1)" = 303
check "a legitimate user is registered (303)" test "$(register "$LEGIT" 1)" = 303
h0=$(hashed)
check "/status/detail counts new password hashes (hashed=$h0)" test "$h0" != unknown

# 32 attacker jars, each with its form token (from abc-web #1's socket, or nginx).
# jar_csrf JAR: the pre-session cookie's value in JAR.
jar_csrf() { awk '$6 == "abc_csrf" { print $7 }' "$1" | tail -1; }
for i in $(seq 1 32); do
    c=$(csrf_of "$IT_TMP/atk$i" 1)
    echo "$(jar_csrf "$IT_TMP/atk$i") $c" >"$IT_TMP/atk$i.c"
    c=$(csrf_of "$IT_TMP/ngx$i" any)
    echo "$(jar_csrf "$IT_TMP/ngx$i") $c" >"$IT_TMP/ngx$i.c"
done
# attack_batch FIRST COUNT PREFIX URL [SOCKET]: a curl config for COUNT registrations of
# the taken name, numbered from FIRST, with the cookies of PREFIX1..32, one status a line.
# (Cookies as headers: parallel transfers of one curl share one cookie store.)
attack_batch() {
    local n j c
    for ((n = $1; n < $1 + $2; n++)); do
        read -r j c <"$IT_TMP/$3$((n % 32 + 1)).c"
        ((n > $1)) && echo next
        echo "url = \"$4\""
        echo "silent"
        echo "max-time = 15"
        [[ -n "${5:-}" ]] && echo "unix-socket = \"$5\""
        echo "header = \"Cookie: abc_csrf=$j\""
        echo 'output = "/dev/null"'
        echo 'write-out = "%{http_code}\n"'
        echo "data = \"csrf=$c&username=$TAKEN&password=another+password+$n&password2=another+password+$n\""
    done
}
# The worker's own rule: abc-web #1's socket has no limit_req. 20 batches of 20, one a
# second, each 20 at once (curl --parallel): 32 clients' jars, 400 in 20 s.
for b in $(seq 0 19); do
    attack_batch $((b * 20)) 20 atk http://localhost/register "$ABC_STATE/run/http-web1.sock" \
        >"$IT_TMP/batch$b"
done
t0=$(now_ms)
(
    for b in $(seq 0 19); do
        curl -s --parallel --parallel-max 20 -K "$IT_TMP/batch$b" >>"$IT_TMP/atk_codes" 2>/dev/null &
        while (($(now_ms) < t0 + (b + 1) * 950)); do sleep 0.05; done
    done
    now_ms >"$IT_TMP/atk_sent"
    wait
) &
atk=$!
: >"$IT_TMP/logins"
while kill -0 "$atk" 2>/dev/null; do
    timed_login "$LEGIT" 1 >>"$IT_TMP/logins" || echo "000 99" >>"$IT_TMP/logins"
    echo >>"$IT_TMP/logins"
    sleep 0.5
done
wait "$atk" || true
t1=$(now_ms)
h1=$(hashed)
n409=$(grep -c '^409$' "$IT_TMP/atk_codes" || true)
echo "  400 registrations of '$TAKEN' in $(((t1 - t0) / 1000)) s: $(sort "$IT_TMP/atk_codes" | uniq -c | tr '\n' ' ')"
echo "  logins meanwhile (status seconds): $(tr '\n' ' ' <"$IT_TMP/logins")"
sent=$(($(cat "$IT_TMP/atk_sent") - t0))
check "400 registrations sent within 20 s ($sent ms; all answered after $((t1 - t0)) ms)" test "$sent" -le 20500
check "all 400 answered 'name taken' (409), none 'busy' ($n409)" test "$n409" = 400
check "they hashed nothing (hashed $h0 -> $h1)" test "$h1" = "$h0" -a "$h0" != unknown
nl=$(grep -c . "$IT_TMP/logins" || true)
slow=$(awk 'NF && ($1 != 303 || $2 > 3.0)' "$IT_TMP/logins" | wc -l)
check "a correct login from the same address, tried $nl times meanwhile, got in within 3 s each time" \
    test "$nl" -ge 5 -a "$slow" = 0

# Through nginx, from 127.0.0.1: its /register zone turns the excess away (429) while
# logins, in their own zone, still get in.
attack_batch 0 100 ngx "http://127.0.0.1:$ABC_HTTP_PORT/register" >"$IT_TMP/ngx_batch"
curl -s --parallel --parallel-max 32 -K "$IT_TMP/ngx_batch" >"$IT_TMP/ngx_codes" 2>/dev/null || true
echo "  100 at once through nginx: $(sort "$IT_TMP/ngx_codes" | uniq -c | tr '\n' ' ')"
check "nginx answers part of a burst of 100 registrations 429" grep -q '^429$' "$IT_TMP/ngx_codes"
check "...and the rest 'name taken' (409), nothing else" \
    test "$(grep -cvE '^(409|429)$' "$IT_TMP/ngx_codes" || true)" = 0
read -r st secs <<<"$(timed_login "$LEGIT" any)"
check "...while a correct login through nginx gets in within 3 s ($st in $secs s)" \
    awk -v s="$st" -v t="$secs" 'BEGIN { exit !(s == 303 && t <= 3.0) }'
check "still nothing hashed ($(hashed))" test "$(hashed)" = "$h0"
sleep 10 # nginx's /register zone refills (4/s) for the registrations below

# --- 2. new names: limited per client address, then refused clearly -------
LIMIT=$(sed -n 's/^register_max_per_addr = //p' "$ABC_STATE/worker.conf" | tail -1)
LIMIT=${LIMIT:-100}
h0=$(hashed)
"${LINKC[@]}" --op register --unique --user "new_$RUN" --password "$PW" --addr "198.51.100.$((RANDOM % 250 + 1))" \
    -t 4 -n $((LIMIT + 20)) >"$IT_TMP/storm" 2>&1 || true
cat "$IT_TMP/storm"
h1=$(hashed)
check "$((LIMIT + 20)) new names from one address: $LIMIT accounts" \
    grep -q "replies_ok=$LIMIT " "$IT_TMP/storm"
check "...then 20 refused as rate_limited" grep -q "rate_limited=20 " "$IT_TMP/storm"
d=unknown
[[ "$h0" =~ ^[0-9]+$ && "$h1" =~ ^[0-9]+$ ]] && d=$((h1 - h0))
check "...having hashed exactly $LIMIT passwords ($h0 -> $h1)" test "$d" = "$LIMIT"
check "...and $LIMIT accounts exist" test "$(psql_abc -c "SELECT count(*) FROM users WHERE username LIKE 'new\_${RUN}\_%'")" = "$LIMIT"
"${LINKC[@]}" --op register --user "one_more_$RUN" --password "$PW" --addr "198.51.100.254" \
    -t 1 -n 1 >"$IT_TMP/other" 2>&1 || true
check "another address still registers" grep -q "replies_ok=1 " "$IT_TMP/other"

# --- 3. one guesser behind a shared address locks out nobody else ---------
VICTIM="victim_$RUN"
check "another user of the same address is registered (303)" test "$(register "$VICTIM" any)" = 303
# 30 users to guess at, with the victim's password hash (made directly: quick).
psql_abc -c "INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
    SELECT 'nb_${RUN}_' || i, pw_hash, pw_salt, pw_n, pw_r, pw_p FROM users, generate_series(0, 29) i
    WHERE username = '$VICTIM'" >/dev/null
psql_abc -c "INSERT INTO ledger_accounts (kind, user_id) SELECT 'user', id FROM users
    WHERE username LIKE 'nb\_${RUN}\_%'" >/dev/null
check "30 users to guess at" test "$(psql_abc -c "SELECT count(*) FROM users WHERE username LIKE 'nb\_${RUN}\_%'")" = 30
J="$IT_TMP/guesser"
c=$(csrf_of "$J" any)
: >"$IT_TMP/guesses"
for i in $(seq 0 29); do
    post "$J" any /login "csrf=$c&username=nb_${RUN}_$i&password=wrong+guess+$i" >>"$IT_TMP/guesses"
    echo >>"$IT_TMP/guesses"
done
echo "  30 wrong passwords for 30 names from 127.0.0.1: $(sort "$IT_TMP/guesses" | uniq -c | tr '\n' ' ')"
check "30 failed logins for 30 names: all 403" test "$(grep -c '^403$' "$IT_TMP/guesses")" = 30
read -r st secs <<<"$(timed_login "$VICTIM" any)"
check "then another user's correct login from the same address succeeds at once ($st in $secs s)" \
    awk -v s="$st" -v t="$secs" 'BEGIN { exit !(s == 303 && t <= 3.0) }'
t0=$(now_ms)
st=$(register "fresh_$RUN" any)
check "and a new registration from it too ($st in $(($(now_ms) - t0)) ms)" test "$st" = 303
c=$(csrf_of "$J" any)
post "$J" any /login "csrf=$c&username=nb_${RUN}_0&password=wrong+again" >/dev/null
for i in 1 2 3 4; do post "$J" any /login "csrf=$c&username=nb_${RUN}_0&password=wrong+again+$i" >/dev/null; done
check "a name guessed 6 times is itself refused: 429" \
    test "$(post "$J" any /login "csrf=$c&username=nb_${RUN}_0&password=$PW")" = 429
check "...saying when to try again" grep -q "Too many failed logins for this name. Try again in" "$IT_TMP/out"

# --- 4. /status: public states only; details for the operator --------------
"$ABC_ROOT/deploy/sim" down >/dev/null
wait_until 10 bash -c "curl -s http://127.0.0.1:$ABC_HTTP_PORT/status | tr -d '\n' | grep -q '<tr class=\"down\"><td>bitcoind'" || true
web any /status >"$IT_TMP/pub"
web any /status/detail >"$IT_TMP/det"
"$ABC_ROOT/deploy/sim" up >/dev/null
check "public /status: bitcoind down" grep -q '<tr class="down"><td>bitcoind</td><td>down</td><td></td>' "$IT_TMP/pub"
check "...without its error text, the PostgreSQL version or the hashing pool" \
    bash -c "! grep -qiE 'refused|connect|PostgreSQL [0-9]|hashed [0-9]|pid [0-9]' '$IT_TMP/pub'"
check "/status/detail from 127.0.0.1 has them" \
    bash -c "grep -q 'PostgreSQL [0-9]' '$IT_TMP/det' && grep -q 'hashed [0-9]' '$IT_TMP/det' && grep '<td>bitcoind</td>' '$IT_TMP/det' | grep -qv '<td></td></tr>'"

# --- 5. CSRF: tokens bound to the session ----------------------------------
JA="$IT_TMP/j_$VICTIM"
JB="$IT_TMP/j_fresh_$RUN"
ca=$(csrf_of "$JA" any /account)
cb=$(csrf_of "$JB" any /account)
check "two sessions get different form tokens" test -n "$ca" -a -n "$cb" -a "$ca" != "$cb"
check "session A's token is refused for session B: 403" \
    test "$(post "$JB" any /logout "csrf=$ca")" = 403
check "...and B is still logged in" \
    test "$(web any /account -b "$JB" -o /dev/null -w '%{http_code}')" = 200
J="$IT_TMP/planted"
check "a token equal to a csrf cookie the client chose is refused: 403" \
    test "$(web any /login -b "abc_csrf=0123456789abcdef0123456789abcdef" -o /dev/null -w '%{http_code}' \
        --data "csrf=0123456789abcdef0123456789abcdef&username=$VICTIM&password=$PW")" = 403
check "B's own token works (logout: 303)" test "$(post "$JB" any /logout "csrf=$cb")" = 303
c=$(csrf_of "$J" 1)
check "a login form's token from abc-web #1 is good on abc-web #2 (shared key): 303" \
    test "$(post "$J" 2 /login "csrf=$c&username=$VICTIM&password=$PW")" = 303

# --- 6. quotas: deposit addresses per user per day --------------------------
QA=$(sed -n 's/^quota_addresses_per_day = //p' "$ABC_STATE/worker.conf" | tail -1)
QA=${QA:-20}
QU="quota_$RUN"
register "$QU" any >/dev/null
JQ="$IT_TMP/j_$QU"
made=0
for i in $(seq 1 "$QA"); do
    c=$(csrf_of "$JQ" any /account)
    [[ "$(post "$JQ" any /account/address "csrf=$c")" == 303 ]] && made=$((made + 1))
done
c=$(csrf_of "$JQ" any /account)
st=$(post "$JQ" any /account/address "csrf=$c")
check "$QA deposit addresses in a day are made ($made)" test "$made" = "$QA"
check "the next one is refused (409) saying why" \
    bash -c "test '$st' = 409 && grep -q 'deposit addresses in the last 24 hours, the most allowed' '$IT_TMP/out'"
check "...and none was made" test "$(psql_abc -c "SELECT count(*) FROM deposit_addresses a JOIN users u ON u.id = a.user_id WHERE u.username = '$QU'")" = "$QA"

check "ledger invariants hold" invariants

it_done
