"""The feed, explore, profiles, following and editing a profile."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import db
from app.avatars import avatar_digest
from app.models import Post, User, utcnow
from tests.conftest import make_user
from tests.support.sql import count_statements


def add_posts(user: User, count: int, prefix: str = "post") -> None:
    now = utcnow()
    db.session.add_all(
        Post(body=f"{prefix} {i}", author=user, timestamp=now - timedelta(minutes=i)) for i in range(count)
    )
    db.session.commit()


@pytest.mark.parametrize("path", ["/", "/index", "/explore", "/user/susan", "/edit_profile"])
def test_pages_require_login(client, susan, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_post_appears_in_feed(client, logged_in):
    response = client.post("/index", data={"post": "Hello, world!"})
    assert response.status_code == 302
    page = client.get("/index").get_data(as_text=True)
    assert "Your post is now live!" in page
    assert "Hello, world!" in page
    assert db.session.scalar(sa.select(Post.body)) == "Hello, world!"


@pytest.mark.parametrize(("body", "message"), [
    ("", "This field is required."),
    ("   ", "This field is required."),
    ("x" * 141, "Field must be between 1 and 140 characters long."),
])
def test_bad_post_is_rejected(client, logged_in, body, message):
    response = client.post("/index", data={"post": body})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_feed_shows_followed_users_only(client, logged_in):
    john, mary = make_user("john"), make_user("mary")
    add_posts(john, 1, "from john")
    add_posts(mary, 1, "from mary")
    logged_in.follow(john)
    db.session.commit()
    page = client.get("/index").get_data(as_text=True)
    assert "from john" in page
    assert "from mary" not in page
    explore = client.get("/explore").get_data(as_text=True)
    assert "from john" in explore and "from mary" in explore


def test_unicode_and_html_are_stored_as_typed_and_escaped(client, logged_in):
    body = "<script>alert('x')</script> héllo 🌍 日本"
    client.post("/index", data={"post": body})
    client.post("/edit_profile", data={"username": "susan", "about_me": "<b>bold</b> ünïcödé"})
    assert db.session.scalar(sa.select(Post.body)) == body
    assert db.session.scalar(sa.select(User.about_me)) == "<b>bold</b> ünïcödé"
    for path in ("/index", "/explore", "/user/susan"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "héllo 🌍 日本" in page
    profile = client.get("/user/susan").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt; ünïcödé" in profile
    assert "<b>bold</b>" not in profile


def test_profile_page(client, logged_in):
    john = make_user("john", about_me="I am John")
    add_posts(john, 3, "john says")
    logged_in.follow(john)
    db.session.commit()
    page = client.get("/user/JOHN").get_data(as_text=True)  # any case finds the profile
    assert "User: john" in page
    assert "I am John" in page
    assert f'src="/avatar/{avatar_digest(john.email)}.svg"' in page
    assert '<span id="posts-count">3</span>' in page
    assert '<span id="followers-count">1</span>' in page
    assert '<span id="following-count">0</span>' in page
    assert "Unfollow" in page
    assert "Last seen on" in page
    own = client.get("/user/susan").get_data(as_text=True)
    assert "Edit your profile" in own and "Follow" not in own


def test_unknown_profile_is_404(client, logged_in):
    assert client.get("/user/nobody").status_code == 404


def test_follow_and_unfollow(client, logged_in):
    john = make_user("john")
    response = client.post("/follow/john")
    assert response.status_code == 302
    assert response.headers["Location"] == "/user/john"
    assert logged_in.is_following(john)
    assert "Unfollow" in client.get("/user/john").get_data(as_text=True)

    client.post("/unfollow/john")
    assert not logged_in.is_following(john)


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_unknown_user_is_404(client, logged_in, action):
    assert client.post(f"/{action}/nobody").status_code == 404


def test_cannot_follow_yourself(client, logged_in):
    response = client.post("/follow/susan", follow_redirects=True)
    assert "You cannot follow or unfollow yourself." in response.get_data(as_text=True)
    assert logged_in.following_count() == 0


def test_follow_needs_post(client, logged_in):
    make_user("john")
    assert client.get("/follow/john").status_code == 405


def test_edit_profile(client, logged_in):
    page = client.get("/edit_profile").get_data(as_text=True)
    assert 'value="susan"' in page
    response = client.post("/edit_profile", data={"username": "Susan2", "about_me": "Hi there"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, logged_in.id)
    assert (user.username, user.about_me) == ("Susan2", "Hi there")


@pytest.mark.parametrize("new_name", ["susan", "SUSAN", "Susan"])
def test_keeping_your_own_name_in_any_case_passes(client, logged_in, new_name):
    response = client.post("/edit_profile", data={"username": new_name, "about_me": ""})
    assert response.status_code == 302


@pytest.mark.parametrize("new_name", ["john", "JOHN", "John"])
def test_taking_another_users_name_fails(client, logged_in, new_name):
    make_user("john")
    response = client.post("/edit_profile", data={"username": new_name, "about_me": ""})
    assert response.status_code == 200
    assert "This username is already taken." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, logged_in.id).username == "susan"


@pytest.mark.parametrize(("form", "message"), [
    ({"username": ""}, "This field is required."),
    ({"username": "x" * 65}, "Field must be between 1 and 64 characters long."),
    ({"username": "two words"}, "Usernames may contain only letters"),
    ({"about_me": "x" * 141}, "Field cannot be longer than 140 characters."),
])
def test_edit_profile_rejects_bad_input(client, logged_in, form, message):
    response = client.post("/edit_profile", data={"username": "susan", "about_me": "", **form})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_rename_race_rerenders_form_with_message(client, logged_in):
    """Two renames passed validation at once: the unique index rejects ours."""
    other = make_user("other")

    @sa.event.listens_for(db.session, "before_flush", once=True)
    def the_other_request_commits_first(session, flush_context, instances) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.update(User).where(User.id == other.id).values(username="Popular"))

    response = client.post("/edit_profile", data={"username": "popular", "about_me": "mine"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This username is already taken." in page
    assert 'value="popular"' in page  # what the user typed is kept on the form
    db.session.expire_all()
    names = db.session.scalars(sa.select(User.username).order_by(User.id)).all()
    assert names == ["susan", "Popular"]


def test_last_seen_is_not_written_on_every_request(client, logged_in):
    client.get("/index")
    with count_statements(db.engine) as statements:
        client.get("/index")
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]


def test_last_seen_is_refreshed_after_a_minute(client, logged_in):
    logged_in.last_seen = utcnow() - timedelta(minutes=5)
    db.session.commit()
    client.get("/index")
    db.session.expire_all()
    assert (utcnow() - db.session.get(User, logged_in.id).last_seen).total_seconds() < 30


class TestPagination:
    @pytest.fixture(autouse=True)
    def posts(self, app, logged_in):
        app.config["POSTS_PER_PAGE"] = 3
        add_posts(logged_in, 7)

    @pytest.mark.parametrize("path", ["/index", "/explore", "/user/susan"])
    def test_pages_and_links(self, client, path):
        first = client.get(path).get_data(as_text=True)
        assert "post 0" in first and "post 2" in first and "post 3" not in first
        assert f"{path}?page=2" in first
        third = client.get(f"{path}?page=3").get_data(as_text=True)
        assert "post 6" in third and "post 5" not in third
        assert f"{path}?page=2" in third  # newer
        assert f"{path}?page=4" not in third  # no older page

    @pytest.mark.parametrize("page", ["abc", "0", "-5", "1.5", "", "٣", "99999999999999999999"])
    @pytest.mark.parametrize("path", ["/index", "/explore", "/user/susan"])
    def test_bad_page_numbers_are_404(self, client, path, page):
        assert client.get(f"{path}?page={page}").status_code == 404

    @pytest.mark.parametrize("path", ["/index", "/explore", "/user/susan"])
    def test_page_past_the_end_is_empty(self, client, path):
        response = client.get(f"{path}?page=999999")
        assert response.status_code == 200
        assert "post 0" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/index", "/explore", "/user/john", "/index?page=2", "/user/john?page=50"])
def test_statement_budget(client, logged_in, path):
    """At most 5 SQL statements per page, whatever the page size or number."""
    john = make_user("john")
    add_posts(john, 60)
    logged_in.follow(john)
    db.session.commit()
    client.get("/index")  # the first request of a session may record last_seen
    with count_statements(db.engine) as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert len(statements) <= 5, statements


def test_username_with_trailing_newline_is_rejected(client, logged_in):
    response = client.post("/edit_profile", data={"username": "susan\n", "about_me": ""})
    assert response.status_code == 200
    assert "Usernames may contain only letters" in response.get_data(as_text=True)
