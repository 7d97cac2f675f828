"""Interface languages (issue 16): which language a request is served in,
the navbar's chooser, and ``flask translate``.

The language is, first match wins: the choice saved on a logged-in user's
account, the chooser's cookie (visitors), the best match of the browser's
Accept-Language, then the first of LANGUAGES (English).
"""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from app.extensions import babel
from app.i18n import dates, gettext
from app.redact import safe_path

COOKIE = "language"
COOKIE_DAYS = 365
# Each language's name in itself, for the chooser: a reader who cannot read
# the page's language can still find their own.
NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "fr": "Français"}


def offered() -> list[str]:
    return current_app.config["LANGUAGES"]


def _saved_choice() -> str | None:
    """The logged-in user's saved language. An error page may be choosing
    its words because the database is down, and loading the user is what
    fails: then there is no saved choice, and the page still renders."""
    try:
        return current_user.language if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 (any failure to load the user: the error handler reports the cause)
        return None


def select_language() -> str:
    """The language of this request (Flask-Babel's locale selector); the
    first offered one outside a request (a background job's email)."""
    languages = offered()
    if not has_request_context():
        return languages[0]
    # The API answers in English, whoever asks: programs match on its words.
    # Only a problem's title follows Accept-Language (app/errors/titles.py).
    if request.path == "/api" or request.path.startswith("/api/"):
        return "en"
    # The user row is loaded for the page anyway: its choice costs no query.
    if _saved_choice() in languages:
        return str(current_user.language)
    chosen = request.cookies.get(COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def language_of(user: object | None, fallback: str | None = None) -> str:
    """The language to write to ``user`` in away from their request (an
    email from a background job): their saved choice, else ``fallback``
    (the language of the request that asked), else the first offered."""
    languages = offered()
    saved = getattr(user, "language", None)
    if saved in languages:
        return str(saved)
    return fallback if fallback in languages else languages[0]


# A query longer than this is not carried back by the chooser: the page
# would echo it whole (a search's query is cut to SEARCH_MAX_CHARS).
MAX_NEXT_QUERY = 256


def chooser_next() -> str:
    """Where the language chooser goes back to: this page, unless its
    address holds a secret (a reset link's token, which must not be written
    into the page) or an overlong query, or is a form's POST-only address
    (a form shown again with its errors); then the chooser's default."""
    if request.method != "GET" or safe_path() != request.path:
        return ""
    if request.query_string and len(request.query_string) <= MAX_NEXT_QUERY:
        return request.full_path
    return request.path


def page_language() -> dict[str, object]:
    """For every template: the page's language (``<html lang>``) and the chooser's choices."""
    return {"page_language": str(get_locale() or offered()[0]),
            "languages": [(code, NAMES.get(code, code)) for code in offered()]}


def init_app(app: Flask) -> None:
    unknown = [code for code in app.config["LANGUAGES"] if code not in NAMES]
    if not app.config["LANGUAGES"] or unknown:
        raise ValueError(f"LANGUAGES must list codes among {', '.join(NAMES)}; got {app.config['LANGUAGES']}")
    babel.init_app(app, locale_selector=select_language, default_locale=app.config["LANGUAGES"][0],
                   default_translation_directories=str(app.root_path + "/translations"))
    gettext.install(app)
    app.context_processor(page_language)
    app.add_template_filter(dates.when, "when")
    from app.i18n.client import client_texts  # it reads the jobs' messages, which import this package

    app.add_template_global(client_texts)
    app.add_template_global(chooser_next)
