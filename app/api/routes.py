"""The API's endpoints, and its error handlers: every answer is JSON, every
error an RFC 9457 problem document."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, url_for
from flask.wrappers import Response
from werkzeug.exceptions import HTTPException

from app.accounts import (
    EMAIL_TAKEN,
    USERNAME_TAKEN,
    DuplicateAccount,
    commit_account,
    email_taken,
    notify_email_changed,
    register,
    username_taken,
)
from app.api.auth import (
    basic_auth,
    password_checks,
    throttle_per_account,
    throttle_per_address,
    token_auth,
    token_user,
)
from app.api.openapi import SPEC
from app.api.pagination import paginate
from app.api.payload import UserFields, read_fields
from app.api.representations import (
    Counts,
    get_by_id,
    user_dict,
    user_with_counts,
    users_page,
)
from app.errors import AppError, AuthorizationError, ConflictError, NotFoundError, ValidationError, problem_response
from app.extensions import csrf, db
from app.limits import note_wrong_password
from app.models import User

NEEDS_PASSWORD = "Changing the email address needs your current password: send it as current_password."
WRONG_PASSWORD = "The current password is incorrect."

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # authenticated by tokens, never by cookies: there is no session to forge

# Carried through from the exception: Allow on 405, WWW-Authenticate on 401,
# Retry-After on 429 and 503.
_PASSED_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


# Handlers on the blueprint win over the app-wide ones for requests routed
# here. Unhandled exceptions still reach the app's 500 handler (it rolls
# back and tells a lost database from a bug), which answers /api paths with
# problem+json too.
@bp.errorhandler(HTTPException)
def http_error(e: HTTPException) -> Response:
    headers = {k: v for k, v in e.get_headers() if k in _PASSED_HEADERS}
    return problem_response(e.code or 500, e.description or "", headers=headers)


@bp.errorhandler(AppError)
def app_error(e: AppError) -> Response:
    errors = e.errors if isinstance(e, ValidationError) else None
    if isinstance(e, ConflictError) and e.field:
        errors = {e.field: [e.message]}
    return problem_response(e.status, e.message, errors=errors or None, **e.payload)


@bp.route("/openapi.json")
def openapi() -> Response:
    """This API's OpenAPI description."""
    return jsonify(SPEC)


@bp.route("/tokens", methods=["POST"])
@throttle_per_address
@throttle_per_account
@basic_auth.login_required
def get_token() -> Response:
    """A new token for the Basic-authenticated user; it replaces their previous one."""
    user = basic_auth.current_user()
    token = user.get_token(current_app.config["API_TOKEN_TTL"])
    db.session.commit()
    response = jsonify(token=token, expires=user.token_expiration.isoformat())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tokens", methods=["DELETE"])
@token_auth.login_required
def revoke_token() -> Response:
    token_user().revoke_token()
    db.session.commit()
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no media type
    return response


@bp.route("/users/<int:id>")
@token_auth.login_required
def get_user(id: int) -> Response:
    return jsonify(user_dict(*user_with_counts(id), token_user()))


@bp.route("/users")
@token_auth.login_required
def get_users() -> Response:
    query = sa.select(User).order_by(User.id)
    return jsonify(paginate(query, users_page(token_user()), "api.get_users"))


def _existing_user(id: int) -> User:
    user = get_by_id(User, id)
    if user is None:
        raise NotFoundError(f"There is no user with id {id}.")
    return user


@bp.route("/users/<int:id>/followers")
@token_auth.login_required
def get_followers(id: int) -> Response:
    query = _existing_user(id).followers.select().order_by(User.id)
    return jsonify(paginate(query, users_page(token_user()), "api.get_followers", id=id))


@bp.route("/users/<int:id>/following")
@token_auth.login_required
def get_following(id: int) -> Response:
    query = _existing_user(id).following.select().order_by(User.id)
    return jsonify(paginate(query, users_page(token_user()), "api.get_following", id=id))


def _check_unique(data: dict[str, Any], exclude_id: int | None = None) -> None:
    if "username" in data and username_taken(data["username"], exclude_id):
        raise ConflictError(USERNAME_TAKEN, field="username")
    if "email" in data and email_taken(data["email"], exclude_id):
        raise ConflictError(EMAIL_TAKEN, field="email")


def _save_account() -> None:
    """Commit; a unique index that caught a race is a 409 like any duplicate."""
    try:
        commit_account()
    except DuplicateAccount as dup:
        raise ConflictError(dup.message, field=dup.field) from None


@bp.route("/users", methods=["POST"])
def create_user() -> tuple[Response, int, dict[str, str]]:
    """Register: no authentication."""
    data = read_fields(UserFields, required=("username", "email", "password"), optional=("about_me",),
                       nullable=("about_me",))
    _check_unique(data)
    try:
        user = register(data["username"], data["email"], data["password"], data.get("about_me"))
    except DuplicateAccount as dup:
        raise ConflictError(dup.message, field=dup.field) from None
    location = url_for("api.get_user", id=user.id)
    return jsonify(user_dict(user, Counts(0, 0, 0), caller=None)), 201, {"Location": location}


@bp.route("/users/<int:id>", methods=["PUT"])
@password_checks
@token_auth.login_required
def update_user(id: int) -> Response:
    """Change your own username, email or about me; the email only with the
    current password, since a token alone must not be able to take the account."""
    caller = token_user()
    if caller.id != id:
        raise AuthorizationError("You can only change your own account.")
    data = read_fields(UserFields, optional=("username", "email", "about_me", "current_password"),
                       nullable=("about_me",))
    password = data.pop("current_password", None)
    old_email = caller.email
    # Another letter case is the same mailbox: no password needed, no notice.
    if "email" in data and data["email"].lower() != old_email.lower():
        if not password:
            raise ValidationError(field="current_password", message=NEEDS_PASSWORD)
        if not caller.check_password(password):
            note_wrong_password()
            raise AuthorizationError(WRONG_PASSWORD)
    _check_unique(data, exclude_id=caller.id)
    for name, value in data.items():
        setattr(caller, name, value)
    _save_account()
    if caller.email.lower() != old_email.lower():
        notify_email_changed(caller.username, old_email, caller.email)
    return jsonify(user_dict(*user_with_counts(id), caller))
