#!/usr/bin/env bash
# The bed is up (issue 14): pages are served through `edge` by both front-ends (edge's
# access log names both upstreams, and each abc-web logged a request of its own), a
# registration and a login work end to end across hosts, abc-worker is connected through the
# multi-host connection string, and PostgreSQL replicates synchronously (the standby
# is a quorum member, so a commit waits for it).
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

from=$(edge_lines)
f1=$(grep -c 'event=request' "$ABC_LOG/fe1-web.log" || true)
f2=$(grep -c 'event=request' "$ABC_LOG/fe2-web.log" || true)
codes=""
for i in 1 2 3 4 5 6; do
    codes+="$(web any "/status?i=$i" -o /dev/null -w '%{http_code}') "
done
check "six pages through edge all 200 ($codes)" test "$codes" == "200 200 200 200 200 200 "
ups=$(edge_log_since "$from" | grep -o 'up=\[[^]]*\]' | sort | uniq -c | tr '\n' ' ')
check "edge sent them to both front-ends ($ups)" \
    bash -c "grep -q '$(hosts_ip fe1):' <<<'$ups' && grep -q '$(hosts_ip fe2):' <<<'$ups'"
g1=$(grep -c 'event=request' "$ABC_LOG/fe1-web.log" || true)
g2=$(grep -c 'event=request' "$ABC_LOG/fe2-web.log" || true)
check "fe1's abc-web logged requests ($f1 -> $g1)" test "$g1" -gt "$f1"
check "fe2's abc-web logged requests ($f2 -> $g2)" test "$g2" -gt "$f2"

U="u$RUN"
check "registration through edge answers 303" test "$(register "$U" any)" == 303
rm -f "$(jar "$U")"
c=$(csrf_of "$(jar "$U")" any)
out=$(web any /login -c "$(jar "$U")" -b "$(jar "$U")" -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data "csrf=$c&username=$U&password=$PW")
check "login through edge answers 303 ($out)" test "${out%% *}" == 303
web any /account -b "$(jar "$U")" -o "$IT_TMP/acct"
check "the account page shows the user" grep -q "$U" "$IT_TMP/acct"
check "the user is in PostgreSQL on the primary" test "$(psql_abc -c "SELECT count(*) FROM users WHERE username = '$U'")" == 1

check "abc-worker is given both nodes, read-write only" \
    grep -q "db = host=$(hosts_ip db1),$(hosts_ip db2) .*target_session_attrs=read-write" \
    "$HOSTS_STATE/worker-db1.conf"
p=$(hosts_primary)
sync=$(hosts_psql "$p" -At -d postgres -c "SHOW synchronous_standby_names")
check "the primary ($p) commits synchronously ('$sync')" grep -q 'ANY 1' <<<"$sync"
st=$(hosts_psql "$p" -At -d postgres -c "SELECT string_agg(sync_state, ',') FROM pg_stat_replication")
check "its standby is a quorum member ($st)" test "$st" == quorum
ht_done
