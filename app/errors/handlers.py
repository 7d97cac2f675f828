"""Every error response, registered app-wide.

Flask looks handlers up by status code first, then by exception class, most
specific first. Unhandled exceptions reach only the InternalServerError
handler: Flask logs them (one ERROR record with the traceback) and fires
``got_request_exception`` before calling it. There is deliberately no
``errorhandler(Exception)``, which would silence both.
"""
from __future__ import annotations

from flask import Blueprint, current_app
from flask.wrappers import Response
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.db_errors import failure_status
from app.errors.exceptions import AppError, ConflictError, InsufficientStorage, ValidationError
from app.errors.render import render_error
from app.extensions import db
from app.i18n.gettext import lazy_gettext as _l

bp = Blueprint("errors", __name__)

CSRF_MESSAGE = _l(
    "This form has expired or did not come from this site, so it was not accepted. "
    "Please go back, reload the page and try again."
)
INTERNAL_MESSAGE = _l(
    "Sorry, something went wrong on our side. The administrators have been notified. "
    "Please try again, and quote the request id if you contact us."
)
UNAVAILABLE_MESSAGE = _l("The service is temporarily unavailable. Please try again in a few seconds.")

# Carried through from the exception: Allow on 405, WWW-Authenticate on 401,
# Retry-After on 429 and 503.
_PASSED_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def render_http_exception(e: HTTPException, template: str = "errors/error.html",
                          detail: str | None = None) -> Response:
    code = e.code or 500
    headers = {k: v for k, v in e.get_headers() if k in _PASSED_HEADERS}
    return render_error(code, detail or e.description or "", template=template, headers=headers)


@bp.app_errorhandler(HTTPException)
def http_error(e: HTTPException) -> Response:
    return render_http_exception(e)


@bp.app_errorhandler(404)
def not_found(e: HTTPException) -> Response:
    return render_http_exception(e, template="errors/404.html")


@bp.app_errorhandler(CSRFError)
def csrf_error(e: CSRFError) -> Response:
    return render_http_exception(e, detail=CSRF_MESSAGE)


@bp.app_errorhandler(AppError)
def app_error(e: AppError) -> Response:
    extra = dict(e.payload)
    errors = e.errors if isinstance(e, ValidationError) else None
    if isinstance(e, ConflictError) and e.field:
        errors = {e.field: [e.message]}
    return render_error(e.status, e.message, errors=errors, **extra)


@bp.app_errorhandler(InternalServerError)
def internal_error(e: InternalServerError) -> Response:
    # First undo the failed transaction, so this page can use the database.
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.warning("Rollback after an unhandled error failed", exc_info=True)
    original = e.original_exception
    status = failure_status(original)
    if status == 507:
        return render_http_exception(InsufficientStorage())
    if status == 503:
        return render_error(503, UNAVAILABLE_MESSAGE, headers={"Retry-After": "5"}, exc=original)
    return render_error(500, INTERNAL_MESSAGE, template="errors/500.html", exc=original)
