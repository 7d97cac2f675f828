"""Rendered bodies on the pages (issue 15, in progress): links, mentions and
tags written at save time, stored, re-rendered by an edit."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Post, PostTag, Tag
from app.posts.content import MENTION
from tests.conftest import make_user


def test_a_new_post_shows_its_links_mentions_and_tags(client, logged_in):
    make_user("Bob")
    client.post("/index", data={"post": "hi @bob, see https://example.com/x. #Flask <b>"})
    page = client.get("/explore").get_data(as_text=True)
    assert '<a class="mention" href="/user/Bob">@bob</a>,' in page
    assert '<a href="https://example.com/x" rel="nofollow ugc noopener">https://example.com/x</a>.' in page
    assert '<a class="hashtag" href="/tag/flask">#Flask</a> &lt;b&gt;' in page
    assert db.session.scalars(sa.select(Tag.name)).all() == ["flask"]
    note = db.session.scalar(sa.select(Notification).where(Notification.name == MENTION))
    assert note.get_data()["from"] == "susan"


def test_an_edit_renders_again_and_moves_the_tags(client, logged_in):
    client.post("/index", data={"post": "about #one"})
    post_id = db.session.scalar(sa.select(Post.id))
    client.post(f"/post/{post_id}/edit", data={"post": "about #two"})
    page = client.get(f"/post/{post_id}").get_data(as_text=True)
    assert "#two</a>" in page and "#one" not in page
    tags = db.session.scalars(sa.select(Tag.name).join(PostTag, PostTag.tag_id == Tag.id)).all()
    assert tags == ["two"]


def test_a_tag_page_lists_its_posts_newest_first_in_any_case(client, logged_in):
    for body in ("first #Café", "no tag", "second #café", "other #tea"):
        client.post("/index", data={"post": body})
    page = client.get("/tag/CAF%C3%89").get_data(as_text=True)
    assert page.index("second") < page.index("first") and "no tag" not in page and "other" not in page
    assert "No posts with this tag yet." in client.get("/tag/nothing").get_data(as_text=True)


def test_the_mentions_list_shows_the_posts_that_name_you(client, auth, susan):
    bob = make_user("bob")
    from app.posts import publish
    with client.application.test_request_context():
        publish(bob, "hello @susan")
        publish(bob, "hello nobody")
        publish(bob, "@SUSAN again")
    auth.login()
    page = client.get("/mentions").get_data(as_text=True)
    assert page.index("again") < page.index("hello") and "hello nobody" not in page
    assert 'id="nav-mentions"' in page


def test_explore_shows_the_top_tags_of_the_day_and_pages_link_their_feeds(client, logged_in):
    for body in ("#a #b", "#b", "#b #c"):
        client.post("/index", data={"post": body})
    page = client.get("/explore").get_data(as_text=True)
    top = page[page.index('id="top-tags"'):]
    assert top.index("#b<") < top.index("#a<") < top.index("#c<")
    assert 'type="application/atom+xml"' in client.get("/user/susan").get_data(as_text=True)
    assert 'href="/tag/b/feed.atom"' in client.get("/tag/b").get_data(as_text=True)
