"""Logins that can be ended from the server: logging out, logging out
everywhere, and the end of every login when the password changes."""
from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, session
from flask_login import login_user, logout_user

from app.extensions import db
from app.models import LoginSession, User, utcnow
from app.models.sessions import key_digest

# Flask-Login's default lifetime of a remember-me cookie.
DEFAULT_REMEMBER_DAYS = 365
# Login rows are never loaded as objects, so the session has nothing to update.
_NO_SYNC = {"synchronize_session": False}


def _lifetime() -> timedelta:
    value = current_app.config.get("REMEMBER_COOKIE_DURATION")
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=value) if value else timedelta(days=DEFAULT_REMEMBER_DAYS)


def begin_session(user: User, remember: bool = False) -> None:
    """Log ``user`` in with a new login row (and commit it)."""
    key = secrets.token_urlsafe(24)
    # Logins older than any cookie could be are dead anyway: drop them here,
    # so the table holds only what a cookie might still name.
    db.session.execute(sa.delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.created < utcnow() - _lifetime()), execution_options=_NO_SYNC)
    db.session.add(LoginSession(user_id=user.id, key_hash=key_digest(key)))
    db.session.commit()
    user.session_key = key
    login_user(user, remember=remember)


def session_login() -> tuple[int, str] | None:
    """The (user id, login key) the session cookie names, unchecked; None
    when it names none (a visitor, or a login kept only in the remember-me
    cookie). For the poll, which checks the login in its own statement."""
    user_id = session.get("_user_id")
    if not isinstance(user_id, str):
        return None
    number, _, key = user_id.partition(".")
    if not key or not number.isascii() or not number.isdigit() or int(number) > 2**31 - 1:
        return None
    return int(number), key


def _current_key() -> str | None:
    user_id = session.get("_user_id")
    if not isinstance(user_id, str):
        return None
    return user_id.partition(".")[2] or None


def end_session() -> None:
    """Log out here: this login's row goes, so no copy of its session or
    remember-me cookie works again."""
    key = _current_key()
    if key is not None:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.key_hash == key_digest(key)),
                           execution_options=_NO_SYNC)
        db.session.commit()
    logout_user()


def end_all_sessions(user: User, keep_current: bool = False) -> None:
    """End every login of ``user`` (the caller commits). With
    ``keep_current``, the login making this request stays."""
    query = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    key = _current_key() if keep_current else None
    if key is not None:
        query = query.where(LoginSession.key_hash != key_digest(key))
    db.session.execute(query, execution_options=_NO_SYNC)


def lock_out_old_credentials(user: User, keep_current: bool = False) -> None:
    """After a password reset or change: no session, remember-me cookie or
    API token from before it works any more (the caller commits)."""
    end_all_sessions(user, keep_current=keep_current)
    user.revoke_token()
