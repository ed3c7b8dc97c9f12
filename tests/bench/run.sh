#!/usr/bin/env bash
# tests/bench/run.sh: benchmarks of the running local stack (./deploy/run), each next to a
# baseline measured in the same run, printed as one table.  Not a pass/fail test: it exits
# 0 unless a tool fails to run (a missed target is shown in the table, not in the status).
#
#   ABC_STATE_DIR (default <tree>/var), ABC_HTTP_PORT (default 8080): the stack to measure.
#   BENCH_QUICK=1: shorter runs (smoke test of the script, numbers less stable).
#
# Starts only private processes of its own (a tlsecho server, a static nginx), on 127.0.0.1,
# killed by pid on exit; creates and drops the scratch database "bench" in the stack's
# PostgreSQL cluster.  Row d2 adds users, sessions, deposits, ads, campaigns and purchases
# named "bench.<tag>..." to the stack's database abc that stay there (the ledger is
# append-only): measure a private stack when that matters (see README.md).
# Needs root (pgbench as postgres, nginx, apt-get for wrk).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ABC_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
# shellcheck source=../../deploy/lib.sh
. "$ABC_ROOT/deploy/lib.sh"
abc_env

QUICK="${BENCH_QUICK:-0}"
if ((QUICK)); then
    N_TPUT=20000 RATE=10000 N_LAT=20000 WRK_SECS=3 PGB_SECS=3 PGB_SCALE=2 N_DUR=5000 N_BUY=2000
else
    N_TPUT=100000 RATE=10000 N_LAT=100000 WRK_SECS=10 PGB_SECS=10 PGB_SCALE=10 N_DUR=20000 N_BUY=10000
fi
ECHO_SIZE=100
# abc-linkc --size 100 sends the frame 40-byte header + {"op":"echo","data":"x*100"} = 163
# bytes (the reply is 161); tlsecho sends a 4-byte length + payload, so payload 159 makes the
# same 163 bytes per message on the TLS connection.
TLSECHO_SIZE=$((40 + 23 + ECHO_SIZE - 4))

LINKC="$ABC_BUILD/tests/it/abc-linkc"
TLSECHO="$ABC_BUILD/tests/bench/tlsecho"
PG_BIN="$ABC_PG_BIN"
CA="$ABC_CERTS/ca.crt"

TMP="$(mktemp -d /tmp/abc-bench.XXXXXX)"
PRIVATE_PIDS=()
BENCH_DB_MADE=0
FAILED=0
CMDS=()

cleanup() {
    local pid
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

PORT0=$((ABC_LINK_PORT + 3)) # P, P+1, P+2 belong to the stack and deploy/test
ECHO_PORT="$(pick_port "$PORT0")"
STATIC_PORT="$(pick_port $((ECHO_PORT + 1)))"

T0=$SECONDS
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
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
: >"$TMP/headers.conf"
tr -d '\r' <"$TMP/page.hdr" | sed 1d | while IFS= read -r line; do
    name="${line%%:*}"
    value="${line#*: }"
    [[ -n "$line" && "$line" == *:* ]] || continue
    case "${name,,}" in
    server | date | content-length | content-type | connection | transfer-encoding | etag | last-modified) continue ;;
    esac
    [[ "$value" == *'$'* || "$name" == *[!A-Za-z0-9-]* ]] && continue
    value="${value//\\/\\\\}"
    printf '        add_header %s "%s" always;\n' "$name" "${value//\"/\\\"}" >>"$TMP/headers.conf"
done

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

