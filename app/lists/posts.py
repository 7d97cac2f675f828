"""Loading posts as every list shows them: author, whom each answers, its
stored like count and whether the viewer likes it, in one statement, as
plain rows.

The statement's parts are built once, with the viewer as a bound
parameter: building an EXISTS or an alias per request cost more than running
it. A page is read in two steps inside that one statement: the page's ids
first, ordered and limited, from an index alone (no row of post is read to
choose them), then only those posts are joined to their authors and likes.
Joined first, SQLite and PostgreSQL did the joins and the like lookups for
every candidate row of a feed (hundreds) before sorting out 25.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.extensions import db
from app.lists.pagination import Page
from app.models import Post, PostLike, User

VIEWER = "list_viewer_id"
# Of each author a list needs only the name and the address (for the
# avatar): not the password hash, the token or the about-me text.
_AUTHOR = so.aliased(User, name="author")
_REPLIED = so.aliased(User, name="replied")  # the "replying to @name" line
_LIKED = sa.exists().where(PostLike.user_id == sa.bindparam(VIEWER), PostLike.post_id == Post.id)
_COLUMNS = (Post.id, Post.body, Post.body_html, Post.timestamp, Post.user_id, Post.edited, Post.in_reply_to_id,
            Post.reply_to_user_id, Post.like_count, _LIKED.label("liked"), _AUTHOR.username, _AUTHOR.email,
            _REPLIED.username, Post.language)


class Someone(NamedTuple):
    """What a list shows of a user (shaped like a User for avatar_url)."""

    id: int
    username: str
    email: str | None


class Listed(NamedTuple):
    """A post as the lists (and the API) show it: plain values, not an ORM
    object (building 25 posts and their users as objects cost more than the
    query)."""

    id: int
    body: str
    body_html: str | None  # None for a post written before rendering: shown escaped
    timestamp: datetime
    user_id: int
    edited: datetime | None
    in_reply_to_id: int | None
    reply_to_user_id: int | None
    like_count: int
    liked: bool
    author: Someone
    reply_to_user: Someone | None
    language: str  # ISO 639-1, "" when unknown: whether the Translate link shows


NEWEST = (Post.timestamp.desc(), Post.id.desc())
OLDEST = (Post.timestamp, Post.id)
LIMIT, OFFSET = "list_limit", "list_offset"


def listing(query: sa.Select) -> sa.Select:
    """``query`` (a select of Post, filtered, joined, ordered as wanted)
    selecting what a list shows. Build it once, at import, with bound
    parameters: building it per request cost more than running it."""
    return (query.with_only_columns(*_COLUMNS).join(_AUTHOR, _AUTHOR.id == Post.user_id)
            .outerjoin(_REPLIED, _REPLIED.id == Post.reply_to_user_id))


def fetch(statement: sa.Select, viewer_id: int, **params: Any) -> list[Listed]:
    """Run a ``listing()`` statement with its ``params``, as ``viewer_id`` sees the posts.

    Run on the session's connection, not through the session: the rows are
    plain values either way, and the ORM's execution layer around them cost
    more than building the 25 posts."""
    rows = db.session.connection().execute(statement, {VIEWER: viewer_id, **params})
    return [
        Listed(id, body, body_html, timestamp, user_id, edited, in_reply_to_id, reply_to_user_id, like_count, liked,
               Someone(user_id, author, email),
               Someone(reply_to_user_id, replied, None) if replied is not None else None, language)
        for (id, body, body_html, timestamp, user_id, edited, in_reply_to_id, reply_to_user_id, like_count, liked,
             author, email, replied, language) in rows
    ]


def load_page(query: sa.Select, order: Sequence[Any], viewer_id: int) -> list[Listed]:
    """The posts of ``query`` (a select of posts, limited to a page) in
    ``order``: ids first, then the posts (see the module's docstring). Built
    per call, for the API's queries, which are built per request anyway."""
    ids = query.order_by(None).order_by(*order).with_only_columns(Post.id).subquery("page")
    return fetch(listing(sa.select(Post).join(ids, ids.c.id == Post.id).order_by(*order)), viewer_id)


class PostList:
    """A list of posts the pages show (the feed, a profile, a thread's
    replies): which posts (``ids``, a select of Post.id with bound
    parameters) in which order, its page statement built once."""

    def __init__(self, ids: sa.Select, order: Sequence[Any], page_order: Sequence[Any] | None = None) -> None:
        """``page_order``: the order that chooses a page's ids, when an index
        gives it more cheaply than ``order`` does (a tag's posts by their
        post ids, which grow with time: no post row is read to sort them)."""
        page = (ids.order_by(*(page_order or order)).limit(sa.bindparam(LIMIT)).offset(sa.bindparam(OFFSET))
                .subquery("page"))
        self.statement = listing(sa.select(Post).join(page, page.c.id == Post.id).order_by(*order))

    def window(self, limit: int, offset: int, viewer_id: int, **params: Any) -> list[Listed]:
        """``limit`` posts after the first ``offset`` (the API's pages)."""
        return fetch(self.statement, viewer_id, **{LIMIT: limit, OFFSET: offset}, **params)

    def first(self, count: int, viewer_id: int, **params: Any) -> list[Listed]:
        """The first ``count`` posts (a feed's entries)."""
        return self.window(count, 0, viewer_id, **params)

    def page(self, page: int, viewer_id: int, **params: Any) -> Page[Listed]:
        """Page ``page``; one row past it tells whether another exists (no COUNT)."""
        per_page = current_app.config["POSTS_PER_PAGE"]
        rows = self.window(per_page + 1, (page - 1) * per_page, viewer_id, **params)
        return Page(items=rows[:per_page], page=page, has_next=len(rows) > per_page)


class ByDialect:
    """One list written for the database at hand: ``portable`` everywhere,
    unless ``variants`` (by dialect name) holds a form that database plans
    better. The choice is made per call, from the session's bind."""

    def __init__(self, portable: PostList, **variants: PostList) -> None:
        self.portable, self.variants = portable, variants

    def for_bind(self) -> PostList:
        return self.variants.get(db.session.get_bind().dialect.name, self.portable)

    def page(self, page: int, viewer_id: int, **params: Any) -> Page[Listed]:
        return self.for_bind().page(page, viewer_id, **params)
