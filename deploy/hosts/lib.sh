# shellcheck shell=bash
# deploy/hosts/lib.sh: the multi-host test bed (issue 14, SPEC §8) on one machine, sourced
# by deploy/hosts/run, deploy/backup and tests/hosts/*. It builds Linux network namespaces
# joined by a bridge and starts, one "host" per namespace:
#
#   host     address       what runs there
#   edge     10.77.N.10    nginx :80, upstream over fe1 and fe2 (passive health checks)
#   fe1/fe2  10.77.N.11/12 abc-web, FastCGI on :9000, each with its own client certificate
#   db1/db2  10.77.N.21/22 PostgreSQL 15 under pg_auto_failover (pg_autoctl run) :5432, and
#                          abc-worker under a restart loop (deploy/hosts/supervise): the
#                          one holding the advisory lock on the primary is active and
#                          listens for links on :7000; the other is a standby that waits
#                          for the lock and does not listen (worker/lease.h)
#   monitor  10.77.N.30    the pg_auto_failover monitor (a PostgreSQL of its own) :5432
#   btc      10.77.N.40    the bitcoind stand-in :8332
#
# The machine itself is 10.77.N.1 on the bridge: only it reaches the bed. No namespace has
# a default route, so nothing in the bed can talk past the bridge. N comes from the state
# folder's path (ABC_HOSTS_NET overrides), so two beds never share names or addresses.
#
# State: $HOSTS_STATE (default <tree>/var/hosts): configs, certs/, secrets/, log/, run/ (pid
# files), nginx/, btc/. PostgreSQL data, sockets, pg_autoctl's files and the WAL archive
# live in $HOSTS_PG=/var/tmp/abc-hosts-N, owned by postgres (who may not enter the tree).
# Processes are recorded by name in run/NAME.pid (deploy/lib.sh's abc_spawn).

# shellcheck source=deploy/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

HOSTS=(btc monitor db1 db2 fe1 fe2 edge)
declare -A HOST_OCTET=([edge]=10 [fe1]=11 [fe2]=12 [db1]=21 [db2]=22 [monitor]=30
    [btc]=40)
HOSTS_LINK_PORT=7000
HOSTS_FCGI_PORT=9000
HOSTS_SIM_PORT=8332
HOSTS_PG_PORT=5432
HOSTS_WAIT="${ABC_HOSTS_WAIT:-90}"

# hosts_env: every name, address and path of the bed. Creates the state folder only.
hosts_env() {
    local state="${ABC_HOSTS_DIR:-$ABC_ROOT/var/hosts}"
    mkdir -p "$state"
    HOSTS_STATE="$(cd "$state" && pwd -P)"
    HOSTS_ID="${ABC_HOSTS_NET:-$((1 + $(abc_hash "$HOSTS_STATE") % 250))}"
    case "$HOSTS_ID" in
    '' | *[!0-9]*) die "ABC_HOSTS_NET must be a number 1-250, not '$HOSTS_ID'" ;;
    esac
    ((HOSTS_ID >= 1 && HOSTS_ID <= 250)) || die "ABC_HOSTS_NET must be 1-250"
    HOSTS_NET="10.77.$HOSTS_ID"
    HOSTS_BR="abcbr$HOSTS_ID"
    HOSTS_PG="/var/tmp/abc-hosts-$HOSTS_ID"
    HOSTS_ARCHIVE="$HOSTS_PG/archive"
    # shellcheck disable=SC2034 # used by deploy/backup
    HOSTS_BACKUPS="$HOSTS_PG/backups"
    HOSTS_EDGE_URL="http://$HOSTS_NET.${HOST_OCTET[edge]}"
    HOSTS_MONITOR_URI="postgres://autoctl_node@$HOSTS_NET.${HOST_OCTET[monitor]}:$HOSTS_PG_PORT/pg_auto_failover?sslmode=disable"
    # What deploy/lib.sh's process functions (abc_spawn, abc_pid, abc_stop_one) use.
    ABC_STATE="$HOSTS_STATE"
    ABC_RUN="$HOSTS_STATE/run"
    ABC_LOG="$HOSTS_STATE/log"
    ABC_CERTS="$HOSTS_STATE/certs"
    ABC_SECRET="$HOSTS_STATE/secrets/bitcoind_password"
    ABC_BUILD="${ABC_BUILD:-$ABC_ROOT/build}"
}

