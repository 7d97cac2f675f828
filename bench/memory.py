"""Worker memory over a long run: gunicorn workers' VmRSS sampled from /proc
in a background thread, and each worker's growth after warm-up.

A single sample can catch a worker mid-request: a scrypt password check
alone holds 32 MiB for a moment, and logins come in clusters, so even a
median of a few samples can land on one. A leak raises the floor that RSS
comes back to between requests; a transient allocation does not. So "after
warm-up" and "at the end" are each the lowest of several samples, and the
peak is reported beside them.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from bench.common import Server


@dataclass(frozen=True)
class WorkerMemory:
    pid: int
    warm_kib: int  # floors of several samples: see the module's docstring
    last_kib: int
    peak_kib: int
    warm_s: float  # seconds into the run of its first "warm" sample
    last_seen_s: float
    # False: recycled (max_requests) before the end; last_kib is its last sample.
    alive_at_end: bool

    @property
    def growth_pct(self) -> float:
        return 100 * (self.last_kib / self.warm_kib - 1)


class RssSampler:
    """Samples every worker's RSS every ``interval`` seconds until stopped."""

    def __init__(self, server: Server, interval: float = 2.0) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0

    def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic() - self._started, self.server.worker_rss_kib()))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.samples.append((time.monotonic() - self._started, self.server.worker_rss_kib()))

    def at(self, seconds: float) -> tuple[float, dict[int, int]]:
        """The first sample taken ``seconds`` or more after the start."""
        for when, rss in self.samples:
            if when >= seconds:
                return when, rss
        return self.samples[-1]

    def workers(self, warm_s: float, window: int = 5) -> list[WorkerMemory]:
        """Every worker that lived ``warm_s`` seconds (counted from the start
        of the run, or from its own start for a replacement) and then at least
        ``2 * window`` more samples: the lowest of its first ``window``
        samples from then on, and of its last ``window`` samples."""
        end = self.samples[-1][1]
        seen: dict[int, list[tuple[float, int]]] = {}
        for when, rss in self.samples:
            for pid, kib in rss.items():
                seen.setdefault(pid, []).append((when, kib))
        result = []
        for pid, mine in sorted(seen.items()):
            born = mine[0][0] if mine[0][0] > self.samples[0][0] else 0.0
            after = [(when, kib) for when, kib in mine if when >= born + warm_s]
            if len(after) < 2 * window:
                continue
            first, last = after[:window], after[-window:]
            result.append(WorkerMemory(pid, min(k for _, k in first), min(k for _, k in last),
                                       max(k for _, k in mine), first[0][0], mine[-1][0], pid in end))
        return result
