"""The pages of one post, /post/<id>, and its actions: reply, edit, delete, like."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth.redirects import safe_next
from app.errors import AuthorizationError
from app.errors.render import wants_json
from app.form_html import form_html
from app.forms import EmptyForm
from app.i18n.gettext import gettext as _
from app.lists import page_number, paginate, post_rows
from app.models import Post
from app.posts import likes, queries, service
from app.posts.forms import EditPostForm, PostForm, ReplyForm

bp = Blueprint("posts", __name__)


def _own_post(id: int, not_yours: str) -> Post:
    post = service.find(id)
    if post is None:
        abort(404)
    if post.user_id != current_user.id:
        raise AuthorizationError(not_yours)
    return post


def _thread_page(id: int, form: ReplyForm | None) -> str:
    """The post, the posts it answers, the reply form (``form`` sent back
    with its errors, or a blank one) and a page of replies: the chain in one
    statement, the replies in another."""
    chain = queries.chain(id, current_user.id)
    if not chain:
        abort(404)
    page = page_number()
    replies = queries.REPLIES.page(page, current_user.id, replies_to=id)
    rows = post_rows(chain, current_user.id)
    earlier = chain[0].in_reply_to_id  # set only when the chain was cut at MAX_ANCESTORS
    return render_template(
        "posts/thread.html", title=_("Post by %(username)s", username=chain[-1].author.username), post=rows[-1],
        ancestors=rows[:-1],
        earlier_url=url_for("posts.thread", id=earlier) if earlier is not None else None,
        reply_form=form_html(form or ReplyForm, action=url_for("posts.reply", id=id), fields=("post",), rows=2),
        posts=replies, reply_rows=post_rows(replies.items, current_user.id), endpoint="posts.thread",
        pager_args={"id": id},
    )


@bp.route("/post/<int:id>")
@login_required
def thread(id: int) -> str:
    """A post, the thread above it, and its direct replies."""
    return _thread_page(id, None)


@bp.route("/post/<int:id>/reply", methods=["POST"])
@login_required
def reply(id: int) -> str | Response | tuple[str, int]:
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(id, form)
    try:
        post = service.publish(current_user, form.post.data, in_reply_to=id)
    except service.ReplyTargetGone as gone:
        # Keep what they wrote: offer it as a new post instead.
        keep = PostForm(formdata=None, data={"post": form.post.data})
        return render_template("posts/reply_gone.html", title=_("Reply not posted"), message=gone.message,
                               form=keep), 404
    flash(_("Your reply is now live!"), "success")
    return redirect(url_for("posts.thread", id=post.id))


@bp.route("/post/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id: int) -> str | Response:
    post = _own_post(id, service.NOT_YOURS_EDIT)
    service.check_editable(post, current_user)
    form = EditPostForm()
    if form.validate_on_submit():
        service.edit(post, current_user, form.post.data)
        flash(_("Your post has been updated."), "success")
        return redirect(url_for("posts.thread", id=id))
    if request.method == "GET":
        form.post.data = post.body
    return render_template("posts/edit.html", title=_("Edit post"), form=form, post=post,
                           deadline=service.edit_deadline(post))


@bp.route("/post/<int:id>/delete", methods=["GET", "POST"])
@login_required
def delete(id: int) -> str | Response:
    """GET asks for confirmation (a page, so it works without JavaScript); POST deletes."""
    post = _own_post(id, service.NOT_YOURS_DELETE)
    form = EmptyForm()
    if form.validate_on_submit():
        service.delete(post, current_user)
        flash(_("Your post has been deleted."), "success")
        own_page = url_for("posts.thread", id=id)
        target = safe_next(request.form.get("next"))
        if target is None or target.split("?")[0].startswith(own_page):  # that page is gone now
            target = url_for("main.user", username=current_user.username)
        return redirect(target)
    rows = post_rows(queries.one(id, current_user.id), current_user.id)
    return render_template("posts/delete.html", title=_("Delete post"), form=form, rows=rows,
                           next=safe_next(request.args.get("next")) or "")


def _like_action(id: int, liked: bool) -> Response:
    # CSRFProtect has checked the token before the view: no form to validate.
    state = likes.set_like(current_user, id, liked)
    if wants_json():
        return jsonify(liked=state.liked, likes=state.likes,
                       action=url_for("posts.unlike" if state.liked else "posts.like", id=id))
    return redirect(safe_next(request.form.get("next")) or url_for("posts.thread", id=id))


@bp.route("/post/<int:id>/like", methods=["POST"])
@login_required
def like(id: int) -> Response:
    return _like_action(id, liked=True)


@bp.route("/post/<int:id>/unlike", methods=["POST"])
@login_required
def unlike(id: int) -> Response:
    return _like_action(id, liked=False)


@bp.route("/post/<int:id>/likes")
@login_required
def liked_by(id: int) -> str:
    """Who liked a post, the latest first."""
    rows = post_rows(queries.one(id, current_user.id), current_user.id)
    if not rows:
        abort(404)
    page = page_number()
    people = paginate(queries.likers(id), page)
    return render_template("posts/likes.html", title=_("Likes"), rows=rows, people=people, posts=people,
                           endpoint="posts.liked_by", pager_args={"id": id})
