# shellcheck shell=bash
# Helpers of the marketplace tests (t_080, t_081), sourced after lib.sh and
# after RUN, PW, IMG and FUND are set: users with cookie jars, funding,
# ads, campaigns and purchases through a chosen abc-web.
trap '[[ -n "${IT_KEEP:-}" ]] && echo "kept $IT_TMP" || rm -rf "$IT_TMP"' EXIT

# web N|any PATH [curl args...]: a request through abc-web N (or nginx).
web() {
    local via="$1" path="$2"
    shift 2
    if [[ "$via" == any ]]; then
        curl -s --max-time 20 "$@" "http://127.0.0.1:$ABC_HTTP_PORT$path"
    else
        curl -s --max-time 20 --unix-socket "$ABC_STATE/run/http-web$via.sock" \
            "$@" "http://localhost$path"
    fi
}
# field_of FILE NAME: the value of the first <input name="NAME" value="..."> in FILE.
field_of() {
    { grep -o "name=\"$2\" value=\"[^\"]*\"" "$1" || true; } | head -1 | sed 's/.*value="//; s/"$//'
}
# csrf_of JAR VIA: loads a form page, prints its CSRF token.
csrf_of() {
    web "$2" /login -c "$1" -b "$1" -o "$IT_TMP/csrf.$$.$BASHPID"
    field_of "$IT_TMP/csrf.$$.$BASHPID" csrf
}
new_idem() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
jar() { echo "$IT_TMP/jar_$1"; }
# register NAME VIA: a new account, its session in $(jar NAME); prints the status.
# A 503 is abc-web's hashing pool saying "busy, try again in a moment" (its
# queue is short by design, and t_080 registers 10 at once): the helper does
# what that page asks a person to do, up to 10 times, 0.1 s more each time,
# and counts each retry in $IT_TMP/register_busy.
register() {
    local c code try
    for try in 1 2 3 4 5 6 7 8 9 10; do
        c=$(csrf_of "$(jar "$1")" "$2")
        code=$(web "$2" /register -c "$(jar "$1")" -b "$(jar "$1")" -o /dev/null \
            -w '%{http_code}' --data "csrf=$c&username=$1&password=$PW&password2=$PW")
        [[ "$code" == 503 && $try -lt 10 ]] || break
        echo "$1" >>"$IT_TMP/register_busy"
        sleep "0.$try"
    done
    echo "$code"
}
# register_busy: how many registrations were answered "busy" and tried again.
register_busy() {
    if [[ -f "$IT_TMP/register_busy" ]]; then wc -l <"$IT_TMP/register_busy"; else echo 0; fi
}
# upload NAME VIA NICK HOVER URL FILE: an ad of NAME; prints the status (body in $IT_TMP/up_NAME).
upload() {
    local c
    c=$(csrf_of "$(jar "$1")" "$2")
    web "$2" /ads -b "$(jar "$1")" -o "$IT_TMP/up_$1" -w '%{http_code}' \
        --form-string "csrf=$c" --form-string "nickname=$3" --form-string "hover=$4" \
        --form-string "url=$5" -F "image=@$6"
}
# fund NAME SAT: credits NAME the way a deposit does.
fund() {
    psql_abc -q -c "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, reference)
        SELECT (SELECT id FROM ledger_accounts WHERE kind = 'deposits'), a.id, $2, 'deposit',
               'test:$RUN:$1:' || clock_timestamp()
        FROM ledger_accounts a JOIN users u ON u.id = a.user_id WHERE u.username = '$1'" >/dev/null
}
balance() {
    psql_abc -c "SELECT a.balance FROM ledger_accounts a JOIN users u ON u.id = a.user_id WHERE u.username = '$1'"
}
ad_of() { psql_abc -c "SELECT max(id) FROM ads WHERE nickname = '$1'"; }
# sell NAME VIA CAMPAIGN_NAME MIN_BTC SLOT_FIELD=VALUE: prints the new campaign's id.
sell() {
    local c out
    c=$(csrf_of "$(jar "$1")" "$2")
    out=$(web "$2" /sell -b "$(jar "$1")" -o "$IT_TMP/sell.$1" -w '%{http_code} %{redirect_url}' \
        --data "csrf=$c&idem=$(new_idem)&name=$3&description=test+$RUN&width=300&height=250&min_price=$4&$5")
    [[ "$out" == "303 "*"/c/"* ]] || {
        echo "sell: $out $({ grep -o 'class="error"[^<]*<' "$IT_TMP/sell.$1" || true; } | head -1)" >&2
        return 1
    }
    echo "${out##*/c/}"
}
# confirm NAME VIA CID AD: loads step 1 of a purchase; prints the confirm form as POST data.
confirm() {
    local f="$IT_TMP/confirm.$BASHPID"
    web "$2" "/c/$3/buy?ad=$4" -b "$(jar "$1")" -o "$f"
    local csrf idem slot ad max
    csrf=$(field_of "$f" csrf)
    idem=$(field_of "$f" idem)
    slot=$(field_of "$f" slot)
    ad=$(field_of "$f" ad)
    max=$(field_of "$f" max_price)
    [[ -n "$csrf" && -n "$idem" && -n "$slot" && -n "$ad" && -n "$max" ]] || {
        echo "confirm: no form for $1 on campaign $3 ad $4" >&2
        return 1
    }
    echo "csrf=$csrf&idem=$idem&slot=$slot&ad=$ad&max_price=$max"
}
# with DATA KEY VALUE: DATA with KEY's value replaced.
with() { sed -E "s/(^|&)$2=[^&]*/\1$2=$3/" <<<"$1"; }
# buy NAME VIA CID DATA OUT: posts a confirm form; prints "status location".
buy() {
    web "$2" "/c/$3/buy" -b "$(jar "$1")" -o "$5" -w '%{http_code} %{redirect_url}' --data "$4"
}
