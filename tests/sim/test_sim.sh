#!/bin/sh
# Integration test of abc-bitcoind-sim: starts the sim on a free loopback
# port in a temporary directory and checks the JSON-RPC wire behaviour with
# curl and python3 (reference: bitcoind-rpc.md sections 1-3).
#
# The binary is $ABC_BITCOIND_SIM, else the first of tests/sim/ under the
# build directory, the script's own directory and the current directory.
# Prints "N passed, N failed" last; exits 1 if anything failed.

set -u

SIM=${ABC_BITCOIND_SIM:-}
if [ -z "$SIM" ]; then
	for c in ./tests/sim/abc-bitcoind-sim "$(dirname "$0")/abc-bitcoind-sim" \
	    ./abc-bitcoind-sim; do
		if [ -x "$c" ]; then SIM=$c; break; fi
	done
fi
if [ -z "$SIM" ] || [ ! -x "$SIM" ]; then
	echo "test_sim.sh: abc-bitcoind-sim not found (set ABC_BITCOIND_SIM)" >&2
	exit 1
fi
for tool in curl python3; do
	command -v $tool >/dev/null 2>&1 || { echo "need $tool" >&2; exit 77; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/abcsim.XXXXXX") || exit 1
PASS=0
FAIL=0
SIMPID=
PORT=
AUTH=u:p
ADDR=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080

cleanup() {
	if [ -n "$SIMPID" ]; then kill "$SIMPID" 2>/dev/null; wait "$SIMPID" 2>/dev/null; fi
	if [ "$FAIL" -ne 0 ]; then
		for l in "$TMP"/*.log; do
			[ -f "$l" ] && { echo "# --- $l"; tail -20 "$l" | sed 's/^/#   /'; }
		done
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
nok() {
	FAIL=$((FAIL + 1)); echo "not ok - $1"
	[ -f "$TMP/body" ] && echo "#   status=$CODE body=$(head -c 400 "$TMP/body")"
}
# check NAME CMD...: one test case whose verdict is CMD's exit status.
check() { name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }

# start_sim LOG ARGS...: start the sim and wait for its port.
start_sim() {
	log=$1; shift
	"$SIM" --listen 127.0.0.1:0 "$@" 2>"$log" &
	SIMPID=$!
	i=0
	while [ $i -lt 50 ]; do
		PORT=$(sed -n 's/.*event=listening .*port=\([0-9]*\).*/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		kill -0 "$SIMPID" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	echo "# sim did not start:"; sed 's/^/#   /' "$log"
	return 1
}

# stop_sim: SIGTERM and wait; returns the sim's exit status.
stop_sim() {
	kill -TERM "$SIMPID"
	wait "$SIMPID"
	rc=$?
	SIMPID=
	return $rc
}

# post BODY [PATH [CURL-ARGS...]]: POST with auth; sets CODE, body in $TMP/body.
post() {
	b=$1; p=${2:-/}; shift; [ $# -gt 0 ] && shift
	CODE=$(curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' \
	    -u "$AUTH" -H 'Content-Type: application/json' \
	    --data-binary "$b" "$@" "http://127.0.0.1:$PORT$p")
}
# js EXPR: python3 boolean expression over d = the JSON body.
js() {
	python3 -c "import json,sys
d = json.loads(open(sys.argv[1], encoding='utf-8').read())
sys.exit(0 if ($1) else 1)" "$TMP/body" 2>/dev/null
}
status_is() { [ "$CODE" = "$1" ]; }
body_empty() { [ ! -s "$TMP/body" ]; }
body_is() { [ "$(cat "$TMP/body")" = "$1" ]; }
has_header() { tr -d '\r' < "$TMP/hdr" | grep -qi "^$1\$"; }

start_sim "$TMP/sim.log" --datadir "$TMP/d" --rpcuser u --rpcpassword p || exit 1

# --- HTTP layer (reference 1.1) ---
CODE=$(curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' \
    --data-binary '{"method":"getblockcount"}' "http://127.0.0.1:$PORT/")
check "401 without auth" status_is 401
check "401 has WWW-Authenticate" has_header 'WWW-Authenticate: Basic realm="jsonrpc"'
check "401 body empty" body_empty
AUTH=u:wrong post '{"method":"getblockcount"}'
check "401 with wrong password" status_is 401
check "401 (wrong password) has WWW-Authenticate" has_header 'WWW-Authenticate: Basic realm="jsonrpc"'
CODE=$(curl -s -o "$TMP/body" -w '%{http_code}' -u "$AUTH" "http://127.0.0.1:$PORT/")
check "405 on GET" status_is 405
check "405 exact body" body_is 'JSONRPC server handles only POST requests'
post '{"method":"getblockcount","id":1}' /foo
check "404 on /foo" status_is 404
check "404 body empty" body_empty
post '{"method":"getblockcount","id":1}' /wallet
check "404 on /wallet without slash" status_is 404
post '{"method":"getblockcount","id":1}' /wallet/w1
check "non-wallet method on /wallet/w1" status_is 200

# --- chain methods (reference 3.1, 3.2, 3.12) ---
post '{"method":"getblockcount","id":1}'
check "getblockcount 200" status_is 200
check "getblockcount == 0, legacy shape" js 'd == {"result": 0, "error": None, "id": 1}'
check "application/json" has_header 'Content-Type: application/json'
post "{\"method\":\"generatetoaddress\",\"params\":[5,\"$ADDR\"],\"id\":2}"
check "generatetoaddress 5 returns 5 hashes" js 'len(d["result"]) == 5 and all(len(h) == 64 and h == h.lower() and int(h, 16) >= 0 for h in d["result"])'
LAST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"][-1])' "$TMP/body")
post '{"method":"getblockcount","id":3}'
check "getblockcount == 5" js 'd["result"] == 5'
post '{"method":"getbestblockhash","id":4}'
check "getbestblockhash == last generated" js "d['result'] == '$LAST'"
post '{"method":"getblockchaininfo","id":5}'
check "getblockchaininfo field types" js '
list(d["result"].keys()) == ["chain","blocks","headers","bestblockhash",
 "difficulty","time","mediantime","verificationprogress",
 "initialblockdownload","chainwork","size_on_disk","pruned","warnings"]
and d["result"]["chain"] == "regtest"
and type(d["result"]["blocks"]) is int and d["result"]["blocks"] == 5
and type(d["result"]["headers"]) is int
and d["result"]["bestblockhash"] == "'"$LAST"'"
and type(d["result"]["difficulty"]) in (float, int)
and type(d["result"]["time"]) is int and type(d["result"]["mediantime"]) is int
and d["result"]["mediantime"] <= d["result"]["time"]
and type(d["result"]["verificationprogress"]) in (float, int)
and 0 <= d["result"]["verificationprogress"] <= 1
and d["result"]["initialblockdownload"] is False
and len(d["result"]["chainwork"]) == 64 and int(d["result"]["chainwork"], 16) == 12
and type(d["result"]["size_on_disk"]) is int
and d["result"]["pruned"] is False and d["result"]["warnings"] == []'
post '{"method":"generatetoaddress","params":[1,"tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"],"id":6}'
check "invalid address -5 (HTTP 500)" js 'd["error"] == {"code": -5, "message": "Error: Invalid address"}'
check "invalid address HTTP 500" status_is 500

# --- envelope and errors (reference 1.2-1.4) ---
post '{"method":"nosuchmethod","id":7}'
check "-32601 legacy HTTP 404" status_is 404
check "-32601 legacy body" js 'd == {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 7}'
post '{"method":'
check "-32700 bad JSON HTTP 500" status_is 500
check "-32700 body with id null" js 'd == {"result": None, "error": {"code": -32700, "message": "Parse error"}, "id": None}'
post '"just a string"'
check "top-level scalar -32700" js 'd["error"] == {"code": -32700, "message": "Top-level object parse error"}'
post '{"jsonrpc":"2.0","method":"nosuchmethod","id":"a"}'
check "2.0 method error HTTP 200" status_is 200
check "2.0 error shape" js 'd == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "a"}'
post '{"jsonrpc":"2.0","method":"getblockcount","id":null}'
check "2.0 success shape, id null kept" js 'd == {"jsonrpc": "2.0", "result": 5, "id": None}'
post '{"method":"getblockcount"}'
check "legacy without id: no id member (v28)" js 'd == {"result": 5, "error": None}'
post '{"jsonrpc":"1.1","method":"getblockcount","id":1}'
check "jsonrpc 1.1 -> -32600 HTTP 400" status_is 400
check "jsonrpc 1.1 message" js 'd["error"] == {"code": -32600, "message": "JSON-RPC version not supported"}'
post '{"id":1}'
check "missing method -32600" js 'd["error"]["message"] == "Missing method"'
post '{"jsonrpc":"2.0","id":9}'
check "2.0 envelope error is HTTP 400, 2.0 shape" sh -c "[ $CODE = 400 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d==dict(jsonrpc=\"2.0\",error=dict(code=-32600,message=\"Missing method\"),id=9) else 1)' $TMP/body"
post '{"jsonrpc":"2.0","method":"getblockcount"}'
check "notification -> 204" status_is 204
check "notification body empty" body_empty
post '{"jsonrpc":"2.0","method":"nosuchmethod"}'
check "failing notification -> 204" status_is 204
post '[{"method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"getbestblockhash","id":2},{"jsonrpc":"2.0","method":"getblockcount"},{"method":"nosuchmethod","id":3},42]'
check "batch HTTP 200" status_is 200
check "batch entries in order, notification dropped" js '
len(d) == 4 and d[0] == {"result": 5, "error": None, "id": 1}
and d[1] == {"jsonrpc": "2.0", "result": "'"$LAST"'", "id": 2}
and d[2] == {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 3}
and d[3]["error"] == {"code": -32600, "message": "Invalid Request object"}'
post '[{"jsonrpc":"2.0","method":"getblockcount"}]'
check "all-notification batch -> 204" status_is 204
post '[]'
check "empty batch -> 200 []" sh -c "[ $CODE = 200 ] && [ \"\$(cat $TMP/body)\" = '[]' ]"
post '{"method":"getblockcount","params":[1],"id":1}'
check "wrong arg count -> -1" js 'd["error"]["code"] == -1 and d["error"]["message"].startswith("getblockcount")'
post '{"method":"generatetoaddress","params":["5",7],"id":1}'
check "wrong types -> -3 v25+ message" js 'd["error"] == {"code": -3, "message": "Wrong type passed:\n{\n    \"Position 1 (nblocks)\": \"JSON value of type string is not of expected type number\",\n    \"Position 2 (address)\": \"JSON value of type number is not of expected type string\"\n}"}'
post "{\"method\":\"generatetoaddress\",\"params\":{\"address\":\"$ADDR\",\"nblocks\":0},\"id\":1}"
check "named params mapped" js 'd == {"result": [], "error": None, "id": 1}'
post '{"method":"generatetoaddress","params":{"nblocks":1,"bogus":1},"id":1}'
check "unknown named param -8" js 'd["error"] == {"code": -8, "message": "Unknown named parameter bogus"}'

# --- raw HTTP: limits, keep-alive, pipelining ---
cat > "$TMP/raw.py" <<'PY'
import base64, socket, sys
port, what = int(sys.argv[1]), sys.argv[2]
auth = base64.b64encode(b"u:p").decode()
def req(body, extra=""):
    return ("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
            "Content-Length: %d\r\n%s\r\n" % (auth, len(body), extra)).encode() + body
def talk(data, want):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    out = b""
    while out.count(b"HTTP/1.1 ") < want or not out.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out
if what == "pipeline":
    b = b'{"method":"getblockcount","id":1}'
    out = talk(req(b) + req(b), 2)
    ok = out.count(b"HTTP/1.1 200 OK") == 2 and out.count(b'"result":5') == 2
elif what == "bighead":
    out = talk(b"POST / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 1)
    ok = out.startswith(b"HTTP/1.1 413 ")
elif what == "bigbody":
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST / HTTP/1.1\r\nContent-Length: 8388609\r\n\r\n")
    out = s.recv(4096)
    ok = out.startswith(b"HTTP/1.1 413 ")
elif what == "garbage":
    out = talk(b"\x00\x01 nonsense\r\n\r\n", 1)
    ok = out.startswith(b"HTTP/1.1 400 ")
sys.exit(0 if ok else 1)
PY
check "pipelined keep-alive requests" python3 "$TMP/raw.py" "$PORT" pipeline
check "header over 8 KiB -> 413" python3 "$TMP/raw.py" "$PORT" bighead
check "body over 8 MiB -> 413" python3 "$TMP/raw.py" "$PORT" bigbody
check "garbage request line -> 400" python3 "$TMP/raw.py" "$PORT" garbage

# --- warm-up (reference 1.5) ---
post '{"method":"abcsim_warmup","params":[1],"id":1}'
check "abcsim_warmup accepted" js 'd == {"result": None, "error": None, "id": 1}'
post '{"method":"getblockcount","id":1}'
check "warm-up -28 legacy HTTP 500" status_is 500
check "warm-up message with U+2026" js 'd["error"] == {"code": -28, "message": "Loading block index\u2026"}'
post '{"jsonrpc":"2.0","method":"getblockcount","id":1}'
check "warm-up -28 for 2.0 is HTTP 200" sh -c "[ $CODE = 200 ]"
sleep 1.2
post '{"method":"getblockcount","id":1}'
check "after warm-up normal again" js 'd["result"] == 5'

# --- restart keeps the chain ---
stop_sim
check "SIGTERM exits 0" [ $? -eq 0 ]
check "exit logged" grep -q 'event=exit status=0' "$TMP/sim.log"
start_sim "$TMP/sim2.log" --datadir "$TMP/d" --rpcuser u --rpcpassword p || exit 1
post '{"method":"getblockcount","id":1}'
check "restart keeps height" js 'd["result"] == 5'
post '{"method":"getbestblockhash","id":1}'
check "restart keeps best hash" js "d['result'] == '$LAST'"
stop_sim

# --- cookie auth and --warmup at start ---
start_sim "$TMP/sim3.log" --datadir "$TMP/c" --warmup 1 || exit 1
check "cookie file format" grep -Eqx '__cookie__:[0-9a-f]{64}' "$TMP/c/.cookie"
AUTH=$(cat "$TMP/c/.cookie")
post '{"method":"getblockcount","id":1}'
check "--warmup answers -28 at start" js 'd["error"]["code"] == -28'
sleep 1.2
post '{"method":"getblockcount","id":1}'
check "cookie credentials work" js 'd["result"] == 0'
stop_sim
check "cookie removed on exit" [ ! -e "$TMP/c/.cookie" ]

# --- refuses non-loopback ---
"$SIM" --listen 0.0.0.0:0 --datadir "$TMP/n" --rpcuser u --rpcpassword p 2>"$TMP/n.log"
check "non-loopback refused" [ $? -ne 0 ]

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
