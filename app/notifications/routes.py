"""GET /notifications: what the page's script polls for."""
from __future__ import annotations

import orjson
from flask import Blueprint, request
from flask.wrappers import Response
from flask_login import current_user

from app.auth.sessions import session_login
from app.extensions import login
from app.notifications.service import notifications_since, parse_since, poll_for_login

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
def poll() -> Response:
    """The notifications newer than ``?since=`` (Unix time, a float).

    Hundreds of open tabs call this all day, so it does as little as a page
    can: it writes nothing (not even last_seen), builds no User, and checks
    the session's login and reads the notifications in one indexed
    statement. A login kept only in the remember-me cookie takes Flask-Login's
    usual way (two statements)."""
    since = parse_since(request.args.get("since"))
    named = session_login()
    items = poll_for_login(*named, since) if named is not None else None
    if items is None:
        if not current_user.is_authenticated:
            return login.unauthorized()
        items = notifications_since(current_user.id, since)
    return Response(orjson.dumps(items), mimetype="application/json", headers={"Cache-Control": "no-store"})
