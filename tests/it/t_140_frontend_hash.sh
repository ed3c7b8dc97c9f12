#!/usr/bin/env bash
# Issue 14: the scrypt work is abc-web's. Registration, login, a wrong
# password, password change, history purge and a withdrawal's password
# through both abc-web: abc-worker hashes and checks nothing (its pool's
# counters stay), each abc-web's pool derived the keys. The stored format is
# unchanged: an account hashed by abc-worker (a password on the link, as an
# older abc-web sends) logs in through abc-web, and one made by abc-web logs
# in with a password on the link. kdf_params shows a name without an account
# a salt as stable as a real one's, with the same parameters, and a taken
# name is refused before any hashing.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="fh$$"
PW="correct horse $RUN"
PWF="${PW// /+}"
trap 'rm -rf "$IT_TMP"' EXIT
LINKC=("$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$ABC_LINK_PORT" --ca "$ABC_CERTS/ca.crt"
    --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" -c 1 -t 1 -n 1 --addr 192.0.2.140)

web() {
    local via="$1" path="$2"
    shift 2
    curl -s --max-time 10 --unix-socket "$ABC_STATE/run/http-web$via.sock" "$@" "http://localhost$path"
}
csrf_of() {
    web "$2" "${3:-/login}" -c "$1" -b "$1" | grep -o 'name="csrf" value="[0-9a-f]*"' |
        head -1 | sed 's/.*value="//; s/"$//'
}
post() {
    web "$2" "$3" -c "$1" -b "$1" -o "$IT_TMP/out" -w '%{http_code}' --data "$4"
}
# worker_work: "hashed checked" of abc-worker's own pool (/status/detail).
worker_work() {
    web 1 /status/detail | grep -o 'hashed [0-9]*, checked [0-9]*' | head -1 |
        sed 's/hashed \([0-9]*\), checked \([0-9]*\)/\1 \2/'
}
# derived N: the keys abc-web N's pool derived.
derived() { web "$1" /status/detail | grep -o 'derived [0-9]* keys' | head -1 | cut -d' ' -f2; }
params_of() { "${LINKC[@]}" --op kdf_params --user "$1" 2>/dev/null | sed -n 's/^kdf_params //p'; }
jfield() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$1" "$2"; }

w0=$(worker_work)
d1=$(derived 1)
d2=$(derived 2)
echo "  abc-worker hashed/checked: $w0; abc-web derived: $d1, $d2"

ME="fh_$RUN"
J="$IT_TMP/me"
c=$(csrf_of "$J" 1 /register)
check "register through abc-web #1 (303)" \
    test "$(post "$J" 1 /register "csrf=$c&username=$ME&password=$PWF&password2=$PWF")" = 303
check "...logged in at once (the account page answers 200)" \
    test "$(web 1 /account -b "$J" -o /dev/null -w '%{http_code}')" = 200
check "...with one key derived on #1 for the registration and none for its login" \
    test "$(derived 1)" = $((d1 + 1))
J2="$IT_TMP/me2"
c=$(csrf_of "$J2" 2)
check "a wrong password through abc-web #2: 403" \
    test "$(post "$J2" 2 /login "csrf=$c&username=$ME&password=wrong+password+1")" = 403
check "the right one through abc-web #2: 303" \
    test "$(post "$J2" 2 /login "csrf=$c&username=$ME&password=$PWF")" = 303
NEW="another password $RUN"
c=$(csrf_of "$J2" 2 /account)
check "password change through #2 (303)" \
    test "$(post "$J2" 2 /account/password "csrf=$c&old=$PWF&new=${NEW// /+}")" = 303
c=$(csrf_of "$J2" 2 /account)
check "history purge with a wrong password: 403" \
    test "$(post "$J2" 2 /account/history/purge "csrf=$c&password=wrong+password+2")" = 403
check "history purge with the new password: 303" \
    test "$(post "$J2" 2 /account/history/purge "csrf=$c&password=${NEW// /+}")" = 303
c=$(csrf_of "$J2" 2 /account)
st=$(post "$J2" 2 /account/withdraw "csrf=$c&address=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080&amount=0.001&password=wrong+password+3&idem=$(openssl rand -hex 16)")
check "a withdrawal with a wrong password: 403 ($st)" test "$st" = 403
check "the account's stored salt is the one kdf_params gives" \
    test "$(jfield "$(params_of "$ME")" salt)" = \
    "$(psql_abc -c "SELECT encode(pw_salt, 'hex') FROM users WHERE username = '$ME'")"
w1=$(worker_work)
echo "  abc-worker hashed/checked: $w1; abc-web derived: $(derived 1), $(derived 2)"
check "abc-worker hashed and checked nothing for all of it ($w0 -> $w1)" test "$w1" = "$w0"
check "abc-web #2 derived the 7 keys of its 6 requests" test "$(derived 2)" = $((d2 + 7))

# --- the stored format is the one abc-worker writes and reads ------------
OLD="old_$RUN"
"${LINKC[@]}" --op register --user "$OLD" --password "$PW" >"$IT_TMP/reg" 2>&1 || true
check "an account hashed by abc-worker (password on the link) is made" grep -q "replies_ok=1 " "$IT_TMP/reg"
J3="$IT_TMP/old"
c=$(csrf_of "$J3" 1)
check "...and logs in through abc-web, which derives its key (303)" \
    test "$(post "$J3" 1 /login "csrf=$c&username=$OLD&password=$PWF")" = 303
"${LINKC[@]}" --op login --user "$ME" --password "$NEW" >"$IT_TMP/login" 2>&1 || true
check "the account made by abc-web logs in with a password on the link" \
    grep -q "replies_ok=1 " "$IT_TMP/login"

# --- names without an account: indistinguishable answers -----------------
GHOST="ghost_$RUN"
p1=$(params_of "$GHOST")
p2=$(params_of "${GHOST^^}")
pr=$(params_of "$ME")
echo "  kdf_params of a name without an account: $p1"
echo "  kdf_params of an account:                 $pr"
check "a name without an account gets a 16-byte salt" \
    bash -c '[[ "$1" =~ ^[0-9a-f]{32}$ ]]' _ "$(jfield "$p1" salt)"
check "...the same one each time, whatever the letter case (as a real account's)" \
    test "$(jfield "$p1" salt)" = "$(jfield "$p2" salt)"
check "...with the same parameters as a real account's" \
    test "$(jfield "$p1" n)/$(jfield "$p1" r)/$(jfield "$p1" p)" = "$(jfield "$pr" n)/$(jfield "$pr" r)/$(jfield "$pr" p)"
check "...and the same keys in its answer" \
    test "$(python3 -c 'import json,sys; print(sorted(json.loads(sys.argv[1])))' "$p1")" = \
    "$(python3 -c 'import json,sys; print(sorted(json.loads(sys.argv[1])))' "$pr")"
J4="$IT_TMP/ghost"
c=$(csrf_of "$J4" 1)
check "a login for it is 'wrong username or password' (403)" \
    test "$(post "$J4" 1 /login "csrf=$c&username=$GHOST&password=$PWF")" = 403
dd=$(derived 1)
c=$(csrf_of "$J4" 1 /register)
check "registering a taken name: 409" \
    test "$(post "$J4" 1 /register "csrf=$c&username=${ME^^}&password=$PWF&password2=$PWF")" = 409
check "...refused before any hashing" test "$(derived 1)" = "$dd"
check "ledger invariants hold" invariants
it_done
