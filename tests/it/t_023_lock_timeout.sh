#!/usr/bin/env bash
# A row lock held outside abc-worker stalls nothing but what needs it
# (worker/db.c, db_session_settings: lock_timeout 1 s on the request
# connection).  An operator's psql holds campaign A's row for 8 s.  A
# purchase on A is sent, then one on B: B is bought (303) within abc-web's
# request timeout, A is refused as "try again" and nothing is sold on A
# while the lock is held; once it is gone, the same form for A (same idem)
# buys the slot, once.  Without the timeout every request queues behind
# A's purchase for the whole 8 s and B is answered "still working".
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="l$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
HOLD_S=8

S="s_$RUN" B="b_$RUN"
check "a seller and a buyer register" \
    test "$(register "$S" 1)$(register "$B" 2)" = 303303
CA=$(sell "$S" 1 "LockA+$RUN" 0.001 slot_hours=1)
CB=$(sell "$S" 1 "LockB+$RUN" 0.001 slot_hours=1)
check "two campaigns ($CA, $CB)" test -n "$CA" -a -n "$CB"
fund "$B" 100000000
check "the buyer uploads an ad" \
    test "$(upload "$B" 1 "ad_$B" "hover" "https://example.com/$B" "$IMG/gif_300x250.gif")" = 200
AD=$(ad_of "ad_$B")
FA=$(confirm "$B" 1 "$CA" "$AD")
FB=$(confirm "$B" 1 "$CB" "$AD")
check "confirm forms for both" test -n "$FA" -a -n "$FB"

# The operator's transaction: campaign A's row locked for HOLD_S seconds.
psql_abc -c "BEGIN; SELECT id FROM campaigns WHERE id = $CA FOR UPDATE;
    SELECT pg_sleep($HOLD_S); COMMIT" >/dev/null 2>&1 &
locker=$!
lock_held() {
    [[ $(psql_abc -c "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
        AND query LIKE '%pg_sleep($HOLD_S)%' AND pid <> pg_backend_pid()") -ge 1 ]]
}
wait_until 5 lock_held || true
t0=$(now_ms)
buy "$B" 1 "$CA" "$FA" "$IT_TMP/body_a" >"$IT_TMP/code_a" &
pa=$!
sleep 0.2
read -r code_b loc_b <<<"$(buy "$B" 2 "$CB" "$FB" "$IT_TMP/body_b")" || true
ms_b=$(($(now_ms) - t0))
wait "$pa" || true
read -r code_a _ <"$IT_TMP/code_a" || true
ms_a=$(($(now_ms) - t0))
sold_a=$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id = $CA")
echo "  while A is locked: A answered $code_a, B answered $code_b after $ms_b ms (A and B done after $ms_a ms)"
check "the purchase on B is bought while A's row is locked ($code_b $loc_b)" \
    bash -c "[[ '$code_b' == 303 && '$loc_b' == *'/c/$CB?bought=0' ]]"
check "...answered before the lock is let go ($ms_b ms < $((HOLD_S * 1000)) ms)" \
    test "$ms_b" -lt $((HOLD_S * 1000))
check "the purchase on A is answered 'try again' (503) or 'still working' (202): $code_a" \
    bash -c "[[ '$code_a' == 503 || '$code_a' == 202 ]]"
check "nothing is sold on A while it is locked ($sold_a)" test "$sold_a" = 0
wait "$locker" || true
sleep 0.5
read -r code_a2 loc_a2 <<<"$(buy "$B" 1 "$CA" "$FA" "$IT_TMP/body_a2")" || true
check "after the lock, the same form for A buys the slot ($code_a2 $loc_a2)" \
    bash -c "[[ '$code_a2' == 303 && '$loc_a2' == *'/c/$CA?bought=0' ]]"
check "...once: one slot on A, one on B" \
    test "$(psql_abc -c "SELECT count(*) FROM slots WHERE campaign_id IN ($CA, $CB)")" = 2
check "ledger invariants hold" invariants

it_done
