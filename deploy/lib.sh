# shellcheck shell=bash
# Shared functions of the local stack: sourced by deploy/run, deploy/sim and deploy/test,
# and by tests (tests/it, tests/bench), which use deploy's scripts. The dependency runs one
# way: nothing here needs a file of tests/ (the bitcoind stand-in lives in
# deploy/bitcoind-sim/, as it ships with the local stack).
#
# The processes of the stack are one table (abc_proc_table); PostgreSQL is started apart.
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
    postgresql-15 clang curl openssl python3 iproute2)
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

# abc_base_port ABS_PATH: P in 20000..32765, so P, P+1 (and P+2 for deploy/test's nginx)
# all stay within 20000-32767: below Linux's ephemeral ports (32768-60999 by default),
# which any outgoing connection may hold as its local port (a deploy/test nginx once
# failed to bind its port, held by a benchmark's client).
abc_base_port() { echo $((20000 + $(abc_hash "$1") % 12766)); }

# abc_ports_free P: 0 when no TCP socket has P, P+1 or P+2 as its local port.
abc_ports_free() {
    local used
    used="$(ss -Htan "( sport >= :$1 and sport <= :$(($1 + 2)) )")" || return 1
    [[ -z "$used" ]]
}

# abc_test_state NAME: a new throw-away state folder (mktemp -d NAME.XXXXXX under TMPDIR or
# /tmp, mode 0755) whose ports no other stack uses; prints its physical path.
abc_test_state() {
    local state real i
    command -v ss >/dev/null || die "ss (package iproute2) is needed to find free ports"
    for ((i = 0; i < 20; i++)); do
        state="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")" || return 1
        real="$(cd "$state" && pwd -P)"
        if abc_ports_free "$(abc_base_port "$real")"; then
            chmod 0755 "$real"
            echo "$real"
            return 0
        fi
        rmdir "$state"
    done
    warn "no state folder with free ports after 20 tries"
    return 1
}

# abc_env: sets every path and port from ABC_STATE_DIR / ABC_HTTP_PORT (defaults
# <tree>/var and 8080), and the process table. Creates only the state folder.
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
    abc_proc_table
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
    # The key of the salts shown for names without an account (issue 14).
    if [[ ! -s "$ABC_STATE/secrets/kdf_salt_secret" ]]; then
        (umask 077 && openssl rand -hex 32 >"$ABC_STATE/secrets/kdf_salt_secret") ||
            die "could not write $ABC_STATE/secrets/kdf_salt_secret"
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
kdf_salt_secret_file = $ABC_STATE/secrets/kdf_salt_secret
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
        quota_addresses_per_day quota_ads quota_campaigns quota_image_bytes \
        hash_threads hash_queue hash_deadline_ms; do
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
# The process table: every process of the stack but PostgreSQL, one row each, in start
# order (stop runs in reverse). One generic start, stop, wait-ready and status serve them
# all; a new process is a new row (and, when it needs one, a config written above).
#
# PostgreSQL is no row, for what pg_ctl does that the rows do not: it runs as the postgres
# user, keeps its own pid file (postmaster.pid in the data dir) and waits for readiness
# itself (pg_ctl -w); its first start runs initdb and creates the role and the database;
# the migrations must run between it and the rows; it stops in pg_ctl's fast mode after
# every row. abc_pg_start / abc_pg_stop above are its start and stop.

# Filled by abc_env (abc_proc_table): names in start order, and the columns by name.
ABC_PROCS=()
declare -gA ABC_PROC_BIN=() ABC_PROC_CONF=() ABC_PROC_PIDFILE=() ABC_PROC_LOGFILE=() \
    ABC_PROC_READY=() ABC_PROC_ARGS=() ABC_PROC_SOCKETS=()

