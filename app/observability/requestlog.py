"""One JSON line per request, and a warning for slow ones."""
from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime

from flask import Flask, current_app, request
from flask.wrappers import Response
from pythonjsonlogger.json import JsonFormatter

from app.observability.background import BatchingHandler
from app.observability.context import current_user_id
from app.observability.logs import file_logging_enabled, replace_handlers, rotating_file
from app.observability.redact import safe_path
from app.request_id import get_request_id

# Not a child of the app's logger: these lines belong in requests.log only.
request_logger = logging.getLogger("microblog.requests")
_STARTED = "microblog.started"


def _start() -> None:
    request.environ[_STARTED] = time.perf_counter()


def _finish(response: Response) -> Response:
    started = request.environ.get(_STARTED)
    if started is None:
        return response
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    rule = request.url_rule
    if request_logger.handlers and current_app.config["LOG_REQUESTS"]:
        request_logger.info("request", extra={
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": get_request_id(),
            "method": request.method,
            "path": safe_path(),
            "endpoint": request.endpoint,
            "rule": rule.rule if rule else None,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": current_user_id(),
            "remote_addr": request.remote_addr,
            "user_agent": request.user_agent.string or None,
        })
    if duration_ms > current_app.config["SLOW_REQUEST_MS"]:
        current_app.logger.warning("Slow request: %s %s took %.0f ms (threshold %d ms)", request.method,
                                   safe_path(), duration_ms, current_app.config["SLOW_REQUEST_MS"])
    return response


def configure_request_log(app: Flask) -> None:
    handlers: list[logging.Handler] = []
    formatter = JsonFormatter("%(message)s", rename_fields={"message": "event"}, json_ensure_ascii=False)
    target: logging.Handler | None = None
    if app.config.get("LOG_TO_STDOUT"):
        target = logging.StreamHandler(sys.stdout)
    elif file_logging_enabled(app):
        target = rotating_file(app, "requests.log")
    if target is not None:
        target.setFormatter(logging.Formatter("%(message)s"))  # lines arrive formatted, in batches
        handlers.append(BatchingHandler(target, formatter, "requests.log"))
    replace_handlers(request_logger, handlers)
    request_logger.setLevel(logging.INFO)
    request_logger.propagate = False
    app.before_request(_start)
    app.after_request(_finish)


def flush_request_log() -> None:
    """Wait until every request line so far is written (tests, shutdown)."""
    for handler in request_logger.handlers:
        handler.flush()
