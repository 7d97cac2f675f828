"""The hostile-input catalogue: open redirects, stored XSS, SQL injection,
CSRF, session fixation, account enumeration, oversize bodies and header
injection, each payload with a test of its own.

Timing attacks on login are in test_security.py; the fuzzing in test_fuzz.py.
"""
from __future__ import annotations

import html.parser
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import request
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from app import db
from app.models import Post, User
from app.observability.requestlog import flush_request_log
from tests.conftest import IsolatedClient, make_user
from tests.support import hostile as h
from tests.support.answers import (
    assert_api_answer,
    assert_form_answer,
    assert_page,
    assert_problem,
    basic,
    bearer,
    csrf_token,
    field_errors,
    flashes,
    is_local,
)
from tests.support.rows import snapshot, table_names

SUSAN = {"username": "susan", "password": "correct horse"}
BAD_LOGIN = "Invalid username or password."


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def new_visitor(app) -> FlaskClient:  # type: ignore[no-untyped-def]
    """Another browser, with cookies of its own, whose requests run like a server's."""
    app.test_client_class = IsolatedClient
    return app.test_client()


def signed_in(app, username: str = "susan") -> FlaskClient:  # type: ignore[no-untyped-def]
    browser = new_visitor(app)
    assert browser.post("/auth/login", data={"username": username, "password": "correct horse"}).status_code == 302
    return browser


class TestOpenRedirect:
    """Login's ?next= only ever leads to a page of this site."""

    @pytest.mark.parametrize("sent_as", ["as is", "percent-encoded"])
    @pytest.mark.parametrize("target", h.OPEN_REDIRECTS)
    def test_next_never_leaves_the_site(self, client, susan, target, sent_as):
        query = "next=" + (target if sent_as == "as is" else quote(target, safe=""))
        response = client.post(f"/auth/login?{query}", data=SUSAN)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert is_local(location), location
        assert "\r" not in location and "\n" not in location

    def test_a_local_next_is_followed(self, client, susan):
        response = client.post("/auth/login?next=" + quote("/explore?page=2"), data=SUSAN)
        assert response.headers["Location"] == "/explore?page=2"

    @pytest.mark.parametrize("target", ["//evil.com", "https://evil.com"])
    def test_when_already_signed_in(self, client, logged_in, target):
        response = client.get("/auth/login", query_string={"next": target})
        assert response.headers["Location"] == "/index"


