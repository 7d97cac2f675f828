"""POST /language: the navbar's language chooser."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.redirects import safe_next
from app.extensions import db
from app.i18n import COOKIE, COOKIE_DAYS, NAMES, offered
from app.i18n.gettext import gettext as _

bp = Blueprint("i18n", __name__)


@bp.route("/language", methods=["POST"])
def choose_language() -> Response:
    """Keep the chosen language in a cookie (for visitors and users alike),
    on the account of a logged-in user (their other devices follow), and go
    back to the page it was chosen on."""
    code = request.form.get("language", "")
    if code not in offered():
        known = ", ".join(f"{c} ({NAMES[c]})" for c in offered())
        abort(400, description=_("Unknown language %(code)s: choose one of %(known)s.", code=repr(code[:20]),
                                 known=known))
    if current_user.is_authenticated and current_user.language != code:
        current_user.language = code
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("main.index"))
    response.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 24 * 3600, samesite="Lax", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response
