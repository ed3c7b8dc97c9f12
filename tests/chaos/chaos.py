#!/usr/bin/env python3
"""One chaos run (issue 13): workload + nemesis, heal, liveness, checker.

    chaos.py --seed N [--seconds S] [--clients C] [--history FILE]

Against the stack that deploy/lib.sh's environment names (ABC_STATE_DIR,
ABC_HTTP_PORT; tests/chaos/run.sh sets them and starts the stack).  The
seed drives every choice: one random.Random per client derived from it,
one for the nemesis' schedule, one for the miner.  Prints the seed first
and one summary line last; exit status 0 when the checker found nothing.
"""
import argparse
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402
import nemesis  # noqa: E402
import workload  # noqa: E402
from stack import Stack  # noqa: E402

T0 = time.time()


def log(msg):
    print("chaos %6.1fs %s" % (time.time() - T0, msg), flush=True)


def miner(seed, stack, stop):
    """Mines a block every 1-2.5 s, as the network would."""
    r = random.Random("%s:miner" % seed)
    while not stop.wait(r.uniform(1.0, 2.5)):
        try:
            stack.rpc("abcsim_mine", [1], wallet=False, timeout=5)
        except Exception:
            pass  # the stand-in is down or slow: the nemesis' doing


def wait_for(what, fn, timeout):
    """Polls fn until true; returns the seconds taken, or None."""
    t = time.time()
    while time.time() - t < timeout:
        try:
            if fn():
                return time.time() - t
        except Exception:
            pass
        time.sleep(0.5)
    log("gave up waiting for %s after %ds" % (what, timeout))
    return None


def settle(stack, run_id):
    """After the heal: everything paid is mined and credited, and every
    withdrawal is paid (or says why not)."""
    like = run_id + "\\_%"
    stack.rpc("abcsim_mine", [7], wallet=False, timeout=30)

    def credited():
        addrs = {a["address"] for a in stack.sql(
            "SELECT d.address FROM deposit_addresses d JOIN users u ON "
            "u.id = d.user_id WHERE u.username LIKE '%s'" % like)}
        want = {(t["txid"], t["vout"]) for t in stack.rpc(
            "listsinceblock", [], timeout=60)["transactions"]
            if t.get("category") == "receive" and t.get("address") in addrs}
        have = {(d["txid"], d["vout"]) for d in stack.sql(
            "SELECT d.txid, d.vout FROM deposits d JOIN users u ON u.id = "
            "d.user_id WHERE u.username LIKE '%s' AND d.status IN "
            "('credited', 'reorged')" % like)}
        return want <= have
    wait_for("every deposit credited", credited, 90)

    def paid():
        return not stack.sql(
            "SELECT w.id FROM withdrawals w JOIN users u ON u.id = "
            "w.user_id WHERE u.username LIKE '%s' AND w.status IN "
            "('queued', 'sending')" % like)
    wait_for("every withdrawal paid", paid, 120)
    stack.rpc("abcsim_mine", [1], wallet=False, timeout=30)


def cheapest(c, shared):
    """The campaign whose next slot costs least now (its API)."""
    best = None
    for cid in list(shared.campaigns):
        a = c.get("/api/c/%d.json" % cid)
        try:
            p = json.loads(a.body)["price_now"]
        except (AttributeError, ValueError, KeyError):
            continue
        if best is None or p < best[0]:
            best = (p, cid)
    return best[1] if best else None