class _Text(html.parser.HTMLParser):
    """A page's text, chunk by chunk, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


class TestStoredXSS:
    """What people type is shown as text on every page, served as data by the
    API, and mailed as plain text."""

    PAGES = ["/index", "/explore", "/user/susan"]

    @staticmethod
    def assert_escaped(body: str, payload: str) -> None:
        """``payload`` reads as typed in the page's text and is nowhere in its
        markup. (A rendered post writes a quote raw in text, where markupsafe
        writes &#34;: both are text, so the page's text is compared.)"""
        text = _Text()
        text.feed(body)
        assert any(payload in chunk for chunk in text.chunks)
        if str(escape(payload)) != payload:
            assert payload not in body

    @pytest.mark.parametrize("via", ["form", "API"])
    @pytest.mark.parametrize("payload", h.XSS)
    def test_post(self, client, logged_in, token, payload, via):
        if via == "form":
            assert client.post("/index", data={"post": payload}).status_code == 302
        else:
            response = client.post("/api/posts", json={"body": payload}, headers=bearer(token))
            assert response.status_code == 201
        for page in self.PAGES:
            self.assert_escaped(client.get(page).get_data(as_text=True), payload)
        post_id = db.session.scalar(sa.select(Post.id))
        response = client.get(f"/api/posts/{post_id}", headers=bearer(token))
        assert response.mimetype == "application/json"  # data, never a page a browser would render
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_json()["body"] == payload  # stored as typed

    @pytest.mark.parametrize("payload", h.XSS)
    def test_about_me(self, client, logged_in, token, payload):
        response = client.post("/edit_profile", data={"username": "susan", "about_me": payload})
        assert response.status_code == 302
        for page in ("/user/susan", "/edit_profile"):  # the profile, and the form's textarea
            self.assert_escaped(client.get(page).get_data(as_text=True), payload)
        response = client.get(f"/api/users/{logged_in.id}", headers=bearer(token))
        assert response.mimetype == "application/json"
        assert response.get_json()["about_me"] == payload

    @pytest.mark.parametrize("payload", h.XSS)
    def test_nothing_typed_in_a_url_is_reflected(self, client, logged_in, payload):
        for url in (f"/user/{quote(payload, safe='')}", f"/index?page={quote(payload)}",
                    f"/auth/login?next={quote(payload)}", f"/no/such/{quote(payload, safe='')}"):
            response = client.get(url)
            assert response.status_code < 500
            if str(escape(payload)) != payload:
                assert payload not in response.get_data(as_text=True), url

    @pytest.mark.parametrize("payload", h.XSS)
    def test_username_is_refused(self, app, client, susan, token, payload):
        """Usernames allow only [A-Za-z0-9_.-]: nothing to escape, nowhere to hide markup."""
        rule = "Usernames may contain only letters, digits, dots, dashes and underscores."
        response = client.post("/auth/register", data={"username": payload, "email": "x@example.com",
                                                       "password": "long enough", "password2": "long enough"})
        assert rule in field_errors(response)
        response = signed_in(app).post("/edit_profile", data={"username": payload, "about_me": ""})
        assert rule in field_errors(response)
        response = client.post("/api/users", json={"username": payload, "email": "y@example.com",
                                                   "password": "long enough"})
        assert assert_problem(response, 400)["errors"]["username"] == [rule]
        response = client.put(f"/api/users/{susan.id}", json={"username": payload}, headers=bearer(token))
        assert assert_problem(response, 400)["errors"]["username"] == [rule]
        assert db.session.scalars(sa.select(User.username)).all() == ["susan"]


class TestErrorEmailIsPlainText:
    @pytest.fixture
    def app_config(self, smtp, tmp_path):
        return {"PROPAGATE_EXCEPTIONS": False, "ERROR_EMAILS": True, "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": smtp.port, "LOG_TO_FILE": True, "LOG_DIR": str(tmp_path), "MAIL_TIMEOUT": 2}

    @pytest.fixture(autouse=True)
    def boom(self, app):
        @app.route("/test/boom", methods=["POST"])
        def boom():
            raise RuntimeError(f"kaboom with {request.form.get('about_me')}")

    @pytest.mark.parametrize("payload", h.XSS)
    def test_hostile_values_in_the_error_email(self, client, smtp, payload):
        response = client.post("/test/boom", data={"about_me": payload},
                               headers={"User-Agent": payload, "X-Hostile": payload})
        assert response.status_code == 500
        (message,) = smtp.inbox.wait_for(1)
        # Plain text only: no part a mail client would render as HTML.
        assert not message.is_multipart()
        assert message.get_content_type() == "text/plain"
        body = message.get_content()
        assert f"about_me: {payload}" in body and f"User agent: {payload}" in body  # as typed, for the admin


def _visitor_targets() -> dict[str, Callable]:
    return {
        "login username": lambda c, p: c.post("/auth/login", data={"username": p, "password": "correct horse"}),
        "login password": lambda c, p: c.post("/auth/login", data={"username": "susan", "password": p}),
        "register, every field": lambda c, p: c.post("/auth/register", data=dict.fromkeys(
            ("username", "email", "password", "password2"), p)),
        "register email": lambda c, p: c.post("/auth/register", data={
            "username": "newbie", "email": p, "password": "long enough", "password2": "long enough"}),
        "reset request email": lambda c, p: c.post("/auth/reset_password_request", data={"email": p}),
        "reset token in the path": lambda c, p: c.post(f"/auth/reset_password/{quote(p, safe='')}",
                                                       data={"password": "long enough", "password2": "long enough"}),
        "login ?next=": lambda c, p: c.get("/auth/login", query_string={"next": p}),
    }


def _member_targets() -> dict[str, Callable]:
    return {
        "profile path": lambda c, p: c.get("/user/" + quote(p, safe="")),
        "follow path": lambda c, p: c.post("/follow/" + quote(p, safe="")),
        "unfollow path": lambda c, p: c.post("/unfollow/" + quote(p, safe="")),
        "feed ?page=": lambda c, p: c.get("/index", query_string={"page": p}),
        "explore ?page=": lambda c, p: c.get("/explore", query_string={"page": p}),
        "profile ?page=": lambda c, p: c.get("/user/susan", query_string={"page": p}),
        "edit profile username": lambda c, p: c.post("/edit_profile", data={"username": p, "about_me": ""}),
    }


def _api_targets() -> dict[str, Callable]:
    return {
        "API register, every field": lambda c, p, t: c.post("/api/users", json=dict.fromkeys(
            ("username", "email", "password"), p)),
        "API username": lambda c, p, t: c.put("/api/users/1", json={"username": p}, headers=bearer(t)),
        "API email": lambda c, p, t: c.put("/api/users/1", json={"email": p}, headers=bearer(t)),
        "API token username": lambda c, p, t: c.post("/api/tokens", headers=basic(p, "correct horse")),
        "API token password": lambda c, p, t: c.post("/api/tokens", headers=basic("susan", p)),
        "API bearer token": lambda c, p, t: c.get("/api/users", headers=bearer(p)),
        "API ?page=": lambda c, p, t: c.get("/api/users", query_string={"page": p}, headers=bearer(t)),
        "API ?per_page=": lambda c, p, t: c.get("/api/posts", query_string={"per_page": p}, headers=bearer(t)),
        "API user id": lambda c, p, t: c.get("/api/users/" + quote(p, safe=""), headers=bearer(t)),
        "API post id": lambda c, p, t: c.get("/api/posts/" + quote(p, safe=""), headers=bearer(t)),
    }


def answered(response: TestResponse) -> str:
    """A page for a GET; for a POST, also a message when it is refused."""
    return (assert_page if response.request.method == "GET" else assert_form_answer)(response)


class TestSQLInjection:
    """Every field and parameter, with each classic injection: no 5xx, no
    data changed, every table still there. (Values are always bound
    parameters; this proves it stays so.)"""

    @pytest.fixture
    def population(self, susan, john) -> None:
        susan.follow(john)
        db.session.add(Post(body="hello", author=john))
        db.session.commit()

    @pytest.mark.parametrize("payload", h.SQL_INJECTION)
    def test_rejected_everywhere_and_nothing_changes(self, app, client, population, token, payload):
        member = signed_in(app)
        tables = table_names()
        assert {"user", "post", "followers"} <= tables
        before = snapshot()
        for name, target in _visitor_targets().items():
            answered(target(new_visitor(app), payload))
            assert snapshot() == before, name
        for name, target in _member_targets().items():
            answered(target(member, payload))
            assert snapshot() == before, name
        for name, target in _api_targets().items():
            assert not assert_api_answer(target(client, payload, token)), name
            assert snapshot() == before, name
        assert table_names() == tables

    @pytest.mark.parametrize("payload", h.SQL_INJECTION)
    @pytest.mark.parametrize("field", ["post", "about_me", "API post", "API about_me"])
    def test_accepted_text_is_stored_as_typed(self, app, client, population, token, field, payload):
        member = signed_in(app)
        before = snapshot()
        if field == "post":
            assert member.post("/index", data={"post": payload}).status_code == 302
        elif field == "about_me":
            assert member.post("/edit_profile", data={"username": "susan", "about_me": payload}).status_code == 302
        elif field == "API post":
            assert client.post("/api/posts", json={"body": payload}, headers=bearer(token)).status_code == 201
        else:
            assert client.put("/api/users/1", json={"about_me": payload}, headers=bearer(token)).status_code == 200
        after = snapshot()
        if "post" in field:
            assert after["post"][:-1] == before["post"] and after["post"][-1][1] == payload
            assert after["user"] == before["user"]
        else:
            assert db.session.scalar(sa.select(User.about_me).where(User.username == "susan")) == payload
            assert [row[:4] for row in after["user"]] == [row[:4] for row in before["user"]]  # id, names, hash
            assert after["post"] == before["post"]
        assert after["followers"] == before["followers"]

    @pytest.mark.parametrize(("username", "password"), [
        ("' OR '1'='1", "' OR '1'='1"),
        ("' OR '1'='1' --", "anything"),
        ("susan' --", "anything"),
        ("susan", "' OR '1'='1"),
        ('" OR 1=1 --', '" OR 1=1 --'),
        ("' UNION SELECT 1, 'susan' --", "x"),
    ])
    def test_injection_does_not_log_in(self, app, client, auth, susan, username, password):
        response = auth.login(username, password)
        assert response.status_code == 200 and flashes(response) == [BAD_LOGIN]
        assert client.get("/index").status_code == 302  # still signed out
        assert_problem(client.post("/api/tokens", headers=basic(username, password)), 401)
        assert db.session.scalar(sa.select(User.token_hash)) is None


class TestCSRF:
    """Every form refuses a POST without this session's CSRF token; the API,
    authorised by tokens and never by cookies, needs none."""

    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False, "MAIL_SUPPRESS_SEND": True}

    # name: (page with the form, where it posts, signed in, fields)
    FORMS = {
        "login": ("/auth/login", "/auth/login", False, SUSAN),
        "register": ("/auth/register", "/auth/register", False, {"username": "newbie", "email": "newbie@example.com",
                                                                  "password": "long enough",
                                                                  "password2": "long enough"}),
        "reset request": ("/auth/reset_password_request", "/auth/reset_password_request", False,
                          {"email": "susan@example.com"}),
        "reset": ("/auth/reset_password/<token>", "/auth/reset_password/<token>", False,
                  {"password": "brand new one", "password2": "brand new one"}),
        "post": ("/index", "/index", True, {"post": "forged"}),
        "edit profile": ("/edit_profile", "/edit_profile", True, {"username": "forged", "about_me": "forged"}),
        "follow": ("/user/john", "/follow/john", True, {}),
        "unfollow": ("/user/john", "/unfollow/john", True, {}),
        "logout": ("/index", "/auth/logout", True, {}),
    }

    def browser(self, app, signed_in_as: str | None) -> FlaskClient:  # type: ignore[no-untyped-def]
        browser = new_visitor(app)
        if signed_in_as:
            token = csrf_token(browser, "/auth/login")
            response = browser.post("/auth/login", data={"username": signed_in_as, "password": "correct horse",
                                                         "csrf_token": token})
            assert response.status_code == 302
        return browser

    @pytest.mark.parametrize("csrf", ["missing", "another session's", "valid"])
    @pytest.mark.parametrize("form", FORMS)
    def test_forms(self, app, susan, john, form, csrf):
        make_user("eve")
        susan.follow(john)
        db.session.commit()
        page, path, needs_login, data = self.FORMS[form]
        reset = susan.get_reset_password_token()
        page, path = page.replace("<token>", reset), path.replace("<token>", reset)
        victim = self.browser(app, "susan" if needs_login else None)
        attacker = self.browser(app, "eve" if needs_login else None)
        tokens = {"missing": {}, "another session's": {"csrf_token": csrf_token(attacker, page)},
                  "valid": {"csrf_token": csrf_token(victim, page)}}
        before = snapshot()
        response = victim.post(path, data={**data, **tokens[csrf]})
        if csrf == "valid":  # the control: the same POST with the right token goes through
            assert response.status_code == 302, response.get_data(as_text=True)
            return
        assert response.status_code == 400
        assert "did not come from this site" in response.get_data(as_text=True)
        assert snapshot() == before
        assert victim.get("/index").status_code == (200 if needs_login else 302)  # not logged in, nor out

    def test_api_needs_no_csrf_token(self, client, susan, token):
        assert client.post("/api/users", json={"username": "api", "email": "api@example.com",
                                               "password": "long enough"}).status_code == 201
        assert client.post("/api/posts", json={"body": "hi"}, headers=bearer(token)).status_code == 201
        assert client.put(f"/api/users/{susan.id}", json={"about_me": "x"}, headers=bearer(token)).status_code == 200
        assert client.delete("/api/tokens", headers=bearer(token)).status_code == 204

    def test_api_ignores_the_session_cookie(self, app, susan):
        """So a page on another site cannot use a signed-in browser's cookies to call it."""
        browser = self.browser(app, "susan")
        assert_problem(browser.post("/api/posts", json={"body": "forged"}), 401)
        assert_problem(browser.get("/api/users"), 401)
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0


