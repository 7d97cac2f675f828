"""A log handler that writes in batches from a background thread.

The request log writes a line per request. Written on the request's time, the
file lock, rotation check and JSON formatting cost about a twentieth of a
light page; handed to a thread woken for every line, the thread switches and
GIL handoffs cost more than the writing (a quarter of /auth/login's req/s
under gunicorn). So the request only appends the record to a queue, and the
thread wakes a few times a second, formats everything queued and writes it
with one locked write.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading

from app.observability.metrics import LOG_WRITE_FAILURES


class BatchingHandler(logging.Handler):
    QUEUE_SIZE = 50_000  # beyond this the writer cannot keep up: drop and count
    INTERVAL = 0.25  # seconds between batches

    def __init__(self, target: logging.Handler, formatter: logging.Formatter, label: str) -> None:
        super().__init__()
        self.target = target  # writes what it is given as is: its formatter is "%(message)s"
        self.line_formatter = formatter
        self.label = label
        self.queue: queue.Queue[logging.LogRecord] = queue.Queue(self.QUEUE_SIZE)
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stop = threading.Event()
        self._microblog_handler = True

    def emit(self, record: logging.LogRecord) -> None:
        self._ensure_thread()
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            LOG_WRITE_FAILURES.labels(self.label).inc()

    def _ensure_thread(self) -> None:
        # Per process, on first use: a thread started before gunicorn forks
        # would not exist in the workers.
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._write_lock:
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name=f"log-{self.label}", daemon=True)
                self._thread.start()
                atexit.register(self.flush)

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self.flush()

    def flush(self) -> None:
        """Write everything queued so far (the thread's batch, tests, exit)."""
        with self._write_lock:
            lines = []
            while True:
                try:
                    record = self.queue.get_nowait()
                except queue.Empty:
                    break
                try:
                    lines.append(self.line_formatter.format(record))
                except Exception:
                    LOG_WRITE_FAILURES.labels(self.label).inc()
            if lines:
                batch = logging.LogRecord(self.label, logging.INFO, __file__, 0, "\n".join(lines), None, None)
                self.target.handle(batch)  # one lock, one rotation check, one write; failures counted there
            try:
                self.target.flush()
            except OSError:
                pass  # a full disk: the write above already reported and counted it

    def close(self) -> None:
        self._stop.set()
        self.flush()
        self.target.close()
        super().close()
