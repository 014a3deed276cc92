#!/usr/bin/python3
"""An HTTP server that answers as Zendesk's ticket API does, and fails on
purpose, for the tests.

usage: zendesk.py DIR PORT
DIR/token      the API token (basic email/token:TOKEN) or OAuth token
DIR/plan       one answer per line, used by the POSTs in turn, then "ok":
               ok | 500 | text500 | 429:SECONDS | 401 | 403 | 422 |
               idem400 | drop (make the ticket, answer nothing) |
               slow:SECONDS (make the ticket, answer late)
DIR/noidem     if present, Idempotency-Key is not honoured
DIR/tickets.jsonl   every ticket made;  DIR/requests.jsonl  every request
Writes DIR/ready once it listens.
"""
import base64
import datetime
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
LOCK = threading.Lock()
TICKETS = []
KEYS = {}


def path(name):
    return os.path.join(DIR, name)


def next_answer():
    try:
        with open(path("plan")) as f:
            plan = [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        plan = []
    if not plan:
        return "ok"
    with open(path("plan"), "w") as f:
        f.write("\n".join(plan[1:]) + ("\n" if plan[1:] else ""))
    return plan[0]


class Zendesk(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        token = open(path("token")).read().strip()
        auth = self.headers.get("Authorization", "")
        if auth == "Bearer " + token:
            return True
        if auth.startswith("Basic "):
            user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return user.endswith("/token") and secret == token
        return False

    def record(self, body):
        with LOCK, open(path("requests.jsonl"), "a") as f:
            f.write(json.dumps({
                "method": self.command, "path": self.path,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "content_type": self.headers.get("Content-Type"),
                "body": body}) + "\n")

    def do_GET(self):
        self.record(None)
        if not self.authorised():
            return self.answer(401, {"error": "Couldn't authenticate you"})
        url = urllib.parse.urlparse(self.path)
        ext = urllib.parse.parse_qs(url.query).get("external_id", [None])[0]
        found = [t for t in TICKETS if t["external_id"] == ext]
        self.answer(200, {"tickets": found, "count": len(found)})

    def make(self, ticket):
        with LOCK:
            t = dict(ticket, id=len(TICKETS) + 1, requester_id=1,
                     created_at=datetime.datetime.utcnow().strftime(
                         "%Y-%m-%dT%H:%M:%SZ"))
            TICKETS.append(t)
            with open(path("tickets.jsonl"), "a") as f:
                f.write(json.dumps(t) + "\n")
        return t

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.record(raw.decode("utf-8", "replace"))
        if self.path != "/api/v2/tickets":
            return self.answer(404, {"error": "InvalidEndpoint"})
        if not self.authorised():
            return self.answer(401, {"error": "Couldn't authenticate you"})
        key = self.headers.get("Idempotency-Key")
        if key in KEYS and not os.path.exists(path("noidem")):
            return self.answer(201, {"ticket": KEYS[key]},
                               headers=[("x-idempotency-lookup", "hit")])
        what = next_answer()
        code, _, arg = what.partition(":")
        if code == "500":
            return self.answer(500, {"error": "InternalError"})
        if code == "text500":
            return self.answer(503, "Service Unavailable\nback soon",
                               "text/plain")
        if code == "429":
            return self.answer(429, "Too Many Requests", "text/plain",
                               [("Retry-After", arg)])
        if code == "401":
            return self.answer(401, {"error": "Couldn't authenticate you"})
        if code == "403":
            return self.answer(403, {"error": "Forbidden",
                                     "description": "You do not have access"})
        if code == "422":
            return self.answer(422, {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"requester": [{"description":
                                           "Requester: Email is invalid"}]}})
        if code == "idem400":
            return self.answer(400, {
                "error": "IdempotentRequestError",
                "description": "Request parameters differ"})
        ticket = self.make(json.loads(raw)["ticket"])
        if key:
            KEYS[key] = ticket
        if code == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if code == "slow":
            time.sleep(float(arg))
        self.answer(201, {"ticket": ticket},
                    headers=[("Location", "/api/v2/tickets/%d.json" % ticket["id"])])


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Zendesk)
    open(path("ready"), "w").close()
    server.serve_forever()


if __name__ == "__main__":
    main()
