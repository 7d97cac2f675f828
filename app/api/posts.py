"""Posts through the API: the feed, one post and its replies, writing,
replying, editing, deleting and liking.

Every change goes through the same services as the pages (app/posts/), so
the rules (the edit window, who may delete), the notifications and the
metrics are the same for both clients.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask.wrappers import Response

from app.api.auth import token_auth, token_user
from app.api.pagination import paginate, paginated
from app.api.payload import PostFields, read_fields
from app.api.representations import post_dict, post_for, posts_page
from app.api.routes import bp
from app.errors import NotFoundError, ValidationError
from app.lists import OLDEST
from app.models import Post
from app.posts import likes, queries, service


@bp.route("/posts")
@token_auth.login_required
def get_feed() -> Response:
    """Your posts and those of the people you follow, newest first."""
    caller = token_user()
    feed = queries.FEED.for_bind()  # the same statement as the home page's

    def window(limit: int, offset: int) -> list[dict[str, Any]]:
        return [post_dict(post) for post in feed.window(limit, offset, caller.id, feed_user=caller.id)]
    return jsonify(paginated(queries.FEED_COUNT.params(feed_user=caller.id), window, "api.get_feed"))


@bp.route("/posts/<int:id>")
@token_auth.login_required
def get_post(id: int) -> Response:
    return jsonify(post_dict(post_for(token_user(), id)))


@bp.route("/posts/<int:id>/replies")
@token_auth.login_required
def get_replies(id: int) -> Response:
    """A post's direct replies, in the order they were written."""
    caller = token_user()
    post_for(caller, id)  # a 404 for a post that is not there, rather than an empty list
    return jsonify(paginate(queries.direct_replies(id), posts_page(caller, OLDEST), "api.get_replies", id=id))


@bp.route("/posts", methods=["POST"])
@token_auth.login_required
def create_post() -> tuple[Response, int, dict[str, str]]:
    """A new post; with ``in_reply_to``, a reply to that post."""
    data = read_fields(PostFields, required=("body",), optional=("in_reply_to",), ids=("in_reply_to",))
    caller = token_user()
    try:
        post = service.publish(caller, data["body"], in_reply_to=data.get("in_reply_to"))
    except service.ReplyTargetGone as gone:
        raise ValidationError(field="in_reply_to", message=gone.message) from None
    return jsonify(post_dict(post_for(caller, post.id))), 201, {"Location": url_for("api.get_post", id=post.id)}


def _existing(id: int) -> Post:
    post = service.find(id)
    if post is None:
        raise NotFoundError(f"There is no post with id {id}.")
    return post


@bp.route("/posts/<int:id>", methods=["PATCH"])
@token_auth.login_required
def edit_post(id: int) -> Response:
    """Change your post's body, within POST_EDIT_MINUTES of posting."""
    caller = token_user()
    post = _existing(id)
    service.check_editable(post, caller)  # a 403 before any complaint about the body
    data = read_fields(PostFields, required=("body",))
    service.edit(post, caller, data["body"])
    return jsonify(post_dict(post_for(caller, id)))


@bp.route("/posts/<int:id>", methods=["DELETE"])
@token_auth.login_required
def delete_post(id: int) -> Response:
    """Delete your post; replies to it stay, with ``in_reply_to`` null."""
    service.delete(_existing(id), token_user())
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no media type
    return response


@bp.route("/posts/<int:id>/like", methods=["POST"])
@token_auth.login_required
def like_post(id: int) -> Response:
    """Like a post; liking it again changes nothing."""
    likes.set_like(token_user(), id, True)
    return jsonify(post_dict(post_for(token_user(), id)))


@bp.route("/posts/<int:id>/like", methods=["DELETE"])
@token_auth.login_required
def unlike_post(id: int) -> Response:
    """Take your like back; unliking a post you do not like changes nothing."""
    likes.set_like(token_user(), id, False)
    return jsonify(post_dict(post_for(token_user(), id)))
