#!/usr/bin/env bash
# Partition (issue 14): the active abc-worker is cut from PostgreSQL only (on its host,
# every packet to or from port 5432 on the loopback path it uses to reach the database is
# held back silently, tc; its link to the front-ends is untouched) while a client buys slots
# through edge. The worker's lock watch gets no answer and it ends itself
# (event=lost_lock); the database drops the silent lock session (keepalives) and the
# standby takes the lock (event=active) and listens; abc-web finds it. Checked: at no
# moment do both workers listen (sampled every 100 ms); the cut worker's lost_lock is
# logged before the standby's active; no request_log row written by the cut worker after
# the standby became active (request_log.written_by); the cut worker's process ended (no
# payer or follower left) and came back as a standby; every acknowledged purchase is
# recorded once, the invariants hold. Measured: cut -> lost_lock -> active -> first write
# acknowledged.
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CUT=""
BG=()
# uncut NODE: lifts the cut.
uncut() { hosts_exec "$1" tc qdisc del dev lo root 2>/dev/null || true; }
trap '[[ -z "$CUT" ]] || uncut "$CUT"; touch "$IT_TMP/stop"; ((${#BG[@]} == 0)) || wait "${BG[@]}"; rm -rf "$IT_TMP"' EXIT

active=""
for n in db1 db2; do
    hosts_worker_active "$n" && active="$n"
done
[[ -n "$active" ]] || die "no abc-worker listens"
standby=$([[ "$active" == db1 ]] && echo db2 || echo db1)
A_LOG="$ABC_LOG/$active-worker.log"
S_LOG="$ABC_LOG/$standby-worker.log"
echo "     active worker on $active, standby on $standby; PostgreSQL primary $(hosts_primary)"
not_listening() { ! hosts_worker_active "$1"; }
check "the standby worker does not listen" not_listening "$standby"
check "the standby worker waits for the lock (event=standby)" grep -q 'event=standby' "$S_LOG"

market "p$RUN"
form_for() { confirm "p${RUN}b" any "$CID" "$AD" 2>/dev/null; }
answered() { [[ "$1" == 303 || "$1" == 409 || "$1" == 400 || "$1" == 403 ]]; }
client() {
    local log="$IT_TMP/client" form idem out t0 n
    while [[ ! -f "$IT_TMP/stop" ]]; do
        form=$(form_for) || { sleep 0.2; continue; }
        idem=$(sed -E 's/.*(^|&)idem=([^&]*).*/\2/' <<<"$form")
        n=0
        # A form is sent again until it is answered, even after "stop" (bounded).
        while ((n++ < 100)); do
            t0=$(ht_ms)
            out=$(buy "p${RUN}b" any "$CID" "$form" /dev/null) || out="000"
            echo "$t0 $(ht_ms) buy $idem ${out%% *}" >>"$log"
            answered "${out%% *}" && break
            sleep 0.2
        done
        sleep 0.1
    done
}
# Both workers' link ports, every 100 ms: "ms db1 db2" (1 = listening).
sampler() {
    while [[ ! -f "$IT_TMP/stop" ]]; do
        local a=0 b=0
        hosts_worker_active db1 && a=1
        hosts_worker_active db2 && b=1
        echo "$(ht_ms) $a $b" >>"$IT_TMP/listen"
        sleep 0.1
    done
}
client &
BG+=("$!")
sampler &
BG+=("$!")
acks() { awk -v t="${1:-0}" '$3 == "buy" && $5 == 303 && $1 >= t' "$IT_TMP/client" 2>/dev/null | wc -l; }
before() { (($(acks) >= 2)); }
hosts_wait 60 "purchases acknowledged before the cut" before

# Only what the logs say from the cut on counts.
a_off=$(wc -l <"$A_LOG")
s_off=$(wc -l <"$S_LOG")
a_since() { tail -n +"$((a_off + 1))" "$A_LOG"; }
s_since() { tail -n +"$((s_off + 1))" "$S_LOG"; }
t_cut=$(ht_ms)
CUT="$active"
# Not a drop action (act_gact is not in every kernel) but a class that sends 1 byte a
# second with no burst: packets to or from port 5432 on loopback wait there, unanswered.
# Only the worker takes that path: replication and the monitor use eth0, pg_autoctl the
# Unix socket.
hosts_exec "$active" tc qdisc add dev lo root handle 1: htb default 1 r2q 1
hosts_exec "$active" tc class add dev lo parent 1: classid 1:1 htb rate 10gbit 2>/dev/null
hosts_exec "$active" tc class add dev lo parent 1: classid 1:2 htb rate 8bit ceil 8bit \
    burst 1 cburst 1 2>/dev/null
