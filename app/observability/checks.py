"""What each health check measures (health.py runs them and answers the
probes). A check takes the app and returns a CheckResult; one that raises
or hangs is a failure (or, for the mail server and the job queue, a warning)."""
from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.jobs.binding import pending_count
from app.jobs.queue import storage_errors
from app.jobs.worker import last_heartbeat
from app.observability.metrics import LOG_WRITE_FAILURES

# A worker writes a heartbeat every 10 s (app/jobs/worker.py): three missed
# beats mean no worker is running.
HEARTBEAT_MAX_AGE = 30.0
NO_WORKER = "no worker is running: start one with `flask worker` (systemd: microblog-worker.service)"


@dataclass
class CheckResult:
    status: str
    observed_value: object = None
    observed_unit: str | None = None
    output: str | None = None
    component_type: str | None = None
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def as_dict(self, detail: bool) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "time": self.time}
        if detail:
            for key, value in (("componentType", self.component_type), ("observedValue", self.observed_value),
                               ("observedUnit", self.observed_unit), ("output", self.output)):
                if value is not None:
                    out[key] = value
        return out


Check = Callable[[Flask], CheckResult]


def check_database(app: Flask) -> CheckResult:
    started = time.perf_counter()
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT 1"))
        finally:
            db.session.remove()
    return CheckResult("pass", round((time.perf_counter() - started) * 1000, 2), "ms", component_type="datastore")


def check_migrations(app: Flask) -> CheckResult:
    head = app.extensions["health"].migrations_head
    with app.app_context():
        try:
            current = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            current = []
        finally:
            db.session.remove()
    if head is None:
        return CheckResult("warn", output="migration scripts not found", component_type="datastore")
    if current == [head]:
        return CheckResult("pass", head, component_type="datastore")
    return CheckResult("fail", current[0] if current else None, component_type="datastore",
                       output=f"schema is not at the migrations' head {head}: run `flask db upgrade`")


def check_disk(app: Flask) -> CheckResult:
    path = Path(app.config["LOG_DIR"])
    while not path.exists() and path != path.parent:
        path = path.parent
    free_mb = round(shutil.disk_usage(path).free / 2**20, 1)
    minimum = app.config["HEALTH_DISK_MIN_MB"]
    if free_mb < minimum:
        # A warning, not a failure: logging is best-effort (a full log disk
        # never fails a request), so the instance can still serve traffic.
        return CheckResult("warn", free_mb, "MiB", output=f"less than {minimum} MiB free for logs",
                           component_type="system")
    return CheckResult("pass", free_mb, "MiB", component_type="system")


def log_write_failures() -> float:
    """Log records this process has lost so far."""
    return sum(sample.value for metric in LOG_WRITE_FAILURES.collect() for sample in metric.samples
               if sample.name.endswith("_total"))


def check_log_writes(app: Flask) -> CheckResult:
    failures = log_write_failures()
    health = app.extensions["health"]
    status = "pass"
    if failures > health.log_failures_seen:
        health.log_failures_seen, health.log_failures_at = failures, time.monotonic()
    if health.log_failures_at and time.monotonic() - health.log_failures_at < 300:
        status = "warn"
    return CheckResult(status, int(failures), "records", component_type="system",
                       output="log records were lost in the last 5 minutes" if status == "warn" else None)


def check_smtp(app: Flask) -> CheckResult:
    """Reachable mail server. A failure warns: the site works without mail."""
    breaker = app.extensions.get("smtp_breaker")
    if breaker is not None and breaker.current_state != "closed":
        return CheckResult("warn", breaker.current_state, component_type="component",
                           output="circuit breaker is not closed: recent sends failed")
    started = time.perf_counter()
    try:
        with socket.create_connection((app.config["MAIL_SERVER"], int(app.config["MAIL_PORT"])),
                                      timeout=app.config["HEALTH_CHECK_TIMEOUT"]):
            pass
    except OSError as exc:
        return CheckResult("warn", component_type="component", output=f"cannot connect: {type(exc).__name__}")
    return CheckResult("pass", round((time.perf_counter() - started) * 1000, 2), "ms", component_type="component")


def check_redis(app: Flask) -> CheckResult:
    import redis

    started = time.perf_counter()
    timeout = app.config["HEALTH_CHECK_TIMEOUT"]
    client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return CheckResult("pass", round((time.perf_counter() - started) * 1000, 2), "ms", component_type="datastore")


def check_queue_store(app: Flask) -> CheckResult:
    """The job queue's store (Redis, or the SQLite file) answers. A failure
    warns: every page but "Export" works without it, and that one says
    exports are unavailable. Failing readiness would take every instance out
    of service at once, turning one feature's outage into the whole site's."""
    started = time.perf_counter()
    with app.app_context():
        try:
            pending_count()
        except storage_errors() as exc:
            return CheckResult("warn", component_type="datastore",
                               output=f"cannot reach the queue's store ({type(exc).__name__}): exports are unavailable")
    return CheckResult("pass", round((time.perf_counter() - started) * 1000, 2), "ms", component_type="datastore")


def check_queue_worker(app: Flask) -> CheckResult:
    """Some worker, on any host, wrote its heartbeat in the last 30 s. Without
    one, queued jobs wait (a warning: the web process itself is fine)."""
    try:
        beat = last_heartbeat(app)
    except storage_errors() as exc:
        return CheckResult("warn", component_type="component",
                           output=f"cannot read the workers' heartbeat: the queue's store is unreachable "
                                  f"({type(exc).__name__})")
    if beat is None:
        return CheckResult("warn", component_type="component", output=f"{NO_WORKER}; none ever has")
    age = round(max(0.0, time.time() - beat), 1)
    if age > HEARTBEAT_MAX_AGE:
        return CheckResult("warn", age, "s", component_type="component",
                           output=f"{NO_WORKER}; the last heartbeat was {age:.0f} s ago")
    return CheckResult("pass", age, "s", component_type="component")


PUBLIC_URL_MISSING = ("PUBLIC_URL is not set: password-reset emails are sent only for requests to a loopback host. "
                      "Set it to the site's address, such as https://microblog.example.com")


def check_public_url(app: Flask) -> CheckResult:
    """Links in emails come from PUBLIC_URL only (app/links.py). Without it the
    site serves pages but cannot send a reset link: worth a warning, never a
    reason to take the instance out of service."""
    public = app.config.get("PUBLIC_URL")
    if public:
        return CheckResult("pass", public, component_type="system")
    return CheckResult("warn", component_type="system", output=PUBLIC_URL_MISSING)
