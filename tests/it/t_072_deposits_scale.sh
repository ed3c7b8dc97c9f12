#!/usr/bin/env bash
# Deposits at any size (issue 9, SPEC 4.2): a wallet holding 25 000 deposit
# outputs to 200 addresses of 5 users, in 12 blocks: ten blocks of 1 000
# outputs, one block of 12 000 (four transactions of 3 000, the most a
# standard transaction holds), then 3 000 unconfirmed at once (seen as
# pending, then mined).  Every output is credited exactly once per
# (txid, vout), nothing is missed, each user's balance is the sum sent to
# them; a withdrawal requested while the follower works on the big block
# is paid.  The wallet's listsinceblock answer is by then over abc-worker's
# 8 MiB response bound (the follower no longer needs one answer for the
# whole wallet).  Prints the figures: time to credit, abc-worker's memory.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="s$$$((RANDOM % 100))"
PW="pw-$RUN-secret-pass"
IMG="$ABC_ROOT/tests/fuzz/corpus/image"
FUND=0
# shellcheck source=tests/it/market_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/market_lib.sh"
SIM="$ABC_ROOT/deploy/sim"
EXT=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080
NU=5
NA=40 # addresses per user
T_START=$(now_ms)
elapsed() { echo "$(($(now_ms) - $1))"; }

