"""GET /health/live, answered before Flask sees the request.

Liveness means "this worker answers HTTP", nothing more, and probes come
every few seconds from every orchestrator node: through the whole app
(sessions, CSRF, limiter, metrics, request log) a probe cost three times a
bare Flask route. Here it costs less than one.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask

from app.observability import tally
from app.request_id import request_id_from
from app.security import security_headers

HEALTH_JSON = "application/health+json"
LIVE_BODY = b'{"status": "pass"}'


class LivenessMiddleware:
    """Answers GET and HEAD /health/live; anything else goes on to the app.

    Probes are not in the request log (that is the cost they skip), but they
    are counted in http_requests_total and http_request_duration_seconds as
    endpoint "health.live": a set add and a queue put (tally.py), so a
    dashboard still shows who probes how often.
    """

    PATH = "/health/live"
    ENDPOINT = "health.live"

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app
        self.headers = [("Content-Type", HEALTH_JSON), ("Content-Length", str(len(LIVE_BODY))),
                        ("Cache-Control", "no-store"), *security_headers(app).items()]
        self.counted = bool(app.config["METRICS_ENABLED"])

    def __call__(self, environ: dict, start_response: Callable) -> object:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != self.PATH or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        if self.counted:
            tally.started(id(environ))  # also starts this process's flusher thread
        start_response("200 OK", [*self.headers, ("X-Request-ID", request_id_from(environ))])
        if self.counted:
            tally.ended(id(environ))
            tally.add(method, self.ENDPOINT, 200, time.perf_counter() - started)
        return [] if method == "HEAD" else [LIVE_BODY]
