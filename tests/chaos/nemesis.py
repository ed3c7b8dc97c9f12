"""The nemesis of the chaos test (issue 13): faults on a seeded schedule.

The whole schedule is drawn from random.Random("<seed>:nemesis") before
the run starts (printed, and written to the history), so a seed replays
the same faults at the same offsets.  One fault at a time: it is applied,
held, then undone; the heal (heal()) undoes whatever may be left and
starts every process that is not running.

Kinds: kill_worker (SIGKILL, restart), kill_web (one abc-web), pause_worker
(SIGSTOP longer than abc-web's request timeout, SIGCONT), pg_fast and
pg_immediate (PostgreSQL stopped with that shutdown mode, started again),
sim_down, sim_slow, sim_warmup (the bitcoind stand-in's abcsim_* controls),
reorg (the last 1-3 blocks replaced, their transactions back in the
mempool), link_faults (drop/delay/cut on every link session, switched on
and off at run time through the fault_file + SIGUSR2 interface of abc-web
and abc-worker; skipped with a warning where the build lacks it).
"""
import os
import random
import re
import signal
import threading
import time

KINDS = [  # (kind, weight)
    ("kill_worker", 2), ("kill_web", 2), ("pause_worker", 1.5),
    ("pg_fast", 1), ("pg_immediate", 1), ("sim_down", 1), ("sim_slow", 1),
    ("sim_warmup", 1), ("reorg", 1.5), ("link_faults", 2),
]
LINK_PROCS = ("worker", "web1", "web2")


def schedule(seed, duration):
    """[(nominal offset_s, kind, params, gap_s)] for a run of duration
    seconds; gap_s is the pause before the fault, after the last one."""
    r = random.Random("%s:nemesis" % seed)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    out = []
    gap = 3.0 + r.uniform(0, 2)
    t = gap
    while t < duration - 4:
        kind = r.choices(kinds, weights)[0]
        p = {}
        if kind in ("kill_worker", "kill_web"):
            p["down_s"] = round(r.uniform(0.2, 2.0), 2)
            p["web"] = "web%d" % r.randint(1, 2)
        elif kind == "pause_worker":
            p["hold_s"] = round(r.uniform(3.5, 6.0), 2)
        elif kind in ("pg_fast", "pg_immediate"):
            p["down_s"] = round(r.uniform(0.5, 3.0), 2)
        elif kind == "sim_down":
            p["secs"] = r.randint(2, 5)
        elif kind == "sim_slow":
            p["ms"] = r.randint(300, 2500)
            p["hold_s"] = round(r.uniform(2, 6), 2)
        elif kind == "sim_warmup":
            p["secs"] = r.randint(2, 5)
        elif kind == "reorg":
            p["blocks"] = r.randint(1, 3)
        elif kind == "link_faults":
            p["drop_pct"] = r.randint(10, 30)
            p["delay_ms"] = r.choice([0, 0, 20, 50, 100])
            p["cut_ms"] = r.choice([0, 0, 2000, 3000, 5000])
            p["hold_s"] = round(r.uniform(3, 8), 2)
        if kind != "kill_web":
            p.pop("web", None)
        out.append((round(t, 2), kind, p, round(gap, 2)))
        gap = 1.0 + r.uniform(1, 4)
        t += gap + p.get("hold_s", 0) + p.get("down_s", 0)
    return out


def fault_files(stack):
    """{proc: path} from the fault_file key of each config, or None."""
    files = {}
    for proc in LINK_PROCS:
        try:
            with open(os.path.join(stack.state, proc + ".conf")) as f:
                m = re.search(r"^fault_file\s*=\s*(\S+)", f.read(), re.M)
        except OSError:
            m = None
        if m is None:
            return None
        files[proc] = m.group(1)
    return files


def built_with_fault_file(stack):
    """Whether the built abc-worker and abc-web know the fault_file key."""
    build = stack.env.get("ABC_BUILD") or os.path.join(stack.root, "build")
    for prog in ("worker/abc-worker", "web/abc-web"):
        try:
            with open(os.path.join(build, prog), "rb") as f:
                if b"fault_file" not in f.read():
                    return False
        except OSError:
            return False
    return True


