"""Hashtags (a tag per distinct lower-cased name, and which posts carry
it) and mentions (which users a post names)."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class Tag(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Lower-cased at write time: /tag/<tag> matches in any letter case.
    name: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)


class PostTag(db.Model):
    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    tag_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (
        # A tag's page: its posts, newest first (ids grow with time).
        sa.Index("ix_post_tag_tag_id_post_id", "tag_id", "post_id"),
    )


class PostMention(db.Model):
    """``user_id`` is named in post ``post_id``: their Mentions list, newest first."""

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (
        # The cascade when a post is deleted.
        sa.Index("ix_post_mention_post_id", "post_id"),
    )
