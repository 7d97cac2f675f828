"""GET /tag/<tag>: the posts with a tag, newest first."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.i18n.gettext import gettext as _
from app.lists import NEWEST, PostList, page_number, post_rows
from app.models import PostMention, PostTag, Tag

bp = Blueprint("tags", __name__)

# The tag's posts, newest first, read from the (tag_id, post_id) index in
# post id order (ids grow with time): a page of a tag on thousands of posts
# reads its 25 index entries, not every tagged post to sort them.
TAGGED = PostList(sa.select(PostTag.post_id.label("id")).join(Tag, Tag.id == PostTag.tag_id)
                  .where(Tag.name == sa.bindparam("tag_name")), NEWEST, page_order=(PostTag.post_id.desc(),))


@bp.route("/tag/<tag>")
@login_required
def tag(tag: str) -> str:
    """A tag's posts, in any letter case of the tag; an unknown tag is an empty list."""
    name = tag.lower()
    page = page_number()
    posts = TAGGED.page(page, current_user.id, tag_name=name)
    return render_template("tags/tag.html", title=f"#{name}", tag=name, posts=posts,
                           rows=post_rows(posts.items, current_user.id), endpoint="tags.tag",
                           pager_args={"tag": name})


# By the (user_id, post_id) primary key, newest (highest id) first.
MENTIONING = PostList(sa.select(PostMention.post_id.label("id"))
                      .where(PostMention.user_id == sa.bindparam("mentioned_id")),
                      NEWEST, page_order=(PostMention.post_id.desc(),))


@bp.route("/mentions")
@login_required
def mentions() -> str:
    """The posts that mention you, newest first."""
    page = page_number()
    posts = MENTIONING.page(page, current_user.id, mentioned_id=current_user.id)
    return render_template("tags/mentions.html", title=_("Mentions"), posts=posts,
                           rows=post_rows(posts.items, current_user.id), endpoint="tags.mentions")
