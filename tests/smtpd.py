#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd), storing what it receives in
a maildir, each message behind an X-Envelope-To header.

usage: smtpd.py DIR PORT [--starttls CERT KEY] [--smtps CERT KEY]
                [--auth USER:PASSWORD] [--reply "450 4.3.2 try later"]
                [--reject ADDRESS]...
--reject refuses RCPT TO:<ADDRESS> as Postfix does an unknown user.
Writes DIR/ready once it listens; runs until killed.
"""
import argparse
import mailbox
import os
import signal
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, path, reply, reject):
        self.box = mailbox.Maildir(path, create=True)
        self.reply = reply
        self.reject = {a.lower() for a in reject}

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if address.lower() in self.reject:
            return ("550 5.1.1 <%s>: Recipient address rejected: "
                    "User unknown in local recipient table" % address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        head = "X-Envelope-To: %s\r\n" % ", ".join(envelope.rcpt_tos)
        self.box.add(head.encode() + envelope.original_content)
        return "250 2.0.0 stored"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("port", type=int)
    ap.add_argument("--starttls", nargs=2)
    ap.add_argument("--smtps", nargs=2)
    ap.add_argument("--auth")
    ap.add_argument("--reply")
    ap.add_argument("--reject", action="append", default=[])
    a = ap.parse_args()

    kw = {}
    for opt, key in (("starttls", "tls_context"), ("smtps", "ssl_context")):
        pair = getattr(a, opt)
        if pair:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*pair)
            kw[key] = ctx
    if a.starttls:
        kw["require_starttls"] = True
    if a.auth:
        user, password = a.auth.split(":", 1)

        def check(server, session, envelope, mechanism, data):
            if (isinstance(data, LoginPassword)
                    and data.login.decode() == user
                    and data.password.decode() == password):
                return AuthResult(success=True)
            # handled=False, or a bad login hangs the client.
            return AuthResult(success=False, handled=False)

        kw.update(authenticator=check, auth_required=True,
                  auth_require_tls=bool(a.starttls))
    ctl = Controller(Store(os.path.join(a.dir, "maildir"), a.reply,
                           a.reject),
                     hostname="127.0.0.1", port=a.port, **kw)
    ctl.start()
    open(os.path.join(a.dir, "ready"), "w").close()
    signal.signal(signal.SIGTERM, lambda *_: (ctl.stop(), os._exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
