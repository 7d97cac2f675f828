"""Account rules shared by the web forms and the API: uniqueness checks, and
saving with the database's unique indexes as the final word."""
from __future__ import annotations

import re

from flask import current_app, render_template
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms.validators import Length, Regexp

from app.email import send_email
from app.extensions import db
from app.forms import email_address, length, required
from app.i18n.gettext import gettext as _
from app.i18n.gettext import lazy_gettext as _l
from app.models import User
from app.observability.metrics import REGISTRATIONS

USERNAME_TAKEN = _l("This username is already taken. Please use a different username.")
EMAIL_TAKEN = _l("This email address is already registered. Please use a different one.")

# ASCII only: usernames live in URLs, and lower() must agree between
# Python, SQLite and PostgreSQL for case-insensitive uniqueness to hold.
USERNAME_CHARACTERS = re.compile(r"\A[A-Za-z0-9_.-]+\Z")  # \Z, not $: "$" also matches before a trailing newline
USERNAME_RULES = [
    required(),
    length(min=1, max=64),
    Regexp(USERNAME_CHARACTERS,
           message=_l("Usernames may contain only letters, digits, dots, dashes and underscores.")),
]
PASSWORD_RULES = [required(), Length(min=8, max=128, message=_l("Passwords must be 8 to 128 characters long."))]
EMAIL_RULES = [
    required(),
    length(max=120),
    # ASCII only: Flask-Mail cannot send to an internationalised address, and
    # SQLite's lower() folds only ASCII, which case-insensitive uniqueness needs.
    Regexp(r"\A[\x21-\x7e]+\Z", message=_l("Please use an email address written in plain ASCII characters.")),
    email_address(),
]

# Which field a unique-index violation belongs to, by the index's name (it
# appears in the error text on both SQLite and PostgreSQL).
_UNIQUE_INDEXES = {
    "ix_user_username_lower": ("username", USERNAME_TAKEN),
    "ix_user_email_lower": ("email", EMAIL_TAKEN),
}


class DuplicateAccount(Exception):
    """A username or email collided with another account's at commit time."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_dummy_hashes: dict[str, str] = {}


def spend_a_password_check(password: str) -> None:
    """Check ``password`` against a throwaway hash of the configured method,
    so a login for an unknown user costs as long as a wrong password."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not a real password", method=method)
    check_password_hash(_dummy_hashes[method], password)


def username_taken(username: str, exclude_id: int | None = None) -> bool:
    query = User.by_username(username).with_only_columns(User.id)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return db.session.scalar(query) is not None


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    query = User.by_email(email).with_only_columns(User.id)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return db.session.scalar(query) is not None


def commit_account() -> None:
    """Commit the session. When two requests passed validation at once, the
    unique index rejects the later one: roll back and raise DuplicateAccount
    so the caller can show the same message the validator would have."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        text = str(exc.orig)
        for index, (field, message) in _UNIQUE_INDEXES.items():
            if index in text:
                raise DuplicateAccount(field, message) from exc
        raise


def register(username: str, email: str, password: str, about_me: str | None = None) -> User:
    """Create and save an account (web form or API alike, so both are
    counted); raises DuplicateAccount when the name or email is taken."""
    user = User(username=username, email=email, about_me=about_me)
    user.set_password(password)
    db.session.add(user)
    commit_account()
    REGISTRATIONS.inc()
    return user


def notify_email_changed(username: str, old_email: str, new_email: str) -> None:
    """Tell the old address of the change: if it was not its owner's doing
    (a stolen session or token), the owner learns of it."""
    admins = current_app.config.get("ADMINS") or []
    context = {"username": username, "old_email": old_email, "new_email": new_email,
               "contact": admins[0] if admins else None}
    send_email(
        _("[Microblog] Your email address was changed"),
        recipients=[old_email],
        text_body=render_template("email/email_changed.txt", **context),
        html_body=render_template("email/email_changed.html", **context),
    )

