# shellcheck shell=bash
# Shared functions of the local stack: sourced by deploy/run, deploy/test and tests/it/*.
#
# Layout of a state folder ($ABC_STATE):
#   certs/    CA + TLS certificates (deploy/certs.sh)   secrets/  bitcoind_password, csrf_secret
#   run/      pid files, FastCGI sockets                log/      one log per process
#   nginx/    rendered nginx.conf + temp dirs           btc/      bitcoind stand-in data
#   worker.conf web1.conf web2.conf                     pgdir     path of the PostgreSQL dir
# PostgreSQL lives in /var/tmp/abc-pg-<cksum of the state path> (owned by postgres, 0700),
# because the state folder may sit somewhere the postgres user cannot enter.

ABC_ROOT="${ABC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
ABC_PG_BIN="${ABC_PG_BIN:-/usr/lib/postgresql/15/bin}"
ABC_PACKAGES=(build-essential autoconf automake libtool pkg-config libfcgi-dev libjson-c-dev
    libcunit1-dev libcurl4-openssl-dev libssl-dev libpq-dev libqrencode-dev nginx
    postgresql-15 clang curl openssl python3)
# Processes of the stack, in start order (stop runs in reverse).
ABC_PROCS=(bitcoind-sim worker web1 web2 nginx)
ABC_START_TIMEOUT="${ABC_START_TIMEOUT:-30}"

say() { printf 'abc: %s\n' "$*"; }
warn() { printf 'abc: %s\n' "$*" >&2; }
die() {
    printf 'abc: ERROR: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------
# Paths and ports

# abc_hash STRING: a stable unsigned number (POSIX cksum) of STRING.
abc_hash() { printf '%s' "$1" | cksum | cut -d' ' -f1; }

# abc_base_port ABS_PATH: P in 20000..59997, so P, P+1 (and P+2 for deploy/test's nginx)
# all stay within 20000-59999.
abc_base_port() { echo $((20000 + $(abc_hash "$1") % 39998)); }

# abc_env: sets every path and port from ABC_STATE_DIR / ABC_HTTP_PORT (defaults
# <tree>/var and 8080). Does not create anything.
abc_env() {
    local state="${ABC_STATE_DIR:-$ABC_ROOT/var}"
    mkdir -p "$state"
    ABC_STATE="$(cd "$state" && pwd -P)"
    ABC_PORT="${ABC_HTTP_PORT:-8080}"
    ABC_BUILD="${ABC_BUILD:-$ABC_ROOT/build}"
    ABC_LINK_PORT="$(abc_base_port "$ABC_STATE")"
    ABC_SIM_PORT=$((ABC_LINK_PORT + 1))
    ABC_PGDIR="/var/tmp/abc-pg-$(abc_hash "$ABC_STATE")"
    ABC_PGDATA="$ABC_PGDIR/data"
    ABC_RUN="$ABC_STATE/run"
    ABC_LOG="$ABC_STATE/log"
    ABC_CERTS="$ABC_STATE/certs"
    ABC_SECRET="$ABC_STATE/secrets/bitcoind_password"
    case "$ABC_PORT" in
    '' | *[!0-9]*) die "ABC_HTTP_PORT must be a port number, not '$ABC_PORT'" ;;
    esac
}

# ---------------------------------------------------------------------------------------
# Debian packages and the build

abc_ensure_packages() {
    local p status missing=()
    for p in "${ABC_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing missing Debian packages: ${missing[*]}"
    ((EUID == 0)) || die "need root to install packages (run as root, or install: ${missing[*]})"
    # Keep the packages' own services (the default nginx on :80, the default PostgreSQL
    # cluster) from starting: the stack runs its own instances.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made_policy=1
    fi
    local rc=0
    apt-get update -q || rc=$?
    if ((rc == 0)); then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" || rc=$?
    fi
    ((made_policy)) && rm -f "$policy"
    ((rc == 0)) || die "apt-get failed (exit $rc) while installing: ${missing[*]}"
}

