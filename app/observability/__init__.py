"""Logs, error alerts, metrics, health probes, and optional Sentry and profiling."""
from __future__ import annotations

from flask import Flask

from app.extensions import db
from app.observability import exporter, health
from app.observability.alerts import configure_error_emails
from app.observability.breaker import make_breaker
from app.observability.instrument import instrument_requests
from app.observability.logs import configure_logging
from app.observability.requestlog import configure_request_log
from app.observability.sentry import configure_sentry
from app.observability.sql import watch_engine
from app.redact import redact_access_log


def init_app(app: Flask) -> None:
    configure_logging(app)
    redact_access_log(app)  # the development server's access log names reset tokens
    app.extensions["smtp_breaker"] = make_breaker(
        "smtp", app.config["SMTP_BREAKER_FAILURES"], app.config["SMTP_BREAKER_RESET"]
    )
    configure_error_emails(app)
    configure_request_log(app)
    if app.config["METRICS_ENABLED"]:
        instrument_requests(app)
        exporter.init_app(app)
    health.init_app(app)
    with app.app_context():
        watch_engine(app, db.engine)
    configure_sentry(app)
    configure_profiler(app)


def configure_profiler(app: Flask) -> None:
    if not app.config.get("PROFILING_ENABLED"):
        return
    from pathlib import Path

    from werkzeug.middleware.profiler import ProfilerMiddleware

    Path(app.config["PROFILE_DIR"]).mkdir(parents=True, exist_ok=True)
    app.wsgi_app = ProfilerMiddleware(app.wsgi_app, profile_dir=app.config["PROFILE_DIR"])  # type: ignore[method-assign]
