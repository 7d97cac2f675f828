"""The blank forms a GET shows, kept across requests (app/form_html.py): each
page carries its own session's CSRF token and its own language, and a form
sent back with an error is written afresh, with what was typed in it and in
no other page."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import db
from app.models import Post
from tests.conftest import IsolatedClient, make_user
from tests.test_csrf import csrf_token

FORM_TOKEN = re.compile(r'<form method="post" action="[^"]*" novalidate>\s*'
                        r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


def signed_in(app: Flask, username: str) -> FlaskClient:
    make_user(username)
    app.test_client_class = IsolatedClient  # each request its own context and g, as in a server
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": username, "password": "correct horse",
                                                "csrf_token": token})
    assert response.status_code == 302
    return client


def post_form(page: str) -> tuple[str, str]:
    """The post form's token, and the form with its token taken out."""
    match = FORM_TOKEN.search(page)
    assert match, page
    form = page[match.start():page.index("</form>", match.start())]
    return match.group(1), form.replace(match.group(1), "")


def test_each_session_gets_its_own_token_in_the_kept_post_form(app: Flask) -> None:
    susan, john = signed_in(app, "susan"), signed_in(app, "john")
    forms = {}
    for name, client in (("susan", susan), ("john", john), ("susan again", susan)):
        page = client.get("/index").get_data(as_text=True)
        token, form = post_form(page)
        assert token == META_TOKEN.search(page).group(1)  # the session's token, as the page's scripts send it
        forms[name] = token, form
    assert forms["susan"][1] == forms["john"][1]  # the same blank form...
    assert forms["susan"][0] != forms["john"][0]  # ...with each session's own token
    assert client_posts(john, forms["susan"][0]) == 400  # another session's token is refused
    assert client_posts(john, forms["john"][0]) == 302
    assert client_posts(susan, forms["susan again"][0]) == 302


def client_posts(client: FlaskClient, token: str) -> int:
    return client.post("/index", data={"post": "hello", "csrf_token": token}).status_code


def test_the_kept_form_speaks_each_page_language(app: Flask) -> None:
    client = signed_in(app, "susan")
    for language, label in (("es", "Di algo"), ("en", "Say something"), ("es", "Di algo")):
        page = client.get("/index", headers={"Accept-Language": language}).get_data(as_text=True)
        assert f'<label class="form-label" for="post">{label}</label>' in post_form(page)[1]


def test_a_refused_post_is_written_afresh_and_kept_out_of_later_pages(app: Flask) -> None:
    susan, john = signed_in(app, "susan"), signed_in(app, "john")
    john.get("/index")  # the blank form is kept before the refused post
    typed = "a secret draft " * 10  # 150 characters: too long
    token = post_form(susan.get("/index").get_data(as_text=True))[0]
    refused = susan.post("/index", data={"post": typed, "csrf_token": token})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert typed.strip() in page and "is-invalid" in page
    assert "Field must be between 1 and 140 characters long." in page
    for client in (susan, john):
        later = client.get("/index").get_data(as_text=True)
        assert "a secret draft" not in later and "is-invalid" not in later


def test_each_thread_reply_form_answers_its_own_post(app: Flask) -> None:
    client = signed_in(app, "susan")
    author = make_user("mary")
    first, second = Post(body="one", author=author), Post(body="two", author=author)
    db.session.add_all([first, second])
    db.session.commit()
    for post in (first, second, first):
        page = client.get(f"/post/{post.id}").get_data(as_text=True)
        token, form = post_form(page[page.index('id="reply"'):])
        assert f'action="/post/{post.id}/reply"' in form
        assert client.post(f"/post/{post.id}/reply", data={"post": "answer", "csrf_token": token}).status_code == 302


def test_each_visitor_of_the_login_page_gets_their_own_token_and_what_they_typed(app: Flask) -> None:
    make_user("susan")
    app.test_client_class = IsolatedClient
    first, second = app.test_client(), app.test_client()
    tokens, forms = [], []
    for client, language in ((first, "en"), (second, "en"), (second, "es")):
        page = client.get("/auth/login", headers={"Accept-Language": language}).get_data(as_text=True)
        token, form = post_form(page)
        tokens.append(token)
        forms.append(form)
    assert forms[0] == forms[1] and tokens[0] != tokens[1]  # one blank form, each visitor's own token
    assert 'autocomplete="current-password"' in forms[0] and ">Remember Me</label>" in forms[0]
    assert "Remember Me" not in forms[2]  # Spanish
    # A wrong password shows the form again with the typed name, to that visitor only.
    refused = first.post("/auth/login", data={"username": "susan", "password": "wrong", "csrf_token": tokens[0]})
    assert refused.status_code == 200 and "Invalid username or password." in refused.get_data(as_text=True)
    assert 'name="username" type="text" value="susan"' in refused.get_data(as_text=True)
    assert 'value="susan"' not in second.get("/auth/login").get_data(as_text=True)
    assert second.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                            "csrf_token": tokens[0]}).status_code == 400  # another visitor's token
    assert second.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                            "csrf_token": tokens[1]}).status_code == 302
