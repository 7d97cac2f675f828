"""What the health probes tell, and to whom: the detailed /health only to
HEALTH_ALLOWED_NETWORKS, a warning while PUBLIC_URL is unset in production,
and /health/live counted in the request metrics although it skips the app."""
from __future__ import annotations

import pytest
from flask_migrate import stamp

from app import create_app
from app.observability import tally
from tests.conftest import config
from tests.support.answers import assert_problem, health_checks
from tests.support.metrics import scrape, value


@pytest.fixture
def app_config(tmp_path):
    return {"HEALTH_CACHE_SECONDS": 0, "LOG_DIR": str(tmp_path)}


@pytest.fixture(autouse=True)
def at_head(app):
    stamp()


class TestHealthNetworks:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"HEALTH_CACHE_SECONDS": 0, "LOG_DIR": str(tmp_path),
                "HEALTH_ALLOWED_NETWORKS": ["10.0.0.0/8", "127.0.0.1/32"]}

    def test_only_listed_networks_read_the_details(self, client):
        assert client.get("/health").status_code == 200  # the test client is 127.0.0.1
        assert client.get("/health", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
        outsider = {"REMOTE_ADDR": "192.0.2.7"}
        doc = assert_problem(client.get("/health", environ_base=outsider), 403)
        assert "version" not in doc and "checks" not in doc
        # The probes stay open to the load balancer, wherever it is.
        assert client.get("/health/ready", environ_base=outsider).status_code == 200
        assert client.get("/health/live", environ_base=outsider).status_code == 200


def test_an_unusable_network_setting_stops_start_up(database_url):
    with pytest.raises(ValueError, match="HEALTH_ALLOWED_NETWORKS"):
        create_app(config(database_url, HEALTH_ALLOWED_NETWORKS=["10.0.0.0/8", "intranet"]))
    with pytest.raises(ValueError, match="METRICS_ALLOWED_NETWORKS"):
        create_app(config(database_url, METRICS_ALLOWED_NETWORKS=["10.0.0.300/8"]))


def test_public_url_unset_warns_outside_debug_and_testing(client, app):
    """Without PUBLIC_URL no reset email can carry a link (app/links.py):
    the site works, so a warning, never a failure."""
    assert "config:publicUrl" not in health_checks(client.get("/health"))  # testing: loopback links do

    app.config["TESTING"] = False  # production
    response = client.get("/health")
    entry = health_checks(response)["config:publicUrl"]
    assert response.status_code == 200 and response.get_json(force=True)["status"] == "warn"
    assert entry["status"] == "warn" and "PUBLIC_URL" in entry["output"]
    assert client.get("/health/ready").get_json(force=True)["status"] == "warn"

    app.config["PUBLIC_URL"] = "https://microblog.example.com"
    entry = health_checks(client.get("/health"))["config:publicUrl"]
    assert entry["status"] == "pass" and entry["observedValue"] == "https://microblog.example.com"

    app.config["PUBLIC_URL"] = None
    app.debug = True  # flask run --debug on a laptop
    assert "config:publicUrl" not in health_checks(client.get("/health"))


def test_liveness_probes_are_counted(client):
    """The middleware answers before Flask, so probes were in no metric."""
    def probes(samples, method):
        return value(samples, "http_requests_total", method=method, endpoint="health.live", status="200")

    tally.flush()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/health/live").status_code == 200
    assert client.head("/health/live").status_code == 200
    tally.flush()  # a scrape flushes too; this makes the point explicit
    after = scrape(client)
    assert probes(after, "GET") - probes(before, "GET") == 3
    assert probes(after, "HEAD") - probes(before, "HEAD") == 1
    durations = "http_request_duration_seconds_count"
    assert value(after, durations, method="GET", endpoint="health.live") - \
        value(before, durations, method="GET", endpoint="health.live") == 3
