"""The JSON API: tokens, authentication, and reading users and posts.

Writes are in test_api_writes.py, bad input and error handling in
test_api_input.py, the OpenAPI conformance run in test_api_schema.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import statistics
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app import db
from app.avatars import avatar_digest
from app.models import Post, User, utcnow
from tests.conftest import make_user
from tests.support.sql import count_statements

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
LEAKS = ("Traceback", 'File "', "password", "token_hash", "sqlalchemy")


def basic(username: str = "susan", password: str = "correct horse") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue_token(user: User, expires_in: int = 3600) -> str:
    token = user.get_token(expires_in)
    db.session.commit()
    return token


def assert_problem(response, status: int) -> dict:
    """An RFC 9457 problem document with nothing internal in it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    doc = response.get_json(force=True)
    assert PROBLEM_KEYS <= doc.keys()
    assert doc["status"] == status and doc["detail"]
    assert doc["request_id"] == response.headers["X-Request-ID"]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body
    return doc


@pytest.fixture
def token(susan: User) -> str:
    return issue_token(susan)


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    return bearer(token)


# Every endpoint that takes a Bearer token, with a body where it needs one.
BEARER_ENDPOINTS = [
    ("GET", "/api/users", None),
    ("GET", "/api/users/1", None),
    ("PUT", "/api/users/1", {"about_me": "x"}),
    ("GET", "/api/users/1/followers", None),
    ("GET", "/api/users/1/following", None),
    ("GET", "/api/posts", None),
    ("POST", "/api/posts", {"body": "x"}),
    ("GET", "/api/posts/1", None),
    ("GET", "/api/messages", None),
    ("POST", "/api/messages", {"recipient": "susan", "body": "x"}),
    ("GET", "/api/messages/1", None),
    ("GET", "/api/notifications", None),
    ("DELETE", "/api/tokens", None),
]


class TestTokens:
    def test_basic_auth_gets_an_expiring_token(self, app, client, susan):
        response = client.post("/api/tokens", headers=basic())
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        data = response.get_json()
        assert data.keys() == {"token", "expires"}
        expires = datetime.fromisoformat(data["expires"])
        assert timedelta(seconds=3590) < expires - utcnow() <= timedelta(seconds=3600)
        assert client.get("/api/users", headers=bearer(data["token"])).status_code == 200

    def test_only_a_hash_of_the_token_is_stored(self, client, susan):
        token = client.post("/api/tokens", headers=basic()).get_json()["token"]
        db.session.expire_all()
        row = db.session.execute(sa.select(User.__table__)).one()
        assert token not in json.dumps([str(value) for value in row])
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()

    def test_a_new_token_replaces_the_previous_one(self, client, susan):
        first = client.post("/api/tokens", headers=basic()).get_json()["token"]
        second = client.post("/api/tokens", headers=basic()).get_json()["token"]
        assert first != second
        assert client.get("/api/users", headers=bearer(first)).status_code == 401
        assert client.get("/api/users", headers=bearer(second)).status_code == 200

    @pytest.mark.parametrize("app_config", [{"API_TOKEN_TTL": 60}])
    def test_lifetime_comes_from_config(self, client, susan, app_config):
        expires = datetime.fromisoformat(client.post("/api/tokens", headers=basic()).get_json()["expires"])
        assert timedelta(seconds=50) < expires - utcnow() <= timedelta(seconds=60)

    def test_revoke(self, client, susan, token):
        response = client.delete("/api/tokens", headers=bearer(token))
        assert response.status_code == 204
        assert response.data == b"" and "Content-Type" not in response.headers
        assert client.get("/api/users", headers=bearer(token)).status_code == 401
        db.session.expire_all()
        assert db.session.scalar(sa.select(User.token_hash)) is None

    @pytest.mark.parametrize(("auth", "detail"), [
        ({}, "Send your username and password"),
        (basic("nobody", "correct horse"), "Invalid username or password."),
        (basic("susan", "wrong password"), "Invalid username or password."),  # the same: no account enumeration
        (basic("", ""), "Invalid username or password."),
        (basic("su\x00san", "correct horse"), "Invalid username or password."),
        ({"Authorization": "Basic !!!not-base64"}, "Send your username and password"),
        ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}, "Invalid username or password."),
        ({"Authorization": "Bearer something"}, "Send your username and password"),
    ])
    def test_bad_credentials_are_401_with_a_basic_challenge(self, client, susan, auth, detail):
        response = client.post("/api/tokens", headers=auth)
        doc = assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Basic realm="microblog API"'
        assert doc["detail"].startswith(detail)
        assert db.session.scalar(sa.select(User.token_hash)) is None


