"""When background jobs break, with a real ``flask worker`` process: the
worker SIGKILLed mid-export, an export that raises, the queue's Redis
stopped and started again, and the mail server down when an export ends."""
from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from app.exports.routes import ALREADY, STARTED, UNAVAILABLE
from app.extensions import db
from app.jobs import enqueue
from app.jobs.tasks import STOPPED
from tests.support.exports import (
    add_posts,
    attachment,
    check_export,
    chunk_count,
    export,
    finished,
    only_task,
    progress_notification,
    task_count,
    task_row,
)
from tests.support.metrics import value
from tests.support.ports import free_port
from tests.support.smtp import SMTPServer
from tests.support.waiting import wait_for
from tests.support.worker import Store, queue_store, restart_redis

ALREADY, STARTED, UNAVAILABLE = str(ALREADY), str(STARTED), str(UNAVAILABLE)  # translatable: their English

STUCK = 3  # JOB_STUCK_SECONDS, on both sides: a killed job is failed this long after its last report


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    with queue_store(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def app_config(store: Store) -> dict[str, object]:
    return {"QUEUE_URL": store.url, "JOB_STUCK_SECONDS": STUCK}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the tests that need PostgreSQL say so


GATE_KEY = 4212
GATE = [
    "CREATE FUNCTION test_export_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    f" PERFORM pg_advisory_lock_shared({GATE_KEY}); PERFORM pg_advisory_unlock_shared({GATE_KEY}); RETURN NEW;"
    " END $$",
    "CREATE TRIGGER test_export_gate BEFORE INSERT ON export_chunk FOR EACH ROW WHEN (NEW.seq = 1)"
    " EXECUTE FUNCTION test_export_gate()",
]


class Gate:
    """While closed, an export stops at its second chunk, with its first
    batch's progress committed: mid-job, for as long as the test needs, with
    no race against a fast export (PostgreSQL: an advisory lock in a trigger)."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)

    def close(self) -> None:
        self.conn.execute("SELECT pg_advisory_lock(%s)", (GATE_KEY,))

    def open(self) -> None:
        self.conn.execute("SELECT pg_advisory_unlock_all()")


@pytest.fixture
def gate(app, backend: str) -> Iterator[Gate]:
    assert backend == "postgresql"
    with db.engine.begin() as conn:
        for statement in GATE:
            conn.execute(sa.text(statement))
    gate = Gate(app.config["SQLALCHEMY_DATABASE_URI"])
    yield gate
    gate.conn.close()
    with db.engine.begin() as conn:  # the database outlives the test
        conn.execute(sa.text("DROP TRIGGER IF EXISTS test_export_gate ON export_chunk"))
        conn.execute(sa.text("DROP FUNCTION IF EXISTS test_export_gate()"))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_sigkilled_worker_fails_its_task_and_a_new_export_works(app, client, logged_in, workers, gate, backend):
    expected = add_posts(logged_in.id, 2500)
    gate.close()
    worker = workers.start(DB_STATEMENT_TIMEOUT_MS="60000")  # the held insert must not time out instead
    assert STARTED in client.post("/export_posts", follow_redirects=True).get_data(as_text=True)
    task_id = only_task(logged_in.id).id

    def held():  # type: ignore[no-untyped-def]
        task = task_row(task_id)
        return task if task.state == "running" and task.progress > 0 else None

    running = wait_for(held, timeout=30, explain=worker.output)
    assert 0 < running.progress < 100
    alert = progress_notification(client)
    assert (alert["state"], alert["progress"]) == ("running", running.progress)
    again = client.post("/export_posts", follow_redirects=True)  # pressed again while it runs (and beats)
    assert ALREADY in again.get_data(as_text=True) and task_count() == 1

    worker.kill()
    gate.open()
    assert task_row(task_id).state == "running"  # nobody is left to say otherwise...
    assert chunk_count(task_id) == 1  # ...and its first batch stays behind
    # ...until a page looks, JOB_STUCK_SECONDS after the last report (the
    # workers' minutely sweep would too; here none is running).
    wait_for(lambda: client.get(f"/exports/{task_id}").status_code == 404 and task_row(task_id).state == "failed",
             timeout=STUCK + 20, explain=lambda: repr(task_row(task_id)))
    failed = task_row(task_id)
    assert (failed.error, failed.progress) == (STOPPED, running.progress)
    assert failed.finished - failed.heartbeat >= timedelta(seconds=STUCK)
    alert = progress_notification(client)
    assert (alert["task_id"], alert["state"], alert["error"]) == (task_id, "failed", STOPPED)

    workers.start()  # a new worker, and the user's "Try again"
    fresh = export(client, workers, logged_in.id)
    check_export(client.get(f"/exports/{fresh.id}", buffered=True).data, "susan", expected)
    enqueue("expire_exports")  # the half-written file of the killed job goes
    wait_for(lambda: chunk_count(task_id) == 0, timeout=30, explain=workers.started[-1].output)
    assert chunk_count(fresh.id) > 0


def worker_metrics(port: int) -> dict[tuple[str, frozenset], float]:
    """A worker's own /metrics, every sample by (name, labels); empty while it does not answer yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return {}
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


FAIL_SECOND_CHUNK = [
    "CREATE TRIGGER test_refuse_chunk BEFORE INSERT ON export_chunk WHEN NEW.seq = 1"
    " BEGIN SELECT RAISE(ABORT, 'chunk refused by the test'); END",
    # What was written, kept apart (the housekeeping may delete the chunks at any minute).
    "CREATE TABLE test_chunks_seen (task_id TEXT, seq INTEGER)",
    "CREATE TRIGGER test_chunk_written AFTER INSERT ON export_chunk"
    " BEGIN INSERT INTO test_chunks_seen VALUES (NEW.task_id, NEW.seq); END",
]


def test_a_raising_job_reaches_the_error_log_the_email_and_the_task(app, client, logged_in, workers, smtp):
    add_posts(logged_in.id, 1500)  # two batches: the job raises at its second
    with db.engine.begin() as conn:
        for statement in FAIL_SECOND_CHUNK:
            conn.execute(sa.text(statement))
    port = free_port()
    worker = workers.start(LOG_TO_FILE="1", ERROR_EMAILS="1", ADMINS="admin@example.com", MAIL_SERVER="127.0.0.1",
                           MAIL_PORT=str(smtp.port), MAIL_TIMEOUT="5", WORKER_METRICS_PORT=str(port))
    failures = wait_for(lambda: worker_metrics(port), timeout=10, explain=worker.output)
    assert value(failures, "jobs_total", job="export_posts", status="failed") == 0
    assert STARTED in client.post("/export_posts", follow_redirects=True).get_data(as_text=True)
    task_id = only_task(logged_in.id).id
    failed = finished(task_id, workers, state="failed")
    assert failed.error == "The export failed. Please try again."
    alert = progress_notification(client)
    assert (alert["state"], alert["error"], alert["result_url"]) == ("failed", failed.error, None)

    error_log = workers.log_dir / "error.log"
    wait_for(lambda: error_log.exists() and "chunk refused by the test" in error_log.read_text(), timeout=10,
             explain=worker.output)
    text = error_log.read_text()
    (line,) = [line for line in text.splitlines() if "Job export_posts failed" in line]
    assert f"[job:{task_id}]" in line and "ERROR" in line
    assert "IntegrityError" in text

    (mail,) = smtp.inbox.wait_for(1, timeout=20)
    assert mail["Subject"] == "Microblog Failure: IntegrityError in job export_posts"
    assert mail["To"] == "admin@example.com"
    body = mail.get_body(("plain",)).get_content()
    assert "Job: export_posts" in body and f"Job id: {task_id}" in body and "chunk refused by the test" in body
    counted = worker_metrics(port)
    assert counted, worker.output()
    assert value(counted, "jobs_total", job="export_posts", status="failed") == 1
    assert value(counted, "jobs_total", job="export_posts", status="complete") == 0

    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER test_refuse_chunk"))
    export(client, workers, logged_in.id)  # nothing was left active: the user can try again
    assert value(worker_metrics(port), "jobs_total", job="export_posts", status="complete") == 1
    with db.engine.connect() as conn:  # the first batch was written (and committed) before the job raised
        assert conn.execute(sa.text("SELECT seq FROM test_chunks_seen WHERE task_id = :id"),
                            {"id": task_id}).scalars().all() == [0]
    enqueue("expire_exports")
    wait_for(lambda: chunk_count(task_id) == 0, timeout=30, explain=worker.output)


@pytest.mark.parametrize("store", ["redis"], indirect=True)
def test_redis_stopped_and_started_again(app, client, logged_in, workers, store):
    expected = add_posts(logged_in.id, 20)
    worker = workers.start()
    store.redis.stop()

    pressed = client.post("/export_posts")
    assert pressed.status_code == 302
    page = client.get(pressed.headers["Location"])
    assert page.status_code == 200 and UNAVAILABLE in page.get_data(as_text=True)
    assert task_count() == 0
    assert progress_notification(client) is None  # no alert for a task that never was
    for path in ("/index", "/explore", "/user/susan", "/messages", "/edit_profile"):
        assert client.get(path).status_code == 200, path

    restart_redis(store.redis)
    task = export(client, workers, logged_in.id)  # the same worker, back on its own
    assert worker.proc.poll() is None
    check_export(client.get(f"/exports/{task.id}", buffered=True).data, "susan", expected)


def test_mail_down_when_the_export_finishes(app, client, logged_in, workers):
    expected = add_posts(logged_in.id, 1200)
    smtp = SMTPServer()  # its port is chosen, and nothing listens on it yet
    workers.start(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port), MAIL_TIMEOUT="2",
                  EXPORT_MAIL_RETRY_SECONDS="1", SMTP_BREAKER_RESET="1")
    task = export(client, workers, logged_in.id)
    download = client.get(f"/exports/{task.id}", buffered=True)
    assert download.status_code == 200  # the file does not wait for the mail
    check_export(download.data, "susan", expected)

    log = workers.log_dir / "microblog.log"
    wait_for(lambda: log.exists() and log.read_text().count("Job mail_export failed") >= 2, timeout=30,
             explain=lambda: log.read_text() if log.exists() else "no log")  # retrying, not given up
    assert "ERROR" not in log.read_text()  # not an error yet: it will be tried again
    with smtp:
        (mail,) = smtp.inbox.wait_for(1, timeout=30)
    assert (mail["Subject"], mail["To"]) == ("[Microblog] Your posts", "susan@example.com")
    assert "Your posts are attached" in mail.get_body(("plain",)).get_content()
    assert attachment(mail) == download.data
