"""Views for the feed, explore, profiles and following."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.accounts import DuplicateAccount, commit_account, notify_email_changed
from app.extensions import db
from app.form_html import form_html
from app.forms import EmptyForm
from app.i18n.gettext import gettext as _
from app.limits import password_checks
from app.lists import NEWEST, PostList, page_number, post_rows
from app.main.forms import EditProfileForm
from app.models import Post, User
from app.models.base import commit_keeping_loaded
from app.posts import content, publish
from app.posts.forms import PostForm
from app.posts.queries import FEED
from app.tags.top import top_tags

bp = Blueprint("main", __name__)

# The lists of these pages, newest first (see app/lists/posts.py); the
# feed's, shared with the API, is in app/posts/queries.py.
EXPLORE = PostList(sa.select(Post.id), NEWEST)
PROFILE = PostList(sa.select(Post.id).where(Post.user_id == sa.bindparam("profile_id")), NEWEST)

# Static files, probes and scrapes need no user: loading one would cost a query.
# Polled all day by every open tab: a poll must write nothing, last_seen included.
NO_WRITE_ENDPOINTS = {"notifications.poll"}
NO_USER_ENDPOINTS = {"static", "bootstrap.static", "avatars.identicon", "health.live", "health.ready",
                     "health.health", "metrics.metrics", "favicon"}


@bp.before_app_request
def record_last_seen() -> None:
    # Written at most once a minute per user, not on every request.
    # The API authenticates with tokens, not the session: reading the session
    # there would add "Vary: Cookie" to every answer.
    endpoint = request.endpoint
    if endpoint in NO_USER_ENDPOINTS or endpoint in NO_WRITE_ENDPOINTS or request.blueprint == "api":
        return
    if current_user.is_authenticated and current_user.seen():
        commit_keeping_loaded()  # the page goes on using current_user: no reload


@bp.route("/", methods=["GET", "POST"])
@bp.route("/index", methods=["GET", "POST"])
@login_required
def index() -> str | Response:
    form: PostForm | None = None  # a GET's is the kept blank one (see form_html)
    if request.method == "POST":
        form = PostForm()
        if form.validate_on_submit():
            publish(current_user, form.post.data)
            flash(_("Your post is now live!"), "success")
            return redirect(url_for("main.index"))
    page = page_number()
    posts = FEED.page(page, current_user.id, feed_user=current_user.id)
    return render_template("main/index.html", title=_("Home"),
                           post_form=form_html(form or PostForm, fields=("post",), rows=3), posts=posts,
                           rows=post_rows(posts.items, current_user.id),
                           endpoint="main.index")


@bp.route("/explore")
@login_required
def explore() -> str:
    page = page_number()
    posts = EXPLORE.page(page, current_user.id)
    return render_template("main/index.html", title=_("Explore"), posts=posts, top_tags=top_tags(),
                           rows=post_rows(posts.items, current_user.id), endpoint="main.explore")


@bp.route("/user/<username>")
@login_required
def user(username: str) -> str:
    profile, stats = User.profile(username, current_user.id) or abort(404)
    page = page_number()
    posts = PROFILE.page(page, current_user.id, profile_id=profile.id)
    return render_template(
        "main/user.html", user=profile, stats=stats, posts=posts, rows=post_rows(posts.items, current_user.id),
        endpoint="main.user"
    )


@bp.route("/user/<username>/popup")
@login_required
def user_popup(username: str) -> str:
    """The HTML fragment of a user popup: two statements (viewer, user with their counts)."""
    profile, stats = User.profile(username, current_user.id) or abort(404)
    return render_template("main/user_popup.html", user=profile, stats=stats)


@bp.route("/edit_profile", methods=["GET", "POST"])
@login_required
@password_checks
def edit_profile() -> str | Response:
    form = EditProfileForm(current_user)
    if form.validate_on_submit():
        old_email, old_username = current_user.email, current_user.username
        current_user.username = form.username.data
        current_user.email = form.email.data
        current_user.about_me = form.about_me.data
        if "language" in request.form:  # the field is there only when there is a choice
            current_user.language = form.language.data or None
        try:
            commit_account()
        except DuplicateAccount as dup:
            # Another request took the name or address after our validator ran.
            getattr(form, dup.field).errors.append(dup.message)
        else:
            if current_user.email.lower() != old_email.lower():
                notify_email_changed(current_user.username, old_email, current_user.email)
            if current_user.username != old_username:
                content.rename_mentions(current_user.id)
            flash(_("Your changes have been saved."), "success")
            return redirect(url_for("main.edit_profile"))
    elif request.method == "GET":
        form.username.data = current_user.username
        form.email.data = current_user.email
        form.about_me.data = current_user.about_me
        form.language.data = current_user.language or ""
    return render_template("main/edit_profile.html", title=_("Edit Profile"), form=form)


def _follow_action(username: str, follow: bool) -> Response:
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    target = User.named(username)
    if target is None:
        abort(404)
    if target.id == current_user.id:
        flash(_("You cannot follow or unfollow yourself."), "warning")
    else:
        (current_user.follow if follow else current_user.unfollow)(target)
        try:
            db.session.commit()
        except IntegrityError:
            # A double click raced us to the same row: the follow stands.
            db.session.rollback()
        if follow:
            flash(_("You are following %(username)s!", username=target.username), "success")
        else:
            flash(_("You are not following %(username)s.", username=target.username), "info")
    return redirect(url_for("main.user", username=target.username))


@bp.route("/follow/<username>", methods=["POST"])
@login_required
def follow(username: str) -> Response:
    return _follow_action(username, follow=True)


@bp.route("/unfollow/<username>", methods=["POST"])
@login_required
def unfollow(username: str) -> Response:
    return _follow_action(username, follow=False)
