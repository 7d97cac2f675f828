"""The queue binding: one Huey per app, on SQLite or Redis.

Huey was chosen over RQ (the Mega-Tutorial's) because it has an embedded
store: the default set-up queues jobs in an SQLite file in the instance
folder, so `make run` exports with no Redis server, and production points
QUEUE_URL (or REDIS_URL) at Redis to spread the same jobs over workers on
several hosts, with the same code.
"""
from __future__ import annotations

import os
import sqlite3
from urllib.parse import urlsplit

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

QUEUE_NAME = "microblog"


def queue_url(app: Flask) -> str:
    """QUEUE_URL, else Redis at REDIS_URL, else an SQLite file in the instance folder."""
    url = app.config.get("QUEUE_URL") or app.config.get("REDIS_URL")
    return url or "sqlite:///" + os.path.join(app.instance_path, "queue.db")


def make_huey(app: Flask) -> Huey:
    url = queue_url(app)
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss", "unix"):
        import redis

        # Timeouts: a vanished Redis must fail an enqueue in seconds (the
        # page says "exports are unavailable"), not hang the request.
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return RedisHuey(QUEUE_NAME, connection_pool=pool, utc=True)
    if scheme == "sqlite":
        path = url[len("sqlite:///"):]
        if not path:
            raise ValueError(f"QUEUE_URL {url!r} names no file: use sqlite:///path/to/queue.db")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=path, utc=True, timeout=5)
    if scheme == "memory":  # this process only: for tests that run no worker
        return MemoryHuey(QUEUE_NAME, utc=True)
    raise ValueError(f"QUEUE_URL must start with sqlite:///, redis:// or memory://, got {url!r}")


def storage_errors() -> tuple[type[BaseException], ...]:
    """What a queue store that cannot be reached raises."""
    errors: list[type[BaseException]] = [sqlite3.Error, OSError]
    try:
        import redis

        errors.append(redis.exceptions.RedisError)
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        pass
    return tuple(errors)