class TestSessionFixation:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}  # as in production: the login page starts a session

    @pytest.mark.parametrize("remember", [False, True])
    def test_a_session_from_before_login_grants_nothing(self, app, client, susan, remember):
        token = csrf_token(client, "/auth/login")
        planted = client.get_cookie("session").value  # what an attacker would have fixed in the victim's browser
        extra = {"remember_me": "y"} if remember else {}
        response = client.post("/auth/login", data={**SUSAN, "csrf_token": token, **extra})
        assert response.status_code == 302
        assert client.get_cookie("session").value != planted
        assert client.get("/index").status_code == 200
        attacker = new_visitor(app)
        attacker.set_cookie("session", planted)
        response = attacker.get("/index")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")

    @pytest.mark.parametrize("cookie", ["session", "remember_token"])
    def test_stolen_cookies_stop_working_after_a_password_reset(self, app, client, susan, cookie):
        token = csrf_token(client, "/auth/login")
        client.post("/auth/login", data={**SUSAN, "csrf_token": token, "remember_me": "y"})
        stolen = client.get_cookie(cookie).value
        reset = susan.get_reset_password_token()
        victim = new_visitor(app)  # resets from another device, signed out
        token = csrf_token(victim, f"/auth/reset_password/{reset}")
        response = victim.post(f"/auth/reset_password/{reset}", data={
            "password": "a brand new one", "password2": "a brand new one", "csrf_token": token})
        assert response.status_code == 302
        attacker = new_visitor(app)
        attacker.set_cookie(cookie, stolen)
        assert attacker.get("/index").status_code == 302