# abc_build [BUILD_DIR [configure args...]]: autoreconf when needed, VPATH configure when
# needed, make -j2. Default: <tree>/build with --enable-werror.
abc_build() {
    local dir="${1:-$ABC_ROOT/build}"
    shift || true
    local args=("$@")
    ((${#args[@]})) || args=(--enable-werror)
    [[ -f "$ABC_ROOT/configure.ac" ]] || die "no configure.ac in $ABC_ROOT"
    if [[ ! -x "$ABC_ROOT/configure" || "$ABC_ROOT/configure.ac" -nt "$ABC_ROOT/configure" ]]; then
        say "autoreconf -fi in $ABC_ROOT"
        mkdir -p "$ABC_ROOT/m4" # ACLOCAL_AMFLAGS = -I m4; git keeps no empty folder
        (cd "$ABC_ROOT" && autoreconf -fi) || die "autoreconf failed"
    fi
    mkdir -p "$dir"
    # Reconfigure when never configured, when configure changed, or when the arguments differ
    # (config.status --config prints the arguments it was made with).
    local have=""
    [[ -x "$dir/config.status" ]] && have="$("$dir/config.status" --config 2>/dev/null || true)"
    if [[ ! -f "$dir/Makefile" || ! -f "$dir/config.status" ||
        "$ABC_ROOT/configure" -nt "$dir/config.status" || "$have" != "${args[*]}" ]]; then
        say "configuring $dir: ../configure ${args[*]}"
        (cd "$dir" && "$ABC_ROOT/configure" "${args[@]}") || die "configure failed in $dir (see $dir/config.log)"
    fi
    say "make -j2 in $dir"
    make -C "$dir" -j2 || die "build failed in $dir"
}

# ---------------------------------------------------------------------------------------
# Certificates, secrets, config files

abc_prepare_state() {
    mkdir -p "$ABC_RUN" "$ABC_LOG" "$ABC_STATE/btc" "$ABC_STATE/secrets" \
        "$ABC_STATE/nginx/tmp"
    chmod 0700 "$ABC_STATE/secrets"
    bash "$ABC_ROOT/deploy/certs.sh" "$ABC_CERTS" || die "could not make certificates in $ABC_CERTS"
    if [[ ! -s "$ABC_SECRET" ]]; then
        (umask 077 && openssl rand -hex 24 >"$ABC_SECRET") || die "could not write $ABC_SECRET"
    fi
    chmod 0600 "$ABC_SECRET"
    # The key of the CSRF tokens: both abc-web must share it (issue 10).
    if [[ ! -s "$ABC_STATE/secrets/csrf_secret" ]]; then
        (umask 077 && openssl rand -hex 32 >"$ABC_STATE/secrets/csrf_secret") ||
            die "could not write $ABC_STATE/secrets/csrf_secret"
    fi
    printf '%s\n' "$ABC_PGDIR" >"$ABC_STATE/pgdir"
    abc_write_configs
    abc_render_nginx
}

abc_write_configs() {
    cat >"$ABC_STATE/worker.conf" <<EOF
# written by deploy/run; every key can be overridden by ABC_<KEY> in the environment
log_level = info
listen = 127.0.0.1:$ABC_LINK_PORT
tls_ca = $ABC_CERTS/ca.crt
tls_cert = $ABC_CERTS/worker.crt
tls_key = $ABC_CERTS/worker.key
link_clients = web1, web2
db = host=$ABC_PGDIR dbname=abc user=abc
sql_dir = $ABC_ROOT/sql
bitcoind_url = http://127.0.0.1:$ABC_SIM_PORT/wallet/abc
bitcoind_user = abc
bitcoind_password_file = $ABC_SECRET
fault_file = $ABC_STATE/worker.faults
EOF
    local n
    for n in 1 2; do
        cat >"$ABC_STATE/web$n.conf" <<EOF
# written by deploy/run; every key can be overridden by ABC_<KEY> in the environment
log_level = info
fcgi_socket = $ABC_RUN/web$n.sock
worker = 127.0.0.1:$ABC_LINK_PORT
tls_ca = $ABC_CERTS/ca.crt
tls_cert = $ABC_CERTS/web$n.crt
tls_key = $ABC_CERTS/web$n.key
templates_dir = $ABC_ROOT/templates
threads = 8
request_timeout_ms = 3000
csrf_secret_file = $ABC_STATE/secrets/csrf_secret
fault_file = $ABC_STATE/web$n.faults
EOF
    done
    abc_sticky_settings
}

# abc_sticky_settings: settings given to ./deploy/run as ABC_<KEY> are
# remembered in $ABC_STATE/settings and written into every config file, so
# that a later `./deploy/run start` (a test restarting one process, or a
# person) keeps them.  `rm $ABC_STATE/settings` forgets them.
abc_sticky_settings() {
    local key var conf file="$ABC_STATE/settings" line
    touch "$file"
    for key in kdf_n allow_short_slots min_confirmations platform_fee_ppm \
        follow_ms session_ttl_s login_max_failures login_window_s \
        register_max_per_addr register_max register_window_s trusted_proxies admin_addrs \
        quota_addresses_per_day quota_ads quota_campaigns quota_image_bytes; do
        var="ABC_${key^^}"
        [[ -n "${!var:-}" ]] || continue
        grep -v "^$key = " "$file" >"$file.new" || true
        printf '%s = %s\n' "$key" "${!var}" >>"$file.new"
        mv "$file.new" "$file"
    done
    while IFS= read -r line; do
        for conf in "$ABC_STATE/worker.conf" "$ABC_STATE/web1.conf" "$ABC_STATE/web2.conf"; do
            printf '%s\n' "$line" >>"$conf"
        done
    done <"$file"
}

abc_sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

abc_render_nginx() {
    local state root
    state="$(abc_sed_escape "$ABC_STATE")"
    root="$(abc_sed_escape "$ABC_ROOT")"
    sed -e "s|@STATE@|$state|g" -e "s|@ROOT@|$root|g" -e "s|@HTTP_PORT@|$ABC_PORT|g" \
        "$ABC_ROOT/deploy/nginx.conf.in" >"$ABC_STATE/nginx/nginx.conf.tmp"
    mv "$ABC_STATE/nginx/nginx.conf.tmp" "$ABC_STATE/nginx/nginx.conf"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL (as the postgres user, Unix socket only, in $ABC_PGDIR)

# as_postgres CMD...: run CMD as postgres from a directory it can enter.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# abc_psql [psql args]: psql as the superuser postgres on the stack's socket (run by root,
# so psql -f can read files in a tree postgres cannot enter).
abc_psql() {
    "$ABC_PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

abc_pg_running() {
    [[ -f "$ABC_PGDATA/PG_VERSION" ]] &&
        as_postgres "$ABC_PG_BIN/pg_ctl" -D "$ABC_PGDATA" status >/dev/null 2>&1
}

abc_pg_start() {
    id postgres >/dev/null 2>&1 || die "the system user 'postgres' does not exist (apt-get install postgresql-15)"
    mkdir -p "$ABC_PGDIR"
    chown postgres:postgres "$ABC_PGDIR"
    chmod 0700 "$ABC_PGDIR"
    if [[ ! -f "$ABC_PGDATA/PG_VERSION" ]]; then
        say "creating PostgreSQL cluster in $ABC_PGDATA"
        as_postgres "$ABC_PG_BIN/initdb" -D "$ABC_PGDATA" -U postgres --auth-local=trust \
            --auth-host=reject --encoding=UTF8 --locale=C.UTF-8 >"$ABC_PGDIR/initdb.log" 2>&1 ||
            {
                tail -n 30 "$ABC_PGDIR/initdb.log" >&2
                die "initdb failed (log: $ABC_PGDIR/initdb.log)"
            }
        as_postgres tee -a "$ABC_PGDATA/postgresql.conf" >/dev/null <<EOF

# --- abc local stack (deploy/lib.sh) ---
listen_addresses = ''
unix_socket_directories = '$ABC_PGDIR'
unix_socket_permissions = 0700
max_connections = 50
shared_buffers = 64MB
EOF
    fi
    if ! abc_pg_running; then
        say "starting PostgreSQL (socket dir $ABC_PGDIR)"
        as_postgres "$ABC_PG_BIN/pg_ctl" -D "$ABC_PGDATA" -l "$ABC_PGDIR/postgres.log" \
            -w -t 60 start >/dev/null ||
            {
                tail -n 30 "$ABC_PGDIR/postgres.log" >&2
                die "PostgreSQL did not start (log: $ABC_PGDIR/postgres.log)"
            }
    fi
    if [[ "$(abc_psql -At -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'abc'")" != 1 ]]; then
        say "creating role abc"
        abc_psql -d postgres -c "CREATE ROLE abc LOGIN" || die "could not create role abc"
    fi
    if [[ "$(abc_psql -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'abc'")" != 1 ]]; then
        say "creating database abc"
        abc_psql -d postgres -c "CREATE DATABASE abc OWNER abc" || die "could not create database abc"
    fi
}

abc_pg_stop() {
    if abc_pg_running; then
        say "stopping PostgreSQL"
        as_postgres "$ABC_PG_BIN/pg_ctl" -D "$ABC_PGDATA" -m fast -w -t 60 stop >/dev/null ||
            warn "pg_ctl stop failed (data dir $ABC_PGDATA)"
    fi
}

# ---------------------------------------------------------------------------------------
# Processes: pid files in $ABC_RUN, logs in $ABC_LOG

abc_pidfile() { echo "$ABC_RUN/$1.pid"; }

# abc_alive PID: the process exists and is not a zombie (a killed process whose parent
# does not reap it, e.g. pid 1 of some containers, still answers kill -0).
abc_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]
}

# abc_pid NAME: prints the pid of NAME when it is running; fails otherwise.
abc_pid() {
    local f pid
    f="$(abc_pidfile "$1")"
    [[ -s "$f" ]] || return 1
    pid="$(tr -dc 0-9 <"$f")"
    [[ -n "$pid" ]] && abc_alive "$pid" || return 1
    echo "$pid"
}

abc_tail_log() {
    local log="$ABC_LOG/$1.log"
    if [[ -f "$log" ]]; then
        echo "---- last 30 lines of $log ----" >&2
        tail -n 30 "$log" >&2
        echo "---- end of $log ----" >&2
    else
        echo "(no log file $log)" >&2
    fi
}

abc_tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# abc_spawn NAME CMD...: CMD in its own session, in the background, output appended to
# the log, pid recorded.
abc_spawn() {
    local name="$1"
    shift
    printf '\n==== %s starting %s: %s\n' "$(date '+%F %T')" "$name" "$*" >>"$ABC_LOG/$name.log"
    # Without job control the background child is no process-group leader, so setsid
    # does not fork and $! is the pid of the process itself.
    setsid nohup "$@" >>"$ABC_LOG/$name.log" 2>&1 </dev/null &
    echo "$!" >"$(abc_pidfile "$name")"
}

# abc_wait_ready NAME CHECK...: waits until CHECK succeeds; fails (with the log) when NAME
# dies or ABC_START_TIMEOUT passes.
abc_wait_ready() {
    local name="$1"
    shift
    local deadline=$((SECONDS + ABC_START_TIMEOUT))
    while ! "$@"; do
        if ! abc_pid "$name" >/dev/null; then
            abc_tail_log "$name"
            die "$name exited while starting (log: $ABC_LOG/$name.log)"
        fi
        if ((SECONDS >= deadline)); then
            abc_tail_log "$name"
            die "$name not ready after ${ABC_START_TIMEOUT}s (log: $ABC_LOG/$name.log)"
        fi
        sleep 0.1
    done
}

abc_need_bin() { [[ -x "$1" ]] || die "missing $1 (build first: ./deploy/run builds it)"; }

abc_port_free() {
    if abc_tcp_open 127.0.0.1 "$1"; then
        die "port 127.0.0.1:$1 (for $2) is already in use by another program"
    fi
}

abc_http_answers() {
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$ABC_PORT/static/abc.css"
}

abc_start_one() {
    local name="$1" pid
    if pid="$(abc_pid "$name")"; then
        say "$name already running (pid $pid)"
        return 0
    fi
    rm -f "$(abc_pidfile "$name")"
    local sim="$ABC_BUILD/tests/sim/abc-bitcoind-sim"
    local worker="$ABC_BUILD/worker/abc-worker" web="$ABC_BUILD/web/abc-web"
    case "$name" in
    bitcoind-sim)
        abc_need_bin "$sim"
        abc_port_free "$ABC_SIM_PORT" "$name"
        abc_spawn "$name" "$sim" --listen "127.0.0.1:$ABC_SIM_PORT" --datadir "$ABC_STATE/btc" \
            --rpcuser abc --rpcpassword "$(cat "$ABC_SECRET")"
        abc_wait_ready "$name" abc_tcp_open 127.0.0.1 "$ABC_SIM_PORT"
        ;;
    worker)
        abc_need_bin "$worker"
        abc_port_free "$ABC_LINK_PORT" "$name"
        abc_spawn "$name" "$worker" -c "$ABC_STATE/worker.conf"
        abc_wait_ready "$name" abc_tcp_open 127.0.0.1 "$ABC_LINK_PORT"
        ;;
    web1 | web2)
        abc_need_bin "$web"
        rm -f "$ABC_RUN/$name.sock" # stale socket of a killed abc-web
        abc_spawn "$name" "$web" -c "$ABC_STATE/$name.conf"
        abc_wait_ready "$name" test -S "$ABC_RUN/$name.sock"
        ;;
    nginx)
        abc_port_free "$ABC_PORT" "$name"
        printf '\n==== %s starting nginx\n' "$(date '+%F %T')" >>"$ABC_LOG/nginx.log"
        # nginx daemonizes itself and writes $ABC_RUN/nginx.pid.
        nginx -p "$ABC_STATE/nginx" -c "$ABC_STATE/nginx/nginx.conf" \
            -e "$ABC_LOG/nginx-error.log" >>"$ABC_LOG/nginx.log" 2>&1 ||
            {
                abc_tail_log nginx-error
                die "nginx did not start (config $ABC_STATE/nginx/nginx.conf)"
            }
        local deadline=$((SECONDS + 5))
        until abc_pid nginx >/dev/null; do
            ((SECONDS < deadline)) || die "nginx wrote no pid file $(abc_pidfile nginx)"
            sleep 0.1
        done
        abc_wait_ready "$name" abc_http_answers
        ;;
    *) die "unknown process $name" ;;
    esac
    say "$name running (pid $(abc_pid "$name" || echo '?'))"
}

