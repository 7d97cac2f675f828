"""A log handler that writes from a background thread.

The request log writes a line per request; taking the file lock, checking
for rotation and formatting JSON on the request's own time cost about a
twentieth of a light page. Here the request only puts the record on a queue,
and one thread per process formats and writes it.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from logging.handlers import QueueHandler, QueueListener

from app.observability.metrics import LOG_WRITE_FAILURES


class BackgroundHandler(QueueHandler):
    QUEUE_SIZE = 10_000  # beyond this the writer cannot keep up: drop and count

    def __init__(self, target: logging.Handler, label: str) -> None:
        super().__init__(queue.Queue(self.QUEUE_SIZE))
        self.target = target
        self.label = label
        self._listener: QueueListener | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._microblog_handler = True

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record  # the target's formatter runs in the writer thread

    def enqueue(self, record: logging.LogRecord) -> None:
        self._ensure_listener()
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            LOG_WRITE_FAILURES.labels(self.label).inc()

    def _ensure_listener(self) -> None:
        # Started per process and on first use: a thread started before
        # gunicorn forks would not exist in the workers.
        if self._listener is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._listener is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._listener = QueueListener(self.queue, self.target)
                self._listener.start()
                atexit.register(self.flush_and_stop)

    def flush(self) -> None:
        """Wait until every queued record is written."""
        if self._listener is not None and self._pid == os.getpid():
            self.queue.join()
        self.target.flush()

    def flush_and_stop(self) -> None:
        """Write what is queued, then stop the thread (at exit, and in tests)."""
        listener, self._listener = self._listener, None
        if listener is not None and self._pid == os.getpid():
            listener.stop()

    def close(self) -> None:
        self.flush_and_stop()
        self.target.close()
        super().close()
