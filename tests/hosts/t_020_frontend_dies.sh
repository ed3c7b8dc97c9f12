#!/usr/bin/env bash
# A front-end host dies (issue 14): fe1's abc-web is frozen (SIGSTOP) while two buyers post
# purchases through edge at once, so round robin hands one POST to each front-end; fe1 is
# then killed (SIGKILL) with that POST in flight. nginx answers it 502 and does NOT send it
# to fe2 (edge's log: one upstream, fe1); the user's retry of the same form (same
# idempotency key) goes to fe2 and buys the slot exactly once (one slot, one charge). GETs
# are routed around fe1: all answer 200. fe1 is started again at the end.
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
restore() {
    if pid=$(abc_pid fe1-web); then kill -CONT "$pid" 2>/dev/null || true; fi
    hosts_start_web fe1 >/dev/null 2>&1 || true
    rm -rf "$IT_TMP"
}
trap restore EXIT

market "a$RUN"
CA=$CID AA=$AD
market "b$RUN"
CB=$CID AB=$AD
FA=$(confirm "a${RUN}b" any "$CA" "$AA")
FB=$(confirm "b${RUN}b" any "$CB" "$AB")
check "two purchase forms ready" test -n "$FA" -a -n "$FB"

pid1=$(abc_pid fe1-web)
kill -STOP "$pid1"
from=$(edge_lines)
buy "a${RUN}b" any "$CA" "$FA" "$IT_TMP/ba" >"$IT_TMP/ra" &
ja=$!
buy "b${RUN}b" any "$CB" "$FB" "$IT_TMP/bb" >"$IT_TMP/rb" &
jb=$!
sleep 1.5
kill -KILL "$pid1"
wait "$ja" "$jb" || true
ra=$(cat "$IT_TMP/ra")
rb=$(cat "$IT_TMP/rb")
echo "     answers: A '$ra', B '$rb'"
edge_log_since "$from" | grep 'POST' | sed 's/^/     edge: /'
posts=$(edge_log_since "$from" | grep -c 'POST /c/' || true)
check "edge logged both POSTs ($posts)" test "$posts" == 2
lost=$(edge_log_since "$from" | grep 'POST /c/' | grep ' 502 ' || true)
check "the POST in flight on fe1 was answered 502" test -n "$lost"
check "...and sent to fe1 only, never retried on fe2" \
    bash -c "grep -q 'up=\[$(hosts_ip fe1):$HOSTS_FCGI_PORT\]' <<<'$lost'"
ok=$(edge_log_since "$from" | grep 'POST /c/' | grep ' 303 ' || true)
check "the other POST went to fe2 and was done (303)" \
    bash -c "grep -q 'up=\[$(hosts_ip fe2):$HOSTS_FCGI_PORT\]' <<<'$ok'"

# The user whose POST was lost sends the same form again.
if [[ "$ra" == 502* ]]; then
    who="a${RUN}b" cid=$CA form=$FA
else
    who="b${RUN}b" cid=$CB form=$FB
fi
again=$(buy "$who" any "$cid" "$form" "$IT_TMP/again")
check "the user's retry with the same idempotency key is done ($again)" test "${again%% *}" == 303
for c in "$CA" "$CB"; do
    n=$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $c")
    check "campaign $c sold exactly one slot ($n)" test "$n" == 1
done
bal=$(balance "$who")
price=$(psql_abc -c "SELECT price FROM slots WHERE campaign_id = $cid")
check "the retrying buyer paid once ($FUND - $price = $bal)" test "$bal" == $((FUND - price))

codes=""
for i in $(seq 1 10); do
    codes+="$(web any "/c/$CA?g=$i" -o /dev/null -w '%{http_code}') "
done
check "GETs are routed around fe1: 10 x 200 ($codes)" \
    test "$codes" == "200 200 200 200 200 200 200 200 200 200 "
check "nginx saw fe1 fail" grep -q "$(hosts_ip fe1):$HOSTS_FCGI_PORT" "$ABC_LOG/edge-error.log"
check "invariants hold" invariants
ht_done
