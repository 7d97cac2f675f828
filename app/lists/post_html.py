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

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from markupsafe import Markup, escape

from app.i18n.gettext import gettext as _
from app.i18n.gettext import ngettext, translations
from app.lists.posts import Listed


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


class PagePart(NamedTuple):
    """What every post of one page shares: computed once a page, not per post."""

    post_prefix: str  # "<root>/post/", escaped
    viewer_id: int
    edit_after: datetime  # editable when posted after this
    hidden: str  # the like form's hidden fields (hidden_fields())
    delete_next: str  # this page, URL-quoted, for Delete's ?next=
    translate_to: str | None  # the page's language, when a provider is set
    words: Labels
    day: Callable[[datetime], str]  # a moment as the page's language writes it (dates.when)


class Author(NamedTuple):
    """The escaped pieces of one author, built once a page however many of
    their posts it shows."""

    link: str  # the name, linked to the profile (its popup: js/popups.js)
    avatar: str  # the avatar, linked to the profile


def author(username: str, profile_url: str, avatar_url: str) -> Author:
    # The name in a span of its own: its popup goes into the name's parent,
    # and Tab must reach it before the time's link.
    return Author(f'<span class="post-author"><a class="user-popup" href="{profile_url}">{escape(username)}</a></span>',
                  f'<a href="{profile_url}"><img class="avatar" src="{avatar_url}" width="36" height="36" alt=""></a>')


def _actions(post: Listed, url: str, part: PagePart) -> str:
    """Like/Unlike (a form: it works without JavaScript), the like count,
    Reply, Translate (js/translate.js; without JavaScript a plain link to the
    post's page), and Edit and Delete on your own posts."""
    words = part.words
    action, label, pressed = ("unlike", words.unlike, "true") if post.liked else ("like", words.like, "false")
    html = (
        '<div class="post-actions small d-flex gap-3 align-items-center">'
        f'<form class="like-form" method="post" action="{url}/{action}">{part.hidden}'
        f'<button type="submit" class="btn btn-link btn-sm p-0 like-button" aria-pressed="{pressed}">{label}</button>'
        f'</form><a class="like-count" href="{url}/likes">{words.likes(post.like_count)}</a>'
        f'<a class="reply-action" href="{url}#reply">{words.reply}</a>'
    )
    # The Translate link: into the page's language, for a post known to be in
    # another one (a code from LANGUAGES: nothing to escape).
    if part.translate_to is not None and post.language and post.language != part.translate_to:
        html += (f'<a class="translate-action" href="{url}" data-post-id="{post.id}" data-dest="{part.translate_to}">'
                 f'{words.translate}</a>')
    if post.user_id == part.viewer_id:
        if post.timestamp > part.edit_after:
            html += f'<a class="edit-action" href="{url}/edit">{words.edit}</a>'
        html += f'<a class="delete-action" href="{url}/delete?next={part.delete_next}">{words.delete}</a>'
    return html + "</div>"


def _reply_line(post: Listed, part: PagePart) -> str:
    if post.in_reply_to_id is not None:
        name = post.reply_to_user.username if post.reply_to_user is not None else ""
        text = part.words.replying_to % {"username": escape(name)}
        return f'<div class="small reply-line"><a href="{part.post_prefix}{post.in_reply_to_id}">{text}</a></div>'
    if post.reply_to_user_id is not None:  # it answered a post that has since been deleted
        return f'<div class="small reply-line text-body-secondary">{part.words.replying_to_deleted}</div>'
    return ""


def article(post: Listed, url: str, by: Author, body: str, part: PagePart) -> Markup:
    """The whole post: avatar, author, its time linking to its page, "edited",
    the reply line, the body (``body``: already HTML) and the actions."""
    words = part.words
    edited = ""
    if post.edited is not None:
        when = f'<time datetime="{post.edited.isoformat()}">{part.day(post.edited)}</time>'
        edited = f' · <span class="post-edited">{words.edited % {"time": when}}</span>'
    said = words.said % {
        "author": by.link,
        "time": f'<a class="post-link" href="{url}"><time datetime="{post.timestamp.isoformat()}">'
                f'{part.day(post.timestamp)}</time></a>',
    }
    return Markup(
        f'<article class="d-flex gap-3 py-2 border-bottom post" id="post-{post.id}">{by.avatar}'
        f'<div class="flex-grow-1"><div class="small text-body-secondary">{said}{edited}</div>'
        f'{_reply_line(post, part)}<div class="post-body">{body}</div>'
        f'{_actions(post, url, part)}'
        "</div></article>\n"
    )
