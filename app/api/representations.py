"""What the API shows of users, posts and messages. Never a password hash or
a token; a user's email only to that user."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import request, url_for

from app.avatars import avatar_url
from app.errors import NotFoundError
from app.extensions import db
from app.lists import load_page
from app.lists.posts import Listed
from app.models import Message, Post, User, followers
from app.models.base import MAX_ID
from app.posts import queries
from app.posts.render import body_markup

T = TypeVar("T")


class Counts(NamedTuple):
    posts: int
    followers: int
    following: int


def with_counts(query: sa.Select) -> sa.Select:
    """Add each user's post, follower and following counts to a select of users,
    as correlated subqueries: one statement for a whole page of users."""
    counted = followers.alias("counted")  # the outer query may join followers itself

    def count(subquery: sa.Select) -> sa.ScalarSelect:
        return subquery.with_only_columns(sa.func.count(), maintain_column_froms=True).correlate(User).scalar_subquery()

    return query.add_columns(
        count(sa.select(Post.id).where(Post.user_id == User.id)),
        count(sa.select(counted.c.follower_id).where(counted.c.followed_id == User.id)),
        count(sa.select(counted.c.followed_id).where(counted.c.follower_id == User.id)),
    )


def get_by_id(model: type[T], id: int) -> T | None:
    return db.session.get(model, id) if id <= MAX_ID else None


def user_with_counts(user_id: int) -> tuple[User, Counts]:
    row = None
    if user_id <= MAX_ID:
        row = db.session.execute(with_counts(sa.select(User).where(User.id == user_id))).first()
    if row is None:
        raise NotFoundError(f"There is no user with id {user_id}.")
    return row[0], Counts(*row[1:])


def users_page(caller: User) -> Callable[[sa.Select], list[dict[str, Any]]]:
    """A ``fetch`` for ``paginate``: a page of users with their counts."""
    def fetch(query: sa.Select) -> list[dict[str, Any]]:
        return [user_dict(row[0], Counts(*row[1:]), caller) for row in db.session.execute(with_counts(query))]
    return fetch


def posts_page(caller: User, order: Sequence[Any]) -> Callable[[sa.Select], list[dict[str, Any]]]:
    """A ``fetch`` for ``paginate``: a page of posts in ``order`` as ``caller``
    sees them. Authors, whom each answers and the caller's likes come in the
    same statement."""
    def fetch(query: sa.Select) -> list[dict[str, Any]]:
        return [post_dict(post) for post in load_page(query, order, caller.id)]
    return fetch


def post_for(caller: User, post_id: int) -> Listed:
    """One post as ``caller`` sees it (liked or not), or a 404."""
    posts = queries.one(post_id, caller.id)
    if not posts:
        raise NotFoundError(f"There is no post with id {post_id}.")
    return posts[0]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def user_dict(user: User, counts: Counts, caller: User | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "last_seen": _iso(user.last_seen),
        "about_me": user.about_me,
        "post_count": counts.posts,
        "follower_count": counts.followers,
        "following_count": counts.following,
        "_links": {
            "self": url_for("api.get_user", id=user.id),
            "followers": url_for("api.get_followers", id=user.id),
            "following": url_for("api.get_following", id=user.id),
            # The app's own identicon: a Gravatar URL would hand every token
            # holder an unsalted hash of each user's email.
            "avatar": avatar_url(user, external=True),
        },
    }
    if caller is not None and caller.id == user.id:
        data["email"] = user.email
    return data


def post_dict(post: Listed) -> dict[str, Any]:
    """A post loaded by ``app.lists`` (so ``liked`` is the caller's)."""
    reply_to = post.reply_to_user
    return {
        "id": post.id,
        "body": post.body,
        "body_html": str(body_markup(post.body, post.body_html, request.script_root)),
        "timestamp": _iso(post.timestamp),
        "edited": _iso(post.edited),
        "author": _someone(post.author),
        # Null for a post answering nobody, and for a reply whose post was deleted
        # (then ``reply_to`` still names whom it answered).
        "in_reply_to": post.in_reply_to_id,
        "reply_to": _someone(reply_to) if reply_to is not None else None,
        "likes": post.like_count,
        "liked_by_me": bool(post.liked),
        "_links": {
            "self": url_for("api.get_post", id=post.id),
            "author": url_for("api.get_user", id=post.author.id),
            "in_reply_to": url_for("api.get_post", id=post.in_reply_to_id) if post.in_reply_to_id else None,
            "replies": url_for("api.get_replies", id=post.id),
            "like": url_for("api.like_post", id=post.id),
        },
    }


def messages_page(query: sa.Select) -> list[dict[str, Any]]:
    """A ``fetch`` for ``paginate``: a page of messages. Senders come in the same
    statement, and only the columns shown (not their password hashes); the
    recipient of an inbox is the caller, already in the session, so it costs
    no statement either."""
    senders = so.joinedload(Message.sender, innerjoin=True).load_only(User.id, User.username)
    return [message_dict(message) for message in db.session.scalars(query.options(senders))]


def _someone(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username}


def message_dict(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "body": message.body,
        "timestamp": _iso(message.timestamp),
        "sender": _someone(message.sender),
        "recipient": _someone(message.recipient),
        "_links": {
            "self": url_for("api.get_message", id=message.id),
            "sender": url_for("api.get_user", id=message.sender_id),
            "recipient": url_for("api.get_user", id=message.recipient_id),
        },
    }
