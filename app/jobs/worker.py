"""``flask worker``: a process that runs the queued jobs (Huey's consumer)."""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.jobs.queue import queue_url, storage_errors
from app.observability.workermetrics import DEFAULT_HOST, DEFAULT_PORT, serve_worker_metrics

HEARTBEAT_KEY = "worker-heartbeat"
HEARTBEAT_SECONDS = 10.0


def last_heartbeat(app: Flask) -> float | None:
    """When a worker (any, on any host) last said it is alive: Unix time."""
    value = app.extensions["jobs"].huey.get(HEARTBEAT_KEY, peek=True)
    return float(value) if value is not None else None


def _beat(app: Flask, stop: threading.Event) -> None:
    huey = app.extensions["jobs"].huey
    failing = False
    while not stop.is_set():
        try:
            huey.put(HEARTBEAT_KEY, time.time())
            failing = False
        except storage_errors() as exc:
            if not failing:  # once per outage, not every ten seconds
                app.logger.warning("Worker heartbeat not written: %s", type(exc).__name__)
            failing = True
        stop.wait(HEARTBEAT_SECONDS)


@click.command("worker")
@click.option("--workers", type=int, default=None, help="Threads running jobs (default: JOB_WORKERS).")
@click.option("--verbose", "-v", is_flag=True, help="Also log every job started and finished (Huey's INFO lines).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, envvar="WORKER_METRICS_PORT",
              show_default=True, show_envvar=True,
              help="Serve this worker's /metrics on this port; 0: not at all. Each worker on a host needs its own.")
@click.option("--metrics-host", default=DEFAULT_HOST, envvar="WORKER_METRICS_HOST", show_default=True,
              show_envvar=True, help="The address the metrics port listens on.")
@with_appcontext
def worker(workers: int | None, verbose: bool, metrics_port: int, metrics_host: str) -> None:
    """Run queued background jobs until stopped (Ctrl-C finishes the running ones first)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = app.extensions["jobs"].huey
    count = workers or app.config["JOB_WORKERS"]
    if count < 1:
        raise click.BadParameter("--workers must be at least 1.")
    huey_log = logging.getLogger("huey")
    if not huey_log.handlers:  # Huey's own lines on stderr
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        huey_log.addHandler(handler)
    # Warnings and errors only by default: the housekeeping jobs run every minute.
    huey_log.setLevel(logging.INFO if verbose else logging.WARNING)
    stop = threading.Event()
    threading.Thread(target=_beat, args=(app, stop), name="worker-heartbeat", daemon=True).start()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        app.logger.warning("PROMETHEUS_MULTIPROC_DIR is set: the web's /metrics will add this worker's counts to "
                           "its own (and gunicorn empties that folder as it starts). Unset it for `flask worker`.")
    metrics = serve_worker_metrics(app, metrics_host, metrics_port) if metrics_port else None
    if metrics is not None:
        click.echo(f"Worker metrics: http://{metrics_host}:{metrics_port}/metrics", err=True)
    # max_delay: an idle worker looks at an SQLite queue every second, so a
    # job starts within a second of being queued (Redis blocks, and wakes at once).
    consumer = huey.create_consumer(workers=count, worker_type="thread", periodic=True, max_delay=1.0,
                                    check_worker_health=True)
    click.echo(f"Worker: {count} thread(s) on {_safe(queue_url(app))}. Ctrl-C stops it.", err=True)
    try:
        consumer.run()
    finally:
        stop.set()
        if metrics is not None:
            metrics.shutdown()
            metrics.server_close()


def _safe(url: str) -> str:
    """The queue's URL without a password."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url
