"""``flask worker`` as a real process, for the background-job tests: started
with a clean environment that points at the test's database and queue,
stopped (or SIGKILLed) by its PID; and the queue stores to run it on."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from flask import Flask

from app.jobs.worker import last_heartbeat
from config import Config
from tests.support.redis import RedisServer
from tests.support.requirements import missing
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
# Settings the web side and the worker must agree on: copied from the test's app.
SHARED = ("QUEUE_URL", "JOB_STUCK_SECONDS", "EXPORT_KEEP_HOURS", "EXPORT_MAIL_MAX_BYTES")


def environment(app: Flask, root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: the test app's database and queue, logs and
    instance folder under ``root``, and none of the app's settings inherited
    from whoever runs the tests."""
    ours = {name for name in dir(Config) if name.isupper()} | {"DATABASE_URL", "FLASK_APP", "FLASK_DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith(("PROMETHEUS_", "GUNICORN_"))}
    env.update({
        "FLASK_APP": "microblog.py",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "worker-test-secret",
        "INSTANCE_PATH": str(root / "instance"),
        "LOG_DIR": str(root / "logs"),
        "REDIS_URL": "",
        "MAIL_SERVER": "",
        "ADMINS": "",
        "SENTRY_DSN": "",
        "ERROR_EMAIL_STATE": "memory",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "WORKER_METRICS_PORT": "0",  # a test that reads them gives a free port: a fixed one would collide
    })
    env.update({name: str(app.config[name]) for name in SHARED if app.config.get(name) is not None})
    env.update(extra or {})
    return env


@dataclass
class Worker:
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no chance to finish the job or tidy up, as when a host dies."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """Ctrl-C (SIGINT, Huey's graceful stop: the running jobs finish
        first), then SIGKILL if it hangs."""
        if self.proc.poll() is not None:
            return
        os.kill(self.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Workers:
    """Starts ``flask worker`` processes for one test; ``stop_all`` at its end."""

    def __init__(self, app: Flask, root: Path) -> None:
        self.app = app
        self.root = root
        self.started: list[Worker] = []
        self.log_dir = root / "logs"  # the workers' microblog.log and error.log

    def environment(self, **extra: str) -> dict[str, str]:
        return environment(self.app, self.root, extra)

    def start(self, **extra: str) -> Worker:
        """A worker (one thread) that has written its heartbeat into the queue's store."""
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.root / f"worker-{len(self.started) + 1}.log"
        since = time.time()  # a heartbeat older than this is another worker's
        with open(log, "w") as out:
            # A session of its own, so no signal meant for it reaches the test runner.
            proc = subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "1", "-v"], cwd=ROOT,
                                    env=self.environment(**extra), stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        worker = Worker(proc, log)
        self.started.append(worker)

        def beating() -> bool:
            try:
                beat = last_heartbeat(self.app)
            except (redis.RedisError, OSError):
                return False
            return beat is not None and beat >= since

        wait_for(beating, timeout=30, explain=worker.output, proc=proc, interval=0.05)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@dataclass(frozen=True)
class Store:
    kind: str
    url: str
    redis: RedisServer | None = None


@contextmanager
def queue_store(kind: str, root: Path) -> Iterator[Store]:
    """The queue's store for ``kind``: "sqlite", a file under ``root``, or
    "redis", a redis-server of the test's own (stopped after it)."""
    if kind == "sqlite":
        yield Store(kind, f"sqlite:///{root / 'queue.db'}")
        return
    try:
        server = RedisServer()
    except FileNotFoundError:
        missing("redis-server not found: install redis-server")
    try:
        yield Store(kind, server.url, server)
    finally:
        if server.process.poll() is None:
            server.stop()


def restart_redis(server: RedisServer) -> None:
    """Start ``server`` again on the port it had (empty: it keeps nothing on disk)."""
    binary = shutil.which("redis-server")
    assert binary is not None
    server.process = subprocess.Popen(
        [binary, "--port", str(server.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answering() -> bool:
        try:
            return bool(redis.Redis.from_url(server.url, socket_timeout=1).ping())
        except redis.ConnectionError:
            return False

    wait_for(answering, timeout=10, explain=lambda: f"redis-server on port {server.port}", proc=server.process,
             interval=0.05)
