#!/usr/bin/env bash
# tests/bench/run.sh: benchmarks of the running local stack (./deploy/run), each next to a
# baseline measured in the same run, printed as one table.  Not a pass/fail test: it exits
# 0 unless a tool fails to run (a missed target is shown in the table, not in the status).
#
#   ABC_STATE_DIR (default <tree>/var), ABC_HTTP_PORT (default 8080): the stack to measure.
#   BENCH_QUICK=1: shorter runs (smoke test of the script, numbers less stable).
#   BENCH_CALLGRIND=0: without row p's callgrind pass.
#
# Starts private processes of its own (a tlsecho server, two private nginx, two fcgistatic,
# a fresh abc-web that never links, httpbench/abc-linkc clients), on 127.0.0.1 and in a
# mktemp -d directory, killed by pid on exit; creates and drops the scratch database
# "bench" in the stack's PostgreSQL cluster.  Rows d2, d3, s, e and p add users, sessions,
# deposits, ads, campaigns and purchases named "bench..." to the stack's database abc that
# stay there (the ledger is append-only).  Row r SIGSTOPs and SIGKILLs the stack's
# abc-worker and restarts it with deploy/run start; row p stops it, runs the same binary
# under valgrind for a burst and restarts it.  Measure a private stack (see README.md).
# Needs root (pgbench as postgres, nginx, apt-get for wrk), valgrind for row p.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ABC_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
# shellcheck source=../../deploy/lib.sh
. "$ABC_ROOT/deploy/lib.sh"
abc_env

QUICK="${BENCH_QUICK:-0}"
if ((QUICK)); then
    N_TPUT=20000 RATE=10000 N_LAT=20000 WRK_SECS=3 PGB_SECS=3 PGB_SCALE=2 N_DUR=5000 N_BUY=2000
    N_D3=1000 N_STALE=30
else
    N_TPUT=100000 RATE=10000 N_LAT=100000 WRK_SECS=10 PGB_SECS=10 PGB_SCALE=10 N_DUR=20000 N_BUY=10000
    N_D3=5000 N_STALE=200
fi
E_CAMPS=10000 # row e: campaigns each abc-web caches (one entry each)
R_N=1000      # row r: requests in flight when abc-worker is killed
ECHO_SIZE=100
# abc-linkc --size 100 sends the frame 40-byte header + {"op":"echo","data":"x*100"} = 163
# bytes (the reply is 161); tlsecho sends a 4-byte length + payload, so payload 159 makes the
# same 163 bytes per message on the TLS connection.
TLSECHO_SIZE=$((40 + 23 + ECHO_SIZE - 4))

LINKC="$ABC_BUILD/tests/it/abc-linkc"
TLSECHO="$ABC_BUILD/tests/bench/tlsecho"
HTTPBENCH="$ABC_BUILD/tests/bench/httpbench"
FCGISTATIC="$ABC_BUILD/tests/bench/fcgistatic"
PG_BIN="$ABC_PG_BIN"
CA="$ABC_CERTS/ca.crt"

TMP="$(mktemp -d /tmp/abc-bench.XXXXXX)"
PRIVATE_PIDS=()
BENCH_DB_MADE=0
FAILED=0
CMDS=()

cleanup() {
    local pid
    # Row r stops abc-worker before it kills it: never leave it stopped.
    [[ -n "${R_STOPPED:-}" ]] && kill -CONT "$R_STOPPED" 2>/dev/null || true
    for pid in "${PRIVATE_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -s "$TMP/nginx/nginx.pid" ]]; then
        pid="$(tr -dc 0-9 <"$TMP/nginx/nginx.pid")"
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    fi
    if ((BENCH_DB_MADE)); then
        as_postgres "$PG_BIN/dropdb" -h "$ABC_PGDIR" -U postgres --if-exists bench \
            >/dev/null 2>&1 || warn "could not drop the scratch database bench"
    fi
    sleep 0.2
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { printf 'bench: %s\n' "$*" >&2; }

# run_cmd LOG CMD...: records CMD for the listing, runs it with output to LOG (stdout) and
# LOG.err; fails when CMD fails.
run_cmd() {
    local log="$1" shown
    shift
    shown="$*"
    shown="${shown/#as_postgres /(cd \/ \&\& runuser -u postgres -- }"
    [[ "$shown" == "$*" ]] || shown="$shown)"
    CMDS+=("$shown")
    if [[ -n "${CPU_OUT:-}" && -x /usr/bin/time ]]; then
        /usr/bin/time -f '%U %S' -o "$CPU_OUT" "$@" >"$log" 2>"$log.err"
    else
        "$@" >"$log" 2>"$log.err"
    fi
}

# field LINE NAME: the value of NAME=value in LINE.
field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<" $1"; }

# ratio A B: A/B with 2 decimals, or "-".
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

# meets EXPR: "met" or "MISSED" for an awk condition.
meets() { awk "BEGIN { print (($1) ? \"met\" : \"MISSED\") }"; }

pick_port() {
    local p="$1"
    while abc_tcp_open 127.0.0.1 "$p"; do
        p=$((p + 1))
    done
    echo "$p"
}

failed() {
    note "FAILED: $*"
    FAILED=1
}

# ---------------------------------------------------------------------------------------
# Preconditions

for p in worker web1 web2 nginx; do
    abc_pid "$p" >/dev/null || die "$p of the stack in $ABC_STATE is not running (start it: ./deploy/run)"
done
abc_need_bin "$LINKC"
[[ -x "$PG_BIN/pgbench" ]] || die "missing $PG_BIN/pgbench (postgresql-15)"
LINK_ADDR="$(sed -n 's/^listen[[:space:]]*=[[:space:]]*//p' "$ABC_STATE/worker.conf")"
[[ -n "$LINK_ADDR" ]] || LINK_ADDR="127.0.0.1:$ABC_LINK_PORT"

if ! command -v wrk >/dev/null; then
    note "installing wrk (apt-get -y install wrk)"
    DEBIAN_FRONTEND=noninteractive apt-get -y -q install wrk >"$TMP/apt.log" 2>&1 ||
        {
            tail -n 20 "$TMP/apt.log" >&2
            die "could not install wrk"
        }
fi

# tlsecho: rebuilt when missing or older than its sources.
if [[ ! -x "$TLSECHO" || "$BENCH_DIR/tlsecho.c" -nt "$TLSECHO" ||
    "$ABC_ROOT/common/tls.c" -nt "$TLSECHO" || "$ABC_ROOT/common/xmalloc.c" -nt "$TLSECHO" ]]; then
    note "building $TLSECHO"
    mkdir -p "$(dirname "$TLSECHO")"
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -iquote "$ABC_ROOT/common" \
        "$BENCH_DIR/tlsecho.c" "$ABC_ROOT/common/tls.c" "$ABC_ROOT/common/buf.c" "$ABC_ROOT/common/xmalloc.c" \
        $(pkg-config --cflags --libs openssl) -pthread -o "$TLSECHO" ||
        die "could not build tlsecho"
fi

# httpbench (rows d3, s, e) and fcgistatic (row c3's baseline): rebuilt the same way.
if [[ ! -x "$HTTPBENCH" || "$BENCH_DIR/httpbench.c" -nt "$HTTPBENCH" ]]; then
    note "building $HTTPBENCH"
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra "$BENCH_DIR/httpbench.c" \
        $(pkg-config --cflags --libs libcurl libpq) -pthread -o "$HTTPBENCH" ||
        die "could not build httpbench (libcurl4-openssl-dev, libpq-dev)"
fi
if [[ ! -x "$FCGISTATIC" || "$BENCH_DIR/fcgistatic.c" -nt "$FCGISTATIC" ]]; then
    note "building $FCGISTATIC"
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra "$BENCH_DIR/fcgistatic.c" -lfcgi -pthread \
        -o "$FCGISTATIC" || die "could not build fcgistatic (libfcgi-dev)"
fi

PORT0=$((ABC_LINK_PORT + 3)) # P, P+1, P+2 belong to the stack and deploy/test
ECHO_PORT="$(pick_port "$PORT0")"
STATIC_PORT="$(pick_port $((ECHO_PORT + 1)))"

T0=$SECONDS
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"

# mem NAME: VmRSS / VmHWM of a process of the stack, in MiB.
mem() {
    local pid
    pid="$(abc_pid "$1")" || {
        echo "- (not running)"
        return
    }
    awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%.1f / %.1f", r/1024, h/1024}' "/proc/$pid/status"
}
# rss NAME: VmRSS of a process of the stack in MiB, or "-".
rss() {
    local pid
    pid="$(abc_pid "$1")" || {
        echo -
        return
    }
    awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"
}
# cache_entries N: what abc-web N says its cache holds ("N entries, B bytes"): on
# /status/detail (admin_addrs only, 127.0.0.1 by default) or, before issue 10, /status.
cache_entries() {
    local p out
    for p in /status/detail /status; do
        out="$(curl -s --max-time 5 --unix-socket "$ABC_STATE/run/http-web$1.sock" "http://localhost$p" |
            grep -o '[0-9]* entries, [0-9]* bytes' || true)"
        [[ -n "$out" ]] && break
    done
    echo "${out%%$'\n'*}"
}
# Row e, idle: the stack's abc-web before this script sends them anything (what they kept
# from earlier use: RSS does not shrink when a cache empties), and a fresh abc-web of the
# same binary and config that never served a request, as the idle figure.  It gets its own
# FastCGI socket and a link address nobody listens on, so the stack's worker never sees it.
E_STACK_IDLE="web1 $(rss web1) MiB, web2 $(rss web2) MiB; caches: web1 $(cache_entries 1); web2 $(cache_entries 2)"
E_IDLE=-
if [[ -x "$ABC_BUILD/web/abc-web" ]]; then
    NOBODY_PORT="$(pick_port $((ABC_LINK_PORT + 40)))"
    sed -e "s|^fcgi_socket *=.*|fcgi_socket = $TMP/web-idle.sock|" -e "s|^worker *=.*|worker = 127.0.0.1:$NOBODY_PORT|" \
        "$ABC_STATE/web1.conf" >"$TMP/web-idle.conf"
    "$ABC_BUILD/web/abc-web" -c "$TMP/web-idle.conf" >"$TMP/web-idle.log" 2>&1 &
    IDLE_PID=$!
    PRIVATE_PIDS+=("$IDLE_PID")
    CMDS+=("$ABC_BUILD/web/abc-web -c $TMP/web-idle.conf &   # web1.conf, fcgi_socket $TMP/web-idle.sock, worker 127.0.0.1:$NOBODY_PORT (closed)")
    for _ in $(seq 100); do
        [[ -S "$TMP/web-idle.sock" ]] && break
        sleep 0.05
    done
    sleep 1
    E_IDLE="$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$IDLE_PID/status" 2>/dev/null || echo -)"
    kill "$IDLE_PID" 2>/dev/null || true
