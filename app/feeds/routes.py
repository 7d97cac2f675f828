"""GET /user/<username>/feed.atom and /tag/<tag>/feed.atom: public, the 20
newest posts, answered 304 from one small query when nothing changed (the
If-None-Match of the ETag; Last-Modified is sent for readers to show)."""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.wrappers import Response

from app.extensions import db
from app.links import external_url, link_base
from app.lists import NEWEST, PostList
from app.lists.posts import Listed
from app.models import Post, PostTag, Tag, User
from app.posts.render import body_markup

bp = Blueprint("feeds", __name__)

ENTRIES = 20
ATOM = "application/atom+xml"


class Feed:
    """Which posts a feed holds (``ids``, a select of post ids with bound
    parameters, read in ``page_order`` from an index) and its two statements,
    built once: the entries, and their fingerprint for the ETag."""

    def __init__(self, ids: sa.Select, page_order: Sequence[Any]) -> None:
        self.entries = PostList(ids, NEWEST, page_order=page_order)
        newest = ids.order_by(*page_order).limit(ENTRIES).subquery("newest")
        self.fingerprint = sa.select(newest.c.id, Post.timestamp, Post.edited).join(Post, Post.id == newest.c.id)


# A user's posts by (user_id, timestamp); a tag's by (tag_id, post_id), ids
# growing with time.
USER_FEED = Feed(sa.select(Post.id).where(Post.user_id == sa.bindparam("feed_user_id")),
                 (Post.timestamp.desc(), Post.id.desc()))
TAG_FEED = Feed(sa.select(PostTag.post_id.label("id")).where(PostTag.tag_id == sa.bindparam("feed_tag_id")),
                (PostTag.post_id.desc(),))


def _fingerprint(feed: Feed, params: dict[str, int], heading: str) -> tuple[str, datetime | None]:
    """What changes when the feed would: its newest ENTRIES posts and when
    each last changed. A new post, an edit of a shown one, or a deletion
    (another post moves in) changes it; one indexed query of 20 rows, however
    many posts the user or tag has. ``heading``: the rest of what the feed
    shows (its title and base address)."""
    rows = db.session.execute(feed.fingerprint, params).all()
    shown = (f"{post_id}:{(edited or posted).isoformat()}" for post_id, posted, edited in sorted(rows))
    seen = "|".join([heading, *shown])
    changed = max(((edited or posted) for _, posted, edited in rows), default=None)
    return hashlib.blake2b(seen.encode(), digest_size=12).hexdigest(), changed


def _content(post: Listed, base: str) -> str:
    """The post as HTML with absolute links (a reader shows it on another
    site), as a plain string: the template escapes it once more, as Atom's
    type="html" content wants."""
    return str(body_markup(post.body, post.body_html, base))


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    return response


def _feed(feed: Feed, params: dict[str, int], title: str, html_endpoint: str, self_endpoint: str,
          **values: str) -> Response:
    base = link_base() or request.host_url.rstrip("/")
    etag, changed = _fingerprint(feed, params, f"{title}|{base}")
    CHECKED.put((request.path, base), etag)
    if request.if_none_match.contains_weak(etag):
        return _not_modified(etag)
    posts = feed.entries.first(ENTRIES, 0, **params)
    body = render_template(
        "feeds/atom.xml", title=title, entries=[(post, _content(post, base)) for post in posts], base=base,
        updated=(changed.isoformat() if changed else None),
        self_url=external_url(base, self_endpoint, **values), html_url=external_url(base, html_endpoint, **values),
        post_url=lambda post_id: external_url(base, "posts.thread", id=post_id),
        user_url=lambda name: external_url(base, "main.user", username=name),
    )
    response = Response(body, mimetype=ATOM)
    response.set_etag(etag, weak=True)
    if changed is not None:
        response.last_modified = changed
    # Shared caches may keep it only when its links cannot come from a
    # forged Host header: under PUBLIC_URL, or with the hosts checked.
    if current_app.config.get("PUBLIC_URL") or current_app.config.get("TRUSTED_HOSTS"):
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.cache_control.max_age = 60
    return response


class Checked:
    """The ETag each feed (by address and base) had when this worker last
    built it, kept FEED_CHECK_SECONDS: a reader polling with that ETag is
    answered 304 with no statement at all. Bounded: a flood of made-up
    addresses empties it rather than growing it."""

    MAX = 10_000

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: tuple[str, str], etag: str) -> None:
        seconds = current_app.config["FEED_CHECK_SECONDS"]
        if seconds <= 0:
            return
        with self._lock:
            if len(self._seen) >= self.MAX:
                self._seen.clear()
            self._seen[key] = (time.monotonic() + seconds, etag)

    def fresh(self, key: tuple[str, str]) -> str | None:
        """The ETag kept for ``key``, if it is still fresh."""
        kept = self._seen.get(key)
        if kept is None or kept[0] < time.monotonic():
            return None
        return kept[1]


CHECKED = Checked()


@bp.before_request
def answer_a_poll_from_memory() -> Response | None:
    """A poll sending the ETag this worker gave out moments ago: 304 at once."""
    if not request.if_none_match or not current_app.config["FEED_CHECK_SECONDS"]:
        return None
    etag = CHECKED.fresh((request.path, link_base() or request.host_url.rstrip("/")))
    if etag is not None and request.if_none_match.contains_weak(etag):
        return _not_modified(etag)
    return None


@bp.route("/user/<username>/feed.atom")
def user_feed(username: str) -> Response:
    user = User.named(username)
    if user is None:
        abort(404)
    return _feed(USER_FEED, {"feed_user_id": user.id}, f"{user.username} on Microblog", "main.user",
                 "feeds.user_feed", username=user.username)


@bp.route("/tag/<tag>/feed.atom")
def tag_feed(tag: str) -> Response:
    name = tag.lower()
    tag_id = db.session.scalar(sa.select(Tag.id).where(Tag.name == name))
    return _feed(TAG_FEED, {"feed_tag_id": tag_id or 0}, f"#{name} on Microblog", "tags.tag",
                 "feeds.tag_feed", tag=name)
