"""Posts, and the likes people give them."""
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
    # The body as every page shows it (app/posts/render.py), written with the
    # body and again on every edit; None for a post older than rendering,
    # which pages show escaped.
    body_html: so.Mapped[str | None] = so.mapped_column(sa.Text)
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True, default=utcnow)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # When the body was last changed; None for a post never edited.
    edited: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The post this one answers. Deleting it leaves the reply, answering
    # nothing (SET NULL).
    in_reply_to_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("post.id", ondelete="SET NULL"))
    # Whom it answered, kept when the answered post goes: the reply then
    # still says it answered a deleted post, and lists show "replying to
    # @name" with one join on user instead of two.
    reply_to_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Kept in SQL by every like and unlike (app/posts/likes.py), so a page
    # of 25 posts reads 25 numbers instead of counting 25 times.
    like_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # The body's language as an ISO 639-1 code, detected when it is written
    # or edited (app/posts/language.py); "" when the detector is unsure or
    # the post is older than detection. Decides whether "Translate" shows.
    language: so.Mapped[str] = so.mapped_column(sa.String(5), default="", server_default="")

    # Every page that shows a post shows its author: load both in one statement.
    author: so.Mapped[User] = so.relationship(back_populates="posts", lazy="joined", innerjoin=True,
                                              foreign_keys=[user_id])

    __table_args__ = (
        # Serves profile pages and the feed (posts of a few users, newest first).
        sa.Index("ix_post_user_id_timestamp", "user_id", "timestamp"),
        # A thread's direct replies, oldest first; and SET NULL on delete.
        sa.Index("ix_post_in_reply_to_id_timestamp", "in_reply_to_id", "timestamp"),
        # SET NULL when an account goes.
        sa.Index("ix_post_reply_to_user_id", "reply_to_user_id"),
        # Never hand a deleted post's id to a new one (SQLite reuses the
        # highest rowid otherwise; PostgreSQL's sequence never does): its
        # /post/<id> links would show another post, and a reply racing the
        # deletion would answer the newcomer, foreign key and all.
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Post {self.body}>"


class PostTranslation(db.Model):
    """A post's body translated into one language, kept so that the second
    reader asking costs no call to the provider; deleted when the post is
    edited (app/posts/content.py, apply) or goes (the cascade); read and
    written by app/translate/service.py."""

    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5), primary_key=True)
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    provider: so.Mapped[str] = so.mapped_column(sa.String(40))
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class PostLike(db.Model):
    """One user's like of one post: the primary key makes it one at most."""

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # Who liked a post, newest first; and the cascade when it is deleted.
        sa.Index("ix_post_like_post_id_timestamp", "post_id", "timestamp"),
    )
