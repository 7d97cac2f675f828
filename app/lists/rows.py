"""What a page shows of each post or message, computed in one pass in Python.

A template calling four helpers per post (author link, avatar, two date
formats) paid Jinja's call overhead a hundred times a page; a list of plain
rows costs a fraction of that.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import quote

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, request
from markupsafe import Markup

from app.avatars import avatar_url
from app.models import Message, Post, PostLike, User, utcnow

# A post list needs only these of each author: not the password hash, the
# token or the about-me text of 25 users per page.
POST_LIST = so.joinedload(Post.author, innerjoin=True).load_only(User.id, User.username, User.email)
# The "replying to @name" line: an outer join in the same statement.
_REPLY_TO = so.joinedload(Post.reply_to_user).load_only(User.id, User.username)


def post_list(viewer_id: int) -> tuple[Any, ...]:
    """Options loading a list of posts as the pages show them: the author,
    whom each answers, and whether ``viewer_id`` likes it, all in the
    statement that loads the posts (a primary-key lookup per post for the
    like, not a query)."""
    liked = sa.exists().where(PostLike.user_id == viewer_id, PostLike.post_id == Post.id)
    return POST_LIST, _REPLY_TO, so.with_expression(Post.liked, liked)


class Row(NamedTuple):
    """One item of a list: who wrote it, when, and what."""

    author: str
    author_url: str
    avatar: str
    iso_time: str
    time: str
    body: str | Markup


class PostRow(NamedTuple):
    """A post in a list, with what the viewer can do with it."""

    id: int
    url: str
    author: str
    author_url: str
    avatar: str
    iso_time: str
    time: str
    body: str | Markup
    likes: int
    liked: bool
    reply_name: str | None  # the answered author, when the answered post is there
    reply_url: str | None
    reply_deleted: bool  # answers a post that has been deleted
    edited_iso: str | None
    edited_time: str | None
    mine: bool
    editable: bool


def _format(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _rows(items: list[tuple[User, datetime, str | Markup]]) -> list[Row]:
    # /user/<username> built by hand: usernames are URL-safe ASCII, and
    # url_for() per post was a tenth of a page's cost.
    user_prefix = f"{request.script_root}/user/"
    return [
        Row(
            author=author.username,
            author_url=user_prefix + quote(author.username),
            avatar=avatar_url(author),
            iso_time=timestamp.isoformat(),
            time=_format(timestamp),
            body=body,
        )
        for author, timestamp, body in items
    ]


def post_rows(posts: Sequence[Post], viewer_id: int, bodies: Sequence[Markup] | None = None) -> list[PostRow]:
    """Rows of ``posts`` as ``viewer_id`` sees them; ``bodies`` replaces their
    text (search results, already escaped and highlighted)."""
    root = request.script_root
    user_prefix, post_prefix = f"{root}/user/", f"{root}/post/"
    # Editable if posted after this moment (one subtraction per page, not per post).
    edit_after = utcnow() - timedelta(minutes=current_app.config["POST_EDIT_MINUTES"])
    rows = []
    for index, post in enumerate(posts):
        author, reply_to, edited = post.author, post.reply_to_user, post.edited
        mine = post.user_id == viewer_id
        rows.append(PostRow(
            id=post.id,
            url=f"{post_prefix}{post.id}",
            author=author.username,
            author_url=user_prefix + quote(author.username),
            avatar=avatar_url(author),
            iso_time=post.timestamp.isoformat(),
            time=_format(post.timestamp),
            body=post.body if bodies is None else bodies[index],
            likes=post.like_count,
            liked=bool(post.liked),
            reply_name=reply_to.username if reply_to is not None and post.in_reply_to_id is not None else None,
            reply_url=f"{post_prefix}{post.in_reply_to_id}" if post.in_reply_to_id is not None else None,
            reply_deleted=post.in_reply_to_id is None and post.reply_to_user_id is not None,
            edited_iso=edited.isoformat() if edited is not None else None,
            edited_time=_format(edited) if edited is not None else None,
            mine=mine,
            editable=mine and post.timestamp > edit_after,
        ))
    return rows


def message_rows(messages: list[Message]) -> list[Row]:
    return _rows([(message.sender, message.timestamp, message.body) for message in messages])
