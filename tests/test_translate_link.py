"""The Translate link in the post lists, and the token the script sends:
shown only with a provider, for a post in a known language other than the
page's, in the reader's language, and costing no SQL statement."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.posts import publish
from tests.support.sql import count_statements
from tests.test_translate import JSON, foreign_post

LINK = re.compile(r'<a class="translate-action" href="[^"]*/post/(\d+)" data-post-id="(\d+)" data-dest="(\w+)">')


@pytest.fixture
def app_config():
    # The provider is never called here: only whether one is configured matters.
    return {"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": "http://127.0.0.1:9", "LANGUAGES": ["en", "es"]}


def links(client, path: str = "/explore") -> set[tuple[int, str]]:  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200
    found = LINK.findall(page.get_data(as_text=True))
    assert all(href == post_id for href, post_id, _ in found)  # without JavaScript: the post's own page
    return {(int(post_id), dest) for _, post_id, dest in found}


def test_only_for_a_known_other_language(client, logged_in, susan, john):
    spanish = foreign_post(john, "hola", "es")
    foreign_post(john, "no idea", "")
    foreign_post(john, "hello", "en")
    assert links(client) == {(spanish, "en")}
    assert links(client, f"/post/{spanish}") == {(spanish, "en")}  # the thread page uses the same rows
    assert links(client, f"/user/{john.username}") == {(spanish, "en")}


def test_in_the_readers_language(client, logged_in, susan, john):
    english = foreign_post(john, "hello", "en")
    foreign_post(john, "hola", "es")
    susan.language = "es"
    db.session.commit()
    assert links(client) == {(english, "es")}


def test_the_link_costs_no_statement(app, client, logged_in, susan, john):
    for n in range(5):
        foreign_post(john, f"hola {n}", "es")
    client.get("/explore")  # warm up
    with count_statements(db.engine) as plain:
        assert links(client) != set()
    app.extensions["translator"] = None
    with count_statements(db.engine) as without:
        assert links(client) == set()
    assert len(plain) == len(without)


class TestNoProvider:
    @pytest.fixture
    def app_config(self):
        return {"TRANSLATOR": "", "LANGUAGES": ["en", "es"]}

    def test_no_link(self, client, logged_in, john):
        spanish = foreign_post(john, "hola", "es")
        assert links(client) == set()
        assert links(client, f"/post/{spanish}") == set()


class TestCSRF:
    @pytest.fixture
    def app_config(self):
        return {"TRANSLATOR": "", "LANGUAGES": ["en", "es"], "WTF_CSRF_ENABLED": True}

    def test_the_script_sends_the_pages_token_in_a_header(self, client, susan):
        from tests.test_csrf import csrf_token

        token = csrf_token(client, "/auth/login")
        client.post("/auth/login", data={"username": "susan", "password": "correct horse", "csrf_token": token})
        post_id = publish(susan, "hola").id
        page = client.get("/index").get_data(as_text=True)
        (meta,) = re.findall(r'<meta name="csrf-token" content="([^"]+)">', page)
        body = {"post_id": post_id, "dest": "en"}
        missing = client.post("/translate", json=body, headers=JSON)
        wrong = client.post("/translate", json=body, headers={**JSON, "X-CSRFToken": "forged"})
        for refused in (missing, wrong):
            assert (refused.status_code, refused.mimetype) == (400, "application/problem+json")
            assert "did not come from this site" in refused.get_json()["detail"]
        # With the token the request gets through CSRF (no provider here: the service's 503).
        accepted = client.post("/translate", json=body, headers={**JSON, "X-CSRFToken": meta})
        assert (accepted.status_code, accepted.get_json()["title"]) == (503, "Translation is not available right now")

    def test_anonymous_pages_carry_no_token(self, client):
        page = client.get("/auth/login")
        assert 'name="csrf-token"' not in page.get_data(as_text=True)
