"""Logins that a session or remember-me cookie can name.

Flask keeps the session in a signed cookie, so a copy saved before logging out
would stay valid for ever. Each login therefore gets a row here, named by a
random key that the cookie carries; logging out deletes the row. Only a
digest of the key is stored, so a copy of the database opens no session.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class LoginSession(db.Model):
    __tablename__ = "login_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
