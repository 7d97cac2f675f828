"""The session's signed CSRF token, signed at most once a minute per session.

Flask-WTF signs the session's CSRF secret afresh for every request that
shows a form: a serializer, a derived key, JSON, base64 and an HMAC, some 4%
of a page's CPU under py-spy. The signed token depends only on that secret,
the key and the second it was signed, so one signed a few seconds ago is just
as good, only that much nearer ``WTF_CSRF_TIME_LIMIT``. Each worker keeps the
token it signed for a secret for a sixtieth of that limit (a minute of the
default hour) and hands it out again.

Kept under the session's own secret, a token only ever goes back to a
session that holds that secret: the one it was signed for. Forms check it
exactly as before (Flask-WTF's ``validate_csrf``), and a form built in a view
still writes the same token as the page around it: both read the request's
token from ``g``, where Flask-WTF keeps it.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.kept import kept

_KEY = "microblog_csrf_tokens"
# Past this many sessions' tokens the table starts again rather than grow.
MAX_KEPT = 4096
# Reused for at most this share of the token's lifetime.
_SHARE = 60
_LONGEST = 60.0  # seconds, with no time limit at all
# Stands for the token in kept HTML: a NUL is in no token, label or address.
_SLOT = "\x00csrf\x00"


def csrf_token() -> str:
    """The token the request's forms carry: ``generate_csrf()``'s, reused."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed: str | None = g.get(field)
    if signed is not None:
        return signed
    kept: dict[str, tuple[float, str]] = current_app.extensions[_KEY]
    secret = session.get(field)
    if not isinstance(secret, str):
        # A new visitor's secret, started here: kept from its second page on,
        # so visitors who never come back (crawlers) do not churn the table.
        return generate_csrf()
    now = time.monotonic()
    entry = kept.get(secret)
    if entry is not None and now - entry[0] < reuse_seconds(config.get("WTF_CSRF_TIME_LIMIT", 3600)):
        setattr(g, field, entry[1])
        return entry[1]
    signed = generate_csrf()
    if len(kept) >= MAX_KEPT:
        kept.clear()
    kept[secret] = (now, signed)
    return signed


def reuse_seconds(time_limit: int | None) -> float:
    """How long a signed token is handed out again: a token reused to the
    end still lives 59/60 of ``time_limit``."""
    return _LONGEST if time_limit is None else min(_LONGEST, time_limit / _SHARE)


def kept_with_token(table: str, key: Hashable, build: Callable[[], str], limit: int) -> Markup:
    """``build()``'s HTML, kept in ``table`` under ``key`` with a slot where
    this request's token was (app/kept.py), and given back with the token of
    each request that asks: the same bytes for every session but its token."""
    token = csrf_token()
    return Markup(kept(table, key, lambda: build().replace(token, _SLOT), limit).replace(_SLOT, token))


_CONTEXT = {"csrf_token": csrf_token}


def init_app(app: Flask) -> None:
    """After CSRFProtect: the templates' ``csrf_token()`` is this one. Its
    context processor puts its own into every template's context, so this
    one's runs after it, as well as replacing the global."""
    app.extensions[_KEY] = {}
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: _CONTEXT)
