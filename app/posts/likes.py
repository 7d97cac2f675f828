"""Liking and unliking a post, right under concurrency.

The like itself is a row keyed by (user, post), so the database allows one.
The post's ``like_count`` changes in SQL, by one, and only when the row was
really inserted or deleted: twenty double-clicks racing each other insert
one row and add one, and the count always equals the rows."""
from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.errors import NotFoundError
from app.extensions import db
from app.i18n.gettext import lazy_gettext as _l
from app.models import Post, PostLike, User, utcnow
from app.models.base import MAX_ID
from app.observability.metrics import POST_ACTIONS

NO_POST = _l("There is no post with id %(id)s: it may have been deleted.")
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class LikeState(NamedTuple):
    liked: bool
    likes: int


def _count(post_id: int) -> int | None:
    if post_id > MAX_ID:
        return None
    return db.session.scalar(sa.select(Post.like_count).where(Post.id == post_id))


def _insert_like(user_id: int, post_id: int) -> int:
    """1 when the like was inserted, 0 when it was already there."""
    insert = _INSERTS[db.engine.dialect.name](PostLike).values(user_id=user_id, post_id=post_id, timestamp=utcnow())
    # RETURNING, not rowcount: SQLAlchemy reports an INSERT's rowcount as -1
    # on psycopg, which would count as a change (and subtract one).
    inserted = db.session.execute(insert.on_conflict_do_nothing().returning(PostLike.post_id)).first()
    return 1 if inserted is not None else 0


def _delete_like(user_id: int, post_id: int) -> int:
    return db.session.execute(
        sa.delete(PostLike).where(PostLike.user_id == user_id, PostLike.post_id == post_id),
        execution_options={"synchronize_session": False},
    ).rowcount


def set_like(user: User, post_id: int, liked: bool) -> LikeState:
    """Make ``user`` like (or not) ``post_id``; liking twice is liking once."""
    count = _count(post_id)
    if count is None:
        raise NotFoundError(NO_POST % {"id": post_id})
    try:
        change = _insert_like(user.id, post_id) if liked else -_delete_like(user.id, post_id)
        if change:
            count = db.session.execute(
                sa.update(Post).where(Post.id == post_id).values(like_count=Post.like_count + change)
                .returning(Post.like_count),
                execution_options={"synchronize_session": False},
            ).scalar_one_or_none()
        db.session.commit()
    except IntegrityError:  # the post was deleted between the lookup and the insert
        db.session.rollback()
        raise NotFoundError(NO_POST % {"id": post_id}) from None
    if count is None:
        raise NotFoundError(NO_POST % {"id": post_id})
    if change:
        POST_ACTIONS.labels("liked" if liked else "unliked").inc()
    return LikeState(liked, count)