class TestTokenThrottling:
    """POST /api/tokens checks passwords, so it is throttled like the login form."""

    @pytest.fixture
    def app_config(self):
        return {"LOGIN_LIMIT_PER_ADDRESS": "6 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute"}

    def test_failed_attempts_per_account_and_address(self, app, client, susan):
        attacker = {"REMOTE_ADDR": "198.51.100.66"}
        for _ in range(3):
            assert client.post("/api/tokens", headers=basic("SUSAN", "guess"), environ_base=attacker).status_code == 401
        blocked = client.post("/api/tokens", headers=basic(), environ_base=attacker)
        assert_problem(blocked, 429)
        assert int(blocked.headers["Retry-After"]) > 0
        # The owner, elsewhere, is not locked out.
        owner = client.post("/api/tokens", headers=basic(), environ_base={"REMOTE_ADDR": "192.0.2.10"})
        assert owner.status_code == 200

    def test_successes_do_not_use_up_the_account_limit(self, client, susan):
        assert [client.post("/api/tokens", headers=basic()).status_code for _ in range(5)] == [200] * 5

    def test_every_attempt_counts_per_address(self, client, susan):
        codes = [client.post("/api/tokens", headers=basic(f"user{i}", "x")).status_code for i in range(7)]
        assert codes == [401] * 6 + [429]


@pytest.mark.parametrize("app_config", [{"PASSWORD_HASH_METHOD": "scrypt", "RATELIMIT_ENABLED": False}])
@pytest.mark.parametrize("backend", ["sqlite"])  # a timing, not a database, question
def test_unknown_user_and_wrong_password_take_similar_time(client, susan, app_config, backend):
    def timed(username: str) -> float:
        started = time.perf_counter()
        client.post("/api/tokens", headers=basic(username, "wrong password"))
        return time.perf_counter() - started

    timed("susan"), timed("nobody")  # warm up
    wrong = statistics.median(timed("susan") for _ in range(7))
    unknown = statistics.median(timed("nobody") for _ in range(7))
    assert 0.5 < unknown / wrong < 2, (unknown, wrong)


class TestBearerAuth:
    @pytest.fixture
    def bad_headers(self, request, susan):
        """Headers for each way a request can lack a usable token."""
        kind = request.param
        if kind == "missing":
            return {}
        if kind == "invalid":
            return bearer("not-a-token")
        if kind == "expired":
            token = issue_token(susan)
            susan.token_expiration = utcnow() - timedelta(seconds=1)
            db.session.commit()
            return bearer(token)
        if kind == "revoked":
            token = issue_token(susan)
            susan.revoke_token()
            db.session.commit()
            return bearer(token)
        raise AssertionError(kind)

    @pytest.mark.parametrize("bad_headers", ["missing", "invalid", "expired", "revoked"], indirect=True)
    @pytest.mark.parametrize(("method", "path", "body"), BEARER_ENDPOINTS)
    def test_401_with_a_bearer_challenge(self, client, bad_headers, method, path, body, request):
        response = client.open(path, method=method, json=body, headers=bad_headers)
        doc = assert_problem(response, 401)
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="microblog API"')
        if bad_headers:
            assert 'error="invalid_token"' in challenge and "invalid, expired or revoked" in doc["detail"]
        else:
            assert "error=" not in challenge and "Authorization: Bearer" in doc["detail"]

    def test_basic_credentials_do_not_open_bearer_endpoints(self, client, susan):
        assert_problem(client.get("/api/users", headers=basic()), 401)

    def test_a_web_session_does_not_open_the_api(self, client, auth, susan):
        auth.login()
        assert_problem(client.get("/api/users"), 401)


