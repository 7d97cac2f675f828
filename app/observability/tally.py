"""Request counts, durations and requests in progress, and SQL statements'
counts and durations, handed to prometheus-client a second at a time.

Under gunicorn every counter increment, histogram observation and gauge
change is a locked write to the worker's memory-mapped file, a handful of
Python calls each. Made at the ends of a request, with the processor's caches
full of the page just rendered, those five writes per request were the bulk
of what metrics cost /auth/login (profiled under gunicorn: the in-progress
gauge alone about 1% of a worker's time). So a request only puts (method,
endpoint, status, seconds) on a queue and its token in a set, and a thread
writes the totals once a second: one counter increment per series, the
observations back to back, and the gauge's new value if it changed.

SQL statements are tallied the same way: their counter and histogram writes
took 5.3 µs of CPU a statement in process (a page runs two to four), the
queue put 0.38 µs.

The shared files therefore lag by up to a second, which a 15-second scrape
interval never sees: a scrape flushes its own process first (``flush``), a
worker flushes when it exits (atexit, and deploy/gunicorn.conf.py's
``worker_exit``), and only a worker killed outright loses its last second.
"""
from __future__ import annotations

import queue
import threading
from collections import Counter as Tally
from collections.abc import Iterator
from typing import TypeVar

from prometheus_client import Histogram

from app.observability.background import Ticker
from app.observability.metrics import DB_DURATION, DB_STATEMENTS, HTTP_DURATION, HTTP_IN_PROGRESS, HTTP_REQUESTS

INTERVAL = 1.0  # seconds between flushes
T = TypeVar("T")

_queue: queue.SimpleQueue[tuple[str, str, int, float]] = queue.SimpleQueue()
# (statement, seconds): seconds is None for a statement that failed (counted,
# not timed). The statement is SQLAlchemy's own string, not a copy; its
# operation is read by the flushing thread.
_statements: queue.SimpleQueue[tuple[str, float | None]] = queue.SimpleQueue()
_in_progress: set[int] = set()  # tokens of requests started and not yet ended
_gauge_shows = 0
_gauge_lock = threading.Lock()


def started(token: int) -> None:
    """A request began (set.add: one C call, atomic under the GIL)."""
    _flusher.ensure_running()
    _in_progress.add(token)


def ended(token: int) -> None:
    _in_progress.discard(token)


def add(method: str, endpoint: str, status: int, seconds: float) -> None:
    """Count one answered request (a queue put)."""
    _queue.put((method, endpoint, status, seconds))


def statement(text: str, seconds: float | None) -> None:
    """Count one SQL statement (``seconds`` None: it failed); also outside
    requests (jobs, commands), so the thread is started here too."""
    _flusher.ensure_running()
    _statements.put((text, seconds))


def _drained(items: queue.SimpleQueue[T]) -> Iterator[T]:
    """Everything on ``items`` now, without waiting for more."""
    while True:
        try:
            yield items.get_nowait()
        except queue.Empty:
            return


def _flush_statements() -> None:
    from app.observability.sql import operation  # sql.py imports this module

    counts: Tally[str] = Tally()
    histograms: dict[str, Histogram] = {}
    for text, seconds in _drained(_statements):
        op = operation(text)
        counts[op] += 1
        if seconds is not None:
            histogram = histograms.get(op)
            if histogram is None:
                histogram = histograms[op] = DB_DURATION.labels(op)
            histogram.observe(seconds)
    for op, count in counts.items():
        DB_STATEMENTS.labels(op).inc(count)


def flush() -> None:
    """Write everything queued so far, and the number in progress now."""
    global _gauge_shows
    _flush_statements()
    counts: Tally[tuple[str, str, int]] = Tally()
    histograms: dict[tuple[str, str], Histogram] = {}
    for method, endpoint, status, seconds in _drained(_queue):
        counts[method, endpoint, status] += 1
        histogram = histograms.get((method, endpoint))
        if histogram is None:
            histogram = histograms[method, endpoint] = HTTP_DURATION.labels(method, endpoint)
        histogram.observe(seconds)
    for (method, endpoint, status), count in counts.items():
        HTTP_REQUESTS.labels(method, endpoint, str(status)).inc(count)
    with _gauge_lock:
        now = len(_in_progress)
        if now != _gauge_shows:
            HTTP_IN_PROGRESS.set(now)
            _gauge_shows = now


_flusher = Ticker("request-metrics", INTERVAL, flush)
