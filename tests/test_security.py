"""Security headers, cookie flags, proxy awareness, login throttling."""
from __future__ import annotations

import re
import statistics
import time

import pytest

from app import create_app
from tests.conftest import config, make_user
from tests.support.redis import RedisServer
from tests.support.requirements import missing


def test_security_headers_on_every_response(client):
    for path in ("/auth/login", "/no/such/page", "/static/microblog.css", "/health/live"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp  # no inline code, no other host
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # off unless configured


def test_a_header_a_view_set_is_kept_and_not_repeated(tmp_path):
    app = create_app(config(f"sqlite:///{tmp_path / 'own.db'}"))

    @app.route("/framed")
    def framed():  # type: ignore[no-untyped-def]
        return "ok", 200, {"x-frame-options": "SAMEORIGIN"}

    headers = app.test_client().get("/framed").headers
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(client, logged_in):
    client.post("/index", data={"post": "hi"})
    for path in ("/index", "/explore", "/user/susan", "/edit_profile", "/no/such/page"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert "<style" not in page and " style=" not in page and "onclick" not in page, path


def test_hsts_when_configured(tmp_path):
    app = create_app(config(f"sqlite:///{tmp_path / 'h.db'}", HSTS_SECONDS=31536000))
    assert app.test_client().get("/health/live").headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"


def test_production_cookies_are_secure_httponly_lax(tmp_path):
    app = create_app(config(f"sqlite:///{tmp_path / 'c.db'}", TESTING=False, LOG_TO_FILE=False))
    with app.app_context():
        from app import db
        db.create_all()
        make_user("susan")
    client = app.test_client()
    response = client.post("/auth/login", base_url="https://localhost",
                           data={"username": "susan", "password": "correct horse", "remember_me": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        (cookie,) = [c for c in cookies if c.startswith(name)]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


def test_proxy_fix_trusts_the_configured_proxy(tmp_path):
    app = create_app(config(f"sqlite:///{tmp_path / 'p.db'}", PROXY_FIX_HOPS=1))

    @app.route("/whoami")
    def whoami():
        from flask import request, url_for
        return f"{request.remote_addr} {url_for('whoami', _external=True)}"

    body = app.test_client().get("/whoami", headers={
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "microblog.example.com",
    }).get_data(as_text=True)
    assert body == "203.0.113.9 https://microblog.example.com/whoami"


def test_without_proxy_fix_forwarded_headers_are_ignored(client, app):
    @app.route("/whoami")
    def whoami():
        from flask import request
        return request.remote_addr

    assert client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"}).get_data(as_text=True) == "127.0.0.1"


def test_session_changes_at_login(client, auth, susan):
    client.get("/auth/login")
    client.get("/index")  # "next" and a CSRF token are in the pre-login session
    before = client.get_cookie("session").value
    auth.login()
    after = client.get_cookie("session").value
    assert before != after


class TestLoginThrottling:
    @pytest.fixture
    def app_config(self):
        return {"LOGIN_LIMIT_PER_ADDRESS": "8 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute"}

    def test_failed_attempts_per_account_and_address(self, client, susan):
        for _ in range(3):
            assert client.post("/auth/login", data={"username": "susan", "password": "nope!"}).status_code == 200
        blocked = client.post("/auth/login", data={"username": "susan", "password": "correct horse"},
                              headers={"Accept": "text/html"})
        assert blocked.status_code == 429
        assert "Retry-After" in blocked.headers
        page = blocked.get_data(as_text=True)
        assert "429 Too Many Requests" in page and 'class="navbar' in page  # through the error layer
        as_json = client.post("/auth/login", data={"username": "susan", "password": "x"},
                              headers={"Accept": "application/json"})
        assert as_json.status_code == 429 and as_json.mimetype == "application/problem+json"

    def test_an_attacker_cannot_lock_the_owner_out(self, client, susan, app):
        attacker = {"REMOTE_ADDR": "198.51.100.66"}
        for _ in range(4):
            client.post("/auth/login", data={"username": "susan", "password": "guess"}, environ_base=attacker)
        assert client.post("/auth/login", data={"username": "susan", "password": "guess"},
                           environ_base=attacker).status_code == 429
        owner = app.test_client()
        response = owner.post("/auth/login", data={"username": "susan", "password": "correct horse"},
                              environ_base={"REMOTE_ADDR": "192.0.2.10"})
        assert response.status_code == 302

    def test_successful_logins_do_not_use_up_the_account_limit(self, app, susan):
        for _ in range(5):
            client = app.test_client()
            assert client.post("/auth/login", data={"username": "susan", "password": "correct horse"}
                               ).status_code == 302

    def test_per_address_limit_covers_every_account(self, client, susan):
        codes = [client.post("/auth/login", data={"username": f"user{i}", "password": "x"}).status_code
                 for i in range(9)]
        assert codes[:8] == [200] * 8 and codes[8] == 429


def test_limits_hold_across_workers_with_redis(tmp_path):
    try:
        server = RedisServer()
    except FileNotFoundError:
        missing("redis-server not found: install redis-server")
    try:
        url = f"sqlite:///{tmp_path / 'r.db'}"
        settings = {"RATELIMIT_STORAGE_URI": server.url, "LOGIN_LIMIT_PER_ADDRESS": "4 per minute"}
        workers = [create_app(config(url, **settings)) for _ in range(2)]  # two processes' worth of apps
        with workers[0].app_context():
            from app import db
            db.create_all()
        codes = [workers[i % 2].test_client().post("/auth/login", data={"username": "x", "password": "y"}).status_code
                 for i in range(5)]
        assert codes == [200, 200, 200, 200, 429]
    finally:
        server.stop()


def test_unknown_user_and_wrong_password_take_similar_time(tmp_path):
    """With the real (scrypt) cost, an unknown username must not answer
    measurably faster than a wrong password."""
    app = create_app(config(f"sqlite:///{tmp_path / 't.db'}", PASSWORD_HASH_METHOD="scrypt",
                            RATELIMIT_ENABLED=False))
    with app.app_context():
        from app import db
        db.create_all()
        make_user("susan")
    client = app.test_client()

    def timed(username: str) -> float:
        started = time.perf_counter()
        client.post("/auth/login", data={"username": username, "password": "wrong password"})
        return time.perf_counter() - started

    timed("susan"), timed("nobody")  # warm up
    wrong = statistics.median(timed("susan") for _ in range(7))
    unknown = statistics.median(timed("nobody") for _ in range(7))
    assert 0.5 < unknown / wrong < 2, (unknown, wrong)


@pytest.mark.parametrize(("method", "path", "data"), [
    ("POST", "/auth/login", {"username": "su\x00san", "password": "x"}),
    ("POST", "/auth/register", {"username": "a", "email": "a@example.com", "password": "p\x00assword1",
                                "password2": "p\x00assword1"}),
    ("GET", "/auth/login?next=/in\x00dex", None),
    ("GET", "/user/su%00san", None),
    ("GET", "/auth/login?next=/index&next=/in%00dex", None),  # a repeated key's second value
    ("GET", "/search?q=ok&page=1%00", None),  # search text may hold one, its other arguments not
])
def test_nul_characters_are_a_clear_400(client, susan, method, path, data):
    response = client.open(path, method=method, data=data, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "NUL character" in response.get_json(force=True)["detail"]
