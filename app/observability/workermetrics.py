"""A `flask worker`'s own /metrics, on a port of its own.

A worker answers no HTTP requests of the app, and must not share gunicorn's
multiprocess folder (the web's /metrics would add the worker's counts to its
own, and gunicorn empties that folder when it starts). So each worker process
serves what it counted itself: jobs_total, job_duration_seconds, the SQL
statements and error emails of its jobs, and prometheus-client's process_*
and python_* metrics, with app_info. Prometheus scrapes it as the
microblog-worker job (deploy/prometheus.yml), guarded like the app's
/metrics by METRICS_TOKEN and METRICS_ALLOWED_NETWORKS.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Flask
from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from app.observability.scrape import app_info, scrape_allowed

DEFAULT_PORT = 9101  # beside node_exporter's 9100
DEFAULT_HOST = "127.0.0.1"


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        yield app_info()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # a scrape every 15 s is not news


def metrics_app(app: Flask) -> Callable[[dict, Callable], Iterable[bytes]]:
    """The WSGI app a worker serves: prometheus-client's exposition of this
    process's registry, behind the app's scrape guard."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ThisProcess())
    expose = make_wsgi_app(registry)

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not scrape_allowed(app.config, environ.get("HTTP_AUTHORIZATION"), environ.get("REMOTE_ADDR")):
            status = "401 Unauthorized" if app.config.get("METRICS_TOKEN") else "403 Forbidden"
            headers = [("Content-Type", "text/plain; charset=utf-8")]
            if app.config.get("METRICS_TOKEN"):
                headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
            start_response(status, headers)
            return [b"You may not read the metrics.\n"]
        if environ.get("PATH_INFO") not in ("/metrics", "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Metrics are at /metrics.\n"]
        return expose(environ, start_response)

    return serve


def serve_worker_metrics(app: Flask, host: str, port: int) -> WSGIServer | None:
    """Serve /metrics on ``host``:``port`` from a daemon thread. A port that
    is taken (another worker on this host) is logged and left: the worker
    still runs jobs, and Prometheus shows the target as down."""
    server_class = type("Server", (_Server,), {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
    try:
        server = make_server(host, port, metrics_app(app), server_class=server_class, handler_class=_QuietHandler)
    except OSError as exc:
        app.logger.warning("Worker metrics not served on %s:%d (%s): give each worker on a host its own port "
                           "(--metrics-port, WORKER_METRICS_PORT), or 0 for none", host, port, exc.strerror or exc)
        return None
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