def liveness(run_id, seed, stack, hist, shared, image):
    """A fresh user registers, deposits and buys within 10 s."""
    t = time.time()
    c = workload.Client(run_id, 0, seed, stack, hist, shared, t + 30,
                        False, image)
    c.user = run_id + "_live"
    c.idx = 999
    steps = []
    ok = False
    try:
        c.register()
        steps.append("registered %.1fs" % (time.time() - t))
        while not c.logged_in() and time.time() - t < 10:
            c.login()
        c.new_address()
        while c.address is None and time.time() - t < 10:
            c.new_address()
        c.upload_ad()
        c.deposit(100000000)
        stack.rpc("abcsim_mine", [1], wallet=False, timeout=10)
        steps.append("paid %.1fs" % (time.time() - t))
        while time.time() - t < 10:
            a = c.get("/account/state.json")
            if a is not None and a.status == 200 and \
                    '"balance":"0.00000000"' not in a.body:
                break
            time.sleep(0.2)
        steps.append("credited %.1fs" % (time.time() - t))
        cid = cheapest(c, shared)
        before = c.nops
        c.buy(0.0, 0.0, cid)
        ok = c.nops > before and c.last_outcome == "ok" and \
            time.time() - t <= 10
        steps.append("bought on %s: %s %.1fs" % (cid, c.last_outcome,
                                                   time.time() - t))
    except Exception as e:
        steps.append("error %s" % e)
    secs = time.time() - t
    hist.write({"type": "liveness", "ok": ok, "seconds": round(secs, 2),
                "steps": steps})
    log("liveness: %s in %.1fs (%s)" % ("ok" if ok else "FAILED", secs,
                                         "; ".join(steps)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--history")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    stack = Stack(root)
    run_id = "c%s" % os.urandom(3).hex()
    hdir = os.path.join(stack.state, "chaos")
    os.makedirs(hdir, exist_ok=True)
    path = args.history or os.path.join(hdir, "history-%d-%s.jsonl" % (
        args.seed, run_id))
    log("seed %d (replay: tests/chaos/run.sh --seed %d --seconds %g), run "
        "%s, %d clients, %gs, history %s" % (
            args.seed, args.seed, args.seconds, run_id, args.clients,
            args.seconds, path))
    hist = workload.History(path)
    image = workload.load_image(root)
    shared = workload.Shared()
    start = time.time()
    deadline = start + args.seconds
    nem = nemesis.Nemesis(args.seed, stack, hist, start, args.seconds, log)
    hist.write({"type": "meta", "seed": args.seed, "run": run_id,
                "seconds": args.seconds, "clients": args.clients,
                "schedule": nem.plan})
    log("nemesis schedule (%d faults): %s%s" % (len(nem.plan), ", ".join(
        "%.0fs %s" % (at, k) for at, k, _, _ in nem.plan[:15]),
        ", ..." if len(nem.plan) > 15 else ""))
    clients = [workload.Client(run_id, i, args.seed, stack, hist, shared,
                               deadline, i < 3, image)
               for i in range(args.clients)]
    stop_mining = threading.Event()
    mine = threading.Thread(target=miner, args=(args.seed, stack,
                                                stop_mining), daemon=True)
    for c in clients:
        c.start()
    mine.start()
    nem.start()
    while time.time() < deadline:
        time.sleep(min(10, max(0.1, deadline - time.time())))
        done = sum(c.nops for c in clients)
        log("%d operations so far, faults %s" % (done, nem.done))
    nem.stopping.set()
    nem.join()
    log("heal: faults off, every process running")
    errs = nem.heal()
    for e in errs:
        log("heal: %s" % e)
    for c in clients:
        c.join(workload.GIVE_UP_S + 60)
        if c.is_alive():
            log("client %d still busy after the heal" % c.idx)
    stop_mining.set()
    mine.join()
    log("clients done")
    settle(stack, run_id)
    log("settled: deposits credited, withdrawals paid")
    liveness(run_id, args.seed, stack, hist, shared, image)
    until = time.time() + 30
    for c in clients:
        if c.registered:
            hist.write({"type": "final_balance", "user": c.user,
                        "balance": c.final_balance(until)})
    hist.close()
    ok, line, problems = checker.check(stack, path, run_id, root)
    for p in problems[:60]:
        log("PROBLEM %s" % p)
    if len(problems) > 60:
        log("... and %d more problems" % (len(problems) - 60))
    if nem.skipped:
        line += " skipped=%s" % ",".join("%s:%d" % kv for kv in
                                         sorted(nem.skipped.items()))
    print("%s seed=%d" % (line, args.seed), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
