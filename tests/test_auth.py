"""Registration, login, logout and password reset, through the web forms."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import db
from app.models import User


def test_register_and_login(client, auth):
    assert client.get("/auth/register").status_code == 200
    response = auth.register("Susan", "Susan@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    user = db.session.scalar(sa.select(User))
    assert (user.username, user.email) == ("Susan", "Susan@Example.com")
    assert user.check_password("correct horse")

    response = auth.login("susan")  # usernames match in any case
    assert response.status_code == 302
    assert response.headers["Location"] == "/index"
    assert b"Hi, Susan!" in client.get("/index").data


@pytest.mark.parametrize(("form", "message"), [
    ({"username": ""}, "This field is required."),
    ({"username": "x" * 65}, "Field must be between 1 and 64 characters long."),
    ({"username": "bad name"}, "Usernames may contain only letters, digits"),
    ({"username": "<script>"}, "Usernames may contain only letters, digits"),
    ({"email": ""}, "This field is required."),
    ({"email": "not-an-email"}, "Invalid email address."),
    ({"email": "a" * 110 + "@example.com"}, "Field cannot be longer than 120 characters."),
    ({"password": "", "password2": ""}, "This field is required."),
    ({"password": "short", "password2": "short"}, "Passwords must be 8 to 128 characters long."),
    ({"password": "x" * 129, "password2": "x" * 129}, "Passwords must be 8 to 128 characters long."),
    ({"password2": "something else"}, "Passwords must match."),
    ({"username": "SUSAN"}, "This username is already taken."),
    ({"email": "SUSAN@example.com"}, "This email address is already registered."),
])
def test_register_rejects_bad_input(client, susan, form, message):
    data = {"username": "john", "email": "john@example.com", "password": "correct horse",
            "password2": "correct horse", **form}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_register_race_shows_form_error(client, app):
    """Validation passed, then another request took the name before commit."""
    # The validator sees a free name; the row appears just before our flush.
    @sa.event.listens_for(db.session, "before_flush", once=True)
    def someone_else_registers(session, flush_context, instances) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(User).values(username="SUSAN", email="other@example.com"))

    response = client.post("/auth/register", data={
        "username": "susan", "email": "susan@example.com",
        "password": "correct horse", "password2": "correct horse"})
    assert response.status_code == 200
    assert "This username is already taken." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(User.username)).all() == ["SUSAN"]


@pytest.mark.parametrize(("username", "password"), [
    ("susan", "wrong password"),
    ("nobody", "correct horse"),
])
def test_login_failure_gives_one_message(client, auth, susan, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert "Invalid username or password." in response.get_data(as_text=True)
    assert client.get("/index").status_code == 302  # still anonymous


@pytest.mark.parametrize("form", [{"username": ""}, {"password": ""}, {"username": "x" * 65}])
def test_login_rejects_bad_input(auth, susan, form):
    data = {"username": "susan", "password": "correct horse", **form}
    response = auth.login(**data)
    assert response.status_code == 200
    assert re.search(r"This field is required\.|cannot be longer", response.get_data(as_text=True))


def test_login_required_redirects_with_next(client):
    response = client.get("/edit_profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_login_follows_local_next(client, auth, susan):
    response = client.post("/auth/login?next=/edit_profile",
                           data={"username": "susan", "password": "correct horse"})
    assert response.headers["Location"] == "/edit_profile"


@pytest.mark.parametrize("target", [
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "/\\/evil.com",
    "https://evil.com",
    "http://evil.com/index",
    "javascript:alert(1)",
    "evil.com",
    "/\t/evil.com",
    "/%09/evil.com".replace("%09", "\t"),
    " //evil.com",
    "",
])
def test_login_ignores_foreign_next(client, susan, target):
    response = client.post("/auth/login", query_string={"next": target},
                           data={"username": "susan", "password": "correct horse"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/index"


def test_remember_me_sets_cookie(client, auth, susan):
    auth.login(remember_me="y")
    assert client.get_cookie("remember_token") is not None


def test_login_without_remember_me_sets_no_remember_cookie(client, auth, susan):
    auth.login()
    assert client.get_cookie("remember_token") is None


def test_logout(client, auth, logged_in):
    assert client.get("/index").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "You have been logged out." in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/index").status_code == 302


def test_logout_by_get_only_asks(client, logged_in):
    page = client.get("/auth/logout").get_data(as_text=True)
    assert 'action="/auth/logout"' in page
    assert client.get("/index").status_code == 200  # still logged in


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/reset_password_request",
                                  "/auth/reset_password/anything"])
def test_logged_in_users_are_sent_home(client, logged_in, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/index"