# Headers whose values differ from one response to the next anyway.
TIMED_OR_SIGNED = {"Set-Cookie", "X-RateLimit-Reset", "Retry-After"}


class TestAccountEnumeration:
    """Nothing tells whether an account exists. (Their timing: test_security.py.)"""

    @pytest.fixture
    def app_config(self, smtp):
        # Throttling on, as in production: its headers must not tell either.
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}

    @staticmethod
    def comparable(response: TestResponse, typed: str) -> tuple:
        body = response.get_data(as_text=True).replace(f'value="{typed}"', 'value="…"')
        headers = sorted((name, "…" if name in TIMED_OR_SIGNED else value) for name, value in response.headers.items()
                         if name not in ("X-Request-ID", "Content-Length"))
        return response.status_code, headers, body

    def test_login_form(self, client, auth, susan):
        unknown = auth.login("nobody", "correct horse")
        wrong = auth.login("susan", "wrong password")
        assert flashes(unknown) == flashes(wrong) == [BAD_LOGIN]
        assert self.comparable(unknown, "nobody") == self.comparable(wrong, "susan")

    def test_api_token(self, client, susan):
        unknown = client.post("/api/tokens", headers=basic("nobody", "correct horse"))
        wrong = client.post("/api/tokens", headers=basic("susan", "wrong password"))
        docs = [assert_problem(response, 401) for response in (unknown, wrong)]
        for doc in docs:
            del doc["request_id"]
        assert docs[0] == docs[1]
        assert self.comparable(unknown, "")[:2] == self.comparable(wrong, "")[:2]

    def test_reset_request(self, client, susan, smtp):
        answers = []
        for email in ("nobody@example.com", "susan@example.com", "NOBODY@example.org"):
            response = client.post("/auth/reset_password_request", data={"email": email})
            answers.append((response.status_code, response.headers["Location"],
                            tuple(flashes(client.get(response.headers["Location"])))))
        assert set(answers) == {
            (302, "/auth/login", ("Check your email for the instructions to reset your password.",))}
        (message,) = smtp.inbox.wait_for(1)
        time.sleep(0.3)  # time for a second email, were one sent
        assert len(smtp.inbox.messages) == 1 and message["To"] == "susan@example.com"