# one_wrk NAME URL: runs wrk; wrk_summary NAME prints "rps p50_ms p99_ms non2xx errors".
one_wrk() {
    run_cmd "$TMP/$1.out" timeout $((WRK_SECS + 30)) wrk -t 2 -c 32 -d "${WRK_SECS}s" --latency "$2" ||
        failed "wrk $2: $(tail -n 3 "$TMP/$1.out.err")"
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
BUY_BUYERS=64 # = the callers of row d2: 4 clients x 16 threads, like row d
BUY_SLOTS=25
BUY_PER_BUYER=$(((N_BUY + 20 * BUY_BUYERS - 1) / (20 * BUY_BUYERS))) # campaigns a buyer buys on
BUY_LANES=$((BUY_PER_BUYER * BUY_BUYERS))
BUY_FUND=10000000000000 # 100 000 BTC a buyer
BUY_TAG="$(date +%s)$$"
BUY_PNG=89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082
D2_OK=1
note "d2: setup: $BUY_BUYERS funded buyers with sessions and ads, $BUY_LANES campaigns (SQL, tag $BUY_TAG)"
run_cmd "$TMP/buy-lanes" as_postgres "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -At -F " " \
    -v ON_ERROR_STOP=1 -v tag="$BUY_TAG" -v buyers="$BUY_BUYERS" -v lanes="$BUY_LANES" \
    -v fund="$BUY_FUND" -v png="$BUY_PNG" -d abc -f - <<'SQL' || D2_OK=0
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
SQL
CMDS[${#CMDS[@]} - 1]+="   # SQL: the d2 setup in run.sh"
if ((D2_OK)) && [[ "$(wc -l <"$TMP/buy-lanes")" -ne "$BUY_LANES" ]]; then
    D2_OK=0
fi
((D2_OK)) || failed "d2 setup: $(tail -q -n 3 "$TMP/buy-lanes" "$TMP/buy-lanes.err" 2>/dev/null | tr '\n' ' ')"

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
    one_echo D2_LINK d2-link timeout 300 "${LC[@]:2}" -c 4 -t 16 -n "$N_BUY" --op buy \
        --buy-file "$TMP/buy-lanes" --buy-slots "$BUY_SLOTS"
    D2_END=$SECONDS
    # Every ok reply is a slot sold, and nothing else was: counted in the database.
    D2_OKS="$(field "$D2_LINK" replies_ok)"
    D2_SOLD="$(abc_sql "SELECT count(*) FROM slots s JOIN campaigns c ON c.id = s.campaign_id
        WHERE c.name LIKE 'bench $BUY_TAG lane %'")"
    D2_COUNTED="$(abc_sql "SELECT sum(slots_sold) FROM campaigns WHERE name LIKE 'bench $BUY_TAG lane %'")"
    if [[ -n "$D2_OKS" && "$D2_SOLD" == "$D2_OKS" && "$D2_COUNTED" == "$D2_OKS" ]]; then
        D2_CHECK="slots sold $D2_SOLD = ok replies $D2_OKS (campaigns' slots_sold $D2_COUNTED): ok"
    else
        D2_CHECK="slots sold $D2_SOLD, campaigns' slots_sold $D2_COUNTED, ok replies ${D2_OKS:-?}: MISMATCH"
        failed "d2: $D2_CHECK"
    fi
    if run_cmd "$TMP/invariants.out" "$PG_BIN/psql" -h "$ABC_PGDIR" -U postgres -X -q -At \
        -v ON_ERROR_STOP=1 -d abc -f "$ABC_ROOT/sql/admin/check_invariants.sql"; then
        D2_CHECK+="; sql/admin/check_invariants.sql: ok ($(tr '\n' ',' <"$TMP/invariants.out" | sed 's/,$//; s/,/, /g'))"
    else
        D2_CHECK+="; sql/admin/check_invariants.sql: FAILED ($(tail -n 2 "$TMP/invariants.out.err" | tr '\n' ' '))"
        failed "d2: check_invariants.sql: $(tail -n 2 "$TMP/invariants.out.err" | tr '\n' ' ')"
    fi
    note "d2: $D2_CHECK"
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
# e: memory after the runs

mem() {
    local pid
    pid="$(abc_pid "$1")" || {
        echo "- (not running)"
        return
    }
    awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%.1f / %.1f", r/1024, h/1024}' "/proc/$pid/status"
}
E_WORKER="$(mem worker)"
E_WEB1="$(mem web1)"
E_WEB2="$(mem web2)"

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
B_MET="$([[ -z $B_L99 ]] && echo - || meets "$B_L99 < 1000")"

row() { printf '%-50s | %15s | %15s | %6s | %s\n' "$@"; }
hr() { printf '%s\n' "---------------------------------------------------+-----------------+-----------------+--------+---------------------------"; }

echo
echo "abc benchmarks — $(date '+%F %T %Z'), $(nproc) CPUs, $(uname -r), stack $ABC_STATE, load avg before $LOAD0, run took ${ELAPSED}s$( ((QUICK)) && echo ', BENCH_QUICK=1')"
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
row "d2. purchases/s vs pgbench TPC-B tps" "${D2_L:--}" "${D_PGB_TPS:--}" "$D2_RATIO" "≥ 3x (next issue): $D2_MET"
row "d2. purchase p50 / p99 (ms) | pgbench avg (ms)" \
    "$(awk -v a="${D2_L50:-0}" -v b="${D2_L99:-0}" 'BEGIN{printf "%.1f / %.1f", a/1000, b/1000}')" "${D_PGB_LAT:--}" "-" "-"
row "e. abc-worker VmRSS / VmHWM (MB)" "$E_WORKER" "$ECHO_RSS" "-" "baseline: tlsecho server"
row "e. abc-web web1 VmRSS / VmHWM (MB)" "$E_WEB1" "-" "-" "-"
row "e. abc-web web2 VmRSS / VmHWM (MB)" "$E_WEB2" "-" "-" "-"
echo
echo "Details:"
echo "  a link:   $A_LINK"
echo "  a tls:    $A_TLS"
echo "  b link:   $B_LINK"
echo "  b tls:    $B_TLS"
echo "  c pages:  dynamic $DYN_BYTES vs static ${STATIC_BYTES:--} (body/header bytes); non-2xx $C_DYN_NON2 / $C_ST_NON2; socket errors $C_DYN_ERR / $C_ST_ERR"
echo "  d link:   $D_LINK"
echo "  d2 link:  ${D2_LINK:--}"
echo "  d2 check: $D2_CHECK"
echo "  d2 db:    $D2_DB"
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
