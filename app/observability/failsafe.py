"""Log handlers that can never break a request.

logging already swallows errors raised while writing a record, but it prints
a traceback to stderr for every single line. With a full disk that is one
traceback per log line. These handlers report a failure once on stderr,
count every record they lose, and only try the disk again after a pause.
"""
from __future__ import annotations

import logging
import sys
import time

from concurrent_log_handler import ConcurrentRotatingFileHandler

from app.observability.metrics import LOG_WRITE_FAILURES


class FailSafeRotatingFileHandler(ConcurrentRotatingFileHandler):
    """A size-rotating file handler that is safe across processes (it locks a
    sibling lock file around each write and each rotation) and fails safe."""

    retry_after = 30.0  # seconds between attempts once writing has failed

    def __init__(self, filename: str, *args: object, **kwargs: object) -> None:
        super().__init__(filename, *args, **kwargs)  # type: ignore[arg-type]
        self._label = filename.rsplit("/", 1)[-1]
        self._failing = False
        self._paused_until = 0.0
        self._error_in_emit = False

    def handle(self, record: logging.LogRecord) -> bool:
        if self._failing and time.monotonic() < self._paused_until:
            LOG_WRITE_FAILURES.labels(self._label).inc(_lines(record))
            return False
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        self._error_in_emit = False
        super().emit(record)
        if self._failing and not self._error_in_emit:
            self._failing = False
            _stderr(f"microblog: writing {self.baseFilename} works again")

    def handleError(self, record: logging.LogRecord) -> None:
        self._error_in_emit = True
        LOG_WRITE_FAILURES.labels(self._label).inc(_lines(record))
        self._paused_until = time.monotonic() + self.retry_after
        if not self._failing:
            self._failing = True
            error = sys.exc_info()[1]
            _stderr(f"microblog: cannot write {self.baseFilename}: {error!r}; records are counted in "
                    f"log_write_failures_total and dropped, retrying every {self.retry_after:.0f}s")


def _lines(record: logging.LogRecord) -> int:
    """Log lines a record carries: one, or a whole batch (background.py)."""
    return getattr(record, "lines", 1)


def _stderr(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: S110  stderr itself is gone: nowhere left to report
        pass
