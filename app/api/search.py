"""GET /api/search: the search page's results as JSON."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask.wrappers import Response

from app.api.auth import token_auth, token_user
from app.api.pagination import page_args
from app.api.representations import Counts, post_dict, user_dict, with_counts
from app.api.routes import bp
from app.errors import ValidationError
from app.extensions import db
from app.models import User
from app.search.engine import as_listed, search_people, search_posts
from app.search.query import clean, parse, people_text
from app.security import nul_separates

NO_QUERY = "Give q, the text to search for."


@bp.route("/search")
@nul_separates("q")
@token_auth.login_required
def search() -> Response:
    """Posts matching ``q`` by relevance (each with its ``highlight``), and on
    page 1 up to 5 people by name. Like the page, it counts no totals: at
    most the token's user, three for the posts (two searches, then the
    page's posts with their likes), and two for the people."""
    values = request.args.getlist("q")
    if len(values) != 1:
        raise ValidationError(NO_QUERY if not values else "Give q once.", field="q")
    page, per_page = page_args()
    text = clean(values[0])
    terms = parse(text)
    hits = search_posts(terms, page, per_page) if terms else None
    items = []
    posts, bodies = as_listed(hits.items if hits else [], token_user().id)
    for post, body in zip(posts, bodies, strict=True):
        item = post_dict(post)
        item["highlight"] = str(body)
        items.append(item)
    users = []
    people = search_people(people_text(text)) if page == 1 else []
    if people:
        caller = token_user()
        rows = db.session.execute(with_counts(sa.select(User).where(User.id.in_([p.id for p in people]))))
        found = {row[0].id: user_dict(row[0], Counts(*row[1:]), caller) for row in rows}
        users = [found[p.id] for p in people if p.id in found]

    def link(number: int) -> str:
        return url_for("api.search", q=text, page=number, per_page=per_page)

    has_next = bool(hits and hits.has_next)
    return jsonify({
        "q": text,
        "posts": {
            "items": items,
            "_meta": {"page": page, "per_page": per_page},
            "_links": {"self": link(page), "next": link(page + 1) if has_next else None,
                       "prev": link(page - 1) if page > 1 else None},
        },
        "users": users,
    })