fi
note "stack $ABC_STATE: link $LINK_ADDR, http 127.0.0.1:$ABC_PORT; private ports $ECHO_PORT (tlsecho) $STATIC_PORT (static nginx)"

# ---------------------------------------------------------------------------------------
# a + b: link echo vs plain TLS echo

"$TLSECHO" server --listen "127.0.0.1:$ECHO_PORT" --ca "$CA" --cert "$ABC_CERTS/worker.crt" \
    --key "$ABC_CERTS/worker.key" >"$TMP/tlsecho-server.log" 2>&1 &
ECHO_PID=$!
PRIVATE_PIDS+=("$ECHO_PID")
CMDS+=("$TLSECHO server --listen 127.0.0.1:$ECHO_PORT --ca $CA --cert $ABC_CERTS/worker.crt --key $ABC_CERTS/worker.key &")
for _ in $(seq 50); do
    abc_tcp_open 127.0.0.1 "$ECHO_PORT" && break
    sleep 0.1
done
abc_tcp_open 127.0.0.1 "$ECHO_PORT" || die "tlsecho server did not start: $(cat "$TMP/tlsecho-server.log")"

LC=(timeout 120 "$LINKC" -w "$LINK_ADDR" --ca "$CA" --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key")
TE=(timeout 120 "$TLSECHO" client -w "127.0.0.1:$ECHO_PORT" --ca "$CA" --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key")

# one_echo VAR NAME CMD...: runs a client, sets VAR to its summary line (last line).
one_echo() {
    local var="$1" name="$2" rc=0
    shift 2
    CPU_OUT="$TMP/$name.cpu" run_cmd "$TMP/$name.out" "$@" || rc=$?
    ((rc == 0)) || failed "$name: $* (exit $rc): $(tail -q -n 3 "$TMP/$name.out" "$TMP/$name.out.err" 2>/dev/null | tr '\n' ' ')"
    printf -v "$var" '%s' "$(tail -n 1 "$TMP/$name.out" 2>/dev/null)"
}

# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# us_per_req TICKS N: CPU microseconds per request.
us_per_req() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'; }
WORKER_PID="$(abc_pid worker)"

note "a: echo throughput (8 threads, max rate)"
c0="$(cpu_ticks "$WORKER_PID")"
one_echo A_LINK a-link "${LC[@]}" -c 1 -t 8 -n "$N_TPUT" --op echo --size "$ECHO_SIZE"
A_WCPU="$(us_per_req $(($(cpu_ticks "$WORKER_PID") - c0)) "$N_TPUT")"
c0="$(cpu_ticks "$ECHO_PID")"
one_echo A_TLS a-tls "${TE[@]}" -t 8 -n "$N_TPUT" --size "$TLSECHO_SIZE"
A_ECPU="$(us_per_req $(($(cpu_ticks "$ECHO_PID") - c0)) "$N_TPUT")"
note "b: echo latency at $RATE req/s offered"
one_echo B_LINK b-link "${LC[@]}" -c 1 -t 8 -n "$N_LAT" -r "$RATE" --op echo --size "$ECHO_SIZE"
one_echo B_TLS b-tls "${TE[@]}" -t 8 -n "$N_LAT" -r "$RATE" --size "$TLSECHO_SIZE"
ECHO_RSS="$(awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%.1f / %.1f", r/1024, h/1024}' "/proc/$ECHO_PID/status")"
kill "$ECHO_PID" 2>/dev/null || true

# ---------------------------------------------------------------------------------------
# c: GET / through nginx -> abc-web vs nginx serving the same bytes as a static file

mkdir -p "$TMP/www" "$TMP/nginx/tmp"
PAGE_URL="http://127.0.0.1:$ABC_PORT/"
PAGE_STATUS="$(curl -s --max-time 5 -D "$TMP/page.hdr" -o "$TMP/www/index.html" -w '%{http_code}' "$PAGE_URL" || true)"
[[ "$PAGE_STATUS" == 200 ]] || failed "GET $PAGE_URL answered $PAGE_STATUS"

# The page's own headers (CSP etc.) are repeated by the static server so that both
# responses are the same size on the wire.
# headers_conf HDR OUT: add_header lines in OUT repeating the headers in HDR (curl -D).
headers_conf() {
    local line name value
    : >"$2"
    tr -d '\r' <"$1" | sed 1d | while IFS= read -r line; do
        name="${line%%:*}"
        value="${line#*: }"
        [[ -n "$line" && "$line" == *:* ]] || continue
        case "${name,,}" in
        server | date | content-length | content-type | connection | transfer-encoding | etag | last-modified) continue ;;
        esac
        [[ "$value" == *'$'* || "$name" == *[!A-Za-z0-9-]* ]] && continue
        value="${value//\\/\\\\}"
        printf '        add_header %s "%s" always;\n' "$name" "${value//\"/\\\"}" >>"$2"
    done
}
headers_conf "$TMP/page.hdr" "$TMP/headers.conf"

WORKERS="$(sed -n 's/^[[:space:]]*worker_processes[[:space:]]*\([^;]*\);.*/\1/p' "$ABC_STATE/nginx/nginx.conf" | head -n 1)"
WORKERS="${WORKERS:-2}"
cat >"$TMP/nginx/nginx.conf" <<EOF
# private static nginx of tests/bench/run.sh, modelled on $ABC_STATE/nginx/nginx.conf
user root;
worker_processes $WORKERS;
daemon on;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events {
    worker_connections 1024;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $TMP/nginx/access.log;
    client_body_temp_path $TMP/nginx/tmp/client_body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30s;
    server_tokens off;
    etag off;
    max_ranges 0;
    server {
        listen 127.0.0.1:$STATIC_PORT;
        location = / {
            root $TMP/www;
            default_type "text/html; charset=utf-8";
            try_files /index.html =404;
$(cat "$TMP/headers.conf")
        }
    }
}
EOF
STATIC_OK=0
if run_cmd "$TMP/nginx-start.out" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"; then
    for _ in $(seq 50); do
        [[ -s "$TMP/nginx/nginx.pid" ]] && abc_tcp_open 127.0.0.1 "$STATIC_PORT" && break
        sleep 0.1
    done
    STATIC_BYTES="$(curl -s --max-time 5 -o /dev/null -w '%{size_download}/%{size_header}' "http://127.0.0.1:$STATIC_PORT/" || true)"
    DYN_BYTES="$(curl -s --max-time 5 -o /dev/null -w '%{size_download}/%{size_header}' "$PAGE_URL" || true)"
    STATIC_OK=1
else
    failed "static nginx did not start: $(cat "$TMP/nginx-start.out" "$TMP/nginx-start.out.err" "$TMP/nginx/error.log" 2>/dev/null | tail -n 5)"
fi

# one_wrk NAME URL [WRK ARGS...]: runs wrk; wrk_summary NAME prints "rps p50_ms p99_ms
# non2xx errors".
one_wrk() {
    local name="$1" url="$2"
    shift 2
    run_cmd "$TMP/$name.out" timeout $((WRK_SECS + 30)) wrk -t 2 -c 32 -d "${WRK_SECS}s" --latency "$@" "$url" ||
        failed "wrk $url: $(tail -n 3 "$TMP/$name.out.err")"
}
wrk_summary() {
    [[ -s "$TMP/$1.out" ]] || {
        echo "- - - - -"
        return
    }
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^Requests\/sec:/ { rps = $2 }
        /^[[:space:]]+50%/ { p50 = ms($2) }
        /^[[:space:]]+99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { non2 = $NF }
        /Socket errors:/ { err = $0; sub(/.*Socket errors: */, "", err); gsub(/ /, "", err) }
        END { printf "%s %.2f %.2f %s %s\n", rps, p50, p99, (non2 == "" ? 0 : non2), (err == "" ? "none" : err) }
    ' "$TMP/$1.out"
}

note "c: wrk GET / (dynamic via abc-web, then static) ${WRK_SECS}s each"
one_wrk c-dyn "$PAGE_URL"
read -r C_DYN C_DYN50 C_DYN99 C_DYN_NON2 C_DYN_ERR <<<"$(wrk_summary c-dyn)"
if ((STATIC_OK)); then
    one_wrk c-static "http://127.0.0.1:$STATIC_PORT/"
    read -r C_ST C_ST50 C_ST99 C_ST_NON2 C_ST_ERR <<<"$(wrk_summary c-static)"
else
    C_ST=- C_ST50=- C_ST99=- C_ST_NON2=- C_ST_ERR=-
fi
if [[ -s "$TMP/nginx/nginx.pid" ]]; then
    STATIC_PID="$(tr -dc 0-9 <"$TMP/nginx/nginx.pid")"
    CMDS+=("kill $STATIC_PID   # the static nginx")
    kill "$STATIC_PID" 2>/dev/null || true
fi