# abc_migrate: build/worker/abc-worker --migrate (idempotent).
abc_migrate() {
    local worker="$ABC_BUILD/worker/abc-worker"
    abc_need_bin "$worker"
    say "applying migrations (abc-worker --migrate)"
    printf '\n==== %s abc-worker --migrate\n' "$(date '+%F %T')" >>"$ABC_LOG/migrate.log"
    "$worker" -c "$ABC_STATE/worker.conf" --migrate >>"$ABC_LOG/migrate.log" 2>&1 ||
        {
            abc_tail_log migrate
            die "abc-worker --migrate failed (log: $ABC_LOG/migrate.log)"
        }
}

# abc_start_stack: everything that is not running yet (reuses certs, cluster, secrets).
abc_start_stack() {
    abc_prepare_state
    nginx -t -q -p "$ABC_STATE/nginx" -c "$ABC_STATE/nginx/nginx.conf" \
        -e "$ABC_LOG/nginx-error.log" || die "nginx config test failed: $ABC_STATE/nginx/nginx.conf"
    abc_pg_start
    abc_migrate
    local p
    for p in "${ABC_PROCS[@]}"; do
        abc_start_one "$p"
    done
}

# abc_stop_one NAME: SIGTERM, up to 10 s, then SIGKILL (its whole process group).
abc_stop_one() {
    local name="$1" pid i
    if ! pid="$(abc_pid "$name")"; then
        rm -f "$(abc_pidfile "$name")"
        return 0
    fi
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        abc_alive "$pid" || break
        sleep 0.1
    done
    if abc_alive "$pid"; then
        warn "$name (pid $pid) still running after 10 s: SIGKILL"
        # Each process was started as the leader of its own group (setsid; nginx too).
        if [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]]; then
            kill -KILL -- "-$pid" 2>/dev/null || true
        else
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$(abc_pidfile "$name")"
    [[ "$name" != web* ]] || rm -f "$ABC_RUN/$name.sock"
}

abc_stop_stack() {
    local i
    for ((i = ${#ABC_PROCS[@]} - 1; i >= 0; i--)); do
        abc_stop_one "${ABC_PROCS[i]}"
    done
    if [[ -s "$ABC_STATE/pgdir" ]]; then
        ABC_PGDIR="$(cat "$ABC_STATE/pgdir")"
        ABC_PGDATA="$ABC_PGDIR/data"
    fi
    abc_pg_stop
}

abc_status() {
    local p pid
    for p in "${ABC_PROCS[@]}"; do
        if pid="$(abc_pid "$p")"; then
            printf '  %-13s running (pid %s)\n' "$p" "$pid"
        else
            printf '  %-13s stopped\n' "$p"
        fi
    done
    if abc_pg_running; then
        printf '  %-13s running (socket dir %s)\n' postgresql "$ABC_PGDIR"
    else
        printf '  %-13s stopped\n' postgresql
    fi
}
