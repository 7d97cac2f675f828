"""Keeping secrets and forged lines out of logs and emails.

A password-reset link carries its token in the URL path, and a URL can carry
CR/LF (``%0A``) that would start a fake line in a text log. Everything that
writes a request's path uses ``safe_path()``.
"""
from __future__ import annotations

import logging
import re

from flask import has_request_context, request

REDACTED = "[redacted]"
SENSITIVE = re.compile(r"password|token|secret", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def redact_items(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Form fields or query parameters, with sensitive-looking ones hidden."""
    return [(k, REDACTED if SENSITIVE.search(k) else v) for k, v in items]


def safe_path() -> str:
    """The request path with secrets in it (a reset token) replaced and
    control characters percent-encoded."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if SENSITIVE.search(name) and isinstance(value, str) and value:
            path = path.replace(value, REDACTED)
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", path)


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