for dir in dport sport; do
    hosts_exec "$active" tc filter add dev lo parent 1: protocol ip prio 1 u32 \
        match ip "$dir" "$HOSTS_PG_PORT" 0xffff flowid 1:2
done
echo "     cut $active's abc-worker from PostgreSQL"
took_over() { s_since | grep 'event=active' >/dev/null && hosts_worker_active "$standby"; }
hosts_wait 60 "$standby's worker taking over" took_over
after() { (($(acks "$t_cut") >= 2)); }
deadline=$((SECONDS + 60))
until after || ((SECONDS >= deadline)); do sleep 0.2; done
check "purchases are acknowledged again after the takeover" after
uncut "$active"
CUT=""
touch "$IT_TMP/stop"
wait "${BG[@]}"
BG=()

ts_ms() { date -d "$1" +%s%3N; }
lost_line=$(a_since | grep 'event=lost_lock' | head -n 1 || true)
act_line=$(s_since | grep 'event=active' | head -n 1 || true)
t_lost=$(ts_ms "$(sed -E 's/^ts=([^ ]*).*/\1/' <<<"${lost_line:-ts=1970-01-01T00:00:00Z}")")
t_act=$(ts_ms "$(sed -E 's/^ts=([^ ]*).*/\1/' <<<"${act_line:-ts=1970-01-01T00:00:00Z}")")
t_ack=$(awk -v t="$t_act" '$3 == "buy" && $5 == 303 && $1 >= t { print $2 }' "$IT_TMP/client" | sort -n | head -n 1)
echo "     measured after the cut: lost_lock at $((t_lost - t_cut)) ms, standby active at" \
    "$((t_act - t_cut)) ms, first purchase acknowledged at $((${t_ack:-0} - t_cut)) ms"
echo "     $active: ${lost_line:-no lost_lock}"
check "the cut worker logged event=lost_lock after the cut" test -n "$lost_line" -a "$t_lost" -ge "$t_cut"
check "...before the standby logged event=active ($t_lost < $t_act)" test "$t_lost" -lt "$t_act"
both=$(awk '$2 == 1 && $3 == 1' "$IT_TMP/listen" | wc -l)
echo "     link ports sampled $(wc -l <"$IT_TMP/listen") times, both listening in $both"
check "at no sampled moment did both workers listen" test "$both" -eq 0
late=$(psql_abc -c "SELECT count(*) FROM request_log WHERE written_by = 'abc-worker-$active'
    AND created_at >= to_timestamp($t_act / 1000.0)")
mine=$(psql_abc -c "SELECT count(*) FROM request_log WHERE written_by = 'abc-worker-$standby'
    AND created_at >= to_timestamp($t_act / 1000.0)")
echo "     request_log rows since the takeover: $mine by $standby's worker, $late by $active's"
check "no request_log row from the cut worker after the standby became active" test "$late" -eq 0
check "...and the new active worker wrote some" test "$mine" -gt 0
# The process that held the lock ended at once (its payer and follower with it): its
# supervisor restarted it, and the new process is a standby.
restarted() { a_since | grep 'event=restart status=3' >/dev/null; }
check "the cut worker's process ended with exit 3 and was restarted" restarted
standby_again() { a_since | sed -n '/event=lost_lock/,$p' | grep 'event=standby' >/dev/null; }
check "...and came back as a standby" standby_again
paid_after=$(a_since | sed -n '/event=lost_lock/,$p' | grep -cE 'event=(withdrawal_sent|payer_|follower_|deposit)' || true)
check "the cut worker neither paid nor followed the chain after losing the lock" test "$paid_after" -eq 0
b_ack=$(awk '$3 == "buy" && $5 == 303 { print $4 }' "$IT_TMP/client" | sort -u | wc -l)
b_try=$(awk '$3 == "buy" { print $4 }' "$IT_TMP/client" | sort -u | wc -l)
slots=$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $CID")
echo "     purchases: $b_try forms, $b_ack acknowledged, $slots slots"
check "every acknowledged purchase applied exactly once ($slots = $b_ack)" test "$slots" == "$b_ack"
check "the ledger invariants hold" invariants
ht_done
