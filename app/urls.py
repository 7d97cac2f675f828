"""``url_for`` for the templates: each address built once per site root.

A page writes 20 to 30 addresses (the navbar's, the scripts', the pager's),
and werkzeug builds each from its rule again every time: some 6 µs each,
more than the rest of the navbar. An address without ``_external`` and
friends depends only on the endpoint, its values and the site's root
(SCRIPT_NAME), so it is kept under those, in a bounded table per app.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask.globals import _cv_request  # Flask 3's context variable (pinned version)

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
    ctx = _cv_request.get()
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


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = {}
    app.jinja_env.globals["url_for"] = template_url_for
