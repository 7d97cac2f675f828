"""Atom feeds (issue 15, in progress): valid for feedparser, the posts
exactly, and 304 when nothing changed."""
from __future__ import annotations

import feedparser

from app.extensions import db
from app.models import Post
from app.posts import publish, service
from tests.conftest import make_user


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
