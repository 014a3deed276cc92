"""What the HTTP stand-ins of the tests (zendesk.py, chatwoot.py) share: a
directory of state, a plan of answers read one a request, the requests
recorded, a threaded server on 127.0.0.1 that writes DIR/ready once it
listens.

DIR/plan   one answer per line, taken by the requests that follow it in
           turn (each stand-in says which), then "ok"
DIR/requests.jsonl   every request: method, path, headers named, body
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
LOCK = threading.Lock()


def path(name):
    return os.path.join(DIR, name)


def next_answer():
    """The plan's first answer, taken off it: "ok" when none is left."""
    with LOCK:
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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The request headers each line of requests.jsonl keeps, by the key
    # it keeps them under.
    recorded = {"content_type": "Content-Type"}

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

    def body(self):
        """The request's body, recorded with the request."""
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.record(raw.decode("utf-8", "replace"))
        return raw

    def record(self, body, **more):
        line = {"method": self.command, "path": self.path, "body": body}
        line.update({k: self.headers.get(h) for k, h in self.recorded.items()})
        line.update(more)
        with LOCK, open(path("requests.jsonl"), "a") as f:
            f.write(json.dumps(line) + "\n")

    def drop(self):
        """No answer: the connection closed once the request was acted on."""
        self.close_connection = True
        self.connection.shutdown(2)


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler)
    open(path("ready"), "w").close()
    server.serve_forever()
