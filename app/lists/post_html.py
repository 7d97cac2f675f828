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

from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from app.i18n.gettext import gettext as _
from app.i18n.gettext import ngettext, translations

if TYPE_CHECKING:
    from app.lists.rows import PostRow


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


def _actions(row: PostRow, hidden: str, delete_next: str, words: Labels) -> str:
    """Like/Unlike (a form: it works without JavaScript), the like count,
    Reply, Translate (js/translate.js; without JavaScript a plain link to the
    post's page), and Edit and Delete on your own posts."""
    url = row.url
    action, label, pressed = ("unlike", words.unlike, "true") if row.liked else ("like", words.like, "false")
    html = (
        '<div class="post-actions small d-flex gap-3 align-items-center">'
        f'<form class="like-form" method="post" action="{url}/{action}">{hidden}'
        f'<button type="submit" class="btn btn-link btn-sm p-0 like-button" aria-pressed="{pressed}">{label}</button>'
        f'</form><a class="like-count" href="{url}/likes">{words.likes(row.likes)}</a>'
        f'<a class="reply-action" href="{url}#reply">{words.reply}</a>'
    )
    if row.translate_to is not None:  # a code from LANGUAGES: nothing to escape
        html += (f'<a class="translate-action" href="{url}" data-post-id="{row.id}" data-dest="{row.translate_to}">'
                 f'{words.translate}</a>')
    if row.editable:
        html += f'<a class="edit-action" href="{url}/edit">{words.edit}</a>'
    if row.mine:
        html += f'<a class="delete-action" href="{url}/delete?next={delete_next}">{words.delete}</a>'
    return html + "</div>"


def _reply_line(row: PostRow, words: Labels) -> str:
    if row.reply_url is not None:
        text = words.replying_to % {"username": escape(row.reply_name)}
        return f'<div class="small reply-line"><a href="{row.reply_url}">{text}</a></div>'
    if row.reply_deleted:
        return f'<div class="small reply-line text-body-secondary">{words.replying_to_deleted}</div>'
    return ""


def article(row: PostRow, hidden: str, delete_next: str, words: Labels) -> Markup:
    """The whole post: avatar, author, its time linking to its page, "edited",
    the reply line, the body and the actions."""
    author, author_url = escape(row.author), row.author_url
    edited = ""
    if row.edited_iso is not None:
        when = f'<time datetime="{row.edited_iso}">{row.edited_time}</time>'
        edited = f' · <span class="post-edited">{words.edited % {"time": when}}</span>'
    # The name in a span of its own: its popup (js/popups.js) goes into the
    # name's parent, and Tab must reach it before the time's link.
    said = words.said % {
        "author": f'<span class="post-author"><a class="user-popup" href="{author_url}">{author}</a></span>',
        "time": f'<a class="post-link" href="{row.url}"><time datetime="{row.iso_time}">{row.time}</time></a>',
    }
    return Markup(
        f'<article class="d-flex gap-3 py-2 border-bottom post" id="post-{row.id}">'
        f'<a href="{author_url}"><img class="avatar" src="{row.avatar}" width="36" height="36" alt=""></a>'
        f'<div class="flex-grow-1"><div class="small text-body-secondary">{said}{edited}</div>'
        f'{_reply_line(row, words)}<div class="post-body">{escape(row.body)}</div>'
        f'{_actions(row, hidden, delete_next, words)}'
        "</div></article>\n"
    )
