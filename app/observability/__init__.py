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
from app.observability.sql import watch_engine
from app.version import __version__


def init_app(app: Flask) -> None:
    configure_logging(app)
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


def configure_sentry(app: Flask) -> None:
    if not app.config.get("SENTRY_DSN"):
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=app.config["SENTRY_DSN"],
        integrations=[FlaskIntegration()],
        release=f"microblog@{__version__}",
        environment=app.config["SENTRY_ENVIRONMENT"],
        # sentry-sdk's default leaves out personal data (cookies, credentials, emails).
        **app.config.get("SENTRY_OPTIONS", {}),
    )


def configure_profiler(app: Flask) -> None:
    if not app.config.get("PROFILING_ENABLED"):
        return
    from pathlib import Path

    from werkzeug.middleware.profiler import ProfilerMiddleware

    Path(app.config["PROFILE_DIR"]).mkdir(parents=True, exist_ok=True)
    app.wsgi_app = ProfilerMiddleware(app.wsgi_app, profile_dir=app.config["PROFILE_DIR"])  # type: ignore[method-assign]
