"""``POST /translate``: a post's body in another language, for the
Translate link's script (static/js/translate.js).

Body: ``{"post_id": <int>, "dest": <code>}``. ``dest`` must be one of the
interface languages (LANGUAGES): the link only ever asks for the page's, and
the provider's key is not an open translation service for any language.
Needs a login and the CSRF token (the script sends it as X-CSRFToken, read
from the page's ``<meta name="csrf-token">``). Errors are problem+json when
the client asks for JSON (Accept), as every error of the app.
"""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request
from flask.wrappers import Response
from flask_login import current_user, login_required

from app.errors import ValidationError
from app.extensions import limiter
from app.i18n.gettext import gettext as _
from app.limits import limit_message
from app.translate.service import translate_post

bp = Blueprint("translate", __name__)


def _per_account() -> str:
    return f"user:{current_user.id}"


def _body() -> tuple[int, str]:
    """``post_id`` and ``dest``, checked; a 400 naming the field otherwise."""
    try:
        data = json.loads(request.get_data(cache=True)) if request.is_json else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise ValidationError(_('Send a JSON object: {"post_id": <number>, "dest": <language code>}.'))
    post_id, dest = data.get("post_id"), data.get("dest")
    if type(post_id) is not int or post_id < 1:  # bool is an int to isinstance
        raise ValidationError(_("post_id must be a post's id, a positive whole number."), field="post_id")
    languages = current_app.config["LANGUAGES"]
    if not isinstance(dest, str) or dest not in languages:
        raise ValidationError(_("dest must be one of the site's languages: %(codes)s.", codes=", ".join(languages)),
                              field="dest")
    return post_id, dest


@bp.route("/translate", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["TRANSLATE_LIMIT"], key_func=_per_account, methods=["POST"],
               scope="translate", error_message=limit_message)
def translate() -> Response:
    """The translation as JSON: post_id, source, dest, text, cached."""
    post_id, dest = _body()
    result = translate_post(post_id, dest)
    return jsonify(result._asdict())
