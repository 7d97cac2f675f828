"""GET /api/search: the same results as the page, in the API's shapes."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Post, User
from tests.conftest import make_user
from tests.support.sql import count_statements
from tests.test_api import assert_problem, bearer


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    return bearer(token)


@pytest.fixture
def posts(app, susan):
    other = make_user("susanne")
    db.session.add_all([Post(body="<b>Running</b> late", author=susan), Post(body="I run daily", author=other),
                        Post(body="walking", author=other)])
    db.session.commit()


def test_posts_and_people_in_the_api_shapes(client, headers, posts):
    data = client.get("/api/search?q=run", headers=headers).get_json()
    assert data["q"] == "run"
    items = data["posts"]["items"]
    assert sorted(item["body"] for item in items) == ["<b>Running</b> late", "I run daily"]
    for item in items:
        assert set(item) == {"id", "body", "body_html", "timestamp", "edited", "author", "in_reply_to", "reply_to",
                             "likes", "liked_by_me", "_links", "highlight"}
        assert item["_links"]["self"] == f"/api/posts/{item['id']}"
    by_body = {item["body"]: item["highlight"] for item in items}
    assert by_body["<b>Running</b> late"] == "&lt;b&gt;<mark>Running</mark>&lt;/b&gt; late"
    assert data["posts"]["_meta"] == {"page": 1, "per_page": 10}
    assert data["posts"]["_links"]["next"] is None and data["posts"]["_links"]["prev"] is None
    assert data["users"] == []


def test_people_come_with_their_counts(client, headers, posts):
    users = client.get("/api/search?q=susan", headers=headers).get_json()["users"]
    assert [u["username"] for u in users] == ["susan", "susanne"]
    assert users[0]["post_count"] == 1 and users[1]["post_count"] == 2
    assert users[0]["_links"]["self"] == f"/api/users/{users[0]['id']}"


def test_pages_link_onwards_without_counting(client, headers, posts):
    first = client.get("/api/search?q=run&per_page=1", headers=headers).get_json()
    assert len(first["posts"]["items"]) == 1
    second = client.get(first["posts"]["_links"]["next"], headers=headers).get_json()
    assert len(second["posts"]["items"]) == 1 and second["posts"]["_links"]["next"] is None
    assert second["posts"]["items"][0]["id"] != first["posts"]["items"][0]["id"]
    assert second["users"] == []  # people are on page 1 only


def test_five_statements(client, headers, posts):
    db.session.add(Post(body="susan was here", author=db.session.get(User, 1)))
    db.session.commit()
    with count_statements(db.engine) as statements:
        data = client.get("/api/search?q=susan", headers=headers).get_json()
    assert len(data["posts"]["items"]) == 1 and len(data["users"]) == 2
    # the token's user, the matches, those posts as the feed shows them, the people, their counts
    assert len(statements) == 5


@pytest.mark.parametrize(("query", "field"), [
    ("", "q"), ("?q=a&q=b", "q"), ("?q=a&page=0", "page"), ("?q=a&page=-1", "page"), ("?q=a&per_page=x", "per_page"),
])
def test_bad_arguments_are_400_naming_them(client, headers, query, field):
    response = client.get(f"/api/search{query}", headers=headers)
    assert_problem(response, 400)
    assert field in response.get_json()["errors"]


def test_a_query_without_words_is_an_empty_result(client, headers, posts):
    data = client.get("/api/search?q=%26%7C%21", headers=headers).get_json()
    assert data["posts"]["items"] == [] and data["users"] == []


def test_a_token_is_needed(client, posts):
    assert_problem(client.get("/api/search?q=run"), 401)