# ---------------------------------------------------------------------------------------
# d: durable requests (counter_add, group commit) vs pgbench TPC-B-like on the same cluster

note "d: pgbench -i -s $PGB_SCALE (scratch database bench)"
PGB=(as_postgres "$PG_BIN/pgbench" -h "$ABC_PGDIR" -U postgres)
as_postgres "$PG_BIN/dropdb" -h "$ABC_PGDIR" -U postgres --if-exists bench >/dev/null 2>&1 || true
D_OK=1
if run_cmd "$TMP/createdb.out" as_postgres "$PG_BIN/createdb" -h "$ABC_PGDIR" -U postgres bench; then
    BENCH_DB_MADE=1
    run_cmd "$TMP/pgbench-init.out" "${PGB[@]}" -i -s "$PGB_SCALE" -q bench ||
        {
            failed "pgbench -i: $(tail -n 3 "$TMP/pgbench-init.out.err")"
            D_OK=0
        }
else
    failed "createdb bench: $(cat "$TMP/createdb.out.err")"
    D_OK=0
fi
checkpoint() { as_postgres "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -d postgres -c CHECKPOINT >/dev/null 2>&1 || true; }
# abc_sql SQL: one value from the database abc, or "?".
abc_sql() { as_postgres "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -At -d abc -c "$1" 2>/dev/null || echo '?'; }

# d2 setup, in one SQL transaction: BUY_BUYERS buyers, each with a session (user_sessions
# keeps the SHA-256 of the token, as abc-worker's login does), a deposit-kind transfer of
# BUY_FUND sat (as tests/it/market_lib.sh's fund) and one 1x1 PNG ad; a seller per buyer;
# BUY_LANES campaigns of 1x1, min_price 1000 sat, 1 hour slots, lane k bought by buyer
# k mod BUY_BUYERS from that buyer's seller.  Prints one "TOKEN CAMPAIGN AD" line per lane
# (abc-linkc --buy-file).  A slot bought right after the one before costs about twice as
# much, so abc-linkc buys at most BUY_SLOTS per campaign (about 20 on average here, the
# 20th at about 1000 x 2^19 sat = 5 BTC, a 25th at 168 BTC): far below the price cap and
# the buyers' funds.
# The tables a purchase reads, analyzed after each setup and after the warm-up.
ANALYZE_TABLES="users, user_sessions, ledger_accounts, ledger_transfers, ads, images, campaigns,
    slots, account_events, request_log"
BUY_BUYERS=64 # = the callers of row d2: 4 clients x 16 threads, like row d
BUY_SLOTS=25
BUY_PER_BUYER=$(((N_BUY + 20 * BUY_BUYERS - 1) / (20 * BUY_BUYERS))) # campaigns a buyer buys on
BUY_LANES=$((BUY_PER_BUYER * BUY_BUYERS))
BUY_FUND=10000000000000 # 100 000 BTC a buyer
BUY_TAG="$(date +%s)$$"
BUY_PNG=89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082
# buy_setup NAME TAG BUYERS LANES OUT: the setup above with tag TAG, BUYERS buyers and LANES
# campaigns; the lanes in OUT.  0, or 1 (reported) when it failed.
buy_setup() {
    local name="$1" tag="$2" buyers="$3" lanes="$4" out="$5" rc=0
    note "$name: setup: $buyers funded buyers with sessions and ads, $lanes campaigns (SQL, tag $tag)"
    run_cmd "$out" as_postgres "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -At -F " " \
        -v ON_ERROR_STOP=1 -v tag="$tag" -v buyers="$buyers" -v lanes="$lanes" \
        -v analyze_tables="$ANALYZE_TABLES" \
        -v fund="$BUY_FUND" -v png="$BUY_PNG" -d abc -f - <<'SQL' || rc=1
BEGIN;
INSERT INTO images (sha256, mime, width, height, data)
SELECT encode(sha256(d), 'hex'), 'image/png', 1, 1, d
FROM (SELECT decode(:'png', 'hex') AS d) x
ON CONFLICT (sha256) DO NOTHING;
CREATE TEMP TABLE bu ON COMMIT DROP AS
SELECT j, format('bench.%s.b%s', :'tag', j) AS bname,
    format('bench.%s.s%s', :'tag', j) AS sname,
    sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')) AS token,
    0::bigint AS buyer, 0::bigint AS seller, 0::bigint AS ad
FROM generate_series(0, :buyers - 1) j;
-- Users nobody can log in as (a random scrypt hash), each with its balance account.
INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
SELECT n, sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
    substr(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 1, 16), 131072, 8, 1
FROM bu, LATERAL (VALUES (bname), (sname)) v(n);
UPDATE bu SET buyer = (SELECT id FROM users WHERE username = bname),
    seller = (SELECT id FROM users WHERE username = sname);
INSERT INTO ledger_accounts (kind, user_id)
SELECT 'user', u FROM bu, LATERAL (VALUES (buyer), (seller)) v(u);
INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, reference)
SELECT (SELECT id FROM ledger_accounts WHERE kind = 'deposits'), a.id, :fund, 'deposit',
    'test:' || bname
FROM bu JOIN ledger_accounts a ON a.user_id = bu.buyer;
INSERT INTO user_sessions (token_hash, user_id, expires_at, client_addr)
SELECT sha256(token), buyer, now() + interval '1 day', 'bench' FROM bu;
INSERT INTO ads (user_id, nickname, hover, url, image)
SELECT buyer, 'bench', 'tests/bench/run.sh row d2', 'https://example.com/',
    encode(sha256(decode(:'png', 'hex')), 'hex')
FROM bu;
UPDATE bu SET ad = a.id FROM ads a WHERE a.user_id = bu.buyer;
CREATE TEMP TABLE bl ON COMMIT DROP AS
SELECT k, k % :buyers AS j, format('bench %s lane %s', :'tag', k) AS name
FROM generate_series(0, :lanes - 1) k;
INSERT INTO campaigns (seller_id, name, description, width, height, min_price, slot_ms)
SELECT bu.seller, bl.name, 'tests/bench/run.sh row d2', 1, 1, 1000, 3600000
FROM bl JOIN bu USING (j) ORDER BY bl.k;
SELECT encode(bu.token, 'hex'), c.id, bu.ad
FROM bl JOIN bu USING (j) JOIN campaigns c ON c.name = bl.name ORDER BY bl.k;
COMMIT;
-- Statistics for the rows just added, as a database in service has them: a stack a
-- minute old has plans cached in abc-worker's sessions from nearly empty tables
-- (sequential scans of ledger_accounts, ads and user_sessions, six a purchase, until
-- autovacuum's next ANALYZE; d2 measured 1 350-1 520 purchases/s that way against
-- 2 050-2 150 after). ANALYZE invalidates those plans.
ANALYZE :analyze_tables;
SQL
    CMDS[${#CMDS[@]} - 1]+="   # SQL: the $name setup in run.sh"
    if ((rc == 0)) && [[ "$(wc -l <"$out")" -ne "$lanes" ]]; then
        rc=1
    fi
    ((rc == 0)) || failed "$name setup: $(tail -q -n 3 "$out" "$out.err" 2>/dev/null | tr '\n' ' ')"
    return $rc
}
D2_OK=1
buy_setup d2 "$BUY_TAG" "$BUY_BUYERS" "$BUY_LANES" "$TMP/buy-lanes" || D2_OK=0
# d3: the same for the HTTP purchases: D3_THREADS clients (one buyer each), each with
# its own campaigns, at most BUY_SLOTS purchases per campaign (about 20 on average).
D3_THREADS=64
D3_LANES=$((((N_D3 + 20 * D3_THREADS - 1) / (20 * D3_THREADS)) * D3_THREADS))
D3_OK=1
buy_setup d3 "${BUY_TAG}h" "$D3_THREADS" "$D3_LANES" "$TMP/d3-lanes" || D3_OK=0
# s: one buyer, 20 purchases per campaign.
S_LANES=$(((N_STALE + 19) / 20))
S_OK=1
buy_setup s "${BUY_TAG}s" 1 "$S_LANES" "$TMP/s-lanes" || S_OK=0

# Warm-up, on a stack with fewer than WARM_MIN slots sold: N_BUY purchases on campaigns of
# their own (tag ...w), then ANALYZE. On a fresh stack, slots, request_log and
# ledger_transfers are empty and the other tables hold a few hundred rows when the setups'
# ANALYZE runs; abc-worker's sessions then cache plans that scan them sequentially, and keep
# them while the rows d2-s add thousands (a first run read 4.4 M slot and 2.8 M
# ledger_accounts rows that way: PostgreSQL 505-696 us a purchase, 342-360 in the next run
# on the same stack). pgbench's tables are built and vacuumed before it is timed; this gives
# the purchase rows a database in service too. The warm-up's purchases are not counted.
WARM_MIN=10000
WARM_NOTE="none: the stack had sold $(abc_sql "SELECT count(*) FROM slots") slots (>= $WARM_MIN)"
if [[ "$(abc_sql "SELECT count(*) < $WARM_MIN FROM slots")" == t ]] &&
    buy_setup warm-up "${BUY_TAG}w" "$BUY_BUYERS" "$BUY_LANES" "$TMP/w-lanes"; then
    note "warm-up: abc-linkc --op buy 4 x 16 threads, $N_BUY purchases (not counted), then ANALYZE"
    one_echo WARM_LINK w-link timeout 300 "${LC[@]:2}" -c 4 -t 16 -n "$N_BUY" --op buy \
        --buy-file "$TMP/w-lanes" --buy-slots "$BUY_SLOTS"
    abc_sql "ANALYZE $ANALYZE_TABLES" >/dev/null
    WARM_NOTE="$WARM_LINK; then ANALYZE"
fi

# sold_check VAR NAME TAG OKS: sets VAR to "slots sold = ok replies ...;
# check_invariants.sql: ok (...)" for the campaigns of TAG, or to a MISMATCH / FAILED text
# (reported as a failure).
sold_check() {
    local var="$1" name="$2" tag="$3" oks="$4" sold counted out
    sold="$(abc_sql "SELECT count(*) FROM slots s JOIN campaigns c ON c.id = s.campaign_id
        WHERE c.name LIKE 'bench $tag lane %'")"
    counted="$(abc_sql "SELECT sum(slots_sold) FROM campaigns WHERE name LIKE 'bench $tag lane %'")"
    if [[ -n "$oks" && "$sold" == "$oks" && "$counted" == "$oks" ]]; then
        out="slots sold $sold = ok replies $oks (campaigns' slots_sold $counted): ok"
    else
        out="slots sold $sold, campaigns' slots_sold $counted, ok replies ${oks:-?}: MISMATCH"
        failed "$name: $out"
    fi
    if run_cmd "$TMP/invariants-$name.out" "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -At \
        -v ON_ERROR_STOP=1 -d abc -f "$ABC_ROOT/sql/admin/check_invariants.sql"; then
        out+="; sql/admin/check_invariants.sql: ok ($(tr '\n' ',' <"$TMP/invariants-$name.out" | sed 's/,$//; s/,/, /g'))"
    else
        out+="; sql/admin/check_invariants.sql: FAILED ($(tail -n 2 "$TMP/invariants-$name.out.err" | tr '\n' ' '))"
        failed "$name: check_invariants.sql: $(tail -n 2 "$TMP/invariants-$name.out.err" | tr '\n' ' ')"
    fi
    printf -v "$var" '%s' "$out"
}

# CPU accounting (rows d3 and p): clock ticks (utime + stime, every thread) from /proc.
# ticks PID...: the sum over the processes that still exist.
ticks() {
    local pid sum=0 t
    for pid in "$@"; do
        t="$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)" || continue
        sum=$((sum + ${t:-0}))
    done
    echo "$sum"
}
# children PID: PID and its child processes.
children() { [[ -n "$1" ]] && { echo "$1"; ps -o pid= --ppid "$1" 2>/dev/null; } || true; }
pg_pids() { children "$(head -n 1 "$ABC_PGDATA/postmaster.pid" 2>/dev/null)"; }
nginx_pids() { children "$(abc_pid nginx || true)"; }
# The PostgreSQL backends of abc-worker's connections (user abc; this script uses postgres).
worker_backends() { abc_sql "SELECT pid FROM pg_stat_activity WHERE datname = 'abc' AND usename = 'abc'" | grep -E '^[0-9]+$' || true; }
# cpu_snap: "worker web1 web2 nginx postgres backends" ticks now (backends: those listed in
# SNAP_BACKENDS, so that both ends of a measurement count the same processes).
SNAP_BACKENDS=""
cpu_snap() {
    # shellcheck disable=SC2046
    echo "$(ticks "$(abc_pid worker || true)") $(ticks "$(abc_pid web1 || true)") \
$(ticks "$(abc_pid web2 || true)") $(ticks $(nginx_pids)) $(ticks $(pg_pids)) $(ticks $SNAP_BACKENDS)"
}
# cpu_us TICKS N: CPU microseconds per request, 1 decimal.
cpu_us() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n + 0 == 0) print "-"; else printf "%.1f", t * 1e6 / hz / n }'; }

checkpoint
PREFIX="bench-$(date +%s)-$$-"
note "d: abc-linkc --op counter_add 4 x 16 threads, $N_DUR requests"
one_echo D_LINK d-link "${LC[@]}" -c 4 -t 16 -n "$N_DUR" --op counter_add --prefix "$PREFIX"
checkpoint
D2_LINK='' D2_X0='' D2_IDEM='?' D2_END=0 D2_CHECK="not run" D2_DB="-"
if ((D2_OK)); then
    D2_X0="$(abc_sql "SELECT xact_commit FROM pg_stat_database WHERE datname = 'abc'")"
    # Each purchase looks its idempotency key up in request_log (kept 7 days): the d2
    # number depends on how many keyed rows the stack already has.
    D2_IDEM="$(abc_sql "SELECT count(*) FROM request_log WHERE idem_key IS NOT NULL")"
    note "d2: abc-linkc --op buy 4 x 16 threads, $N_BUY purchases over $BUY_LANES campaigns"
    # 300 s, not 120: purchases ran at 300-400/s when this row was added.
    SNAP_BACKENDS="$(worker_backends | tr '\n' ' ')"
    read -r P0_W _ _ _ P0_PG P0_B <<<"$(cpu_snap)"
    one_echo D2_LINK d2-link timeout 300 "${LC[@]:2}" -c 4 -t 16 -n "$N_BUY" --op buy \
        --buy-file "$TMP/buy-lanes" --buy-slots "$BUY_SLOTS"
    D2_END=$SECONDS
    read -r P1_W _ _ _ P1_PG P1_B <<<"$(cpu_snap)"
    E_WORKER_D2="$(mem worker)"
    D2_OKS="$(field "$D2_LINK" replies_ok)"
    P_WORKER="$(cpu_us $((P1_W - P0_W)) "${D2_OKS:-0}")"
    P_PG="$(cpu_us $((P1_PG - P0_PG)) "${D2_OKS:-0}")"
    # The worker's backends as listed before d2 (a backend that came and went is missed).
    P_BACK="$(cpu_us $((P1_B - P0_B)) "${D2_OKS:-0}")"
    # Every ok reply is a slot sold, and nothing else was: counted in the database.
    sold_check D2_CHECK d2 "$BUY_TAG" "$D2_OKS"
    note "d2: $D2_CHECK"
    checkpoint
fi

# ---------------------------------------------------------------------------------------
# d3: purchases end to end, POST /c/<id>/buy through nginx -> abc-web -> link -> worker

D3_LINE='' D3_CHECK="not run" D3_WHERE="-"
WEB_THREADS="$(sed -n 's/^threads[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$ABC_STATE/web1.conf" | tail -n 1)"
WEB_THREADS="${WEB_THREADS:-8}"
if ((D3_OK)); then
    checkpoint
    note "d3: httpbench buy, $D3_THREADS clients through nginx, $N_D3 purchases over $D3_LANES campaigns"
    read -r Q0_W Q0_W1 Q0_W2 Q0_N Q0_PG _ <<<"$(cpu_snap)"
    D3_RC=0
    CPU_OUT="$TMP/d3.cpu" run_cmd "$TMP/d3.out" timeout 300 "$HTTPBENCH" buy \
        --url "http://127.0.0.1:$ABC_PORT" --lanes "$TMP/d3-lanes" -t "$D3_THREADS" \
        -n "$N_D3" --slots "$BUY_SLOTS" || D3_RC=$?
    read -r Q1_W Q1_W1 Q1_W2 Q1_N Q1_PG _ <<<"$(cpu_snap)"
    D3_LINE="$(tail -n 1 "$TMP/d3.out")"
    ((D3_RC == 0)) || failed "d3: httpbench (exit $D3_RC): $(tail -q -n 3 "$TMP/d3.out" "$TMP/d3.out.err" | tr '\n' ' ')"
    D3_OKS="$(field "$D3_LINE" replies_ok)"
    sold_check D3_CHECK d3 "${BUY_TAG}h" "$D3_OKS"
    note "d3: $D3_CHECK"
    # Where the time goes: CPU per purchase of each process, against the CPU time the
    # machine had per purchase at the rate reached (nproc x wall time / purchases).
    D3_DRV="$(awk -v n="$N_D3" 'END { printf "%.1f", ($1 + $2) * 1e6 / n }' "$TMP/d3.cpu" 2>/dev/null || echo -)"
    D3_CN="$(cpu_us $((Q1_N - Q0_N)) "$N_D3")"
    D3_CW="$(cpu_us $((Q1_W1 - Q0_W1 + Q1_W2 - Q0_W2)) "$N_D3")"
    D3_CK="$(cpu_us $((Q1_W - Q0_W)) "$N_D3")"
    D3_CP="$(cpu_us $((Q1_PG - Q0_PG)) "$N_D3")"
    D3_AVAIL="$(awk -v ms="$(field "$D3_LINE" elapsed_ms)" -v n="$N_D3" -v c="$(nproc)" 'BEGIN { printf "%.1f", ms * 1000 * c / n }')"
    D3_SUM="$(awk -v a="$D3_CN" -v b="$D3_CW" -v c="$D3_CK" -v d="$D3_CP" -v e="$D3_DRV" 'BEGIN { printf "%.1f", a + b + c + d + e }')"
    D3_WHERE="CPU us per purchase: nginx $D3_CN, abc-web (both) $D3_CW, abc-worker $D3_CK, PostgreSQL (all processes) $D3_CP, the driver $D3_DRV; sum $D3_SUM of $D3_AVAIL available ($(nproc) CPUs x wall time / purchases: $(awk -v a="$D3_SUM" -v b="$D3_AVAIL" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }')% busy; the confirm pages loaded before the clock starts are counted too)"
    # Each abc-web thread waits for the worker's reply, so at most 2 x threads purchases are
    # in abc-web at once (d2: 64 callers); Little's law gives how long each held a thread.
    D3_WHERE+="; at most $((2 * WEB_THREADS)) purchases in abc-web at once (2 x threads = $WEB_THREADS): $((2 * WEB_THREADS)) / $(field "$D3_LINE" rps) per s = $(awk -v n=$((2 * WEB_THREADS)) -v r="$(field "$D3_LINE" rps)" 'BEGIN { printf "%.0f", (r > 0 ? n * 1000 / r : 0) }') ms a purchase held an abc-web thread, against d2's p50 of $(awk -v a="$(field "$D2_LINK" p50_us)" 'BEGIN { printf "%.0f", a / 1000 }') ms with 64 callers on the link"
    note "d3: $D3_WHERE"
    checkpoint
