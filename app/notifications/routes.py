"""GET /notifications: what the page's script polls for."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.wrappers import Response
from flask_login import current_user, login_required

from app.notifications.service import notifications_since, parse_since

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def poll() -> Response:
    """The notifications newer than ``?since=`` (Unix time, a float).

    Hundreds of open tabs call this all day: it writes nothing (not even
    last_seen) and runs two indexed statements, the user and this query."""
    since = parse_since(request.args.get("since"))
    response = jsonify(notifications_since(current_user.id, since))
    response.headers["Cache-Control"] = "no-store"
    return response
