"""The chaos workload (issue 13): users of the site, as browsers use it.

Each client is one user behind nginx: it registers, logs in, gets a deposit
address, is paid by the bitcoind stand-in (an outside payment), uploads
ads, creates campaigns, buys slots (racing the others on the same
campaigns), withdraws and reads pages, through forms with their CSRF token
and idempotency key.  An answer that does not tell the outcome (a timeout,
no connection, 202 "still working", 5xx) makes the client send the same
form again (the same key) a little later, as a person reloads, until a
definite answer or it gives up ("unknown").  Ad uploads too: the ad form
carries its idempotency key (an upload is exactly-once since the chaos
test found it was not).

Every attempt is a pair of lines in the history (invoke, complete) and
every operation ends with one "op" line holding its final outcome and the
figures the checker needs.  The choices (which operation, which amount,
which campaign) come from the client's own random.Random, derived from
the run's seed and drawn in the same number whatever the answers were, so
a seed replays the same intentions; retry jitter has its own generator.
Memory: each client owns its Browser (cookies); the shared campaign list
is guarded by a lock.
"""
import html
import http.client
import json
import os
import random
import re
import threading
import time
import uuid
from decimal import Decimal

from stack import RpcError

SAT = 100000000
EXT = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # BIP 173 vector: not ours
MAX_ATTEMPTS = 6        # sends of one form before the client gives up
GIVE_UP_S = 25.0        # ... or this long after the first
HTTP_TIMEOUT_S = 8.0    # abc-web answers 202 after request_timeout_ms (3 s)


def btc(sat):
    return "%d.%08d" % divmod(sat, SAT)


def sat_of(text):
    v = Decimal(text) * SAT
    if v != v.to_integral_value():
        raise ValueError("not whole satoshis: %s" % text)
    return int(v)


class History:
    """The history file: one JSON object a line, written whole."""

    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def write(self, rec):
        rec.setdefault("t", round(time.time(), 3))
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()

    def close(self):
        self.f.close()


class Answer:
    def __init__(self, status, location, body):
        self.status = status
        self.location = location or ""
        self.body = body


