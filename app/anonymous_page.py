"""A logged-out visitor's GET page, written once per address and language.

The login page is every visitor's first, and wrk's figure for it is a new
visitor's: after app/form_html.py and app/frame.py, Jinja was still a
quarter of its cost, for bytes that are the same for every logged-out
visitor of one address but for the session's CSRF token. So the page is
rendered once per template, address (path and query: the language
chooser's way back), site root and language, with a slot where the token
was, and each request puts its own token in.

Nothing of one visitor is in a kept page: it is only used for a visitor who
is not logged in and has no flashed message waiting (those pages are
rendered as usual), and a form sent back with errors is never kept.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import request, session
from flask_login import current_user

from app.csrf_token import kept_with_token
from app.i18n.dates import language

_KEY = "microblog_anonymous_pages"
# Keyed by the address, which the visitor chooses: past this many the table
# starts again rather than grow without bound.
MAX_KEPT = 256


def anonymous_page(template: str, render: Callable[[], str]) -> str:
    """``render()``'s page (``template``'s), kept for logged-out visitors."""
    if current_user.is_authenticated or "_flashes" in session:
        return render()
    key = (template, request.full_path, request.root_path, language())
    return kept_with_token(_KEY, key, render, MAX_KEPT)
