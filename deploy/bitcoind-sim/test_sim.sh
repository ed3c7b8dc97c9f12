#!/bin/sh
# Integration test of abc-bitcoind-sim: starts the sim on a free loopback
# port in a temporary directory and checks the JSON-RPC wire behaviour, the
# wallet methods with their error cases, the abcsim_* controls (pay, mine,
# conflict, reorg, slow, down, warmup), persistence across kill -9, and
# runs conformance.py (field presence and types) with curl and python3
# (reference: bitcoind-rpc.md sections 1-5).
#
# The binary is $ABC_BITCOIND_SIM, else the first of deploy/bitcoind-sim/
# under the build directory, the script's own directory and the current
# directory.
# Prints "N passed, N failed" last; exits 1 if anything failed.

set -u

SIM=${ABC_BITCOIND_SIM:-}
if [ -z "$SIM" ]; then
	for c in ./deploy/bitcoind-sim/abc-bitcoind-sim \
	    "$(dirname "$0")/abc-bitcoind-sim" ./abc-bitcoind-sim; do
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
	: >"$log"
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
# A 5 s window: the checks below must all fall inside it, even on a loaded machine.
post '{"method":"abcsim_warmup","params":[5],"id":1}'
check "abcsim_warmup accepted" js 'd == {"result": None, "error": None, "id": 1}'
post '{"method":"getblockcount","id":1}'
check "warm-up -28 legacy HTTP 500" status_is 500
check "warm-up message with U+2026" js 'd["error"] == {"code": -28, "message": "Loading block index\u2026"}'
post '{"jsonrpc":"2.0","method":"getblockcount","id":1}'
check "warm-up -28 for 2.0 is HTTP 200" sh -c "[ $CODE = 200 ]"
check "...and still error -28" js 'd["error"]["code"] == -28'
sleep 5.2
post '{"method":"getblockcount","id":1}'
check "after warm-up normal again" js 'd["result"] == 5'


# --- wallet (reference 3.3-3.10) and controls ---
# rpc METHOD [PARAMS-JSON [PATH]]: legacy call with id 1; body in $TMP/body.
rpc() { post "{\"method\":\"$1\",\"params\":${2:-[]},\"id\":1}" "${3:-/}"; }
# res: print the result of the last call (strings bare).
res() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(r if isinstance(r,str) else json.dumps(r))' "$TMP/body"; }
err_is() { EMSG=$2 js "d['error']['code'] == $1 and d['error']['message'] == __import__('os').environ['EMSG']"; }
err_code() { js "d['error']['code'] == $1"; }
# amount_text KEY: every "KEY": number in the raw body has 8 decimals.
amounts_8dp() { python3 -c 'import re,sys; t=open(sys.argv[1]).read(); a=re.findall(r"\"(?:amount|fee|trusted|untrusted_pending|immature|result)\":(-?[0-9][0-9.eE+-]*)", t); sys.exit(0 if a and all(re.fullmatch(r"-?[0-9]+\.[0-9]{8}", x) for x in a) else 1)' "$TMP/body"; }

