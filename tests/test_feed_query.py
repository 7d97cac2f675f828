"""The feed's query on PostgreSQL (FEED's postgresql form in app/posts/queries.py): each
followed user's newest posts through a LATERAL join. It must give exactly the
pages the portable form gives: the same posts, in the same order, ties on the
timestamp included, and nothing on a page past the end."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from app import db
from app.lists.posts import LIMIT, OFFSET, fetch
from app.models import Post, User, utcnow
from app.posts.queries import FEED
from tests.conftest import AuthActions, IsolatedClient, make_user
from tests.support.sql import count_statements


@pytest.fixture
def backend() -> str:
    return "postgresql"


def _people() -> tuple[int, int]:
    """susan follows john and mary, not david; every author writes posts,
    several of them in the same second, so only the id settles their order."""
    susan, john, mary, david = (make_user(name) for name in ("susan", "john", "mary", "david"))
    susan.follow(john)
    susan.follow(mary)
    start = utcnow() - timedelta(days=1)
    for n in range(40):
        for author in (susan, john, mary, david):
            db.session.add(Post(body=f"{author.username} {n}", author=author,
                                timestamp=start + timedelta(seconds=n // 3)))
    db.session.commit()
    return susan.id, david.id


@pytest.mark.parametrize("limit, offset", [(26, 0), (26, 25), (11, 100), (26, 110), (26, 120), (26, 500)])
def test_the_lateral_feed_gives_the_same_pages(app: Flask, limit: int, offset: int) -> None:
    susan, david = _people()
    pages = {}
    for user in (susan, david):
        params = {"feed_user": user, LIMIT: limit, OFFSET: offset}
        pages[user] = fetch(FEED.portable.statement, user, **params)
        assert fetch(FEED.variants["postgresql"].statement, user, **params) == pages[user]
    # susan's feed holds 3 x 40 posts, david's his own 40.
    assert len(pages[susan]) == max(0, min(limit, 120 - offset))
    assert {p.author.username for p in pages[susan]} <= {"susan", "john", "mary"}
    assert len(pages[david]) == max(0, min(limit, 40 - offset))


def test_the_home_page_on_postgresql_lists_the_feed_newest_first(app: Flask) -> None:
    _people()
    app.test_client_class = IsolatedClient
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    with count_statements(db.engine) as statements:
        page = client.get("/index").get_data(as_text=True)
    assert any("LATERAL" in statement for statement in statements), statements  # PostgreSQL's own form
    # The newest second holds post 39 of each author (seconds 0..13, three posts each).
    shown = [f"{name} {n}" for n in (39, 38, 37) for name in ("mary", "john", "susan")]
    positions = [page.index(f">{body}<") for body in shown if f">{body}<" in page]
    assert len(positions) == len(shown) and positions == sorted(positions)
    assert "david 39" not in page
    assert "?page=2" in page


def test_the_api_feed_on_postgresql_pages_through_the_lateral_form(app: Flask) -> None:
    susan, _david = _people()
    token = db.session.get(User, susan).get_token(3600)
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with count_statements(db.engine) as statements:
        first = client.get("/api/posts?per_page=50", headers=headers).get_json()
    assert any("LATERAL" in statement for statement in statements), statements
    assert first["_meta"] == {"page": 1, "per_page": 50, "total_pages": 3, "total_items": 120}
    assert [p["body"] for p in first["items"][:3]] == ["mary 39", "john 39", "susan 39"]
    last = client.get("/api/posts?per_page=50&page=3", headers=headers).get_json()
    assert len(last["items"]) == 20 and last["_links"]["next"] is None
    assert {p["body"] for p in first["items"]}.isdisjoint(p["body"] for p in last["items"])
    past = client.get("/api/posts?per_page=50&page=9", headers=headers).get_json()
    assert past["items"] == [] and past["_meta"]["total_items"] == 120
