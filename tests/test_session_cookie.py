"""The session cookie is verified once and kept (app/session_cookie.py):
whatever Flask's own checks would refuse is still refused."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app, db
from app.session_cookie import KeptCookieSessionInterface
from tests.conftest import IsolatedClient, config, make_user


def make_app(tmp_path: Path, **settings: object) -> Flask:
    app = create_app(config(f"sqlite:///{tmp_path / 'cookie.db'}", **settings))
    with app.app_context():
        db.create_all()
        make_user("susan")
    app.test_client_class = IsolatedClient
    return app


def logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "susan", "password": "correct horse"})
    assert response.status_code == 302
    return client


def signed_in(client: FlaskClient) -> bool:
    return client.get("/index").status_code == 200


def kept(app: Flask) -> dict:
    interface = app.session_interface
    assert isinstance(interface, KeptCookieSessionInterface)
    return interface._kept


def test_a_repeated_cookie_is_read_from_the_table(tmp_path):
    app = make_app(tmp_path)
    client = logged_in(app)
    assert signed_in(client)  # the first page adds the form token, a new cookie
    cookie = client.get_cookie("session").value
    assert signed_in(client)
    assert client.get_cookie("session").value == cookie and cookie in kept(app)
    assert signed_in(client)


def test_a_forged_cookie_is_refused_every_time(tmp_path):
    app = make_app(tmp_path)
    client = logged_in(app)
    assert signed_in(client)
    good = client.get_cookie("session").value
    # The same payload, its signature's last character changed.
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    other = app.test_client()
    other.set_cookie("session", forged)
    assert not signed_in(other) and not signed_in(other)
    assert forged not in kept(app)
    assert signed_in(client)  # the real one still works


def test_a_kept_cookie_expires_with_the_session_lifetime(tmp_path, monkeypatch):
    app = make_app(tmp_path, PERMANENT_SESSION_LIFETIME=timedelta(seconds=60))
    client = logged_in(app)
    assert signed_in(client) and signed_in(client)
    assert client.get_cookie("session").value in kept(app)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 30)
    assert signed_in(client)
    monkeypatch.setattr(time, "time", lambda: now + 120)
    assert not signed_in(client)
    # Nor from before it was signed (a clock set back), as itsdangerous says.
    fresh = logged_in(app)
    monkeypatch.setattr(time, "time", lambda: now + 130)
    assert signed_in(fresh)
    monkeypatch.setattr(time, "time", lambda: now - 3600)
    assert not signed_in(fresh)


def test_a_new_secret_key_ends_every_kept_session(tmp_path):
    app = make_app(tmp_path)
    client = logged_in(app)
    assert signed_in(client)
    app.secret_key = "a new key after a leak"
    assert not signed_in(client)
    assert kept(app) == {}


def test_an_old_key_in_the_fallbacks_still_reads(tmp_path):
    app = make_app(tmp_path)
    client = logged_in(app)
    old = app.secret_key
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    app.secret_key = "the new key"
    assert signed_in(client)


def signed(app: Flask, data: dict) -> str:
    with app.test_request_context():
        return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app: Flask, cookie: str) -> dict:
    request = app.test_request_context(headers={"Cookie": f"session={cookie}"}).request
    return app.session_interface.open_session(app, request)


def test_a_session_holding_a_list_is_never_shared(tmp_path):
    """Flask appends a flashed message to the session's own list: a list in
    the table would reach every later request with that cookie."""
    app = make_app(tmp_path)
    cookie = signed(app, {"_user_id": "1.key", "_flashes": [["message", "Saved."]]})
    opened(app, cookie)["_flashes"].append(["message", "Added by this request."])
    assert opened(app, cookie)["_flashes"] == [["message", "Saved."]]
    assert cookie not in kept(app)


def test_a_kept_session_is_a_copy(tmp_path):
    app = make_app(tmp_path)
    cookie = signed(app, {"_user_id": "1.key", "_fresh": True})
    opened(app, cookie)["_user_id"] = "2.other"
    assert cookie in kept(app)
    assert opened(app, cookie)["_user_id"] == "1.key"


@pytest.mark.parametrize("limit", [1, 3])
def test_the_table_stays_within_its_limit(tmp_path, limit):
    app = make_app(tmp_path)
    app.session_interface = KeptCookieSessionInterface(limit=limit)
    clients = [logged_in(app) for _ in range(5)]
    for client in clients:
        assert signed_in(client)
        assert len(kept(app)) <= limit
    assert all(signed_in(client) for client in clients)
