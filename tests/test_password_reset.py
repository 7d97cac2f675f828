"""Password reset, with the email received by a real SMTP server."""
from __future__ import annotations

import re
import socket
import time

import pytest

from app import db
from app.models import User


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "PUBLIC_URL": "http://microblog.test"}


def reset_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://microblog\.test(/auth/reset_password/\S+)", text)
    assert match, text
    return match.group(1)


def test_reset_password_email_and_flow(client, auth, susan, smtp):
    response = client.post("/auth/reset_password_request", data={"email": "SUSAN@example.com"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")

    (message,) = smtp.inbox.wait_for(1)
    assert message["Subject"] == "[Microblog] Reset Your Password"
    assert message["To"] == "susan@example.com"
    assert message["From"] == "microblog@example.com"
    html = message.get_body(preferencelist=("html",)).get_content()
    path = reset_link(message)
    assert path in html

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "a brand new one", "password2": "a brand new one"})
    assert response.status_code == 302
    assert auth.login("susan", "a brand new one").status_code == 302
    auth.logout()

    # The link worked once; now it is spent.
    response = client.get(path, follow_redirects=True)
    assert "invalid or has expired" in response.get_data(as_text=True)


def test_reset_request_does_not_wait_for_a_silent_mail_server(client, susan, app):
    """A server that accepts the connection and never answers: the request
    still completes (sending happens in the background, with a timeout)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config["MAIL_PORT"] = silent.getsockname()[1]
        app.config["MAIL_TIMEOUT"] = 1
        app.extensions["mail"].port = app.config["MAIL_PORT"]
        response = client.post("/auth/reset_password_request", data={"email": "susan@example.com"})
        assert response.status_code == 302
        conn, _ = silent.accept()  # the background sender did connect
        conn.close()


def test_reset_request_for_unknown_email_looks_the_same(client, susan, smtp):
    known = client.post("/auth/reset_password_request", data={"email": "susan@example.com"},
                        follow_redirects=True)
    unknown = client.post("/auth/reset_password_request", data={"email": "nobody@example.com"},
                          follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in unknown.get_data(as_text=True)
    smtp.inbox.wait_for(1)
    time.sleep(0.3)
    assert len(smtp.inbox.messages) == 1


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_reset_request_rejects_bad_email(client, email):
    response = client.post("/auth/reset_password_request", data={"email": email})
    assert response.status_code == 200
    assert re.search(r"This field is required\.|Invalid email address\.", response.get_data(as_text=True))


@pytest.mark.parametrize("token", ["forged", "eyJyZXNldF9wYXNzd29yZCI6MX0.forged.signature"])
def test_forged_token_flashes_and_redirects(client, susan, token):
    response = client.get(f"/auth/reset_password/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/reset_password_request")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "invalid or has expired" in page


def test_expired_token_flashes_and_redirects(client, susan, app):
    token = susan.get_reset_password_token()
    app.config["RESET_TOKEN_MAX_AGE"] = -1
    response = client.post(f"/auth/reset_password/{token}",
                           data={"password": "a brand new one", "password2": "a brand new one"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, susan.id).check_password("correct horse")


@pytest.mark.parametrize(("password", "password2", "message"), [
    ("short", "short", "Passwords must be 8 to 128 characters long."),
    ("a brand new one", "another one", "Passwords must match."),
    ("", "", "This field is required."),
])
def test_reset_form_rejects_bad_passwords(client, susan, password, password2, message):
    token = susan.get_reset_password_token()
    response = client.post(f"/auth/reset_password/{token}", data={"password": password, "password2": password2})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
