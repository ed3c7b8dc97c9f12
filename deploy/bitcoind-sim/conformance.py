#!/usr/bin/env python3
"""Field presence and JSON type conformance of abc-bitcoind-sim.

Builds some history on a running sim (addresses, coinbases, an outside
payment, blocks, a send, a conflict, a reorg), then checks every answer of
each method against a schema written from the wire reference
(/work/shared/reference/bitcoind-rpc.md, sections 1.3, 2, 3 and 4): each
required field present, no unknown field, each field's JSON type, and every
amount written as a JSON number with exactly 8 decimals.  Confirmed wallet
entries and transactions must carry blockhash, blockheight, blockindex and
blocktime (blockheight = tip - confirmations + 1), unconfirmed ones none.

usage: conformance.py --port PORT [--auth USER:PASS] [--wallet NAME]
Prints one line per method and "N passed, N failed"; exits 1 on failure.
Python 3 standard library only.
"""

import argparse
import base64
import json
import re
import sys
import urllib.error
import urllib.request

AMOUNT_RE = re.compile(r"-?[0-9]+\.[0-9]{8}")

# Types: int, num (int or float), str, hex64, bool, amount, arr, obj,
# arr:str, arr:hex64.  A name ending in "?" is optional.
TX_FIELDS = {
    "confirmations": "int", "generated?": "bool", "blockhash?": "hex64",
    "blockheight?": "int", "blockindex?": "int", "blocktime?": "int",
    "trusted?": "bool", "txid": "hex64", "wtxid": "hex64",
    "walletconflicts": "arr:hex64", "mempoolconflicts": "arr:hex64",
    "time": "int", "timereceived": "int", "bip125-replaceable": "str",
    "comment?": "str", "to?": "str", "replaced_by_txid?": "hex64",
    "replaces_txid?": "hex64",
}
SEND_ENTRY = {"involvesWatchonly?": "bool", "address?": "str",
              "category": "str", "amount": "amount", "label?": "str",
              "vout": "int", "fee": "amount", "abandoned": "bool"}
RECV_ENTRY = {"involvesWatchonly?": "bool", "address?": "str",
              "parent_descs": "arr:str", "category": "str",
              "amount": "amount", "label?": "str", "vout": "int",
              "abandoned": "bool"}
LASTBLOCK = {"hash": "hex64", "height": "int"}
SCHEMAS = {
    "getblockchaininfo": {
        "chain": "str", "blocks": "int", "headers": "int",
        "bestblockhash": "hex64", "difficulty": "num", "time": "int",
        "mediantime": "int", "verificationprogress": "num",
        "initialblockdownload": "bool", "chainwork": "hex64",
        "size_on_disk": "int", "pruned": "bool", "pruneheight?": "int",
        "automatic_pruning?": "bool", "prune_target_size?": "int",
        "warnings": "arr:str"},
    "getaddressinfo": {
        "address": "str", "scriptPubKey": "str", "ismine": "bool",
        "solvable": "bool", "desc?": "str", "parent_desc?": "str",
        "iswatchonly": "bool", "isscript?": "bool", "iswitness": "bool",
        "witness_version?": "int", "witness_program?": "str",
        "script?": "str", "hex?": "str", "pubkeys?": "arr:str",
        "sigsrequired?": "int", "pubkey?": "str", "embedded?": "obj",
        "iscompressed?": "bool", "ischange": "bool", "timestamp?": "int",
        "hdkeypath?": "str", "hdseedid?": "str",
        "hdmasterfingerprint?": "str", "labels": "arr:str"},
    "validateaddress": {
        "isvalid": "bool", "address?": "str", "scriptPubKey?": "str",
        "isscript?": "bool", "iswitness?": "bool",
        "witness_version?": "int", "witness_program?": "str",
        "error_locations?": "arr", "error?": "str"},
    "listunspent": {
        "txid": "hex64", "vout": "int", "address?": "str", "label?": "str",
        "scriptPubKey": "str", "amount": "amount", "confirmations": "int",
        "ancestorcount?": "int", "ancestorsize?": "int",
        "ancestorfees?": "int", "redeemScript?": "str",
        "witnessScript?": "str", "spendable": "bool", "solvable": "bool",
        "reused?": "bool", "desc?": "str", "parent_descs": "arr:str",
        "safe": "bool"},
    "getbalances": {"mine": "obj", "watchonly?": "obj",
                    "lastprocessedblock": "obj"},
    "balances.mine": {"trusted": "amount", "untrusted_pending": "amount",
                      "immature": "amount", "used?": "amount"},
    "lastprocessedblock": LASTBLOCK,
    "gettransaction": dict({"amount": "amount", "fee?": "amount"},
                           **TX_FIELDS, details="arr", hex="str",
                           decoded="obj", lastprocessedblock="obj"),
    "listsinceblock": {"transactions": "arr", "removed?": "arr",
                       "lastblock": "hex64"},
    "sendtoaddress.verbose": {"txid": "hex64", "fee_reason": "str"},
    "getblock": {
        "hash": "hex64", "confirmations": "int", "height": "int",
        "version": "int", "versionHex": "str", "merkleroot": "hex64",
        "time": "int", "mediantime": "int", "nonce": "int", "bits": "str",
        "difficulty": "num", "chainwork": "hex64", "nTx": "int",
        "previousblockhash?": "hex64", "nextblockhash?": "hex64",
        "strippedsize": "int", "size": "int", "weight": "int",
        "tx": "arr:str"},
    "error": {"code": "int", "message": "str"},
    "reply.legacy": {"result": "any", "error": "any", "id?": "any"},
}
SCHEMAS["gettransaction"]["decoded?"] = SCHEMAS["gettransaction"].pop(
    "decoded")