fi

D_PGB_TPS=- D_PGB_LAT=-
if ((D_OK)); then
    note "d: pgbench -c 8 -j 2 -T $PGB_SECS"
    if run_cmd "$TMP/pgbench.out" as_postgres timeout $((PGB_SECS + 60)) "$PG_BIN/pgbench" -h "$ABC_PGDIR" -U postgres -c 8 -j 2 -T "$PGB_SECS" bench; then
        D_PGB_TPS="$(sed -n 's/^tps = \([0-9]*\).*/\1/p' "$TMP/pgbench.out" | tail -n 1)"
        D_PGB_LAT="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$TMP/pgbench.out")"
    else
        failed "pgbench: $(tail -n 3 "$TMP/pgbench.out.err")"
    fi
fi
# Transactions the worker committed in abc for d2, counted from d2's start to here: an
# idle backend reports its statistics up to 10 s late, so at least 11 s after d2's end.
# The worker's background work (a few transactions a second) is included.
if [[ -n "$D2_X0" && "$D2_X0" != '?' ]]; then
    if ((D2_END + 11 > SECONDS)); then
        sleep $((D2_END + 11 - SECONDS))
    fi
    D2_X1="$(abc_sql "SELECT xact_commit FROM pg_stat_database WHERE datname = 'abc'")"
    if [[ "$D2_X1" != '?' ]]; then
        D2_DB="$((D2_X1 - D2_X0)) transactions committed in database abc from d2's start ($(ratio $((D2_X1 - D2_X0)) "$N_BUY") per purchase)"
    fi
    D2_DB+="; request_log rows with an idempotency key before d2: $D2_IDEM"
