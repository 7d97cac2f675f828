"""GET /user/<username>/feed.atom and /tag/<tag>/feed.atom: public, the 20
newest posts, answered 304 from one small query when nothing changed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
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
_BY_USER = sa.select(Post.id).where(Post.user_id == sa.bindparam("feed_user_id"))
_BY_TAG = (sa.select(Post.id).join(PostTag, PostTag.post_id == Post.id)
           .where(PostTag.tag_id == sa.bindparam("feed_tag_id")))
USER_FEED, TAG_FEED = PostList(_BY_USER, NEWEST), PostList(_BY_TAG, NEWEST)


def _fingerprint(ids: sa.Select, params: dict[str, int]) -> tuple[str, datetime | None]:
    """What changes when any post of the feed is written, edited or deleted:
    the count, the highest id and the latest change. One indexed query."""
    posts = ids.add_columns(sa.func.coalesce(Post.edited, Post.timestamp).label("changed")).subquery()
    count, newest, changed = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(posts.c.id), sa.func.max(posts.c.changed)), params).one()
    moment = datetime.fromisoformat(str(changed)) if changed is not None else None
    return f"{count}-{newest or 0}-{moment.timestamp() if moment else 0}", moment


def _content(post: Listed, base: str) -> str:
    """The post as HTML with absolute links (a reader shows it on another
    site), as a plain string: the template escapes it once more, as Atom's
    type="html" content wants."""
    return str(body_markup(post.body, post.body_html, base))


def _feed(feed: PostList, ids: sa.Select, params: dict[str, int], title: str, html_endpoint: str,
          self_endpoint: str, **values: str) -> Response:
    etag, changed = _fingerprint(ids, params)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        return response
    base = link_base() or request.host_url.rstrip("/")
    posts = feed.first(ENTRIES, 0, **params)
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
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


@bp.route("/user/<username>/feed.atom")
def user_feed(username: str) -> Response:
    user = db.session.scalar(User.by_username(username))
    if user is None:
        abort(404)
    return _feed(USER_FEED, _BY_USER, {"feed_user_id": user.id}, f"{user.username} on Microblog", "main.user",
                 "feeds.user_feed", username=user.username)


@bp.route("/tag/<tag>/feed.atom")
def tag_feed(tag: str) -> Response:
    name = tag.lower()
    tag_id = db.session.scalar(sa.select(Tag.id).where(Tag.name == name))
    return _feed(TAG_FEED, _BY_TAG, {"feed_tag_id": tag_id or 0}, f"#{name} on Microblog", "tags.tag",
                 "feeds.tag_feed", tag=name)