SEND_LONG = dict(SEND_ENTRY, **TX_FIELDS)
RECV_LONG = dict(RECV_ENTRY, **TX_FIELDS)
SEND_LONG["generated?"] = "bool"


class Sim:
    """A minimal JSON-RPC client keeping the raw text of each answer."""

    def __init__(self, port, auth, wallet):
        self.base = "http://127.0.0.1:%d" % port
        self.auth = "Basic " + base64.b64encode(auth.encode()).decode()
        self.wallet = wallet
        self.raw = ""

    def call(self, method, *params, path=None):
        body = json.dumps({"method": method, "params": list(params),
                           "id": 1}).encode()
        url = self.base + (path if path is not None else
                           "/wallet/" + self.wallet)
        req = urllib.request.Request(url, data=body, headers={
            "Authorization": self.auth,
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                self.raw = r.read().decode()
        except urllib.error.HTTPError as e:
            self.raw = e.read().decode()
        return json.loads(self.raw)

    def ok(self, method, *params):
        d = self.call(method, *params)
        if d.get("error") is not None:
            raise RuntimeError("%s: %s" % (method, d["error"]))
        return d["result"]


def type_ok(value, t):
    """Does the JSON value have schema type t?"""
    if t == "any":
        return True
    if t == "int" or t == "amount":
        return type(value) is int if t == "int" else \
            type(value) in (int, float)
    if t == "num":
        return type(value) in (int, float)
    if t == "str":
        return type(value) is str
    if t == "hex64":
        return type(value) is str and re.fullmatch("[0-9a-f]{64}",
                                                   value) is not None
    if t == "bool":
        return type(value) is bool
    if t == "obj":
        return type(value) is dict
    if t.startswith("arr"):
        inner = t[4:]
        return type(value) is list and all(
            type_ok(v, inner) for v in value) if inner else \
            type(value) is list
    return False


def check_obj(obj, schema, where, problems):
    """Append to problems every missing, unknown or mistyped field."""
    if type(obj) is not dict:
        problems.append("%s: not an object" % where)
        return
    names = {k.rstrip("?"): (k.endswith("?"), t) for k, t in schema.items()}
    for k, (optional, t) in names.items():
        if k not in obj:
            if not optional:
                problems.append("%s: missing %s" % (where, k))
        elif not type_ok(obj[k], t):
            problems.append("%s: %s has type %s, want %s" % (
                where, k, type(obj[k]).__name__, t))
    for k in obj:
        if k not in names:
            problems.append("%s: unknown field %s" % (where, k))


def amounts_ok(raw, problems, where):
    """Every amount-like member of the raw text has exactly 8 decimals."""
    keys = "amount|fee|trusted|untrusted_pending|immature|used"
    found = re.findall(r'"(?:%s)":(-?[0-9][0-9.eE+-]*)' % keys, raw)
    for tok in found:
        if not AMOUNT_RE.fullmatch(tok):
            problems.append("%s: amount %s lacks 8 decimals" % (where, tok))
    return found


BLOCK_FIELDS = ("blockhash", "blockheight", "blockindex", "blocktime")


def check_block_fields(obj, where, chain, problems):
    """A confirmed tx has all block fields, its height matching its depth
    below the tip (chain = (tip height, tip hash)); an unconfirmed one has
    none of them."""
    conf = obj.get("confirmations")
    if type(conf) is not int:
        return
    if conf <= 0:
        for k in BLOCK_FIELDS:
            if k in obj:
                problems.append("%s: unconfirmed, has %s" % (where, k))
        return
    for k in BLOCK_FIELDS:
        if k not in obj:
            problems.append("%s: confirmed, no %s" % (where, k))
    tip, best = chain
    h = obj.get("blockheight")
    if type(h) is int and h != tip - conf + 1:
        problems.append("%s: blockheight %d, want tip %d - %d + 1" % (
            where, h, tip, conf))
    if conf == 1 and "blockhash" in obj and obj["blockhash"] != best:
        problems.append("%s: 1 confirmation, blockhash not the tip" % where)


def check_entries(entries, where, long_fields, problems, chain=None):
    for i, e in enumerate(entries):
        if type(e) is not dict:
            problems.append("%s[%d]: not an object" % (where, i))
            continue
        send = e.get("category") == "send"
        schema = (SEND_LONG if send else RECV_LONG) if long_fields else \
            (SEND_ENTRY if send else RECV_ENTRY)
        check_obj(e, schema, "%s[%d]" % (where, i), problems)
        if e.get("category") not in ("send", "receive", "generate",
                                     "immature", "orphan"):
            problems.append("%s[%d]: bad category" % (where, i))
        if long_fields:
            check_block_fields(e, "%s[%d]" % (where, i), chain, problems)
        if long_fields and e.get("confirmations", 0) <= 0 and \
                "trusted" not in e:
            problems.append("%s[%d]: unconfirmed, no trusted" % (where, i))


def history(sim):
    """Make addresses, coins, a payment, blocks, a send and a reorg."""
    h = {}
    h["a1"] = sim.ok("getnewaddress", "conf-a")
    h["a2"] = sim.ok("getnewaddress", "conf-b")
    sim.ok("generatetoaddress", 101, h["a1"])
    h["cursor"] = sim.ok("getbestblockhash")
    h["pay"] = sim.ok("abcsim_pay", [[h["a1"], 0.25], [h["a2"], "1.5"],
                                     [h["a2"], 0.00000001]])
    sim.ok("abcsim_mine", 1)
    h["send"] = sim.ok("sendtoaddress", h["a2"], "0.3", "conformance")
    h["stale"] = sim.ok("abcsim_mine", 2)[-1]
    sim.ok("abcsim_reorg", 2)
    h["conflicted"] = sim.ok("abcsim_pay", [[h["a1"], 0.125]])
    sim.ok("abcsim_conflict", h["conflicted"])
    h["pending"] = sim.ok("abcsim_pay", [[h["a2"], 0.5]])
    return h


def run(sim, h):
    """Yield (name, problems) per method."""
    def top(method, *params, schema=None, path=None):
        d = sim.call(method, *params, path=path)
        p = []
        check_obj(d, SCHEMAS["reply.legacy"], method + " reply", p)
        if d.get("error") is not None:
            p.append("%s: error %s" % (method, d["error"]))
        return d.get("result"), p

    r, p = top("getblockcount")
    if type(r) is not int:
        p.append("getblockcount: result not int")
    yield "getblockcount", p
    r, p = top("getbestblockhash")
    if not type_ok(r, "hex64"):
        p.append("getbestblockhash: result not hex64")
    yield "getbestblockhash", p
    r, p = top("getblockchaininfo")
    check_obj(r, SCHEMAS["getblockchaininfo"], "getblockchaininfo", p)
    yield "getblockchaininfo", p
    r, p = top("getnewaddress", "x")
    if not (type(r) is str and r.startswith("bcrt1")):
        p.append("getnewaddress: result not a regtest address")
    yield "getnewaddress", p
    p = []
    for a in (h["a1"], "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"):
        r, q = top("getaddressinfo", a)
        p += q
        check_obj(r, SCHEMAS["getaddressinfo"], "getaddressinfo", p)
    yield "getaddressinfo", p
    p = []
    for a in (h["a1"], "bcrt1qnotvalid", ""):
        r, q = top("validateaddress", a)
        p += q
        check_obj(r, SCHEMAS["validateaddress"], "validateaddress", p)
        if type(r) is dict and r.get("isvalid") is False and (
                "error" not in r or "error_locations" not in r):
            p.append("validateaddress: invalid lacks error fields")
    yield "validateaddress", p
    p = []
    for a, mc in ((h["a2"], 0), (h["a2"], 1), (h["a1"], 6)):
        r, q = top("getreceivedbyaddress", a, mc)
        p += q
        if not type_ok(r, "amount"):
            p.append("getreceivedbyaddress: result not a number")
        amounts_ok(sim.raw.replace('"result"', '"amount"'), p,
                   "getreceivedbyaddress")
    yield "getreceivedbyaddress", p
    r, p = top("getbalances")
    check_obj(r, SCHEMAS["getbalances"], "getbalances", p)
    if type(r) is dict:
        check_obj(r.get("mine"), SCHEMAS["balances.mine"], "mine", p)
        check_obj(r.get("lastprocessedblock"), LASTBLOCK, "lpb", p)
    amounts_ok(sim.raw, p, "getbalances")
    yield "getbalances", p
    r, p = top("listunspent", 0)
    if type(r) is not list or not r:
        p.append("listunspent: empty or not an array")
    for i, u in enumerate(r or []):
        check_obj(u, SCHEMAS["listunspent"], "listunspent[%d]" % i, p)
    amounts_ok(sim.raw, p, "listunspent")
    yield "listunspent", p
    p = []
    chain = (sim.ok("getblockcount"), sim.ok("getbestblockhash"))
    confirmed = 0
    for t in (h["pay"], h["send"], h["conflicted"], h["pending"]):
        r, q = top("gettransaction", t)
        p += q
        check_obj(r, SCHEMAS["gettransaction"], "gettransaction", p)
        if type(r) is dict:
            check_block_fields(r, "gettransaction", chain, p)
            confirmed += r.get("confirmations", 0) > 0
            for k in BLOCK_FIELDS:
                if any(k in d for d in r.get("details", [])
                       if type(d) is dict):
                    p.append("gettransaction: %s in details" % k)
            check_entries(r.get("details", []), "details", False, p)
            check_obj(r.get("lastprocessedblock"), LASTBLOCK, "lpb", p)
        amounts_ok(sim.raw, p, "gettransaction")
    if not confirmed:
        p.append("gettransaction: no confirmed transaction to check")
    yield "gettransaction", p
    p = []
    for args in ((), (h["cursor"],), (h["stale"], 6)):
        r, q = top("listsinceblock", *args)
        p += q
        check_obj(r, SCHEMAS["listsinceblock"], "listsinceblock", p)
        if type(r) is dict:
            check_entries(r.get("transactions", []), "transactions",
                          True, p, chain)
            check_entries(r.get("removed", []), "removed", True, p, chain)
        amounts_ok(sim.raw, p, "listsinceblock")
    if type(r) is dict and not r.get("removed"):
        p.append("listsinceblock: stale cursor gave no removed entries")
    yield "listsinceblock", p
    p = []
    tip = sim.ok("getblockcount")
    for height in (0, tip):
        r, q = top("getblockhash", height)
        p += q
        if not type_ok(r, "hex64"):
            p.append("getblockhash %d: not a hash" % height)
    if r != sim.ok("getbestblockhash"):
        p.append("getblockhash(tip) is not getbestblockhash")
    for bad in (-1, tip + 1):
        d = sim.call("getblockhash", bad)
        if (d.get("error") or {}).get("code") != -8:
            p.append("getblockhash %d: not -8" % bad)
    yield "getblockhash", p
    p = []
    for hsh, active in ((sim.ok("getblockhash", 1), True),
                        (sim.ok("getbestblockhash"), True),
                        (h["stale"], False)):
        r, q = top("getblock", hsh, 1)
        p += q
        check_obj(r, SCHEMAS["getblock"], "getblock", p)
        if type(r) is dict:
            if (r.get("confirmations", 0) > 0) != active:
                p.append("getblock %s: confirmations %s" % (
                    hsh[:8], r.get("confirmations")))
            if r.get("nTx") != len(r.get("tx", [])):
                p.append("getblock: nTx is not len(tx)")
    d = sim.call("getblock", "ab" * 32)
    if (d.get("error") or {}).get("code") != -5:
        p.append("getblock unknown: not -5")
    yield "getblock", p
    p = []
    everything = []
    for skip in range(0, 1000, 3):
        r, q = top("listtransactions", "*", 3, skip)
        p += q
        if type(r) is not list:
            break
        check_entries(r, "listtransactions", True, p, chain)
        everything = r + everything     # pages come oldest first
        if len(r) < 3:
            break
    r, q = top("listtransactions", "*", 1000, 0)
    p += q
    if [(e["txid"], e["vout"], e["category"]) for e in everything] != \
            [(e["txid"], e["vout"], e["category"]) for e in r or []]:
        p.append("listtransactions: pages of 3 differ from one page")
    if not r or r[-1]["txid"] != h["pending"]:
        p.append("listtransactions: the newest entry is not the last")
    for args, code in ((("*", -1), -8), (("*", 1, -1), -8)):
        d = sim.call("listtransactions", *args)
        if (d.get("error") or {}).get("code") != code:
            p.append("listtransactions %s: not %d" % (args, code))
    amounts_ok(sim.raw, p, "listtransactions")
    yield "listtransactions", p
    r, p = top("sendtoaddress", h["a1"], 0.01)
    if not type_ok(r, "hex64"):
        p.append("sendtoaddress: result not a txid")
    r, q = top("sendtoaddress", h["a1"], 0.01, None, None, None, None,
               None, None, None, None, True)
    p += q
    check_obj(r, SCHEMAS["sendtoaddress.verbose"], "sendtoaddress", p)
    yield "sendtoaddress", p
    p = []
    cases = [("getnewaddress", ("*",), None), ("gettransaction", ("00",),
             None), ("sendtoaddress", (h["a1"], 1e9), None),
             ("getbalances", (), "/wallet/nosuchwallet"),
             ("nosuchmethod", (), None), ("listsinceblock", ("ab" * 32,),
             None)]
    for method, params, path in cases:
        d = sim.call(method, *params, path=path)
        check_obj(d, SCHEMAS["reply.legacy"], method + " reply", p)
        if d.get("result") is not None:
            p.append("%s: error reply has a result" % method)
        check_obj(d.get("error"), SCHEMAS["error"], method + " error", p)
    yield "error objects", p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--auth", default="u:p")
    ap.add_argument("--wallet", default="abc")
    a = ap.parse_args()
    sim = Sim(a.port, a.auth, a.wallet)
    passed = failed = 0
    try:
        h = history(sim)
        results = list(run(sim, h))
    except (RuntimeError, OSError, ValueError) as e:
        print("not ok - history: %s" % e)
        print("0 passed, 1 failed")
        return 1
    for name, problems in results:
        if problems:
            failed += 1
            print("not ok - %s: %s" % (name, "; ".join(problems[:5])))
        else:
            passed += 1
            print("ok - %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
