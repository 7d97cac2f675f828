"""What the post pages read: a thread's chain, its replies, who liked a post."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.lists import OLDEST, PostList, fetch, listing
from app.lists.posts import Listed
from app.models import Post, PostLike, User
from app.models.base import MAX_ID

# A thread page shows at most this many of the posts a post answers; the
# oldest one shown links to the rest.
MAX_ANCESTORS = 50


def _chain_statement() -> sa.Select:
    """The chain's statement, built once at import (an alias of post costs
    more to build than the query takes to run); the post's id is the
    ``chain_start`` parameter."""
    start = (sa.select(Post.id.label("id"), Post.in_reply_to_id.label("parent"), sa.literal(0).label("depth"))
             .where(Post.id == sa.bindparam("chain_start")).cte("chain", recursive=True))
    parent = so.aliased(Post, name="parent")
    walk = start.union_all(
        sa.select(parent.id, parent.in_reply_to_id, start.c.depth + 1)
        .join(start, parent.id == start.c.parent)
        .where(start.c.depth < MAX_ANCESTORS)
    )
    return listing(sa.select(Post).join(walk, Post.id == walk.c.id).order_by(walk.c.depth.desc()))


_CHAIN = _chain_statement()
_ONE = listing(sa.select(Post).where(Post.id == sa.bindparam("one_id")))
# A thread's direct replies, in the order they were written (the pages).
REPLIES = PostList(sa.select(Post.id).where(Post.in_reply_to_id == sa.bindparam("replies_to")), OLDEST)


def chain(post_id: int, viewer_id: int) -> list[Listed]:
    """``post_id`` and the posts it answers, up to the root (or
    MAX_ANCESTORS), oldest first, in one statement: a recursive walk up
    ``in_reply_to_id``, each step a primary-key lookup. Empty when the post
    does not exist."""
    if post_id > MAX_ID:
        return []
    return fetch(_CHAIN, viewer_id, chain_start=post_id)


def one(post_id: int, viewer_id: int) -> list[Listed]:
    """``post_id`` as lists show it, in a list of one (empty when it does not exist)."""
    if post_id > MAX_ID:
        return []
    return fetch(_ONE, viewer_id, one_id=post_id)


def direct_replies(post_id: int) -> sa.Select[tuple[Post]]:
    """The replies to ``post_id`` in the order they were written (the API's, which counts them)."""
    return sa.select(Post).where(Post.in_reply_to_id == post_id).order_by(Post.timestamp, Post.id)


def likers(post_id: int) -> sa.Select[tuple[User]]:
    """Who liked ``post_id``, the latest first."""
    return (sa.select(User).join(PostLike, PostLike.user_id == User.id).where(PostLike.post_id == post_id)
            .order_by(PostLike.timestamp.desc(), User.id))
