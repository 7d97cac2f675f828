"""Rendered bodies on the pages: links, mentions and tags written at save
time, stored, re-rendered by an edit; who is told of a mention; the
``flask posts render`` command for posts written before."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Post, PostMention, PostTag, Tag, User
from app.posts import publish, service
from app.posts.content import MENTION
from tests.conftest import make_user
from tests.support.sql import count_statements


def test_a_new_post_shows_its_links_mentions_and_tags(client, logged_in):
    make_user("Bob")
    client.post("/index", data={"post": "hi @bob, see https://example.com/x. #Flask <b>"})
    page = client.get("/explore").get_data(as_text=True)
    assert '<a class="mention user-popup" href="/user/Bob">@bob</a>,' in page
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
    # Each body as rendered, its tag a link: words alone are also in the page's own text.
    assert page.index(">second <a") < page.index(">first <a") and ">no tag<" not in page and ">other <a" not in page
    assert "No posts with this tag yet." in client.get("/tag/nothing").get_data(as_text=True)


def test_the_mentions_list_shows_the_posts_that_name_you(client, auth, susan):
    bob = make_user("bob")
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


def notified(username: str) -> list[dict]:
    """The new_mention notification ``username`` holds (one, replaced), as a list."""
    user = db.session.scalar(User.by_username(username))
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == user.id,
                                                          Notification.name == MENTION))
    return [note.get_data()] if note is not None else []


def mentioned_ids(post_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(PostMention.user_id).where(PostMention.post_id == post_id)))


def test_the_rendering_table_through_a_real_save(app, susan):
    """The renderer's cases as stored by publish(), on either database."""
    make_user("Bob")
    with app.test_request_context():
        post = publish(susan, "@BOB @bob. @nobody mail a@bob.example #Tag #tag #Ünïcödé_1 "
                              "(https://x.example/a?b=@bob#tag). ftp://x.example javascript:alert(1)")
    assert post.body_html == (
        '<a class="mention user-popup" href="/user/Bob">@BOB</a> '
        '<a class="mention user-popup" href="/user/Bob">@bob</a>. @nobody mail a@bob.example '
        '<a class="hashtag" href="/tag/tag">#Tag</a> <a class="hashtag" href="/tag/tag">#tag</a> '
        '<a class="hashtag" href="/tag/%C3%BCn%C3%AFc%C3%B6d%C3%A9_1">#Ünïcödé_1</a> '
        '(<a href="https://x.example/a?b=@bob#tag" rel="nofollow ugc noopener">https://x.example/a?b=@bob#tag</a>). '
        "ftp://x.example javascript:alert(1)")
    assert sorted(db.session.scalars(sa.select(Tag.name))) == ["tag", "ünïcödé_1"]
    assert mentioned_ids(post.id) == {db.session.scalar(User.by_username("Bob")).id}


def test_at_most_ten_mentioned_users_are_told_and_never_the_author(app, susan):
    names = [f"u{i:02}" for i in range(12)]
    for name in names:
        make_user(name)
    with app.test_request_context():
        post = publish(susan, "@susan " + " ".join(f"@{name}" for name in names))
    told = [name for name in names if notified(name)]
    assert told == names[:10]  # in the order written
    assert notified("susan") == []
    assert notified("u00") == [{"post_id": post.id, "from": "susan"}]
    assert len(mentioned_ids(post.id)) == 13  # every one is linked and listed, told or not


def test_an_edit_tells_only_the_newly_mentioned(app, client, logged_in):
    make_user("bob"), make_user("carol")
    client.post("/index", data={"post": "hi @bob"})
    post_id = db.session.scalar(sa.select(Post.id))
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    assert client.post(f"/post/{post_id}/edit", data={"post": "hi @bob and @carol #new"}).status_code == 302
    assert notified("bob") == [] and notified("carol") == [{"post_id": post_id, "from": "susan"}]
    ids = {db.session.scalar(User.by_username(name)).id for name in ("bob", "carol")}
    assert mentioned_ids(post_id) == ids
    client.post(f"/post/{post_id}/edit", data={"post": "nobody now"})
    assert mentioned_ids(post_id) == set() and db.session.scalars(sa.select(PostTag)).all() == []
    assert "hi @bob" not in client.get("/mentions").get_data(as_text=True)


def test_a_reply_mentioning_the_answered_author_tells_them_once(app, susan):
    bob = make_user("bob")
    with app.test_request_context():
        question = publish(bob, "a question")
        publish(susan, "@bob here is the answer", in_reply_to=question.id)
    names = db.session.scalars(sa.select(Notification.name).where(Notification.user_id == bob.id)).all()
    assert names == [service.REPLY]


def test_a_site_under_a_prefix_links_its_pages_under_it(app, client, logged_in):
    make_user("bob")
    client.post("/index", data={"post": "@bob #tea https://x.example/"})
    page = client.get("/explore", base_url="http://localhost/blog").get_data(as_text=True)
    assert 'href="/blog/user/bob">@bob</a> <a class="hashtag" href="/blog/tag/tea">#tea</a>' in page
    assert 'href="https://x.example/"' in page


