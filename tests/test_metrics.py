"""/metrics: every metric moves as it should after real requests."""
from __future__ import annotations

import threading
import time

import pytest
from flask import abort

from tests.support.metrics import scrape, value


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False, "METRICS_CACHE_SECONDS": 0}


@pytest.fixture(autouse=True)
def routes(app):
    @app.route("/test/boom")
    def boom():
        raise RuntimeError("boom")

    @app.route("/test/forbidden")
    def forbidden():
        abort(403)

    @app.route("/test/wait")
    def wait():
        app.config["TEST_ENTERED"].set()
        app.config["TEST_RELEASE"].wait(10)
        return "done"


def test_request_counters_by_endpoint_and_status(client):
    before = scrape(client)
    client.get("/auth/login")
    client.get("/auth/login")
    client.get("/no/such/page")
    client.delete("/auth/logout")  # 405: no rule matches the method
    client.get("/test/forbidden")
    after = scrape(client)

    def delta(**labels):
        return value(after, "http_requests_total", **labels) - value(before, "http_requests_total", **labels)

    assert delta(method="GET", endpoint="auth.login", status="200") == 2
    assert delta(method="GET", endpoint="<unmatched>", status="404") == 1
    assert delta(method="DELETE", endpoint="<unmatched>", status="405") == 1
    assert delta(method="GET", endpoint="forbidden", status="403") == 1
    count = "http_request_duration_seconds_count"
    assert value(after, count, method="GET", endpoint="auth.login") - \
        value(before, count, method="GET", endpoint="auth.login") == 2
    assert value(after, "http_requests_in_progress") == 0


def test_in_progress_counts_the_requests_being_answered(app):
    app.config.update(TEST_ENTERED=threading.Event(), TEST_RELEASE=threading.Event())
    slow = threading.Thread(target=lambda: app.test_client().get("/test/wait"))
    slow.start()
    try:
        assert app.config["TEST_ENTERED"].wait(10)
        assert value(scrape(app.test_client()), "http_requests_in_progress") == 1  # the scrape itself is not counted
    finally:
        app.config["TEST_RELEASE"].set()
        slow.join(10)
    assert value(scrape(app.test_client()), "http_requests_in_progress") == 0


def test_each_500_is_counted_exactly_once(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/test/boom").status_code == 500
    after = scrape(client)
    exc = ("http_exceptions_total", {"exception": "RuntimeError", "endpoint": "boom"})
    assert value(after, exc[0], **exc[1]) - value(before, exc[0], **exc[1]) == 3
    req = {"method": "GET", "endpoint": "boom", "status": "500"}
    assert value(after, "http_requests_total", **req) - value(before, "http_requests_total", **req) == 3


def test_metrics_requests_are_not_counted(client):
    before = scrape(client)
    after = scrape(client)
    assert not [key for key in after if dict(key[1]).get("endpoint") == "metrics.metrics"]
    assert value(after, "http_requests_total", method="GET", endpoint="metrics.metrics", status="200") == 0
    assert before.keys() <= after.keys()


def test_random_urls_add_at_most_one_series(client):
    client.get("/warm/up")
    before = {k for k in scrape(client) if k[0] == "http_requests_total"}
    for i in range(1000):
        client.get(f"/wp-admin/{i}/probe.php?x={i}")
    after = {k for k in scrape(client) if k[0] == "http_requests_total"}
    assert len(after - before) <= 1


def test_database_statements_by_operation(client, auth, susan):
    before = scrape(client)
    auth.login()
    client.post("/index", data={"post": "counted"})
    after = scrape(client)
    for op in ("select", "insert"):
        assert value(after, "db_statements_total", operation=op) > value(before, "db_statements_total", operation=op)
    assert value(after, "db_statement_duration_seconds_count", operation="insert") > \
        value(before, "db_statement_duration_seconds_count", operation="insert")


def test_user_activity_metrics(client, auth, susan):
    before = scrape(client)
    auth.login(password="wrong password")
    auth.login()
    client.post("/index", data={"post": "one"})
    client.post("/index", data={"post": "two"})
    auth.logout()
    auth.register("john")
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("logins_total", result="failure") == 1
    assert delta("logins_total", result="success") == 1
    assert delta("posts_created_total") == 2
    assert delta("registrations_total") == 1
    assert value(after, "users_registered") == 2
    assert value(after, "users_active_5m") == 2  # both were just seen


def test_app_info(client):
    import platform
    samples = scrape(client)
    assert value(samples, "app_info", version="1.0.0", python_version=platform.python_version()) == 1


@pytest.mark.parametrize("operation", ["select", "insert", "update", "delete", "other"])
def test_statement_operation_label(operation):
    from app.observability.sql import operation as classify
    statements = {
        "select": "SELECT 1", "insert": "INSERT INTO post VALUES (1)", "update": "  update user set x=1",
        "delete": "DELETE FROM followers", "other": "PRAGMA foreign_keys=ON",
    }
    assert classify(statements[operation]) == operation
    assert classify("WITH x AS (SELECT 1) UPDATE user SET about_me = 'x'") in {"select", "update"}


class TestAccess:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_TOKEN": "s3cret-token"}

    def test_token_required(self, client):
        response = client.get("/metrics")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert scrape(client, headers={"Authorization": "Bearer s3cret-token"})


class TestNetworks:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_ALLOWED_NETWORKS": ["10.0.0.0/8", "127.0.0.1/32"]}

    def test_only_listed_networks(self, client):
        assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
        denied = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert denied.status_code == 403
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_scrape_waits_out_a_worker_file_being_created(tmp_path):
    """A booting worker's metrics file exists empty for a moment: the scrape
    reads again instead of answering 500."""
    import threading

    from prometheus_client.mmap_dict import MmapedDict

    from app.observability.exporter import _read_multiprocess

    directory = tmp_path / "metrics"  # tmp_path also holds the test's SQLite database
    directory.mkdir()
    empty = directory / "counter_4242.db"
    empty.write_bytes(b"")

    def worker_finishes_creating_it() -> None:
        time.sleep(0.015)
        MmapedDict(str(empty)).close()

    thread = threading.Thread(target=worker_finishes_creating_it)
    thread.start()
    body = _read_multiprocess(str(directory))
    thread.join()
    assert isinstance(body, bytes)


def test_metrics_can_be_turned_off(tmp_path):
    from app import create_app
    from tests.conftest import config

    app = create_app(config(f"sqlite:///{tmp_path / 'off.db'}", METRICS_ENABLED=False))
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/health/live").status_code == 200
