#!/usr/bin/env bash
# Logins scale with front-ends (issue 14): with full-cost scrypt (kdf_n = 2^17, the
# production default: both abc-workers are restarted with it for this test, then back),
# 20 simultaneous registrations through edge, spread over fe1 and fe2, whose abc-web derive
# the keys in their hashing pools. Each gets, within 3 s, either success (303) or a clear
# "busy" (503 with the busy text); none is lost: every success logs in, no "busy" left an
# account behind, no name is registered twice, and every new account has the full cost.
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FULL=131072
N=20
PREV="${ABC_KDF_N:-$FULL}"
hosts_set_cost "$FULL"

# A jar and CSRF token for each first (GETs), then the 20 POSTs at once.
declare -a CS
for i in $(seq 1 $N); do
    CS[i]=$(csrf_of "$IT_TMP/s_$i" any /register)
done
from=$(edge_lines)
pids=()
for i in $(seq 1 $N); do
    web any /register -c "$IT_TMP/s_$i" -b "$IT_TMP/s_$i" -o "$IT_TMP/body_$i" \
        -w '%{http_code} %{time_total}' \
        --data "csrf=${CS[i]}&username=s${RUN}_$i&password=$PW&password2=$PW" >"$IT_TMP/res_$i" &
    pids+=($!)
done
wait "${pids[@]}" # only these: the restarted workers' supervise loops are children too
ok=0 busy=0 bad=0 slow=0 worst=0
for i in $(seq 1 $N); do
    read -r code secs <"$IT_TMP/res_$i" || true
    ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
    ((ms > worst)) && worst=$ms
    ((ms <= 3000)) || slow=$((slow + 1))
    if [[ "$code" == 303 ]]; then
        ok=$((ok + 1))
        echo "s${RUN}_$i" >>"$IT_TMP/made"
    elif [[ "$code" == 503 ]] && grep -q 'busy' "$IT_TMP/body_$i"; then
        busy=$((busy + 1))
        echo "s${RUN}_$i" >>"$IT_TMP/refused"
    else
        bad=$((bad + 1))
        echo "  registration $i: $code in ${secs}s"
    fi
done
touch "$IT_TMP/made" "$IT_TMP/refused"
ups=$(edge_log_since "$from" | grep 'POST /register' | grep -o 'up=\[[^]]*\]' | sed 's/:[0-9]*\]/]/' |
    sort | uniq -c | tr -s ' \n' ' ')
echo "     $N registrations: $ok registered, $busy busy, $bad other; slowest ${worst} ms; upstreams:$ups"
check "every registration answered within 3 s ($slow slower, slowest ${worst} ms)" test "$slow" = 0
check "each registered (303) or was told the server is busy (503): $ok + $busy of $N" test "$bad" = 0
check "some registrations succeeded ($ok)" test "$ok" -gt 0
check "both front-ends took registrations" \
    bash -c "grep -q '$(hosts_ip fe1)' <<<'$ups' && grep -q '$(hosts_ip fe2)' <<<'$ups'"
in_list() { sed "s/.*/'&'/" "$1" | paste -sd, -; }
if [[ -s "$IT_TMP/made" ]]; then
    check "every success is one account, with the full cost ($FULL)" test \
        "$(psql_abc -c "SELECT count(*) FROM users WHERE username IN ($(in_list "$IT_TMP/made")) AND pw_n = $FULL")" = "$ok"
fi
if [[ -s "$IT_TMP/refused" ]]; then
    check "no 'busy' registration left an account" test \
        "$(psql_abc -c "SELECT count(*) FROM users WHERE username IN ($(in_list "$IT_TMP/refused"))")" = 0
fi
check "no name registered twice" test \
    "$(psql_abc -c "SELECT count(*) FROM (SELECT lower(username) FROM users WHERE username LIKE 's${RUN}\_%' GROUP BY 1 HAVING count(*) > 1) d")" = 0
# Every success logs in (one at a time; "busy" is retried, it is not a refusal).
logins=0
while read -r u; do
    j="$IT_TMP/l_$u"
    for _ in 1 2 3 4 5; do
        c=$(csrf_of "$j" any)
        st=$(web any /login -c "$j" -b "$j" -o /dev/null -w '%{http_code}' \
            --data "csrf=$c&username=$u&password=$PW")
        [[ "$st" == 503 ]] || break
        sleep 1
    done
    [[ "$st" == 303 ]] && logins=$((logins + 1))
done <"$IT_TMP/made"
check "every registered user logs in ($logins of $ok)" test "$logins" = "$ok"
hosts_set_cost "$PREV"
check "ledger invariants hold" invariants
ht_done
