#!/usr/bin/python3
"""An HTTP server that answers as Zendesk's ticket API does, and fails on
purpose, for the tests.

usage: zendesk.py DIR PORT
DIR/token      the API token (basic email/token:TOKEN) or OAuth token
DIR/plan       one answer per line, used by the POSTs in turn (standin.py):
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
import time
import urllib.parse

from standin import LOCK, Handler, next_answer, path, serve

TICKETS = []
KEYS = {}


class Zendesk(Handler):
    recorded = {"idempotency_key": "Idempotency-Key",
                "content_type": "Content-Type"}

    def authorised(self):
        token = open(path("token")).read().strip()
        auth = self.headers.get("Authorization", "")
        if auth == "Bearer " + token:
            return True
        if auth.startswith("Basic "):
            user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return user.endswith("/token") and secret == token
        return False

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
        raw = self.body()
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
            return self.drop()
        if code == "slow":
            time.sleep(float(arg))
        self.answer(201, {"ticket": ticket},
                    headers=[("Location", "/api/v2/tickets/%d.json" % ticket["id"])])


if __name__ == "__main__":
    serve(Zendesk)
