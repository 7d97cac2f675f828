"""A listed post as HTML, written here rather than in a template.

Measured on the feed: the post as template expressions was some 25 escapes
and yields per post, which with 25 posts cost more than the page's SQL; one
f-string per post costs a fraction of that. Only the author's name and the
body are user text, and they are escaped here; every other value is built
from integers, fixed text, URL-quoted names or the app's own digests.
app/templates/_post_rows.html prints these; keep the classes and ids in
step with js/likes.js, js/popups.js and the tests, which look for them.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote

from markupsafe import escape

from app.avatars import avatar_path
from app.i18n import dates
from app.i18n.gettext import gettext as _
from app.i18n.gettext import ngettext, translations
from app.lists.posts import Listed
from app.posts.render import body_markup


class Labels:
    """The words around a post, translated once per catalogue and process
    (``labels()``), not once per post or page: each is a whole sentence with
    %(...)s places for the HTML it wraps (never fragments glued together),
    escaped once here."""

    def __init__(self) -> None:
        # TRANSLATORS: the line above a post: "alice said May 3, 2026, 2:07 PM".
        self.said = str(escape(_("%(author)s said %(time)s")))
        self.edited = str(escape(_("edited %(time)s")))
        self.replying_to = str(escape(_("replying to @%(username)s")))
        self.replying_to_deleted = str(escape(_("replying to a deleted post")))
        self.like, self.unlike = str(escape(_("Like"))), str(escape(_("Unlike")))
        self.reply, self.edit, self.delete = str(escape(_("Reply"))), str(escape(_("Edit"))), str(escape(_("Delete")))
        self.translate = str(escape(_("Translate")))
        self._likes: dict[int, str] = {}

    def likes(self, count: int) -> str:
        """"1 like", "2 likes": each count translated once (the first thousand kept)."""
        text = self._likes.get(count)
        if text is None:
            text = str(escape(ngettext("%(num)d like", "%(num)d likes", count)))
            if len(self._likes) < LIKE_COUNTS_KEPT:
                self._likes[count] = text
        return text


LIKE_COUNTS_KEPT = 1000
# Per loaded catalogue; the catalogue is kept beside its Labels so that its id() is never reused.
_built: dict[int, tuple[object, Labels]] = {}


def labels() -> Labels:
    """The Labels of the request's language."""
    catalogue = translations()
    entry = _built.get(id(catalogue))
    if entry is None or entry[0] is not catalogue:
        entry = _built[id(catalogue)] = (catalogue, Labels())
    return entry[1]


def hidden_fields(csrf_token: str, back: str) -> str:
    """The like form's hidden inputs: the same for every post of a page."""
    return (f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
            f'<input type="hidden" name="next" value="{escape(back)}">')


class Site(NamedTuple):
    """How this request writes any post, whoever views it and on whichever
    page: the same for every request in one language under one root."""

    script_root: str  # as the request has it; escaped where it is written
    secret: str  # the avatars' key (app/avatars.py)
    language: str  # the page's language: its words and its dates
    words: Labels  # that language's Labels
    translate_to: str | None  # the page's language, when a translation provider is set


class PagePart(NamedTuple):
    """What is this viewer's and this page's own: computed once a page, not
    per post, and never part of a kept article (``article()``)."""

    viewer_id: int
    edit_after: datetime  # the viewer's own posts are editable when posted after this
    hidden: str  # the like form's hidden fields (hidden_fields()): this session's token, this page
    delete_next: str  # this page, URL-quoted, for Delete's ?next=


class Article(NamedTuple):
    """A listed post's HTML around the page's own parts: ``top``, ``body``,
    ``bottom``, then the like form's hidden fields, then ``tail``, then the
    viewer's Edit and Delete (``owner_actions()``), then ARTICLE_END. A
    search result writes its highlighted body in place of ``body``, instead
    of building the whole article."""

    url: str
    top: str
    body: str
    bottom: str
    tail: str


ARTICLE_END = "</div></div></article>\n"
# Articles kept per process (app/lists/rows.py): a few MB at this many.
ARTICLES_KEPT = 4096


