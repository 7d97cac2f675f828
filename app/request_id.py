"""Every request gets an id: reused from a sane ``X-Request-ID`` header (a
proxy's), otherwise generated. Responses, templates, logs and problem
documents all carry it, so a user can quote it and an admin can find it."""
from __future__ import annotations

import re
import secrets

from flask import Flask, has_request_context, request
from flask.wrappers import Response

HEADER = "X-Request-ID"
# Anything else (too long, spaces, CR/LF for header injection) is replaced.
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Kept in the WSGI environ: it lives exactly as long as the request.
_ENVIRON_KEY = "microblog.request_id"


def request_id_from(environ: dict) -> str:
    """A sane incoming id from a WSGI environ, or a new one."""
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if _SANE.fullmatch(incoming) else secrets.token_hex(16)


def get_request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    rid = request.environ.get(_ENVIRON_KEY)
    if rid is None:
        rid = request.environ[_ENVIRON_KEY] = request_id_from(request.environ)
    return rid


def _assign() -> None:
    # Early, so everything the request logs can carry the id. (A
    # before_request function that returned the id would become the response.)
    get_request_id()


def _set_header(response: Response) -> Response:
    response.headers[HEADER] = get_request_id()
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign)
    app.after_request(_set_header)
    app.context_processor(lambda: {"request_id": get_request_id()})