class Browser:
    """One user's browser: a cookie jar, requests through nginx."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, fields=None, files=None):
        headers = {}
        body = None
        if files is not None:
            boundary = "chaos" + uuid.uuid4().hex
            body = multipart(boundary, fields or {}, files)
            headers["Content-Type"] = ("multipart/form-data; boundary=" +
                                       boundary)
        elif fields is not None:
            body = "&".join("%s=%s" % (k, quote(v))
                            for k, v in fields.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv
                                          for kv in self.cookies.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=HTTP_TIMEOUT_S)
        try:
            c.request(method, path, body, headers)
            r = c.getresponse()
            text = r.read().decode("utf-8", "replace")
            for sc in r.msg.get_all("Set-Cookie") or []:
                self.keep_cookie(sc)
            return Answer(r.status, r.getheader("Location"), text)
        finally:
            c.close()

    def keep_cookie(self, header):
        parts = [p.strip() for p in header.split(";")]
        if "=" not in parts[0]:
            return
        name, value = parts[0].split("=", 1)
        gone = value == "" or any(p.lower() == "max-age=0" for p in parts)
        if gone:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


def quote(v):
    from urllib.parse import quote_plus
    return quote_plus(str(v))


def multipart(boundary, fields, files):
    out = []
    for k, v in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\""
                    "\r\n\r\n%s\r\n" % (boundary, k, v)).encode())
    for k, (fname, ctype, data) in files.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                    "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                    % (boundary, k, fname, ctype)).encode() + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out)


def field(body, name):
    """The value of the first <input name="NAME" value="...">, or None."""
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), body)
    return html.unescape(m.group(1)) if m else None


def span(body, ident):
    m = re.search(r'id="%s">([^<]*)<' % re.escape(ident), body)
    return html.unescape(m.group(1)) if m else None


def settled(ans):
    """'ok' / 'refused' / 'unknown' of an answer about a form, by status.

    No answer, 202 "still working" and 5xx say nothing about the outcome;
    nginx's 429 turned the form away; another 4xx is abc-worker's no.
    """
    if ans is None or ans.status == 202 or ans.status >= 500:
        return "unknown"
    if 400 <= ans.status < 500:
        return "refused"
    return "ok"


class Shared:
    """What clients share: the campaigns they know of."""

    def __init__(self):
        self.lock = threading.Lock()
        self.campaigns = []

    def add_campaign(self, cid):
        with self.lock:
            if cid not in self.campaigns:
                self.campaigns.append(cid)

    def pick_campaign(self, r):
        with self.lock:
            if not self.campaigns:
                return None
            c = sorted(self.campaigns)
            return c[int(r * len(c)) % len(c)]


class Client(threading.Thread):
    """One user, run until the deadline."""

    def __init__(self, run, idx, seed, stack, hist, shared, deadline,
                 seller, image):
        super().__init__(name="client%d" % idx, daemon=True)
        self.run_id = run
        self.idx = idx
        self.user = "%s_%d" % (run, idx)
        self.pw = "pw-%s-chaos-pass" % run
        self.choice = random.Random("%s:client:%d" % (seed, idx))
        self.jitter = random.Random("%s:client-jitter:%d" % (seed, idx))
        self.stack = stack
        self.hist = hist
        self.shared = shared
        self.deadline = deadline
        self.seller = seller
        self.image = image
        self.b = Browser(stack.http_port)
        self.nops = 0
        self.address = None
        self.amounts = set()
        self.nads = 0
        self.ncamps = 0
        self.error = None
        self.registered = False
        self.last_outcome = None

    # -- the operation loop ----------------------------------------------------
    def op(self, kind, send, decide, detail, resend=True):
        """Sends one form until a definite answer; returns (outcome, info).

        send() performs one attempt and returns an Answer (or raises
        OSError); decide(answer, attempt) returns (outcome, info).
        """
        self.nops += 1
        opid = "%d-%d" % (self.idx, self.nops)
        first = time.time()
        attempt = 0
        while True:
            attempt += 1
            t0 = time.time()
            self.hist.write({"type": "invoke", "client": self.idx,
                             "op": kind, "opid": opid, "attempt": attempt,
                             "idem": detail.get("idem"), "start": t0})
            ans, why = None, None
            try:
                ans = send()
            except (OSError, http.client.HTTPException) as e:
                why = "%s: %s" % (type(e).__name__, e)
            outcome, info = decide(ans, attempt)
            t1 = time.time()
            self.hist.write({"type": "complete", "client": self.idx,
                             "op": kind, "opid": opid, "attempt": attempt,
                             "idem": detail.get("idem"), "start": t0,
                             "end": t1, "outcome": outcome,
                             "status": ans.status if ans else None,
                             "location": ans.location if ans else None,
                             "why": why, "info": info})
            if outcome != "unknown" or not resend or \
                    attempt >= MAX_ATTEMPTS or t1 - first > GIVE_UP_S:
                break
            time.sleep(self.jitter.uniform(0.5, 2.5))
        rec = {"type": "op", "client": self.idx, "user": self.user,
               "op": kind, "opid": opid, "attempts": attempt,
               "start": first, "end": time.time(), "outcome": outcome,
               "info": info}
        rec.update(detail)
        self.hist.write(rec)
        self.last_outcome = outcome
        return outcome, info

    def get(self, path):
        """A page read; the Answer or None (no answer)."""
        try:
            return self.b.request("GET", path)
        except (OSError, http.client.HTTPException):
            return None

    def read_op(self, path):
        """A page read, counted as an operation of its own."""
        def decide(a, n):
            if a is not None and a.status == 403 and \
                    "not logged in" in a.body:
                return "refused", "logged_out"
            return settled(a), None
        return self.op("read", lambda: self.b.request("GET", path),
                       decide, {"path": path}, resend=False)

    def run(self):
        try:
            self.setup()
            while time.time() < self.deadline:
                self.step()
        except Exception as e:  # a bug of the workload, not of the product
            self.error = "%s: %s" % (type(e).__name__, e)
            self.hist.write({"type": "client_error", "client": self.idx,
                             "error": self.error})

    def wait_a_bit(self):
        time.sleep(self.jitter.uniform(0.1, 0.6))

    # -- setup: an account with an address, money, an ad ----------------------
    def setup(self):
        while time.time() < self.deadline and not self.registered:
            self.register()
            if not self.registered:
                time.sleep(self.jitter.uniform(1, 3))
        while time.time() < self.deadline and not self.logged_in():
            self.login()
            time.sleep(self.jitter.uniform(0.5, 1.5))
        while time.time() < self.deadline and self.address is None:
            self.new_address()
        self.deposit(self.choice.randint(2000000, 5000000))
        while time.time() < self.deadline and self.nads == 0:
            self.upload_ad()
        r = self.choice.random()
        if self.seller:
            self.sell(r)

    def register(self):
        ans = self.get("/register")
        csrf = field(ans.body, "csrf") if ans and ans.status == 200 else None
        if csrf is None:
            return
        form = {"csrf": csrf, "username": self.user, "password": self.pw,
                "password2": self.pw}

        def decide(a, attempt):
            o = settled(a)
            # A taken name after an unanswered attempt: that attempt made
            # the account (the names are this run's own).
            if o == "refused" and a.status == 409 and attempt > 1:
                return "ok", "made by an earlier attempt"
            return o, a.status if a else None
        out, _ = self.op("register",
                         lambda: self.b.request("POST", "/register", form),
                         decide, {"username": self.user})
        self.registered = out == "ok"

    def logged_in(self):
        a = self.get("/account")
        return a is not None and a.status == 200 and "Your account" in a.body

    def login(self):
        a = self.get("/login")
        csrf = field(a.body, "csrf") if a and a.status == 200 else None
        if csrf is None:
            return
        form = {"csrf": csrf, "username": self.user, "password": self.pw}
        self.op("login", lambda: self.b.request("POST", "/login", form),
                lambda a, n: (settled(a), a.status if a else None), {})

    def account_page(self):
        a = self.get("/account")
        if a is None or a.status != 200 or "Your account" not in a.body:
            return None
        return a.body

    def new_address(self):
        body = self.account_page()
        if body is None:
            self.wait_a_bit()
            return
        self.address = span(body, "address")
        if self.address:
            return
        form = {"csrf": field(body, "csrf")}
        self.op("address",
                lambda: self.b.request("POST", "/account/address", form),
                lambda a, n: (settled(a), None), {})
        self.wait_a_bit()

    # -- one step of the loop -------------------------------------------------
    def step(self):
        # Always four draws, whatever happens next: the same seed makes the
        # same sequence of intentions.
        r_kind, r_a, r_b, r_c = (self.choice.random() for _ in range(4))
        if r_kind < 0.40:
            self.buy(r_a, r_b)
        elif r_kind < 0.62:
            self.read(r_a)
        elif r_kind < 0.72:
            self.deposit(100000 + int(r_a * 2000000))
        elif r_kind < 0.88:
            self.withdraw(r_a)
        elif r_kind < 0.93:
            if self.ncamps < 3 and r_b < 0.5:
                self.sell(r_c)
            else:
                self.read(r_a)
        else:
            if self.nads < 4:
                self.upload_ad()
            else:
                self.read(r_a)
        self.wait_a_bit()

    def read(self, r):
        cid = self.shared.pick_campaign(r)
        paths = ["/", "/account", "/account/state.json", "/my/ads", "/how",
                 "/my/campaigns"]
        if cid is not None:
            paths += ["/c/%d" % cid, "/api/c/%d.json" % cid,
                      "/embed/%d" % cid]
        self.read_op(paths[int(r * 7919) % len(paths)])

    def deposit(self, sat):
        """An outside payment to this user's address (the stand-in)."""
        if self.address is None:
            return
        addr = self.address
        res = {}

        def send():
            try:
                res["txid"] = self.stack.rpc("abcsim_pay",
                                             [[[addr, btc(sat)]]], timeout=8)
            except RpcError as e:  # a definite no: nothing was paid
                return Answer(400, None, str(e))
            return Answer(200, None, "")

        def decide(a, n):
            if a is None:
                return "unknown", None
            return ("ok", res["txid"]) if a.status == 200 else \
                ("refused", a.body)
        # Not sent again: a payment has no idempotency key; the checker
        # takes the chain's word for what arrived.
        self.op("deposit", send, decide, {"address": addr, "sat": sat},
                resend=False)

    def upload_ad(self):
        a = self.get("/ads")
        csrf = field(a.body, "csrf") if a and a.status == 200 else None
        idem = field(a.body, "idem") if csrf is not None else None
        if csrf is None or idem is None:
            self.wait_a_bit()
            return
        self.nads += 1
        nick = "%s_ad%d" % (self.user, self.nads)
        fields = {"csrf": csrf, "idem": idem, "nickname": nick,
                  "hover": "chaos " + nick, "url": "https://example.com/" + nick}
        files = {"image": ("ad.gif", "image/gif", self.image)}

        def decide(a, n):
            o = settled(a)
            if o == "ok" and "Your ad is uploaded" not in a.body:
                o = "refused"
            return o, a.status if a else None
        out, _ = self.op("ad", lambda: self.b.request("POST", "/ads", fields,
                                                      files),
                         decide, {"nickname": nick, "idem": idem})
        if out == "refused":
            self.nads -= 1

    def sell(self, r):
        a = self.get("/sell")
        if a is None or a.status != 200:
            self.wait_a_bit()
            return
        self.ncamps += 1
        name = "%s_camp%d" % (self.user, self.ncamps)
        form = {"csrf": field(a.body, "csrf"), "idem": field(a.body, "idem"),
                "name": name, "description": "chaos run " + self.run_id,
                "width": "300", "height": "250", "min_price": "0.00001",
                "slot_hours": "", "slot_seconds":
                str(2 + int(r * 3))}

        def decide(a, n):
            o = settled(a)
            m = re.search(r"/c/(\d+)$", a.location) if a else None
            if o == "ok":
                if a.status != 303 or m is None:
                    return "refused", "%s %s" % (a.status, a.location)
                return "ok", int(m.group(1))
            return o, a.status if a else None
        out, info = self.op("sell",
                            lambda: self.b.request("POST", "/sell", form),
                            decide, {"name": name, "idem": form["idem"]})
        if out == "ok":
            self.shared.add_campaign(info)

    def buy(self, r_camp, r_ad, cid=None):
        if cid is None:
            cid = self.shared.pick_campaign(r_camp)
        if cid is None:
            return
        a = self.get("/c/%d" % cid)
        if a is None or a.status != 200:
            return
        ads = re.findall(r'<option value="(\d+)">', a.body)
        if not ads:
            return
        ad = int(ads[int(r_ad * len(ads)) % len(ads)])
        a = self.get("/c/%d/buy?ad=%d" % (cid, ad))
        if a is None or a.status != 200 or field(a.body, "slot") is None:
            return
        form = {k: field(a.body, k)
                for k in ("csrf", "idem", "slot", "ad", "max_price")}
        slot = int(form["slot"])

        def decide(a, n):
            o = settled(a)
            if o != "ok":
                return o, a.status if a else None
            m = re.search(r"/c/%d\?bought=(\d+)$" % cid, a.location)
            if a.status == 303 and m:
                return "ok", int(m.group(1))
            return "refused", "%s %s" % (a.status, a.location)
        self.op("buy", lambda: self.b.request("POST", "/c/%d/buy" % cid,
                                              form),
                decide, {"campaign": cid, "slot": slot, "ad": ad,
                         "max_sat": sat_of(form["max_price"]),
                         "idem": form["idem"]})

    def withdraw(self, r):
        body = self.account_page()
        if body is None:
            return
        can = span(body, "withdrawable")
        if can is None or sat_of(can) < 40000:
            return
        sat = 10000 + int(r * min(sat_of(can) // 4, 200000))
        while sat in self.amounts:  # one amount names one withdrawal
            sat += 1
        self.amounts.add(sat)
        form = {"csrf": field(body, "csrf"), "idem": field(body, "idem"),
                "address": EXT, "amount": btc(sat), "password": self.pw}

        def decide(a, n):
            o = settled(a)
            if o == "ok" and not (a.status == 303 and
                                  a.location.endswith("done=withdraw")):
                return "refused", "%s %s" % (a.status, a.location)
            return o, a.status if a else None
        self.op("withdraw",
                lambda: self.b.request("POST", "/account/withdraw", form),
                decide, {"sat": sat, "idem": form["idem"]})

    # -- after the heal ---------------------------------------------------------
    def final_balance(self, until):
        """The balance /account/state.json shows, once it answers."""
        while time.time() < until:
            a = self.get("/account/state.json")
            if a is not None and a.status == 200:
                try:
                    return sat_of(json.loads(a.body)["balance"])
                except (ValueError, KeyError):
                    pass
            time.sleep(0.5)
        return None


def load_image(root):
    with open(os.path.join(root, "tests/fuzz/corpus/image/gif_300x250.gif"),
              "rb") as f:
        return f.read()
