#!/usr/bin/env bash
# After t_030's failover the old primary's keeper was started again: pg_auto_failover makes
# it the standby of the new primary (pg_rewind), and the new primary commits synchronously
# to it again (quorum). Measured from the keeper's restart.
set -euo pipefail
# shellcheck source=tests/hosts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rm -rf "$IT_TMP"' EXIT
[[ -s "$HOSTS_STATE/rejoining" ]] || die "no failover to rejoin from (run t_030_failover first)"
read -r old new t0 <"$HOSTS_STATE/rejoining"
hosts_wait_standby "$old" "$new"
hosts_wait 60 "$new primary with a standby" hosts_state_is "$new" primary
echo "     $old back as the standby $(($(ht_ms) - t0)) ms after its keeper restarted"
sync=$(hosts_psql "$new" -At -d postgres -c "SHOW synchronous_standby_names")
check "$new commits synchronously to $old again ('$sync')" grep -q 'ANY 1' <<<"$sync"
st=$(hosts_psql "$new" -At -d postgres -c "SELECT string_agg(sync_state, ',') FROM pg_stat_replication")
check "$old is a quorum member ($st)" test "$st" == quorum
check "$old rejoined as a standby" hosts_pg_is "$old" standby
check "the ledger invariants hold" invariants
ht_done
