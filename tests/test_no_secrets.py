"""No secret in what the app shows or keeps.

After a realistic session (register, log in with "remember me", post, reset
the password by email, get and use an API token, hit an unhandled error with
error emails on and logs written to files), nothing it answered, logged,
mailed or exported holds a password, a password hash, the API token, the
reset token, a session or remember-me cookie, or SECRET_KEY, except where
one belongs: the cookie that sets it, the answer that issues the API token,
the email that carries the reset link.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from app import db
from app.models import Post, User
from app.observability.requestlog import flush_request_log
from tests.conftest import IsolatedClient
from tests.support.answers import basic, bearer, csrf_token
from tests.support.libretranslate import LibreTranslateStandIn

PASSWORD = "Horse-Battery-Staple-7351"  # nothing in them that HTML or a URL would escape
NEW_PASSWORD = "Brand-New-Secret-9431"
TRANSLATE_KEY = "LibreTranslate-Key-2718"


class RecordingClient(IsolatedClient):
    """A browser that keeps every response it receives."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().open(*args, **kwargs)
        self.__dict__.setdefault("seen", []).append(response)
        return response


@dataclass
class Record:
    """What one realistic session left behind, and the secrets it involved."""

    secrets: dict[str, str]
    responses: list[TestResponse]
    token_response: TestResponse
    reset_email: EmailMessage
    error_emails: list[EmailMessage]
    logs: dict[str, str]
    metrics: str


@pytest.fixture
def stand_in():
    with LibreTranslateStandIn(api_keys={TRANSLATE_KEY}) as server:
        yield server


@pytest.fixture
def app_config(smtp, tmp_path, stand_in):
    return {
        "TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": stand_in.url, "LIBRETRANSLATE_API_KEY": TRANSLATE_KEY,
        "WTF_CSRF_ENABLED": True, "PROPAGATE_EXCEPTIONS": False, "ERROR_EMAILS": True,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_TIMEOUT": 2, "ERROR_EMAIL_RETRY": 0.2,
        "LOG_TO_FILE": True, "LOG_DIR": str(tmp_path / "logs"),
    }


