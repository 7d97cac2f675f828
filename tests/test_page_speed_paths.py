"""The shortcuts issue 17 took for speed, each held to what it replaced.

Addresses kept per site root (app/urls.py), each post's author where the
articles are built (app/lists/post_html.py; tests/test_kept_articles.py holds
the kept articles to every viewer's own view), the NUL scan's fast path for GETs
(app/security.py), user look-ups by name through one prepared statement,
and the engine's checkout ping only where a connection can be lost, and only
after it sat idle.
"""
from __future__ import annotations

import re

import pytest
from flask import Flask, render_template_string, url_for
from flask.testing import FlaskClient

from app import db
from app.avatars import avatar_url
from app.models import Post, User
from app.urls import MAX_KEPT, template_url_for
from tests.conftest import make_user

NAV_PROFILE = re.compile(r'id="nav-profile" href="([^"]+)"')


def test_addresses_follow_each_site_root(client: FlaskClient, logged_in: User) -> None:
    # One app answering under two roots (two proxies, or a move under a
    # prefix): each page's addresses are its own root's, whichever came first.
    under_blog = client.get("/explore", base_url="http://localhost/blog").get_data(as_text=True)
    at_root = client.get("/explore").get_data(as_text=True)
    under_blog_again = client.get("/explore", base_url="http://localhost/blog").get_data(as_text=True)
    assert NAV_PROFILE.search(under_blog)[1] == "/blog/user/susan"
    assert NAV_PROFILE.search(at_root)[1] == "/user/susan"
    assert NAV_PROFILE.search(under_blog_again)[1] == "/blog/user/susan"
    assert 'href="/blog/static/microblog.css"' in under_blog
    assert 'href="/static/microblog.css"' in at_root


def test_kept_addresses_are_what_url_for_builds(app: Flask) -> None:
    with app.test_request_context("/"):
        for values in ({}, {"username": "Ann Lee"}, {"page": 3}, {"tag": "café"}):
            endpoint = "main.explore" if not values or "page" in values else (
                "main.user" if "username" in values else "tags.tag")
            assert template_url_for(endpoint, **values) == url_for(endpoint, **values)
            assert template_url_for(endpoint, **values) == url_for(endpoint, **values)  # from the table
        # Asked for outside what the table keeps: built each time, as url_for does.
        assert template_url_for("main.user", username="ann", _external=True) == "http://localhost/user/ann"
        assert template_url_for("main.explore", _anchor="top") == "/explore#top"


def test_the_address_table_stays_bounded(app: Flask) -> None:
    with app.test_request_context("/"):
        for n in range(MAX_KEPT + 50):
            assert template_url_for("main.user", username=f"user{n}") == f"/user/user{n}"
        assert len(app.extensions["microblog_urls"]) <= MAX_KEPT


def test_each_post_shows_its_own_author(client: FlaskClient, logged_in: User, john: User) -> None:
    # Interleaved posts of two authors, each article kept on its own: each
    # must carry its own author.
    ann = make_user("ann")
    for n, author in enumerate((ann, john, ann, john, ann)):
        db.session.add(Post(body=f"post number {n}", author=author))
    db.session.commit()
    html = client.get("/explore").get_data(as_text=True)
    articles = re.findall(r'<article .*?</article>', html, re.S)
    assert len(articles) == 5
    with client.application.test_request_context("/"):
        avatars = {user.username: avatar_url(user) for user in (ann, john)}
    for article in articles:
        number = int(re.search(r"post number (\d)", article)[1])
        name = "ann" if number % 2 == 0 else "john"
        assert f'href="/user/{name}">{name}</a>' in article
        assert f'src="{avatars[name]}"' in article


@pytest.mark.parametrize("path", ["/explore?x=%00", "/user/su%00san", "/explore?a=1&a=%00"])
def test_a_nul_in_a_get_is_still_refused(client: FlaskClient, logged_in: User, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


def test_a_nul_in_a_post_form_is_still_refused(client: FlaskClient, logged_in: User) -> None:
    response = client.post("/index", data={"post": "hello\x00world"})
    assert response.status_code == 400
    assert db.session.query(Post).count() == 0


def test_users_are_found_by_name_in_any_case(client: FlaskClient, logged_in: User, john: User) -> None:
    assert client.get("/user/JOHN").status_code == 200
    assert client.get("/user/nobody").status_code == 404
    assert User.named("John") == john and User.named("jo") is None


def test_the_checkout_ping_is_for_servers_only(app: Flask, backend: str) -> None:
    # PostgreSQL connections can die between requests (a restart, a
    # failover): idle ones are tested at checkout (tests/test_db_idle_ping.py
    # holds what that does), never every one; an SQLite file has nothing to lose.
    assert db.engine.pool._pre_ping is False
    assert bool(db.engine.pool.dispatch.checkout) is (backend == "postgresql")


def test_addresses_outside_a_request_follow_url_for(app: Flask) -> None:
    # A template rendered away from a request (an email from a job) gets
    # url_for's own answer there: an absolute address on SERVER_NAME.
    app.config["SERVER_NAME"] = "microblog.example"
    with app.app_context():
        assert render_template_string("{{ url_for('main.explore') }}") == url_for("main.explore")
        assert render_template_string("{{ url_for('main.explore') }}") == "http://microblog.example/explore"


def test_bootstrap_follows_each_site_root(client: FlaskClient) -> None:
    under_blog = client.get("/auth/login", base_url="http://localhost/blog").get_data(as_text=True)
    at_root = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/blog/bootstrap/static/css/bootstrap.min.css"' in under_blog
    assert 'src="/blog/bootstrap/static/js/bootstrap.min.js"' in under_blog
    assert 'href="/bootstrap/static/css/bootstrap.min.css"' in at_root
