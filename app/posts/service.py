"""Writing, editing and deleting posts, the one way every client does it
(web form or API), so each is checked and counted alike."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.errors import AuthorizationError, NotFoundError
from app.extensions import db
from app.i18n.gettext import lazy_gettext as _l
from app.i18n.gettext import ngettext
from app.models import Post, User, utcnow
from app.models.base import MAX_ID
from app.notifications import notify
from app.observability.metrics import POST_ACTIONS, POSTS_CREATED
from app.posts import content

REPLY = "new_reply"  # the notification the answered author's pages pick up
NOT_YOURS_EDIT = _l("You can only edit your own posts.")
NOT_YOURS_DELETE = _l("You can only delete your own posts.")
GONE = _l("This post has been deleted.")
REPLY_TARGET_GONE = _l("The post you are replying to has been deleted, so your reply was not posted.")


class ReplyTargetGone(NotFoundError):
    """The answered post does not exist (any more)."""

    def __init__(self) -> None:
        super().__init__(REPLY_TARGET_GONE)


def find(post_id: int) -> Post | None:
    return db.session.get(Post, post_id) if post_id <= MAX_ID else None


def edit_minutes() -> int:
    return current_app.config["POST_EDIT_MINUTES"]


def edit_deadline(post: Post) -> datetime:
    return post.timestamp + timedelta(minutes=edit_minutes())


def editable(post: Post, user: User, now: datetime | None = None) -> bool:
    """Whether ``user`` may still change ``post``'s body."""
    return post.user_id == user.id and (now or utcnow()) < edit_deadline(post)


def too_late_message() -> str:
    minutes = edit_minutes()
    return ngettext("Posts can be edited for %(num)d minute after posting, and this one can no longer be.",
                    "Posts can be edited for %(num)d minutes after posting, and this one can no longer be.", minutes)


def publish(author: User, body: str, in_reply_to: int | None = None) -> Post:
    """Save a post (validated by the caller), answering ``in_reply_to`` when
    given, tell the answered author, and count it.

    Raises ReplyTargetGone when the answered post is not there, even when it
    is deleted between the lookup and the insert: the foreign key refuses
    the insert then, and nothing is half-written."""
    parent = None
    if in_reply_to is not None:
        parent = find(in_reply_to)
        if parent is None:
            raise ReplyTargetGone()
    post = Post(body=body, author=author)
    if parent is not None:
        post.in_reply_to_id, post.reply_to_user_id = parent.id, parent.user_id
    db.session.add(post)
    try:
        db.session.flush()
        content.apply(post, author, told=frozenset({parent.user_id}) if parent is not None else frozenset())
        if parent is not None and parent.user_id != author.id:
            # Ids, not URLs: this also runs outside any request (a script),
            # and the pages know their own root.
            notify(parent.user_id, REPLY, {"post_id": post.id, "in_reply_to": parent.id, "from": author.username})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if parent is None:
            raise
        raise ReplyTargetGone() from None
    POSTS_CREATED.inc()
    if parent is not None:
        POST_ACTIONS.labels("replied").inc()
    return post


def check_editable(post: Post, editor: User, now: datetime | None = None) -> None:
    """Raise the 403 that says why ``editor`` cannot edit ``post``, if they cannot."""
    if post.user_id != editor.id:
        raise AuthorizationError(NOT_YOURS_EDIT)
    if not editable(post, editor, now):
        raise AuthorizationError(too_late_message())


def edit(post: Post, editor: User, body: str) -> None:
    """Replace ``post``'s body (validated by the caller) and mark it edited.

    The checks are repeated in the UPDATE itself, so a post deleted or past
    its window a moment ago is refused, not overwritten or resurrected."""
    now = utcnow()
    check_editable(post, editor, now)
    cutoff = now - timedelta(minutes=edit_minutes())
    changed = db.session.execute(
        sa.update(Post).where(Post.id == post.id, Post.user_id == editor.id, Post.timestamp > cutoff)
        .values(body=body, edited=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if changed:
        db.session.refresh(post)
        content.apply(post, editor, new=False)  # the new text's links, tags and newly mentioned users
    db.session.commit()  # expires ``post``: its next read is the new row
    if not changed:
        raise NotFoundError(GONE)
    POST_ACTIONS.labels("edited").inc()


def delete(post: Post, user: User) -> None:
    """Delete ``post``: its likes go with it, its replies stay (answering a
    deleted post), and the search index forgets it (triggers on SQLite, a
    generated column on PostgreSQL)."""
    if post.user_id != user.id:
        raise AuthorizationError(NOT_YOURS_DELETE)
    deleted = db.session.execute(
        sa.delete(Post).where(Post.id == post.id, Post.user_id == user.id),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if post in db.session:  # the row is gone: reading the object would raise
        db.session.expunge(post)
    if deleted:
        POST_ACTIONS.labels("deleted").inc()
