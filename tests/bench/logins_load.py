#!/usr/bin/env python3
"""Load for tests/bench/logins.sh (issue 14): a login storm (9 logins/s offered
in all, just under edge's limit of 10/s per client address) and/or a steady
purchase client against BASE (edge), for SECONDS, then one JSON line:
logins per second served (303), answered busy (503), other; purchase
latencies (p50, p99, max ms) and statuses.  Standard library only.

Arrivals are jittered (each gap uniform in 0.5x..1.5x its mean): a fixed
200 ms between purchases locks onto the 100 ms period of a CPU quota, so
every purchase would land in the same part of it, lucky or not.

usage: logins_load.py BASE SECONDS STORM_THREADS USER PASSWORD BUYER_SESSION AD CID,CID,...
STORM_THREADS 0: no storm; BUYER_SESSION "-": no purchases."""
import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse

base, seconds, nstorm, user, password, session, ad, cids = sys.argv[1:9]
seconds = float(seconds)
nstorm = int(nstorm)
u = urllib.parse.urlsplit(base)
stop_at = time.monotonic() + seconds
lock = threading.Lock()
logins = {}
buys = []
buy_codes = {}


def conn():
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=20)


def field(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, html)
    return m.group(1) if m else None


def cookies_of(resp):
    out = []
    for k, v in resp.getheaders():
        if k.lower() == "set-cookie":
            out.append(v.split(";", 1)[0])
    return out


def stormer():
    c = conn()
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode("utf-8", "replace")
    cookie = "; ".join(cookies_of(r))
    token = field(html, "csrf")
    body = urllib.parse.urlencode({"csrf": token, "username": user, "password": password})
    gap = nstorm / 9.0  # all stormers together offer 9/s: under edge's 10/s per address
    while time.monotonic() < stop_at:
        t_next = time.monotonic() + gap * random.uniform(0.5, 1.5)
        try:
            c.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                               "Cookie": cookie})
            r = c.getresponse()
            r.read()
            code = r.status
        except Exception:
            code = "err"
            c = conn()
        with lock:
            logins[code] = logins.get(code, 0) + 1
        time.sleep(max(0.0, t_next - time.monotonic()))


def buyer():
    c = conn()
    hdr = {"Cookie": "abc_session=" + session}
    camps = cids.split(",")
    i = 0
    while time.monotonic() < stop_at:
        cid = camps[i % len(camps)]
        i += 1
        t_next = time.monotonic() + random.uniform(0.1, 0.3)  # 5 purchases a second
        try:
            c.request("GET", "/c/%s/buy?ad=%s" % (cid, ad), headers=hdr)
            r = c.getresponse()
            html = r.read().decode("utf-8", "replace")
            form = {k: field(html, k) for k in ("csrf", "idem", "slot", "ad", "max_price")}
            if None in form.values():
                code = "noform%d" % r.status
                ms = None
            else:
                t0 = time.monotonic()
                c.request("POST", "/c/%s/buy" % cid, urllib.parse.urlencode(form),
                          dict(hdr, **{"Content-Type": "application/x-www-form-urlencoded"}))
                r = c.getresponse()
                r.read()
                ms = (time.monotonic() - t0) * 1000
                code = r.status
        except Exception:
            code, ms = "err", None
            c = conn()
        with lock:
            buy_codes[code] = buy_codes.get(code, 0) + 1
            if ms is not None:
                buys.append(ms)
        time.sleep(max(0.0, t_next - time.monotonic()))


threads = [threading.Thread(target=stormer) for _ in range(nstorm)]
if session != "-":
    threads.append(threading.Thread(target=buyer))
for t in threads:
    t.start()
for t in threads:
    t.join()


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * p))], 1)


print(json.dumps({
    "seconds": seconds,
    "logins_ok_per_s": round(logins.get(303, 0) / seconds, 2),
    "logins": {str(k): v for k, v in logins.items()},
    "buy_p50_ms": pct(buys, 0.5), "buy_p99_ms": pct(buys, 0.99),
    "buy_max_ms": round(max(buys), 1) if buys else None,
    "buys": {str(k): v for k, v in buy_codes.items()},
}))
