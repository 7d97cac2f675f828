"""The top tags of the last day, for /explore: one grouped query, kept by
the app (in this process) for TOP_TAGS_SECONDS; a minute-old list is news
enough, and most explore views then cost no statement for it."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Post, PostTag, Tag, utcnow

TOP_TAGS = 10
TOP_TAGS_SECONDS = 60.0
_lock = threading.Lock()
_KEY = "top_tags"


def top_tags() -> list[tuple[str, int]]:
    """(tag, posts) for the most used tags of the last 24 hours, most used first."""
    now = time.monotonic()
    kept = current_app.extensions.get(_KEY)
    if kept is not None and now - kept[0] < TOP_TAGS_SECONDS:
        return kept[1]
    since = utcnow() - timedelta(days=1)
    used = sa.func.count().label("used")
    rows = db.session.execute(
        sa.select(Tag.name, used).join(PostTag, PostTag.tag_id == Tag.id).join(Post, Post.id == PostTag.post_id)
        .where(Post.timestamp > since).group_by(Tag.name).order_by(used.desc(), Tag.name).limit(TOP_TAGS)
    ).all()
    value = [(name, count) for name, count in rows]
    with _lock:
        current_app.extensions[_KEY] = (now, value)
    return value
