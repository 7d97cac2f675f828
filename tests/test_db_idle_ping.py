"""PostgreSQL connections are tested at checkout only after DB_PING_IDLE_SECONDS
unused (app/db_events.py): one the server dropped while idle is replaced
without the user seeing it; one dropped while in steady use costs one 503,
and the request after it works."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app, db
from tests.conftest import IsolatedClient, config, make_user
from tests.support.postgres import PostgresCluster


@pytest.fixture
def database(own_cluster: PostgresCluster) -> str:
    return own_cluster.create_database("idle_ping")


def _app(url: str, idle_seconds: float) -> Iterator[Flask]:
    # Errors answered as in production (a 503 page), not raised into the test.
    app = create_app(config(url, DB_PING_IDLE_SECONDS=idle_seconds, PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        make_user("susan")
        db.session.remove()
        yield app
        db.engine.dispose()


def _logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/auth/login", data={"username": "susan", "password": "correct horse"}).status_code == 302
    assert client.get("/explore").status_code == 200
    return client


def _drop_the_apps_connections(url: str) -> int:
    """What a server restart or a firewall does to them: gone, unseen by the pool."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        dropped = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    admin.dispose()
    return int(dropped)


def test_a_connection_dropped_while_idle_is_replaced_unseen(database: str) -> None:
    for app in _app(database, idle_seconds=0.2):
        client = _logged_in(app)
        assert _drop_the_apps_connections(database) >= 1
        time.sleep(0.3)
        assert client.get("/explore").status_code == 200


def test_a_connection_dropped_in_steady_use_costs_one_503(database: str) -> None:
    for app in _app(database, idle_seconds=60):
        client = _logged_in(app)
        assert _drop_the_apps_connections(database) >= 1
        failed = client.get("/explore")
        assert failed.status_code == 503
        # The failure discarded the pool: the next request connects afresh.
        assert client.get("/explore").status_code == 200


def test_at_zero_every_checkout_is_tested(database: str) -> None:
    for app in _app(database, idle_seconds=0):
        client = _logged_in(app)
        assert _drop_the_apps_connections(database) >= 1
        assert client.get("/explore").status_code == 200
