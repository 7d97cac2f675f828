"""base.html's navbar and scripts are kept per language and site root
(app/frame.py). No viewer may ever see another's part of them: their name and
profile link, their unread count, their session's token, the query they
searched for, the page the language chooser goes back to."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import db
from app.models import User
from tests.conftest import IsolatedClient, make_user

NAV = re.compile(r"<nav .*?</nav>", re.S)
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
NAV_TOKENS = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
BADGE = re.compile(r'<span id="message-count" class="badge text-bg-danger( d-none)?">(\d+)</span>')
NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
SEARCH_BOX = re.compile(r'<input [^>]*id="nav-search"[^>]*>')


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


def signed_in(app: Flask, username: str, unread: int) -> FlaskClient:
    user = make_user(username)
    user.unread_message_count = unread
    db.session.commit()
    app.test_client_class = IsolatedClient  # each request its own context and g, as in a server
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    answer = client.post("/auth/login", data={"username": username, "password": "correct horse",
                                              "csrf_token": token[1]})
    assert answer.status_code == 302
    return client


def nav_of(page: str) -> str:
    match = NAV.search(page)
    assert match, page
    return match.group(0)


def test_each_viewer_sees_their_own_name_count_token_and_way_back(app: Flask) -> None:
    susan, john = signed_in(app, "susan", unread=3), signed_in(app, "john", unread=0)
    for client, name, count, path in ((susan, "susan", "3", "/index"), (john, "john", "0", "/explore"),
                                      (susan, "susan", "3", "/explore?page=2"), (john, "john", "0", "/index")):
        page = client.get(path).get_data(as_text=True)
        nav = nav_of(page)
        assert f'id="nav-profile" href="/user/{name}">Profile ({name})</a>' in nav
        other = "john" if name == "susan" else "susan"
        assert other not in nav
        badge = BADGE.search(nav)
        assert badge and badge.group(2) == count and (badge.group(1) is None) == (count != "0")
        tokens = set(NAV_TOKENS.findall(nav))  # the language chooser's and Logout's
        assert tokens == {META_TOKEN.search(page).group(1)}  # this session's own
        assert NEXT.search(nav).group(1) == path
    # And each token works for its own session only.
    susan_token = META_TOKEN.search(susan.get("/index").get_data(as_text=True)).group(1)
    assert john.post("/auth/logout", data={"csrf_token": susan_token}).status_code == 400
    assert susan.post("/auth/logout", data={"csrf_token": susan_token}).status_code == 302


def test_a_name_that_needs_escaping_is_escaped_in_the_kept_navbar(app: Flask) -> None:
    client = signed_in(app, "susan", unread=0)
    db.session.execute(db.update(User).where(User.username == "susan").values(username="su<b>&san"))
    db.session.commit()
    nav = nav_of(client.get("/index").get_data(as_text=True))
    assert "Profile (su&lt;b&gt;&amp;san)" in nav and "<b>" not in nav
    assert 'href="/user/su%3Cb%3E&amp;san"' in nav  # werkzeug keeps the &; the attribute escapes it


def test_the_search_box_keeps_only_this_pages_query(app: Flask) -> None:
    client = signed_in(app, "susan", unread=0)
    box = SEARCH_BOX.search(client.get("/search", query_string={"q": 'tea "&" <cake>'}).get_data(as_text=True))
    assert box and 'value="tea &#34;&amp;&#34; &lt;cake&gt;"' in box.group(0)
    box = SEARCH_BOX.search(client.get("/index").get_data(as_text=True))
    assert box and "value=" not in box.group(0)


def test_each_language_root_and_sign_in_state_gets_its_own_frame(app: Flask) -> None:
    client = signed_in(app, "susan", unread=0)
    english = client.get("/index", headers={"Accept-Language": "en"}).get_data(as_text=True)
    spanish = client.get("/index", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert ">Home</a>" in nav_of(english) and ">Inicio</a>" in nav_of(spanish)
    assert 'value="es" lang="es" selected' in nav_of(spanish) and 'value="en" lang="en" selected' in nav_of(english)
    under_blog = client.get("/index", base_url="http://localhost/blog").get_data(as_text=True)
    assert 'href="/blog/index"' in nav_of(under_blog) and 'href="/blog/user/susan"' in nav_of(under_blog)
    assert 'src="/blog/static/js/notifications.js"' in under_blog
    assert 'href="/blog/' not in nav_of(english)
    visitor = app.test_client()
    anonymous = visitor.get("/auth/login").get_data(as_text=True)
    assert "susan" not in anonymous and 'id="nav-logout"' not in anonymous and ">Login</a>" in nav_of(anonymous)
    assert "notifications.js" not in anonymous and "data-notifications-url" not in anonymous
    again = client.get("/index").get_data(as_text=True)
    assert 'id="nav-logout"' in again and "notifications.js" in again
