"""The checker of the chaos test (issue 13), run after the heal.

It reads the history file (the workload's operations and the nemesis'
faults), PostgreSQL (through psql) and the stand-in's wallet, and checks:

- every acknowledged operation applied exactly once, every refused one
  not at all, every unknown one (the client gave up) at most once; an
  operation whose retry was answered is judged by that answer;
- no slot index sold twice, slots numbered 0..n-1, each sold slot's price
  equal to SPEC 4.4's formula at its commit time (bought_ms, recomputed
  here in Python integers, which first must agree with common/price.c on
  5 000 cases of tests/it/abc-pricecases), no more than the buyer accepted, its start and
  end as the schedule says, and its commit time within the buying
  operation's lifetime;
- every payment the stand-in's chain holds for a user's address credited
  exactly once, and nothing else credited;
- conservation: deposits credited - withdrawals - fees = the users'
  balances, each equal to what the user's /account page shows, and each
  user's balance equal to its own deposits - purchases + sales -
  withdrawals;
- every acknowledged withdrawal paid exactly once in the wallet, for its
  amount, under its recorded txid;
- sql/admin/check_invariants.sql passes; liveness after the heal.

Figures: lost = effects of acknowledged operations (or chain payments)
missing; doubled = effects applied more than once, applied although
refused, or present with no operation to explain them.  Memory: all
state is local to check().
"""
import json
import os
import subprocess
from collections import Counter, defaultdict
from decimal import Decimal

SAT = 100000000
CAP = 2100000000000000
SKEW_MS = 2000  # the worker's clock vs the client's (one machine)


def price_at(min_p, last, t0, t1, t):
    """common/price.c's price_at_ms (SPEC 4.4), in Python integers."""
    lo = min(max(min_p, 0), CAP)
    last = min(max(last, 0), CAP)
    p0 = CAP if last > CAP // 2 else 2 * last
    t = max(t, t0)
    if t >= t1 or p0 <= lo:
        return lo
    return lo + ((p0 - lo) * (t1 - t) + (t1 - t0) - 1) // (t1 - t0)


def formula_agrees(build, seed):
    """price_at against common/price.c on 5000 edge-heavy cases of
    tests/it/abc-pricecases; None when that program is not built."""
    prog = os.path.join(build, "tests/it/abc-pricecases")
    if not os.access(prog, os.X_OK):
        return None
    out = subprocess.run([prog, "5000", str(seed)], capture_output=True,
                         text=True, timeout=60).stdout.split("\n")
    for line in out:
        v = [int(x) for x in line.split()]
        if len(v) == 6 and price_at(*v[:5]) != v[5]:
            return "price_at%s = %d, common/price.c says %d" % (
                tuple(v[:5]), price_at(*v[:5]), v[5])
    return True


def sat(d):
    v = Decimal(d) * SAT
    return int(v)


class Findings:
    def __init__(self):
        self.problems = []
        self.lost = 0
        self.doubled = 0

    def bad(self, what, lost=0, doubled=0):
        self.problems.append(what)
        self.lost += lost
        self.doubled += doubled