def test_flask_posts_render_fills_in_old_posts_and_tells_nobody(app, susan):
    bob = make_user("bob")
    db.session.add_all([Post(body="old @bob #Past", author=susan), Post(body="plain", author=bob)])
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["posts", "render"])
    assert result.exit_code == 0, result.output
    assert "Rendered 2 posts." in result.output
    old = db.session.scalar(sa.select(Post).where(Post.body.like("old%")))
    assert old.body_html == ('old <a class="mention user-popup" href="/user/bob">@bob</a> '
                             '<a class="hashtag" href="/tag/past">#Past</a>')
    assert mentioned_ids(old.id) == {bob.id} and notified("bob") == []
    assert "Rendered 0 posts." in runner.invoke(args=["posts", "render"]).output  # nothing left to do
    assert "Rendered 2 posts." in runner.invoke(args=["posts", "render", "--all"]).output
    assert db.session.scalars(sa.select(Tag.name)).all() == ["past"]


def busy_tag(app, author: User, count: int = 40) -> User:
    """``count`` posts tagged #tea that mention susan, link out and name others."""
    for name in ("bob", "carol"):
        make_user(name)
    with app.test_request_context():
        for i in range(count):
            publish(author, f"cup {i} #tea #Cup{i % 5} @susan @bob @carol @ghost https://tea.example/{i}.")
    return author


@pytest.mark.parametrize("path", ["/tag/tea", "/tag/TEA?page=2", "/mentions", "/mentions?page=2", "/explore",
                                  "/index", "/search?q=cup"])
def test_pages_with_rendered_bodies_stay_within_budget(app, client, logged_in, path):
    """Mentions, tags and links cost no statement per post: they are stored rendered."""
    logged_in.follow(busy_tag(app, make_user("dave")))
    db.session.commit()
    client.get("/index")  # the first request of a session may record last_seen
    client.get("/explore")  # and the top tags are kept a minute
    with count_statements(db.engine) as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="mention user-popup"') >= (20 if "page=2" not in path else 15)
    assert len(statements) <= 5, statements


@pytest.mark.parametrize("path", ["/user/dave/feed.atom", "/tag/tea/feed.atom"])
def test_a_feed_costs_three_statements_and_a_304_two(app, client, path):
    busy_tag(app, make_user("dave"))
    with count_statements(db.engine) as statements:
        response = client.get(path)
    assert response.status_code == 200 and len(statements) <= 3, statements
    with count_statements(db.engine) as statements:
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and len(statements) <= 2, statements


@pytest.mark.parametrize("path", ["/tag/", "/tag/%00", "/tag/" + "x" * 5000, "/tag/a%2Fb", "/tag/tea?page=x",
                                  "/tag/%F0%9F%8D%B5", "/tag/<script>", "/tag/" + "x" * 5000 + "/feed.atom",
                                  "/tag/%00/feed.atom", "/user/%00/feed.atom", "/mentions?page=0"])
def test_odd_tag_addresses_are_a_clear_4xx_or_an_empty_list(client, logged_in, path):
    response = client.get(path)
    assert response.status_code in (200, 400, 404), response.status_code
    if response.status_code == 200 and "feed.atom" not in path:
        assert "No posts with this tag yet." in response.get_data(as_text=True)


def test_a_deleted_post_leaves_its_tag_page_mentions_and_feed(app, client, logged_in):
    make_user("bob")
    client.post("/index", data={"post": "gone soon #tea @bob"})
    client.post("/index", data={"post": "stays #tea"})
    post_id = db.session.scalar(sa.select(Post.id).where(Post.body.like("gone%")))
    assert client.post(f"/post/{post_id}/delete").status_code == 302
    assert db.session.scalars(sa.select(PostTag.post_id)).all() == [post_id + 1]
    assert mentioned_ids(post_id) == set()
    page = client.get("/tag/tea").get_data(as_text=True)
    assert "stays" in page and "gone soon" not in page
    assert "gone soon" not in client.get("/tag/tea/feed.atom").get_data(as_text=True)


def test_a_rename_unlinks_the_old_name_and_a_new_case_respells_it(app, client, auth, susan):
    bob = make_user("bob")
    with app.test_request_context():
        old = publish(bob, "hi @susan #tea")
    auth.login()
    assert client.post("/edit_profile", data={"username": "Susan", "email": susan.email,
                                              "about_me": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, old.id).body_html.startswith(
        'hi <a class="mention user-popup" href="/user/Susan">@susan</a>')
    assert client.post("/edit_profile", data={"username": "suzy", "email": susan.email,
                                              "about_me": ""}).status_code == 302
    db.session.expire_all()
    # "@susan" no longer names anyone: text, and out of her Mentions; the tag stays.
    assert db.session.get(Post, old.id).body_html == 'hi @susan <a class="hashtag" href="/tag/tea">#tea</a>'
    assert mentioned_ids(old.id) == set()
    make_user("susan", "new.susan@example.com")  # whoever takes the name next is not linked from the old post
    assert 'href="/user/susan"' not in client.get(f"/post/{old.id}").get_data(as_text=True)
