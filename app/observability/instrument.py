"""Request metrics: counts, durations, requests in progress, and unhandled
exceptions, each labelled by the matched endpoint. All but the exceptions go
through tally.py, which writes them once a second."""
from __future__ import annotations

import time

from flask import Flask, got_request_exception, request
from flask.wrappers import Response

from app.observability import tally
from app.observability.metrics import HTTP_EXCEPTIONS, UNMATCHED

_STARTED = "microblog.metrics_started"
NOT_COUNTED = {"metrics.metrics"}  # scrapes must not change what they measure
# gunicorn accepts any made-up method name: label those "other", or each one
# would add a series.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def method_label() -> str:
    return request.method if request.method in KNOWN_METHODS else "other"


def endpoint_label() -> str:
    # request.endpoint is None when no rule matched (404, 405): one shared
    # label, so random URLs from bots cannot create new series.
    return request.endpoint or UNMATCHED


def _start() -> None:
    if request.endpoint in NOT_COUNTED:
        return
    environ = request.environ
    environ[_STARTED] = time.perf_counter()
    tally.started(id(environ))  # the environ lives exactly as long as the request


def _observe(response: Response) -> Response:
    started = request.environ.get(_STARTED)
    if started is not None:
        tally.add(method_label(), endpoint_label(), response.status_code, time.perf_counter() - started)
    return response


def _finish(exc: BaseException | None) -> None:
    # teardown runs even when after_request did not, so the gauge never drifts.
    environ = request.environ
    if environ.pop(_STARTED, None) is not None:
        tally.ended(id(environ))


def _count_exception(sender: Flask, exception: BaseException, **extra: object) -> None:
    # got_request_exception fires once per unhandled exception (the 500
    # handler's response is then counted once by _observe as well).
    HTTP_EXCEPTIONS.labels(type(exception).__name__, endpoint_label()).inc()


def instrument_requests(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)
    app.teardown_request(_finish)
    got_request_exception.connect(_count_exception, app)
