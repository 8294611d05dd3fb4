#!/usr/bin/env python3
"""A loopback SMTP sink for the Worklife tests and benchmark (Debian's python3-aiosmtpd).

Usage: smtp_sink.py PORT OUT_DIR CONTROL_DIR [tls=starttls|implicit cert=PEM key=PEM]
                    [auth=USER:PASSWORD]

Stores every accepted message as OUT_DIR/<random>.eml, with a first line
"X-Sink-To: <recipients>". Answers RCPT with 550 for addresses listed (one a line) in
CONTROL_DIR/reject550 and 451 for those in CONTROL_DIR/defer451; the files are read on every
RCPT, so a test can change them while the sink runs; CONTROL_DIR/delay_ms (read on every
DATA) makes it wait that long before accepting a message. Prints "ready" once listening.

With tls=starttls the server offers STARTTLS and refuses mail (and login) before it; with
tls=implicit every connection is TLS from the first byte (SMTPS). With auth=USER:PASSWORD
it refuses mail until the client logs in with exactly those credentials. Each stored
message then also has "X-Sink-TLS: yes|no" and "X-Sink-Login: USER" lines.
"""
import asyncio
import os
import ssl
import sys
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def listed(control, name, address):
    try:
        with open(os.path.join(control, name)) as f:
            return address.lower() in {line.strip().lower() for line in f}
    except FileNotFoundError:
        return False


class Sink:
    def __init__(self, out, control):
        self.out = out
        self.control = control

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if listed(self.control, "reject550", address):
            return "550 5.1.1 mailbox unavailable"
        if listed(self.control, "defer451", address):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # A slow server: CONTROL_DIR/delay_ms holds how long to think before accepting.
        try:
            with open(os.path.join(self.control, "delay_ms")) as f:
                await asyncio.sleep(int(f.read().strip() or 0) / 1000)
        except FileNotFoundError:
            pass
        name = uuid.uuid4().hex
        tmp = os.path.join(self.out, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(("X-Sink-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode())
            # session.ssl is set by STARTTLS only; implicit TLS shows on the transport.
            encrypted = session.ssl is not None or server.transport.get_extra_info("ssl_object")
            tls = "yes" if encrypted else "no"
            f.write(("X-Sink-TLS: " + tls + "\r\n").encode())
            login = session.auth_data.login.decode() if session.auth_data else ""
            f.write(("X-Sink-Login: " + login + "\r\n").encode())
            f.write(envelope.original_content or envelope.content)
        # Readers see whole messages only.
        os.rename(tmp, os.path.join(self.out, name + ".eml"))
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        # handled=False: aiosmtpd itself answers "535 Authentication credentials invalid".
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def main():
    port, out, control = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    options = dict(arg.split("=", 1) for arg in sys.argv[4:])
    os.makedirs(out, exist_ok=True)
    os.makedirs(control, exist_ok=True)
    kwargs = {}
    mode = options.get("tls")
    if mode:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options["cert"], options["key"])
        if mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif mode == "implicit":
            kwargs.update(ssl_context=context)
        else:
            sys.exit("tls must be starttls or implicit")
    if "auth" in options:
        user, password = options["auth"].split(":", 1)
        kwargs.update(
            authenticator=authenticator(user, password),
            auth_required=True,
            # Over implicit TLS the whole connection is encrypted already.
            auth_require_tls=mode == "starttls",
        )
    controller = Controller(Sink(out, control), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