rpc getnewaddress '["alice"]'
W1=$(res)
check "getnewaddress bcrt1q + 38" sh -c "echo '$W1' | grep -Eqx 'bcrt1q[02-9ac-hj-np-z]{38}'"
rpc getnewaddress '["bob"]' /wallet/abc
W2=$(res)
check "getnewaddress on /wallet/abc, new address" [ -n "$W2" -a "$W2" != "$W1" ]
rpc getnewaddress '[]' /wallet/other
check "other wallet -18 (HTTP 500)" sh -c "[ $CODE = 500 ]"
check "other wallet message" err_is -18 'Requested wallet does not exist or is not loaded'
rpc getnewaddress '["*"]'
check "label * -11" err_is -11 'Invalid label name'
rpc getnewaddress '["", "foo"]'
check "unknown address type -5" err_is -5 "Unknown address type 'foo'"
rpc getnewaddress '["tr", "bech32m"]'
check "bech32m address" sh -c "python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))[\"result\"].startswith(\"bcrt1p\") else 1)' $TMP/body"
rpc getaddressinfo "[\"$W1\"]"
check "getaddressinfo mine + labels" js "d['result']['ismine'] is True and d['result']['labels'] == ['alice'] and d['result']['ischange'] is False and d['result']['hdkeypath'] == 'm/84h/1h/0h/0/0' and d['result']['scriptPubKey'].startswith('0014')"
rpc getaddressinfo "[\"$ADDR\"]"
check "getaddressinfo foreign: ismine false, labels []" js "d['result']['ismine'] is False and d['result']['labels'] == [] and d['result']['solvable'] is False"
rpc getaddressinfo '["nonsense0"]'
check "getaddressinfo invalid -5" err_is -5 'Invalid or unsupported Segwit (Bech32) or Base58 encoding.'
rpc validateaddress "[\"$W1\"]"
check "validateaddress valid" js "d['result']['isvalid'] is True and d['result']['witness_version'] == 0 and d['result']['iswitness'] is True"
rpc validateaddress '["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt08q"]'
check "validateaddress bad checksum" js "d['result'] == {'isvalid': False, 'error_locations': [], 'error': 'Invalid Bech32 checksum'}"
rpc validateaddress '[5]'
check "validateaddress number -3" err_code -3
rpc generatetoaddress "[101, \"$W1\"]"
check "mine 101 to wallet" js "len(d['result']) == 101"
rpc getbalances
check "getbalances: 50 trusted, 5000 immature" js "d['result']['mine'] == {'trusted': 50.0, 'untrusted_pending': 0.0, 'immature': 5000.0} and d['result']['lastprocessedblock']['height'] == 106"
check "getbalances 8 decimals" amounts_8dp
CUR=$(curl -s -u "$AUTH" --data-binary '{"method":"getbestblockhash","id":1}' "http://127.0.0.1:$PORT/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
rpc abcsim_pay "[[[\"$W1\", 0.5], [\"$W2\", \"1.25\"], [\"$ADDR\", 3], [\"$W2\", 1e-8]]]"
PAY=$(res)
check "abcsim_pay txid" sh -c "echo $PAY | grep -Eqx '[0-9a-f]{64}'"
rpc getbalances
check "incoming pending is untrusted_pending" js "d['result']['mine']['untrusted_pending'] == 1.75000001"
rpc abcsim_pay '[[["bcrt1bad", 1]]]'
check "abcsim_pay bad address -5" err_is -5 'Invalid Bitcoin address: bcrt1bad'
rpc abcsim_pay "[[[\"$W1\", 0.000000001]]]"
check "abcsim_pay 9 decimals -3" err_is -3 'Invalid amount'
rpc abcsim_pay '[[]]'
check "abcsim_pay empty -8" err_code -8
rpc gettransaction "[\"$PAY\"]"
check "gettransaction unconfirmed incoming" js "d['result']['confirmations'] == 0 and d['result']['trusted'] is False and d['result']['amount'] == 1.75000001 and len(d['result']['details']) == 3 and 'blockhash' not in d['result'] and d['result']['hex'].startswith('02000000')"
check "gettransaction details address/category/vout/label" js "sorted((e['vout'], e['category'], e['label']) for e in d['result']['details']) == [(0, 'receive', 'alice'), (1, 'receive', 'bob'), (3, 'receive', 'bob')]"
check "gettransaction 8 decimals" amounts_8dp
rpc gettransaction '["00"]'
check "gettransaction short txid -8" err_is -8 "txid must be of length 64 (not 2, for '00')"
rpc gettransaction "[\"$(printf 'ab%.0s' $(seq 32))\"]"
check "gettransaction unknown -5" err_is -5 'Invalid or non-wallet transaction id'
rpc getreceivedbyaddress "[\"$W2\", 0]"
check "getreceivedbyaddress minconf 0" js "d['result'] == 1.25000001"
rpc getreceivedbyaddress "[\"$W2\"]"
check "getreceivedbyaddress minconf 1 = 0" js "d['result'] == 0"
rpc getreceivedbyaddress "[\"$ADDR\"]"
check "getreceivedbyaddress foreign -4" err_is -4 'Address not found in wallet'
rpc getreceivedbyaddress '["xyz"]'
check "getreceivedbyaddress invalid -5" err_is -5 'Invalid Bitcoin address'
rpc abcsim_mine
check "abcsim_mine default 1" js "len(d['result']) == 1"
rpc gettransaction "[\"$PAY\"]"
check "confirmations 1 + block fields" js "d['result']['confirmations'] == 1 and d['result']['blockheight'] == 107 and 'trusted' not in d['result']"
rpc sendtoaddress "[\"$ADDR\", 0.1, \"order 7\"]"
SEND=$(res)
check "sendtoaddress txid" sh -c "echo $SEND | grep -Eqx '[0-9a-f]{64}'"
rpc gettransaction "[\"$SEND\"]"
check "send: amount -0.1, fee < 0, trusted, comment" js "d['result']['amount'] == -0.1 and d['result']['fee'] < 0 and d['result']['trusted'] is True and d['result']['comment'] == 'order 7' and [e['category'] for e in d['result']['details']] == ['send']"
check "send 8 decimals" amounts_8dp
rpc sendtoaddress "[\"$ADDR\", 100000]"
check "insufficient funds -6" err_is -6 'Insufficient funds'
rpc sendtoaddress '["bcrt1qnope", 1]'
check "send invalid address -5" err_is -5 'Invalid Bitcoin address: bcrt1qnope'
rpc sendtoaddress "[\"$ADDR\", 0]"
check "send zero -6 too small" err_is -6 'Transaction amount too small'
rpc sendtoaddress "[\"$ADDR\", -1]"
check "send negative -3 out of range" err_is -3 'Amount out of range'
rpc sendtoaddress "[\"$ADDR\", true]"
check "send bool amount -3" err_is -3 'Amount is not a number or string'
rpc sendtoaddress "[\"$ADDR\", \".5\"]"
check "send .5 -3 invalid" err_is -3 'Invalid amount'
rpc sendtoaddress "[\"$ADDR\", 1, null, null, null, null, 6, null, null, 5]"
check "conf_target + fee_rate -8" err_code -8
rpc listunspent
check "listunspent fields" js "len(d['result']) > 0 and all(set(['txid','vout','address','scriptPubKey','amount','confirmations','spendable','solvable','parent_descs','safe']) <= set(e) for e in d['result'])"
rpc listunspent "[0, 9999999, [\"$W2\"]]"
check "listunspent address filter" js "len(d['result']) == 2 and all(e['address'] == '$W2' for e in d['result'])"
rpc listunspent '[1, 9, ["bad"]]'
check "listunspent bad address -5" err_is -5 'Invalid Bitcoin address: bad'
rpc listunspent "[1, 9, [\"$W2\", \"$W2\"]]"
check "listunspent duplicate -8" err_is -8 "Invalid parameter, duplicated address: $W2"
rpc listsinceblock "[\"$CUR\"]"
check "listsinceblock since cursor" js "sorted((e['txid'][:8], e['category'], e['vout']) for e in d['result']['transactions']) == sorted([('$PAY'[:8], 'receive', 0), ('$PAY'[:8], 'receive', 1), ('$PAY'[:8], 'receive', 3), ('$SEND'[:8], 'send', [e['vout'] for e in d['result']['transactions'] if e['txid'] == '$SEND'][0])]) and d['result']['removed'] == []"
check "listsinceblock 8 decimals" amounts_8dp
rpc listsinceblock '["zz"]'
check "listsinceblock bad hash -8" err_is -8 "blockhash must be of length 64 (not 2, for 'zz')"
rpc listsinceblock "[\"$(printf 'cd%.0s' $(seq 32))\"]"
check "listsinceblock unknown -5" err_is -5 'Block not found'
rpc listsinceblock "[\"$CUR\", 0]"
check "listsinceblock target 0 -8" err_is -8 'Invalid parameter'
rpc abcsim_mine '[2]'
OLD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"][-1])' "$TMP/body")
rpc gettransaction "[\"$SEND\"]"
SENDBLK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["blockhash"])' "$TMP/body")
rpc abcsim_reorg '[3]'
check "abcsim_reorg: 3 out, 4 in" js "len(d['result']['disconnected']) == 3 and len(d['result']['connected']) == 4 and not set(d['result']['disconnected']) & set(d['result']['connected'])"
rpc listsinceblock "[\"$OLD\"]"
check "listsinceblock from stale cursor: removed" js "sorted(set(e['txid'] for e in d['result']['removed'])) == sorted(['$SEND', '$PAY']) and len(d['result']['removed']) == 4"
rpc gettransaction "[\"$SEND\"]"
check "own send re-mined in a new block" js "d['result']['confirmations'] == 4 and d['result']['blockhash'] != '$SENDBLK'"
rpc gettransaction "[\"$PAY\"]"
check "reorg drop_txs: outside payment gone (0 conf)" js "d['result']['confirmations'] == 0 and d['result']['trusted'] is False"
rpc abcsim_reorg '[0]'
check "abcsim_reorg 0 -8" err_code -8
rpc abcsim_pay "[[[\"$W1\", 2]]]"
P2=$(res)
rpc abcsim_conflict "[\"$P2\"]"
P3=$(res)
rpc gettransaction "[\"$P2\"]"
check "conflicted: confirmations -1, walletconflicts" js "d['result']['confirmations'] == -1 and d['result']['walletconflicts'] == ['$P3'] and d['result']['trusted'] is False"
rpc abcsim_conflict "[\"$P2\"]"
check "conflict of a non-mempool tx -8" err_code -8
rpc abcsim_mine '[3]'
rpc gettransaction "[\"$P2\"]"
check "conflicted after 3 blocks: -3" js "d['result']['confirmations'] == -3"
rpc abcsim_pay "[[[\"$W1\", 4]]]"
P4=$(res)
rpc abcsim_mine
rpc abcsim_reorg '[1, false]'
rpc gettransaction "[\"$P4\"]"
check "reorg drop_txs=false re-mines outside tx" js "d['result']['confirmations'] == 2"
rpc abcsim_slow '[300]'
T0=$(date +%s%N)
rpc getblockcount
T1=$(date +%s%N)
check "abcsim_slow delays answers" [ $(( (T1 - T0) / 1000000 )) -ge 280 ]
rpc abcsim_slow '[0]'
rpc abcsim_slow '[-1]'
check "abcsim_slow -1 -8" err_code -8
# Windows of 5 s, not 1: on a loaded machine the next curl came more than 1 s later and
# found the stand-in up again (seen in a full run beside other builds).
rpc abcsim_down '[5]'
check "abcsim_down answers first" js 'd["result"] is None'
CODE=$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" --data-binary '{"method":"getblockcount"}' "http://127.0.0.1:$PORT/")
check "down: connection refused" [ "$CODE" = 000 ]
sleep 5.5
rpc getblockcount
check "up again after the time" js 'type(d["result"]) is int'
rpc abcsim_warmup '[5]'
rpc abcsim_mine
check "control works during warm-up" js 'len(d["result"]) == 1'
rpc getbalances
check "wallet -28 during warm-up" err_code -28
sleep 5.2
# conformance.py: field presence and JSON types (output indented).
conformance() {
	python3 "$(dirname "$0")/conformance.py" --port "$PORT" --auth "$AUTH" >"$TMP/conf.out" 2>&1
	rc=$?
	sed 's/^/#   /' "$TMP/conf.out"
	return $rc
}
check "conformance.py (schemas from the reference)" conformance
rpc getbalances
cp "$TMP/body" "$TMP/bal.before"
rpc getblockcount
H=$(res)
kill -9 "$SIMPID"; wait "$SIMPID" 2>/dev/null; SIMPID=
start_sim "$TMP/sim9.log" --datadir "$TMP/d" --rpcuser u --rpcpassword p || exit 1
rpc getbalances
check "kill -9 + restart keeps the wallet" cmp -s "$TMP/bal.before" "$TMP/body"
rpc getblockcount
check "kill -9 + restart keeps the chain" js "d['result'] == $H"
rpc getnewaddress
check "address counter persisted" sh -c "python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))[\"result\"]; sys.exit(0 if a not in (\"$W1\",\"$W2\") else 1)' $TMP/body"
stop_sim

