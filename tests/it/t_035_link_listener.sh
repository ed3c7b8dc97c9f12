#!/usr/bin/env bash
# The link listener (issue 10): a peer that does not finish its TLS
# handshake and HELLO in time is closed; connections beyond link_max_conns
# are refused while an established front-end keeps working; a certificate
# is let in only when its whole CN is one of link_clients (an unknown name,
# an allowed name with a suffix, a 64-byte CN whose 63-byte prefix is
# allowed: all refused).  A private abc-worker on its own port.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=$((ABC_LINK_PORT + 11))
WLOG="$ABC_LOG/listener-worker.log"
WPID=""
HELLO_MS=1500
MAX_CONNS=4
LONG63="web-$(printf 'x%.0s' $(seq 59))"    # 63 bytes, allowed
LONG64="${LONG63}y"                          # 64 bytes, its prefix is allowed
CERTS="$IT_TMP/certs"
LINKC=("$ABC_BUILD/tests/it/abc-linkc" -w "127.0.0.1:$PORT" --ca "$ABC_CERTS/ca.crt")

cleanup() {
    if [[ -n "$WPID" ]]; then
        kill -9 "$WPID" 2>/dev/null || true
        wait "$WPID" 2>/dev/null || true
    fi
    rm -rf "$IT_TMP"
}
trap cleanup EXIT

: >"$WLOG"
ABC_LISTEN="127.0.0.1:$PORT" ABC_LINK_MAX_CONNS=$MAX_CONNS \
    ABC_LINK_HELLO_TIMEOUT_MS=$HELLO_MS ABC_LINK_CLIENTS="web1, web2, $LONG63" \
    "$ABC_BUILD/worker/abc-worker" -c "$ABC_STATE/worker.conf" >>"$WLOG" 2>&1 &
WPID=$!
wait_until 10 abc_tcp_open 127.0.0.1 "$PORT" || {
    tail -n 5 "$WLOG"
    exit 1
}

# eof_after HOLD_N: opens HOLD_N silent TCP connections, then one more;
# prints the milliseconds until the server closed the last one, and how
# many of the first HOLD_N were still open then.
eof_after() {
    python3 - "$PORT" "$1" <<'PY'
import socket, sys, time
port, hold = int(sys.argv[1]), int(sys.argv[2])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(hold)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(15)
t0 = time.monotonic()
try:
    while s.recv(4096):
        pass
except (ConnectionResetError, socket.timeout):
    pass
ms = int((time.monotonic() - t0) * 1000)
alive = 0
for h in held:
    h.setblocking(False)
    try:
        alive += h.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except ConnectionResetError:
        pass
print(ms, alive)
PY
}

# (1) A silent TCP peer is closed once the deadline passes, not before.
read -r ms _ <<<"$(eof_after 0)"
echo "silent TCP connection closed after $ms ms (link_hello_timeout_ms=$HELLO_MS)"
check "a silent TCP connection is closed after the handshake deadline" \
    test "$ms" -ge $((HELLO_MS - 200)) -a "$ms" -le $((HELLO_MS + 3000))
check "the worker logged the TLS handshake timeout" \
    grep -q 'event=link_timeout .*no TLS handshake within' "$WLOG"

# (2) TLS completed, HELLO never sent: closed too.
ms=$(python3 - "$PORT" "$ABC_CERTS" <<'PY'
import socket, ssl, sys, time
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=certs + "/ca.crt")
ctx.load_cert_chain(certs + "/web2.crt", certs + "/web2.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                    server_hostname="localhost")
s.settimeout(15)
t0 = time.monotonic()
try:
    while s.recv(4096):
        pass
except (ConnectionResetError, socket.timeout, ssl.SSLError):
    pass
print(int((time.monotonic() - t0) * 1000))
PY
)
echo "TLS up, no HELLO: closed after $ms ms"
check "a TLS peer that sends no HELLO is closed after the deadline" \
    test "$ms" -ge $((HELLO_MS - 500)) -a "$ms" -le $((HELLO_MS + 3000))
check "the worker logged the HELLO timeout" \
    grep -q 'event=link_timeout .*no HELLO within' "$WLOG"

# (3) Over the cap: an established front-end keeps working while the
# other slots are full and one more connection is refused at once.
"${LINKC[@]}" --cert "$ABC_CERTS/web1.crt" --key "$ABC_CERTS/web1.key" \
    -c 1 -t 2 -n 200 -r 50 --timeout-ms 10000 >"$IT_TMP/linkc" 2>&1 &
LPID=$!
sleep 1
read -r ms alive <<<"$(eof_after $((MAX_CONNS - 1)))"
echo "connection over the cap closed after $ms ms; $alive of $((MAX_CONNS - 1)) held still open"
check "a connection beyond link_max_conns is closed at once" test "$ms" -lt 1000
check "the connections within the cap were still open then" test "$alive" -eq $((MAX_CONNS - 1))
check "the worker logged the refusal with the cap" \
    grep -q "event=link_refused reason=\"too many connections\" open=$MAX_CONNS max=$MAX_CONNS" "$WLOG"
lrc=0
wait "$LPID" || lrc=$?
echo "established front-end: $(tail -n 1 "$IT_TMP/linkc")"
check "the established front-end got every reply meanwhile" test "$lrc" -eq 0

# (4) Certificates: the whole CN must be one of link_clients.
mkdir -p "$CERTS"
cp "$ABC_CERTS/ca.crt" "$ABC_CERTS/ca.key" "$CERTS/"
bash "$ABC_ROOT/deploy/certs.sh" "$CERTS" web1x web3 "$LONG63" "$LONG64" >/dev/null
# try CN: one echo through the link with that certificate; linkc's status.
try() {
    "${LINKC[@]}" --cert "$CERTS/$1.crt" --key "$CERTS/$1.key" -c 1 -t 1 -n 1 \
        --timeout-ms 2500 >"$IT_TMP/try" 2>&1
}
refused() { ! try "$1" && grep -q "event=link_refused conn=[0-9]* peer=\"$1\"" "$WLOG"; }
check "CN web3 (not in link_clients) is refused" refused web3
check "CN web1x (an allowed name plus a suffix) is refused" refused web1x
check "a 64-byte CN whose 63-byte prefix is allowed is refused" refused "$LONG64"
check "the allowed 63-byte CN is let in (whole names are compared)" try "$LONG63"
check "web1 is still let in" bash -c "'${LINKC[0]}' -w 127.0.0.1:$PORT --ca '$ABC_CERTS/ca.crt' \
    --cert '$ABC_CERTS/web1.crt' --key '$ABC_CERTS/web1.key' -c 1 -t 1 -n 5 >/dev/null 2>&1"

it_done
