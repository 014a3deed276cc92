#!/usr/bin/python3
"""An HTTP server that answers as Chatwoot's REST API does for the
write-back (toggle_status, labels, messages), and fails on purpose, for the
tests.

usage: chatwoot.py DIR PORT
DIR/token      the access token, checked in the header api_access_token
DIR/plan       one answer per line, used by the POSTs in turn (standin.py):
               ok | 500 | 429:SECONDS | 401 | 403 | 404 | 422 |
               drop (do it, answer nothing) | slow:SECONDS (do it, answer
               late)
DIR/state.json     every conversation written to, by "ACCOUNT/ID": its
                   status, labels and messages
DIR/requests.jsonl every request (whether the token matched, never it)
Writes DIR/ready once it listens.
"""
import json
import re
import time

from standin import LOCK, Handler, next_answer, path, serve

CONVERSATIONS = {}
PATH = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)/"
                  r"(toggle_status|labels|messages)$")
MESSAGES = [0]


def conversation(account, display):
    return CONVERSATIONS.setdefault(f"{account}/{display}", {
        "status": "open", "labels": [], "messages": []})


def save():
    with open(path("state.json"), "w") as f:
        json.dump(CONVERSATIONS, f)


class Chatwoot(Handler):
    def authorised(self):
        token = open(path("token")).read().strip()
        return self.headers.get("api_access_token") == token

    def refuse(self):
        """Chatwoot's own answer to a missing or wrong token."""
        self.answer(401, {"errors": ["You need to sign in or sign up "
                                     "before continuing."]})

    def do_GET(self):
        self.record(None, token_ok=self.authorised())
        m = PATH.match(self.path)
        if not m or m.group(3) != "messages":
            return self.answer(404, {"error": "Resource could not be found"})
        if not self.authorised():
            return self.refuse()
        with LOCK:
            c = conversation(m.group(1), m.group(2))
            self.answer(200, {"meta": {"labels": c["labels"]},
                              "payload": c["messages"]})

    def do_POST(self):
        raw = self.body()
        m = PATH.match(self.path)
        if not m:
            return self.answer(404, {"error": "Resource could not be found"})
        if not self.authorised():
            return self.refuse()
        what = next_answer()
        code, _, arg = what.partition(":")
        if code == "500":
            return self.answer(500, {"status": 500,
                                     "error": "Internal Server Error"})
        if code == "429":
            return self.answer(429, "Retry later\n", "text/plain",
                               [("Retry-After", arg)])
        if code == "401":
            return self.refuse()
        if code == "403":
            return self.answer(403, {"error": "Access to this resource "
                                     "is forbidden"})
        if code == "404":
            return self.answer(404, {"error": "Resource could not be found"})
        if code == "422":
            return self.answer(422, {"message": "Validation failed: "
                                     "Content can't be blank"})
        req = json.loads(raw)
        account, display, op = m.groups()
        with LOCK:
            c = conversation(account, display)
            if op == "toggle_status":
                c["status"] = req["status"]
                out = {"meta": {}, "payload": {
                    "success": True, "current_status": c["status"],
                    "conversation_id": int(display)}}
            elif op == "labels":
                c["labels"] = req["labels"]
                out = {"payload": c["labels"]}
            else:
                MESSAGES[0] += 1
                out = {"id": MESSAGES[0], "content": req["content"],
                       "account_id": int(account),
                       "conversation_id": int(display),
                       "message_type": 1 if req.get("message_type") ==
                       "outgoing" else 0,
                       "private": bool(req.get("private")),
                       "created_at": int(time.time()),
                       "content_type": "text", "sender_type": "User"}
                c["messages"].append(out)
            save()
        if code == "drop":
            return self.drop()
        if code == "slow":
            time.sleep(float(arg))
        self.answer(200, out)


if __name__ == "__main__":
    serve(Chatwoot)