# abc_proc_table: the table, from the paths and ports abc_env set. Columns: the binary; its
# config file, pid file and log file (relative to the state folder; config - for none); when
# it is ready: tcp:PORT (127.0.0.1:PORT accepts), unix:PATH (the socket exists),
# http:PORT/PATH (nginx answers GET http://127.0.0.1:PORT/PATH). A TCP port must be free
# before the start. Its Unix sockets (the unix: one, and those of abc_proc_sockets) are
# removed before it starts, since a killed process leaves them and a bind to them fails,
# and after it stopped.
abc_proc_table() {
    local b="$ABC_BUILD"
    ABC_PROCS=()
    #        name         binary                                    config           pid file             log file             ready when
    abc_proc bitcoind-sim "$b/deploy/bitcoind-sim/abc-bitcoind-sim" -                run/bitcoind-sim.pid log/bitcoind-sim.log "tcp:$ABC_SIM_PORT"
    abc_proc worker       "$b/worker/abc-worker"                    worker.conf      run/worker.pid       log/worker.log       "tcp:$ABC_LINK_PORT"
    abc_proc web1         "$b/web/abc-web"                          web1.conf        run/web1.pid         log/web1.log         unix:run/web1.sock
    abc_proc web2         "$b/web/abc-web"                          web2.conf        run/web2.pid         log/web2.log         unix:run/web2.sock
    abc_proc nginx        nginx                                     nginx/nginx.conf run/nginx.pid        log/nginx-error.log  "http:$ABC_PORT/static/abc.css"
    # Their arguments; @CONF@ is the config file. The stand-in reads its password from the
    # file (not in ps); nginx runs in the foreground (daemon off in nginx.conf.in) so that
    # it is started, watched and stopped like the others.
    abc_proc_args bitcoind-sim --listen "127.0.0.1:$ABC_SIM_PORT" --datadir "$ABC_STATE/btc" \
        --rpcuser abc --rpcpassword-file "$ABC_SECRET"
    abc_proc_args worker -c @CONF@
    abc_proc_args web1 -c @CONF@
    abc_proc_args web2 -c @CONF@
    abc_proc_args nginx -p "$ABC_STATE/nginx" -c @CONF@ -e "$ABC_LOG/nginx-error.log"
    # Its sockets to one abc-web each, for tests (nginx.conf.in).
    abc_proc_sockets nginx run/http-web1.sock run/http-web2.sock
}

