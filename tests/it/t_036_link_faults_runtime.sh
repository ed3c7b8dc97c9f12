#!/usr/bin/env bash
# Runtime link faults (issue 11, for issue 13's chaos test): abc-worker and both abc-web
# re-read their fault_file on SIGUSR2 and apply it to every link session they have and
# make, without a restart.  With the stack's faults turned on this way (30% of frames
# dropped, the link cut about every 1.5 s, at every end), abc-linkc's counter requests
# through the stack's own abc-worker are still answered exactly once, and the cuts are
# seen in every log and in abc-linkc's reconnects; a worker dropping every frame answers
# nothing; once the files are emptied the faults stop: no cut, one connection each.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROCS=(worker web1 web2)
PREFIX="rtfault$$_"
CLIENTS=2
TOTAL="${RTFAULT_REQUESTS:-2000}"

faults_file() { echo "$ABC_STATE/$1.faults"; }
# set_faults "LINE": writes LINE into every process's fault file, then SIGUSR2 to each.
set_faults() {
    local p
    for p in "${PROCS[@]}"; do
        printf '%s\n' "$1" >"$(faults_file "$p")"
        kill -USR2 "$(pid_of "$p")"
    done
}
# applied "SETTINGS" OFFSET...: every log shows "event=faults SETTINGS" past its offset.
applied() {
    local want="$1" p
    shift
    for p in "${PROCS[@]}"; do
        tail -c +$(($1 + 1)) "$ABC_LOG/$p.log" | grep "event=faults $want" >/dev/null || return 1
        shift
    done
}
offsets() {
    local p
    for p in "${PROCS[@]}"; do stat -c %s "$ABC_LOG/$p.log"; done
}
# cuts NAME OFFSET: fault injection cuts NAME logged past OFFSET.
cuts() { tail -c +$(($2 + 1)) "$ABC_LOG/$1.log" | grep -c 'reason="fault injection cut"' || true; }
# cut_seen NAME OFFSET: at least one such cut.
cut_seen() { (($(cuts "$1" "$2") >= 1)); }
restore() {
    local p
    for p in "${PROCS[@]}"; do
        : >"$(faults_file "$p")"
        kill -USR2 "$(pid_of "$p")" 2>/dev/null || true
    done
    rm -rf "$IT_TMP"
}
trap restore EXIT

linkc() {
    timeout 150 "$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$ABC_LINK_PORT" \
        --ca "$ABC_CERTS/ca.crt" --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" \
        --op counter_add --keys 20 "$@"
}
applied_sum() {
    psql_abc -c "SELECT coalesce(sum(value), 0) FROM link_counters WHERE key LIKE '$1%'"
}

for p in "${PROCS[@]}"; do
    check "$p.conf names its fault file" grep -q "^fault_file = $(faults_file "$p")\$" "$ABC_STATE/$p.conf"
done

# --- 1. off, then a bad file: refused, the faults in force stay ---------------------------
read -r -a off0 <<<"$(offsets | tr '\n' ' ')"
set_faults ""
check "empty files: every process logs event=faults drop_pct=0 delay_ms=0 cut_ms=0" \
    wait_until 5 applied "drop_pct=0 delay_ms=0 cut_ms=0" "${off0[@]}"
read -r -a off1 <<<"$(offsets | tr '\n' ' ')"
set_faults "drop_pct=30 cut=5"
bad_logged() {
    local p i=0
    for p in "${PROCS[@]}"; do
        tail -c +$((off1[i] + 1)) "$ABC_LOG/$p.log" | grep 'event=faults error=.*unknown key.*kept=yes' >/dev/null || return 1
        i=$((i + 1))
    done
}
check "a malformed file is refused by every process, faults kept (logged)" wait_until 5 bad_logged

# --- 2. on: 30% drop + cuts every ~1.5 s at every end --------------------------------------
read -r -a on <<<"$(offsets | tr '\n' ' ')"
set_faults "drop_pct=30 cut_ms=1500"
check "every process logs event=faults drop_pct=30 delay_ms=0 cut_ms=1500" \
    wait_until 5 applied "drop_pct=30 delay_ms=0 cut_ms=1500" "${on[@]}"
