"""Where error groups live: which fingerprints were mailed, until when repeats
are only counted, and how many there were.

With several gunicorn workers, or several hosts, each process seeing the
same bug must agree that it was already mailed, or an outage sends one email
per worker. So the groups live in a store the processes share: a JSON file
under a lock (one host) or Redis (several hosts). A process-local store is
kept for tests and as the fallback when the shared one fails.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from app.observability.alerts.report import ErrorReport


@dataclass
class Digest:
    first: ErrorReport
    repeats: int
    first_repeat: datetime
    last_repeat: datetime


def _report_to_json(report: ErrorReport) -> dict[str, str]:
    data = asdict(report)
    data["when"] = report.when.isoformat()
    return data


def _report_from_json(data: dict[str, str]) -> ErrorReport:
    return ErrorReport(**{**data, "when": datetime.fromisoformat(data["when"])})  # type: ignore[arg-type]


class GroupStore:
    """Process-local groups. Subclasses share them through ``_state``."""

    shared = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, dict] = {}
        self._fallback_reported = False

    @contextmanager
    def _state(self) -> Iterator[dict[str, dict]]:
        with self._lock:
            yield self._data

    def _safely(self) -> AbstractContextManager[dict[str, dict]]:
        """The shared state; the local one if the shared store fails."""
        return _Fallback(self)

    def record(self, report: ErrorReport, now: float, window: float) -> bool:
        """Count one occurrence. True when it opens a new group: mail it now."""
        with self._safely() as state:
            group = state.get(report.fingerprint)
            if group is None or now >= group["window_ends"] and not group["repeats"]:
                state[report.fingerprint] = {"window_ends": now + window, "repeats": 0, "first_repeat": None,
                                             "last_repeat": None, "first": _report_to_json(report)}
                return True
            group["repeats"] += 1
            group["first_repeat"] = group["first_repeat"] or report.when.isoformat()
            group["last_repeat"] = report.when.isoformat()
            return False

    def take_due(self, now: float, everything: bool = False) -> list[Digest]:
        """Close the groups whose window ended; return those with repeats."""
        digests = []
        with self._safely() as state:
            for fingerprint, group in list(state.items()):
                if everything or now >= group["window_ends"]:
                    del state[fingerprint]
                    if group["repeats"]:
                        digests.append(Digest(_report_from_json(group["first"]), group["repeats"],
                                              datetime.fromisoformat(group["first_repeat"]),
                                              datetime.fromisoformat(group["last_repeat"])))
        return digests


class _Fallback(AbstractContextManager):
    def __init__(self, store: GroupStore) -> None:
        self.store = store
        self._inner: AbstractContextManager | None = None

    def __enter__(self) -> dict[str, dict]:
        try:
            self._inner = self.store._state()
            return self._inner.__enter__()
        except Exception as exc:
            if not self.store._fallback_reported:
                self.store._fallback_reported = True
                sys.stderr.write(f"microblog: error-alert groups not shared ({exc!r}); grouping per process\n")
            self._inner = GroupStore._state(self.store)
            return self._inner.__enter__()

    def __exit__(self, *exc: object) -> bool | None:
        assert self._inner is not None
        try:
            return self._inner.__exit__(*exc)
        except Exception:
            return None  # the state could not be saved: this occurrence counted locally only


class FileGroupStore(GroupStore):
    """Groups in a JSON file, under an exclusive lock: every process on the host."""

    shared = True

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = Path(path)

    @contextmanager
    def _state(self) -> Iterator[dict[str, dict]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(f"{self.path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:
                    state = json.loads(self.path.read_text())
                except (FileNotFoundError, ValueError):
                    state = {}
                yield state
                tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
                tmp.write_text(json.dumps(state))
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class RedisGroupStore(GroupStore):
    """Groups in one Redis key, under a Redis lock: every process on every host."""

    shared = True
    KEY = "microblog:error-alerts"

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @contextmanager
    def _state(self) -> Iterator[dict[str, dict]]:
        with self._lock, self.client.lock(f"{self.KEY}:lock", timeout=10, blocking_timeout=5):
            raw = self.client.get(self.KEY)
            state = json.loads(raw) if raw else {}
            yield state
            self.client.set(self.KEY, json.dumps(state), ex=7 * 24 * 3600)


def make_store(setting: str | None, redis_url: str | None, default_path: str) -> GroupStore:
    """``setting``: "memory", "redis", a file path, or None for Redis when
    REDIS_URL is set and a file in the instance folder otherwise."""
    if setting == "memory":
        return GroupStore()
    if setting == "redis" or (setting is None and redis_url):
        if not redis_url:
            raise RuntimeError("ERROR_EMAIL_STATE is 'redis' but REDIS_URL is not set")
        return RedisGroupStore(redis_url)
    return FileGroupStore(setting or default_path)
