"""``url_for`` for the templates: each address built once per site root.

A page writes 20 to 30 addresses (the navbar's, the scripts', the pager's),
and werkzeug builds each from its rule again every time: some 6 µs each,
more than the rest of the navbar. An address without ``_external`` and
friends depends only on the endpoint, its values and the site's root
(SCRIPT_NAME), so it is kept under those, in a bounded table per app.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, url_for
from flask.globals import _cv_request  # Flask 3's context variable (pinned version)
from markupsafe import Markup

from app.extensions import bootstrap

_KEY = "microblog_urls"
# A pager's page numbers and profile names make the keys; past this many the
# table starts again rather than grow without bound.
MAX_KEPT = 4096


def template_url_for(endpoint: str, **values: Any) -> str:
    # Relative endpoints (".index") depend on the request's blueprint, and
    # "_external", "_anchor" and the like on more than the root: built each time.
    if endpoint[:1] == "." or any(name[:1] == "_" for name in values):
        return url_for(endpoint, **values)
    # The request's context straight from its context variable: through the
    # request and current_app proxies, the lookups cost as much as the rest.
    ctx = _cv_request.get(None)
    if ctx is None:  # outside a request (an email from a job): url_for's own rules
        return url_for(endpoint, **values)
    root = ctx.request.root_path  # what request.script_root returns
    try:
        key = (root, endpoint, *sorted(values.items())) if values else (root, endpoint)
        kept: dict[tuple, str] = ctx.app.extensions[_KEY]
        address = kept.get(key)
    except TypeError:  # a value that cannot be a key (a list): built as it is
        return url_for(endpoint, **values)
    if address is None:
        address = url_for(endpoint, **values)
        if len(kept) >= MAX_KEPT:
            kept.clear()
        kept[key] = address
    return address


def bootstrap_css() -> Markup:
    """Flask-Bootstrap's ``load_css()``, kept per site root: it builds its
    address and tag again on every page, and depends on nothing else."""
    return _kept_markup("bootstrap.css", lambda: bootstrap.load_css())


def bootstrap_js() -> Markup:
    """Flask-Bootstrap's ``load_js()``, kept per site root (see bootstrap_css)."""
    return _kept_markup("bootstrap.js", lambda: bootstrap.load_js())


def _kept_markup(name: str, build: Callable[[], Markup]) -> Markup:
    ctx = _cv_request.get(None)
    if ctx is None:
        return build()
    kept: dict[tuple, str] = ctx.app.extensions[_KEY]
    key = (ctx.request.root_path, name)
    markup = kept.get(key)
    if markup is None:
        markup = kept[key] = build()
    return Markup(markup)


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = {}
    app.jinja_env.globals.update(url_for=template_url_for, bootstrap_css=bootstrap_css, bootstrap_js=bootstrap_js)
