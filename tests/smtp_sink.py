#!/usr/bin/env python3
"""A loopback SMTP sink for the Worklife tests and benchmark (Debian's python3-aiosmtpd).

Usage: smtp_sink.py PORT OUT_DIR CONTROL_DIR

Stores every accepted message as OUT_DIR/<random>.eml, with a first line
"X-Sink-To: <recipients>". Answers RCPT with 550 for addresses listed (one a line) in
CONTROL_DIR/reject550 and 451 for those in CONTROL_DIR/defer451; the files are read on every
RCPT, so a test can change them while the sink runs. Prints "ready" once listening.
"""
import asyncio
import os
import sys
import uuid

from aiosmtpd.controller import Controller


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
        name = uuid.uuid4().hex
        tmp = os.path.join(self.out, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(("X-Sink-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode())
            f.write(envelope.original_content or envelope.content)
        # Readers see whole messages only.
        os.rename(tmp, os.path.join(self.out, name + ".eml"))
        return "250 OK"


def main():
    port, out, control = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    os.makedirs(control, exist_ok=True)
    controller = Controller(Sink(out, control), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
