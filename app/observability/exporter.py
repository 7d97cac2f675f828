"""GET /metrics for Prometheus, open or guarded by a bearer token or a list
of networks: every gunicorn worker's request metrics, and gauges read at
scrape time (users, the job queue). A `flask worker` process serves its own
metrics on a port of its own (workermetrics.py)."""
from __future__ import annotations

import math
import os
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.errors import problem_response
from app.extensions import db
from app.jobs.binding import pending_count
from app.jobs.queue import storage_errors
from app.jobs.worker import last_heartbeat
from app.models import Task, User, utcnow
from app.models.tasks import QUEUED
from app.observability import fastexport, tally
from app.observability.multiproc import locked
from app.observability.networks import check_networks
from app.observability.scrape import CONTENT_TYPE, app_info, scrape_allowed

bp = Blueprint("metrics", __name__)

@dataclass(frozen=True)
class _DatabaseReading:
    users: int
    active: int
    oldest_queued: datetime | None  # when the oldest task still queued was created


@dataclass(frozen=True)
class _QueueReading:
    queued: int
    heartbeat: float | None  # Unix time of the last worker heartbeat; None: never


class AppCollector(Collector):
    """Gauges computed at scrape time: app_info, user counts and the job
    queue's state, read at most once per ``ttl`` seconds, so scrapes stay cheap.

    A dependency that is down leaves its gauges out (the queue's store also
    sets jobs_queue_store_up to 0) rather than failing the scrape. Ages are
    computed at every scrape from the times last read, so they keep growing
    between reads; a cached heartbeat's age is up to ``ttl`` too old.
    """

    def __init__(self, app: Flask, ttl: float = 30.0) -> None:
        self.app = app
        self.ttl = ttl
        self._database: tuple[float, _DatabaseReading] | None = None
        self._queue: tuple[float, _QueueReading | None] | None = None
        self._lock = threading.Lock()

    def _fresh(self, cached: tuple[float, object] | None) -> bool:
        return cached is not None and time.monotonic() - cached[0] <= self.ttl

    def _read_database(self) -> _DatabaseReading:
        with self._lock:
            if self._database is None or not self._fresh(self._database):
                since = utcnow() - timedelta(minutes=5)
                oldest = sa.select(sa.func.min(Task.created)).where(Task.state == QUEUED).scalar_subquery()
                with self.app.app_context():
                    try:
                        row = db.session.execute(sa.select(
                            sa.func.count(User.id),
                            sa.func.count(User.id).filter(User.last_seen >= since),
                            oldest,
                        )).one()
                    finally:
                        db.session.remove()
                self._database = (time.monotonic(), _DatabaseReading(row[0], row[1], row[2]))
            return self._database[1]

    def _read_queue(self) -> _QueueReading | None:
        """None while the queue's store cannot be reached. That is cached
        too, so a Redis that has gone silent slows one scrape per ``ttl``."""
        with self._lock:
            if self._queue is None or not self._fresh(self._queue):
                reading: _QueueReading | None
                with self.app.app_context():
                    try:
                        reading = _QueueReading(pending_count(), last_heartbeat(self.app))
                    except storage_errors():
                        reading = None
                self._queue = (time.monotonic(), reading)
            return self._queue[1]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield app_info()
        try:
            database = self._read_database()
        except sa.exc.SQLAlchemyError:
            database = None  # the database is down: omit its gauges, keep the scrape working
        if database is not None:
            yield GaugeMetricFamily("users_registered", "Registered users.", value=database.users)
            yield GaugeMetricFamily("users_active_5m", "Users seen in the last 5 minutes.", value=database.active)
            waited = (utcnow() - database.oldest_queued).total_seconds() if database.oldest_queued else 0.0
            yield GaugeMetricFamily(
                "jobs_oldest_queued_age_seconds",
                "Seconds the oldest user task still queued (no worker has started it) has waited; 0 when none has.",
                value=max(0.0, waited))
        queue = self._read_queue()
        yield GaugeMetricFamily("jobs_queue_store_up", "1 when the job queue's store (Redis or the SQLite file) "
                                "answered, 0 when it could not be reached.", value=int(queue is not None))
        if queue is not None:
            yield GaugeMetricFamily("jobs_queued", "Jobs waiting in the queue for a worker.", value=queue.queued)
            # +Inf when no worker has ever beaten on this store: stale for any
            # threshold, so one alert covers "never" and "long ago" alike.
            age = math.inf if queue.heartbeat is None else max(0.0, time.time() - queue.heartbeat)
            yield GaugeMetricFamily(
                "jobs_worker_heartbeat_age_seconds",
                "Seconds since any worker last wrote its heartbeat (every 10 s while one runs); +Inf if none ever has.",
                value=age)


def _allowed() -> bool:
    return scrape_allowed(current_app.config, request.headers.get("Authorization"), request.remote_addr)


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
