"""Running a search: posts matched by the database's own engine, and people
by name.

Ranking every match costs time in proportion to the matches, and a common
word matches a large share of all posts: at 200,000 posts, ranking all of
one such word's matches took 40 ms. So relevance is ranked among the newest
``SEARCH_RANK_WINDOW`` matches, which costs the same at any size, and older
matches follow, newest first. A word with fewer matches than the window (most
words) is ranked over all of them.

Relevance is how often the query matches a post against the post's length,
bm25's term-frequency part. FTS5's own bm25() also weighs each word by how
rare it is, which makes it read every match of the query on every search,
window or not: 4.4 ms for a phrase at 200,000 posts, against 0.75 ms for the
window alone. PostgreSQL's ts_rank() weighs no rarity either, so both
engines rank alike.

The statements are plain SQL, written once per engine: built with the
expression language they cost more Python per page than the search itself.
A page of results is one statement, two where it reaches past the window.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app, request
from markupsafe import Markup

from app.accounts import USERNAME_CHARACTERS
from app.extensions import db
from app.lists import Page, fetch, listing
from app.lists.posts import Listed
from app.models import Post
from app.search.highlight import CLOSE, OPEN, marked_html
from app.search.query import Term, fts5, tsquery

PEOPLE_SHOWN = 5
# Shorter text only matches the start of names: a trigram index cannot help.
MIN_CONTAINS_CHARS = 3


class Author(NamedTuple):
    id: int
    username: str
    email: str


class Hit(NamedTuple):
    """A matching post: its id and the engine's highlight. The page's posts
    themselves, with their likes, are read by ``as_listed``."""

    id: int
    marked: str  # the body with OPEN/CLOSE around each matched word
    older: int | None  # not None (in ranked rows) when matches older than the window exist


# SQLite: FTS5 matches and highlights. A subquery's "post_search" is its own
# FROM's table, not the outer one.
_SQLITE_FLOOR = ("(SELECT rowid FROM post_search WHERE post_search MATCH :q"
                 " ORDER BY rowid DESC LIMIT 1 OFFSET :window)")
_SQLITE_MARKED = "highlight(post_search, 0, :open, :close)"
# The window: the newest matches (one more, to learn whether older ones
# exist) with their highlights and timestamps, ranked in Python (``_ranked``).
# Ranked in the statement, with each row's counts in a MATERIALIZED CTE, the
# same ordering cost 0.15 ms more a search (0.94 against 1.08 ms for a
# phrase, 0.64 against 0.79 for a common word, in process at 20,000 posts).
# CROSS JOIN keeps the index the outer loop: it alone can stop at the limit.
SQLITE_WINDOW = sa.text(
    f"SELECT post_search.rowid, {_SQLITE_MARKED}, p.timestamp FROM post_search"
    " CROSS JOIN post p ON p.id = post_search.rowid WHERE post_search MATCH :q"
    " ORDER BY post_search.rowid DESC LIMIT :window_and_one")
SQLITE_OLDER = sa.text(
    f"SELECT rowid, {_SQLITE_MARKED}, NULL FROM post_search WHERE post_search MATCH :q"
    f" AND rowid <= coalesce({_SQLITE_FLOOR}, 0) ORDER BY rowid DESC LIMIT :limit OFFSET :offset")

# PostgreSQL: ts_rank() (normalised by length, larger is better) and
# ts_headline(), which the planner runs only for the rows returned. The
# window's posts are read once (MATERIALIZED), whole, and then ranked:
# written like SQLite's, the planner walked the newest posts three times
# (3 ms each for a phrase at 20,000 posts), and joining the window back to
# post chose a scan of the whole table.
_QUERY = "to_tsquery('microblog', :q)"
POSTGRES_RANKED = sa.text(
    "WITH newest AS MATERIALIZED (SELECT id, body, timestamp, search_vector FROM post"
    f" WHERE search_vector @@ {_QUERY} ORDER BY id DESC LIMIT :window_and_one)"
    f" SELECT r.id, ts_headline('microblog', r.body, {_QUERY}, :options), r.older"
    f" FROM (SELECT n.id, n.body, n.timestamp, ts_rank(n.search_vector, {_QUERY}, 1) AS rank,"
    "  CASE WHEN (SELECT count(*) FROM newest) > :window THEN 1 END AS older"
    "  FROM (SELECT * FROM newest ORDER BY id DESC LIMIT :window) AS n"
    "  ORDER BY rank DESC, n.timestamp DESC, n.id DESC LIMIT :limit OFFSET :offset) AS r"
    " ORDER BY r.rank DESC, r.timestamp DESC, r.id DESC")
_PG_FLOOR = f"(SELECT id FROM post WHERE search_vector @@ {_QUERY} ORDER BY id DESC LIMIT 1 OFFSET :window)"
POSTGRES_OLDER = sa.text(
    f"SELECT id, ts_headline('microblog', body, {_QUERY}, :options), NULL FROM post"
    f" WHERE search_vector @@ {_QUERY} AND id <= coalesce({_PG_FLOOR}, 0)"
    " ORDER BY id DESC LIMIT :limit OFFSET :offset")
_HEADLINE_OPTIONS = f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true"

# People: names starting with the text (the lower(username) index), then
# names containing it (the trigram index), oldest accounts first.
SQLITE_PEOPLE = sa.text(
    "SELECT id, username, email FROM ("
    " SELECT * FROM (SELECT id, username, email, 0 AS part, lower(username) AS name, 0 AS n FROM user"
    "  WHERE lower(username) >= :low AND lower(username) < :high ORDER BY lower(username) LIMIT :limit)"
    " UNION ALL"
    " SELECT * FROM (SELECT u.id, u.username, u.email, 1, '', u.id FROM user_search s JOIN user u ON u.id = s.rowid"
    "  WHERE s.user_search MATCH :phrase AND substr(lower(u.username), 1, :length) != :needle"
    "  ORDER BY u.id LIMIT :limit)"
    ") ORDER BY part, name, n LIMIT :limit")
SQLITE_PEOPLE_STARTING = sa.text(
    "SELECT id, username, email FROM user WHERE lower(username) >= :low AND lower(username) < :high"
    " ORDER BY lower(username) LIMIT :limit")
POSTGRES_PEOPLE = sa.text(
    'SELECT id, username, email FROM ('
    ' (SELECT id, username, email, 0 AS part, lower(username) AS name, 0 AS n FROM "user"'
    "  WHERE lower(username) LIKE :prefix ORDER BY lower(username) LIMIT :limit)"
    " UNION ALL"
    ' (SELECT id, username, email, 1, \'\', id FROM "user"'
    "  WHERE lower(username) LIKE :contains AND substr(lower(username), 1, :length) != :needle"
    "  ORDER BY id LIMIT :limit)"
    ") AS people ORDER BY part, name, n LIMIT :limit")


def _score(marked: str) -> float:
    """bm25's saturation (k1 = 1.2) and length normalisation (b = 0.75,
    average post 80 characters), without its rarity weight. Each match adds
    an OPEN and a CLOSE to the body, so the highlight alone gives both the
    matches and the body's length."""
    matches = marked.count(OPEN)
    length = len(marked) - 2 * matches
    return matches * 2.2 / (matches + 1.2 * (0.25 + 0.75 * length / 80.0))


