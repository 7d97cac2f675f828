"""What a page shows of each post or message, computed in one pass in Python.

A template calling four helpers per post (author link, avatar, two date
formats) paid Jinja's call overhead a hundred times a page; a list of plain
rows costs a fraction of that.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple
from urllib.parse import quote

import sqlalchemy.orm as so
from flask import request
from markupsafe import Markup

from app.avatars import avatar_url
from app.models import Message, Post, User

# A post list needs only these of each author: not the password hash, the
# token or the about-me text of 25 users per page.
POST_LIST = so.joinedload(Post.author, innerjoin=True).load_only(User.id, User.username, User.email)


class Row(NamedTuple):
    """One item of a list: who wrote it, when, and what."""

    author: str
    author_url: str
    avatar: str
    iso_time: str
    time: str
    body: str | Markup


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
            time=timestamp.strftime("%Y-%m-%d %H:%M UTC"),
            body=body,
        )
        for author, timestamp, body in items
    ]


def post_rows(posts: Sequence[Post], bodies: list[Markup] | None = None) -> list[Row]:
    """Rows of ``posts``; ``bodies`` replaces their text (search results,
    already escaped and highlighted)."""
    if bodies is None:
        return _rows([(post.author, post.timestamp, post.body) for post in posts])
    return _rows([(post.author, post.timestamp, body) for post, body in zip(posts, bodies, strict=True)])


def message_rows(messages: list[Message]) -> list[Row]:
    return _rows([(message.sender, message.timestamp, message.body) for message in messages])