def _author(username: str, profile_url: str, avatar_url: str) -> tuple[str, str]:
    # The name in a span of its own: its popup goes into the name's parent,
    # and Tab must reach it before the time's link.
    return (f'<span class="post-author"><a class="user-popup" href="{profile_url}">{escape(username)}</a></span>',
            f'<a href="{profile_url}"><img class="avatar" src="{avatar_url}" width="36" height="36" alt=""></a>')


def _reply_line(post: Listed, post_prefix: str, words: Labels) -> str:
    if post.in_reply_to_id is not None:
        name = post.reply_to_user.username if post.reply_to_user is not None else ""
        text = words.replying_to % {"username": escape(name)}
        return f'<div class="small reply-line"><a href="{post_prefix}{post.in_reply_to_id}">{text}</a></div>'
    if post.reply_to_user_id is not None:  # it answered a post that has since been deleted
        return f'<div class="small reply-line text-body-secondary">{words.replying_to_deleted}</div>'
    return ""


def build(post: Listed, site: Site, body: str) -> Article:
    """The post as ``site`` writes it, ``body`` (already HTML) as its text:
    avatar, author, its time linking to its page, "edited", the reply line,
    the body, Like or Unlike (a form: it works without JavaScript), the like
    count, Reply, and Translate (js/translate.js; without JavaScript a plain
    link to the post's page). Nothing here is the viewer's but whether they
    like it, which is part of ``post``."""
    words, language = site.words, site.language
    root = str(escape(site.script_root))
    post_prefix = f"{root}/post/"
    url = f"{post_prefix}{post.id}"
    profile_url = f"{root}/user/{quote(post.author.username)}"
    link, avatar = _author(post.author.username, profile_url,
                           avatar_path(root, site.secret, post.author.email or ""))
    edited = ""
    if post.edited is not None:
        when = f'<time datetime="{post.edited.isoformat()}">{dates.when(post.edited, language)}</time>'
        edited = f' · <span class="post-edited">{words.edited % {"time": when}}</span>'
    said = words.said % {
        "author": link,
        "time": f'<a class="post-link" href="{url}"><time datetime="{post.timestamp.isoformat()}">'
                f'{dates.when(post.timestamp, language)}</time></a>',
    }
    action, label, pressed = ("unlike", words.unlike, "true") if post.liked else ("like", words.like, "false")
    top = (
        f'<article class="d-flex gap-3 py-2 border-bottom post" id="post-{post.id}">{avatar}'
        f'<div class="flex-grow-1"><div class="small text-body-secondary">{said}{edited}</div>'
        f'{_reply_line(post, post_prefix, words)}<div class="post-body">'
    )
    bottom = ('</div><div class="post-actions small d-flex gap-3 align-items-center">'
              f'<form class="like-form" method="post" action="{url}/{action}">')
    tail = (
        f'<button type="submit" class="btn btn-link btn-sm p-0 like-button" aria-pressed="{pressed}">{label}</button>'
        f'</form><a class="like-count" href="{url}/likes">{words.likes(post.like_count)}</a>'
        f'<a class="reply-action" href="{url}#reply">{words.reply}</a>'
    )
    # Into the page's language, for a post known to be in another one (a
    # code from LANGUAGES: nothing to escape).
    if site.translate_to is not None and post.language and post.language != site.translate_to:
        tail += (f'<a class="translate-action" href="{url}" data-post-id="{post.id}" data-dest="{site.translate_to}">'
                 f'{words.translate}</a>')
    return Article(url, top, body, bottom, tail)


@lru_cache(maxsize=ARTICLES_KEPT)
def article(post: Listed, site: Site) -> Article:
    """``build()`` with the post's own body, kept: the key is every value the
    article is made of (the whole listed post, its like count and the
    viewer's like included, and the site), so a post that changes in any way
    is a new entry, and nothing of one viewer's page is in it. The feed's
    articles were a fifth of its cost, most of it the same posts again."""
    return build(post, site, escape(body_markup(post.body, post.body_html, site.script_root)))


def owner_actions(post: Listed, url: str, part: PagePart, words: Labels) -> str:
    """Edit (while the edit window is open) and Delete, on the viewer's own posts."""
    if post.user_id != part.viewer_id:
        return ""
    html = ""
    if post.timestamp > part.edit_after:
        html = f'<a class="edit-action" href="{url}/edit">{words.edit}</a>'
    return html + f'<a class="delete-action" href="{url}/delete?next={part.delete_next}">{words.delete}</a>'
