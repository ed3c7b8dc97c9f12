#!/usr/bin/env python3
"""A webhook receiver for tests/it/t_190_webhooks.sh (standard library only).

webhook_recv.py PORT_FILE LOG_FILE SECRETS_DIR LIFETIME_S [FAILS]

Listens on 127.0.0.1 (a free port, written to PORT_FILE), answers each POST
to /hook/NAME with 500 for the first FAILS (default 2) requests of a
delivery id (X-Abc-Delivery) and 200 from then on, and appends one JSON line
per request to LOG_FILE: the time, the headers that matter, whether the
signature is the HMAC-SHA256 of the body with the secret in SECRETS_DIR/NAME,
the status answered and the body.  Exits after LIFETIME_S seconds whatever
happens, so a failed test leaves nothing behind.
"""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, LOG_FILE, SECRETS, LIFETIME = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
FAILS = int(sys.argv[5]) if len(sys.argv) > 5 else 2
lock = threading.Lock()
seen = {}


def secret_of(name):
    if not name.isalnum():
        return b""
    try:
        with open(os.path.join(SECRETS, name)) as f:
            return f.read().strip().encode()
    except OSError:
        return b""


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        name = self.path.rsplit("/", 1)[-1]
        secret = secret_of(name)
        sig = self.headers.get("X-Abc-Signature", "")
        good = bool(secret) and hmac.compare_digest(
            sig, "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest())
        delivery = self.headers.get("X-Abc-Delivery", "")
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        with lock:
            seen[delivery] = seen.get(delivery, 0) + 1
            n = seen[delivery]
            status = 500 if n <= FAILS else 200
            with open(LOG_FILE, "a") as f:
                f.write(json.dumps({"t": time.time(), "user": name, "delivery": delivery,
                                    "event": self.headers.get("X-Abc-Event", ""),
                                    "sig_ok": good, "n": n, "status": status,
                                    "body": doc}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
threading.Timer(LIFETIME, srv.shutdown).start()
srv.serve_forever()
