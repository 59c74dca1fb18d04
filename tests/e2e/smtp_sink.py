"""A real SMTP server (aiosmtpd) for the mail tests.

    smtp_sink.py DIR

Listens on a free loopback port and prints it on the first line of stdout. Each mail it
accepts is written to DIR as JSON (envelope recipients, every header, the text and HTML parts
as Python's e-mail parser reads them). While DIR/FAIL exists, every mail is answered with the
reply it holds (e.g. `451 4.3.0 try later`), to show retries. Stops when stdin closes.
"""

import json
import os
import socket
import sys
import time
import uuid
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        fail = os.path.join(self.folder, "FAIL")
        if os.path.exists(fail):
            with open(fail) as f:
                return f.read().strip() or "451 4.3.0 try again later"
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "rcpt": envelope.rcpt_tos,
            "mail_from": envelope.mail_from,
            "content_type": message.get_content_type(),
            "headers": [[k, str(v)] for k, v in message.items()],
            "parts": [part.get_content_type() for part in message.iter_parts()]
            if message.is_multipart()
            else [],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        tmp = os.path.join(self.folder, name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.folder, name + ".json"))
        return "250 OK"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    folder = sys.argv[1]
    port = free_port()
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
