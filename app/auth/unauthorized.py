"""What a page that needs a login answers to a visitor without one: a
browser is sent to the login page (Flask-Login's way), a script or the
page's own polling code gets a 401 problem document it can act on."""
from __future__ import annotations

from flask import flash, redirect, request
from flask.wrappers import Response
from flask_login import login_url

from app.errors import problem_response, wants_json
from app.extensions import login
from app.i18n.gettext import lazy_gettext as _l

NOT_LOGGED_IN = _l("You are not logged in, or your session has ended: log in first.")


@login.unauthorized_handler
def unauthorized() -> Response:
    if wants_json():
        return problem_response(401, NOT_LOGGED_IN)
    flash(str(login.login_message), login.login_message_category)
    return redirect(login_url(login.login_view, next_url=request.url))