fi
PG_SETTINGS="$(as_postgres "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -At -F= -R' ' -d postgres -c \
    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'commit_delay', 'wal_sync_method', 'shared_buffers', 'full_page_writes') ORDER BY name" 2>/dev/null || echo '?')"
CMDS+=("dropdb -h $ABC_PGDIR -U postgres bench   # at exit")

# ---------------------------------------------------------------------------------------
# c2 + c3: a campaign page (one of d2's, with its slots) anonymously through the
# microcache vs the same bytes from a static file; logged in (no microcache) vs the same
# bytes from a minimal threaded libfcgi responder (fcgistatic) behind the same nginx setup

C2_LINE="- - - - -" C2S_LINE="- - - - -" C3_LINE="- - - - -" C3S_LINE="- - - - -"
C23_BYTES="-"
C23_OK=0
if ((D2_OK)) && read -r C_TOKEN C_CID _ <"$TMP/buy-lanes"; then
    C23_OK=1
fi
CAMP_URL="http://127.0.0.1:$ABC_PORT/c/${C_CID:-0}"
if ((C23_OK)); then
    mkdir -p "$TMP/www2" "$TMP/nginx2/tmp"
    st="$(curl -s --max-time 5 -D "$TMP/c2.hdr" -o "$TMP/www2/c2.html" -w '%{http_code}' "$CAMP_URL" || true)"
    [[ "$st" == 200 ]] || {
        failed "GET $CAMP_URL answered $st"
        C23_OK=0
    }
    headers_conf "$TMP/c2.hdr" "$TMP/c2-headers.conf"
    # Logged in: the first view sets the CSRF cookie; the page measured is the next view,
    # with that cookie sent back (no Set-Cookie), as a browser's.
    C3_COOKIE="abc_session=$C_TOKEN"
    curl -s --max-time 5 -D "$TMP/c3.hdr0" -o /dev/null -H "Cookie: $C3_COOKIE" "$CAMP_URL" || true
    while IFS= read -r c; do
        [[ "$c" == abc_session=* ]] || C3_COOKIE+="; $c" # (the session's is sent already)
    done < <(tr -d '\r' <"$TMP/c3.hdr0" | sed -n 's/^[Ss]et-[Cc]ookie: *\([^;]*\).*/\1/p')
    # The page as a browser's later views get it: up to three views, until one sets no
    # cookie (abc-web may renew the session cookie on the first views).
    for _ in 1 2 3; do
        st="$(curl -s --max-time 5 -D "$TMP/c3.hdr" -o "$TMP/c3.body" -w '%{http_code}' -H "Cookie: $C3_COOKIE" "$CAMP_URL" || true)"
        grep -qi '^set-cookie' "$TMP/c3.hdr" || break
    done
    [[ "$st" == 200 ]] || {
        failed "GET $CAMP_URL with a session answered $st"
        C23_OK=0
    }
    # (abc-web sets the session cookie again on every page: its expiry slides.)
    grep -qi '^set-cookie: *abc_csrf' "$TMP/c3.hdr" && note "c3: the logged-in page still sets the CSRF cookie"
    # fcgistatic's answer: abc-web's own headers (not those nginx adds) and the body.
    {
        printf 'Status: 200 OK\r\n'
        tr -d '\r' <"$TMP/c3.hdr" | sed 1d | grep -v -i -E '^(server|date|connection|keep-alive|transfer-encoding|x-microcache):' |
            grep -v '^$' | sed 's/$/\r/'
        printf '\r\n'
        cat "$TMP/c3.body"
    } >"$TMP/c3.resp"
fi
if ((C23_OK)); then
    STATIC2_PORT="$(pick_port $((STATIC_PORT + 1)))"
    for i in 1 2; do
        "$FCGISTATIC" --socket "$TMP/fcgi$i.sock" --threads "$WEB_THREADS" --response "$TMP/c3.resp" \
            >"$TMP/fcgistatic$i.log" 2>&1 &
        PRIVATE_PIDS+=("$!")
        CMDS+=("$FCGISTATIC --socket $TMP/fcgi$i.sock --threads $WEB_THREADS --response $TMP/c3.resp &")
    done
    cat >"$TMP/nginx2/nginx.conf" <<EOF
# private nginx of tests/bench/run.sh rows c2 and c3, modelled on $ABC_STATE/nginx/nginx.conf
user root;
worker_processes $WORKERS;
daemon on;
pid $TMP/nginx2/nginx.pid;
error_log $TMP/nginx2/error.log warn;
events {
    worker_connections 1024;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $TMP/nginx2/access.log;
    client_body_temp_path $TMP/nginx2/tmp/client_body;
    proxy_temp_path $TMP/nginx2/tmp/proxy;
    fastcgi_temp_path $TMP/nginx2/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx2/tmp/uwsgi;
    scgi_temp_path $TMP/nginx2/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30s;
    server_tokens off;
    etag off;
    max_ranges 0;
    # As the stack's: no upstream keepalive (SPEC 6).
    upstream fcgistatic {
        server unix:$TMP/fcgi1.sock;
        server unix:$TMP/fcgi2.sock;
    }
    server {
        listen 127.0.0.1:$STATIC2_PORT;
        location = /c2 {
            root $TMP/www2;
            default_type "text/html; charset=utf-8";
            try_files /c2.html =404;
$(cat "$TMP/c2-headers.conf")
        }
        location = /c3 {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass fcgistatic;
            fastcgi_buffers 16 16k;
            fastcgi_buffer_size 16k;
            add_header X-Microcache BYPASS always;
        }
    }
}
EOF
    if run_cmd "$TMP/nginx2-start.out" nginx -p "$TMP/nginx2" -c "$TMP/nginx2/nginx.conf" -e "$TMP/nginx2/error.log"; then
        for _ in $(seq 50); do
            [[ -s "$TMP/nginx2/nginx.pid" && -S "$TMP/fcgi2.sock" ]] && abc_tcp_open 127.0.0.1 "$STATIC2_PORT" && break
            sleep 0.1
        done
        sz() { curl -s --max-time 5 -o /dev/null -w '%{http_code} %{size_download}/%{size_header}' "$@" || true; }
        C23_BYTES="c2 abc $(sz "$CAMP_URL") vs static $(sz "http://127.0.0.1:$STATIC2_PORT/c2"); c3 abc $(sz -H "Cookie: $C3_COOKIE" "$CAMP_URL") vs fcgistatic $(sz -H "Cookie: $C3_COOKIE" "http://127.0.0.1:$STATIC2_PORT/c3") (status body/header bytes)"
        note "c2: wrk GET /c/$C_CID anonymous (microcache), then the static copy, ${WRK_SECS}s each"
        one_wrk c2-abc "$CAMP_URL"
        one_wrk c2-static "http://127.0.0.1:$STATIC2_PORT/c2"
        note "c3: wrk GET /c/$C_CID logged in, then fcgistatic, ${WRK_SECS}s each"
        one_wrk c3-abc "$CAMP_URL" -H "Cookie: $C3_COOKIE"
        one_wrk c3-fcgi "http://127.0.0.1:$STATIC2_PORT/c3" -H "Cookie: $C3_COOKIE"
        C2_LINE="$(wrk_summary c2-abc)" C2S_LINE="$(wrk_summary c2-static)"
        C3_LINE="$(wrk_summary c3-abc)" C3S_LINE="$(wrk_summary c3-fcgi)"
        CMDS=("${CMDS[@]//$C_TOKEN/<session token of a d2 buyer>}")
    else
        failed "nginx for c2/c3 did not start: $(tail -n 5 "$TMP/nginx2/error.log" 2>/dev/null)"
    fi
    if [[ -s "$TMP/nginx2/nginx.pid" ]]; then
        pid="$(tr -dc 0-9 <"$TMP/nginx2/nginx.pid")"
        CMDS+=("kill $pid   # the nginx of c2/c3")
        kill "$pid" 2>/dev/null || true
        rm -f "$TMP/nginx2/nginx.pid"
    fi
fi
read -r C2_RPS C2_50 C2_99 C2_NON2 _ <<<"$C2_LINE"
read -r C2S_RPS C2S_50 C2S_99 C2S_NON2 _ <<<"$C2S_LINE"
read -r C3_RPS C3_50 C3_99 C3_NON2 _ <<<"$C3_LINE"
read -r C3S_RPS C3S_50 C3S_99 C3S_NON2 _ <<<"$C3S_LINE"

