#!/usr/bin/env bash
# Accounts (issue 4): registration races across both abc-web processes,
# sessions shared by them and revoked everywhere within 1 s, CSRF, login
# rate limits, bad input, password change, history purge, security
# headers; the ledger invariants after all of it.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="a$$"
PW="correct horse $RUN"
trap 'rm -rf "$IT_TMP"' EXIT

# web N|any PATH [curl args...]: a request through abc-web N (or nginx).
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
# csrf_of JAR VIA: loads a form page, prints its CSRF token.
csrf_of() {
    web "$2" /login -c "$1" -b "$1" | grep -o 'name="csrf" value="[0-9a-f]*"' |
        head -1 | sed 's/.*value="//; s/"$//'
}
# post JAR VIA PATH DATA: prints the HTTP status.
post() {
    web "$2" "$3" -c "$1" -b "$1" -o "$IT_TMP/out" -w '%{http_code}' --data "$4"
}
users_named() { psql_abc -c "SELECT count(*) FROM users WHERE lower(username) = lower('$1')"; }

# --- registration race: same name, other letter case, both processes -----
race_ok=0
for i in $(seq 1 15); do
    j1="$IT_TMP/r1_$i"
    j2="$IT_TMP/r2_$i"
    c1=$(csrf_of "$j1" 1)
    c2=$(csrf_of "$j2" 2)
    name="Race${RUN}_$i"
    lower="$(tr 'A-Z' 'a-z' <<<"$name")"
    web 1 /register -c "$j1" -b "$j1" -o /dev/null -w '%{http_code}\n' \
        --data "csrf=$c1&username=$name&password=$PW&password2=$PW" >"$IT_TMP/s1_$i" &
    p1=$!
    web 2 /register -c "$j2" -b "$j2" -o /dev/null -w '%{http_code}\n' \
        --data "csrf=$c2&username=$lower&password=$PW&password2=$PW" >"$IT_TMP/s2_$i" &
    p2=$!
    wait "$p1" "$p2"
    codes="$(cat "$IT_TMP/s1_$i" "$IT_TMP/s2_$i" | sort | tr '\n' ' ')"
    if [[ "$codes" == "303 409 " && "$(users_named "$name")" == 1 ]]; then
        race_ok=$((race_ok + 1))
    else
        echo "  round $i: statuses $codes, accounts $(users_named "$name")"
    fi
done
check "15 simultaneous registrations of one name in two cases: one account, one 'name taken' each time ($race_ok/15)" \
    test "$race_ok" -eq 15

# --- a session works on both processes; logout-all on #2 ends it on #1 --
J="$IT_TMP/alice"
ME="alice_$RUN"
c=$(csrf_of "$J" 1)
check "register through abc-web #1 (303 to /account)" \
    test "$(post "$J" 1 /register "csrf=$c&username=$ME&password=$PW&password2=$PW")" = 303
check "the session works on abc-web #1" bash -c "curl -s --unix-socket '$ABC_STATE/run/http-web1.sock' -b '$J' http://localhost/account | grep -q 'Your account, $ME'"
check "the same session works on abc-web #2" bash -c "curl -s --unix-socket '$ABC_STATE/run/http-web2.sock' -b '$J' http://localhost/account | grep -q 'Your account, $ME'"
# A session is renewed on use only once a tenth of its life is gone; a use
# that renews nothing writes nothing (no new row version, no WAL flush).
sess_row() {
    psql_abc -c "SELECT s.xmin, s.expires_at > now() + interval '6 days' FROM user_sessions s
        JOIN users u ON u.id = s.user_id WHERE u.username = '$ME'"
}
r0=$(sess_row)
sleep 1.1 # past abc-web's 1 s session cache: the worker is asked again
web 1 /account -b "$J" -o /dev/null
check "a fresh session used again is not rewritten ($r0 -> $(sess_row))" test "$(sess_row)" = "$r0"
psql_abc -c "UPDATE user_sessions s SET expires_at = now() + interval '1 day' FROM users u
    WHERE u.id = s.user_id AND u.username = '$ME'" >/dev/null
