"""Absolute links that leave a request, such as the one in a reset email.

They are built from PUBLIC_URL, never from the request's Host: a request sent
with ``Host: attacker.example`` would otherwise mail the victim a valid reset
token on the attacker's site. Without PUBLIC_URL, a request to a loopback
host (``flask run`` on a developer's machine) may still build its own links;
any other host gets none.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_public_url(value: str | None) -> None:
    """Refuse a PUBLIC_URL that cannot be a site's base address, at start-up."""
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None \
            or parts.password is not None or parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_URL must look like https://microblog.example.com[/prefix], got {value!r}")


def request_is_loopback() -> bool:
    if not has_request_context():
        return False
    try:
        host = urlsplit("//" + request.host).hostname
    except ValueError:  # a malformed Host, such as an unclosed "["
        return False
    return host in LOOPBACK_HOSTS


def link_base() -> str | None:
    """``scheme://host[/prefix]`` for links in emails, or None when there is
    no base that an attacker cannot choose."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return str(public)
    if request_is_loopback():
        return request.host_url.rstrip("/")
    return None


def external_url(base: str, endpoint: str, **values: object) -> str:
    """An absolute URL for ``endpoint`` under ``base``, built without a request
    (emails are rendered by a background thread)."""
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def init_app(app: Flask) -> None:
    check_public_url(app.config.get("PUBLIC_URL"))