# ---------------------------------------------------------------------------------------
# s: staleness, from a purchase's COMMIT to both abc-web caches and the edge showing it

S_LINE=""
WORKER_DB="$(sed -n 's/^db[[:space:]]*=[[:space:]]*//p' "$ABC_STATE/worker.conf" | tail -n 1)"
if ((S_OK)); then
    note "s: $N_STALE purchases one at a time, polling /api/c/<id>.json on web1, web2 and the edge"
    S_RC=0
    run_cmd "$TMP/s.out" timeout 900 "$HTTPBENCH" stale --url "http://127.0.0.1:$ABC_PORT" \
        --web "$ABC_STATE/run/http-web1.sock" --web "$ABC_STATE/run/http-web2.sock" \
        --lanes "$TMP/s-lanes" --pg "$WORKER_DB" -n "$N_STALE" || S_RC=$?
    S_LINE="$(tail -n 1 "$TMP/s.out")"
    ((S_RC == 0)) || failed "s: httpbench stale (exit $S_RC): $(tail -q -n 3 "$TMP/s.out" "$TMP/s.out.err" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------
# e: each abc-web with E_CAMPS campaigns in its cache (seller "bench.mem", made once per
# stack), read through its own nginx socket

E_FILL="not run"
note "e: $E_CAMPS campaigns into each abc-web's cache"
run_cmd "$TMP/e-camps" as_postgres "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -At -F " " \
    -v ON_ERROR_STOP=1 -v n="$E_CAMPS" -d abc -f - <<'SQL' || failed "e setup: $(tail -n 3 "$TMP/e-camps.err")"
BEGIN;
INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
SELECT 'bench.mem', sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
    substr(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 1, 16), 131072, 8, 1
WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = 'bench.mem');
INSERT INTO ledger_accounts (kind, user_id)
SELECT 'user', u.id FROM users u WHERE u.username = 'bench.mem'
    AND NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.user_id = u.id);
INSERT INTO campaigns (seller_id, name, description, width, height, min_price, slot_ms)
SELECT u.id, format('bench mem %s', k), 'tests/bench/run.sh row e', 1, 1, 1000, 3600000
FROM users u, generate_series(0, :n - 1) k
WHERE u.username = 'bench.mem' AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.seller_id = u.id)
ORDER BY k;
SELECT min(c.id), max(c.id), count(*) FROM campaigns c JOIN users u ON u.id = c.seller_id
WHERE u.username = 'bench.mem';
COMMIT;
SQL
CMDS[-1]+="   # SQL: the row e campaigns in run.sh"
E_WEB1_FULL=- E_WEB2_FULL=- E_FULL_CACHE=-
if read -r E_MIN E_MAX E_N <"$TMP/e-camps" && [[ "$E_N" == "$E_CAMPS" ]]; then
    E_FILL=""
    for i in 1 2; do
        if run_cmd "$TMP/e-fill$i.out" timeout 600 "$HTTPBENCH" get --unix "$ABC_STATE/run/http-web$i.sock" \
            --path '/api/c/%ld.json' --from "$E_MIN" --to "$E_MAX" -t 4; then
            E_FILL+="web$i: $(tail -n 1 "$TMP/e-fill$i.out"); "
        else
            failed "e: filling web$i: $(tail -q -n 2 "$TMP/e-fill$i.out" "$TMP/e-fill$i.out.err" | tr '\n' ' ')"
        fi
    done
    E_WEB1_FULL="$(rss web1)" E_WEB2_FULL="$(rss web2)"
    E_FULL_CACHE="web1 $(cache_entries 1); web2 $(cache_entries 2)"
else
    failed "e: expected $E_CAMPS campaigns of bench.mem, got: $(cat "$TMP/e-camps")"
fi
E_WEB_FULL_MAX="$(printf '%s\n%s\n' "$E_WEB1_FULL" "$E_WEB2_FULL" | sort -g | tail -n 1)"

# e: memory after the runs, before rows r and p restart abc-worker.
E_WORKER="$(mem worker)"
E_WEB1="$(mem web1)"
E_WEB2="$(mem web2)"

# ---------------------------------------------------------------------------------------
# r: recovery.  R_N durable counter_add requests are in flight when abc-worker is
# SIGKILLed: abc-linkc offers them at R_N/2 per s with one thread each; as soon as its link
# is up the worker is stopped (SIGSTOP), so what it has not answered stays so; once all
# are sent it is SIGKILLed and `deploy/run start` restarts it.  Measured: from the new
# worker's start (its pid file) to abc-linkc's exit after its last reply.  Then the
# counters must add up to R_N exactly (every request applied once).

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# link_conns: established TCP connections to the link port (ss filters in the kernel;
# without -p, which reads all of /proc, it is quick).
link_conns() { ss -tnH state established "( dport = :$ABC_LINK_PORT )" 2>/dev/null | wc -l; }
R_LINE="" R_MS="-" R_INFO="not run"
R_PREFIX="bench-r-$(date +%s)-$$-"
OLD_WORKER="$(abc_pid worker || true)"
if [[ -n "$OLD_WORKER" ]]; then
    note "r: $R_N counter_add in flight, abc-worker SIGKILLed and restarted"
    R_CONNS0="$(link_conns)"
    # --timeout-ms, not timeout(1), bounds it: the script waits for abc-linkc's own pid.
    CMDS+=("${LC[*]:2} -c 1 -t $R_N -n $R_N -r $((R_N / 2)) --timeout-ms 60000 --op counter_add --prefix $R_PREFIX &   # row r")
    "${LC[@]:2}" -c 1 -t "$R_N" -n "$R_N" -r "$((R_N / 2))" --timeout-ms 60000 --op counter_add --prefix "$R_PREFIX" \
        >"$TMP/r.out" 2>"$TMP/r.out.err" &
    R_PID=$!
    PRIVATE_PIDS+=("$R_PID")
    T_START="$(now_ms)"
    # Stopped as soon as abc-linkc's link is up: one more established TCP connection to
    # the link port than before, and 50 ms for its TLS handshake and HELLO.
    r_done() { abc_sql "SELECT coalesce(sum(value), 0) FROM link_counters WHERE key LIKE '$R_PREFIX%'"; }
    while (($(link_conns) <= R_CONNS0)) && (($(now_ms) - T_START < 30000)); do
        sleep 0.002
    done
    sleep 0.05
    R_STOPPED="$OLD_WORKER"
    kill -STOP "$OLD_WORKER"
    T_STOP="$(now_ms)"
    # every request offered (R_N at R_N/2 per s: 2 s after the start)
    sleep "$(awk -v s="$T_START" -v n="$(now_ms)" 'BEGIN { d = (s + 2100 - n) / 1000; print (d > 0.1 ? d : 0.1) }')"
    kill -KILL "$OLD_WORKER"
    T_KILL="$(now_ms)"
    R_STOPPED=""
    # deploy/run start skips a worker whose pid is still alive: wait for it to be gone.
    while abc_alive "$OLD_WORKER" && (($(now_ms) - T_KILL < 10000)); do
        sleep 0.002
    done
    R_DONE_BEFORE="$(r_done)"
    CMDS+=("kill -STOP <worker>; kill -KILL <worker>; ABC_STATE_DIR=$ABC_STATE ABC_HTTP_PORT=$ABC_PORT $ABC_ROOT/deploy/run start")
    ABC_STATE_DIR="$ABC_STATE" ABC_HTTP_PORT="$ABC_PORT" "$ABC_ROOT/deploy/run" start >"$TMP/r-restart.log" 2>&1 &
    RESTART_PID=$!
    T_SPAWN="" T_LISTEN=""
    while :; do
        # (Whether deploy/run start has ended is read first, so that a spawn is always
        # looked for after it ended.)
        R_RESTARTING=1
        kill -0 "$RESTART_PID" 2>/dev/null || R_RESTARTING=0
        if [[ -z "$T_SPAWN" ]] && NEW_WORKER="$(abc_pid worker)" && [[ "$NEW_WORKER" != "$OLD_WORKER" ]]; then
            T_SPAWN="$(now_ms)"
        fi
        if [[ -n "$T_SPAWN" && -z "$T_LISTEN" ]] && abc_tcp_open 127.0.0.1 "$ABC_LINK_PORT"; then
            T_LISTEN="$(now_ms)"
        fi
        [[ -n "$T_LISTEN" ]] && break
        ((R_RESTARTING)) || [[ -n "$T_SPAWN" ]] || break
        (($(now_ms) - T_KILL < 120000)) || break
        sleep 0.002
    done
    R_RC=0
    wait "$R_PID" || R_RC=$?
    T_END="$(now_ms)"
    wait "$RESTART_PID" || failed "r: deploy/run start: $(tail -n 5 "$TMP/r-restart.log" | tr '\n' ' ')"
    R_LINE="$(tail -n 1 "$TMP/r.out")"
    ((R_RC == 0)) || failed "r: abc-linkc (exit $R_RC): $(tail -q -n 3 "$TMP/r.out" "$TMP/r.out.err" | tr '\n' ' ')"
    R_SUM="$(r_done)"
    if [[ -n "$T_SPAWN" ]]; then
        R_MS=$((T_END - T_SPAWN))
        R_INFO="in flight at the kill: $((R_N - R_DONE_BEFORE)) of $R_N (committed before: $R_DONE_BEFORE); stopped $((T_STOP - T_START)) ms after abc-linkc started, killed $((T_KILL - T_START)) ms after; new worker started $((T_SPAWN - T_KILL)) ms after the kill (deploy/run start: migrations first), listening $((T_LISTEN - T_SPAWN)) ms after its start; last reply (abc-linkc's exit) $R_MS ms after its start"
    else
        R_INFO="the worker was not restarted: $(tail -n 3 "$TMP/r-restart.log" | tr '\n' ' ')"
        failed "r: $R_INFO"
    fi
    if [[ "$R_SUM" == "$R_N" ]]; then
        R_INFO+="; counters add up to $R_SUM = requests: ok"
    else
        R_INFO+="; counters add up to $R_SUM, not $R_N: MISMATCH"
        failed "r: counters $R_SUM != $R_N"
    fi
    note "r: $R_INFO"
