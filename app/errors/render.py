"""Turning an error into a response: an HTML page for browsers, an RFC 9457
problem document for API clients. Other packages render through here."""
from __future__ import annotations

import traceback
from typing import Any

from flask import current_app, g, json, render_template, request
from flask.wrappers import Response
from flask_login import current_user

from app.errors.titles import api_title, readable_detail, title_for
from app.extensions import login
from app.redact import safe_path
from app.request_id import get_request_id

PROBLEM_JSON = "application/problem+json"
_JSON_TYPES = ("application/json", PROBLEM_JSON)


def is_api_path() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def wants_json() -> bool:
    """API paths always; otherwise only when the Accept header prefers JSON
    to HTML. Browsers and ``*/*`` (curl's default) get HTML."""
    if is_api_path():
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(("text/html", *_JSON_TYPES))
    return best in _JSON_TYPES and accept[best] > accept["text/html"]


def _problem_title(status: int, title: str | None) -> str:
    if is_api_path():
        return api_title(status, title)
    return str(title) if title is not None else title_for(status)


def problem_document(status: int, detail: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "about:blank",
        "title": _problem_title(status, title),
        "status": status,
        "detail": str(detail),
        "instance": safe_path(),  # not the raw path: a reset token must not travel on in a document
        "request_id": get_request_id(),
    }
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def problem_response(status: int, detail: str, title: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = json.dumps(problem_document(status, detail, title, **extra))
    response = current_app.response_class(body, status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _nav_user_is_safe() -> None:
    """The error page's navigation shows the logged-in user. If loading that
    user is itself what fails (the database is down), show the page to an
    anonymous visitor rather than failing inside the error handler."""
    try:
        if current_user.is_authenticated:
            current_user.username  # noqa: B018  (reload after a rollback, now)
    except Exception:
        current_app.logger.warning("Error page rendered without the user: loading them failed", exc_info=True)
        g._login_user = login.anonymous_user()


def render_error(status: int, detail: str, *, title: str | None = None, template: str = "errors/error.html",
                 headers: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
                 exc: BaseException | None = None, **extra: Any) -> Response:
    """One error response, as HTML or problem+json depending on the client."""
    if wants_json():
        if exc is not None and current_app.debug:  # only a developer sees this
            extra["traceback"] = "".join(traceback.format_exception(exc))
        return problem_response(status, detail, title, headers=headers, errors=errors, **extra)
    _nav_user_is_safe()
    html = render_template(template, status=status, title=str(title) if title is not None else title_for(status),
                           detail=readable_detail(status, detail), errors=errors or {})
    response = current_app.response_class(html, status=status, mimetype="text/html")
    response.headers.update(headers or {})
    return response
