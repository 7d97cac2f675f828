"""Who made the current request, without costing a query."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context, session

from app.models.viewer import Viewer


def current_user_id() -> str | None:
    """The id of a user the request already loaded or carries in its session.

    Looking the user up here would add a query to requests that never needed
    the user, so read only what is at hand: Flask-Login's cached user
    (``g._login_user``), the API's token user (``g.flask_httpauth_user``),
    or the session's ``_user_id``.
    """
    if not has_request_context():
        return None
    user = g.get("_login_user") or g.get("flask_httpauth_user")
    if isinstance(user, Viewer):
        return str(user.known_id)
    if user is not None and getattr(user, "is_authenticated", False):
        # The id from the identity map, never ``user.id``: after a failed
        # commit the user is expired, and reloading it would raise (losing
        # the error email) or cost a query.
        state = sa.inspect(user, raiseerr=False)
        if state is not None and state.identity:
            return str(state.identity[0])
    session_id = session.get("_user_id")  # "<id>.<login key>": log the id only
    return str(session_id).partition(".")[0] if session_id is not None else None
