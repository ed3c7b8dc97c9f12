#!/usr/bin/env bash
# The fence (issue 14): a worker that lost the lock cannot commit a write, even in the
# moment before its lock watch ends it. The active worker A is frozen (SIGSTOP); its lock
# session is ended on the primary (pg_terminate_backend) while the packets of that session
# are held back on their way to A (tc, as in t_060), so that A, once thawed, needs a whole
# LEASE_ANSWER_MS (1 s) to learn it lost the lock; the standby takes the lock and becomes
# active; a purchase is sent through edge (abc-web still has its link to A, so it lands
# in A's socket); A is thawed. A runs the purchase at once, long before its watch gives
# up: its write transaction must be refused by the fence (event=db_fenced), not
# committed. Checked: no request_log row for that purchase from A; A ended with
# lost_lock (exit 3) and came back as a standby; the same form sent again is bought once,
# by the new active worker; invariants hold. Without the fence (lease_fence_token() 0) the
# purchase commits from A and this test fails.
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CUT="" CUT_DEV="" FROZEN="" BG=()
uncut() { hosts_exec "$CUT" tc qdisc del dev "$CUT_DEV" root 2>/dev/null || true; }
cleanup() {
    [[ -z "$FROZEN" ]] || kill -CONT "$FROZEN" 2>/dev/null || true
    [[ -z "$CUT" ]] || uncut
    ((${#BG[@]} == 0)) || wait "${BG[@]}" 2>/dev/null || true
    rm -rf "$IT_TMP"
}
trap cleanup EXIT

active=""
for n in db1 db2; do
    hosts_worker_active "$n" && active="$n"
done
[[ -n "$active" ]] || die "no abc-worker listens"
standby=$([[ "$active" == db1 ]] && echo db2 || echo db1)
primary=$(hosts_primary) || die "no primary"
A_LOG="$ABC_LOG/$active-worker.log"
S_LOG="$ABC_LOG/$standby-worker.log"
echo "     active worker on $active, standby on $standby, primary $primary"

market "f$RUN"
form=$(confirm "f${RUN}b" any "$CID" "$AD") || die "no purchase form"
idem=$(sed -E 's/.*(^|&)idem=([^&]*).*/\2/' <<<"$form")

# A's process (the supervisor's child) and its lock session on the primary.
sup=$(abc_pid "$active-worker") || die "no supervisor for $active's worker"
wpid=$(ps -o pid=,comm= --ppid "$sup" | awk '$2 == "abc-worker" { print $1 }')
[[ -n "$wpid" ]] || die "no abc-worker process under $sup"
read -r lpid lport < <(psql_abc -F ' ' -c "SELECT l.pid, a.client_port FROM pg_locks l
    JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.classid = 0
    AND l.objid = 1633837943 AND l.objsubid = 1 AND l.granted")
[[ -n "${lpid:-}" && -n "${lport:-}" ]] || die "no lock session on $primary"
echo "     $active's worker pid $wpid, lock session backend $lpid from port $lport"

a_off=$(wc -l <"$A_LOG")
s_off=$(wc -l <"$S_LOG")
a_since() { tail -n +"$((a_off + 1))" "$A_LOG"; }
s_since() { tail -n +"$((s_off + 1))" "$S_LOG"; }

kill -STOP "$wpid"
FROZEN="$wpid"
# The lock session's packets from the primary wait there (1 byte a second, no burst): on
# loopback when A runs on the primary's host (both ways then), else on the primary's link.
CUT="$primary"
CUT_DEV=$([[ "$primary" == "$active" ]] && echo lo || echo eth0)
hosts_exec "$CUT" tc qdisc add dev "$CUT_DEV" root handle 1: htb default 1 r2q 1
hosts_exec "$CUT" tc class add dev "$CUT_DEV" parent 1: classid 1:1 htb rate 10gbit 2>/dev/null
hosts_exec "$CUT" tc class add dev "$CUT_DEV" parent 1: classid 1:2 htb rate 8bit ceil 8bit \
    burst 1 cburst 1 2>/dev/null
for dir in dport sport; do
    hosts_exec "$CUT" tc filter add dev "$CUT_DEV" parent 1: protocol ip prio 1 u32 \
        match ip "$dir" "$lport" 0xffff flowid 1:2
done
psql_abc -c "SELECT pg_terminate_backend($lpid)" >/dev/null
took_over() { s_since | grep 'event=active' >/dev/null; }
hosts_wait 30 "$standby's worker taking the lock" took_over
t_act=$(ht_ms)

# The purchase goes to A (abc-web's link to it is still up) and waits in its socket.
buy "f${RUN}b" any "$CID" "$form" /dev/null >"$IT_TMP/first" 2>/dev/null &
BG+=("$!")
sleep 1
kill -CONT "$wpid"
FROZEN=""
lost() { a_since | grep 'event=lost_lock' >/dev/null; }
hosts_wait 30 "$active's worker logging lost_lock" lost
wait "${BG[@]}" || true
BG=()
uncut
CUT=""
echo "     first answer to the purchase (sent to the fenced worker): $(cat "$IT_TMP/first")"
a_since | grep -E 'event=(db_fenced|lost_lock)' | sed 's/^/     /' | head -n 3

check "$active's worker tried the write and the fence refused it (event=db_fenced)" \
    grep -q 'event=db_fenced' <(a_since)
from_a=$(psql_abc -c "SELECT count(*) FROM request_log WHERE idem_key = '$idem'
    AND written_by = 'abc-worker-$active'")
late=$(psql_abc -c "SELECT count(*) FROM request_log WHERE written_by = 'abc-worker-$active'
    AND created_at >= to_timestamp($t_act / 1000.0)")
check "no request_log row for the purchase from $active's worker ($from_a)" test "$from_a" -eq 0
check "no request_log row at all from $active's worker after the takeover ($late)" test "$late" -eq 0
restarted() { a_since | grep 'event=restart status=3' >/dev/null; }
check "$active's worker ended with exit 3 and was restarted" restarted
standby_again() { a_since | sed -n '/event=lost_lock/,$p' | grep 'event=standby' >/dev/null; }
hosts_wait 30 "$active's worker a standby again" standby_again || true
check "...and came back as a standby" standby_again

# The same form again, until answered: bought once, by the new active worker.
out=""
for ((i = 0; i < 100; i++)); do
    out=$(buy "f${RUN}b" any "$CID" "$form" /dev/null) || out="000"
    [[ "${out%% *}" != 303 ]] || break
    sleep 0.3
done
check "the purchase sent again is acknowledged (${out%% *})" test "${out%% *}" == 303
rows=$(psql_abc -c "SELECT count(*) || ' ' || coalesce(min(written_by), '-') FROM request_log
    WHERE idem_key = '$idem'")
slots=$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $CID")
echo "     request_log rows for the key, writer: $rows; slots: $slots"
check "applied exactly once, by $standby's worker" test "$rows" == "1 abc-worker-$standby"
check "one slot sold" test "$slots" -eq 1
check "the ledger invariants hold" invariants
ht_done