# abc_proc NAME BINARY CONFIG PIDFILE LOGFILE READY: one row (paths relative to the state).
abc_proc() {
    local name="$1" ready="$6"
    if [[ "$ready" == unix:* && "$ready" != unix:/* ]]; then
        ready="unix:$ABC_STATE/${ready#unix:}"
    fi
    ABC_PROCS+=("$name")
    ABC_PROC_BIN[$name]="$2"
    ABC_PROC_CONF[$name]="-"
    [[ "$3" == - ]] || ABC_PROC_CONF[$name]="$ABC_STATE/$3"
    ABC_PROC_PIDFILE[$name]="$ABC_STATE/$4"
    ABC_PROC_LOGFILE[$name]="$ABC_STATE/$5"
    ABC_PROC_READY[$name]="$ready"
    ABC_PROC_ARGS[$name]=""
    ABC_PROC_SOCKETS[$name]=""
    [[ "$ready" != unix:* ]] || ABC_PROC_SOCKETS[$name]="${ready#unix:}"
}

# abc_proc_sockets NAME PATH...: more Unix sockets NAME makes (relative to the state).
abc_proc_sockets() {
    local name="$1" f
    shift
    for f in "$@"; do
        ABC_PROC_SOCKETS[$name]+="${ABC_PROC_SOCKETS[$name]:+$'\x1f'}$ABC_STATE/$f"
    done
}

# abc_proc_args NAME ARG...: NAME's arguments, kept joined by US (0x1f), which no path or
# option holds, so that spaces in paths survive without eval.
abc_proc_args() {
    local name="$1"
    shift
    local IFS=$'\x1f'
    ABC_PROC_ARGS[$name]="$*"
}

abc_proc_known() { [[ -n "${ABC_PROC_BIN[$1]:-}" ]]; }

# abc_proc_argv NAME: NAME's command line into the array ABC_ARGV (@CONF@ replaced).
abc_proc_argv() {
    local name="$1" conf="${ABC_PROC_CONF[$1]}" a
    local -a args=()
    [[ -z "${ABC_PROC_ARGS[$name]}" ]] || IFS=$'\x1f' read -r -a args <<<"${ABC_PROC_ARGS[$name]}"
    ABC_ARGV=("${ABC_PROC_BIN[$name]}")
    for a in "${args[@]}"; do
        ABC_ARGV+=("${a//@CONF@/"$conf"}")
    done
}

# abc_pidfile NAME / abc_logfile NAME: from the table; other names (migrate) by the rule.
abc_pidfile() { echo "${ABC_PROC_PIDFILE[$1]:-$ABC_RUN/$1.pid}"; }
abc_logfile() { echo "${ABC_PROC_LOGFILE[$1]:-$ABC_LOG/$1.log}"; }

# abc_proc_where NAME: where NAME answers, for people.
abc_proc_where() {
    local r="${ABC_PROC_READY[$1]}"
    case "$r" in
    tcp:*) echo "127.0.0.1:${r#tcp:}" ;;
    unix:*) echo "${r#unix:}" ;;
    http:*)
        r="${r#http:}"
        echo "http://127.0.0.1:${r%%/*}/"
        ;;
    esac
}

# abc_ready_check NAME: NAME's "ready when" holds now.
abc_ready_check() {
    local r="${ABC_PROC_READY[$1]}"
    case "$r" in
    tcp:*) abc_tcp_open 127.0.0.1 "${r#tcp:}" ;;
    unix:*) [[ -S "${r#unix:}" ]] ;;
    http:*) curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${r#http:}" ;;
    *) die "$1: unknown readiness check '$r'" ;;
    esac
}

# abc_proc_claim NAME: before NAME starts. Its TCP port must be free (another program there
# would pass the readiness check); the Unix sockets a killed run left behind are removed.
abc_proc_claim() {
    local r="${ABC_PROC_READY[$1]}" port
    case "$r" in
    tcp:* | http:*)
        port="${r#*:}"
        abc_port_free "${port%%/*}" "$1"
        ;;
    esac
    abc_proc_release "$1"
}

# abc_proc_release NAME: removes NAME's Unix sockets (it is not running).
abc_proc_release() {
    local -a socks=()
    [[ -z "${ABC_PROC_SOCKETS[$1]:-}" ]] || IFS=$'\x1f' read -r -a socks <<<"${ABC_PROC_SOCKETS[$1]}"
    ((${#socks[@]} == 0)) || rm -f "${socks[@]}"
}

# ---------------------------------------------------------------------------------------
# Processes: start, wait, stop, status (generic over the table)

# abc_alive PID: the process exists and is not a zombie (a killed process whose parent
# does not reap it, e.g. pid 1 of some containers, still answers kill -0).
# The state is read from /proc/PID/stat (the field after the command's closing parenthesis):
# `ps -o stat=` printed nothing, now and then, for a SIGKILLed abc-web whose threads were
# still exiting, which read as "alive" and made `start` answer "already running" for a
# process about to vanish (the chaos nemesis's kill_web, 5 times in 20 tries).
abc_alive() {
    local st
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    st="${st##*) }"
    [[ -n "$st" && "${st:0:1}" != [ZX] ]]
}

# abc_pid NAME: prints the pid of NAME when it is running; fails otherwise.
abc_pid() {
    local f pid
    f="$(abc_pidfile "$1")"
    [[ -s "$f" ]] || return 1
    pid="$(tr -dc 0-9 <"$f")"
    [[ -n "$pid" ]] && abc_alive "$pid" || return 1
    # The pid may be another process's by now: pids wrap (pid_max 32768 here; a busy test
    # run forks that many in under a minute), and a thread id is a pid too. A start seeing
    # such a stranger answered "already running" and left abc-worker down for good (a CI
    # run's t_170). The start time recorded by abc_spawn tells them apart (unless the pid
    # file is newer: written by an older deploy/lib.sh, which knew no start times).
    if [[ -e "$f.start" && ! "$f" -nt "$f.start" ]]; then
        [[ "$(abc_start_time "$pid")" == "$(cat "$f.start")" ]] || return 1
    fi
    echo "$pid"
}

# abc_start_time PID: when PID started (clock ticks since boot, /proc/PID/stat field 22);
# fails when PID is gone or is a thread of another process.
abc_start_time() {
    local st
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    grep -q "^Tgid:[[:space:]]*$1\$" "/proc/$1/status" 2>/dev/null || return 1
    st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    st="${st##*) }"
    # shellcheck disable=SC2086 # split into fields on purpose
    set -- $st
    echo "${20}"
}

# abc_pidfile_rm NAME: forgets NAME's pid and start time.
abc_pidfile_rm() { rm -f "$(abc_pidfile "$1")" "$(abc_pidfile "$1").start"; }

abc_tail_log() {
    local log
    log="$(abc_logfile "$1")"
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
# NAME's log, pid recorded in NAME's pid file.
abc_spawn() {
    local name="$1" log
    shift
    log="$(abc_logfile "$name")"
    printf '\n==== %s starting %s: %s\n' "$(date '+%F %T')" "$name" "$*" >>"$log"
    # Without job control the background child is no process-group leader, so setsid
    # does not fork and $! is the pid of the process itself.
    setsid nohup "$@" >>"$log" 2>&1 </dev/null &
    echo "$!" >"$(abc_pidfile "$name")"
    # Empty when it is gone already: abc_pid then never takes the pid for it.
    abc_start_time "$!" >"$(abc_pidfile "$name").start" || true
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
            die "$name exited while starting (log: $(abc_logfile "$name"))"
        fi
        if ((SECONDS >= deadline)); then
            abc_tail_log "$name"
            die "$name not ready after ${ABC_START_TIMEOUT}s (log: $(abc_logfile "$name"))"
        fi
        sleep 0.1
    done
}

# abc_need_bin PATH_OR_NAME: a path must be executable; a bare name must be on PATH.
abc_need_bin() {
    if [[ "$1" == */* ]]; then
        [[ -x "$1" ]] || die "missing $1 (build first: ./deploy/run builds it)"
    else
        command -v "$1" >/dev/null || die "missing $1 on PATH (./deploy/run installs it)"
    fi
}