t0=$(now_ms)
set +e
linkc -c "$CLIENTS" -t 4 -n "$TOTAL" --prefix "${PREFIX}on_" >"$IT_TMP/on" 2>"$IT_TMP/on.err"
rc=$?
set -e
t1=$(now_ms)
cat "$IT_TMP/on"
got=$(applied_sum "${PREFIX}on_")
connects=$(sed -n 's/.* connects=\([0-9]*\).*/\1/p' "$IT_TMP/on")
echo "  faults on: requests=$TOTAL applied_in_db=$got connects=${connects:-?} elapsed_ms=$((t1 - t0))" \
    "cuts: worker=$(cuts worker "${on[0]}") web1=$(cuts web1 "${on[1]}") web2=$(cuts web2 "${on[2]}")"
check "abc-linkc: every request answered exactly once under the runtime faults (exit $rc)" test "$rc" -eq 0
check "...$TOTAL ok replies, no error, timeout or orphan" \
    grep -q "replies_ok=$TOTAL errors=0 timeouts=0 orphans=0" "$IT_TMP/on"
check "...counters in PostgreSQL equal the requests sent ($got = $TOTAL)" test "$got" -eq "$TOTAL"
check "...abc-worker's cuts made abc-linkc reconnect (${connects:-?} > $CLIENTS connects)" \
    test "${connects:-0}" -gt "$CLIENTS"
check "abc-worker logged fault injection cuts" test "$(cuts worker "${on[0]}")" -ge 2
check "abc-web #1 logged fault injection cuts" wait_until 5 cut_seen web1 "${on[1]}"
check "abc-web #2 logged fault injection cuts" wait_until 5 cut_seen web2 "${on[2]}"

# --- 3. every frame dropped: no reply gets through ------------------------------------------
read -r -a all <<<"$(offsets | tr '\n' ' ')"
set_faults "drop_pct=100"
check "every process logs event=faults drop_pct=100" \
    wait_until 5 applied "drop_pct=100 delay_ms=0 cut_ms=0" "${all[@]}"
set +e
linkc -c 1 -t 2 -n 10 --timeout-ms 1500 --prefix "${PREFIX}all_" >"$IT_TMP/all" 2>"$IT_TMP/all.err"
set -e
cat "$IT_TMP/all"
check "abc-worker dropping every frame: none of 10 requests is answered" \
    grep -q "replies_ok=0 errors=0 timeouts=10" "$IT_TMP/all"

# --- 4. off again: the faults stop -----------------------------------------------------------
read -r -a off2 <<<"$(offsets | tr '\n' ' ')"
set_faults ""
check "every process logs event=faults drop_pct=0 delay_ms=0 cut_ms=0 again" \
    wait_until 5 applied "drop_pct=0 delay_ms=0 cut_ms=0" "${off2[@]}"
read -r -a quiet <<<"$(offsets | tr '\n' ' ')"
set +e
linkc -c "$CLIENTS" -t 4 -n 1000 --prefix "${PREFIX}off_" >"$IT_TMP/off" 2>"$IT_TMP/off.err"
rc=$?
set -e
cat "$IT_TMP/off"
sleep 2 # three cut periods of the old setting: none may come
got=$(applied_sum "${PREFIX}off_")
check "faults off: every request answered once (exit $rc), counters equal ($got = 1000)" \
    test "$rc" -eq 0 -a "$got" -eq 1000
check "...each abc-linkc client connected once: no cut" \
    grep -q "replies_ok=1000 errors=0 timeouts=0 orphans=0 connects=$CLIENTS " "$IT_TMP/off"
check "...no process logged a fault injection cut since" \
    test "$(cuts worker "${quiet[0]}")" -eq 0 -a "$(cuts web1 "${quiet[1]}")" -eq 0 -a \
    "$(cuts web2 "${quiet[2]}")" -eq 0
check "the site still answers: / is 200" wait_until 10 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' $BASE_URL/) == 200 ]]"
it_done
