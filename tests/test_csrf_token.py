"""The session's signed CSRF token, reused for a minute (app/csrf_token.py):
each session only ever gets a token signed for its own secret, a reused token
is still accepted, a login starts a new one, and the table stays bounded."""
from __future__ import annotations

import flask_wtf.csrf
import pytest
from flask import Flask

import app.csrf_token as tokens
from tests.conftest import IsolatedClient, make_user
from tests.test_csrf import csrf_token
from tests.test_form_html import META_TOKEN, client_posts, post_form, signed_in


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


@pytest.fixture(autouse=True)
def isolated(app: Flask) -> None:
    app.test_client_class = IsolatedClient  # each request its own g, as in a server


class Clock:
    """time.monotonic as app/csrf_token.py reads it, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(tokens.time, "monotonic", clock)
    return clock


def page_token(client, path: str = "/index") -> str:
    page = client.get(path).get_data(as_text=True)
    token = post_form(page)[0]
    assert META_TOKEN.search(page).group(1) == token  # the form and the scripts carry the same one
    return token


def test_a_session_is_handed_the_same_token_for_a_minute_then_a_new_one(
        app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in(app, "susan")
    signings = []

    def generate_csrf() -> str:
        signings.append(clock.now)
        return flask_wtf.csrf.generate_csrf()

    page_token(client)  # the session's first page after its login starts its secret
    monkeypatch.setattr(tokens, "generate_csrf", generate_csrf)
    first = page_token(client)
    clock.now += 59
    assert page_token(client) == first
    assert client_posts(client, first) == 302  # the reused token is accepted
    assert len(signings) == 1
    clock.now += 2
    second = page_token(client)  # signed afresh once the minute is over
    assert len(signings) == 2
    assert client_posts(client, second) == 302
    assert client_posts(client, first) == 302  # the older one still lives out its hour


def test_a_page_whose_only_token_is_the_templates_reuses_it_too(
        app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    # The inbox has no form of its own: its token is base.html's csrf_token().
    client = signed_in(app, "susan")
    client.get("/messages")
    signings = []
    original = flask_wtf.csrf.generate_csrf

    def generate_csrf() -> str:
        signings.append(clock.now)
        return original()

    monkeypatch.setattr(tokens, "generate_csrf", generate_csrf)
    monkeypatch.setattr(flask_wtf.csrf, "generate_csrf", generate_csrf)
    metas = {META_TOKEN.search(client.get("/messages").get_data(as_text=True)).group(1) for _ in range(3)}
    assert len(metas) == 1
    assert len(signings) <= 1


def test_a_kept_token_never_goes_to_another_session(app: Flask, clock: Clock) -> None:
    susan, john = signed_in(app, "susan"), signed_in(app, "john")
    susans = page_token(susan)
    johns = page_token(john)
    assert susans != johns
    assert page_token(susan) == susans and page_token(john) == johns
    assert client_posts(john, susans) == 400
    assert client_posts(susan, johns) == 400


def test_new_visitors_each_get_their_own_token(app: Flask, clock: Clock) -> None:
    seen = {csrf_token(app.test_client(), "/auth/login") for _ in range(3)}
    assert len(seen) == 3


def test_logging_in_replaces_the_token_of_before(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    make_user("susan")
    csrf_token(client, "/auth/login")  # a new visitor's first page starts the secret
    before = csrf_token(client, "/auth/login")
    assert csrf_token(client, "/auth/login") == before  # reused while logged out too
    response = client.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                                "csrf_token": before})
    assert response.status_code == 302
    after = page_token(client)
    assert after != before
    assert client_posts(client, before) == 400  # the session's old secret went with the login
    assert client_posts(client, after) == 302


def test_the_table_of_tokens_stays_bounded(app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "MAX_KEPT", 2)
    table = app.extensions["microblog_csrf_tokens"]
    for _ in range(5):
        client = app.test_client()
        size = len(table)
        csrf_token(client, "/auth/login")
        assert len(table) == size  # a one-page visitor's token is not kept
        csrf_token(client, "/auth/login")  # a second page keeps it
        assert 1 <= len(table) <= 2


@pytest.mark.parametrize(("time_limit", "seconds"), [(3600, 60), (None, 60), (60, 1), (7200, 60)])
def test_a_token_is_reused_for_at_most_a_sixtieth_of_its_life(time_limit: int | None, seconds: float) -> None:
    assert tokens.reuse_seconds(time_limit) == seconds
