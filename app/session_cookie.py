"""Flask's signed session cookie, checked once per cookie rather than once
per request.

A browser sends the same session cookie on every request until the session
changes, and Flask verifies it each time: a serializer built again, an HMAC,
base64 and JSON, about a tenth of what the notification poll costs. Here a
cookie that verified is kept with what it held and when it was signed, so
the next request with the same bytes gets a copy without the checks. What
the checks decide is kept exactly:

- a cookie is kept only after it verified, so bytes that never did (a
  forgery, a cookie signed with another key) are checked every time, and
  cannot push real ones out;
- its age is checked on every request against the session lifetime, as
  itsdangerous does (whole seconds, not from the future);
- a new SECRET_KEY or SECRET_KEY_FALLBACKS empties the table;
- only a session of plain values (text, numbers, booleans, None) is kept, so
  the shallow copy each request gets shares nothing it could change (a
  flashed message's list is not kept).
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

# Cookies kept per worker: one per session active in it. Past this many the
# table starts again rather than grow.
MAX_KEPT = 4096
_PLAIN = (str, int, float, bool, type(None))


def _plain(data: dict[str, Any]) -> bool:
    return all(type(value) in _PLAIN for value in data.values())


class KeptCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's SecureCookieSessionInterface, with verified cookies kept."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        self.limit = limit
        self._kept: dict[str, tuple[dict[str, Any], int]] = {}
        self._keys: tuple[Any, ...] | None = None
        self._serializer: URLSafeTimedSerializer | None = None
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask builds a serializer per request; one per set of keys will do.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._keys:
            with self._lock:
                self._serializer = super().get_signing_serializer(app)
                self._kept = {}
                self._keys = keys
        return self._serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        hit = self._kept.get(value)
        if hit is not None:
            data, signed = hit
            if 0 <= int(time.time()) - signed <= max_age:
                return self.session_class(dict(data))
            self._kept.pop(value, None)
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and _plain(data):
            with self._lock:
                if len(self._kept) >= self.limit:
                    self._kept.clear()
                self._kept[value] = (dict(data), int(signed_at.timestamp()))
        return self.session_class(data)
