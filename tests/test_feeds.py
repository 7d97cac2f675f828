"""Atom feeds: valid for feedparser, the posts
exactly, and 304 when nothing changed."""
from __future__ import annotations

import time

import feedparser
import pytest

from app.extensions import db
from app.models import Post
from app.posts import publish, service
from tests.conftest import make_user
from tests.support.sql import count_statements


def test_a_users_feed_has_their_newest_posts_and_a_304_until_one_changes(app, client):
    bob = make_user("bob")
    with app.test_request_context():
        for body in ("first <b>bold</b>", "second #tea", "third"):
            publish(bob, body)
    response = client.get("/user/BOB/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.bozo_exception
    assert [entry.title for entry in parsed.entries] == ["third", "second #tea", "first <b>bold</b>"]
    assert parsed.entries[2].content[0].value == "first &lt;b&gt;bold&lt;/b&gt;"
    # feedparser resolves the body's site-relative links against the entry's address.
    assert 'href="http://localhost/tag/tea"' in parsed.entries[1].content[0].value
    etag = response.headers["ETag"]
    again = client.get("/user/bob/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    post = db.session.get(Post, 1)
    service.delete(post, bob)
    changed = client.get("/user/bob/feed.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(feedparser.parse(changed.get_data()).entries) == 2


def test_a_tag_feed_and_unknown_feeds(app, client):
    bob = make_user("bob")
    with app.test_request_context():
        publish(bob, "about #Tea")
        publish(bob, "not about it")
    parsed = feedparser.parse(client.get("/tag/TEA/feed.atom").get_data())
    assert not parsed.bozo and [entry.title for entry in parsed.entries] == ["about #Tea"]
    assert client.get("/user/nobody/feed.atom").status_code == 404
    empty = feedparser.parse(client.get("/tag/none/feed.atom").get_data())
    assert not empty.bozo and empty.entries == []


def test_a_feed_holds_the_20_newest_and_changes_its_etag_when_a_shown_post_is_edited(app, client):
    bob = make_user("bob")
    with app.test_request_context():
        posts = [publish(bob, f"post {i} #tea") for i in range(25)]
    for path in ("/user/bob/feed.atom", "/tag/tea/feed.atom"):
        response = client.get(path)
        parsed = feedparser.parse(response.get_data())
        assert not parsed.bozo
        assert [entry.title for entry in parsed.entries] == [f"post {i} #tea" for i in range(24, 4, -1)]
        assert len({entry.id for entry in parsed.entries}) == 20
        assert parsed.entries[0].author == "bob" and parsed.entries[0].link.endswith(f"/post/{posts[-1].id}")
        assert response.headers["Cache-Control"] == "private, max-age=60" and "Last-Modified" in response.headers
    etag = client.get("/user/bob/feed.atom").headers["ETag"]
    with app.test_request_context():
        service.edit(db.session.get(Post, posts[-1].id), bob, "post 24 edited #tea")
    response = client.get("/user/bob/feed.atom", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert feedparser.parse(response.get_data()).entries[0].title == "post 24 edited #tea"
    again = client.get("/user/bob/feed.atom", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == response.headers["ETag"]


def test_a_feed_names_its_posts_absolutely_under_public_url(app, client):
    app.config["PUBLIC_URL"] = "https://blog.example/site"
    bob = make_user("bob")
    make_user("carol")
    with app.test_request_context():
        publish(bob, "to @carol about #tea")
    parsed = feedparser.parse(client.get("/user/bob/feed.atom").get_data())
    assert not parsed.bozo
    content = parsed.entries[0].content[0].value
    assert 'href="https://blog.example/site/user/carol"' in content
    assert 'href="https://blog.example/site/tag/tea"' in content
    assert parsed.entries[0].link.startswith("https://blog.example/site/post/")
    assert parsed.feed.link == "https://blog.example/site/user/bob"


def test_a_forged_host_gets_no_public_feed_and_public_url_wins(app, client):
    bob = make_user("bob")
    with app.test_request_context():
        publish(bob, "hello")
    forged = client.get("/user/bob/feed.atom", headers={"Host": "attacker.example"})
    assert forged.headers["Cache-Control"] == "private, max-age=60"  # no shared cache keeps the forged links
    app.config["PUBLIC_URL"] = "https://blog.example"
    response = client.get("/user/bob/feed.atom", headers={"Host": "attacker.example"})
    assert "attacker.example" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "public, max-age=60"


@pytest.mark.parametrize("app_config", [{"FEED_CHECK_SECONDS": 30.0}])
def test_a_poll_within_feed_check_seconds_costs_no_statement(app, client, monkeypatch):
    bob = make_user("bob")
    with app.test_request_context():
        publish(bob, "first")
    etag = client.get("/user/bob/feed.atom").headers["ETag"]
    with count_statements(db.engine) as statements:
        poll = client.get("/user/bob/feed.atom", headers={"If-None-Match": etag})
    assert poll.status_code == 304 and poll.headers["ETag"] == etag and statements == []
    with app.test_request_context():
        publish(bob, "second")
    # Within the window the worker still answers from memory; past it, it asks again.
    assert client.get("/user/bob/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    later = time.monotonic() + 31
    monkeypatch.setattr(time, "monotonic", lambda: later)
    response = client.get("/user/bob/feed.atom", headers={"If-None-Match": etag})
    assert response.status_code == 200 and len(feedparser.parse(response.get_data()).entries) == 2
    # Another client's ETag, or none, is always checked against the database.
    with count_statements(db.engine) as statements:
        assert client.get("/user/bob/feed.atom", headers={"If-None-Match": 'W/"other"'}).status_code == 200
    assert statements
