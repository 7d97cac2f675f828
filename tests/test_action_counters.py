"""registrations_total, posts_created_total and logins_total count the action
wherever it comes from: the web forms or the API."""
from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from tests.support.metrics import scrape, value


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def delta(client, action: Callable[[], object]) -> Callable[..., float]:  # type: ignore[no-untyped-def]
    before = scrape(client)
    action()
    after = scrape(client)
    return lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)


def test_registering_through_the_api_counts(client):
    body = {"username": "john", "email": "john@example.com", "password": "correct horse"}
    counted = delta(client, lambda: client.post("/api/users", json=body))
    assert counted("registrations_total") == 1


def test_a_refused_api_registration_does_not_count(client, susan):
    body = {"username": "SUSAN", "email": "x@example.com", "password": "correct horse"}
    counted = delta(client, lambda: client.post("/api/users", json=body))
    assert counted("registrations_total") == 0


def test_registering_through_the_form_counts(client, auth):
    counted = delta(client, lambda: auth.register("john"))
    assert counted("registrations_total") == 1


def test_posting_through_the_api_counts(client, token):
    headers = {"Authorization": f"Bearer {token}"}
    counted = delta(client, lambda: client.post("/api/posts", json={"body": "hello"}, headers=headers))
    assert counted("posts_created_total") == 1


def test_posting_through_the_form_counts(client, logged_in):
    counted = delta(client, lambda: client.post("/index", data={"post": "hello"}))
    assert counted("posts_created_total") == 1


@pytest.mark.parametrize(("password", "result"), [("correct horse", "success"), ("wrong", "failure")])
def test_getting_an_api_token_counts_as_a_login(client, susan, password, result):
    counted = delta(client, lambda: client.post("/api/tokens", headers=basic("susan", password)))
    assert counted("logins_total", result=result) == 1
    assert counted("logins_total", result={"success": "failure", "failure": "success"}[result]) == 0


def test_a_token_request_without_credentials_is_no_login_attempt(client):
    counted = delta(client, lambda: client.post("/api/tokens"))
    assert counted("logins_total", result="failure") == 0
