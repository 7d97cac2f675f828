"""Request metrics: counts, durations, requests in progress, and unhandled
exceptions, each labelled by the matched endpoint."""
from __future__ import annotations

import time

from flask import Flask, got_request_exception, request
from flask.wrappers import Response
from prometheus_client import Counter, Histogram

from app.observability.metrics import HTTP_DURATION, HTTP_EXCEPTIONS, HTTP_IN_PROGRESS, HTTP_REQUESTS, UNMATCHED

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


# The labelled children of each (method, endpoint, status): labels() checks
# and joins its arguments under a lock on every call. Bounded like the label
# values themselves (known methods x endpoints x statuses).
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def _series(method: str, endpoint: str, status: int) -> tuple[Counter, Histogram]:
    key = (method, endpoint, status)
    series = _children.get(key)
    if series is None:
        series = _children[key] = (HTTP_REQUESTS.labels(method, endpoint, str(status)),
                                   HTTP_DURATION.labels(method, endpoint))
    return series


def _start() -> None:
    if request.endpoint in NOT_COUNTED:
        return
    request.environ[_STARTED] = time.perf_counter()
    HTTP_IN_PROGRESS.inc()


def _observe(response: Response) -> Response:
    started = request.environ.get(_STARTED)
    if started is not None:
        requests, duration = _series(method_label(), endpoint_label(), response.status_code)
        requests.inc()
        duration.observe(time.perf_counter() - started)
    return response


def _finish(exc: BaseException | None) -> None:
    # teardown runs even when after_request did not, so the gauge never drifts.
    if request.environ.pop(_STARTED, None) is not None:
        HTTP_IN_PROGRESS.dec()


def _count_exception(sender: Flask, exception: BaseException, **extra: object) -> None:
    # got_request_exception fires once per unhandled exception (the 500
    # handler's response is then counted once by _observe as well).
    HTTP_EXCEPTIONS.labels(type(exception).__name__, endpoint_label()).inc()


def instrument_requests(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)
    app.teardown_request(_finish)
    got_request_exception.connect(_count_exception, app)