hosts_ip() { echo "$HOSTS_NET.${HOST_OCTET[$1]}"; }
hosts_ns() { echo "abc$HOSTS_ID-$1"; }

# hosts_exec HOST CMD...: CMD inside HOST's namespace.
hosts_exec() {
    local h="$1"
    shift
    ip netns exec "$(hosts_ns "$h")" "$@"
}

# ---------------------------------------------------------------------------------------
# The network

# hosts_need_netadmin: fails loudly without CAP_NET_ADMIN (never a silent skip: the bed is
# the test of issue 14).
hosts_need_netadmin() {
    local probe="abcprobe$$"
    command -v ip >/dev/null || die "no 'ip' command (apt-get install iproute2)"
    ip netns add "$probe" 2>/dev/null ||
        die "cannot create network namespaces (needs root with CAP_NET_ADMIN): the hosts bed cannot run"
    ip netns del "$probe"
}

hosts_net_up() {
    local h ns veth
    ip link add "$HOSTS_BR" type bridge || die "cannot create bridge $HOSTS_BR"
    ip addr add "$HOSTS_NET.1/24" dev "$HOSTS_BR"
    ip link set "$HOSTS_BR" up
    # Should the bridge vanish while something still sends to the bed, the packets are
    # refused here instead of following the default route off the machine.
    ip route add unreachable "$HOSTS_NET.0/24" metric 4000 2>/dev/null || true
    for h in "${HOSTS[@]}"; do
        ns="$(hosts_ns "$h")"
        veth="a$HOSTS_ID-$h"
        ip netns add "$ns"
        ip link add "$veth" type veth peer name eth0 netns "$ns"
        ip link set "$veth" master "$HOSTS_BR" up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$(hosts_ip "$h")/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
}

# hosts_kill_host HOST: every process of HOST's namespace gets SIGKILL at once (a host
# that dies). Prints how many.
hosts_kill_host() {
    local ns pids
    ns="$(hosts_ns "$1")"
    pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    [[ -n "${pids// /}" ]] || {
        echo 0
        return 0
    }
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    wc -w <<<"$pids"
}

# hosts_stop_ns NS: SIGTERM to every process in NS, SIGKILL after 3 s (the bed's data is
# thrown away anyway).
hosts_stop_ns() {
    local ns="$1" pids i
    pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    [[ -n "${pids// /}" ]] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        [[ -n "$(ip netns pids "$ns" 2>/dev/null)" ]] || return 0
        sleep 0.1
    done
    pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    # shellcheck disable=SC2086
    [[ -z "${pids// /}" ]] || kill -KILL $pids 2>/dev/null || true
    sleep 0.2
}

