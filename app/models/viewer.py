"""The logged-in user as a request sees them: the row's values, and the ORM
object only when the request changes something.

Loading the user as an ORM object cost more than the statement's own run:
on PostgreSQL 0.39 of /explore's 2.48 CPU ms, and the object was then only
read (its name, its language, its unread count). A ``Viewer`` holds the
row; the first time a request writes to the user, calls one of User's
methods, or hands the user to the ORM (``Post(author=current_user)``), it
builds the User from those values and puts it in the session as if loaded,
with no statement, and from then on reads and writes go to that object.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from app.extensions import db, login
from app.models.sessions import LoginSession, key_digest
from app.models.users import User, visit_due

_MAPPER = User.__mapper__
# What the row holds, in the order of _COLUMNS: every column of User, so the
# object built from it is whole and the ORM never reloads an attribute.
_KEYS: tuple[str, ...] = tuple(attr.key for attr in _MAPPER.column_attrs)
_COLUMNS = tuple(getattr(User, key) for key in _KEYS)
_OWN = frozenset(("_values", "_user", "session_key"))
_LOGGED_IN = (sa.select(*_COLUMNS).join(LoginSession, LoginSession.user_id == User.id)
              .where(User.id == sa.bindparam("uid"), LoginSession.key_hash == sa.bindparam("key_hash")))


class Viewer(UserMixin):
    """Shaped like a User for everything a request does with ``current_user``."""

    __slots__ = ("_values", "_user", "session_key")

    def __init__(self, row: Sequence[Any], session_key: str) -> None:
        object.__setattr__(self, "_values", dict(zip(_KEYS, row, strict=True)))
        object.__setattr__(self, "_user", None)
        object.__setattr__(self, "session_key", session_key)

    @property
    def known_id(self) -> int:
        """The id from the row: never a reload, even with the User expired
        after a failed commit (the logs and error emails read it then)."""
        return self._values["id"]

    def get_id(self) -> str:
        return f"{self._values['id']}.{self.session_key}"

    def orm_user(self) -> User:
        """The User in this request's session: the one the session already
        holds (a page that loaded the same row), or one built from the row.
        A method, not a property: an AttributeError raised inside a property
        would send Python to __getattr__, which asks for it again."""
        user = self._user
        if user is None:
            user = db.session.identity_map.get(_MAPPER.identity_key_from_primary_key((self._values["id"],)))
            if user is None:
                user = _MAPPER.class_manager.new_instance()
                user.__dict__.update(self._values)
                so.make_transient_to_detached(user)  # persistent, unchanged: as if just loaded
                db.session.add(user)
            user.session_key = self.session_key
            object.__setattr__(self, "_user", user)
        return user

    def seen(self, interval_seconds: int = 60) -> bool:
        """User.seen, without building the User on the minute's other requests."""
        if self._user is None and not visit_due(self._values["last_seen"], interval_seconds):
            return False
        return self.orm_user().seen(interval_seconds)

    def __getattr__(self, name: str) -> Any:
        # Called only for what the Viewer itself lacks: a column's value
        # until the User exists, and anything else of the User's.
        if self._user is None and name in self._values:
            return self._values[name]
        return getattr(self.orm_user(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.orm_user(), name, value)  # tracked by the ORM, written at the commit

    def __repr__(self) -> str:
        return f"<Viewer {self._values['username']}>"


@login.user_loader
def load_user(user_id: str) -> Viewer | None:
    """The user a session or remember-me cookie names, if that login still
    stands: one statement, the user joined to their login's row. Run on the
    session's connection: the row is plain values (see the module's docstring)."""
    number, _, key = user_id.partition(".")
    try:
        uid = int(number)
    except ValueError:
        return None
    if not key or uid > 2**31 - 1:
        return None
    row = db.session.connection().execute(_LOGGED_IN, {"uid": uid, "key_hash": key_digest(key)}).first()
    return Viewer(row, key) if row is not None else None