fi

# ---------------------------------------------------------------------------------------
# p, second measure: instructions (valgrind --tool=callgrind) abc-worker executes per
# purchase.  The stack's worker is stopped (SIGTERM) and the same binary and config run
# under callgrind, instrumented (callgrind_control -i on) only once both abc-web are linked
# again; its counts are dumped for 3 s without traffic and for a burst of CG_N purchases
# from 8 callers on 8 fresh campaigns (group commits of up to 8); then it is stopped and
# `deploy/run start` brings the stack's worker back.  BENCH_CALLGRIND=0 skips it.  (Only
# whole-process totals are used: after a mid-run dump, callgrind_annotate cannot split
# inclusive counts by thread.)

P_IR="-" P_IR_INFO="callgrind: not run (BENCH_CALLGRIND=0, or valgrind missing)"
CG_N=200
if [[ "${BENCH_CALLGRIND:-1}" != 0 ]] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null &&
    abc_pid worker >/dev/null && buy_setup cg "${BUY_TAG}c" 8 8 "$TMP/cg-lanes"; then
    note "p: callgrind: abc-worker under valgrind, $CG_N purchases"
    abc_stop_one worker >/dev/null
    CMDS+=("valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$TMP/callgrind.out $ABC_BUILD/worker/abc-worker -c $ABC_STATE/worker.conf &   # the stack's worker stopped first")
    setsid valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/callgrind.out" \
        "$ABC_BUILD/worker/abc-worker" -c "$ABC_STATE/worker.conf" >"$TMP/cg-worker.log" 2>&1 </dev/null &
    VG_PID=$!
    PRIVATE_PIDS+=("$VG_PID")
    # Ready when both abc-web have their link session again (a TLS handshake under
    # callgrind is slow, and abc-web retries one that times out: not idle work).
    cg_sessions() {
        local n
        n="$(grep -c 'event=session ' "$TMP/cg-worker.log" 2>/dev/null || true)"
        echo "${n:-0}"
    }
    for _ in $(seq 1200); do
        (($(cg_sessions) >= 2)) && break
        kill -0 "$VG_PID" 2>/dev/null || break
        sleep 0.1
    done
    CG_IDLE_MS=0 CG_BURST_MS=0
    if (($(cg_sessions) >= 2)) &&
        sleep 1 && run_cmd "$TMP/cg-on.out" callgrind_control -i on "$VG_PID"; then
        # Part 1 (callgrind.out.1): 3 s without traffic, what the worker does by itself
        # (timers, the chain follower's polls), subtracted pro rata of the time from
        # part 2 (callgrind.out.2), the burst.
        t="$(now_ms)"
        sleep 3
        run_cmd "$TMP/cg-d1.out" callgrind_control -d "$VG_PID" || true
        CG_IDLE_MS=$(($(now_ms) - t))
        t="$(now_ms)"
        one_echo CG_LINK cg-link timeout 600 "${LC[@]:2}" -c 1 -t 8 -n "$CG_N" --op buy \
            --buy-file "$TMP/cg-lanes" --buy-slots 25
        run_cmd "$TMP/cg-d2.out" callgrind_control -d "$VG_PID" || true
        CG_BURST_MS=$(($(now_ms) - t))
        run_cmd "$TMP/cg-off.out" callgrind_control -i off "$VG_PID" || true
    else
        failed "p: the worker under valgrind did not get its two abc-web: $(tail -n 5 "$TMP/cg-worker.log" | tr '\n' ' ')"
    fi
    kill -TERM "$VG_PID" 2>/dev/null || true
    for _ in $(seq 600); do
        kill -0 "$VG_PID" 2>/dev/null || break
        sleep 0.1
    done
    CMDS+=("kill -TERM $VG_PID; ABC_STATE_DIR=$ABC_STATE ABC_HTTP_PORT=$ABC_PORT $ABC_ROOT/deploy/run start")
    ABC_STATE_DIR="$ABC_STATE" ABC_HTTP_PORT="$ABC_PORT" "$ABC_ROOT/deploy/run" start >"$TMP/cg-restart.log" 2>&1 ||
        failed "p: deploy/run start after callgrind: $(tail -n 5 "$TMP/cg-restart.log" | tr '\n' ' ')"
    CG_OKS="$(field "${CG_LINK:-}" replies_ok)"
    # (Whole files, no "| head": a closed pipe would end the script under pipefail.)
    cg_total() { sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$1" | tr -d , | awk 'NR == 1 { v = $1 } END { print v + 0 }'; }
    callgrind_annotate "$TMP/callgrind.out.1" >"$TMP/callgrind-idle.txt" 2>/dev/null || true
    callgrind_annotate "$TMP/callgrind.out.2" >"$TMP/callgrind.txt" 2>/dev/null || true
    CG_IDLE="$(cg_total "$TMP/callgrind-idle.txt")" CG_TOTAL="$(cg_total "$TMP/callgrind.txt")"
    if ((CG_TOTAL > 0 && CG_IDLE_MS > 0)) && [[ -n "$CG_OKS" && "$CG_OKS" -gt 0 ]]; then
        CG_NET=$((CG_TOTAL - CG_IDLE * CG_BURST_MS / CG_IDLE_MS))
        P_IR="$((CG_NET / CG_OKS))"
        # Top functions by own Ir; an unnamed one (no symbols) by its library instead.
        P_IR_INFO="callgrind: $CG_TOTAL Ir in the burst of $CG_BURST_MS ms, minus $CG_IDLE Ir per $CG_IDLE_MS ms without traffic ($((CG_IDLE * 1000 / CG_IDLE_MS)) Ir/s idle), for $CG_OKS purchases (${CG_LINK:-}); most Ir (self, % of the burst): $(sed -n 's/^ *[0-9,]* (\( *[0-9.]*%\)) *[^:]*:\([^ ]*\)\( \[\(.*\)\]\)\{0,1\}$/\2 \4 \1/p' "$TMP/callgrind.txt" |
            awk 'NR <= 10 { lib = $2; sub(/.*\//, "", lib); if ($1 ~ /^0x/ && NF == 3) f = lib; else f = $1; printf "%s%s %s", (NR > 1 ? ", " : ""), f, $NF }')"
    else
        P_IR_INFO="callgrind: no counts ($(tail -n 3 "$TMP/cg-worker.log" | tr '\n' ' '))"
    fi
fi

ELAPSED=$((SECONDS - T0))

# ---------------------------------------------------------------------------------------
# The table

A_L="$(field "$A_LINK" rps)" A_T="$(field "$A_TLS" rps)"
B_L50="$(field "$B_LINK" p50_us)" B_T50="$(field "$B_TLS" p50_us)"
B_L99="$(field "$B_LINK" p99_us)" B_T99="$(field "$B_TLS" p99_us)"
B_LMX="$(field "$B_LINK" max_us)" B_TMX="$(field "$B_TLS" max_us)"
B_LR="$(field "$B_LINK" rps)" B_TR="$(field "$B_TLS" rps)"
D_L="$(field "$D_LINK" rps)"
D_L50="$(field "$D_LINK" p50_us)" D_L99="$(field "$D_LINK" p99_us)"
D2_L="$(field "$D2_LINK" rps)"
D2_L50="$(field "$D2_LINK" p50_us)" D2_L99="$(field "$D2_LINK" p99_us)"

A_RATIO="$(ratio "$A_L" "$A_T")"
C_RATIO="$(ratio "$C_DYN" "$C_ST")"
D_RATIO="$(ratio "$D_L" "$D_PGB_TPS")"
D2_RATIO="$(ratio "$D2_L" "$D_PGB_TPS")"
D2_MET="$([[ $D2_RATIO == - ]] && echo - || meets "$D2_RATIO >= 3")"
# client_cpu NAME N: user+system CPU microseconds per request of client run NAME.
client_cpu() {
    [[ -s "$TMP/$1.cpu" ]] || {
        echo -
        return
    }
    awk -v n="$2" 'END { printf "%.1f", ($1 + $2) * 1e6 / n }' "$TMP/$1.cpu"
}
B_LCPU="$(client_cpu b-link "$N_LAT")" B_TCPU="$(client_cpu b-tls "$N_LAT")"
A_MET="$([[ $A_RATIO == - ]] && echo - || meets "$A_RATIO >= 0.5")"
# met_if VALUE EXPR: "-" when VALUE is missing, else meets EXPR.
met_if() { [[ -z "$1" || "$1" == - ]] && echo - || meets "$2"; }
D3_L="$(field "$D3_LINE" rps)"
D3_L50="$(field "$D3_LINE" p50_us)" D3_L99="$(field "$D3_LINE" p99_us)"
D3_RATIO="$(ratio "$D3_L" "$D_PGB_TPS")"
D3_MET="$(met_if "$D3_RATIO" "$D3_RATIO >= 1")"
C2_RATIO="$(ratio "$C2_RPS" "$C2S_RPS")"
C2_MET="$(met_if "$C2_RATIO" "$C2_RATIO >= 0.8")"
C3_RATIO="$(ratio "$C3_RPS" "$C3S_RPS")"
C3_MET="$(met_if "$C3_RATIO" "$C3_RATIO >= 0.9")"
S_C50="$(field "$S_LINE" caches_p50_ms)" S_C99="$(field "$S_LINE" caches_p99_ms)"
S_E50="$(field "$S_LINE" edge_p50_ms)" S_E99="$(field "$S_LINE" edge_p99_ms)"
S_CMET="$(met_if "$S_C99" "$S_C99 <= 10")" S_EMET="$(met_if "$S_E99" "$S_E99 <= 110")"
R_MET="$(met_if "$R_MS" "$R_MS <= 1000")"
E_IMET="$(met_if "$E_IDLE" "$E_IDLE <= 16")"
E_FMET="$(met_if "$E_WEB_FULL_MAX" "$E_WEB_FULL_MAX <= 64")"
# pg_stat_statements would give per-statement times; without it, PostgreSQL's CPU is read
# from /proc (all the cluster's processes, and the worker's own backends).
PGSS="$(abc_sql "SELECT current_setting('shared_preload_libraries')")"
[[ "$PGSS" == *pg_stat_statements* ]] && PGSS="loaded (not read yet: see README)" || PGSS="not loaded (shared_preload_libraries = '$PGSS'): CPU from /proc instead"
B_MET="$([[ -z $B_L99 ]] && echo - || meets "$B_L99 < 1000")"

