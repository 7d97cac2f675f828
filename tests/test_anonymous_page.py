"""The login page a logged-out visitor GETs, kept across requests
(app/anonymous_page.py): every visitor gets the same page with their own
session's CSRF token, in their own language, with their own address in the
language chooser, and a flashed message or a form sent back with an error
is never kept."""
from __future__ import annotations

import re

from flask import Flask

from tests.conftest import make_user
from tests.test_csrf import csrf_token
from tests.test_csrf_token import app_config, isolated  # noqa: F401 (fixtures: CSRF on, a server's g)

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def login_page(client, path: str = "/auth/login", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def log_in(client, token: str) -> int:
    return client.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                            "csrf_token": token}).status_code


def test_each_visitor_gets_the_same_page_with_their_own_token(app: Flask) -> None:
    make_user("susan")
    first, second = app.test_client(), app.test_client()
    pages = [login_page(first), login_page(second), login_page(first)]
    tokens = [TOKEN.search(page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert all(page.count(token) >= 1 for page, token in zip(pages, tokens, strict=True))
    assert tokens[0] not in pages[1] and tokens[1] not in pages[0]
    assert pages[0].replace(tokens[0], "") == pages[1].replace(tokens[1], "")  # nothing else differs
    assert "\x00" not in pages[0]  # no slot left behind
    assert log_in(second, tokens[0]) == 400  # one visitor's token is refused to another
    assert log_in(second, tokens[1]) == 302


def test_each_language_gets_its_own_page(app: Flask) -> None:
    client = app.test_client()
    for language, title in (("es", "Iniciar sesión"), ("en", "Sign In"), ("es", "Iniciar sesión")):
        page = login_page(client, **{"Accept-Language": language})
        assert f"<h1>{title}</h1>" in page
        assert f'<html lang="{language}">' in page


def test_each_address_gets_its_own_way_back_in_the_language_chooser(app: Flask) -> None:
    client = app.test_client()
    for path in ("/auth/login?next=/explore", "/auth/login?next=/user/susan", "/auth/login?next=/explore"):
        page = login_page(client, path)
        assert f'<input type="hidden" name="next" value="{path}">' in page
        other = "/user/susan" if "explore" in path else "/explore"
        assert f"next={other}" not in page


def test_a_flashed_message_is_shown_once_and_not_kept(app: Flask) -> None:
    client = app.test_client()
    login_page(client)  # the address's page is kept now
    response = client.get("/index")  # logged out: sent to the login page with a message
    assert response.status_code == 302
    assert "Please log in to access this page." in login_page(client, response.headers["Location"])
    assert "Please log in to access this page." not in login_page(client, response.headers["Location"])
    assert "Please log in" not in login_page(app.test_client(), response.headers["Location"])


def test_a_failed_login_is_written_afresh_and_not_kept(app: Flask) -> None:
    make_user("susan")
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": "mallory-typed-this", "password": "wrong",
                                                "csrf_token": token})
    assert response.status_code == 200
    assert "mallory-typed-this" in response.get_data(as_text=True)
    for visitor in (client, app.test_client()):
        page = login_page(visitor)
        assert "mallory-typed-this" not in page
        assert "Invalid username or password" not in page


def test_a_logged_in_visitor_is_sent_on(app: Flask) -> None:
    make_user("susan")
    client = app.test_client()
    assert log_in(client, csrf_token(client, "/auth/login")) == 302
    assert client.get("/auth/login").status_code == 302
