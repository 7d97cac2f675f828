"""With CSRF protection on (as in every real configuration)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import make_user


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/reset_password_request"])
def test_post_without_token_is_400(client, path):
    response = client.post(path, data={"username": "susan", "password": "x", "email": "a@example.com"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)


def test_token_from_another_session_is_400(app, client):
    make_user("susan")
    other = app.test_client()
    token = csrf_token(other, "/auth/login")
    csrf_token(client, "/auth/login")  # our own session has a different token
    response = client.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                                "csrf_token": token})
    assert response.status_code == 400


def test_login_and_post_with_valid_tokens(client):
    make_user("susan")
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                                "csrf_token": token})
    assert response.status_code == 302
    token = csrf_token(client, "/index")
    response = client.post("/index", data={"post": "protected", "csrf_token": token})
    assert response.status_code == 302


def test_follow_without_token_changes_nothing(client):
    susan = make_user("susan")
    john = make_user("john")
    token = csrf_token(client, "/auth/login")
    client.post("/auth/login", data={"username": "susan", "password": "correct horse", "csrf_token": token})
    response = client.post("/follow/john")
    assert response.status_code == 400
    assert not susan.is_following(john)


def test_logout_needs_a_token(client):
    make_user("susan")
    token = csrf_token(client, "/auth/login")
    client.post("/auth/login", data={"username": "susan", "password": "correct horse", "csrf_token": token})
    assert client.post("/auth/logout").status_code == 400  # a cross-site logout attempt
    assert client.get("/index").status_code == 200
    token = csrf_token(client, "/index")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/index").status_code == 302
