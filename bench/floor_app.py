"""The app of ``make bench-floor`` with part of each page's work made free.

``BENCH_FLOOR`` names how much, each step including the ones before it:

- ``full``: nothing; the app as shipped (``microblog:app``).
- ``post-html``: a page's post rows (app/lists/rows.py, the posts' HTML) are
  built on its first request and reused after that.
- ``templates``: that, and the page's template output too: the view still
  runs its queries and builds its forms, but no Jinja runs after the first
  request of an address.
- ``view``: the view's whole answer is reused: no query, form or template.
  What is left is what every logged-in page pays before and after its view:
  werkzeug, Flask, the session, loading the user, the rate limiter, the
  metrics and log hooks, and the response.

Everything reused is keyed by the address, the Accept-Language header and
the user, so each variant sends the same bytes as ``full``. A bench-only
module: the patches replace functions inside Flask and the app, which no
served app may do. Its figures say what a stage costs by what removing it
gains, and so which targets the remaining stages leave out of reach.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

import flask.templating
from flask import Flask, request
from flask_login import current_user

from app import create_app
from app.lists import rows

STEPS = ("full", "post-html", "templates", "view")


def _key() -> Hashable:
    user = current_user.get_id() if current_user.is_authenticated else None
    return request.full_path, request.headers.get("Accept-Language"), user


def _kept(function: Callable[..., Any], store: dict[Hashable, Any],
          extra: Callable[..., Hashable]) -> Callable[..., Any]:
    """``function``, whose answer for each request key (and ``extra`` of its
    arguments) is computed once and then handed back."""
    @wraps(function)
    def reused(*args: Any, **kwargs: Any) -> Any:
        key = (_key(), extra(*args, **kwargs))
        if key not in store:
            store[key] = function(*args, **kwargs)
        return store[key]
    return reused


def _free_post_html() -> None:
    # Views import post_rows by name: replace it in every module that did.
    original = rows.post_rows  # compared with as it is replaced, app.lists.rows's own name included
    kept = _kept(original, {}, lambda posts, viewer_id, bodies=None: (viewer_id, tuple(p.id for p in posts)))
    for module in list(sys.modules.values()):
        if getattr(module, "post_rows", None) is original:
            module.post_rows = kept  # type: ignore[attr-defined]


def _free_templates() -> None:
    # render_template() looks _render up at each call (Flask 3).
    flask.templating._render = _kept(flask.templating._render, {},  # type: ignore[attr-defined]
                                     lambda app, template, context: template.name)


def _reused_view(view: Callable[..., Any]) -> Callable[..., Any]:
    store: dict[Hashable, str] = {}

    @wraps(view)
    def reused(**values: Any) -> Any:
        key = _key()
        if request.method == "GET" and key in store:
            return store[key]
        answer = view(**values)
        if request.method == "GET" and isinstance(answer, str):  # a page; redirects are answered afresh
            store[key] = answer
        return answer
    return reused


def _free_views(app: Flask) -> None:
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _reused_view(view)


def build(step: str) -> Flask:
    if step not in STEPS:
        raise SystemExit(f"BENCH_FLOOR must be one of {', '.join(STEPS)}; got {step!r}")
    app = create_app()
    done = STEPS[:STEPS.index(step) + 1]
    if "post-html" in done:
        _free_post_html()
    if "templates" in done:
        _free_templates()
    if "view" in done:
        _free_views(app)
    return app


application = build(os.environ.get("BENCH_FLOOR", "full"))
