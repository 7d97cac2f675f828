"""``/favicon.ico``: browsers ask the site's root for it when a page names
no icon (a JSON answer, an old page in the cache), and base.html names it."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory
from flask.wrappers import Response

STATIC = Path(__file__).resolve().parent / "static"  # the app's static folder
# Its URL never changes, so not "forever": a new icon reaches browsers within a week.
MAX_AGE = 7 * 24 * 3600
ICO_TYPE = "image/vnd.microsoft.icon"


def favicon() -> Response:
    return send_from_directory(STATIC, "favicon.ico", mimetype=ICO_TYPE, max_age=MAX_AGE)


def init_app(app: Flask) -> None:
    # No user is loaded for it: see NO_USER_ENDPOINTS in app/main/routes.py.
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
