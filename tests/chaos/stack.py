"""The local stack as the chaos test drives it (issue 13).

Paths and ports come from deploy/lib.sh's abc_env; processes are started
and looked up only through its public functions (abc_start_one, abc_pid,
abc_pg_start, abc_pg_stop, abc_psql), so the test keeps working when the
insides of deploy/ change.  PostgreSQL is read with psql (JSON out), the
bitcoind stand-in with its JSON-RPC.  Nothing here holds state between
calls except the paths read once at start.
"""
import base64
import decimal
import http.client
import json
import os
import subprocess


class RpcError(Exception):
    """A JSON-RPC error answer (code, message) from the stand-in."""

    def __init__(self, code, message):
        super().__init__("RPC error %s: %s" % (code, message))
        self.code = code


class Stack:
    """One stack: ABC_ROOT and the ABC_* environment name it."""

    def __init__(self, root, env=None):
        self.root = root
        self.env = dict(os.environ if env is None else env)
        self.env["ABC_ROOT"] = root
        out = self.lib('abc_env; printf "%s\\n" "$ABC_STATE" "$ABC_PORT" '
                       '"$ABC_SIM_PORT" "$ABC_SECRET" "$ABC_PGDATA" '
                       '"$ABC_PG_BIN"').split("\n")
        (self.state, port, sim_port, secret, self.pgdata,
         self.pg_bin) = out[:6]
        self.http_port = int(port)
        self.sim_port = int(sim_port)
        with open(secret) as f:
            self.rpc_auth = base64.b64encode(
                ("abc:" + f.read().strip()).encode()).decode()

    # -- deploy/lib.sh ------------------------------------------------------
    def lib(self, script, check=True, timeout=120):
        """Runs script after sourcing deploy/lib.sh; returns its stdout."""
        r = subprocess.run(
            ["bash", "-c", 'source "$ABC_ROOT/deploy/lib.sh"\n' + script],
            env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("deploy/lib.sh: %s: exit %d: %s" % (
                script.strip(), r.returncode, (r.stderr or r.stdout)[-600:]))
        return r.stdout.strip()

    def pids(self, names):
        """{name: pid or None} of processes of the stack, in one call."""
        out = self.lib("abc_env; for n in %s; do echo \"$n $(abc_pid $n || "
                       "true)\"; done" % " ".join(names), check=False,
                       timeout=30)
        got = dict.fromkeys(names)
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                got[parts[0]] = int(parts[1])
        return got

    def pid(self, name):
        """The pid of a process of the stack, or None when not running."""
        return self.pids([name])[name]

    def start(self, name):
        self.lib("abc_env; abc_start_one %s >/dev/null" % name)

    def start_all(self):
        """Whatever is not running (./deploy/run start)."""
        r = subprocess.run([os.path.join(self.root, "deploy/run"), "start"],
                           env=self.env, capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            raise RuntimeError("deploy/run start: %s" % r.stderr[-600:])

    def pg_stop(self, mode):
        """Stops PostgreSQL: "fast" (abc_pg_stop) or "immediate"."""
        if mode == "fast":
            self.lib("abc_env; abc_pg_stop >/dev/null")
            return
        subprocess.run(["runuser", "-u", "postgres", "--",
                        os.path.join(self.pg_bin, "pg_ctl"), "-D",
                        self.pgdata, "-m", "immediate", "-w", "stop"],
                       cwd="/", capture_output=True, timeout=60)

    def pg_start(self):
        self.lib("abc_env; abc_pg_start >/dev/null")

    def log_path(self, name):
        return os.path.join(self.state, "log", name + ".log")

    # -- PostgreSQL -----------------------------------------------------------
    def sql(self, query, timeout=120):
        """Rows of query as a list of dicts (one psql call)."""
        wrapped = ("SELECT coalesce(json_agg(q), '[]'::json) FROM (%s) q"
                   % query)
        env = dict(self.env, Q=wrapped)
        r = subprocess.run(
            ["bash", "-c", 'source "$ABC_ROOT/deploy/lib.sh"; abc_env; '
             'abc_psql -d abc -At -c "$Q"'],
            env=env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr[-600:])
        out = r.stdout.strip()
        return json.loads(out) if out else []

    def sql_file(self, path, timeout=300):
        """Runs an SQL file with ON_ERROR_STOP; (ok, output)."""
        env = dict(self.env, F=path)
        r = subprocess.run(
            ["bash", "-c", 'source "$ABC_ROOT/deploy/lib.sh"; abc_env; '
             'abc_psql -d abc -At -v ON_ERROR_STOP=1 -f "$F"'],
            env=env, capture_output=True, text=True, timeout=timeout)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    # -- the bitcoind stand-in ----------------------------------------------
    def rpc(self, method, params=None, timeout=10, wallet=True):
        """A JSON-RPC call; the result, or RpcError / OSError."""
        body = json.dumps({"jsonrpc": "1.0", "id": "chaos",
                           "method": method, "params": params or []})
        c = http.client.HTTPConnection("127.0.0.1", self.sim_port,
                                       timeout=timeout)
        try:
            c.request("POST", "/wallet/abc" if wallet else "/", body,
                      {"Authorization": "Basic " + self.rpc_auth,
                       "Content-Type": "application/json"})
            r = c.getresponse()
            text = r.read()
        finally:
            c.close()
        try:
            d = json.loads(text, parse_float=decimal.Decimal)
        except ValueError:
            raise RpcError(-1, "not JSON (HTTP %d)" % r.status)
        if d.get("error"):
            raise RpcError(d["error"].get("code"), d["error"].get("message"))
        return d.get("result")