sleep 1.1
web 2 /account -b "$J" -o /dev/null
renewed() { [[ "$(sess_row)" == *'|t' ]]; }
check "a session with 1 of its 7 days left is renewed to 7 days on use" renewed
cp "$J" "$IT_TMP/alice_web1"
c=$(csrf_of "$J" 2)
t0=$(now_ms)
check "logout-all through abc-web #2" test "$(post "$J" 2 /logout-all "csrf=$c")" = 303
refused_on_1() {
    [[ "$(web 1 /account -b "$IT_TMP/alice_web1" -o /dev/null -w '%{http_code}')" == 303 ]]
}
wait_until 1 refused_on_1 || true
t1=$(now_ms)
echo "  abc-web #1 refused the session $((t1 - t0)) ms after logout-all on #2"
check "abc-web #1 refuses the session within 1 s" test $((t1 - t0)) -le 1000
check "...and keeps refusing it" refused_on_1

# --- CSRF: no token or a wrong one changes nothing ----------------------
J="$IT_TMP/bob"
BOB="bob_$RUN"
c=$(csrf_of "$J" any)
post "$J" any /register "csrf=$c&username=$BOB&password=$PW&password2=$PW" >/dev/null
hash0=$(psql_abc -c "SELECT encode(pw_hash, 'hex') FROM users WHERE username = '$BOB'")
check "password change without a CSRF token: 403" \
    test "$(post "$J" any /account/password "old=$PW&new=another password 1")" = 403
check "password change with a wrong CSRF token: 403" \
    test "$(post "$J" any /account/password "csrf=00000000000000000000000000000000&old=$PW&new=another password 1")" = 403
check "...and the password hash is unchanged in the database" \
    test "$(psql_abc -c "SELECT encode(pw_hash, 'hex') FROM users WHERE username = '$BOB'")" = "$hash0"
check "registration without a CSRF token: 403, no account" \
    bash -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' --data 'username=csrf_$RUN&password=$PW&password2=$PW' http://127.0.0.1:$ABC_HTTP_PORT/register)\" = 403 && test \"\$(psql -h '$ABC_PGDIR' -U postgres -d abc -Atc \"SELECT count(*) FROM users WHERE username = 'csrf_$RUN'\")\" = 0"

# --- password change and history purge ------------------------------------
c=$(csrf_of "$J" any)
NEW="a brand new password $RUN"
check "password change with the right old password: 303 to /account?done=password" \
    test "$(post "$J" any /account/password "csrf=$c&old=$(printf %s "$PW" | sed 's/ /+/g')&new=$(printf %s "$NEW" | sed 's/ /+/g')")" = 303
J2="$IT_TMP/bob2"
c=$(csrf_of "$J2" any)
check "the old password no longer logs in (403)" \
    test "$(post "$J2" any /login "csrf=$c&username=$BOB&password=$PW")" = 403
check "the new one does (303)" \
    test "$(post "$J2" any /login "csrf=$c&username=$BOB&password=$NEW")" = 303
c=$(csrf_of "$J2" any)
check "history purge with a wrong password: 403" \
    test "$(post "$J2" any /account/history/purge "csrf=$c&password=wrong+password+x")" = 403
check "history purge with the password: 303 to /account?done=purged" \
    test "$(post "$J2" any /account/history/purge "csrf=$c&password=$NEW")" = 303
check "...leaves only the purge itself in the history" \
    test "$(psql_abc -c "SELECT string_agg(kind, ',') FROM account_events e JOIN users u ON u.id = e.user_id WHERE u.username = '$BOB'")" = history_purge

# --- login rate limit: the 6th try is refused even with the right password
J="$IT_TMP/carol"
CAROL="carol_$RUN"
c=$(csrf_of "$J" any)
post "$J" any /register "csrf=$c&username=$CAROL&password=$PW&password2=$PW" >/dev/null
J="$IT_TMP/mallory"
c=$(csrf_of "$J" any)
fails=0
for i in 1 2 3 4 5; do
    [[ "$(post "$J" any /login "csrf=$c&username=$CAROL&password=wrong+guess+$i")" == 403 ]] &&
        fails=$((fails + 1))
