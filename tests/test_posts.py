"""A post's own page and what its author can do with it: edit (within
POST_EDIT_MINUTES) and delete (with a confirmation), on both databases."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, PostLike, User, utcnow
from app.search.engine import search_posts
from app.search.query import parse
from tests.conftest import make_user
from tests.support.sql import count_statements


def write(author: User, body: str, minutes_ago: float = 0, reply_to: Post | None = None) -> Post:
    answered = (reply_to.id, reply_to.user_id) if reply_to is not None else (None, None)
    post = Post(body=body, author=author, timestamp=utcnow() - timedelta(minutes=minutes_ago),
                in_reply_to_id=answered[0], reply_to_user_id=answered[1])
    db.session.add(post)
    db.session.commit()
    return post


def found(word: str) -> list[int]:
    return [hit.id for hit in search_posts(parse(word), 1).items]


def stored(post_id: int) -> Post | None:
    db.session.expire_all()
    return db.session.get(Post, post_id)


class TestThePostPage:
    def test_every_listed_post_links_to_its_page_by_its_time(self, client, logged_in):
        post = write(logged_in, "a linked post")
        for path in ("/index", "/explore", "/user/susan", "/search?q=linked"):
            page = client.get(path).get_data(as_text=True)
            assert f'<a class="post-link" href="/post/{post.id}"><time' in page, path

    def test_the_page_shows_the_post(self, client, logged_in):
        post = write(logged_in, "<b>my</b> post")
        page = client.get(f"/post/{post.id}").get_data(as_text=True)
        assert "&lt;b&gt;my&lt;/b&gt; post" in page
        assert 'id="thread-post"' in page and f'action="/post/{post.id}/reply"' in page

    @pytest.mark.parametrize("path", ["/post/999", "/post/abc", "/post/-1", "/post/1.5", "/post/99999999999999999999",
                                      "/post/2147483648", "/post/999/likes", "/post/abc/edit", "/post/0/delete"])
    def test_unknown_or_non_numeric_ids_are_404(self, client, logged_in, path):
        assert client.get(path).status_code == 404

    def test_it_needs_a_login(self, client, susan):
        post = write(susan, "private-ish")
        response = client.get(f"/post/{post.id}")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


class TestEdit:
    def test_the_author_edits_within_the_window(self, client, logged_in):
        post = write(logged_in, "teh typo", minutes_ago=14)
        form = client.get(f"/post/{post.id}/edit").get_data(as_text=True)
        assert "teh typo" in form
        response = client.post(f"/post/{post.id}/edit", data={"post": "the fix"})
        assert response.status_code == 302 and response.headers["Location"] == f"/post/{post.id}"
        edited = stored(post.id)
        assert edited.body == "the fix" and edited.edited is not None
        page = client.get(f"/post/{post.id}").get_data(as_text=True)
        assert "the fix" in page and 'class="post-edited">edited <time' in page

    def test_search_finds_the_new_text_not_the_old(self, client, logged_in):
        post = write(logged_in, "original walrus")
        client.post(f"/post/{post.id}/edit", data={"post": "corrected narwhal"})
        assert found("walrus") == [] and found("narwhal") == [post.id]

    def test_past_the_window_it_is_403_and_unchanged(self, client, logged_in):
        post = write(logged_in, "too old", minutes_ago=16)
        for response in (client.get(f"/post/{post.id}/edit"),
                         client.post(f"/post/{post.id}/edit", data={"post": "late"})):
            assert response.status_code == 403
            assert "can be edited for 15 minutes after posting" in response.get_data(as_text=True)
        assert stored(post.id).body == "too old"
        assert 'class="edit-action"' not in client.get("/user/susan").get_data(as_text=True)

    def test_the_window_is_a_setting(self, app, client, logged_in):
        app.config["POST_EDIT_MINUTES"] = 0
        post = write(logged_in, "fixed at once")
        assert client.post(f"/post/{post.id}/edit", data={"post": "no"}).status_code == 403

    def test_another_users_post_is_403_and_unchanged(self, client, logged_in):
        post = write(make_user("john"), "john's words")
        assert client.get(f"/post/{post.id}/edit").status_code == 403
        assert client.post(f"/post/{post.id}/edit", data={"post": "hijacked"}).status_code == 403
        assert stored(post.id).body == "john's words"

    @pytest.mark.parametrize(("body", "message"), [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 141, "Field must be between 1 and 140 characters long."),
    ])
    def test_the_body_rules_of_a_new_post_apply(self, client, logged_in, body, message):
        post = write(logged_in, "keep me")
        response = client.post(f"/post/{post.id}/edit", data={"post": body})
        assert message in response.get_data(as_text=True)
        assert stored(post.id).body == "keep me" and stored(post.id).edited is None


class TestDelete:
    def test_it_asks_first_and_deletes_on_confirmation(self, client, logged_in):
        post = write(logged_in, "regrettable")
        confirm = client.get(f"/post/{post.id}/delete?next=/explore")
        assert confirm.status_code == 200
        page = confirm.get_data(as_text=True)
        assert "Delete this post?" in page and "regrettable" in page and 'value="/explore"' in page
        assert stored(post.id) is not None  # asking deletes nothing
        response = client.post(f"/post/{post.id}/delete", data={"next": "/explore"})
        assert response.status_code == 302 and response.headers["Location"] == "/explore"
        assert stored(post.id) is None
        assert "Your post has been deleted." in client.get("/explore").get_data(as_text=True)

    def test_it_is_gone_from_lists_search_and_the_api(self, client, logged_in):
        post = write(logged_in, "vanishing platypus")
        client.post(f"/post/{post.id}/delete")
        for path in ("/index", "/explore", "/user/susan", "/search?q=platypus"):
            assert "vanishing" not in client.get(path).get_data(as_text=True), path
        assert found("platypus") == []
        assert client.get(f"/post/{post.id}").status_code == 404

    def test_its_likes_go_and_its_replies_stay(self, client, logged_in):
        john = make_user("john")
        post = write(logged_in, "the parent")
        reply = write(john, "the answer", reply_to=post)
        db.session.add(PostLike(user_id=john.id, post_id=post.id))
        db.session.commit()
        client.post(f"/post/{post.id}/delete")
        kept = stored(reply.id)
        assert kept.in_reply_to_id is None and kept.reply_to_user_id == logged_in.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PostLike)) == 0
        page = client.get(f"/post/{reply.id}").get_data(as_text=True)
        assert "replying to a deleted post" in page and "the answer" in page

    def test_after_deleting_from_its_own_page_you_land_on_your_profile(self, client, logged_in):
        post = write(logged_in, "from its page")
        response = client.post(f"/post/{post.id}/delete", data={"next": f"/post/{post.id}"})
        assert response.headers["Location"] == "/user/susan"

    @pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example"])
    def test_next_must_be_a_path_here(self, client, logged_in, target):
        post = write(logged_in, "x")
        response = client.post(f"/post/{post.id}/delete", data={"next": target})
        assert response.headers["Location"] == "/user/susan"

    def test_another_user_gets_403_and_the_post_stays(self, client, logged_in):
        post = write(make_user("john"), "not yours")
        assert client.get(f"/post/{post.id}/delete").status_code == 403
        assert client.post(f"/post/{post.id}/delete").status_code == 403
        assert stored(post.id) is not None
        assert 'class="delete-action"' not in client.get("/explore").get_data(as_text=True)

    def test_deleting_twice_is_404(self, client, logged_in):
        post = write(logged_in, "once")
        client.post(f"/post/{post.id}/delete")
        assert client.post(f"/post/{post.id}/delete").status_code == 404


class TestWithCSRF:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @pytest.mark.parametrize("action", ["delete", "like", "unlike", "reply", "edit"])
    def test_a_post_without_the_token_is_400_and_changes_nothing(self, client, susan, action):
        token_page = client.get("/auth/login").get_data(as_text=True)
        token = token_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/auth/login", data={"username": "susan", "password": "correct horse", "csrf_token": token})
        post = write(susan, "guarded")
        response = client.post(f"/post/{post.id}/{action}", data={"post": "forged"})
        assert response.status_code == 400
        kept = stored(post.id)
        assert (kept.body, kept.like_count) == ("guarded", 0)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 1


@pytest.mark.parametrize("path", ["/index", "/explore", "/user/john", "/post/{post}", "/post/{reply}",
                                  "/post/{post}?page=2", "/post/{post}/likes", "/search?q=post"])
def test_pages_stay_within_five_statements(app, client, logged_in, path):
    """Like counts, your likes and the reply lines cost no statement of their own."""
    app.config["POSTS_PER_PAGE"] = 10
    john = make_user("john")
    logged_in.follow(john)
    db.session.commit()
    parent = write(john, "post parent", minutes_ago=100)
    previous = parent
    for i in range(30):  # a deep thread, every post liked by both
        previous = write(john if i % 2 else logged_in, f"post reply {i}", minutes_ago=99 - i, reply_to=previous)
    for i in range(25):
        write(john, f"post direct {i}", minutes_ago=50 - i, reply_to=parent)
    post_ids = db.session.scalars(sa.select(Post.id)).all()
    db.session.add_all(PostLike(user_id=uid, post_id=pid) for pid in post_ids for uid in (john.id, logged_in.id))
    db.session.execute(sa.update(Post).values(like_count=2))
    db.session.commit()
    url = path.format(post=parent.id, reply=previous.id)
    client.get("/index")  # last_seen written
    with count_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 likes" in page and "Unlike" in page
    assert len(statements) <= 5, "\n\n".join(statements)
