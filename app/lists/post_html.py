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

if TYPE_CHECKING:
    from app.lists.rows import PostRow


def hidden_fields(csrf_token: str, back: str) -> str:
    """The like form's hidden inputs: the same for every post of a page."""
    return (f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
            f'<input type="hidden" name="next" value="{escape(back)}">')


def _actions(row: PostRow, hidden: str, delete_next: str) -> str:
    """Like/Unlike (a form: it works without JavaScript), the like count,
    Reply, and Edit and Delete on your own posts."""
    url, likes = row.url, row.likes
    action, label, pressed = ("unlike", "Unlike", "true") if row.liked else ("like", "Like", "false")
    html = (
        '<div class="post-actions small d-flex gap-3 align-items-center">'
        f'<form class="like-form" method="post" action="{url}/{action}">{hidden}'
        f'<button type="submit" class="btn btn-link btn-sm p-0 like-button" aria-pressed="{pressed}">{label}</button>'
        f'</form><a class="like-count" href="{url}/likes">{likes} like{"" if likes == 1 else "s"}</a>'
        f'<a class="reply-action" href="{url}#reply">Reply</a>'
    )
    if row.editable:
        html += f'<a class="edit-action" href="{url}/edit">Edit</a>'
    if row.mine:
        html += f'<a class="delete-action" href="{url}/delete?next={delete_next}">Delete</a>'
    return html + "</div>"


def _reply_line(row: PostRow) -> str:
    if row.reply_url is not None:
        link = f'<a href="{row.reply_url}">replying to @{escape(row.reply_name)}</a>'
        return f'<div class="small reply-line">{link}</div>'
    if row.reply_deleted:
        return '<div class="small reply-line text-body-secondary">replying to a deleted post</div>'
    return ""


def article(row: PostRow, hidden: str, delete_next: str) -> Markup:
    """The whole post: avatar, author, its time linking to its page, "edited",
    the reply line, the body and the actions."""
    author, author_url = escape(row.author), row.author_url
    edited = ""
    if row.edited_iso is not None:
        when = f'<time datetime="{row.edited_iso}">{row.edited_time}</time>'
        edited = f' · <span class="post-edited">edited {when}</span>'
    return Markup(
        f'<article class="d-flex gap-3 py-2 border-bottom post" id="post-{row.id}">'
        f'<a href="{author_url}"><img class="avatar" src="{row.avatar}" width="36" height="36" alt=""></a>'
        '<div class="flex-grow-1"><div class="small text-body-secondary">'
        # The name in a span of its own: its popup (js/popups.js) goes into the
        # name's parent, and Tab must reach it before the time's link.
        f'<span class="post-author"><a class="user-popup" href="{author_url}">{author}</a></span> said '
        f'<a class="post-link" href="{row.url}"><time datetime="{row.iso_time}">{row.time}</time></a>{edited}</div>'
        f'{_reply_line(row)}<div class="post-body">{escape(row.body)}</div>{_actions(row, hidden, delete_next)}'
        "</div></article>\n"
    )
