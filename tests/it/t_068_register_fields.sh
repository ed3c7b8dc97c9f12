#!/usr/bin/env bash
# The register form ties each error to its field (issue 16: errors say what to do, at the
# field they are about): passwords that differ, a taken name, a malformed name, a short
# password; each marked aria-invalid and described by its message, nothing registered.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="rf$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"

# try NAME PW PW2: posts the register form; prints the status, body in $IT_TMP/reg.
try() {
    local c
    c=$(csrf_of "$(jar try)" 1)
    web 1 /register -c "$(jar try)" -b "$(jar try)" -o "$IT_TMP/reg" -w '%{http_code}' \
        --data-urlencode "csrf=$c" --data-urlencode "username=$1" \
        --data-urlencode "password=$2" --data-urlencode "password2=$3"
}
# at FIELD: the error is shown at FIELD, and only there.
at() {
    grep -q "id=\"$1\"[^>]*aria-invalid=\"true\" aria-describedby=\"$1-err\"" "$IT_TMP/reg" &&
        grep -q "<p class=\"field-error\" id=\"$1-err\">" "$IT_TMP/reg" &&
        [[ "$(grep -o 'class="field-error"' "$IT_TMP/reg" | wc -l)" == 1 ]] &&
        ! grep -q 'class="error" role="alert"' "$IT_TMP/reg"
}
users() { psql_abc -c "SELECT count(*) FROM users WHERE lower(username) = lower('$1')"; }

check "passwords that differ: 400" test "$(try "a_$RUN" "$PW" "$PW-x")" = 400
check "...shown at the second password, saying what to do" bash -c "$(declare -f at); IT_TMP='$IT_TMP' at password2 && grep -q 'type the same one twice' '$IT_TMP/reg'"
check "...nothing registered" test "$(users "a_$RUN")" = 0

check "a new name registers (303)" test "$(register "t_$RUN" 1)" = 303
code=$(try "t_$RUN" "$PW" "$PW")
check "the same name again: 409 ($code)" test "$code" = 409
check "...shown at the name" bash -c "$(declare -f at); IT_TMP='$IT_TMP' at username"

code=$(try "x!" "$PW" "$PW")
check "a malformed name: 400 ($code)" test "$code" = 400
check "...shown at the name" bash -c "$(declare -f at); IT_TMP='$IT_TMP' at username"

code=$(try "s_$RUN" "short" "short")
check "a short password: 400 ($code)" test "$code" = 400
check "...shown at the password" bash -c "$(declare -f at); IT_TMP='$IT_TMP' at password"
check "...nothing registered" test "$(users "s_$RUN")" = 0
it_done