def _post_form(browser, page: str, path: str | None = None, **fields: str) -> TestResponse:  # type: ignore[no-untyped-def]
    """Fill in the form on ``page`` (with its CSRF token) and submit it."""
    response = browser.post(path or page, data={**fields, "csrf_token": csrf_token(browser, page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _password_hash() -> str:
    db.session.remove()
    return db.session.scalar(sa.select(User.password_hash))


@pytest.fixture
def record(app: Flask, smtp, tmp_path: Path, stand_in) -> Record:  # type: ignore[no-untyped-def]
    @app.route("/test/boom", methods=["GET", "POST"])
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("kaboom")

    app.test_client_class = RecordingClient
    browser = app.test_client()
    cookies: dict[str, set[str]] = {"session": set(), "remember_token": set()}

    def keep_cookies() -> None:
        for name, values in cookies.items():
            cookie = browser.get_cookie(name)
            if cookie is not None:
                values.add(cookie.value)

    # Register, log in and remember me, post, look around, edit the profile.
    _post_form(browser, "/auth/register", username="susan", email="susan@example.com", password=PASSWORD,
               password2=PASSWORD)
    _post_form(browser, "/auth/login", username="susan", password=PASSWORD, remember_me="y")
    keep_cookies()
    _post_form(browser, "/index", post="my first post")
    for page in ("/index", "/explore", "/user/susan", "/edit_profile"):
        assert browser.get(page).status_code == 200
    _post_form(browser, "/edit_profile", username="susan", about_me="about me", language="en")
    keep_cookies()

    # Translate a post (the provider's API key goes to it, and nowhere else), once with the provider failing.
    db.session.execute(sa.update(Post).values(language="es"))
    db.session.commit()
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', browser.get("/explore").get_data(as_text=True))
    headers = {"Accept": "application/json", "X-CSRFToken": meta.group(1)}  # type: ignore[union-attr]
    post_id = db.session.scalar(sa.select(Post.id))
    stand_in.mode = "server_error"
    assert browser.post("/translate", json={"post_id": post_id, "dest": "en"}, headers=headers).status_code == 503
    stand_in.mode = "ok"
    assert browser.post("/translate", json={"post_id": post_id, "dest": "en"}, headers=headers).status_code == 200
    assert [r.get("api_key") for r in stand_in.requests] == [TRANSLATE_KEY, TRANSLATE_KEY]
    old_hash = _password_hash()

    # Forget the password: log out, ask for a reset, follow the link.
    _post_form(browser, "/index", "/auth/logout")
    _post_form(browser, "/auth/reset_password_request", email="susan@example.com")
    (reset_email,) = smtp.inbox.wait_for(1)
    text = reset_email.get_body(preferencelist=("plain",)).get_content()
    reset_token = re.search(r"/auth/reset_password/(\S+)", text).group(1)  # type: ignore[union-attr]
    _post_form(browser, f"/auth/reset_password/{reset_token}", password=NEW_PASSWORD, password2=NEW_PASSWORD)
    _post_form(browser, "/auth/login", username="susan", password=NEW_PASSWORD, remember_me="y")
    keep_cookies()
    new_hash = _password_hash()

    # The API: a token, used for reads and writes; a failed attempt too.
    token_response = browser.post("/api/tokens", headers=basic("susan", NEW_PASSWORD))
    api_token = token_response.get_json()["token"]
    assert browser.post("/api/tokens", headers=basic("susan", PASSWORD)).status_code == 401
    for method, path, body in [("GET", "/api/users", None), ("POST", "/api/posts", {"body": "via the API"}),
                               ("GET", "/api/posts", None), ("PUT", "/api/users/1", {"about_me": "changed"}),
                               ("GET", "/api/users/1", None)]:
        assert browser.open(path, method=method, json=body, headers=bearer(api_token)).status_code < 300

    # An unhandled error, signed in, with a password in the form and the token in a header.
    response = browser.post("/test/boom", data={"password": NEW_PASSWORD, "about_me": "x",
                                                "csrf_token": csrf_token(browser, "/index")}, headers=bearer(api_token))
    assert response.status_code == 500
    error_emails = smtp.inbox.wait_for(2)[1:]
    assert app.extensions["error_emails"].wait_idle(10)

    metrics = browser.get("/metrics")
    assert metrics.status_code == 200
    keep_cookies()

    flush_request_log()  # it is written from a background thread
    log_dir = tmp_path / "logs"
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in log_dir.iterdir()}
    assert {"microblog.log", "error.log", "requests.log"} <= logs.keys()
    assert "RuntimeError: kaboom" in logs["error.log"]

    secrets = {
        "the password": PASSWORD,
        "the new password": NEW_PASSWORD,
        "the password hash": old_hash.rsplit("$", 1)[1],
        "the new password hash": new_hash.rsplit("$", 1)[1],
        "the API token": api_token,
        "the reset token": reset_token,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "the LibreTranslate API key": TRANSLATE_KEY,
    }
    for name, values in cookies.items():
        assert values, f"no {name} cookie was set"
        for n, value in enumerate(sorted(values)):
            secrets[f"a {name} cookie #{n}"] = value
            if name == "remember_token":  # "id|digest": the digest is the secret part
                secrets[f"a {name} digest #{n}"] = value.split("|", 1)[1]
    return Record(secrets=secrets, responses=list(browser.seen), token_response=token_response,
                  reset_email=reset_email, error_emails=error_emails, logs=logs, metrics=metrics.get_data(as_text=True))


def _found(secrets: dict[str, str], text: str) -> set[str]:
    return {name for name, value in secrets.items() if value in text}


def _email_text(message: EmailMessage) -> str:
    return message.as_string() + "".join(part.get_content() for part in message.walk() if not part.is_multipart())


def _response_leaks(record: Record) -> dict[str, set[str]]:
    """The secrets in each answer, but for those in the cookie that sets them and the token issued."""
    leaks: dict[str, set[str]] = {}
    for n, response in enumerate(record.responses):
        where = f"answer {n}: {response.request.method} {response.request.path} ({response.status_code})"
        if response is not record.token_response:
            leaks[f"{where} body"] = _found(record.secrets, response.get_data(as_text=True))
        for header, value in response.headers.items():
            found = _found(record.secrets, value)
            if header == "Set-Cookie":  # the cookie it sets is its own business, and nothing else
                (cookie_name,) = SimpleCookie(value).keys()
                found = {name for name in found if f" {cookie_name} " not in name}
            leaks[f"{where} {header}"] = leaks.get(f"{where} {header}", set()) | found
    return leaks


def test_the_session_involved_every_secret(record):
    """The scans below look for these; each must be real and distinct for them to mean anything."""
    assert len(set(record.secrets.values())) == len(record.secrets)
    assert all(len(value) >= 16 for value in record.secrets.values())
    assert record.token_response.get_json()["token"] == record.secrets["the API token"]
    assert record.secrets["the reset token"] in _email_text(record.reset_email)
    assert len(record.error_emails) == 1


def test_no_secret_where_it_does_not_belong(record):
    others = {name: value for name, value in record.secrets.items() if name != "the reset token"}
    leaks = {
        **_response_leaks(record),
        **{f"error email {n}": _found(record.secrets, _email_text(message))
           for n, message in enumerate(record.error_emails)},
        "the reset email": _found(record.secrets, _email_text(record.reset_email)) - {"the reset token"},
        "/metrics": _found(record.secrets, record.metrics),
        # The reset token in the logs: test_no_reset_token_in_the_logs.
        **{f"log file {name}": _found(others, text) for name, text in record.logs.items()},
    }
    assert {where: found for where, found in leaks.items() if found} == {}


def test_no_reset_token_in_the_logs(record):
    assert {name for name, text in record.logs.items() if record.secrets["the reset token"] in text} == set()