start_sim "$TMP/sim1.log" --datadir "$TMP/d" --rpcuser u --rpcpassword p || exit 1
rpc getblockcount
H5=$(res)
rpc getbestblockhash
LAST=$(res)

# --- restart keeps the chain ---
stop_sim
check "SIGTERM exits 0" [ $? -eq 0 ]
check "exit logged" grep -q 'event=exit status=0' "$TMP/sim1.log"
start_sim "$TMP/sim2.log" --datadir "$TMP/d" --rpcuser u --rpcpassword p || exit 1
post '{"method":"getblockcount","id":1}'
check "restart keeps height" js "d['result'] == $H5"
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

# --- --rpcpassword-file: the first line of the file, never on the command line ---
printf 'from-file\n' >"$TMP/pass"
start_sim "$TMP/sim4.log" --datadir "$TMP/f" --rpcuser u \
    --rpcpassword-file "$TMP/pass" || exit 1
AUTH=u:from-file post '{"method":"getblockcount","id":1}'
check "--rpcpassword-file: the file's password works" js 'd["result"] == 0'
AUTH=u:from-file2 post '{"method":"getblockcount","id":1}'
check "--rpcpassword-file: another password is refused" status_is 401
stop_sim
: >"$TMP/empty"
# (timeout: a sim that wrongly starts would listen for ever)
timeout 5 "$SIM" --listen 127.0.0.1:0 --datadir "$TMP/f" --rpcuser u \
    --rpcpassword-file "$TMP/empty" 2>"$TMP/f.log"
check "an empty --rpcpassword-file is refused" [ $? -eq 1 ]
timeout 5 "$SIM" --listen 127.0.0.1:0 --datadir "$TMP/f" --rpcuser u \
    --rpcpassword-file "$TMP/missing" 2>"$TMP/f.log"
check "a missing --rpcpassword-file is refused, named" \
    grep -q 'rpcpassword-file: cannot open' "$TMP/f.log"
timeout 5 "$SIM" --listen 127.0.0.1:0 --datadir "$TMP/f" --rpcuser u \
    --rpcpassword p --rpcpassword-file "$TMP/pass" 2>"$TMP/f.log"
check "--rpcpassword with --rpcpassword-file is refused" [ $? -eq 1 ]

# --- refuses non-loopback ---
"$SIM" --listen 0.0.0.0:0 --datadir "$TMP/n" --rpcuser u --rpcpassword p 2>"$TMP/n.log"
check "non-loopback refused" [ $? -ne 0 ]

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