class TestOversizeBodies:
    """Past MAX_CONTENT_LENGTH (1 MiB): 413 with the error page or a problem document, nothing stored."""

    LIMIT = 1024 * 1024

    FORMS = {  # path: (signed in, fields)
        "/auth/register": (False, {"username": "big", "email": "big@example.com", "password": "long enough",
                                   "password2": "long enough"}),
        "/auth/login": (False, SUSAN),
        "/index": (True, {}),
        "/edit_profile": (True, {"username": "susan"}),
    }

    @pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
    @pytest.mark.parametrize("path", FORMS)
    def test_form(self, app, susan, path, encoding):
        needs_login, fields = self.FORMS[path]
        browser = signed_in(app) if needs_login else new_visitor(app)
        big = "x" * (self.LIMIT + 1)
        data = {**fields, "post": big, "about_me": big}
        if encoding == "multipart":
            data["attachment"] = h.file_upload(b"y")
        before = snapshot()
        response = browser.post(path, data=data)
        assert response.status_code == 413
        assert assert_page(response) == "error"
        assert snapshot() == before

    @pytest.mark.parametrize(("method", "path", "field"), [
        ("POST", "/api/users", "about_me"), ("PUT", "/api/users/1", "about_me"), ("POST", "/api/posts", "body")])
    def test_api(self, client, token, method, path, field):
        before = snapshot()
        body = json.dumps({"username": "big", "email": "big@example.com", "password": "long enough",
                           field: "x" * (self.LIMIT + 1)} if path == "/api/users" else {field: "x" * (self.LIMIT + 1)})
        response = client.open(path, method=method, data=body, content_type="application/json",
                               headers=bearer(token))
        assert_problem(response, 413)
        assert snapshot() == before


