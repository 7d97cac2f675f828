"""What a page shows of each post or message, computed in one pass in Python.

A template calling four helpers per post (author link, avatar, two date
formats) paid Jinja's call overhead a hundred times a page; a list of plain
rows costs a fraction of that.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import quote

from flask import current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.avatars import avatar_url
from app.i18n import dates
from app.lists import post_html as html
from app.lists.posts import Listed
from app.models import Message, User, utcnow
from app.posts.render import body_markup
from app.translate import enabled as translation_enabled


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
    translate_to: str | None  # the page's language, when the post is in another known one and a provider is set
    html: Markup  # the whole post, as the lists show it (app/lists/post_html.py says why)


def _rows(items: list[tuple[User, datetime, str | Markup]]) -> list[Row]:
    # /user/<username> built by hand: usernames are URL-safe ASCII, and
    # url_for() per post was a tenth of a page's cost.
    user_prefix = f"{request.script_root}/user/"
    code = dates.language()
    return [
        Row(
            author=author.username,
            author_url=user_prefix + quote(author.username),
            avatar=avatar_url(author),
            iso_time=timestamp.isoformat(),
            time=dates.when(timestamp, code),
            body=body,
        )
        for author, timestamp, body in items
    ]


def post_rows(posts: Sequence[Listed], viewer_id: int, bodies: Sequence[Markup] | None = None) -> list[PostRow]:
    """Rows of ``posts`` as ``viewer_id`` sees them; ``bodies`` replaces their
    text (search results, already escaped and highlighted)."""
    script_root = request.script_root  # once: a proxy lookup per post adds up
    code = dates.language()
    root = str(escape(script_root))
    user_prefix, post_prefix = f"{root}/user/", f"{root}/post/"
    # Editable if posted after this moment (one subtraction per page, not per post).
    edit_after = utcnow() - timedelta(minutes=current_app.config["POST_EDIT_MINUTES"])
    # Where the like form and Delete come back to: this page, when it can be
    # fetched again. A form shown again after a POST (a reply with an error)
    # has a POST-only address: then nowhere, and they take their defaults.
    back = ""
    if request.method == "GET":
        back = request.full_path if request.query_string else request.path
    hidden, delete_next = html.hidden_fields(generate_csrf(), back), quote(back, safe="/")
    words = html.labels()
    # The Translate link: into the page's language, for a post known to be in
    # another one, when a provider is configured (one lookup a page, no SQL).
    translate_to = code if translation_enabled() else None
    rows = []
    for index, post in enumerate(posts):
        author, reply_to, edited = post.author, post.reply_to_user, post.edited
        mine = post.user_id == viewer_id
        url = f"{post_prefix}{post.id}"
        liked, editable = bool(post.liked), mine and post.timestamp > edit_after
        reply_name = reply_to.username if reply_to is not None and post.in_reply_to_id is not None else None
        reply_url = f"{post_prefix}{post.in_reply_to_id}" if post.in_reply_to_id is not None else None
        reply_deleted = post.in_reply_to_id is None and post.reply_to_user_id is not None
        edited_iso, edited_time = (edited.isoformat(), dates.when(edited, code)) if edited is not None else (None, None)
        row = PostRow(
            id=post.id, url=url, author=author.username, author_url=user_prefix + quote(author.username),
            avatar=avatar_url(author), iso_time=post.timestamp.isoformat(), time=dates.when(post.timestamp, code),
            body=body_markup(post.body, post.body_html, script_root) if bodies is None else bodies[index],
            likes=post.like_count, liked=liked,
            reply_name=reply_name, reply_url=reply_url, reply_deleted=reply_deleted, edited_iso=edited_iso,
            edited_time=edited_time, mine=mine, editable=editable,
            translate_to=translate_to if post.language and post.language != translate_to else None, html=Markup(""),
        )
        rows.append(row._replace(html=html.article(row, hidden, delete_next, words)))
    return rows


def message_rows(messages: list[Message]) -> list[Row]:
    return _rows([(message.sender, message.timestamp, message.body) for message in messages])