abc_port_free() {
    if abc_tcp_open 127.0.0.1 "$1"; then
        die "port 127.0.0.1:$1 (for $2) is already in use by another program"
    fi
}

# abc_reap_group NAME: when NAME's recorded pid is dead, kills what is left of the process
# group it led (setsid made it the leader): nginx's workers outlive a master killed with
# SIGKILL and keep its port. Safe: a group id is not reused while a member lives, so every
# member is a child of that run.
abc_reap_group() {
    local f pid left
    f="$(abc_pidfile "$1")"
    [[ -s "$f" ]] || return 0
    pid="$(tr -dc 0-9 <"$f")"
    [[ -n "$pid" ]] && ! abc_alive "$pid" || return 0
    left="$(pgrep -g "$pid" | tr '\n' ' ')" || return 0
    warn "$1 (pid $pid) died and left pids ${left% } of its group: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        pgrep -g "$pid" >/dev/null || return 0
        sleep 0.1
    done
    warn "pids of $1's old group $pid still there: $(pgrep -g "$pid" | tr '\n' ' ')"
}

# abc_start_one NAME: starts the table's row NAME unless it runs, and waits until it is
# ready.
abc_start_one() {
    local name="$1" pid conf
    abc_proc_known "$name" || die "unknown process $name (the table has: ${ABC_PROCS[*]})"
    if pid="$(abc_pid "$name")"; then
        say "$name already running (pid $pid)"
        return 0
    fi
    abc_reap_group "$name"
    abc_pidfile_rm "$name"
    abc_need_bin "${ABC_PROC_BIN[$name]}"
    conf="${ABC_PROC_CONF[$name]}"
    [[ "$conf" == - || -f "$conf" ]] || die "missing $conf for $name (./deploy/run writes it)"
    abc_proc_claim "$name"
    abc_proc_argv "$name"
    abc_spawn "$name" "${ABC_ARGV[@]}"
    abc_wait_ready "$name" abc_ready_check "$name"
    say "$name running (pid $(abc_pid "$name" || echo '?'), $(abc_proc_where "$name"))"
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
        abc_reap_group "$name"
        abc_pidfile_rm "$name"
        abc_proc_release "$name"
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
        # Each process was started as the leader of its own group (setsid).
        if [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]]; then
            kill -KILL -- "-$pid" 2>/dev/null || true
        else
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    abc_pidfile_rm "$name"
    abc_proc_release "$name"
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

# abc_status: one line per row (pid, where it answers, or why to look at its log), then
# PostgreSQL.
abc_status() {
    local p pid
    for p in "${ABC_PROCS[@]}"; do
        if ! pid="$(abc_pid "$p")"; then
            printf '  %-13s %-19s (log %s)\n' "$p" stopped "$(abc_logfile "$p")"
        elif abc_ready_check "$p"; then
            printf '  %-13s %-19s %s\n' "$p" "running (pid $pid)" "$(abc_proc_where "$p")"
        else
            printf '  %-13s %-19s NOT answering on %s (log %s)\n' "$p" "running (pid $pid)" \
                "$(abc_proc_where "$p")" "$(abc_logfile "$p")"
        fi
    done
    if abc_pg_running; then
        printf '  %-13s %-19s socket dir %s\n' postgresql running "$ABC_PGDIR"
    else
        printf '  %-13s %-19s (log %s)\n' postgresql stopped "$ABC_PGDIR/postgres.log"
    fi
}
