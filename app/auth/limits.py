"""Login throttling (Flask-Limiter).

Two limits on POST /auth/login:
- per client address, on every attempt: one address cannot try many accounts;
- per account *and* address, on failed attempts only: one attacker cannot
  guess one password for long, yet cannot lock its owner out either, since
  the owner logs in from another address.
Counters live in Redis when REDIS_URL is set, so they hold across workers
and hosts; otherwise in each process's memory.
"""
from __future__ import annotations

from flask import current_app, request
from flask.wrappers import Response
from flask_limiter.util import get_remote_address

from app.extensions import limiter
from app.limits import limit_message


def _account_and_address() -> str:
    username = (request.form.get("username") or "").strip().lower()[:64]
    return f"{username}|{get_remote_address()}"


def _failed(response: Response) -> bool:
    return response.status_code != 302  # a successful login redirects


login_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], key_func=get_remote_address,
    scope="login-address", error_message=limit_message,
)
login_per_account = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_and_address,
    deduct_when=_failed, scope="login-account", error_message=limit_message,
)

