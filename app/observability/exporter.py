"""GET /metrics for Prometheus, open or guarded by a bearer token or a list
of networks."""
from __future__ import annotations

import hmac
import os
import platform
import struct
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.errors import problem_response
from app.extensions import db
from app.models import User, utcnow
from app.observability import fastexport, tally
from app.observability.multiproc import locked
from app.observability.networks import address_allowed, check_networks
from app.version import __version__

bp = Blueprint("metrics", __name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class AppCollector(Collector):
    """Gauges computed at scrape time: app_info, and user counts read from the
    database at most once per ``ttl`` seconds, so scrapes stay cheap."""

    def __init__(self, app: Flask, ttl: float = 30.0) -> None:
        self.app = app
        self.ttl = ttl
        self._cached: tuple[float, int, int] | None = None
        self._lock = threading.Lock()

    def _user_counts(self) -> tuple[int, int] | None:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.ttl:
                since = utcnow() - timedelta(minutes=5)
                with self.app.app_context():
                    row = db.session.execute(sa.select(
                        sa.func.count(User.id),
                        sa.func.count(User.id).filter(User.last_seen >= since),
                    )).one()
                    db.session.remove()
                self._cached = (now, row[0], row[1])
            return self._cached[1], self._cached[2]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily("app_info", "Application version.", labels=["version", "python_version"])
        info.add_metric([__version__, platform.python_version()], 1)
        yield info
        try:
            counts = self._user_counts()
        except sa.exc.SQLAlchemyError:
            counts = None  # the database is down: omit the gauges, keep the scrape working
        if counts is not None:
            yield GaugeMetricFamily("users_registered", "Registered users.", value=counts[0])
            yield GaugeMetricFamily("users_active_5m", "Users seen in the last 5 minutes.", value=counts[1])


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return False
    return address_allowed(request.remote_addr, current_app.config.get("METRICS_ALLOWED_NETWORKS") or ())


@bp.route("/metrics")
def metrics() -> Response:
    if not _allowed():
        headers = {"WWW-Authenticate": 'Bearer realm="metrics"'} if current_app.config.get("METRICS_TOKEN") else {}
        return problem_response(403 if not headers else 401, "You may not read the metrics.", headers=headers)
    collector: AppCollector = current_app.extensions["metrics_collector"]
    tally.flush()  # this process's last second of requests; other workers lag by at most that
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        body = _read_multiprocess(directory)
    else:
        body = generate_latest(REGISTRY)
    body += generate_latest(_single(collector))
    return Response(body, content_type=CONTENT_TYPE)


def _read_multiprocess(directory: str, attempts: int = 5) -> bytes:
    """Under gunicorn: add up every worker's files, live and dead.

    A worker that is booting creates its file empty and sizes it a moment
    later; a scrape in between cannot parse it. That lasts microseconds, so
    read again rather than fail the scrape.
    """
    for attempt in range(attempts):
        try:
            with locked(directory, exclusive=False):
                return fastexport.generate(directory)
        except (struct.error, ValueError, RuntimeError, FileNotFoundError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def _single(collector: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def init_app(app: Flask) -> None:
    check_networks("METRICS_ALLOWED_NETWORKS", app.config.get("METRICS_ALLOWED_NETWORKS") or ())
    app.extensions["metrics_collector"] = AppCollector(app, ttl=app.config["METRICS_CACHE_SECONDS"])
    app.register_blueprint(bp)
