"""What the post pages read: the feed, a thread's chain, its replies, who liked a post."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.lists import LIMIT, NEWEST, OFFSET, OLDEST, ByDialect, PostList, fetch, listing
from app.lists.posts import Listed
from app.models import Post, PostLike, User, followers
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
# The feed: your posts and those of the people you follow, newest first (the
# home page and the API). PostgreSQL plans the portable form as a walk down
# the timestamp index filtered by author, which grows with all of the
# site's posts: at 10x data, 5.9 ms a first page and 79 ms a page past the
# end. Its form takes each of the feed's users' newest posts, as many as the
# page reaches, from the (user_id, timestamp) index, then the page of those:
# 0.5 ms at both sizes. SQLite has no LATERAL, and already reads the
# portable form one author at a time. The feed's user is ``feed_user``.
_FOLLOWED = sa.select(followers.c.followed_id).where(followers.c.follower_id == sa.bindparam("feed_user"))
_FEED_USERS = sa.union(sa.select(sa.bindparam("feed_user", type_=sa.Integer).label("uid")),
                       _FOLLOWED).subquery("feed_users")
_NEWEST_EACH = (sa.select(Post.id, Post.timestamp).where(Post.user_id == _FEED_USERS.c.uid).order_by(*NEWEST)
                .limit(sa.bindparam(LIMIT) + sa.bindparam(OFFSET)).lateral("newest"))
FEED = ByDialect(
    PostList(sa.select(Post.id).where(sa.or_(Post.user_id == sa.bindparam("feed_user"),
                                             Post.user_id.in_(_FOLLOWED))), NEWEST),
    postgresql=PostList(sa.select(_NEWEST_EACH.c.id).select_from(_FEED_USERS).join(_NEWEST_EACH, sa.true()),
                        NEWEST, page_order=(_NEWEST_EACH.c.timestamp.desc(), _NEWEST_EACH.c.id.desc())),
)
# How many posts the feed has (the API's total). Counted through the feed's
# users, each an index-only range of the (user_id, timestamp) index: the
# portable form, counted, read the whole index on PostgreSQL (27 ms for a
# feed of 427 posts at 10x data, against 0.5 ms).
FEED_COUNT = sa.select(sa.func.count()).select_from(_FEED_USERS).join(Post, Post.user_id == _FEED_USERS.c.uid)
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
