"""Sentry (optional): unhandled exceptions with the release, and nothing
secret in them.

sentry-sdk leaves out cookies and credentials by default, but an event still
carried the request URL (a reset token is in the path), the Referer, and
every frame's local variables, where SQLAlchemy keeps the statement's
parameters (a new password's hash). Frames go without their variables, and
every event passes through the same redaction as the logs and emails.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context

from app.redact import REDACTED, redact_items, redact_query, safe_url_header
from app.version import __version__

_URL_HEADERS = {"referer", "origin"}
_SECRET_HEADERS = {"cookie", "authorization", "proxy-authorization", "x-api-key"}


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """sentry-sdk's ``before_send``: redact the request part of an event."""
    data = event.get("request")
    if not isinstance(data, dict) or not has_request_context():
        return event
    if isinstance(data.get("url"), str):
        data["url"] = safe_url_header(data["url"])
    if isinstance(data.get("query_string"), str):
        data["query_string"] = redact_query(data["query_string"])
    headers = data.get("headers")
    if isinstance(headers, dict):
        for name, value in list(headers.items()):
            if name.lower() in _SECRET_HEADERS:
                headers[name] = REDACTED
            elif name.lower() in _URL_HEADERS and isinstance(value, str):
                headers[name] = safe_url_header(value)
    form = data.get("data")
    if isinstance(form, dict):
        data["data"] = dict(redact_items([(str(k), v) for k, v in form.items()]))
    return event


def configure_sentry(app: Flask) -> None:
    if not app.config.get("SENTRY_DSN"):
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    options: dict[str, Any] = {
        "include_local_variables": False,  # SQLAlchemy's frames hold the statement's parameters
        "before_send": scrub_event,
        **app.config.get("SENTRY_OPTIONS", {}),
    }
    sentry_sdk.init(
        dsn=app.config["SENTRY_DSN"],
        integrations=[FlaskIntegration()],
        release=f"microblog@{__version__}",
        environment=app.config["SENTRY_ENVIRONMENT"],
        # sentry-sdk's default leaves out personal data (cookies, credentials, emails).
        **options,
    )
