"""What Prometheus sees of the background jobs: the queue gauges on the web
app's /metrics (read at scrape time, left out while the queue's store is
down), and a real ``flask worker``'s own /metrics on its port, on the
embedded SQLite queue and on a real Redis."""
from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from werkzeug.test import Client

from app.extensions import db
from app.jobs import enqueue
from app.jobs.worker import HEARTBEAT_KEY
from app.models import Task, utcnow
from app.models.tasks import COMPLETE, QUEUED, RUNNING
from app.observability.workermetrics import metrics_app
from tests.conftest import make_user
from tests.support.answers import health_checks
from tests.support.metrics import scrape
from tests.support.ports import free_port
from tests.support.requirements import missing
from tests.support.waiting import wait_for
from tests.support.worker import Store, queue_store, restart_redis

QUEUE_GAUGES = ("jobs_queued", "jobs_worker_heartbeat_age_seconds")
JOB_NAMES = ("export_posts", "mail_export", "sweep_stopped_tasks", "expire_exports")


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    with queue_store(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the one test that reads Task rows runs on PostgreSQL too


@pytest.fixture
def app_config(store: Store) -> dict[str, object]:
    return {"QUEUE_URL": store.url, "METRICS_CACHE_SECONDS": 0, "HEALTH_CACHE_SECONDS": 0}


def promtool_accepts(body: str) -> None:
    binary = shutil.which("promtool")
    if binary is None:
        missing("promtool not found: install Debian's prometheus package")
    check = subprocess.run([binary, "check", "metrics"], input=body, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def sample(samples: dict, name: str, /, **labels: str) -> float | None:
    """A sample's value, or None when /metrics leaves it out."""
    return samples.get((name, frozenset(labels.items())))


# The web app's queue gauges ----------------------------------------------

def test_no_worker_and_nothing_queued(client):
    """Before any worker has run on this queue, its heartbeat is infinitely
    old: "stale" for any alert threshold, and still valid exposition."""
    response = client.get("/metrics")
    promtool_accepts(response.get_data(as_text=True))
    samples = scrape(client)
    assert sample(samples, "jobs_queue_store_up") == 1
    assert sample(samples, "jobs_queued") == 0
    assert sample(samples, "jobs_oldest_queued_age_seconds") == 0
    assert sample(samples, "jobs_worker_heartbeat_age_seconds") == math.inf


def test_queued_jobs_and_a_heartbeat_are_read_from_the_store(client, app):
    for _ in range(3):
        enqueue("expire_exports")
    app.extensions["jobs"].huey.put(HEARTBEAT_KEY, time.time() - 42)
    samples = scrape(client)
    assert sample(samples, "jobs_queued") == 3
    assert 42 <= sample(samples, "jobs_worker_heartbeat_age_seconds") < 3600


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_oldest_queued_age_counts_only_queued_tasks(client, app):
    """Tasks still waiting for a worker; not the running or finished ones
    (an hour old here, so counting them would show)."""
    susan, john, amy = make_user("susan"), make_user("john"), make_user("amy")
    now = utcnow()
    db.session.add_all([
        Task(id="queued-old", user_id=susan.id, name="export_posts", description="-", state=QUEUED,
             created=now - timedelta(seconds=300)),
        Task(id="queued-new", user_id=john.id, name="export_posts", description="-", state=QUEUED,
             created=now - timedelta(seconds=10)),
        Task(id="running", user_id=amy.id, name="export_posts", description="-", state=RUNNING,
             created=now - timedelta(hours=1)),
        Task(id="done", user_id=amy.id, name="other", description="-", state=COMPLETE,
             created=now - timedelta(hours=2)),
    ])
    db.session.commit()
    age = sample(scrape(client), "jobs_oldest_queued_age_seconds")
    assert 300 <= age < 3600

    db.session.execute(db.update(Task).where(Task.state == QUEUED).values(state=RUNNING))
    db.session.commit()
    assert sample(scrape(client), "jobs_oldest_queued_age_seconds") == 0


@pytest.mark.parametrize("store", ["redis"], indirect=True)
def test_a_stopped_store_leaves_the_gauges_out_until_it_returns(client, app, store):
    """Redis stopped: the scrape still works, says the store is down, and
    leaves out what it could not read; Redis back: without a restart."""
    enqueue("expire_exports")
    assert sample(scrape(client), "jobs_queued") == 1
    store.redis.stop()

    response = client.get("/metrics")
    assert response.status_code == 200
    promtool_accepts(response.get_data(as_text=True))
    samples = scrape(client)
    assert sample(samples, "jobs_queue_store_up") == 0
    assert [name for name in QUEUE_GAUGES if sample(samples, name) is not None] == []
    # What the database says is still there.
    assert sample(samples, "jobs_oldest_queued_age_seconds") == 0
    assert sample(samples, "users_registered") == 0

    restart_redis(store.redis)  # empty: it keeps nothing on disk
    samples = scrape(client)
    assert sample(samples, "jobs_queue_store_up") == 1
    assert sample(samples, "jobs_queued") == 0


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_queue_readings_are_cached(client, app):
    app.extensions["metrics_collector"].ttl = 60
    assert sample(scrape(client), "jobs_queued") == 0
    enqueue("expire_exports")
    app.extensions["jobs"].huey.put(HEARTBEAT_KEY, time.time())
    samples = scrape(client)
    assert sample(samples, "jobs_queued") == 0  # read a moment ago: not read again
    assert sample(samples, "jobs_worker_heartbeat_age_seconds") == math.inf
    app.extensions["metrics_collector"].ttl = 0
    assert sample(scrape(client), "jobs_queued") == 1


# A worker's own /metrics -------------------------------------------------

def worker_metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def worker_samples(port: int) -> dict:
    from prometheus_client.parser import text_string_to_metric_families
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(worker_metrics(port)) for s in family.samples}


def test_a_worker_serves_its_own_metrics(client, app, workers):
    """A real worker on WORKER_METRICS_PORT: every job's series from 0 (so a
    first failure is an increase), a job it ran counted and timed, its
    process metrics; and the web sees its heartbeat."""
    port = free_port()
    worker = workers.start(WORKER_METRICS_PORT=str(port))
    body = wait_for(lambda: _answer(port), 30, worker.output, proc=worker.proc)
    promtool_accepts(body)
    samples = worker_samples(port)
    for name in JOB_NAMES:
        for status in ("complete", "failed"):
            assert sample(samples, "jobs_total", job=name, status=status) is not None, (name, status)
    # From 0: a job only users start. (expire_exports is also periodic, every
    # ten minutes: a worker started on such a minute has run it once already.)
    assert sample(samples, "jobs_total", job="export_posts", status="complete") == 0
    before = sample(samples, "jobs_total", job="expire_exports", status="complete")
    assert sample(samples, "process_resident_memory_bytes") > 0
    assert [labels for (name, labels) in samples if name == "app_info"]
    assert "jobs_queued" not in body  # the web's gauges stay the web's

    enqueue("expire_exports")
    ran = wait_for(lambda: (s := worker_samples(port)).get(
        ("jobs_total", frozenset({"job": "expire_exports", "status": "complete"}.items())), 0) > before and s,
        30, worker.output, proc=worker.proc)
    assert sample(ran, "job_duration_seconds_count", job="expire_exports") == sample(
        ran, "jobs_total", job="expire_exports", status="complete")  # each run counted and timed
    assert sample(ran, "jobs_total", job="expire_exports", status="failed") == 0

    assert health_checks(client.get("/health"))["queue:worker"]["status"] == "pass"
    assert sample(scrape(client), "jobs_worker_heartbeat_age_seconds") < 30

    worker.stop()  # SIGINT, the unit's KillSignal: a graceful stop
    assert worker.proc.returncode == 0, worker.output()
    with pytest.raises(urllib.error.URLError):
        worker_metrics(port)


def _answer(port: int) -> str | None:
    try:
        return worker_metrics(port)
    except OSError:
        return None


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_taken_metrics_port_does_not_stop_the_worker(app, workers, tmp_path):
    """Two workers on one host with the same port: the second logs why it
    has no metrics, and runs jobs all the same."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        worker = workers.start(WORKER_METRICS_PORT=str(port))  # returns once it has beaten
        enqueue("expire_exports")
        wait_for(lambda: app.extensions["jobs"].huey.pending_count() == 0, 30, worker.output, proc=worker.proc)
        log = workers.log_dir / "microblog.log"
        wait_for(lambda: f"Worker metrics not served on 127.0.0.1:{port}" in log.read_text(), 10, worker.output,
                 proc=worker.proc)
        assert "--metrics-port, WORKER_METRICS_PORT" in log.read_text()
        assert worker.proc.poll() is None


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_worker_given_gunicorns_metrics_folder_says_so(workers, tmp_path):
    """The web's /metrics would add up the worker's files with gunicorn's."""
    worker = workers.start(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "gunicorn-metrics"), WORKER_METRICS_PORT="0")
    log = workers.log_dir / "microblog.log"
    wait_for(lambda: "PROMETHEUS_MULTIPROC_DIR is set" in log.read_text(), 10, worker.output, proc=worker.proc)
    assert "Unset it for `flask worker`" in log.read_text()


class TestWorkerMetricsGuard:
    """The worker's port is guarded like the app's /metrics."""

    @pytest.fixture
    def app_config(self, store: Store) -> dict[str, object]:
        return {"QUEUE_URL": "memory://"}

    @pytest.fixture
    def store(self) -> None:
        return None

    def get(self, app, path: str = "/metrics", **environ: str):  # type: ignore[no-untyped-def]
        return Client(metrics_app(app)).get(path, environ_base={"REMOTE_ADDR": "127.0.0.1", **environ})

    def test_open_by_default(self, app):
        response = self.get(app)
        assert response.status_code == 200 and b"app_info{" in response.data
        assert self.get(app, "/other").status_code == 404

    def test_a_token(self, app):
        app.config["METRICS_TOKEN"] = "s3cret"
        refused = self.get(app)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"jobs_total" not in refused.data
        assert self.get(app, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
        assert self.get(app, HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200

    def test_networks(self, app):
        app.config["METRICS_ALLOWED_NETWORKS"] = ["10.0.0.0/8"]
        assert self.get(app).status_code == 403
        assert self.get(app, REMOTE_ADDR="10.1.2.3").status_code == 200
