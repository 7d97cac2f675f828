"""Avatars drawn by the app itself.

``User.avatar()`` keeps the Mega-Tutorial's Gravatar URL for API clients, but
pages must not load anything from another host (and a Gravatar URL hands a
third party an unsalted hash of every user's email). Pages show an identicon
served from here instead, keyed by an HMAC of the email so the URL reveals
nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for

bp = Blueprint("avatars", __name__)

_DIGEST = re.compile(r"[0-9a-f]{32}")
GRID = 5


def avatar_digest(email: str) -> str:
    return _digest(current_app.config["SECRET_KEY"], email.lower())


@lru_cache(maxsize=4096)
def _digest(secret: str, email: str) -> str:
    # A page shows the same few authors many times: hash each one once.
    return hmac.new(secret.encode(), email.encode(), hashlib.sha256).hexdigest()[:32]


def avatar_url(user: object, external: bool = False) -> str:
    if external:
        return url_for("avatars.identicon", digest=avatar_digest(user.email), _external=True)  # type: ignore[attr-defined]
    return avatar_path(request.script_root, current_app.config["SECRET_KEY"], user.email)  # type: ignore[attr-defined]


def avatar_path(script_root: str, secret: str, email: str) -> str:
    """The avatar's address on this site, for a list that has looked the
    root and the key up once. url_for() once per post was a tenth of a
    page's cost; the path is fixed."""
    return f"{script_root}/avatar/{_digest(secret, email.lower())}.svg"


def identicon_svg(digest: str) -> str:
    """A 5x5 left-right symmetric pattern and a colour, both from the digest."""
    bits = int(digest, 16)
    hue = bits % 360
    cells = []
    for row in range(GRID):
        for col in range((GRID + 1) // 2):
            if bits >> (8 + row * 3 + col) & 1:
                for x in {col, GRID - 1 - col}:
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 {GRID + 1} {GRID + 1}" '
        f'shape-rendering="crispEdges"><rect x="-0.5" y="-0.5" width="{GRID + 1}" height="{GRID + 1}" '
        f'fill="#f0f0f0"/><g fill="hsl({hue},55%,50%)">{"".join(cells)}</g></svg>'
    )


@bp.route("/avatar/<digest>.svg")
def identicon(digest: str) -> Response:
    if not _DIGEST.fullmatch(digest):
        abort(404)
    response = Response(identicon_svg(digest), mimetype="image/svg+xml")
    # The digest names the picture for good: let browsers keep it.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(avatar_url)
