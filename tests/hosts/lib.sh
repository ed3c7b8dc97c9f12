# shellcheck shell=bash
# Helpers of the hosts bed's tests (tests/hosts/t_*.sh), sourced after `set -euo pipefail`,
# against a bed that tests/hosts/run.sh (or deploy/hosts/run up) brought up; ABC_HOSTS_DIR
# names its state folder. Reuses tests/it/market_lib.sh (users, ads, campaigns, purchases)
# with its `web` and `psql_abc` pointed at the bed: every request goes through `edge`.
#
#   check DESCRIPTION CMD...   (tests/it/check_lib.sh's, counting failures) and ht_done
#   psql_abc [args]            psql as postgres on the current primary's database abc
#   ht_ms                      wall clock in ms
#   edge_log_since LINE        edge's access log from line LINE on

ABC_ROOT="${ABC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=deploy/hosts/lib.sh
source "$ABC_ROOT/deploy/hosts/lib.sh"
hosts_env
[[ -d "/sys/class/net/$HOSTS_BR" ]] || die "the hosts bed is not up (bridge $HOSTS_BR missing)"

IT_TMP="$(mktemp -d)"
# shellcheck source=tests/it/check_lib.sh
source "$ABC_ROOT/tests/it/check_lib.sh"
RUN="h$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=1000000000
# shellcheck source=tests/it/market_lib.sh
source "$ABC_ROOT/tests/it/market_lib.sh"

# Through edge, always (market_lib's `web N` would be a local abc-web's socket).
web() {
    local path="$2"
    shift 2
    curl -s --max-time 20 "$@" "$HOSTS_EDGE_URL$path"
}
psql_abc() {
    local p
    p="$(hosts_primary)" || {
        echo "no primary" >&2
        return 1
    }
    hosts_psql "$p" -d abc -At "$@"
}
invariants() {
    psql_abc -f "$ABC_ROOT/sql/admin/check_invariants.sql" >"$IT_TMP/inv" 2>&1 || {
        cat "$IT_TMP/inv"
        return 1
    }
}
# ht_done: it_done under the name the hosts tests use.
ht_done() { it_done; }
ht_ms() { date +%s%3N; }
edge_lines() { wc -l <"$ABC_LOG/edge-access.log"; }
edge_log_since() { tail -n +"$(($1 + 1))" "$ABC_LOG/edge-access.log"; }

# hosts_set_cost N: both abc-workers started again with kdf_n = N (the bed's workers got
# ABC_KDF_N from the environment, which wins over the file, so each supervise loop is
# stopped (SIGTERM: the worker drains and exits 0, which ends the loop) and started anew
# with ABC_KDF_N=N); returns once a worker is active and both front-ends reach it.
hosts_any_active() { hosts_worker_active db1 || hosts_worker_active db2; }
hosts_set_cost() {
    local n p
    for n in db2 db1; do
        p=$(abc_pid "$n-worker") || continue
        kill -TERM "$p"
        hosts_wait 30 "$n's abc-worker stopping" bash -c "! kill -0 $p 2>/dev/null"
    done
    for n in db1 db2; do
        ABC_KDF_N="$1" hosts_start_worker "$n"
    done
    hosts_wait 60 "an abc-worker active with kdf_n = $1" hosts_any_active
    hosts_wait 30 "logins answered through edge" hosts_link_ok
}
# hosts_link_ok: two reads of a campaign that does not exist through edge answer 404 ("no
# such campaign"), not 503: both front-ends reach the active worker (no hashing involved).
hosts_link_ok() {
    local i
    for i in 1 2; do
        [[ "$(web any "/c/99999999$i" -o /dev/null -w '%{http_code}')" == 404 ]] || return 1
    done
}

# market NAME: a seller NAME with a campaign (1-hour slots, 1000 sat minimum) and a buyer
# NAME-b with 10 BTC and an ad; sets CID (campaign) and AD (the buyer's ad).
market() {
    [[ "$(register "$1" any)" == 303 ]] || {
        echo "market: cannot register $1" >&2
        return 1
    }
    [[ "$(register "$1b" any)" == 303 ]] || {
        echo "market: cannot register $1b" >&2
        return 1
    }
    fund "$1b" "$FUND"
    if [[ "$(upload "$1b" any "ad$1" "hover" "https://example.org/" "$IMG/gif_300x250.gif")" != 200 ]] ||
        ! grep -q "Your ad is uploaded" "$IT_TMP/up_$1b"; then
        echo "market: upload failed" >&2
        return 1
    fi
    # shellcheck disable=SC2034 # AD and CID are for the sourcing test
    AD="$(ad_of "ad$1")"
    # shellcheck disable=SC2034
    CID="$(sell "$1" any "c$1" 0.00001 slot_hours=1)"
}