# hosts_down: every process, namespace, the bridge, PostgreSQL's data. Safe to run twice.
# Keeps the state folder's logs until the next `up`.
hosts_down() {
    local h ns
    # Front first, so nothing writes while the databases go.
    for h in edge fe1 fe2 db1 db2 monitor btc; do
        ns="$(hosts_ns "$h")"
        ip netns list 2>/dev/null | grep -qw "$ns" || continue
        hosts_stop_ns "$ns"
        ip netns del "$ns" 2>/dev/null || warn "could not delete namespace $ns"
    done
    ip link del "$HOSTS_BR" 2>/dev/null || true
    ip route del unreachable "$HOSTS_NET.0/24" metric 4000 2>/dev/null || true
    rm -f "$HOSTS_STATE"/run/*.pid "$HOSTS_STATE"/run/*.pid.start
    if [[ "$HOSTS_PG" == /var/tmp/abc-hosts-* && -d "$HOSTS_PG" ]]; then
        rm -rf "$HOSTS_PG"
    fi
    rm -rf "$HOSTS_STATE/btc"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL under pg_auto_failover, as the postgres user

# hosts_pg_env NODE: the environment of pg_autoctl for NODE: its own home, config, state
# and socket directories (the file system is shared by all namespaces, so two nodes must
# never use the same Unix socket path).
hosts_pg_env() {
    local d="$HOSTS_PG/$1"
    printf '%s\n' "HOME=$d" "XDG_CONFIG_HOME=$d/config" "XDG_DATA_HOME=$d/share" \
        "XDG_RUNTIME_DIR=$d/run" "PG_REGRESS_SOCK_DIR=$d/sock" "PGHOST=$d/sock" \
        "PGPORT=$HOSTS_PG_PORT" "PGDATA=$d/data" "PG_CONFIG=$ABC_PG_BIN/pg_config" \
        "PATH=$ABC_PG_BIN:/usr/bin:/bin" "LANG=C.UTF-8"
}

# hosts_pg_cmd NODE: sets HOSTS_PGCMD to the command prefix that runs a program as postgres
# in NODE's namespace with NODE's environment (setpriv execs, unlike runuser, so a recorded
# pid is the program's own).
hosts_pg_cmd() {
    local env=()
    mapfile -t env < <(hosts_pg_env "$1")
    HOSTS_PGCMD=(ip netns exec "$(hosts_ns "$1")" setpriv --reuid=postgres --regid=postgres
        --init-groups env -i "${env[@]}")
}

# hosts_as_pg NODE CMD...: CMD as postgres in NODE's namespace, from /.
hosts_as_pg() {
    local node="$1"
    shift
    hosts_pg_cmd "$node"
    (cd / && "${HOSTS_PGCMD[@]}" "$@")
}

# hosts_spawn_pg NAME NODE CMD...: abc_spawn of a postgres-user program, from /.
hosts_spawn_pg() {
    local name="$1" node="$2"
    shift 2
    hosts_pg_cmd "$node"
    (cd / && abc_spawn "$name" "${HOSTS_PGCMD[@]}" "$@")
}

hosts_pg_dirs() {
    local node="$1" d
    for d in "" /config /share /run /sock; do
        mkdir -p "$HOSTS_PG/$node$d"
    done
    chown -R postgres:postgres "$HOSTS_PG/$node"
    chmod 0700 "$HOSTS_PG/$node"
}

# hosts_psql NODE [psql args]: psql as postgres on NODE's Unix socket (from the machine:
# Unix sockets are files, namespaces do not hide them).
hosts_psql() {
    local node="$1"
    shift
    "$ABC_PG_BIN/psql" -h "$HOSTS_PG/$node/sock" -p "$HOSTS_PG_PORT" -U postgres -X -q \
        -v ON_ERROR_STOP=1 "$@"
}

# hosts_pg_role NODE: "primary" (takes writes: what libpq's target_session_attrs=read-write
# accepts), "readonly" (promoted, but pg_auto_failover still holds writes back), "standby"
# or "down", as PostgreSQL itself says.
hosts_pg_role() {
    local r
    r="$(hosts_psql "$1" -At -d postgres -c "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby'
        WHEN current_setting('transaction_read_only') = 'on' THEN 'readonly'
        ELSE 'primary' END" 2>/dev/null)" || r=down
    echo "${r:-down}"
}

# hosts_monitor_states: "name reported assigned" per data node, from the monitor.
hosts_monitor_states() {
    hosts_psql monitor -At -F ' ' -d pg_auto_failover \
        -c "SELECT nodename, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid"
}

# hosts_node_state NODE: NODE's reported state when it has reached its goal, else nothing.
hosts_node_state() {
    hosts_monitor_states 2>/dev/null | awk -v n="$1" '$1 == n && $2 == $3 { print $2 }'
}

# hosts_wait SECONDS WHAT CMD...: polls CMD every 0.2 s; dies naming WHAT after SECONDS.
hosts_wait() {
    local secs="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$what: not after ${secs}s"
        sleep 0.2
    done
}

hosts_pg_is() { [[ "$(hosts_pg_role "$1")" == "$2" ]]; }
hosts_state_is() { [[ "$(hosts_node_state "$1")" == "$2" ]]; }

# hosts_wait_standby NODE PRIMARY: waits until NODE is a secondary. pg_autoctl clones a new
# standby with pg_basebackup, whose checkpoint is a spread one (minutes on an idle primary):
# a CHECKPOINT on PRIMARY every 2 s finishes it at once.
hosts_wait_standby() {
    local node="$1" primary="$2" deadline=$((SECONDS + HOSTS_WAIT)) poke=0
    until hosts_state_is "$node" secondary; do
        ((SECONDS < deadline)) || die "$node a synchronous standby: not after ${HOSTS_WAIT}s"
        if ((SECONDS >= poke)); then
            hosts_psql "$primary" -d postgres -c CHECKPOINT >/dev/null 2>&1 || true
            poke=$((SECONDS + 2))
        fi
        sleep 0.2
    done
}

# Monitor settings (issue 14: writes again within 5 s of losing the primary).
# pg_auto_failover's defaults take 30-60 s to fail over (a node is unhealthy after 20 s
# without news, a primary may drain for 30 s). Here:
#  - the monitor's health check (a connection to each node's PostgreSQL) runs every
#    0.25 s, gives a try 1 s to answer and calls a node bad after two failed tries 0.25 s
#    apart: 0.5-0.75 s after a host dies (it was 1.0-1.5 s with 0.5 s for both);
#  - a bad node is unhealthy once its keeper has also not reported for 0.5 s (the
#    monitor promotes only then). A keeper reports every second (pg_autoctl's fixed loop),
#    so a live keeper is half the time "silent" this long: what stops a false failover is
#    mostly the two failed connections, and a false one costs seconds of service, never
#    data (the old primary is demoted, replication was synchronous). At 1 s, the failover
#    waited for the standby keeper's next report whenever the bad mark came first, up to
#    1.5 s after the kill in all;
#  - the standby is promoted 1 s after the old primary was told to demote, whether or not
#    it confirmed. That wait is what lets an async primary's last writes reach the standby;
#    here replication is synchronous, so every acknowledged commit is on the standby
#    already, and a cut-off old primary can commit nothing more (its commits wait for the
#    standby, which has stopped replicating); its keeper also demotes it after the
#    keepers' network_partition_timeout (2 s, hosts_pg_keeper_conf) without the monitor
#    or the standby. Shortening it gains nothing: the standby's keeper sleeps a fixed 1 s
#    after promoting PostgreSQL (then CHECKPOINTs) before reporting stop_replication, so
#    this timeout has always run out by then. That second is the largest fixed part of a
#    failover left, and no setting shortens it.
HOSTS_MONITOR_GUCS=(
    "pgautofailover.health_check_period=250"
    "pgautofailover.health_check_timeout=1000"
    "pgautofailover.health_check_max_retries=1"
    "pgautofailover.health_check_retry_delay=250"
    "pgautofailover.node_considered_unhealthy_timeout=500"
    "pgautofailover.primary_demote_timeout=1000"
)

hosts_monitor_up() {
    hosts_pg_dirs monitor
    say "creating the pg_auto_failover monitor ($(hosts_ip monitor))"
    hosts_as_pg monitor pg_autoctl create monitor --pgdata "$HOSTS_PG/monitor/data" \
        --pgport "$HOSTS_PG_PORT" --hostname "$(hosts_ip monitor)" --auth trust --no-ssl \
        >>"$ABC_LOG/monitor-create.log" 2>&1 || {
        abc_tail_log monitor-create
        die "pg_autoctl create monitor failed"
    }
    local g
    for g in "${HOSTS_MONITOR_GUCS[@]}"; do
        printf '%s = %s\n' "${g%%=*}" "${g#*=}"
    done | setpriv --reuid=postgres --regid=postgres --init-groups \
        tee -a "$HOSTS_PG/monitor/data/postgresql.conf" >/dev/null
    hosts_spawn_pg monitor-pg monitor pg_autoctl run --pgdata "$HOSTS_PG/monitor/data"
    hosts_wait "$HOSTS_WAIT" "the monitor answering" hosts_psql monitor -d pg_auto_failover -c 'SELECT 1'
}

# hosts_pg_initdb NODE: the first data node's cluster, made here rather than by pg_autoctl
# so that WAL archiving is on from the start (a standby gets this configuration with its
# pg_basebackup, and archives once promoted).
hosts_pg_initdb() {
    local node="$1" data="$HOSTS_PG/$1/data"
    mkdir -p "$HOSTS_ARCHIVE"
    chown postgres:postgres "$HOSTS_ARCHIVE"
    chmod 0700 "$HOSTS_ARCHIVE"
    hosts_as_pg "$node" "$ABC_PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust \
        --auth-host=reject --encoding=UTF8 --locale=C.UTF-8 >>"$ABC_LOG/$node-initdb.log" 2>&1 ||
        die "initdb of $node failed (log: $ABC_LOG/$node-initdb.log)"
    setpriv --reuid=postgres --regid=postgres --init-groups tee -a "$data/postgresql.conf" >/dev/null <<EOF

# --- abc hosts bed (deploy/hosts/lib.sh) ---
max_connections = 60
shared_buffers = 64MB
# WAL archive: one folder every node writes to (on real hosts: the backup host's storage).
# A file is never overwritten (a node that archives again after a failover sees it there).
archive_mode = on
archive_command = 'test ! -f $HOSTS_ARCHIVE/%f && cp %p $HOSTS_ARCHIVE/%f'
archive_timeout = 60
EOF
    # abc-worker logs in with a password (scram) from anywhere in the bed's network;
    # pg_autoctl adds its own rules for replication and the monitor.
    setpriv --reuid=postgres --regid=postgres --init-groups tee -a "$data/pg_hba.conf" >/dev/null <<EOF
host    abc     abc     $HOSTS_NET.0/24     scram-sha-256
EOF
}

# hosts_pg_node_up NODE: registers NODE with the monitor and runs its keeper. The first
# node becomes the primary; the next clones it (pg_basebackup) and becomes its synchronous
# standby (replication quorum: a commit waits for it).
hosts_pg_node_up() {
    local node="$1"
    hosts_pg_dirs "$node"
    [[ "$node" != db1 ]] || hosts_pg_initdb db1
    say "starting PostgreSQL node $node ($(hosts_ip "$node")) under pg_auto_failover"
    hosts_spawn_pg "$node-pg" "$node" pg_autoctl create postgres \
        --pgdata "$HOSTS_PG/$node/data" --pgport "$HOSTS_PG_PORT" --name "$node" \
        --hostname "$(hosts_ip "$node")" --listen "$(hosts_ip "$node")" \
        --monitor "$HOSTS_MONITOR_URI" --auth trust --no-ssl --dbname abc \
        --replication-quorum true --candidate-priority 50 --run
}

# hosts_pg_keeper_conf NODE: keeper timeouts to match the monitor's (see HOSTS_MONITOR_GUCS).
# Each `config set` makes the running keeper reload and write its pg_autoctl.cfg again; a
# `config set` that reads the file in that moment finds it incomplete ("Failed to find
# section pg_autoctl", seen once in ./deploy/test). So each key is tried until it reads
# back, for up to 5 s.
hosts_pg_keeper_conf() {
    local node="$1" kv key val i
    for kv in timeout.network_partition_timeout=2 timeout.prepare_promotion_walreceiver=1; do
        key="${kv%%=*}" val="${kv#*=}"
        for ((i = 0; ; i++)); do
            hosts_as_pg "$node" pg_autoctl config set --pgdata "$HOSTS_PG/$node/data" \
                "$key" "$val" >/dev/null 2>&1 &&
                [[ "$(hosts_as_pg "$node" pg_autoctl config get --pgdata "$HOSTS_PG/$node/data" \
                    "$key" 2>/dev/null)" == "$val" ]] && break
            ((i < 25)) || die "pg_autoctl config set $key $val failed on $node for 5 s"
            sleep 0.2
        done
    done
}

# hosts_running NAME HOST: NAME's recorded process runs, in HOST's namespace. A pid file
# alone is not enough after a host was killed: its pid may have been reused meanwhile (on a
# busy machine the pid space wraps within minutes), which once kept a dead keeper from
# being started again.
hosts_running() {
    local pid
    pid="$(abc_pid "$1")" || return 1
    ip netns pids "$(hosts_ns "$2")" 2>/dev/null | grep -qx "$pid"
}

# hosts_pg_restart NODE: a node whose host came back: its keeper again (pg_autoctl asks the
# monitor, which makes it a standby of the current primary; pg_rewind when needed).
hosts_pg_restart() {
    local node="$1"
    hosts_running "$node-pg" "$node" && return 0
    rm -f "$HOSTS_PG/$node/data/postmaster.pid"
    hosts_spawn_pg "$node-pg" "$node" pg_autoctl run --pgdata "$HOSTS_PG/$node/data"
}

# hosts_primary: the data node PostgreSQL says is primary (empty if none).
hosts_primary() {
    local n
    for n in db1 db2; do
        [[ "$(hosts_pg_role "$n")" != primary ]] || {
            echo "$n"
            return 0
        }
    done
    return 1
}

# hosts_db_conninfo NODE: what NODE's abc-worker is given: both data nodes, the writable one
# chosen, its own host's first. libpq tries the hosts in order, and a host that died without
# a word costs each connection attempt connect_timeout (2 s, libpq's least) before the next:
# the worker that takes over after a host's death is the one on the surviving host, so with
# its own first it never waits on the dead one (listed second, db2's worker once waited 2 s
# on dead db1 for its pool and 2 s more for a request, 9.6 s in all). A refused or read-only
# first host costs a millisecond.
hosts_db_conninfo() {
    local other
    other=$([[ "$1" == db1 ]] && echo db2 || echo db1)
    printf 'host=%s,%s port=%s,%s dbname=abc user=abc passfile=%s target_session_attrs=read-write connect_timeout=2' \
        "$(hosts_ip "$1")" "$(hosts_ip "$other")" "$HOSTS_PG_PORT" "$HOSTS_PG_PORT" \
        "$HOSTS_STATE/secrets/pgpass"
}

# ---------------------------------------------------------------------------------------
# Certificates, secrets and configuration files

hosts_secret() {
    [[ -s "$1" ]] || (umask 077 && openssl rand -hex "$2" >"$1") || die "could not write $1"
    chmod 0600 "$1"
}

hosts_prepare_state() {
    mkdir -p "$ABC_RUN" "$ABC_LOG" "$HOSTS_STATE/btc" "$HOSTS_STATE/secrets" \
        "$HOSTS_STATE/nginx/tmp"
    chmod 0700 "$HOSTS_STATE/secrets"
    # One worker certificate names both workers' addresses (abc-web checks the one it dials).
    ABC_WORKER_SAN="IP:$(hosts_ip db1),IP:$(hosts_ip db2)" bash "$ABC_ROOT/deploy/certs.sh" "$ABC_CERTS" fe1 fe2 \
        >>"$ABC_LOG/certs.log" || die "could not make certificates in $ABC_CERTS"
    hosts_secret "$ABC_SECRET" 24
    hosts_secret "$HOSTS_STATE/secrets/csrf_secret" 32
    hosts_secret "$HOSTS_STATE/secrets/kdf_salt_secret" 32
    hosts_secret "$HOSTS_STATE/secrets/pg_password" 24
    (umask 077 && printf '*:*:abc:abc:%s\n' "$(cat "$HOSTS_STATE/secrets/pg_password")" \
        >"$HOSTS_STATE/secrets/pgpass")
    hosts_write_configs
    hosts_render_edge
}

# The ABC_* settings given to `up` that tests need (kdf cost, short slots, ...): written
# into every config file, so a process started later (db2's worker) runs alike.
HOSTS_STICKY=(kdf_n allow_short_slots min_confirmations follow_ms register_max_per_addr
    register_max login_max_failures trusted_proxies admin_addrs hash_threads hash_queue
    hash_deadline_ms)

hosts_sticky() {
    local key var
    for key in "${HOSTS_STICKY[@]}"; do
        var="ABC_${key^^}"
        [[ -z "${!var:-}" ]] || printf '%s = %s\n' "$key" "${!var}"
    done
}

hosts_write_configs() {
    local n
    for n in db1 db2; do
        cat >"$HOSTS_STATE/worker-$n.conf" <<EOF
# abc-worker on $n, written by deploy/hosts (ABC_<KEY> in the environment overrides a key).
# Both workers are configured alike: whichever holds the advisory lock on the writable
# node is active and listens on its own address; the other waits (active_lock).
log_level = info
active_lock = yes
listen = $(hosts_ip "$n"):$HOSTS_LINK_PORT
tls_ca = $ABC_CERTS/ca.crt
tls_cert = $ABC_CERTS/worker.crt
tls_key = $ABC_CERTS/worker.key
link_clients = fe1, fe2
db = $(hosts_db_conninfo "$n") application_name=abc-worker-$n
sql_dir = $ABC_ROOT/sql
bitcoind_url = http://$(hosts_ip btc):$HOSTS_SIM_PORT/wallet/abc
bitcoind_user = abc
bitcoind_password_file = $ABC_SECRET
kdf_salt_secret_file = $HOSTS_STATE/secrets/kdf_salt_secret
$(hosts_sticky)
EOF
    done
    for n in fe1 fe2; do
        cat >"$HOSTS_STATE/$n.conf" <<EOF
# abc-web on $n, written by deploy/hosts. Its certificate's CN ($n) names it to abc-worker.
log_level = info
fcgi_socket = $(hosts_ip "$n"):$HOSTS_FCGI_PORT
worker = $(hosts_ip db1):$HOSTS_LINK_PORT, $(hosts_ip db2):$HOSTS_LINK_PORT
tls_ca = $ABC_CERTS/ca.crt
tls_cert = $ABC_CERTS/$n.crt
tls_key = $ABC_CERTS/$n.key
templates_dir = $ABC_ROOT/templates
threads = 8
request_timeout_ms = 3000
csrf_secret_file = $HOSTS_STATE/secrets/csrf_secret
$(hosts_sticky)
EOF
    done
}

hosts_render_edge() {
    local state root
    state="$(abc_sed_escape "$HOSTS_STATE")"
    root="$(abc_sed_escape "$ABC_ROOT")"
    sed -e "s|@STATE@|$state|g" -e "s|@ROOT@|$root|g" -e "s|@EDGE@|$(hosts_ip edge)|g" \
        -e "s|@FE1@|$(hosts_ip fe1):$HOSTS_FCGI_PORT|g" -e "s|@FE2@|$(hosts_ip fe2):$HOSTS_FCGI_PORT|g" \
        "$ABC_ROOT/deploy/hosts/edge.conf.in" >"$HOSTS_STATE/nginx/nginx.conf"
}

# ---------------------------------------------------------------------------------------
# abc processes

hosts_tcp_open() { abc_tcp_open "$1" "$2"; }

hosts_start_btc() {
    local sim="$ABC_BUILD/deploy/bitcoind-sim/abc-bitcoind-sim"
    abc_need_bin "$sim"
    # Not loopback, but the btc namespace, which only the bed reaches.
    abc_spawn btc-sim ip netns exec "$(hosts_ns btc)" "$sim" --allow-nonloopback \
        --listen "$(hosts_ip btc):$HOSTS_SIM_PORT" --datadir "$HOSTS_STATE/btc" \
        --rpcuser abc --rpcpassword-file "$ABC_SECRET"
    abc_wait_ready btc-sim hosts_tcp_open "$(hosts_ip btc)" "$HOSTS_SIM_PORT"
}

# hosts_migrate NODE: abc-worker --migrate from NODE (against the primary).
hosts_migrate() {
    local worker="$ABC_BUILD/worker/abc-worker"
    abc_need_bin "$worker"
    hosts_exec "$1" "$worker" -c "$HOSTS_STATE/worker-$1.conf" --migrate \
        >>"$ABC_LOG/migrate.log" 2>&1 || {
        abc_tail_log migrate
        die "abc-worker --migrate failed (log: $ABC_LOG/migrate.log)"
    }
}

# hosts_start_worker NODE: abc-worker on NODE under its restart loop. It becomes active
# when it gets the lock (then it listens), else it stays a standby; this does not wait.
hosts_start_worker() {
    local n="$1" worker="$ABC_BUILD/worker/abc-worker"
    abc_need_bin "$worker"
    hosts_running "$n-worker" "$n" && return 0
    abc_spawn "$n-worker" ip netns exec "$(hosts_ns "$n")" \
        "$ABC_ROOT/deploy/hosts/supervise" "$worker" -c "$HOSTS_STATE/worker-$n.conf"
}

# hosts_worker_active NODE: NODE's abc-worker listens for links (it holds the lock).
hosts_worker_active() { hosts_tcp_open "$(hosts_ip "$1")" "$HOSTS_LINK_PORT"; }

hosts_start_web() {
    local n="$1" web="$ABC_BUILD/web/abc-web"
    abc_need_bin "$web"
    abc_pid "$n-web" >/dev/null && return 0
    abc_spawn "$n-web" ip netns exec "$(hosts_ns "$n")" "$web" -c "$HOSTS_STATE/$n.conf"
    abc_wait_ready "$n-web" hosts_tcp_open "$(hosts_ip "$n")" "$HOSTS_FCGI_PORT"
}

hosts_edge_answers() { curl -s -o /dev/null --max-time 2 "$HOSTS_EDGE_URL/static/abc.css"; }

hosts_start_edge() {
    abc_pid edge-nginx >/dev/null && return 0
    hosts_exec edge nginx -t -q -p "$HOSTS_STATE/nginx" -c "$HOSTS_STATE/nginx/nginx.conf" \
        -e "$ABC_LOG/edge-error.log" || die "edge nginx config test failed"
    abc_spawn edge-nginx ip netns exec "$(hosts_ns edge)" nginx -p "$HOSTS_STATE/nginx" \
        -c "$HOSTS_STATE/nginx/nginx.conf" -e "$ABC_LOG/edge-error.log"
    abc_wait_ready edge-nginx hosts_edge_answers
}

# hosts_takeover NODE: wait until PostgreSQL on NODE is the primary and NODE's abc-worker
# (started if it is not running) is active. Nothing to do by hand since the standby worker
# exists; kept to watch a failover happen.
hosts_takeover() {
    local n="$1"
    hosts_wait "$HOSTS_WAIT" "$n becoming the primary" hosts_pg_is "$n" primary
    hosts_start_worker "$n"
    hosts_wait "$HOSTS_WAIT" "$n's abc-worker active" hosts_worker_active "$n"
}

hosts_up() {
    hosts_need_netadmin
    hosts_down
    rm -rf "$HOSTS_STATE/log" "$HOSTS_STATE/run"
    ABC_PACKAGES+=(postgresql-15-auto-failover iproute2 util-linux)
    abc_ensure_packages
    [[ -x "$ABC_BUILD/worker/abc-worker" && -x "$ABC_BUILD/web/abc-web" &&
        -x "$ABC_BUILD/deploy/bitcoind-sim/abc-bitcoind-sim" ]] || abc_build "$ABC_BUILD"
    hosts_prepare_state
    mkdir -p "$HOSTS_PG"
    chown postgres:postgres "$HOSTS_PG"
    chmod 0711 "$HOSTS_PG"
    say "network 10.77.$HOSTS_ID.0/24 on bridge $HOSTS_BR"
    hosts_net_up
    hosts_start_btc
    hosts_monitor_up
    hosts_pg_node_up db1
    hosts_wait "$HOSTS_WAIT" "db1 running as a single node" hosts_state_is db1 single
    hosts_pg_keeper_conf db1
    hosts_psql db1 -d postgres -c "CREATE ROLE abc LOGIN PASSWORD '$(cat "$HOSTS_STATE/secrets/pg_password")'" \
        -c "ALTER DATABASE abc OWNER TO abc" -c "ALTER SCHEMA public OWNER TO abc" >/dev/null
    hosts_psql db1 -d abc -c "ALTER SCHEMA public OWNER TO abc" >/dev/null
    hosts_pg_node_up db2
    hosts_wait_standby db2 db1
    hosts_wait "$HOSTS_WAIT" "db1 the primary" hosts_state_is db1 primary
    hosts_pg_keeper_conf db2
    hosts_migrate db1
    hosts_start_worker db1
    hosts_wait "$HOSTS_WAIT" "db1's abc-worker active" hosts_worker_active db1
    # The standby worker from the start: it waits for the lock (log: event=standby).
    hosts_start_worker db2
    hosts_wait "$HOSTS_WAIT" "db2's abc-worker waiting as the standby" \
        grep -q 'event=standby' "$ABC_LOG/db2-worker.log"
    hosts_start_web fe1
    hosts_start_web fe2
    hosts_start_edge
}

hosts_status() {
    local h p pid
    say "bed state $HOSTS_STATE, network $HOSTS_NET.0/24 (bridge $HOSTS_BR), edge $HOSTS_EDGE_URL/"
    for h in "${HOSTS[@]}"; do
        if ip netns list 2>/dev/null | grep -qw "$(hosts_ns "$h")"; then
            printf '  %-8s %-13s up\n' "$h" "$(hosts_ip "$h")"
        else
            printf '  %-8s %-13s no namespace\n' "$h" "$(hosts_ip "$h")"
        fi
    done
    for p in btc-sim monitor-pg db1-pg db2-pg db1-worker db2-worker fe1-web fe2-web edge-nginx; do
        if pid="$(abc_pid "$p")"; then
            printf '  %-11s running (pid %s)\n' "$p" "$pid"
        else
            printf '  %-11s stopped\n' "$p"
        fi
    done
    for h in db1 db2; do
        printf '  postgres on %s: %s\n' "$h" "$(hosts_pg_role "$h")"
    done
    if [[ -S "$HOSTS_PG/monitor/sock/.s.PGSQL.$HOSTS_PG_PORT" ]]; then
        echo "  pg_auto_failover (node reported goal):"
        hosts_monitor_states 2>/dev/null | sed 's/^/    /' || true
    fi
}
