"""Error emails from a background thread: grouped, digested, retried.

Requests only put a report on a bounded queue and never wait. One thread
per process takes reports off the queue and:

- mails the first occurrence of a fingerprint at once;
- only counts repeats within the window, then mails one digest saying how
  many more occurred and when;
- keeps mails that failed (server down or silent) and retries them, so
  sending resumes by itself when the server is back.
"""
from __future__ import annotations

import atexit
import os
import queue
import smtplib
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import pybreaker

from app.observability.alerts.groups import Digest, GroupStore
from app.observability.alerts.report import ErrorReport
from app.observability.metrics import ERROR_EMAILS


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0


class AlertOutbox:
    QUEUE_SIZE = 1000
    MAX_PENDING = 1000  # unsent mails kept for retry while the server is down (a few MB at most)

    def __init__(self, smtp: SMTPSettings, window: float, retry_interval: float = 10.0,
                 tick: float = 0.5, breaker: pybreaker.CircuitBreaker | None = None,
                 groups: GroupStore | None = None) -> None:
        self.smtp = smtp
        self.groups = groups or GroupStore()
        self.breaker = breaker
        self.window = window
        self.retry_interval = retry_interval
        self.tick = tick
        self._queue: queue.Queue[ErrorReport] = queue.Queue(self.QUEUE_SIZE)
        self._pending: deque[EmailMessage] = deque()
        self._next_retry = 0.0
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server_down = False
        self._stopped = False
        self._idle = threading.Event()
        atexit.register(self.close)

    # -- request side ---------------------------------------------------
    def submit(self, report: ErrorReport) -> None:
        """Never blocks: a full queue drops the report (and counts it)."""
        self._ensure_thread()
        try:
            self._queue.put_nowait(report)
        except queue.Full:
            ERROR_EMAILS.labels("dropped").inc()
        self._idle.clear()  # after the put: the worker sets it again once the queue is empty

    def _ensure_thread(self) -> None:
        # Started lazily and per process: a thread started before gunicorn
        # forks its workers would not exist in them.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="error-mail", daemon=True)
                self._thread.start()

    # -- worker side ----------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report: ErrorReport | None = self._queue.get(timeout=self.tick)
            except queue.Empty:
                report = None
            try:
                self._flush_due_digests()
                if report is not None:
                    self._take(report)
                self._retry_pending()
            except Exception as exc:  # keep the thread alive; never log to the app logger (loops)
                _stderr(f"microblog: error-mail thread: {exc!r}")
            if report is None and self._queue.empty() and not self._pending:
                self._idle.set()

    def _take(self, report: ErrorReport) -> None:
        if self.groups.record(report, time.time(), self.window):
            self._deliver(self._message(report.subject, report.body), "sent")
        else:
            ERROR_EMAILS.labels("grouped").inc()

    def _flush_due_digests(self, everything: bool = False) -> None:
        for digest in self.groups.take_due(time.time(), everything):
            self._deliver(self._digest(digest), "digest")

    def _digest(self, digest: Digest) -> EmailMessage:
        first = digest.first
        times = "once more" if digest.repeats == 1 else f"{digest.repeats} more times"
        subject = f"Microblog Failure digest: {first.exc_type} in {first.endpoint} ({digest.repeats} more)"
        body = "\n".join([
            subject,
            "",
            f"The error first mailed at {first.when.isoformat(timespec='seconds')} occurred {times}",
            f"between {digest.first_repeat.isoformat(timespec='seconds')} "
            f"and {digest.last_repeat.isoformat(timespec='seconds')}.",
            f"Fingerprint: {first.fingerprint}",
            "",
            "The first occurrence, for reference:",
            "",
            first.body,
        ])
        return self._message(subject, body)

    def _message(self, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.smtp.sender
        msg["To"] = ", ".join(self.smtp.recipients)
        msg["Date"] = datetime.now(UTC)
        msg.set_content(body)
        return msg

    def _deliver(self, msg: EmailMessage, result: str) -> None:
        if self._pending:  # the server is known to be down: queue behind the others
            self._keep(msg)
            return
        if self._send(msg):
            ERROR_EMAILS.labels(result).inc()
        else:
            self._keep(msg)

    def _keep(self, msg: EmailMessage) -> None:
        if len(self._pending) >= self.MAX_PENDING:
            self._pending.popleft()
            ERROR_EMAILS.labels("dropped").inc()
        self._pending.append(msg)
        self._next_retry = max(self._next_retry, time.monotonic() + self.retry_interval)

    def _retry_pending(self) -> None:
        if not self._pending or time.monotonic() < self._next_retry:
            return
        while self._pending:
            if not self._send(self._pending[0]):
                self._next_retry = time.monotonic() + self.retry_interval
                return
            self._pending.popleft()
            ERROR_EMAILS.labels("sent").inc()

    def _send(self, msg: EmailMessage) -> bool:
        s = self.smtp
        try:
            if self.breaker is not None:
                self.breaker.call(self._smtp_send, msg)
            else:
                self._smtp_send(msg)
        except pybreaker.CircuitBreakerError:
            return False  # the breaker is open: not even tried; kept for later
        except (OSError, smtplib.SMTPException) as exc:
            ERROR_EMAILS.labels("failed").inc()
            if not self._server_down:  # once per outage, not once per attempt
                self._server_down = True
                _stderr(f"microblog: could not send an error email via {s.host}:{s.port}: {exc!r}; "
                        f"retrying every {self.retry_interval:g}s")
            return False
        if self._server_down:
            self._server_down = False
            _stderr(f"microblog: error emails are going out again via {s.host}:{s.port}")
        return True

    def _smtp_send(self, msg: EmailMessage) -> None:
        s = self.smtp
        smtp_class = smtplib.SMTP_SSL if s.use_ssl else smtplib.SMTP
        with smtp_class(s.host, s.port, timeout=s.timeout) as server:
            if s.use_tls:
                server.starttls()
            if s.username and s.password:
                server.login(s.username, s.password)
            server.send_message(msg)

    # -- lifecycle ------------------------------------------------------
    def wait_idle(self, timeout: float) -> bool:
        """For tests and shutdown: wait until everything queued was handled."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        """Stop the thread; what is still queued or open stays unsent."""
        self._stopped = True
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=self.smtp.timeout + 1)

    def close(self) -> None:
        """At exit: mail the digests still open, best effort (not after stop())."""
        if self._stopped:
            return
        self.stop()
        try:
            while True:
                self._take(self._queue.get_nowait())
        except queue.Empty:
            pass
        # With a shared store other processes may still count repeats: the
        # digest is theirs to send when the window closes.
        self._flush_due_digests(everything=not self.groups.shared)


def _stderr(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
    except Exception:  # noqa: S110  nowhere left to report
        pass
