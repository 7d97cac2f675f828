"""Posts."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.users import User


class Post(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    body: so.Mapped[str] = so.mapped_column(sa.String(140))
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True, default=utcnow)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # Every page that shows a post shows its author: load both in one statement.
    author: so.Mapped[User] = so.relationship(back_populates="posts", lazy="joined", innerjoin=True)

    # Serves profile pages and the feed (posts of a few users, newest first).
    __table_args__ = (sa.Index("ix_post_user_id_timestamp", "user_id", "timestamp"),)

    def __repr__(self) -> str:
        return f"<Post {self.body}>"