def user_keys(own: bool) -> set[str]:
    keys = {"id", "username", "last_seen", "about_me", "post_count", "follower_count", "following_count", "_links"}
    return keys | {"email"} if own else keys


class TestUsers:
    def test_representation(self, client, susan, headers):
        john = make_user("john", about_me="I am John")
        db.session.add_all([Post(body="one", author=john), Post(body="two", author=john)])
        susan.follow(john)
        db.session.commit()
        data = client.get(f"/api/users/{john.id}", headers=headers).get_json()
        assert data.keys() == user_keys(own=False)
        assert (data["username"], data["about_me"]) == ("john", "I am John")
        assert (data["post_count"], data["follower_count"], data["following_count"]) == (2, 1, 0)
        assert data["_links"] == {
            "self": f"/api/users/{john.id}",
            "followers": f"/api/users/{john.id}/followers",
            "following": f"/api/users/{john.id}/following",
            "avatar": f"http://localhost/avatar/{avatar_digest(john.email)}.svg",
        }
        assert abs(datetime.fromisoformat(data["last_seen"]) - john.last_seen) < timedelta(seconds=1)

    def test_email_only_in_your_own(self, client, susan, headers):
        john = make_user("john")
        own = client.get(f"/api/users/{susan.id}", headers=headers).get_json()
        assert own.keys() == user_keys(own=True) and own["email"] == "susan@example.com"
        other = client.get(f"/api/users/{john.id}", headers=headers).get_json()
        assert "email" not in other and "john@example.com" not in json.dumps(other)
        listed = client.get("/api/users", headers=headers).get_json()["items"]
        assert [("email" in item) for item in listed] == [True, False]

    @pytest.mark.parametrize("path", ["/api/users", "/api/users/1", "/api/users/1/followers", "/api/posts"])
    def test_no_secrets_anywhere(self, client, susan, token, headers, path):
        susan.follow(susan)  # so that susan appears in her own followers list
        db.session.add(Post(body="hello", author=susan))
        db.session.commit()
        body = client.get(path, headers=headers).get_data(as_text=True)
        for secret in (token, susan.token_hash, susan.password_hash, *LEAKS):
            assert secret not in body

    @pytest.mark.parametrize("path", [
        "/api/users/999", "/api/users/999/followers", "/api/users/999/following", "/api/posts/999",
        "/api/users/0", "/api/users/2147483648", "/api/users/99999999999999999999999",
        "/api/posts/2147483648", "/api/users/-1", "/api/users/abc", "/api/nothing/here",
    ])
    def test_unknown_is_404(self, client, headers, path):
        assert_problem(client.get(path, headers=headers), 404)

    def test_followers_and_following(self, client, susan, headers):
        john, mary = make_user("john"), make_user("mary")
        susan.follow(john)
        mary.follow(john)
        john.follow(mary)
        db.session.commit()

        def names(path: str) -> list[str]:
            return [item["username"] for item in client.get(path, headers=headers).get_json()["items"]]

        assert names(f"/api/users/{john.id}/followers") == ["susan", "mary"]
        assert names(f"/api/users/{john.id}/following") == ["mary"]
        assert names(f"/api/users/{susan.id}/followers") == []
        followers = client.get(f"/api/users/{john.id}/followers", headers=headers).get_json()["items"]
        assert [(u["follower_count"], u["following_count"]) for u in followers] == [(0, 1), (1, 1)]


