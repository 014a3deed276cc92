#!/usr/bin/python3
"""An HTTP server that answers as Chatwoot's REST API does for the
write-back (a conversation's details, toggle_status, labels, messages), and
fails on purpose, for the tests.

usage: chatwoot.py DIR PORT
DIR/token      the access token, checked in the header api_access_token
DIR/plan       one answer per line, used by the POSTs in turn (standin.py):
               ok | 500 | 429:SECONDS | 401 | 403 | 404 | 422 |
               drop (do it, answer nothing) | lose (answer nothing, and
               do nothing) | slow:SECONDS (do it, answer late)
DIR/gone       display ids, one a line: conversations deleted on Chatwoot,
               404 to every request about them
DIR/state.json     every conversation written to, by "ACCOUNT/ID": its
                   status, labels and messages; read at the start when
                   there, so that a test may give a conversation its past
DIR/requests.jsonl every request (whether the token matched, never it)
Every conversation is in inbox 3, as tests/chatwoot/widget.jsonl's are. The
messages are listed as Chatwoot's MessageFinder does: the 20 latest, or the
20 before the id of ?before=, oldest first.
Writes DIR/ready once it listens.
"""
import json
import os
import re
import time
from urllib.parse import parse_qs, urlsplit

from standin import LOCK, Handler, next_answer, path, serve

CONVERSATIONS = {}
PATH = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)"
                  r"(/toggle_status|/labels|/messages|)$")
INBOX = 3
PAGE = 20
MESSAGES = [0]


def conversation(account, display):
    return CONVERSATIONS.setdefault(f"{account}/{display}", {
        "status": "open", "labels": [], "messages": []})


def gone(display):
    try:
        with open(path("gone")) as f:
            return display in f.read().split()
    except FileNotFoundError:
        return False


def load():
    if os.path.exists(path("state.json")):
        with open(path("state.json")) as f:
            CONVERSATIONS.update(json.load(f))
    MESSAGES[0] = max([m["id"] for c in CONVERSATIONS.values()
                       for m in c["messages"]], default=0)


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
        url = urlsplit(self.path)
        m = PATH.match(url.path)
        if not m or m.group(3) not in ("", "/messages") or gone(m.group(2)):
            return self.answer(404, {"error": "Resource could not be found"})
        if not self.authorised():
            return self.refuse()
        account, display = int(m.group(1)), int(m.group(2))
        with LOCK:
            c = conversation(account, display)
            if m.group(3) == "":
                return self.answer(200, {
                    "meta": {"channel": "Channel::WebWidget",
                             "hmac_verified": False},
                    "id": display, "account_id": account,
                    "inbox_id": INBOX, "status": c["status"],
                    "labels": c["labels"], "messages": c["messages"][-1:],
                    "created_at": int(time.time()), "unread_count": 0})
            before = parse_qs(url.query).get("before")
            listed = [x for x in c["messages"]
                      if before is None or x["id"] < int(before[0])]
            self.answer(200, {"meta": {"labels": c["labels"]},
                              "payload": listed[-PAGE:]})

    def do_POST(self):
        raw = self.body()
        m = PATH.match(self.path)
        if not m or m.group(3) == "" or gone(m.group(2)):
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
        if code == "lose":
            return self.drop()
        if code == "422":
            return self.answer(422, {"message": "Validation failed: "
                                     "Content can't be blank"})
        req = json.loads(raw)
        account, display, op = m.group(1), m.group(2), m.group(3)[1:]
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
    load()
    serve(Chatwoot)
