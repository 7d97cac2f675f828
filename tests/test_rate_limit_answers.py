"""What a rate-limited route answers: Retry-After only with a 429 (or a 503),
and a refusal in a sentence a person understands."""
from __future__ import annotations

import base64

import pytest
from limits import parse

from app.limits import describe, limit_message


def basic(username: str = "susan", password: str = "correct horse") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@pytest.fixture
def app_config():
    return {"LOGIN_LIMIT_PER_ADDRESS": "30 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes"}


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("post", "/api/tokens", {"headers": basic("susan", "wrong")}, 401),
    ("post", "/api/tokens", {"headers": basic()}, 200),
    ("post", "/auth/login", {"data": {"username": "susan", "password": "wrong"}}, 200),
    ("post", "/auth/login", {"data": {"username": "susan", "password": "correct horse"}}, 302),
])
def test_no_retry_after_unless_refused(client, susan, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert "Retry-After" not in response.headers
    assert response.headers["X-RateLimit-Limit"]  # the limiter's own headers stay


def test_the_refusal_says_how_many_and_when(client, susan):
    for _ in range(5):
        client.post("/api/tokens", headers=basic("susan", "wrong"))
    refused = client.post("/api/tokens", headers=basic())
    assert refused.status_code == 429
    assert 800 < int(refused.headers["Retry-After"]) <= 900
    detail = refused.get_json()["detail"]
    assert detail.startswith("Too many attempts: at most 5 every 15 minutes are allowed. Please try again in ")
    assert detail.endswith(" minutes.") and "15 minute " not in detail


def test_the_login_page_says_it_too(client, susan):
    for _ in range(5):
        client.post("/auth/login", data={"username": "susan", "password": "wrong"})
    refused = client.post("/auth/login", data={"username": "susan", "password": "wrong"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "at most 5 every 15 minutes are allowed" in refused.get_data(as_text=True)


def test_reads_still_answer_while_writes_are_refused(client, susan):
    """The limiter is consulted for writes only (app/limits.py): the login
    page itself still loads, with none of the limiter's headers, while its
    form is refused."""
    for _ in range(5):
        client.post("/auth/login", data={"username": "susan", "password": "wrong"})
    assert client.post("/auth/login", data={"username": "susan", "password": "wrong"}).status_code == 429
    page = client.get("/auth/login")
    assert page.status_code == 200
    assert "X-RateLimit-Limit" not in page.headers and "Retry-After" not in page.headers
    assert client.head("/auth/login").status_code == 200


@pytest.mark.parametrize(("limit", "words"), [
    ("5 per 15 minutes", "5 every 15 minutes"),
    ("10 per hour", "10 an hour"),
    ("1 per minute", "1 a minute"),
    ("200 per day", "200 a day"),
    ("3/second", "3 a second"),
    ("2 per 2 hours", "2 every 2 hours"),
])
def test_limits_read_as_sentences(limit, words):
    assert describe(parse(limit)) == words


def test_a_message_outside_a_refusal_is_still_a_sentence(app):
    with app.test_request_context("/"):
        assert limit_message() == "Too many requests. Please wait a little and try again."