class TestPagination:
    @pytest.fixture(autouse=True)
    def users(self, susan):
        db.session.add_all(User(username=f"user{i:02}", email=f"user{i:02}@example.com") for i in range(24))
        db.session.commit()

    def test_pages_and_links(self, client, headers):
        first = client.get("/api/users?per_page=10", headers=headers).get_json()
        assert first["_meta"] == {"page": 1, "per_page": 10, "total_pages": 3, "total_items": 25}
        assert first["_links"] == {"self": "/api/users?page=1&per_page=10",
                                   "next": "/api/users?page=2&per_page=10", "prev": None}
        assert [u["username"] for u in first["items"]] == ["susan"] + [f"user{i:02}" for i in range(9)]
        last = client.get(first["_links"]["next"], headers=headers).get_json()
        last = client.get(last["_links"]["next"], headers=headers).get_json()
        assert len(last["items"]) == 5
        assert last["_links"]["next"] is None and last["_links"]["prev"] == "/api/users?page=2&per_page=10"

    def test_defaults(self, client, headers):
        data = client.get("/api/users", headers=headers).get_json()
        assert (data["_meta"]["page"], data["_meta"]["per_page"], len(data["items"])) == (1, 10, 10)

    def test_past_the_end_is_empty(self, client, headers):
        data = client.get("/api/users?page=7", headers=headers).get_json()
        assert data["items"] == [] and data["_links"]["next"] is None
        assert data["_links"]["prev"] == "/api/users?page=6&per_page=10"

    @pytest.mark.parametrize("per_page", ["101", "1000", "000100", "9" * 40])
    def test_per_page_is_capped_at_100(self, client, headers, per_page):
        data = client.get(f"/api/users?per_page={per_page}", headers=headers).get_json()
        assert data["_meta"]["per_page"] == 100 and len(data["items"]) == 25

    def test_unknown_query_parameters_are_ignored(self, client, headers):
        assert client.get("/api/users?sort=name&_=1", headers=headers).status_code == 200


def test_feed_is_your_posts_and_those_you_follow_newest_first(client, susan, headers):
    john, mary = make_user("john"), make_user("mary")
    now = utcnow()
    for minutes, author in enumerate([susan, john, mary, john]):
        db.session.add(Post(body=f"by {author.username} {minutes}", author=author,
                            timestamp=now - timedelta(minutes=minutes)))
    susan.follow(john)
    db.session.commit()
    data = client.get("/api/posts", headers=headers).get_json()
    assert [p["body"] for p in data["items"]] == ["by susan 0", "by john 1", "by john 3"]
    assert data["_meta"]["total_items"] == 3
    post = data["items"][1]
    assert post.keys() == {"id", "body", "body_html", "timestamp", "edited", "author", "in_reply_to", "reply_to",
                           "likes", "liked_by_me", "_links"}
    assert post["author"] == {"id": john.id, "username": "john"}
    assert (post["edited"], post["in_reply_to"], post["reply_to"], post["likes"], post["liked_by_me"]) == (
        None, None, None, 0, False)
    pid = post["id"]
    assert post["_links"] == {"self": f"/api/posts/{pid}", "author": f"/api/users/{john.id}", "in_reply_to": None,
                              "replies": f"/api/posts/{pid}/replies", "like": f"/api/posts/{pid}/like"}
    assert client.get(post["_links"]["self"], headers=headers).get_json() == post


@pytest.mark.parametrize(("path", "budget"), [
    ("/api/users?per_page=100", 3),  # token, count, page
    ("/api/users/1/followers?per_page=100", 4),  # token, user, count, page
    ("/api/users/1", 2),
    ("/api/posts?per_page=100", 3),
])
def test_sql_statements_do_not_grow_with_the_page(client, susan, headers, path, budget):
    """No N+1: a page of 30 users or posts costs what a page of 1 costs."""
    others = [make_user(f"user{i}") for i in range(30)]
    for other in others:
        other.follow(susan)
        susan.follow(other)
        db.session.add(Post(body="hi", author=other))
    db.session.commit()
    with count_statements(db.engine) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert len(statements) <= budget, statements
