"""Health probes, in the IETF health-check format (application/health+json).

- /health/live: the process answers. Touches nothing else, so a database
  blip never makes an orchestrator restart every instance at once.
- /health/ready: can this instance serve traffic? Database, schema version,
  log disk, mail server (warn only), Redis when configured, PUBLIC_URL
  (warn only, outside debug and testing mode), and the job queue: its store
  and a worker's heartbeat (warn only: pages work without a worker, and
  exports wait for one).
- /health: the same checks with every detail, for people, and only for the
  networks in HEALTH_ALLOWED_NETWORKS (it tells versions, disk space and
  which dependency is weak).

Results are cached for HEALTH_CACHE_SECONDS and every check (checks.py) runs
with a timeout in a worker thread, so frequent probes cannot load the
database and a hung dependency cannot hang a probe.
"""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, request

from app.errors import problem_response
from app.jobs.queue import queue_url
from app.observability.checks import (
    Check,
    CheckResult,
    check_database,
    check_disk,
    check_log_writes,
    check_migrations,
    check_public_url,
    check_queue_store,
    check_queue_worker,
    check_redis,
    check_smtp,
    log_write_failures,
)
from app.observability.liveness import HEALTH_JSON, LIVE_BODY, LivenessMiddleware
from app.observability.networks import address_allowed, check_networks

bp = Blueprint("health", __name__, url_prefix="/health")

_RANK = {"pass": 0, "warn": 1, "fail": 2}
# Checks whose failure (an error, a timeout) only warns: the site serves pages
# without mail and without background jobs, so neither takes an instance out.
WARN_ONLY = ("smtp:", "queue:")


class HealthChecker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.migrations_head = _migrations_head(app)
        # Losses before this app existed (another app in the same process,
        # in tests) are not this instance's problem.
        self.log_failures_seen = log_write_failures()
        self.log_failures_at = 0.0
        # A thread for every check: checks hung on dead dependencies (SMTP,
        # Redis, the queue's store) must not keep the database's from running.
        self._pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="health")
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
        # Not for memory://, the tests' queue: no worker can ever reach it.
        if not queue_url(self.app).startswith("memory:"):
            found["queue:store"] = check_queue_store
            found["queue:worker"] = check_queue_worker
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
        warn_only = name.startswith(WARN_ONLY)
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
