"""HTTP Basic auth to get a token, and Bearer token auth for everything else.

Both answer a failure with a 401 problem document and a ``WWW-Authenticate``
challenge for their own scheme. Getting a token is throttled like logging in.
"""
from __future__ import annotations

from flask import current_app, request
from flask.wrappers import Response
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth
from flask_limiter.util import get_remote_address

from app.accounts import spend_a_password_check
from app.errors import problem_response
from app.extensions import limiter
from app.limits import limit_message, wrong_password_limit
from app.models import User
from app.observability.metrics import LOGINS

REALM = "microblog API"
NO_CREDENTIALS = "Send your username and password with HTTP Basic authentication to get a token."
BAD_CREDENTIALS = "Invalid username or password."
NO_TOKEN = ("Authentication required: send the header 'Authorization: Bearer <token>'. "
            "Get a token from POST /api/tokens.")
BAD_TOKEN = "The token is invalid, expired or revoked. Get a new one from POST /api/tokens."

basic_auth = HTTPBasicAuth(realm=REALM)
token_auth = HTTPTokenAuth(scheme="Bearer", realm=REALM)


def _account_and_address() -> str:
    auth = request.authorization
    username = (auth.username or "") if auth is not None else ""
    return f"{username.strip().lower()[:64]}|{get_remote_address()}"


# POST /api/tokens checks a password just like the login form, so it gets the
# same throttling, with the same settings (its counters are its own): every
# attempt counts per address, failed ones per account and address.
throttle_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], key_func=get_remote_address, scope="api-token-address",
    error_message=limit_message,
)
throttle_per_account = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_and_address,
    deduct_when=lambda response: response.status_code == 401, scope="api-token-account",
    error_message=limit_message,
)


def _account_in_path() -> str:
    return f"user:{(request.view_args or {}).get('id')}"


# Failed current-password checks on PUT /api/users/<id>; the same budget as
# the web forms' (the keys match), so switching clients does not reset it.
password_checks = wrong_password_limit(_account_in_path)


@basic_auth.verify_password
def verify_password(username: str, password: str) -> User | None:
    # PostgreSQL rejects NUL in a text parameter: no such name can exist anyway.
    if not username or not password or "\x00" in username:
        return None
    user = User.named(username)
    if user is None:
        # The same work as a wrong password: the timing does not tell which accounts exist.
        spend_a_password_check(password)
    if user is None or not user.check_password(password):
        LOGINS.labels("failure").inc()
        return None
    LOGINS.labels("success").inc()  # getting a token is logging in to the API
    return user


@basic_auth.error_handler
def basic_auth_error(status: int) -> Response:
    # One message for an unknown user and a wrong password, as on the login page.
    detail = NO_CREDENTIALS if basic_auth.get_auth() is None else BAD_CREDENTIALS
    return problem_response(status, detail, headers={"WWW-Authenticate": basic_auth.authenticate_header()})


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    return User.check_token(token) if token else None


@token_auth.error_handler
def token_auth_error(status: int) -> Response:
    challenge = token_auth.authenticate_header()
    if token_auth.get_auth() is None:
        detail = NO_TOKEN
    else:  # RFC 6750: tell the client that this token is no good, not that one is missing
        detail = BAD_TOKEN
        challenge += ', error="invalid_token"'
    return problem_response(status, detail, headers={"WWW-Authenticate": challenge})


def token_user() -> User:
    """The caller of a ``token_auth.login_required`` view."""
    user = token_auth.current_user()
    assert isinstance(user, User)
    return user
