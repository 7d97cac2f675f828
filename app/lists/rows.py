"""What a page shows of each post or message, computed in one pass in Python.

A template calling four helpers per post (author link, avatar, two date
formats) paid Jinja's call overhead a hundred times a page; a list of plain
rows costs a fraction of that.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import NamedTuple
from urllib.parse import quote

from flask import current_app, request
from markupsafe import Markup, escape

from app.avatars import avatar_path
from app.csrf_token import csrf_token
from app.i18n import dates
from app.lists import post_html as html
from app.lists.posts import Listed
from app.models import Message, utcnow
from app.translate import enabled as translation_enabled


class PostRow(NamedTuple):
    """A post in a list: its id, its page, and the whole post as the lists
    show it (app/lists/post_html.py says why it is written in Python)."""

    id: int
    url: str
    html: Markup


def post_rows(posts: Sequence[Listed], viewer_id: int, bodies: Sequence[Markup] | None = None) -> list[PostRow]:
    """Rows of ``posts`` as ``viewer_id`` sees them; ``bodies`` replaces their
    text (search results, already escaped and highlighted).

    What the posts of a page share is found once (proxies, config, the CSRF
    token, the words). Each post's article is kept across requests
    (app/lists/post_html.py's ``article()``, keyed by the whole post and the
    site); per post and page, only the page's own parts are put around it:
    the like form's hidden fields (this session's token, this page) and the
    viewer's Edit and Delete."""
    code = dates.language()
    words = html.labels()
    config = current_app.config
    # Into the page's language, when a provider is configured (one lookup a page, no SQL).
    site = html.Site(request.script_root, config["SECRET_KEY"], code, words,
                     code if translation_enabled() else None)
    # Where the like form and Delete come back to: this page, when it can be
    # fetched again. A form shown again after a POST (a reply with an error)
    # has a POST-only address: then nowhere, and they take their defaults.
    back = ""
    if request.method == "GET":
        back = request.full_path if request.query_string else request.path
    part = html.PagePart(
        viewer_id=viewer_id,
        # Editable if posted after this moment (one subtraction a page, not per post).
        edit_after=utcnow() - timedelta(minutes=config["POST_EDIT_MINUTES"]),
        hidden=html.hidden_fields(csrf_token(), back), delete_next=quote(back, safe="/"),
    )
    rows = []
    for index, post in enumerate(posts):
        kept = html.article(post, site)
        # Search's highlighted bodies are that query's own: written into the
        # kept article, never kept themselves.
        body = kept.body if bodies is None else escape(bodies[index])
        rows.append(PostRow(post.id, kept.url, Markup(
            f"{kept.top}{body}{kept.bottom}{part.hidden}{kept.tail}"
            f"{html.owner_actions(post, kept.url, part, words)}{html.ARTICLE_END}")))
    return rows


def message_rows(messages: list[Message]) -> list[Markup]:
    """Each message of an inbox page as HTML, written here as the posts are
    (app/lists/post_html.py says why): the template's row, with its two
    ``set`` blocks and a translated sentence per message, cost more than the
    page's SQL. Only the sender's name and the body are user text, escaped
    here; the addresses are URL-quoted names and the app's own digests."""
    root = str(escape(request.script_root))
    user_prefix = f"{root}/user/"
    secret = current_app.config["SECRET_KEY"]
    code = dates.language()
    said = html.labels().said
    rows = []
    for message in messages:
        sender = message.sender
        profile_url = user_prefix + quote(sender.username)
        author = f'<a class="user-popup" href="{profile_url}">{escape(sender.username)}</a>'
        time = f'<time datetime="{message.timestamp.isoformat()}">{dates.when(message.timestamp, code)}</time>'
        rows.append(Markup(
            '<div class="d-flex gap-3 py-2 border-bottom post">'
            f'<a href="{profile_url}"><img class="avatar" src="{avatar_path(root, secret, sender.email or "")}"'
            ' width="36" height="36" alt=""></a><div class="flex-grow-1">'
            f'<div class="small text-body-secondary">{said % {"author": author, "time": time}}</div>'
            f'<div class="post-body">{escape(message.body)}</div></div></div>\n'))
    return rows