def _ranked(rows: Sequence[Sequence[Any]], window: int, limit: int, offset: int) -> list[Hit]:
    """``limit`` hits from ``offset`` of the window's newest ``window`` rows
    (id, highlight, timestamp) by score, ties newest first by timestamp, then
    id; ``older`` is set when the rows hold one past the window."""
    older = 1 if len(rows) > window else None
    ranked = sorted(rows[:window], key=lambda row: (_score(row[1]), row[2], row[0]), reverse=True)
    return [Hit(id_, marked, older) for id_, marked, _ in ranked[offset:offset + limit]]


def _posts(ranked: bool, terms: list[Term], limit: int, offset: int) -> list[Hit]:
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        params: dict[str, object] = {"q": fts5(terms), "open": OPEN, "close": CLOSE}
    else:
        params = {"q": tsquery(terms), "options": _HEADLINE_OPTIONS}
    window = current_app.config["SEARCH_RANK_WINDOW"]
    params.update(window=window, window_and_one=window + 1, limit=limit, offset=offset)
    if sqlite and ranked:
        return _ranked(db.session.execute(SQLITE_WINDOW, params).all(), window, limit, offset)
    statement = POSTGRES_RANKED if ranked else SQLITE_OLDER if sqlite else POSTGRES_OLDER
    return [Hit(*row) for row in db.session.execute(statement, params)]


