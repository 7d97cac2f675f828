"""prometheus-client's multiprocess mode, kept fast over worker restarts.

Every gunicorn worker writes its metrics to files named after its pid, and a
scrape reads all of them. prometheus-client's ``mark_process_dead`` only
removes a dead worker's live gauges; its counters and histograms stay behind,
one more set of files per restart, so scrapes get slower by the hour. Here a
dead worker's counters and histograms are added into one ``*_archive.db``
file per type and its own files deleted. Totals never change, and the number
of files stays bounded by the number of live workers.

A scrape and a compaction must not overlap (the scrape could count a worker
twice, or miss it, which Prometheus would read as a counter reset), so both
take a lock file: shared for scrapes, exclusive for compactions.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import multiprocess
from prometheus_client.mmap_dict import MmapedDict

LOCK_NAME = "compaction.lock"
SUMMED_TYPES = ("counter", "histogram")  # series that add up across processes


@contextmanager
def locked(directory: str, exclusive: bool) -> Iterator[None]:
    with open(Path(directory) / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def compact_dead_worker(pid: int, directory: str | None = None) -> None:
    """Call in gunicorn's ``child_exit``: forget the dead worker's live gauges
    and fold its counters and histograms into the archive files."""
    directory = directory or os.environ["PROMETHEUS_MULTIPROC_DIR"]
    with locked(directory, exclusive=True):
        multiprocess.mark_process_dead(pid, directory)
        for typ in SUMMED_TYPES:
            dead = Path(directory) / f"{typ}_{pid}.db"
            if not dead.exists():
                continue
            archive = MmapedDict(str(Path(directory) / f"{typ}_archive.db"))
            try:
                for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(str(dead)):
                    current, _ = archive.read_value(key)
                    archive.write_value(key, current + value, timestamp)
            finally:
                archive.close()
            dead.unlink()


def prepare_directory(directory: str) -> None:
    """Call once when the server starts: an empty directory, so counters from
    an earlier run are not added to this one's."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
