"""Error titles and werkzeug's stock descriptions, translatable.

HTML error pages are in the page's language. A problem document from the
API stays in English except its ``title``, which follows the client's
Accept-Language when a translation exists (issue 16): a program matches on
``status`` and ``type``, and a person reading it gets a title they can read.
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import force_locale
from werkzeug.exceptions import default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from app.i18n.gettext import lazy_gettext as _l

TITLES = {
    400: _l("Bad Request"), 401: _l("Unauthorized"), 403: _l("Forbidden"), 404: _l("Not Found"),
    405: _l("Method Not Allowed"), 406: _l("Not Acceptable"), 409: _l("Conflict"), 410: _l("Gone"),
    411: _l("Length Required"), 412: _l("Precondition Failed"), 413: _l("Request Entity Too Large"),
    414: _l("Request URI Too Long"), 415: _l("Unsupported Media Type"), 416: _l("Requested Range Not Satisfiable"),
    422: _l("Unprocessable Entity"), 428: _l("Precondition Required"), 429: _l("Too Many Requests"),
    431: _l("Request Header Fields Too Large"), 500: _l("Internal Server Error"), 501: _l("Not Implemented"),
    502: _l("Bad Gateway"), 503: _l("Service Unavailable"), 504: _l("Gateway Timeout"),
    507: _l("Insufficient Storage"),
}

# What werkzeug says when a view aborts without a message of its own, in
# words a person can act on.
DETAILS = {
    400: _l("The request could not be understood. Please check what you sent and try again."),
    401: _l("You need to log in to see this page."),
    403: _l("You are not allowed to see this page."),
    404: _l("Sorry, we could not find the page you were looking for."),
    405: _l("This address does not accept that kind of request."),
    406: _l("This page cannot be sent in a format your browser accepts."),
    410: _l("This page is gone for good."),
    413: _l("What you sent is too large."),
    414: _l("This address is too long."),
    415: _l("What you sent is not in a format this page accepts."),
    429: _l("Too many requests. Please wait a little and try again."),
    431: _l("Your browser sent headers that are too large."),
    500: _l("Sorry, something went wrong on our side."),
    503: _l("The service is temporarily unavailable. Please try again in a few seconds."),
}


def title_for(status: int) -> str:
    """The status's title in the page's language (its English name when none is translated)."""
    title = TITLES.get(status)
    return str(title) if title is not None else HTTP_STATUS_CODES.get(status, "Error")


def api_title(status: int, title: str | None) -> str:
    """An API problem's title, in the best of LANGUAGES for the client's
    Accept-Language; a title a view chose stays as it is."""
    if title is not None:
        return str(title)
    language = request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
    with force_locale(language):
        return title_for(status)


def is_stock_description(status: int, detail: str) -> bool:
    """Whether ``detail`` is werkzeug's own text for ``status`` (no view chose it)."""
    exception = default_exceptions.get(status)
    return exception is not None and detail == exception.description


def readable_detail(status: int, detail: str) -> str:
    """``detail``, or our translated words for ``status`` when it is werkzeug's stock text."""
    if not detail or is_stock_description(status, detail):
        replacement = DETAILS.get(status)
        if replacement is not None:
            return str(replacement)
    return str(detail)