def search_posts(terms: list[Term], page: int, per_page: int | None = None) -> Page[Hit]:
    """One page of the posts matching every term: the newest
    ``SEARCH_RANK_WINDOW`` matches by relevance (ties newest first), then the
    older ones newest first."""
    per_page = per_page or current_app.config["POSTS_PER_PAGE"]
    window = current_app.config["SEARCH_RANK_WINDOW"]
    offset, wanted = (page - 1) * per_page, per_page + 1
    hits: list[Hit] = []
    if offset < window:
        hits = _posts(True, terms, wanted, offset)
        # A short page ends the results unless older matches exist; with no
        # row at all the window was not full (it holds more than `offset`).
        if len(hits) == wanted or not hits or hits[0].older is None:
            return _page(hits, page, per_page)
    hits += _posts(False, terms, wanted - len(hits), max(0, offset - window))
    return _page(hits, page, per_page)


_BY_IDS = listing(sa.select(Post).where(Post.id.in_(sa.bindparam("listed_ids", expanding=True))))


def as_listed(hits: list[Hit], viewer_id: int) -> tuple[list[Listed], list[Markup]]:
    """The hits as the post lists show them (likes, replies, edits), for
    ``post_rows``: one statement for the page, by primary key. A post deleted
    since the search ran is left out."""
    if not hits:
        return [], []
    posts = {post.id: post for post in fetch(_BY_IDS, viewer_id, listed_ids=[hit.id for hit in hits])}
    listed = [(posts[hit.id], hit.marked) for hit in hits if hit.id in posts]
    return [post for post, _ in listed], [
        marked_html(post.body, post.body_html, marked, request.script_root) for post, marked in listed]


def _page(hits: list[Hit], page: int, per_page: int) -> Page[Hit]:
    return Page(items=hits[:per_page], page=page, has_next=len(hits) > per_page)


def search_people(text: str, limit: int = PEOPLE_SHOWN) -> list[Author]:
    """Up to ``limit`` users whose name starts with ``text``, by name, then
    (for text of MIN_CONTAINS_CHARS or more) whose name contains it."""
    needle = text.strip().lower()
    if not USERNAME_CHARACTERS.match(needle):
        return []  # text no username could contain
    params: dict[str, object] = {"needle": needle, "length": len(needle), "limit": limit}
    if db.engine.dialect.name == "sqlite":
        # Every name starting with the needle sorts between these two.
        params.update(low=needle, high=needle[:-1] + chr(ord(needle[-1]) + 1), phrase=f'"{needle}"')
        statement = SQLITE_PEOPLE if len(needle) >= MIN_CONTAINS_CHARS else SQLITE_PEOPLE_STARTING
    else:
        escaped = needle.replace("_", "\\_")  # the one LIKE wildcard a username can hold
        contains = f"%{escaped}%" if len(needle) >= MIN_CONTAINS_CHARS else "\x01"  # "\x01": matches nobody
        params.update(prefix=f"{escaped}%", contains=contains)
        statement = POSTGRES_PEOPLE
    return [Author(*row) for row in db.session.execute(statement, params)]
