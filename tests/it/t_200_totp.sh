#!/usr/bin/env bash
# Two-factor login (issue 15): TOTP (RFC 6238) on a fixed clock.  abc-worker
# is restarted with totp_clock_file (test stacks only) so the test computes
# the codes (Python's hmac) at times it sets.  A user enrols (the secret and
# its QR shown once; a wrong code does not turn 2FA on; ten recovery codes,
# stored hashed); the login then asks for a code and issues no session
# before it (the pending login is no session, and it expires); a wrong code
# and a code already used are refused; a recovery code works once; a
# withdrawal without the code is refused and with it goes through; 2FA is
# turned off with a code.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="t$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
EXT=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080
U="tf_$RUN"
CLOCK="$IT_TMP/totp_clock"
T0=2000000010                     # a fixed clock: step 66666667

worker_gone() { ! pid_of worker >/dev/null 2>&1; }
# restart_worker [VAR=VALUE...]: abc-worker again, with those settings.
restart_worker() {
    kill_proc worker TERM || true
    wait_until 10 worker_gone || true
    (
        unset ABC_TOTP_CLOCK_FILE
        if (($#)); then export "$@"; fi
        start_proc worker
    )
}
# page_has JAR PATH REGEX: the page at PATH (abc-web 1) matches REGEX.
page_has() { web 1 "$2" -b "$1" | grep -iE "$3" >/dev/null; }
# code SECRET UNIX_TIME: the 6-digit TOTP code (RFC 6238, SHA1, 30 s).
code() {
    python3 -c '
import base64, hmac, struct, sys, hashlib
s = sys.argv[1]; s += "=" * (-len(s) % 8)
k = base64.b32decode(s)
m = hmac.new(k, struct.pack(">Q", int(sys.argv[2]) // 30), hashlib.sha1).digest()
o = m[-1] & 15
print("%06d" % ((struct.unpack(">I", m[o:o + 4])[0] & 0x7fffffff) % 1000000))' "$1" "$2"
}
set_clock() { echo "$1" >"$CLOCK"; }
# post JAR PATH DATA...: a form POST through abc-web 1; prints the status, body in $IT_TMP/out.
post() {
    local j="$1" p="$2" c
    shift 2
    c=$(csrf_of "$j" 1)
    web 1 "$p" -c "$j" -b "$j" -o "$IT_TMP/out" -w '%{http_code}' --data-urlencode "csrf=$c" "$@"
}
has_session() { grep -q abc_session "$1" && ! grep -qP 'abc_session\t$' "$1"; }
account_status() { web 1 /account -b "$1" -o /dev/null -w '%{http_code}'; }
uid() { psql_abc -c "SELECT id FROM users WHERE username = '$U'"; }
# login JAR: the password step; its status in $LOGIN, the pending token in $PENDING.
login() {
    rm -f "$1"
    LOGIN=$(post "$1" /login --data-urlencode "username=$U" --data-urlencode "password=$PW")
    PENDING=$(field_of "$IT_TMP/out" pending)
}
code_step() { post "$1" /login/totp --data-urlencode "pending=$PENDING" --data-urlencode "code=$2"; }

restart_worker ABC_TOTP_CLOCK_FILE="$CLOCK"
set_clock $T0

# --- enrolment --------------------------------------------------------------------
check "a user registers (303)" test "$(register "$U" 1)" = 303
J=$(jar "$U")
check "2FA starts off on /account/security" page_has "$J" /account/security 'Two-factor login is <strong>off'
check "turning it on shows a setup page (200)" test "$(post "$J" /account/totp/begin)" = 200
SECRET=$(grep -o '<code id="totp-secret">[A-Z2-7]*' "$IT_TMP/out" | sed 's/.*>//')
check "...with a 32-letter base32 secret" test "${#SECRET}" = 32
check "...its otpauth URI" grep -q "otpauth://totp/abc:$U?secret&#61;$SECRET&amp;issuer&#61;abc" "$IT_TMP/out"
check "...and a QR code of it (SVG)" grep -q '<svg' "$IT_TMP/out"
IDEM=$(field_of "$IT_TMP/out" idem)
WRONG=$(code "$SECRET" $((T0 + 300)))
check "a wrong code does not turn it on (403)" \
    test "$(post "$J" /account/totp/enable --data-urlencode "idem=$(new_idem)" --data-urlencode "code=$WRONG" \
        --data-urlencode "secret=$SECRET" --data-urlencode "uri=x")" = 403
check "...still off in the database" test "$(psql_abc -c "SELECT enabled FROM user_totp WHERE user_id = $(uid)")" = f
check "the right code turns it on (200)" \
    test "$(post "$J" /account/totp/enable --data-urlencode "idem=$IDEM" --data-urlencode "code=$(code "$SECRET" $T0)")" = 200
mapfile -t RECOVERY < <(grep -oE '<li><code>[A-Z2-7]{5}-[A-Z2-7]{5}</code>' "$IT_TMP/out" | sed 's/<li><code>//; s/<.code>//')
check "...and shows 10 recovery codes" test "${#RECOVERY[@]}" = 10
check "...stored as 10 SHA-256 hashes, none in clear" \
    test "$(psql_abc -c "SELECT count(*) FROM totp_recovery WHERE user_id = $(uid) AND length(code_hash) = 32 AND encode(code_hash, 'escape') NOT LIKE '%${RECOVERY[0]:0:5}%'")" = 10
check "...the secret is in the worker's database only (20 bytes)" \
    test "$(psql_abc -c "SELECT length(secret) FROM user_totp WHERE user_id = $(uid) AND enabled")" = 20
check "the same form again (same idem) shows no codes a second time" \
    test "$(post "$J" /account/totp/enable --data-urlencode "idem=$IDEM" --data-urlencode "code=$(code "$SECRET" $T0)")" = 303
check "the timeline says 2FA is on" page_has "$J" /account 'two-factor login turned on'

# --- login asks for the code -------------------------------------------------------
L="$IT_TMP/jar_login"
login "$L"
check "the right password now answers the code form (200)" test "$LOGIN" = 200
check "...with a pending login token" test "${#PENDING}" = 64
check "...and no session yet" bash -c "! grep -q 'abc_session' '$L' || grep -qP 'abc_session\t\$' '$L'"
check "the pending token is no session: /account sends to the login" \
    test "$(web 1 /account -H "Cookie: abc_session=$PENDING" -o /dev/null -w '%{http_code}')" = 303
check "a wrong code is refused (403)" test "$(code_step "$L" "$WRONG")" = 403
check "...saying so" grep -q 'That code is wrong' "$IT_TMP/out"
check "the code used at enrolment is refused as used (403)" test "$(code_step "$L" "$(code "$SECRET" $T0)")" = 403
check "...saying so" grep -q 'used already' "$IT_TMP/out"
check "...still no session" bash -c "! grep -q 'abc_session' '$L' || grep -qP 'abc_session\t\$' '$L'"
set_clock $((T0 + 30))
check "the next step's code logs in (303)" test "$(code_step "$L" "$(code "$SECRET" $((T0 + 30)))")" = 303
check "...with a session that opens /account" test "$(account_status "$L")" = 200
check "...and the pending login is gone" test "$(code_step "$L" "$(code "$SECRET" $((T0 + 60)))")" = 403
check "...(log in again)" grep -q 'log in again' "$IT_TMP/out"

# A pending login is bounded in time.
login "$L"
psql_abc -q -c "UPDATE login_pending SET expires_at = now() - interval '1 second' WHERE user_id = $(uid)"
check "an expired pending login is refused even with the right code (403)" \
    test "$(code_step "$L" "$(code "$SECRET" $((T0 + 60)))")" = 403
check "...and it asks to log in again" grep -q 'log in again' "$IT_TMP/out"

# --- recovery codes -----------------------------------------------------------------
login "$L"
check "a recovery code logs in (303)" test "$(code_step "$L" "${RECOVERY[0],,}")" = 303
login "$L"
check "...once only (403)" test "$(code_step "$L" "${RECOVERY[0]}")" = 403
check "...another one works (303)" test "$(code_step "$L" "${RECOVERY[1]}")" = 303
check "the timeline counts them" page_has "$L" /account/history '8 left'

# --- rate limit ------------------------------------------------------------------
# That was 4 wrong codes; wrong codes count per user (login_max_failures, 5).
login "$L"
check "a 5th wrong code is still judged (403)" test "$(code_step "$L" "$WRONG")" = 403
check "then even the right code waits (429)" test "$(code_step "$L" "$(code "$SECRET" $((T0 + 60)))")" = 429
check "...saying so" grep -q 'Too many wrong codes' "$IT_TMP/out"
# The counts live in abc-worker's memory: a restart starts them afresh.
restart_worker ABC_TOTP_CLOCK_FILE="$CLOCK"
linked() { test "$(account_status "$L")" = 200; }
wait_until 20 linked || true
login "$L"
check "after it the right code logs in (303)" test "$(code_step "$L" "$(code "$SECRET" $((T0 + 60)))")" = 303

# --- withdrawals ask for the code ---------------------------------------------------
fund "$U" 50000000
wd() {
    post "$L" /account/withdraw --data-urlencode "idem=$(new_idem)" --data-urlencode "address=$EXT" \
        --data-urlencode "amount=0.01" --data-urlencode "password=$PW" "$@"
}
wds() { psql_abc -c "SELECT count(*) FROM withdrawals WHERE user_id = $(uid)"; }
check "the withdraw form has a code field" page_has "$L" /account 'id="wd-code"'
check "a withdrawal without the code is refused (403)" test "$(wd)" = 403
check "...asking for it" grep -q '6-digit code' "$IT_TMP/out"
check "a withdrawal with a wrong code is refused (403)" test "$(wd --data-urlencode "code=$WRONG")" = 403
check "...nothing withdrawn" test "$(wds)" = 0
set_clock $((T0 + 90))
check "with the right code it goes through (303)" test "$(wd --data-urlencode "code=$(code "$SECRET" $((T0 + 90)))")" = 303
check "...one withdrawal" test "$(wds)" = 1
check "the same code again is refused (403)" test "$(wd --data-urlencode "code=$(code "$SECRET" $((T0 + 90)))")" = 403
check "...still one withdrawal" test "$(wds)" = 1

# --- the payout address asks for the code too ---------------------------------------
payout() {
    post "$L" /account/payout --data-urlencode "idem=$(new_idem)" --data-urlencode "address=$EXT" \
        --data-urlencode "password=$PW" "$@"
}
set_clock $((T0 + 120))
check "saving a payout address without the code is refused (403)" test "$(payout)" = 403
check "...nothing saved" test -z "$(psql_abc -c "SELECT payout_address FROM users WHERE id = $(uid)")"
check "with the code it is saved (303)" test "$(payout --data-urlencode "code=$(code "$SECRET" $((T0 + 120)))")" = 303
check "...saved" test "$(psql_abc -c "SELECT payout_address FROM users WHERE id = $(uid)")" = "$EXT"

# --- an API key asks for the code too ----------------------------------------------
apikey() {
    post "$L" /account/api --data-urlencode "idem=$(new_idem)" --data-urlencode "name=bot" \
        --data-urlencode "scope_read=on" "$@"
}
keys() { psql_abc -c "SELECT count(*) FROM api_keys WHERE user_id = $(uid)"; }
set_clock $((T0 + 150))
check "an API key without the code is refused ($(apikey))" test "$(keys)" = 0
check "...asking for it" grep -q '6-digit code' "$IT_TMP/out"
apikey --data-urlencode "totp=$WRONG" >/dev/null
check "...and with a wrong code" test "$(keys)" = 0
check "with the right code it is made (201)" test "$(apikey --data-urlencode "totp=$(code "$SECRET" $((T0 + 150)))")" = 201
check "...one key, shown once" test "$(keys)/$(grep -cE 'abc_[A-Za-z0-9_-]{43}' "$IT_TMP/out")" = 1/1

# --- off ----------------------------------------------------------------------------
set_clock $((T0 + 180))
check "a code turns 2FA off (303)" \
    test "$(post "$L" /account/totp/disable --data-urlencode "idem=$(new_idem)" --data-urlencode "code=$(code "$SECRET" $((T0 + 180)))")" = 303
check "...the secret and the recovery codes are gone" \
    test "$(psql_abc -c "SELECT (SELECT count(*) FROM user_totp WHERE user_id = $(uid)) + (SELECT count(*) FROM totp_recovery WHERE user_id = $(uid))")" = 0
login "$L"
check "...and the password alone logs in again (303)" test "$LOGIN" = 303

restart_worker # back to the stack's own settings
check "ledger invariants hold" invariants
it_done