row() { printf '%-50s | %15s | %15s | %6s | %s\n' "$@"; }
hr() { printf '%s\n' "---------------------------------------------------+-----------------+-----------------+--------+---------------------------"; }

echo
echo "abc benchmarks — $(date '+%F %T %Z'), $(nproc) CPUs, $(uname -r), stack $ABC_STATE, load avg before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg), run took ${ELAPSED}s$( ((QUICK)) && echo ', BENCH_QUICK=1')"
echo "(numbers taken with a load average well above the CPU count are not comparable: other processes had the CPUs)"
echo
row "benchmark" "abc" "baseline" "ratio" "target"
hr
row "a. link echo throughput, 1 client x 8 thr (req/s)" "${A_L:--}" "${A_T:--}" "$A_RATIO" ">= 0.5 x TLS echo: $A_MET"
row "a. server CPU per echo request (us)" "$A_WCPU" "$A_ECPU" "$(ratio "$A_WCPU" "$A_ECPU")" "abc-worker vs tlsecho server"
row "b. link echo p50 @ ${RATE}/s offered (us)" "${B_L50:--}" "${B_T50:--}" "$(ratio "$B_L50" "$B_T50")" "-"
row "b. link echo p99 @ ${RATE}/s offered (us)" "${B_L99:--}" "${B_T99:--}" "$(ratio "$B_L99" "$B_T99")" "p99 < 1000 us: $B_MET"
row "b. link echo max @ ${RATE}/s offered (us)" "${B_LMX:--}" "${B_TMX:--}" "$(ratio "$B_LMX" "$B_TMX")" "-"
row "b. client CPU per request @ ${RATE}/s (us)" "$B_LCPU" "$B_TCPU" "$(ratio "$B_LCPU" "$B_TCPU")" "abc-linkc vs tlsecho client"
row "b. achieved rate (req/s)" "${B_LR:--}" "${B_TR:--}" "$(ratio "$B_LR" "$B_TR")" "= ${RATE}"
row "c. GET / nginx->abc-web vs static (req/s)" "${C_DYN:--}" "${C_ST:--}" "$C_RATIO" "info (SPEC 6: libfcgi ~0.4x)"
row "c. GET / latency p50 (ms)" "${C_DYN50:--}" "${C_ST50:--}" "$(ratio "$C_DYN50" "$C_ST50")" "-"
row "c. GET / latency p99 (ms)" "${C_DYN99:--}" "${C_ST99:--}" "$(ratio "$C_DYN99" "$C_ST99")" "-"
row "d. counter_add req/s vs pgbench TPC-B tps" "${D_L:--}" "${D_PGB_TPS:--}" "$D_RATIO" "info (purchases: row d2)"
row "d. counter_add p50 / p99 (ms) | pgbench avg (ms)" \
    "$(awk -v a="${D_L50:-0}" -v b="${D_L99:-0}" 'BEGIN{printf "%.1f / %.1f", a/1000, b/1000}')" "${D_PGB_LAT:--}" "-" "-"
row "d2. purchases/s vs pgbench TPC-B tps" "${D2_L:--}" "${D_PGB_TPS:--}" "$D2_RATIO" "≥ 3x: $D2_MET"
row "d2. purchase p50 / p99 (ms) | pgbench avg (ms)" \
    "$(awk -v a="${D2_L50:-0}" -v b="${D2_L99:-0}" 'BEGIN{printf "%.1f / %.1f", a/1000, b/1000}')" "${D_PGB_LAT:--}" "-" "-"
row "d3. purchases/s via nginx vs pgbench tps" "${D3_L:--}" "${D_PGB_TPS:--}" "$D3_RATIO" "≥ 1x: $D3_MET"
row "d3. purchase p50 / p99 (ms) | d2 p50 (ms)" \
    "$(awk -v a="${D3_L50:-0}" -v b="${D3_L99:-0}" 'BEGIN{printf "%.1f / %.1f", a/1000, b/1000}')" \
    "$(awk -v a="${D2_L50:-0}" 'BEGIN{printf "%.1f", a/1000}')" "-" "where: see Details"
row "d3. CPU us/purchase: nginx/web/worker/pg" "${D3_CN:--}/${D3_CW:--}/${D3_CK:--}/${D3_CP:--}" "${D3_AVAIL:--}" "$(ratio "${D3_SUM:--}" "${D3_AVAIL:--}")" "baseline: CPU available"
row "c2. GET /c/<id> anonymous vs static (req/s)" "${C2_RPS:--}" "${C2S_RPS:--}" "$C2_RATIO" "≥ 0.8x: $C2_MET"
row "c2. latency p50 / p99 (ms)" "${C2_50:--} / ${C2_99:--}" "${C2S_50:--} / ${C2S_99:--}" "$(ratio "$C2_99" "$C2S_99")" "-"
row "c3. GET /c/<id> logged in vs fcgistatic (req/s)" "${C3_RPS:--}" "${C3S_RPS:--}" "$C3_RATIO" "≥ 0.9x: $C3_MET"
row "c3. latency p50 / p99 (ms)" "${C3_50:--} / ${C3_99:--}" "${C3S_50:--} / ${C3S_99:--}" "$(ratio "$C3_99" "$C3S_99")" "-"
row "s. COMMIT -> both abc-web caches p50 / p99 (ms)" "${S_C50:--} / ${S_C99:--}" "-" "-" "p99 ≤ 10 ms: $S_CMET"
row "s. COMMIT -> edge (microcache) p50 / p99 (ms)" "${S_E50:--} / ${S_E99:--}" "-" "-" "p99 ≤ 110 ms: $S_EMET"
row "r. worker restart -> last of $R_N answered (ms)" "$R_MS" "-" "-" "≤ 1000 ms: $R_MET"
row "e. abc-worker VmRSS / VmHWM (MB)" "$E_WORKER" "$ECHO_RSS" "-" "baseline: tlsecho server"
row "e. abc-worker VmRSS / VmHWM after d2 (MB)" "${E_WORKER_D2:--}" "-" "-" "printed"
row "e. abc-web web1 VmRSS / VmHWM (MB)" "$E_WEB1" "-" "-" "-"
row "e. abc-web web2 VmRSS / VmHWM (MB)" "$E_WEB2" "-" "-" "-"
row "e. abc-web RSS idle, a fresh one (MiB)" "$E_IDLE" "-" "-" "≤ 16 MiB: $E_IMET"
row "e. abc-web RSS, $E_CAMPS cached, web1 / web2 (MiB)" "$E_WEB1_FULL / $E_WEB2_FULL" "-" "-" "≤ 64 MiB: $E_FMET"
row "p. CPU per purchase in abc-worker (us)" "${P_WORKER:--}" "-" "-" "printed (d2)"
row "p. CPU per purchase in PostgreSQL (us)" "${P_PG:--}" "${P_BACK:--}" "-" "all / worker's backends"
row "p. callgrind Ir per purchase in abc-worker" "${P_IR:--}" "-" "-" "printed (see README)"
echo
echo "Details:"
echo "  a link:   $A_LINK"
echo "  a tls:    $A_TLS"
echo "  b link:   $B_LINK"
echo "  b tls:    $B_TLS"
echo "  c pages:  dynamic $DYN_BYTES vs static ${STATIC_BYTES:--} (body/header bytes); non-2xx $C_DYN_NON2 / $C_ST_NON2; socket errors $C_DYN_ERR / $C_ST_ERR"
echo "  d link:   $D_LINK"
echo "  warm-up:  $WARM_NOTE"
echo "  d2 link:  ${D2_LINK:--}"
echo "  d2 check: $D2_CHECK"
echo "  d2 db:    $D2_DB"
echo "  d3:       ${D3_LINE:--}"
echo "  d3 check: $D3_CHECK"
echo "  d3 where: $D3_WHERE"
echo "  c2/c3:    campaign ${C_CID:--}: $C23_BYTES; non-2xx c2 ${C2_NON2:--}/${C2S_NON2:--}, c3 ${C3_NON2:--}/${C3S_NON2:--}"
echo "  s:        ${S_LINE:--}"
echo "  r:        ${R_LINE:--}"
echo "  r info:   $R_INFO"
echo "  e idle:   a fresh abc-web ${E_IDLE} MiB; the stack's at the start: $E_STACK_IDLE"
echo "  e full:   $E_FULL_CACHE; $E_FILL"
echo "  p:        pg_stat_statements $PGSS; ${P_IR_INFO:-callgrind: not run}"
echo "  d pgbench: tps $D_PGB_TPS, latency avg ${D_PGB_LAT} ms (scale $PGB_SCALE, $PGB_SECS s)"
echo "  d cluster: $PG_SETTINGS(shared_buffers in 8 kB pages)"
echo
echo "Commands:"
for c in "${CMDS[@]}"; do
    printf '  %s\n' "$c"
done
if ((FAILED)); then
    note "some tools failed (see FAILED lines above)"
    exit 1
fi
exit 0
