"""Health probes, in the IETF health-check format (application/health+json).

- /health/live: the process answers. Touches nothing else, so a database
  blip never makes an orchestrator restart every instance at once.
- /health/ready: can this instance serve traffic? Database, schema version,
  log disk, mail server (warn only), Redis when configured, and PUBLIC_URL
  (warn only, outside debug and testing mode).
- /health: the same checks with every detail, for people, and only for the
  networks in HEALTH_ALLOWED_NETWORKS (it tells versions, disk space and
  which dependency is weak).

Results are cached for HEALTH_CACHE_SECONDS and every check runs with a
timeout in a worker thread, so frequent probes cannot load the database and a
hung dependency cannot hang a probe.
"""
from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, request

from app.errors import problem_response
from app.extensions import db
from app.observability.liveness import HEALTH_JSON, LIVE_BODY, LivenessMiddleware
from app.observability.metrics import LOG_WRITE_FAILURES
from app.observability.networks import address_allowed, check_networks

bp = Blueprint("health", __name__, url_prefix="/health")

_RANK = {"pass": 0, "warn": 1, "fail": 2}


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


class HealthChecker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.migrations_head = _migrations_head(app)
        # Losses before this app existed (another app in the same process,
        # in tests) are not this instance's problem.
        self.log_failures_seen = log_write_failures()
        self.log_failures_at = 0.0
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
        self._inflight: dict[str, Future[CheckResult]] = {}
        self._cache: tuple[float, dict[str, CheckResult]] | None = None
        self._lock = threading.Lock()

    def checks(self) -> dict[str, Check]:
        cfg = self.app.config
        found: dict[str, Check] = {
            "database:responseTime": check_database,
            "database:migrations": check_migrations,
            "logs:diskFree": check_disk,
            "logs:writeFailures": check_log_writes,
        }
        # In debug and testing mode a missing PUBLIC_URL is expected: links are
        # built for loopback hosts, which is where those run.
        if cfg.get("PUBLIC_URL") or not (self.app.debug or self.app.testing):
            found["config:publicUrl"] = check_public_url
        if cfg.get("MAIL_SERVER"):
            found["smtp:connection"] = check_smtp
        if cfg.get("REDIS_URL"):
            found["redis:responseTime"] = check_redis
        return found

    def run(self) -> dict[str, CheckResult]:
        with self._lock:
            now = time.monotonic()
            if self._cache and now - self._cache[0] < self.app.config["HEALTH_CACHE_SECONDS"]:
                return self._cache[1]
            timeout = self.app.config["HEALTH_CHECK_TIMEOUT"]
            futures = {}
            for name, check in self.checks().items():
                # A check still hanging from an earlier probe is not started twice.
                running = self._inflight.get(name)
                futures[name] = running if running and not running.done() else self._pool.submit(check, self.app)
                self._inflight[name] = futures[name]
            deadline = time.monotonic() + timeout
            results = {name: self._result(name, future, deadline) for name, future in futures.items()}
            self._cache = (time.monotonic(), results)
            return results

    def _result(self, name: str, future: Future[CheckResult], deadline: float) -> CheckResult:
        warn_only = name.startswith("smtp:")
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            return CheckResult("warn" if warn_only else "fail", output="timed out")
        except Exception as exc:  # a failing dependency is the answer, not an error of the probe
            return CheckResult("warn" if warn_only else "fail", output=f"check failed: {type(exc).__name__}")


def _migrations_head(app: Flask) -> str | None:
    directory = Path(app.root_path).parent / "migrations"
    if not (directory / "script.py.mako").exists():
        return None
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(directory))
    return ScriptDirectory.from_config(config).get_current_head()


def _respond(results: dict[str, CheckResult], detail: bool) -> Response:
    status = max((r.status for r in results.values()), key=_RANK.__getitem__, default="pass")
    doc: dict[str, object] = {"status": status}
    if detail:
        from app.version import __version__

        doc.update(version=__version__, description="microblog")
    doc["checks"] = {name: [result.as_dict(detail)] for name, result in results.items()}
    return Response(json.dumps(doc), status=503 if status == "fail" else 200, content_type=HEALTH_JSON,
                    headers={"Cache-Control": "no-store"})


@bp.route("/live")
def live() -> Response:
    """Reached only if LivenessMiddleware is bypassed (e.g. a test calling
    the view); the answer is the same."""
    return Response(LIVE_BODY, content_type=HEALTH_JSON, headers={"Cache-Control": "no-store"})


@bp.route("/ready")
def ready() -> Response:
    return _respond(current_app.extensions["health"].run(), detail=False)


@bp.route("")
def health() -> Response:
    if not address_allowed(request.remote_addr, current_app.config.get("HEALTH_ALLOWED_NETWORKS") or ()):
        return problem_response(403, "The detailed health report is not served to this address; "
                                     "/health/ready and /health/live are.")
    return _respond(current_app.extensions["health"].run(), detail=True)


def init_app(app: Flask) -> None:
    check_networks("HEALTH_ALLOWED_NETWORKS", app.config.get("HEALTH_ALLOWED_NETWORKS") or ())
    app.extensions["health"] = HealthChecker(app)
    app.register_blueprint(bp)
    app.wsgi_app = LivenessMiddleware(app, app.wsgi_app)  # type: ignore[method-assign]