# simpy ARGS...: the stand-in driver below (JSON-RPC batches straight to it).
simpy() {
    python3 - "$ABC_SIM_PORT" "$(cat "$ABC_SECRET")" "$IT_TMP" "$@" <<'EOF'
import base64, json, sys, urllib.request
port, pw, tmp, cmd, *args = sys.argv[1:]
auth = "Basic " + base64.b64encode(("abc:" + pw).encode()).decode()
def rpc(body):
    req = urllib.request.Request("http://127.0.0.1:%s/wallet/abc" % port,
        data=json.dumps(body).encode(), headers={"Authorization": auth,
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())
def call(method, *params):
    d = rpc({"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)})
    if d.get("error"):
        raise SystemExit("%s: %s" % (method, d["error"]))
    return d["result"]
if cmd == "addresses":          # addresses N UID...: N new ones each -> "address uid" lines
    n = int(args[0]); uids = args[1:]
    reqs = [{"jsonrpc": "1.0", "id": k, "method": "getnewaddress",
             "params": ["abc-user-" + u]} for k, u in enumerate(u for u in uids for _ in range(n))]
    for q, r in zip(reqs, rpc(reqs)):
        print(r["result"], q["params"][0][len("abc-user-"):])
elif cmd == "pay":              # pay PHASE NTX NOUT MINE: NTX txs of NOUT outputs; MINE blocks after each / all
    phase, ntx, nout, mine = args[0], int(args[1]), int(args[2]), args[3]
    addrs = [l.split()[0] for l in open(tmp + "/addrs")]
    totals = {}
    k = 0
    for t in range(ntx):
        outs = []
        for _ in range(nout):
            a = addrs[(k * 7 + t) % len(addrs)]
            sat = 10000 + (k * 7919 + len(phase)) % 90000
            outs.append([a, "%d.%08d" % (sat // 10**8, sat % 10**8)])
            totals[a] = totals.get(a, 0) + sat
            k += 1
        call("abcsim_pay", outs)
        if mine == "each":
            call("abcsim_mine", 1)
    if mine == "all":
        call("abcsim_mine", 1)
    with open(tmp + "/sent." + phase, "w") as f:
        for a, s in totals.items():
            print(a, s, file=f)
EOF
}
# ours STATUS: how many of this test's outputs (its users' addresses) have STATUS.
ours() {
    psql_abc -c "SELECT count(*) FROM deposits d JOIN users u ON u.id = d.user_id
        WHERE u.username LIKE 'sc%\_$RUN' AND d.status = '$1'"
}
ours_is() { [[ "$(ours "$1")" == "$2" ]]; }
# rss_watch: samples abc-worker's VmRSS (kB) every 0.5 s into $IT_TMP/rss until stopped.
rss_watch() {
    while sleep 0.5; do
        local p
        p=$(pid_of worker 2>/dev/null) || continue
        awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null >>"$IT_TMP/rss" || true
    done
}
withdraw() { # withdraw VIA USER ADDRESS AMOUNT: prints "status location"
    local c
    c=$(csrf_of "$(jar "$2")" "$1")
    web "$1" /account/withdraw -b "$(jar "$2")" -o "$IT_TMP/wd" -w '%{http_code} %{redirect_url}' \
        --data-urlencode "csrf=$c" --data-urlencode "idem=$(new_idem)" \
        --data-urlencode "address=$3" --data-urlencode "amount=$4" --data-urlencode "password=$PW"
}
wd_status() { psql_abc -c "SELECT status FROM withdrawals WHERE id = $1"; }
wd_is() { [[ "$(wd_status "$1")" == "$2" ]]; }

# --- setup: 5 users, 40 deposit addresses each ---------------------------------
ok=0
for i in $(seq 1 $NU); do
    [[ "$(register "sc${i}_$RUN" $(((i % 2) + 1)))" == 303 ]] && ok=$((ok + 1))
done
check "$NU users register" test "$ok" = "$NU"
UIDS=$(psql_abc -c "SELECT string_agg(id::text, ' ' ORDER BY id) FROM users WHERE username LIKE 'sc%\_$RUN'")
# shellcheck disable=SC2086
simpy addresses "$NA" $UIDS >"$IT_TMP/addrs"
awk '{printf "INSERT INTO deposit_addresses (address, user_id) VALUES (%c%s%c, %s);\n", 39, $1, 39, $2}' \
    "$IT_TMP/addrs" | psql_abc -q >/dev/null
check "...with $((NU * NA)) deposit addresses from the wallet (getnewaddress, labelled)" test \
    "$(psql_abc -c "SELECT count(*) FROM deposit_addresses d JOIN users u ON u.id = d.user_id WHERE u.username LIKE 'sc%\_$RUN'")" = $((NU * NA))
: >"$IT_TMP/rss"
rss_watch &
RSS_PID=$!
trap 'kill $RSS_PID 2>/dev/null || true; rm -rf "$IT_TMP"' EXIT
RSS0=$(awk '/^VmRSS/ {print $2}' "/proc/$(pid_of worker)/status")

# --- 1. ten blocks of 1 000 outputs ---------------------------------------------
t0=$(now_ms)
simpy pay blocks 10 1000 each
echo "  10 transactions of 1 000 outputs, each mined, made in $(elapsed "$t0") ms"
check "within 60 s the 10 000 outputs of 10 blocks are credited" wait_until 60 ours_is credited 10000
T1=$(elapsed "$t0")
echo "  10 000 credited $T1 ms after the first payment"

# --- 2. one block of 12 000, and a withdrawal meanwhile ---------------------------
t0=$(now_ms)
simpy pay big 4 3000 all
echo "  4 transactions of 3 000 outputs mined in one block, made in $(elapsed "$t0") ms"
out=$(withdraw 1 "sc1_$RUN" "$EXT" 0.05)
W=$(psql_abc -c "SELECT max(w.id) FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE u.username = 'sc1_$RUN'")
check "a withdrawal of 0.05 BTC requested meanwhile is accepted ($out)" bash -c "[[ '$out' == '303 '* && -n '$W' ]]"
check "...and paid within 30 s, whatever the follower is doing" wait_until 30 wd_is "$W" sent
echo "  withdrawal #$W sent $(elapsed "$t0") ms after the big block was mined"
check "within 90 s the 12 000 outputs of the one block are credited too (22 000)" wait_until 90 ours_is credited 22000
T2=$(elapsed "$t0")
echo "  12 000 credited $T2 ms after the payments"
SIZE=$(curl -s -o /dev/null -w '%{size_download}' -u "abc:$(cat "$ABC_SECRET")" \
    --data-binary '{"jsonrpc":"1.0","id":1,"method":"listsinceblock","params":[]}' \
    "http://127.0.0.1:$ABC_SIM_PORT/wallet/abc")
check "the wallet's listsinceblock answer is now over the 8 MiB bound ($SIZE bytes)" test "$SIZE" -gt 8388608

# --- 3. 3 000 unconfirmed at once, then mined ---------------------------------------
t0=$(now_ms)
simpy pay burst 1 3000 none
check "within 30 s the 3 000 unconfirmed outputs are pending" wait_until 30 ours_is pending 3000
echo "  3 000 pending $(elapsed "$t0") ms after the payment"
"$SIM" mine 1 >/dev/null
check "within 30 s of one block all 25 000 are credited" wait_until 30 ours_is credited 25000
T3=$(elapsed "$t0")
kill "$RSS_PID" 2>/dev/null || true
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$(pid_of worker)/status")
RSSMAX=$(sort -n "$IT_TMP/rss" | tail -1)

# --- the ledger --------------------------------------------------------------------
check "exactly 25 000 deposits rows, none pending, dropped or reorged" test \
    "$(psql_abc -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'credited') FROM deposits d JOIN users u ON u.id = d.user_id WHERE u.username LIKE 'sc%\_$RUN'")" = "25000 25000"
check "every one has exactly one deposit transfer (txid:vout)" test "$(psql_abc -c "
    SELECT count(*) FROM deposits d JOIN users u ON u.id = d.user_id
    WHERE u.username LIKE 'sc%\_$RUN' AND (SELECT count(*) FROM ledger_transfers t
        WHERE t.kind = 'deposit' AND t.reference = d.txid || ':' || d.vout) <> 1")" = 0
cat "$IT_TMP"/sent.* | awk '{print $1, $2}' >"$IT_TMP/sent"
bad=0
for i in $(seq 1 $NU); do
    want=$(psql_abc -c "SELECT address FROM deposit_addresses d JOIN users u ON u.id = d.user_id WHERE u.username = 'sc${i}_$RUN'" |
        awk 'NR==FNR {s[$1] += $2; next} {t += s[$1]} END {print t + 0}' "$IT_TMP/sent" -)
    ((i == 1)) && want=$((want - 5000000))
    got=$(balance "sc${i}_$RUN")
    [[ "$got" == "$want" ]] || {
        echo "  sc${i}: balance $got, sent $want"
        bad=$((bad + 1))
    }
done
check "each user's balance is the sum sent to them (less user 1's withdrawal)" test "$bad" = 0
check "ledger invariants hold" invariants

echo "  figures: 25 000 outputs; 10 blocks x 1 000 credited in $T1 ms; the 12 000-output block in $T2 ms;"
echo "           3 000 unconfirmed pending, then mined and credited in $T3 ms; abc-worker RSS before"
echo "           ${RSS0} kB, highest sample ${RSSMAX:-?} kB, VmHWM ${HWM} kB; t_072 took $(elapsed "$T_START") ms"
it_done
