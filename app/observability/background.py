"""Work done a few times a second by a background thread instead of on every
request: a log handler that writes in batches, and the thread helper behind it.

The request log writes a line per request. Written on the request's time, the
file lock, rotation check and JSON formatting cost about a twentieth of a
light page; handed to a thread woken for every line, the thread switches and
GIL handoffs cost more than the writing (a quarter of /auth/login's req/s
under gunicorn). So the request only appends to a queue, and the thread wakes
a few times a second, formats everything queued and writes it with one locked
write.

``submit()`` queues a plain dict of fields: building a LogRecord for it
(makeRecord, findCaller) and python-json-logger picking the extras back out of
the record cost three times the JSON encoding itself, so the dict goes to the
formatter's own ``process_log_record`` and ``serialize_log_record`` steps.
Records logged the usual way still work (``emit``).
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from pythonjsonlogger.core import BaseJsonFormatter

from app.observability.metrics import LOG_WRITE_FAILURES


class Ticker:
    """Calls ``work`` every ``interval`` seconds from a daemon thread, and at
    exit. Started on first use in each process: a thread started before
    gunicorn forks would not exist in the workers."""

    def __init__(self, name: str, interval: float, work: Callable[[], None]) -> None:
        self.name = name
        self.interval = interval
        self.work = work
        self._pid = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def ensure_running(self) -> None:
        if self._pid != os.getpid():
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._stop.clear()
            threading.Thread(target=self._run, name=self.name, daemon=True).start()
            self._pid = os.getpid()
            atexit.register(self.work)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.work()
            except Exception:  # noqa: S112  the work counts its own failures; the thread must live on
                continue

    def stop(self) -> None:
        self._stop.set()


class BatchingHandler(logging.Handler):
    QUEUE_SIZE = 50_000  # beyond this the writer cannot keep up: drop and count
    INTERVAL = 0.25  # seconds between batches

    def __init__(self, target: logging.Handler, formatter: BaseJsonFormatter, label: str) -> None:
        super().__init__()
        self.target = target  # writes what it is given as is: its formatter is "%(message)s"
        self.line_formatter = formatter
        self.label = label
        # SimpleQueue: a put is one C call, no Condition to notify.
        self.queue: queue.SimpleQueue[logging.LogRecord | dict[str, Any]] = queue.SimpleQueue()
        self._write_lock = threading.Lock()
        self._writer = Ticker(f"log-{label}", self.INTERVAL, self.flush)
        self._microblog_handler = True

    def submit(self, fields: dict[str, Any]) -> None:
        """Queue one line's fields; the writer thread formats and writes them."""
        self._writer.ensure_running()
        if self.queue.qsize() >= self.QUEUE_SIZE:
            LOG_WRITE_FAILURES.labels(self.label).inc()
        else:
            self.queue.put(fields)

    def emit(self, record: logging.LogRecord) -> None:
        self.submit(record)  # type: ignore[arg-type]  # formatted the usual way by the writer

    def _format(self, item: logging.LogRecord | dict[str, Any]) -> str:
        if isinstance(item, logging.LogRecord):
            return self.line_formatter.format(item)
        formatter = self.line_formatter
        return formatter.serialize_log_record(formatter.process_log_record(item))

    def flush(self) -> None:
        """Write everything queued so far (the thread's batch, tests, exit)."""
        with self._write_lock:
            lines = []
            while True:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                try:
                    lines.append(self._format(item))
                except Exception:
                    LOG_WRITE_FAILURES.labels(self.label).inc()
            if lines:
                batch = logging.LogRecord(self.label, logging.INFO, __file__, 0, "\n".join(lines), None, None)
                batch.lines = len(lines)  # a failed write loses, and counts, every one of them
                self.target.handle(batch)  # one lock, one rotation check, one write; failures counted there
            try:
                self.target.flush()
            except OSError:
                pass  # a full disk: the write above already reported and counted it

    def close(self) -> None:
        self._writer.stop()
        self.flush()
        self.target.close()
        super().close()
