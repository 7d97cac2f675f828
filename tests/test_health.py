"""Health probes: live never touches the database; ready and /health check it
and the rest, with a timeout, and recover without a restart."""
from __future__ import annotations

import socket
import time

import pytest
import sqlalchemy as sa
from flask_migrate import stamp

from app import db
from app.jobs.worker import HEARTBEAT_KEY
from tests.support.answers import health_checks
from tests.support.sql import count_statements


@pytest.fixture
def app_config(tmp_path):
    return {"HEALTH_CACHE_SECONDS": 0, "HEALTH_CHECK_TIMEOUT": 1, "LOG_DIR": str(tmp_path)}


@pytest.fixture(autouse=True)
def at_head(app):
    stamp()  # create_all() built the schema; record it as the migrations' head


def test_live_is_a_plain_pass_without_the_database(app, client):
    with count_statements(db.engine) as statements:
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.mimetype == "application/health+json"
    assert response.get_json(force=True) == {"status": "pass"}
    assert statements == []


def test_ready_passes(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.mimetype == "application/health+json"
    doc = response.get_json(force=True)
    assert doc["status"] == "pass"
    assert set(doc["checks"]) == {"database:responseTime", "database:migrations", "logs:diskFree",
                                  "logs:writeFailures"}
    for entry in health_checks(response).values():
        assert entry["status"] == "pass" and entry["time"].startswith("20")
        assert "observedValue" not in entry  # the details are for /health


def test_full_health_has_details(client):
    response = client.get("/health")
    assert response.status_code == 200
    doc = response.get_json(force=True)
    assert doc["version"] == "1.0.0"
    db_check = health_checks(response)["database:responseTime"]
    assert db_check["observedUnit"] == "ms" and db_check["observedValue"] >= 0
    assert health_checks(response)["logs:diskFree"]["observedUnit"] == "MiB"
    assert health_checks(response)["database:migrations"]["observedValue"] == "0001" or \
        health_checks(response)["database:migrations"]["observedValue"]


def test_schema_behind_head_fails_ready(client, app):
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'old'"))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert health_checks(response)["database:migrations"]["status"] == "fail"
    assert "flask db upgrade" in health_checks(client.get("/health"))["database:migrations"]["output"]


def test_low_disk_warns(client, app):
    app.config["HEALTH_DISK_MIN_MB"] = 10**12
    response = client.get("/health/ready")
    assert response.status_code == 200  # logs are best-effort: still serving
    assert response.get_json(force=True)["status"] == "warn"
    assert health_checks(response)["logs:diskFree"]["status"] == "warn"


def test_log_write_failures_warn(client, app):
    from app.observability.metrics import LOG_WRITE_FAILURES
    LOG_WRITE_FAILURES.labels("microblog.log").inc()
    response = client.get("/health")
    assert response.status_code == 200  # warn still serves traffic
    assert response.get_json(force=True)["status"] == "warn"
    assert health_checks(response)["logs:writeFailures"]["status"] == "warn"


def test_results_are_cached(client, app):
    app.config["HEALTH_CACHE_SECONDS"] = 60
    client.get("/health/ready")
    with count_statements(db.engine) as statements:
        for _ in range(20):
            client.get("/health/ready")
    assert statements == []


class TestMailServer:
    def test_reachable_passes(self, client, app, smtp):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        assert health_checks(client.get("/health/ready"))["smtp:connection"]["status"] == "pass"

    def test_unreachable_only_warns(self, client, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        response = client.get("/health/ready")
        assert response.status_code == 200
        assert response.get_json(force=True)["status"] == "warn"
        assert health_checks(response)["smtp:connection"]["status"] == "warn"

    def test_open_breaker_warns(self, client, app, smtp):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        app.extensions["smtp_breaker"].open()
        entry = health_checks(client.get("/health"))["smtp:connection"]
        assert entry["status"] == "warn" and entry["observedValue"] == "open"


class TestRedis:
    def test_unreachable_redis_fails(self, client, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert health_checks(response)["redis:responseTime"]["status"] == "fail"


def test_no_secrets_in_output(client, app):
    body = client.get("/health").get_data(as_text=True)
    assert app.config["SECRET_KEY"] not in body
    assert app.config["SQLALCHEMY_DATABASE_URI"] not in body
    assert "Traceback" not in body


def test_live_is_answered_before_the_app(client, app):
    """Probes skip sessions, CSRF, limiter, metrics and request log: even a
    request hook that fails does not fail liveness."""
    @app.before_request
    def broken_hook():
        raise RuntimeError("a broken request hook")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/health/live", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 200 and response.get_json(force=True) == {"status": "pass"}
    assert response.headers["X-Request-ID"] == "probe-1"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    head = client.head("/health/live")
    assert head.status_code == 200 and head.data == b""
    assert client.post("/health/live").status_code == 500  # anything else goes through the (broken) app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestQueue:
    """The job queue: its store answers, and a worker's heartbeat is at most
    30 s old. Both only warn, so /health/ready never fails for them: the
    site serves pages without a worker, and exports wait for one."""

    @pytest.fixture
    def app_config(self, tmp_path):
        return {"HEALTH_CACHE_SECONDS": 0, "HEALTH_CHECK_TIMEOUT": 1, "LOG_DIR": str(tmp_path),
                "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}"}

    @staticmethod
    def beat(app, seconds_ago: float) -> None:
        app.extensions["jobs"].huey.put(HEARTBEAT_KEY, time.time() - seconds_ago)

    def test_no_worker_ever_warns_and_stays_ready(self, client):
        response = client.get("/health/ready")
        assert response.status_code == 200
        assert response.get_json(force=True)["status"] == "warn"
        checks = health_checks(client.get("/health"))
        assert checks["queue:store"]["status"] == "pass" and checks["queue:store"]["observedUnit"] == "ms"
        worker = checks["queue:worker"]
        assert worker["status"] == "warn" and "observedValue" not in worker
        assert worker["output"].startswith("no worker is running") and "none ever has" in worker["output"]

    def test_a_fresh_heartbeat_passes(self, client, app):
        self.beat(app, 0)
        response = client.get("/health/ready")
        assert response.status_code == 200 and response.get_json(force=True)["status"] == "pass"
        worker = health_checks(client.get("/health"))["queue:worker"]
        assert worker["status"] == "pass" and worker["observedUnit"] == "s" and 0 <= worker["observedValue"] <= 30

    def test_a_stale_heartbeat_warns(self, client, app):
        self.beat(app, 31)
        worker = health_checks(client.get("/health"))["queue:worker"]
        assert worker["status"] == "warn" and worker["observedValue"] >= 31
        assert worker["output"].startswith("no worker is running: start one with `flask worker`")
        assert "the last heartbeat was 31 s ago" in worker["output"]

    def test_unreachable_store_only_warns(self, client, app):
        """A stopped Redis (the queue's store): "Export" says it is
        unavailable, every other page works, so the instance stays ready."""
        app.config["QUEUE_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
        from app.jobs.queue import make_huey
        app.extensions["jobs"].huey = make_huey(app)
        response = client.get("/health/ready")
        assert response.status_code == 200
        assert response.get_json(force=True)["status"] == "warn"
        checks = health_checks(client.get("/health"))
        assert checks["queue:store"]["status"] == checks["queue:worker"]["status"] == "warn"
        assert checks["queue:store"]["output"].startswith("cannot reach the queue's store (ConnectionError)")
        assert checks["database:responseTime"]["status"] == "pass"

    def test_a_silent_store_times_out_as_a_warning(self, client, app):
        """A Redis that accepts connections and never answers: the probe
        answers within HEALTH_CHECK_TIMEOUT, and the check only warns."""
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            app.config["QUEUE_URL"] = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
            from app.jobs.queue import make_huey
            app.extensions["jobs"].huey = make_huey(app)
            response = client.get("/health")
            assert response.status_code == 200
            checks = health_checks(response)
            assert checks["queue:store"] == {**checks["queue:store"], "status": "warn", "output": "timed out"}
            assert checks["queue:worker"]["status"] == "warn"
            assert checks["database:responseTime"]["status"] == "pass"

    def test_memory_queue_has_no_queue_checks(self, client, app):
        """memory:// (the tests' default) lives in one process: no worker
        can ever take its jobs, so there is nothing to check."""
        app.config["QUEUE_URL"] = "memory://"
        assert not [name for name in client.get("/health/ready").get_json(force=True)["checks"]
                    if name.startswith("queue:")]