class TestRequestIdHeader:
    """X-Request-ID is reused only when it is a sane id; anything else is
    replaced, and never reaches a response or a log."""

    @pytest.fixture
    def app_config(self, tmp_path):
        return {"LOG_TO_FILE": True, "LOG_DIR": str(tmp_path)}

    @staticmethod
    def logged_requests(log_dir: Path) -> list[dict]:
        flush_request_log()  # it is written from a background thread
        return [json.loads(line) for line in (log_dir / "requests.log").read_text().splitlines()]

    @pytest.mark.parametrize("path", ["/auth/login", "/api/users", "/no/such/page"])
    @pytest.mark.parametrize("value", h.BAD_REQUEST_IDS)
    def test_hostile_values_are_replaced(self, client, tmp_path, value, path):
        # Passed in the WSGI environ: Werkzeug's client itself refuses CR/LF in a header.
        response = client.get(path, environ_base={"HTTP_X_REQUEST_ID": value})
        assert response.status_code < 500
        request_id = response.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert self.logged_requests(tmp_path)[-1]["request_id"] == request_id
        if value:
            assert value not in response.get_data(as_text=True)
            for log in tmp_path.glob("*.log"):
                assert value not in log.read_text(encoding="utf-8", errors="replace"), log.name

    def test_a_sane_id_is_kept(self, client, tmp_path):
        response = client.get("/auth/login", headers={"X-Request-ID": "proxy-id_1.2"})
        assert response.headers["X-Request-ID"] == "proxy-id_1.2"
        assert self.logged_requests(tmp_path)[-1]["request_id"] == "proxy-id_1.2"

