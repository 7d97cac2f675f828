"""Readiness against a database that is locked, stopped or unreachable: 503
within the timeout, liveness unaffected, recovery without a restart."""
from __future__ import annotations

import socket
import time

import sqlalchemy as sa
from flask_migrate import stamp

from app import create_app, db
from tests.conftest import config
from tests.support.answers import health_checks
from tests.support.waiting import wait_for


def test_locked_database_cannot_hang_the_probe(pg_cluster, tmp_path):
    """Another session holds an exclusive lock on the schema version table:
    the migrations check waits on it, and the probe answers 503 after
    HEALTH_CHECK_TIMEOUT instead of hanging with it."""
    url = pg_cluster.create_database("health_locked")
    app = create_app(config(url, HEALTH_CACHE_SECONDS=0, HEALTH_CHECK_TIMEOUT=0.5, LOG_DIR=str(tmp_path)))
    with app.app_context():
        db.create_all()
        stamp()
    holder = sa.create_engine(url).connect()
    holder.execute(sa.text("BEGIN"))
    holder.execute(sa.text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
    try:
        client = app.test_client()
        started = time.monotonic()
        response = client.get("/health")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert health_checks(response)["database:migrations"]["output"] == "timed out"
        assert health_checks(response)["database:responseTime"]["status"] == "pass"
        assert elapsed < 3
        assert client.get("/health/live").status_code == 200
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: client.get("/health/ready").status_code == 200, 10,
             lambda: "ready did not recover after the lock was released")
    with app.app_context():
        db.engine.dispose()
    pg_cluster.drop_database("health_locked")


def test_ready_follows_a_postgres_outage_without_restart(own_cluster, tmp_path):
    url = own_cluster.create_database("health")
    app = create_app(config(url, HEALTH_CACHE_SECONDS=0, HEALTH_CHECK_TIMEOUT=2, LOG_DIR=str(tmp_path)))
    with app.app_context():
        db.create_all()
        stamp()
    client = app.test_client()
    assert client.get("/health/ready").status_code == 200

    own_cluster.stop()
    started = time.monotonic()
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert time.monotonic() - started < 4
    assert health_checks(response)["database:responseTime"]["status"] == "fail"
    assert client.get("/health/live").status_code == 200

    own_cluster.launch()
    wait_for(lambda: client.get("/health/ready").status_code == 200, 10, lambda: "ready did not recover")
    with app.app_context():
        db.engine.dispose()


def test_unreachable_database_fails_ready(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(config(f"postgresql+psycopg://u@127.0.0.1:{port}/x", HEALTH_CACHE_SECONDS=0,
                            HEALTH_CHECK_TIMEOUT=1, LOG_DIR=str(tmp_path)))
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert {c["status"] for c in health_checks(response).values() if c} >= {"fail"}
