"""What an error email says. Built in the failing request's thread, where the
request and the traceback are still at hand; sent later by the outbox."""
from __future__ import annotations

import hashlib
import logging
import socket
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

from flask import has_request_context, request
from werkzeug.exceptions import SecurityError

from app.db_errors import failure_status
from app.observability.jobcontext import current_job
from app.redact import REDACTED, redact_items, safe_path, safe_url_header
from app.version import __version__

APP_DIR = Path(__file__).resolve().parents[2]  # the app/ package
_SENSITIVE_HEADERS = {"cookie", "authorization", "proxy-authorization", "x-api-key"}
_URL_HEADERS = {"referer", "origin"}  # the page the request came from: a reset link, token and all


@dataclass
class ErrorReport:
    fingerprint: str
    subject: str
    body: str
    exc_type: str
    endpoint: str
    when: datetime = field(default_factory=lambda: datetime.now(UTC))


def innermost_app_frame(tb: TracebackType | None) -> str:
    """``app/path.py:function:line`` of the deepest frame in our own code."""
    found = "-"
    for frame, lineno in traceback.walk_tb(tb):
        path = Path(frame.f_code.co_filename).resolve()
        if path.is_relative_to(APP_DIR):
            found = f"app/{path.relative_to(APP_DIR)}:{frame.f_code.co_name}:{lineno}"
    return found


def _safe_url() -> str:
    """The request URL, with secrets in the path or the query string replaced."""
    path = safe_path()
    query = redact_items(list(request.args.items(multi=True)))
    try:
        base = request.host_url.rstrip("/")
    except SecurityError:  # a Host outside TRUSTED_HOSTS: say so rather than lose the report
        base = "http://[untrusted host]"
    return base + path + (f"?{urlencode(query)}" if query else "")


def _safe_header(name: str, value: str) -> str:
    if name.lower() in _SENSITIVE_HEADERS:
        return REDACTED
    return safe_url_header(value) if name.lower() in _URL_HEADERS else value


def _request_lines(user_id: str | None, request_id: str | None) -> list[str]:
    if not has_request_context():
        job = current_job()
        if job is not None:
            return [f"Job: {job.name}", f"Job id: {job.id}"]
        return ["Request: (none: raised outside a request)"]
    headers = [(k, _safe_header(k, v)) for k, v in request.headers.items()]
    lines = [
        f"Request: {request.method} {_safe_url()}",
        f"Endpoint: {request.endpoint or '-'}",
        f"User id: {user_id or '-'}",
        f"Request id: {request_id or '-'}",
        f"Remote address: {request.remote_addr or '-'}",
        f"User agent: {request.user_agent.string or '-'}",
        "",
        "Headers:",
        *(f"  {k}: {v}" for k, v in headers),
    ]
    if request.form:
        lines += ["", "Form:", *(f"  {k}: {v}" for k, v in redact_items(list(request.form.items(multi=True))))]
    return lines


def build_report(record: logging.LogRecord, user_id: str | None, request_id: str | None) -> ErrorReport:
    exc_type, exc, tb = record.exc_info or (None, None, None)
    job = current_job()
    if has_request_context():
        endpoint = request.endpoint or "-"
    elif job is not None:
        endpoint = f"job {job.name}"
    else:
        endpoint = f"{record.module} (no request)"
    if exc_type is not None and failure_status(exc) == 503:
        # An outage is one incident, not one bug per page it breaks: group
        # together every error that was answered 503, whatever the endpoint.
        # A 500 (a bug, even one the database reported) keeps its own group.
        type_name = exc_type.__qualname__
        where = "database unavailable"
        endpoint = "* (database unavailable)"
        tb_text = "".join(traceback.format_exception(exc_type, exc, tb))
    elif exc_type is not None:
        type_name = exc_type.__qualname__
        where = innermost_app_frame(tb)
        tb_text = "".join(traceback.format_exception(exc_type, exc, tb))
    else:  # logger.error() without an exception: group by the message template
        type_name = "LoggedError"
        where = f"{record.pathname}:{record.lineno}:{record.msg}"
        tb_text = "(no exception attached)"
    fingerprint = hashlib.sha1(f"{type_name}|{where}|{endpoint}".encode()).hexdigest()[:12]
    when = datetime.fromtimestamp(record.created, UTC)
    subject = f"Microblog Failure: {type_name} in {endpoint}"
    message = record.getMessage()  # SafePathFilter already made the path safe
    body = "\n".join([
        subject,
        "",
        f"Message: {message}",
        f"Time: {when.isoformat(timespec='seconds')}",
        f"Host: {socket.gethostname()}",
        f"Version: {__version__}",
        f"Fingerprint: {fingerprint} ({where})",
        *_request_lines(user_id, request_id),
        "",
        "Traceback:",
        tb_text,
    ])
    return ErrorReport(fingerprint=fingerprint, subject=subject, body=body, exc_type=type_name,
                       endpoint=endpoint, when=when)