def read_history(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def check(stack, history_path, run_id, root):
    """Returns (ok, summary line, list of problems)."""
    recs = read_history(history_path)
    ops = [r for r in recs if r["type"] == "op"]
    faults = Counter(r["kind"] for r in recs if r["type"] == "fault")
    finals = {r["user"]: r["balance"] for r in recs
              if r["type"] == "final_balance"}
    live = [r for r in recs if r["type"] == "liveness"]
    f = Findings()
    for r in recs:
        # SPEC 6: "logged out" only from an answer that said so.  These
        # users never log out, so being sent to /login (or told "not
        # logged in") after registering is a failure shown as a fact.
        if r["type"] == "complete" and r["op"] not in ("register",
                                                       "login") and (
                "/login" in (r.get("location") or "") or
                (r["status"] == 403 and r.get("info") == "logged_out")):
            f.bad("client %s %s %s: told it is not logged in (%s %s)" % (
                r["client"], r["op"], r["opid"], r["status"],
                r.get("location")))
        if r["type"] == "died":
            f.bad("%s died by itself (not the nemesis); its log ends: %s"
                  % (r["proc"], " | ".join(x.strip() for x in r["log"][-4:])))
        if r["type"] == "client_error":
            f.bad("workload client %s failed: %s" % (r["client"], r["error"]))

    like = run_id.replace("_", "\\_") + "\\_%"
    users = stack.sql("SELECT u.id, u.username, a.balance FROM users u "
                      "JOIN ledger_accounts a ON a.user_id = u.id WHERE "
                      "u.username LIKE '%s'" % like)
    uid = {u["username"]: u["id"] for u in users}
    uname = {u["id"]: u["username"] for u in users}
    balance = {u["id"]: u["balance"] for u in users}
    ids = ",".join(str(i) for i in uid.values()) or "0"
    camps = stack.sql("SELECT id, name, seller_id, min_price, slot_ms, "
                      "slots_sold FROM campaigns WHERE seller_id IN (%s)"
                      % ids)
    cids = ",".join(str(c["id"]) for c in camps) or "0"
    slots = stack.sql("SELECT campaign_id, idx, buyer_id, ad_id, price, fee,"
                      " bought_ms, start_ms, end_ms FROM slots WHERE "
                      "campaign_id IN (%s) OR buyer_id IN (%s) ORDER BY "
                      "campaign_id, idx" % (cids, ids))
    ads = stack.sql("SELECT id, user_id, nickname FROM ads WHERE user_id IN "
                    "(%s)" % ids)
    wds = stack.sql("SELECT id, user_id, amount, status, txid, address FROM "
                    "withdrawals WHERE user_id IN (%s)" % ids)
    deps = stack.sql("SELECT txid, vout, user_id, amount, status FROM "
                     "deposits WHERE user_id IN (%s)" % ids)
    addrs = {a["address"]: a["user_id"] for a in stack.sql(
        "SELECT address, user_id FROM deposit_addresses WHERE user_id IN "
        "(%s)" % ids)}
    dep_credit = {r["user_id"]: r["sum"] for r in stack.sql(
        "SELECT a.user_id, sum(t.amount)::bigint AS sum FROM ledger_transfers"
        " t JOIN ledger_accounts a ON a.id = t.credit_account WHERE t.kind ="
        " 'deposit' AND a.user_id IN (%s) GROUP BY 1" % ids)}
    fee_tx = {r["reference"]: r["amount"] for r in stack.sql(
        "SELECT t.reference, t.amount FROM ledger_transfers t JOIN slots s "
        "ON t.reference = s.campaign_id || ':' || s.idx WHERE t.kind = 'fee'"
        " AND (s.campaign_id IN (%s) OR s.buyer_id IN (%s))" % (cids, ids))}
    wallet = stack.rpc("listsinceblock", [], timeout=60)["transactions"]

    check_ops(f, ops, uid, camps, slots, ads, wds)
    check_slots(f, ops, uid, camps, slots)
    chain_in = check_deposits(f, ops, wallet, addrs, deps)
    check_payouts(f, wds, wallet)
    check_money(f, users, uname, balance, finals, camps, slots, wds,
                chain_in, dep_credit)
    check_fees(f, slots, fee_tx, fee_ppm(stack.state))

    agree = formula_agrees(os.environ.get("ABC_BUILD",
                                          os.path.join(root, "build")),
                           len(ops) + 1)
    if agree is None:
        f.bad("tests/it/abc-pricecases is not built: the price formula "
              "could not be checked against common/price.c")
    elif agree is not True:
        f.bad("the checker's price formula disagrees: %s" % agree)
    ok, out = stack.sql_file(os.path.join(root,
                                          "sql/admin/check_invariants.sql"))
    if not ok:
        f.bad("sql/admin/check_invariants.sql fails: %s" % out[-400:])
    if not live or not live[-1]["ok"]:
        f.bad("liveness: %s" % (live[-1] if live else "not run"))

    n = Counter(o["outcome"] for o in ops)
    reads = sum(1 for o in ops if o["op"] == "read")
    line = ("chaos: ops=%d (reads %d) acked=%d refused=%d unknown=%d "
            "faults=%s lost=%d doubled=%d liveness=%s problems=%d" % (
                len(ops), reads, n["ok"], n["refused"], n["unknown"],
                ",".join("%s:%d" % kv for kv in sorted(faults.items()))
                or "none", f.lost, f.doubled,
                "%.1fs" % live[-1]["seconds"] if live and live[-1]["ok"]
                else "FAILED", len(f.problems)))
    return not f.problems, line, f.problems


def by_kind(ops, kind):
    return [o for o in ops if o["op"] == kind]


def judge(f, what, outcome, applied):
    """One operation's outcome against how often its effect is there."""
    if outcome == "ok" and applied != 1:
        f.bad("%s: acknowledged, applied %d times" % (what, applied),
              lost=int(applied == 0), doubled=int(applied > 1))
    elif outcome == "refused" and applied != 0:
        f.bad("%s: refused, applied %d times" % (what, applied),
              doubled=1)
    elif outcome == "unknown" and applied > 1:
        f.bad("%s: unknown, applied %d times" % (what, applied), doubled=1)


def check_ops(f, ops, uid, camps, slots, ads, wds):
    for o in by_kind(ops, "register"):
        judge(f, "register %s" % o["username"], o["outcome"],
              int(o["username"] in uid))
    names = Counter(c["name"] for c in camps)
    explained = set()
    for o in by_kind(ops, "sell"):
        judge(f, "campaign %s" % o["name"], o["outcome"], names[o["name"]])
        explained.add(o["name"])
    for name in names:
        if name not in explained:
            f.bad("campaign %s exists without an operation" % name,
                  doubled=1)
    nicks = Counter(a["nickname"] for a in ads)
    explained = set()
    for o in by_kind(ops, "ad"):
        judge(f, "ad %s" % o["nickname"], o["outcome"], nicks[o["nickname"]])
        explained.add(o["nickname"])
    for nick in nicks:
        if nick not in explained:
            f.bad("ad %s exists without an operation" % nick, doubled=1)

    # Purchases: a slot (campaign, idx, buyer) is the effect of one of the
    # buyer's operations that confirmed that index (a refused one may be
    # followed by another for the same index): at most one of them may
    # have applied, the acknowledged one if there is one.
    held = Counter((s["campaign_id"], s["idx"], s["buyer_id"])
                   for s in slots)
    tried = defaultdict(list)
    for o in by_kind(ops, "buy"):
        tried[(o["campaign"], o["slot"], uid.get(o["user"]))].append(o)
        if o["outcome"] == "ok" and o["info"] != o["slot"]:
            f.bad("purchase %s of slot %d: answered bought=%s" % (
                o["opid"], o["slot"], o["info"]))
    for key, os_ in tried.items():
        what = "purchase%s %s of slot %d of campaign %d" % (
            "s" if len(os_) > 1 else "", "/".join(o["opid"] for o in os_),
            key[1], key[0])
        n = Counter(o["outcome"] for o in os_)
        if n["ok"] > 1:
            f.bad("%s: %d acknowledged, one slot" % (what, n["ok"]),
                  lost=n["ok"] - held[key])
        elif n["ok"] == 1:
            judge(f, what, "ok", held[key])
        elif n["unknown"]:
            judge(f, what, "unknown", held[key])
        else:
            judge(f, what, "refused", held[key])
    for key in held:
        if key not in tried:
            f.bad("slot %d of campaign %d bought by user %d without an "
                  "operation" % (key[1], key[0], key[2]), doubled=1)

    # Withdrawals: one amount names one withdrawal of a user.
    made = Counter((w["user_id"], w["amount"]) for w in wds)
    explained = set()
    for o in by_kind(ops, "withdraw"):
        key = (uid.get(o["user"]), o["sat"])
        judge(f, "withdrawal %s of %d sat by %s" % (o["opid"], o["sat"],
                                                    o["user"]),
              o["outcome"], made[key])
        explained.add(key)
    for key in made:
        if key not in explained:
            f.bad("withdrawal of %d sat by user %d without an operation"
                  % (key[1], key[0]), doubled=1)


def check_slots(f, ops, uid, camps, slots):
    per = defaultdict(list)
    for s in slots:
        per[s["campaign_id"]].append(s)
    camp = {c["id"]: c for c in camps}
    buys = {(o["campaign"], o["slot"], uid.get(o["user"])): o
            for o in by_kind(ops, "buy") if o["outcome"] == "ok"}
    for cid, ss in per.items():
        c = camp.get(cid)
        if c is None:
            f.bad("a user of the run bought on campaign %d, not the run's"
                  % cid)
            continue
        idxs = [s["idx"] for s in ss]
        if sorted(idxs) != list(range(len(ss))) or \
                len(ss) != c["slots_sold"]:
            f.bad("campaign %d: slots %s, slots_sold %d" % (
                cid, idxs, c["slots_sold"]), doubled=1)
            continue
        prev = None
        for s in ss:
            if prev is None:
                want = c["min_price"]
                start = s["bought_ms"]
            else:
                want = price_at(c["min_price"], prev["price"],
                                prev["bought_ms"], prev["end_ms"],
                                s["bought_ms"])
                start = max(s["bought_ms"], prev["end_ms"])
                if s["bought_ms"] < prev["bought_ms"]:
                    f.bad("campaign %d slot %d committed before slot %d"
                          % (cid, s["idx"], prev["idx"]))
            if s["price"] != want:
                f.bad("campaign %d slot %d sold for %d sat, the formula "
                      "says %d at %d" % (cid, s["idx"], s["price"], want,
                                         s["bought_ms"]))
            if s["start_ms"] != start or \
                    s["end_ms"] != start + c["slot_ms"]:
                f.bad("campaign %d slot %d runs %d-%d, not from %d for %d"
                      % (cid, s["idx"], s["start_ms"], s["end_ms"], start,
                         c["slot_ms"]))
            o = buys.get((cid, s["idx"], s["buyer_id"]))
            if o is not None:
                if s["price"] > o["max_sat"]:
                    f.bad("campaign %d slot %d: price %d above the accepted"
                          " %d" % (cid, s["idx"], s["price"], o["max_sat"]))
                lo = o["start"] * 1000 - SKEW_MS
                hi = o["end"] * 1000 + SKEW_MS
                if not lo <= s["bought_ms"] <= hi:
                    f.bad("campaign %d slot %d committed at %d, outside its"
                          " operation (%d-%d)" % (cid, s["idx"],
                                                  s["bought_ms"], lo, hi))
            prev = s


def check_deposits(f, ops, wallet, addrs, deps):
    """Chain payments vs credited deposits; returns {user: sat on chain}."""
    chain = {}
    for t in wallet:
        if t.get("category") == "receive" and t.get("address") in addrs \
                and t.get("confirmations", 0) >= 1:
            chain[(t["txid"], t["vout"])] = (addrs[t["address"]],
                                             sat(t["amount"]))
    rows = Counter((d["txid"], d["vout"]) for d in deps)
    credited = {(d["txid"], d["vout"]): d for d in deps
                if d["status"] == "credited"}
    per_user = defaultdict(int)
    for key, (user, amount) in chain.items():
        per_user[user] += amount
        d = credited.get(key)
        if rows[key] > 1:
            f.bad("deposit %s:%d recorded %d times" % (key + (rows[key],)),
                  doubled=1)
        if d is None:
            f.bad("payment %s:%d of %d sat on the chain, not credited"
                  % (key + (amount,)), lost=1)
        elif d["amount"] != amount or d["user_id"] != user:
            f.bad("payment %s:%d credited as %d sat to user %d, not %d to"
                  " %d" % (key + (d["amount"], d["user_id"], amount, user)))
    for key, d in credited.items():
        if key not in chain:
            f.bad("deposit %s:%d credited, not on the chain" % key,
                  doubled=1)
    for o in by_kind(ops, "deposit"):
        if o["outcome"] == "ok" and not any(k[0] == o["info"]
                                            for k in chain):
            f.bad("payment %s (%d sat) the stand-in accepted is not on the"
                  " chain" % (o["info"], o["sat"]))
    return per_user


def check_payouts(f, wds, wallet):
    sends = defaultdict(list)
    for t in wallet:
        c = t.get("comment") or ""
        if t.get("category") == "send" and c.startswith("abc-withdrawal-"):
            sends[c[len("abc-withdrawal-"):]].append(t)
    for w in wds:
        s = sends.get(str(w["id"]), [])
        if w["status"] == "approval" and not s:
            continue  # over the day's limit: it waits for an admin (4.5)
        if w["status"] != "sent":
            f.bad("withdrawal %d still %s after the heal" % (w["id"],
                                                           w["status"]),
                  lost=1)
            continue
        if len(s) != 1:
            f.bad("withdrawal %d paid %d times" % (w["id"], len(s)),
                  lost=int(not s), doubled=int(len(s) > 1))
            continue
        paid = -sat(s[0]["amount"]) - sat(s[0].get("fee", 0))
        if paid != w["amount"] or s[0]["txid"] != w["txid"] or \
                s[0].get("address") != w["address"]:
            f.bad("withdrawal %d: paid %d sat to %s in %s, recorded %d to "
                  "%s in %s" % (w["id"], paid, s[0].get("address"),
                                s[0]["txid"], w["amount"], w["address"],
                                w["txid"]))


def fee_ppm(state):
    """The platform fee abc-worker was started with (its config file)."""
    try:
        with open(os.path.join(state, "worker.conf")) as conf:
            for line in conf:
                key, _, value = line.partition("=")
                if key.strip() == "platform_fee_ppm":
                    return int(value.strip())
    except OSError:
        pass
    return 0


def check_fees(f, slots, fee_tx, ppm):
    """Each slot's fee is floor(price * ppm / 10^6), and the fees account
    got exactly that once (a 'fee' transfer for the slot, none for 0)."""
    for s in slots:
        ref = "%d:%d" % (s["campaign_id"], s["idx"])
        want = s["price"] * ppm // 1000000
        if s["fee"] != want:
            f.bad("slot %s: fee %d, the price %d at %d ppm makes %d" % (
                ref, s["fee"], s["price"], ppm, want))
        if fee_tx.get(ref, 0) != s["fee"]:
            f.bad("slot %s: fee %d, the fees account got %s" % (
                ref, s["fee"], fee_tx.get(ref, "nothing")),
                lost=int(fee_tx.get(ref, 0) < s["fee"]),
                doubled=int(fee_tx.get(ref, 0) > s["fee"]))


def check_money(f, users, uname, balance, finals, camps, slots, wds,
                chain_in, dep_credit):
    seller = {c["id"]: c["seller_id"] for c in camps}
    spent = defaultdict(int)
    earned = defaultdict(int)
    fees = 0
    for s in slots:
        spent[s["buyer_id"]] += s["price"]
        if s["campaign_id"] in seller:
            earned[seller[s["campaign_id"]]] += s["price"] - s["fee"]
            fees += s["fee"]
    out = defaultdict(int)
    for w in wds:
        if w["status"] != "rejected":
            out[w["user_id"]] += w["amount"]
    total_in = sum(chain_in.values())
    total_out = sum(out.values())
    total_bal = sum(balance.values())
    if total_in - total_out - fees != total_bal:
        f.bad("conservation: deposits %d - withdrawals %d - fees %d = %d, "
              "the balances sum to %d" % (total_in, total_out, fees,
                                          total_in - total_out - fees,
                                          total_bal),
              lost=int(total_bal < total_in - total_out - fees),
              doubled=int(total_bal > total_in - total_out - fees))
    for u in users:
        i, name = u["id"], u["username"]
        want = chain_in.get(i, 0) - spent[i] + earned[i] - out[i]
        if balance[i] != want:
            f.bad("%s: balance %d, its deposits %d (ledger %d) - purchases "
                  "%d + sales %d - withdrawals %d = %d" % (
                      name, balance[i], chain_in.get(i, 0),
                      dep_credit.get(i, 0), spent[i], earned[i], out[i],
                      want))
        if name in finals and finals[name] != balance[i]:
            f.bad("%s: /account shows %s sat, the ledger %d" % (
                name, finals[name], balance[i]))
        elif name not in finals and not name.endswith("_live"):
            f.bad("%s: /account never answered after the heal" % name)
