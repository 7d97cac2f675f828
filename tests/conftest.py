"""Fixtures: an app with a fresh database per test (SQLite and PostgreSQL), a
client, an ``auth`` helper, and a real SMTP inbox."""
from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app, db
from app.models import User
from config import TestConfig
from tests.support.postgres import PostgresCluster, find_bindir
from tests.support.requirements import missing
from tests.support.smtp import SMTPServer
from tests.support.worker import Workers


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    bindir = find_bindir()
    if bindir is None:
        missing("PostgreSQL server binaries (initdb) not found: install postgresql-15")
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except Exception as exc:  # a broken local install: report it, do not hide it
        cluster.cleanup()
        missing(f"could not start a throwaway PostgreSQL cluster: {exc}")
    yield cluster
    cluster.cleanup()


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of the test's own, to stop and start at will."""
    bindir = find_bindir()
    if bindir is None:
        missing("PostgreSQL server binaries (initdb) not found: install postgresql-15")
    cluster = PostgresCluster(bindir)
    cluster.start()
    yield cluster
    cluster.cleanup()


@pytest.fixture(scope="session")
def pg_url(pg_cluster: PostgresCluster) -> str:
    """A database whose schema is created once; each test truncates it after."""
    url = pg_cluster.create_database("microblog_test")
    app = create_app(config(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def config(url: str, **overrides: object) -> type:
    return type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("pg_url")
    # A file, not :memory:, so a second connection (another "request") sees it.
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config(database_url: str) -> dict[str, object]:
    """Extra settings for the ``app`` fixture; tests override this fixture."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, object], backend: str) -> Iterator[Flask]:
    app = create_app(config(database_url, **app_config))
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        yield app
        if "error_emails" in app.extensions:  # its thread must not outlive the test
            app.extensions["error_emails"].stop()
        db.session.remove()
        if backend == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))  # a test may stamp it
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a server would: its own app
    context, ``g`` and database session, not the ones the test holds open.
    Without this, objects and ``g`` leak between the test and the requests
    and hide bugs that production would show."""

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def make_user(username: str, email: str | None = None, password: str = "correct horse",
              about_me: str | None = None) -> User:
    user = User(username=username, email=email or f"{username.lower()}@example.com", about_me=about_me)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def register(self, username: str = "susan", email: str | None = None, password: str = "correct horse",
                 password2: str | None = None):  # type: ignore[no-untyped-def]
        return self._client.post("/auth/register", data={
            "username": username, "email": email or f"{username.lower()}@example.com",
            "password": password, "password2": password if password2 is None else password2,
        })

    def login(self, username: str = "susan", password: str = "correct horse", **extra: str):  # type: ignore[no-untyped-def]
        return self._client.post("/auth/login", data={"username": username, "password": password, **extra})

    def logout(self):  # type: ignore[no-untyped-def]
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def susan(app: Flask) -> User:
    return make_user("susan")


@pytest.fixture
def john(app: Flask) -> User:
    return make_user("john")


@pytest.fixture
def token(susan: User) -> str:
    """A valid API token for susan."""
    token = susan.get_token()
    db.session.commit()
    return token


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions, susan: User) -> User:
    response = auth.login()
    assert response.status_code == 302
    return susan


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) for a migration to build."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"empty_{uuid.uuid4().hex[:8]}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.fixture
def workers(app: Flask, tmp_path: Path) -> Iterator[Workers]:
    """Real ``flask worker`` processes for the test's app, stopped after it."""
    pool = Workers(app, tmp_path / "worker")
    yield pool
    pool.stop_all()
