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

from app.avatars import avatar_path, avatar_url
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
    """A post in a list: its id, its page, and the whole post as the lists
    show it (app/lists/post_html.py says why it is written in Python)."""

    id: int
    url: str
    html: Markup


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
    text (search results, already escaped and highlighted).

    Everything the posts of a page share is found once (proxies, config,
    the CSRF token, the words), and each author's pieces once however many
    of their posts the page shows: per post, only its own values are
    formatted."""
    script_root = request.script_root
    root = str(escape(script_root))
    user_prefix = f"{root}/user/"
    code = dates.language()
    # Where the like form and Delete come back to: this page, when it can be
    # fetched again. A form shown again after a POST (a reply with an error)
    # has a POST-only address: then nowhere, and they take their defaults.
    back = ""
    if request.method == "GET":
        back = request.full_path if request.query_string else request.path
    part = html.PagePart(
        post_prefix=f"{root}/post/", viewer_id=viewer_id,
        # Editable if posted after this moment (one subtraction a page, not per post).
        edit_after=utcnow() - timedelta(minutes=current_app.config["POST_EDIT_MINUTES"]),
        hidden=html.hidden_fields(generate_csrf(), back), delete_next=quote(back, safe="/"),
        # Into the page's language, when a provider is configured (one lookup a page, no SQL).
        translate_to=code if translation_enabled() else None,
        words=html.labels(), day=lambda moment: dates.when(moment, code),
    )
    secret = current_app.config["SECRET_KEY"]
    authors: dict[int, html.Author] = {}
    rows = []
    for index, post in enumerate(posts):
        by = authors.get(post.user_id)
        if by is None:
            name = post.author.username
            by = authors[post.user_id] = html.author(
                name, user_prefix + quote(name), avatar_path(root, secret, post.author.email or ""))
        body = body_markup(post.body, post.body_html, script_root) if bodies is None else bodies[index]
        url = f"{part.post_prefix}{post.id}"
        rows.append(PostRow(post.id, url, html.article(post, url, by, escape(body), part)))
    return rows


def message_rows(messages: list[Message]) -> list[Row]:
    return _rows([(message.sender, message.timestamp, message.body) for message in messages])
