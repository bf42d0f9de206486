#!/usr/bin/env python3
"""A webhook receiver for the tests: checks each delivery's Standard Webhooks
signature with the reference implementation (the `standardwebhooks` package,
not Embargo's code) and records what it got.

Usage: webhook_receiver.py SECRET_FILE LOG_FILE FAIL_FIRST

Prints the port it listens on (127.0.0.1) on the first line of stdout. The
secret is read from SECRET_FILE at each request (the test writes it once the
webhook is made). The first FAIL_FIRST requests are answered 503; later ones
200 when the signature is right, 401 when not. Each request is appended to
LOG_FILE as one JSON line: id, timestamp, signature, body, verified.

The signature is checked by signing again with the library's `Webhook.sign`
and comparing, rather than with `Webhook.verify`, because `verify` also
refuses timestamps more than five minutes from this machine's clock, and the
tests run Embargo on a fake clock.
"""

import json
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

SECRET_FILE, LOG_FILE, FAIL_FIRST = sys.argv[1], sys.argv[2], int(sys.argv[3])
SEEN = {"count": 0}
# Deliveries arrive concurrently (the job runner runs several at once): each
# request takes its number and writes its log line under this lock, so exactly
# the first FAIL_FIRST are refused whatever the interleaving.
LOCK = threading.Lock()


def verified(secret, msg_id, timestamp, body, signatures):
    expected = Webhook(secret).sign(msg_id, datetime.fromtimestamp(int(timestamp), tz=timezone.utc), body)
    return any(s == expected for s in signatures.split(" "))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        msg_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "0")
        signature = self.headers.get("webhook-signature", "")
        with open(SECRET_FILE, encoding="utf-8") as f:
            secret = f.read().strip()
        ok = verified(secret, msg_id, timestamp, body, signature)
        with LOCK:
            SEEN["count"] += 1
            number = SEEN["count"]
            with open(LOG_FILE, "a", encoding="utf-8") as log:
                entry = {"id": msg_id, "timestamp": timestamp, "signature": signature, "body": body, "verified": ok}
                log.write(json.dumps(entry) + "\n")
        if number <= FAIL_FIRST:
            self.answer(503, b"busy, try later")
        elif ok:
            self.answer(200, b"thanks")
        else:
            self.answer(401, b"bad signature")

    def answer(self, status, text):
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
