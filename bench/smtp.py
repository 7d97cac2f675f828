"""Mail servers for fault benchmarks: a real inbox (aiosmtpd, from the tests'
support code) and a silent one that accepts connections and never answers,
like a mail server hung behind a firewall that still completes handshakes."""
from __future__ import annotations

import socket
import threading

from aiosmtpd.controller import Controller

from tests.support.smtp import Inbox


class SilentSMTP:
    """Listens on ``port`` (SO_REUSEADDR, so it can take over a port an inbox
    just left), accepts every connection and never sends a byte. Closing it
    drops every connection it holds, as a restarted server would."""

    def __init__(self, port: int = 0) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="silent-smtp", daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted.append(conn)

    def __enter__(self) -> SilentSMTP:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone may not.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()


class MailInbox:
    """An aiosmtpd server on ``port`` keeping every message in ``inbox``;
    start() and stop() may be called again, to take a mail server away and
    bring it back on the same port."""

    def __init__(self, port: int, inbox: Inbox | None = None) -> None:
        self.port = port
        self.inbox = inbox or Inbox()
        self._controller: Controller | None = None

    def start(self) -> MailInbox:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self, subject_part: str = "") -> int:
        return sum(1 for m in list(self.inbox.messages) if subject_part in (m["Subject"] or ""))