class Nemesis(threading.Thread):
    def __init__(self, seed, stack, hist, start, duration, log):
        super().__init__(name="nemesis", daemon=True)
        self.stack = stack
        self.hist = hist
        self.t0 = start
        self.plan = schedule(seed, duration)
        self.log = log
        self.stopping = threading.Event()
        self.done = {}          # kind -> count applied
        self.skipped = {}       # kind -> count skipped
        self.errors = []
        self.links = fault_files(stack)
        if self.links is None and built_with_fault_file(stack):
            # The programs know the key but the stack's configs lack it:
            # deploy/ lost it; a run without link faults would pass
            # silently, so it does not run.
            raise RuntimeError("abc-web/abc-worker read fault_file but the "
                               "configs in %s do not set it" % stack.state)
        if self.links is None:
            log("WARNING: this build of abc-web/abc-worker has no fault_file"
                " key: link faults are skipped in this run")

    def run(self):
        # Each fault waits its gap after the previous one is undone (the
        # offsets are nominal: undoing takes what it takes on a loaded
        # machine), so faults never pile up back to back.
        for at, kind, p, gap in self.plan:
            if self.stopping.wait(gap):
                break
            if self.stopping.is_set():
                break
            self.watch()
            if kind == "link_faults" and self.links is None:
                self.skipped[kind] = self.skipped.get(kind, 0) + 1
                continue
            t = time.time()
            try:
                getattr(self, kind)(**p)
                ok, err = True, None
            except Exception as e:
                ok, err = False, "%s: %s" % (type(e).__name__, e)
                self.errors.append("%s: %s" % (kind, err))
            self.done[kind] = self.done.get(kind, 0) + 1
            self.hist.write({"type": "fault", "kind": kind, "params": p,
                             "start": t, "end": time.time(), "ok": ok,
                             "error": err})
            self.log("nemesis %+6.1fs %s %s%s" % (
                t - self.t0, kind, p, "" if ok else " ERROR " + err))

    def watch(self):
        """A process that is not running between faults died by itself
        (the nemesis undoes each fault before the next): recorded with
        the end of its log, then started again."""
        pids = self.stack.pids(["bitcoind-sim", "worker", "web1", "web2",
                                "nginx"])
        for name, pid in pids.items():
            if pid is not None:
                continue
            try:
                with open(self.stack.log_path(name), errors="replace") as f:
                    tail = f.readlines()[-15:]
            except OSError:
                tail = []
            self.hist.write({"type": "died", "proc": name, "log": tail})
            self.log("%s is not running: it died by itself; log ends:\n%s"
                     % (name, "".join(tail)))
            try:
                self.stack.start(name)
            except Exception as e:
                self.errors.append("restart %s: %s" % (name, e))

    def sleep(self, s):
        # A fault holds its time even while the run stops: the heal
        # follows the undo.
        time.sleep(s)

    # -- the faults -----------------------------------------------------------
    def signal(self, name, sig):
        pid = self.stack.pid(name)
        if pid is None:
            raise RuntimeError("%s is not running" % name)
        os.kill(pid, sig)
        return pid

    def wait_gone(self, name, pid):
        for _ in range(100):
            if self.stack.pid(name) != pid:
                return
            time.sleep(0.05)

    def kill_worker(self, down_s):
        pid = self.signal("worker", signal.SIGKILL)
        self.wait_gone("worker", pid)
        self.sleep(down_s)
        self.stack.start("worker")

    def kill_web(self, down_s, web):
        pid = self.signal(web, signal.SIGKILL)
        self.wait_gone(web, pid)
        self.sleep(down_s)
        self.stack.start(web)

    def pause_worker(self, hold_s):
        self.signal("worker", signal.SIGSTOP)
        try:
            self.sleep(hold_s)
        finally:
            self.signal("worker", signal.SIGCONT)

    def pg_fast(self, down_s):
        self.stack.pg_stop("fast")
        self.sleep(down_s)
        self.stack.pg_start()

    def pg_immediate(self, down_s):
        self.stack.pg_stop("immediate")
        self.sleep(down_s)
        self.stack.pg_start()

    def sim_down(self, secs):
        self.stack.rpc("abcsim_down", [secs], wallet=False)
        self.sleep(secs)

    def sim_slow(self, ms, hold_s):
        self.stack.rpc("abcsim_slow", [ms], wallet=False, timeout=10)
        try:
            self.sleep(hold_s)
        finally:
            self.stack.rpc("abcsim_slow", [0], wallet=False, timeout=10)

    def sim_warmup(self, secs):
        self.stack.rpc("abcsim_warmup", [secs], wallet=False)
        self.sleep(secs)

    def reorg(self, blocks):
        # drop_txs false: the transactions go back to the mempool and are
        # mined again, so every payment the workload made stays on the
        # chain and must end credited exactly once.
        self.stack.rpc("abcsim_reorg", [blocks, False], wallet=False,
                       timeout=10)

    def set_links(self, line):
        for proc, path in self.links.items():
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                f.write(line + "\n" if line else "")
            os.replace(tmp, path)
            pid = self.stack.pid(proc)
            if pid is not None:
                os.kill(pid, signal.SIGUSR2)

    def link_faults(self, drop_pct, delay_ms, cut_ms, hold_s):
        self.set_links("drop_pct=%d delay_ms=%d cut_ms=%d"
                       % (drop_pct, delay_ms, cut_ms))
        try:
            self.sleep(hold_s)
        finally:
            self.set_links("")

    # -- the heal -------------------------------------------------------------
    def heal(self):
        """Every fault off, every process running; errors are returned."""
        errs = []
        steps = [
            ("links off", lambda: self.links and self.set_links("")),
            ("worker SIGCONT", lambda: self.stack.pid("worker") and
             os.kill(self.stack.pid("worker"), signal.SIGCONT)),
            ("PostgreSQL", self.stack.pg_start),
            ("stand-in up", lambda: self.stack.pid("bitcoind-sim") and
             os.kill(self.stack.pid("bitcoind-sim"), signal.SIGUSR1)),
            ("stand-in fast", lambda: self.stack.rpc(
                "abcsim_slow", [0], wallet=False)),
            ("stand-in warm", lambda: self.stack.rpc(
                "abcsim_warmup", [0], wallet=False)),
            ("start all", self.stack.start_all),
        ]
        for what, fn in steps:
            for _ in range(20):
                try:
                    fn()
                    break
                except Exception as e:
                    err = "%s: %s" % (what, e)
                    time.sleep(0.5)
            else:
                errs.append(err)
        return errs
