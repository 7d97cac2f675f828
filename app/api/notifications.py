"""GET /api/notifications: the API's side of the poll the web pages make."""
from __future__ import annotations

from flask import jsonify, request
from flask.wrappers import Response

from app.api.auth import token_auth, token_user
from app.api.routes import bp
from app.errors import ValidationError
from app.notifications import notifications_since, parse_since

ONE_SINCE = "Give since once."


@bp.route("/notifications")
@token_auth.login_required
def get_notifications() -> Response:
    """Your notifications newer than ``?since=`` (Unix time, a float), oldest
    first. Polled as often as the web one: it writes nothing and runs two
    statements, the token's user and this query."""
    values = request.args.getlist("since")
    if len(values) > 1:  # which one was meant? Taking the first would hide a client's bug
        raise ValidationError(ONE_SINCE, field="since")
    since = parse_since(values[0] if values else None)
    response = jsonify(notifications_since(token_user().id, since))
    response.headers["Cache-Control"] = "no-store"
    return response