done
check "5 wrong passwords: 5 times 403 'Wrong username or password'" test "$fails" -eq 5
check "the 6th try, with the right password, is refused: 429" \
    test "$(post "$J" any /login "csrf=$c&username=$CAROL&password=$PW")" = 429
check "...with a clear message" grep -q "Too many failed logins" "$IT_TMP/out"
check "an unknown name gets the same answer as a wrong password" bash -c \
    "test \"\$(curl -s -b '$J' -c '$J' -o '$IT_TMP/u1' -w '%{http_code}' --data 'csrf=$c&username=nobody_$RUN&password=whatever+123' http://127.0.0.1:$ABC_HTTP_PORT/login)\" = 403 && grep -q 'Wrong username or password' '$IT_TMP/u1'"

# --- bad input: clear errors, nothing changed, no crash -------------------
J="$IT_TMP/eve"
c=$(csrf_of "$J" any)
long=$(head -c 100 /dev/zero | tr '\0' x)
check "an over-long name: 400" test "$(post "$J" any /register "csrf=$c&username=$long&password=$PW&password2=$PW")" = 400
check "empty fields: 400" test "$(post "$J" any /register "csrf=$c&username=&password=&password2=")" = 400
check "bad UTF-8: 400" test "$(post "$J" any /register "csrf=$c&username=%FF%FE&password=$PW&password2=$PW")" = 400
check "a field sent twice: 400" test "$(post "$J" any /register "csrf=$c&username=dup_$RUN&username=dup2_$RUN&password=$PW&password2=$PW")" = 400
check "mismatched passwords: 400" test "$(post "$J" any /register "csrf=$c&username=mm_$RUN&password=$PW&password2=other+one+123")" = 400
check "a short password: 400" test "$(post "$J" any /register "csrf=$c&username=short_$RUN&password=short&password2=short")" = 400
check "multipart instead of a form: 415" test "$(web any /register -b "$J" -o /dev/null -w '%{http_code}' -F "csrf=$c" -F username=mp_$RUN)" = 415
head -c 100000 /dev/zero | tr '\0' a >"$IT_TMP/big"
check "a 100 kB form: 413 from abc-web" test "$(web any /register -b "$J" -o /dev/null -w '%{http_code}' --data-binary "@$IT_TMP/big" -H 'Content-Type: application/x-www-form-urlencoded')" = 413
head -c 700000 /dev/zero | tr '\0' a >"$IT_TMP/huge"
check "a 700 kB body: 413 from nginx" test "$(web any /register -b "$J" -o /dev/null -w '%{http_code}' --data-binary "@$IT_TMP/huge")" = 413
check "none of these made an account" test "$(psql_abc -c "SELECT count(*) FROM users WHERE username LIKE '%\\_$RUN' AND username NOT IN ('alice_$RUN', 'bob_$RUN', 'carol_$RUN') AND username NOT ILIKE 'race%'")" = 0
check "both abc-web processes still answer" bash -c "curl -sf --unix-socket '$ABC_STATE/run/http-web1.sock' http://localhost/ >/dev/null && curl -sf --unix-socket '$ABC_STATE/run/http-web2.sock' http://localhost/ >/dev/null"

# --- headers on every page --------------------------------------------------
web any /login -D "$IT_TMP/h" -o /dev/null
check "CSP without inline script" grep -qi "^Content-Security-Policy: .*script-src 'self'" "$IT_TMP/h"
check "frame-ancestors 'none'" grep -qi "frame-ancestors 'none'" "$IT_TMP/h"
check "X-Content-Type-Options: nosniff" grep -qi '^X-Content-Type-Options: nosniff' "$IT_TMP/h"
check "Referrer-Policy" grep -qi '^Referrer-Policy: same-origin' "$IT_TMP/h"
check "CSRF cookie is HttpOnly and SameSite=Lax" grep -qi '^Set-Cookie: abc_csrf=[0-9a-f]*; Path=/; HttpOnly; SameSite=Lax' "$IT_TMP/h"

check "ledger invariants hold" psql_abc -v ON_ERROR_STOP=1 -q -f "$ABC_ROOT/sql/admin/check_invariants.sql"
it_done
