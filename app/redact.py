"""Keeping secrets and forged lines out of logs and emails.

A password-reset link carries its token in the URL path, and a URL can carry
CR/LF (``%0A``) that would start a fake line in a text log. Everything that
writes a request's path uses ``safe_path()``. A URL that is not the current
request's (a Referer, a request line in the development server's access log)
goes through ``redact_path()``, which finds the token by matching the path
against the app's routes, as Flask did for the request itself.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from flask import Flask, current_app, has_request_context, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, RequestRedirect

REDACTED = "[redacted]"
SENSITIVE = re.compile(r"password|token|secret", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def redact_items(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Form fields or query parameters, with sensitive-looking ones hidden."""
    return [(k, REDACTED if SENSITIVE.search(k) else v) for k, v in items]


def _replace_sensitive(path: str, view_args: dict[str, object] | None) -> str:
    for name, value in (view_args or {}).items():
        if SENSITIVE.search(name) and isinstance(value, str) and value:
            path = path.replace(value, REDACTED)
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", path)


def safe_path() -> str:
    """The request path with secrets in it (a reset token) replaced and
    control characters percent-encoded."""
    return _replace_sensitive(request.path, request.view_args)


def _view_args(url_map: Map, path: str, method: str = "GET", follow: bool = True) -> dict[str, object] | None:
    """The view args the app's routes give ``path`` (decoded, without the
    script root), or None when no route matches."""
    try:
        return url_map.bind("localhost").match(path, method=method)[1]
    except RequestRedirect as redirect:  # e.g. a missing trailing slash: the target matches, same values
        return _view_args(url_map, urlsplit(redirect.new_url).path, method, False) if follow else None
    except MethodNotAllowed as wrong:  # a POST-only route still names its arguments
        allowed = sorted(wrong.valid_methods or ())
        return _view_args(url_map, path, allowed[0], follow) if allowed and method == "GET" else None
    except HTTPException:
        return None


def redact_path(path: str, url_map: Map, script_root: str = "") -> str:
    """A percent-encoded URL path with the values of sensitive view args
    replaced. Returned decoded when something was replaced (as
    ``safe_path()`` is), unchanged otherwise."""
    decoded = unquote(path)
    inner = decoded[len(script_root):] if script_root and decoded.startswith(script_root) else decoded
    args = _view_args(url_map, inner or "/")
    safe = _replace_sensitive(decoded, args)
    return path if safe == decoded else safe


def redact_query(query: str) -> str:
    """A query string with sensitive-looking parameters hidden; unchanged
    when there are none."""
    items = parse_qsl(query, keep_blank_values=True)
    if not any(SENSITIVE.search(k) for k, _ in items):
        return query
    return urlencode(redact_items(items))


def _same_site(netloc: str) -> bool:
    """A URL on this site, as far as a header can tell: a relative one, or the
    host of this request, PUBLIC_URL or SERVER_NAME. Only those paths are ours
    to match against our routes."""
    host = netloc.rpartition("@")[2].lower()
    ours = {request.host.lower(), str(current_app.config.get("SERVER_NAME") or "").lower()}
    public = current_app.config.get("PUBLIC_URL")
    if public:
        ours.add(urlsplit(str(public)).netloc.lower())
    return host == "" or host in ours


def safe_url_header(value: str) -> str:
    """A Referer or Origin value fit for an email or a log: a token in a
    same-site path and sensitive query parameters (on any site) replaced,
    credentials and fragment dropped. Unparseable: replaced whole."""
    try:
        parts = urlsplit(value)
        path = parts.path
        if _same_site(parts.netloc):
            path = redact_path(path, current_app.url_map, request.script_root)
        netloc = parts.netloc.rpartition("@")[2]
        fragment = REDACTED if parts.fragment else ""
        return urlunsplit((parts.scheme, netloc, path, redact_query(parts.query), fragment))
    except Exception:  # redaction must fail closed, and never cost the report
        return REDACTED


_REQUEST_LINE = re.compile(r"(?P<method>[A-Z]+) (?P<target>\S+) (?P<version>HTTP/\d(?:\.\d)?)")


class AccessLogFilter(logging.Filter):
    """On the "werkzeug" logger: the development server's access log
    (``"GET /auth/reset_password/<token> HTTP/1.1" 200 -``) and its
    bad-request lines get the token replaced. The server logs after the app
    returned, outside any request context, so the routes are kept here."""

    def __init__(self, url_map: Map) -> None:
        super().__init__()
        self.url_map = url_map

    def _target(self, match: re.Match[str]) -> str:
        path, mark, query = match["target"].partition("?")
        target = redact_path(path, self.url_map) + mark + redact_query(query)
        return f"{match['method']} {target} {match['version']}"

    def _redact(self, value: object) -> object:
        return _REQUEST_LINE.sub(self._target, value) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = self._redact(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(self._redact(arg) for arg in record.args)
        except Exception:  # fail closed: the line is kept, what it said is not
            record.args, record.msg = (), "(access log line withheld: it could not be redacted)"
        return True


def redact_access_log(app: Flask) -> None:
    """Install (once per process) the access-log filter for ``app``'s routes.
    The routes are read when a line is logged, so blueprints registered
    after this call count too."""
    logger = logging.getLogger("werkzeug")
    for existing in logger.filters:
        if isinstance(existing, AccessLogFilter):
            existing.url_map = app.url_map  # the newest app of this process
            return
    logger.addFilter(AccessLogFilter(app.url_map))


class SafePathFilter(logging.Filter):
    """Rewrites the raw path in a record's message (Flask's "Exception on
    <path> [GET]") to the safe one. A filter on the logger itself, so every
    handler (files, stdout, error emails) gets the safe text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and request.path in str(record.msg):
            safe = safe_path()
            if safe != request.path:
                record.msg = str(record.msg).replace(request.path, safe)
        return True
