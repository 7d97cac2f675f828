"""GET /user/<username>/popup: the fragment a user popup shows."""
from __future__ import annotations

from app import db
from tests.conftest import make_user
from tests.support.sql import count_statements


def test_for_someone_you_do_not_follow(client, logged_in, john):
    john.about_me = "I <b>like</b> tea"
    db.session.commit()
    response = client.get("/user/JOHN/popup")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<nav" not in html  # a fragment, not a page
    assert 'href="/user/john"' in html and "/avatar/" in html
    assert "I &lt;b&gt;like&lt;/b&gt; tea" in html  # escaped
    assert "Last seen" in html
    assert '<span class="followers-count">0</span> followers' in html
    assert 'action="/follow/john"' in html and ">Follow<" in html and "Unfollow" not in html


def test_the_button_carries_the_csrf_token(app, client, logged_in, john):
    app.config["WTF_CSRF_ENABLED"] = True
    assert 'name="csrf_token"' in client.get("/user/john/popup").get_data(as_text=True)


def test_for_someone_you_follow(client, logged_in, john):
    logged_in.follow(john)
    john.follow(make_user("mary"))
    db.session.commit()
    html = client.get("/user/john/popup").get_data(as_text=True)
    assert '<span class="followers-count">1</span> follower,' in html
    assert '<span class="following-count">1</span> following' in html
    assert 'action="/unfollow/john"' in html and ">Unfollow<" in html


def test_your_own_popup_has_no_button(client, logged_in):
    html = client.get("/user/susan/popup").get_data(as_text=True)
    assert "/follow/" not in html and "/unfollow/" not in html


def test_unknown_users_and_visitors(client, susan, auth):
    assert client.get("/user/susan/popup").status_code == 302  # to the login page
    auth.login()
    assert client.get("/user/nobody/popup").status_code == 404


def test_two_statements_the_viewer_and_the_user_with_their_counts(client, logged_in, john):
    client.get("/index")
    with count_statements(db.engine) as statements:
        assert client.get("/user/john/popup").status_code == 200
    assert len(statements) == 2, statements


def test_author_names_in_lists_open_popups(client, logged_in, john):
    client.post("/index", data={"post": "hello"})
    page = client.get("/explore").get_data(as_text=True)
    assert '<a class="user-popup" href="/user/susan">susan</a>' in page
    assert 'src="/static/js/popups.js"' in page and 'src="/static/js/notifications.js"' in page
