"""GET /search: posts by relevance, and people by name."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required

from app.i18n.gettext import gettext as _
from app.lists import Page, page_number, post_rows
from app.search.engine import Hit, as_listed, search_people, search_posts
from app.search.query import MAX_QUERY_CHARS, clean, parse, people_text
from app.security import nul_separates

bp = Blueprint("search", __name__)


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    # The navbar's box on every page: a global costs nothing per request.
    state.app.jinja_env.globals["SEARCH_MAX_CHARS"] = MAX_QUERY_CHARS


@bp.route("/search")
@nul_separates("q")
@login_required
def search() -> str:
    text = clean(request.args.get("q", ""))
    terms = parse(text)
    page = page_number()
    hits: Page[Hit] = Page(items=[], page=page, has_next=False)
    if terms:
        hits = search_posts(terms, page)
    # People are listed above the first page only.
    people = search_people(people_text(text)) if page == 1 else []
    posts, bodies = as_listed(hits.items, current_user.id)
    rows = post_rows(posts, current_user.id, bodies)
    title = _("Search") if not text else _("Search: %(query)s", query=text)
    return render_template("search/search.html", title=title, q=text, terms=terms, people=people, posts=hits,
                           rows=rows, endpoint="search.search", pager_args={"q": text})
