"""Exports and tasks through the JSON API, on SQLite and PostgreSQL: queuing
one (202, Location, the representation), the refusals (409 while one is
active, 404 for someone else's task, 401 without a token, 503 while the
queue's store is down), and what the task says once its job has run.

The queue is the test config's in-process MemoryHuey; a queued job is run
with ``run_next_job``, which is the real job code (export, mail) through the
same wrapper a worker uses. tests/test_jobs*.py run real worker processes.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from app import db
from app.jobs import tasks
from app.jobs.export import NAME
from app.models import Post, Task, User, utcnow
from app.models.tasks import COMPLETE, FAILED, QUEUED, RUNNING
from tests.support.ports import free_port
from tests.support.requirements import missing
from tests.support.waiting import wait_for
from tests.test_api import assert_problem, bearer, issue_token

TASK_KEYS = {"id", "name", "description", "progress", "state", "error", "created", "finished", "_links"}
PUBLIC_URL = "https://microblog.example.com"


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    """susan's."""
    return bearer(token)


def huey(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["jobs"].huey


def run_next_job(app: Flask) -> str:
    """Run the job at the head of the queue in this process; its name."""
    db.session.commit()  # no transaction of the test's left open while the job writes
    job = huey(app).dequeue()
    assert job is not None, "nothing was queued"
    huey(app).execute(job)
    db.session.expire_all()  # what the job wrote, not what this session remembers
    return job.name


def export(client, headers: dict[str, str]) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/exports", headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def get_task(client, task_id: str, headers: dict[str, str]) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/tasks/{task_id}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def task_rows() -> list[Task]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Task)))


def age(task_id: str, seconds: float) -> None:
    """Move a task's times ``seconds`` into the past, as if it ran that long ago."""
    then = utcnow() - timedelta(seconds=seconds)
    db.session.execute(sa.update(Task).where(Task.id == task_id).values(
        created=then, heartbeat=sa.case((Task.heartbeat.is_(None), None), else_=then),
        finished=sa.case((Task.finished.is_(None), None), else_=then)))
    db.session.commit()


def add_posts(user: User, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=utcnow().tzinfo)
    db.session.execute(sa.insert(Post), [{"body": f"post {n}", "user_id": user.id,
                                          "timestamp": start + timedelta(minutes=n)} for n in range(count)])
    db.session.commit()


class TestStart:
    def test_202_with_the_task_and_its_location(self, app, client, susan, headers):
        response = client.post("/api/exports", headers=headers)
        assert response.status_code == 202
        task = response.get_json()
        assert task.keys() == TASK_KEYS
        assert (task["name"], task["state"], task["progress"], task["error"], task["finished"]) == (
            NAME, QUEUED, 0, None, None)
        assert task["description"] == "Exporting your posts"
        assert task["created"].endswith("+00:00")
        assert abs(datetime.fromisoformat(task["created"]) - utcnow()) < timedelta(minutes=1)
        assert task["_links"] == {"self": f"/api/tasks/{task['id']}", "result": None}
        assert response.headers["Location"] == task["_links"]["self"]
        # Recorded as susan's, queued once, and readable at its Location.
        [row] = task_rows()
        assert (row.id, row.user_id, row.state) == (task["id"], susan.id, QUEUED)
        assert huey(app).pending_count() == 1
        assert get_task(client, task["id"], headers) == task

    def test_the_web_alert_hears_of_it(self, client, susan, headers):
        """The same task_progress notification the web button sends: the
        pages' alert shows an export started from the API."""
        task = export(client, headers)
        [notice] = [n for n in client.get("/api/notifications", headers=headers).get_json()
                    if n["name"] == tasks.PROGRESS]
        assert (notice["data"]["task_id"], notice["data"]["state"]) == (task["id"], QUEUED)

    def test_a_second_one_is_a_409_naming_the_first(self, app, client, susan, headers):
        first = export(client, headers)
        response = client.post("/api/exports", headers=headers)
        doc = assert_problem(response, 409)
        assert first["id"] in doc["detail"] and first["_links"]["self"] in doc["detail"]
        assert doc["task"] == first
        assert "Location" not in response.headers
        assert [row.id for row in task_rows()] == [first["id"]]
        assert huey(app).pending_count() == 1

    def test_the_web_button_and_the_api_share_the_one_active_export(self, client, auth, susan, headers):
        first = export(client, headers)
        auth.login()
        assert client.post("/export_posts").status_code == 302
        assert [row.id for row in task_rows()] == [first["id"]]

    def test_others_can_export_at_the_same_time(self, client, susan, john, headers):
        mine = export(client, headers)
        theirs = export(client, bearer(issue_token(john)))
        assert mine["id"] != theirs["id"]
        assert {(row.id, row.user_id) for row in task_rows()} == {(mine["id"], susan.id), (theirs["id"], john.id)}

    @pytest.mark.parametrize(("method", "path"), [("POST", "/api/exports"),
                                                  ("GET", "/api/tasks/0b5a3f0e-4d0c-4f55-9a57-3b0f2c8e7d11")])
    @pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
    def test_401_without_a_token(self, app, client, susan, method, path, authorization):
        headers = {"Authorization": authorization} if authorization else {}
        response = client.open(path, method=method, headers=headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="microblog API"')
        assert task_rows() == []
        assert huey(app).pending_count() == 0

    def test_a_web_session_is_not_a_token(self, app, client, auth, susan):
        auth.login()
        assert_problem(client.post("/api/exports"), 401)
        assert task_rows() == []


class TestQueueDown:
    @pytest.fixture
    def redis_port(self) -> int:
        return free_port()

    @pytest.fixture
    def app_config(self, redis_port):  # type: ignore[no-untyped-def]
        # Nothing listens there: redis-py raises ConnectionError on the enqueue.
        return {"QUEUE_URL": f"redis://127.0.0.1:{redis_port}/0"}

    def test_503_with_retry_after_and_nothing_recorded(self, client, susan, headers):
        response = client.post("/api/exports", headers=headers)
        doc = assert_problem(response, 503)
        assert doc["detail"].startswith("Exports are unavailable right now")
        assert int(response.headers["Retry-After"]) > 0
        assert task_rows() == []
        # Nothing half-done blocks the next try: still a 503, not a 409.
        assert_problem(client.post("/api/exports", headers=headers), 503)

    def test_the_rest_of_the_api_still_answers(self, client, susan, headers):
        assert_problem(client.post("/api/exports", headers=headers), 503)
        assert client.get(f"/api/users/{susan.id}", headers=headers).status_code == 200
        assert client.get("/api/notifications", headers=headers).status_code == 200

    def test_once_the_store_is_back_it_queues(self, app, client, susan, headers, redis_port):
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server not found: apt-get install redis-server")
        assert_problem(client.post("/api/exports", headers=headers), 503)
        server = subprocess.Popen([binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: _answers_ping(redis_port), timeout=10, explain=lambda: "redis-server did not start",
                     proc=server, interval=0.05)
            task = export(client, headers)
            assert huey(app).pending_count() == 1
            assert [row.id for row in task_rows()] == [task["id"]]
        finally:
            server.terminate()
            server.wait(timeout=10)


def _answers_ping(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_timeout=1).ping())
    except redis.ConnectionError:
        return False


class TestGet:
    def test_someone_elses_task_is_a_404_like_an_unknown_one(self, client, susan, john, headers):
        task = export(client, headers)
        johns = bearer(issue_token(john))
        theirs = assert_problem(client.get(f"/api/tasks/{task['id']}", headers=johns), 404)
        unknown = assert_problem(client.get("/api/tasks/0b5a3f0e-4d0c-4f55-9a57-3b0f2c8e7d11", headers=johns), 404)
        assert theirs["detail"] == unknown["detail"]
        assert task["id"] not in json.dumps(theirs).replace(theirs["instance"], "")

    @pytest.mark.parametrize("task_id", ["x" * 37, "nope", "1", "0b5a3f0e-4d0c-4f55-9a57-3b0f2c8e7d11"])
    def test_what_cannot_be_an_id_is_a_404(self, client, susan, headers, task_id):
        assert_problem(client.get(f"/api/tasks/{task_id}", headers=headers), 404)

    def test_progress_as_the_job_reports_it(self, client, susan, headers):
        task = export(client, headers)
        tasks.report(task["id"], 40)
        shown = get_task(client, task["id"], headers)
        assert (shown["state"], shown["progress"], shown["finished"]) == (RUNNING, 40, None)

    def test_complete_after_the_job_ran(self, app, client, auth, susan, headers):
        add_posts(susan, 2500)  # more than one batch
        task = export(client, headers)
        assert run_next_job(app) == NAME
        done = get_task(client, task["id"], headers)
        assert (done["state"], done["progress"], done["error"]) == (COMPLETE, 100, None)
        assert datetime.fromisoformat(done["finished"]) >= datetime.fromisoformat(done["created"])
        assert done["_links"]["result"] == f"/exports/{task['id']}"
        # The link serves the file to its owner's web session.
        auth.login()
        download = client.get(done["_links"]["result"], buffered=True)  # a stream: read it inside the request
        assert download.status_code == 200
        posts = json.loads(download.get_data())["posts"]
        assert [p["body"] for p in posts] == [f"post {n}" for n in range(2500)]
        # A new export may start once this one is done.
        assert export(client, headers)["id"] != task["id"]

    def test_the_result_link_goes_when_the_file_expires(self, app, client, susan, headers):
        task = export(client, headers)
        run_next_job(app)
        age(task["id"], app.config["EXPORT_KEEP_HOURS"] * 3600 + 60)
        shown = get_task(client, task["id"], headers)
        assert (shown["state"], shown["_links"]["result"]) == (COMPLETE, None)

    def test_failed_when_the_job_raises(self, app, client, susan, headers, monkeypatch):
        from app.jobs import export as export_job

        def broken(user_id: int):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk on fire")
            yield  # pragma: no cover

        task = export(client, headers)
        monkeypatch.setattr(export_job, "_batches", broken)
        run_next_job(app)
        failed = get_task(client, task["id"], headers)
        assert (failed["state"], failed["_links"]["result"]) == (FAILED, None)
        assert failed["error"] == "The export failed. Please try again."
        assert "disk on fire" not in json.dumps(failed)
        # Trying again is allowed.
        assert export(client, headers)["id"] != task["id"]


class TestStoppedWorker:
    """A running task whose worker went silent for JOB_STUCK_SECONDS reads as
    failed on GET, even with no worker left to run the periodic sweep."""

    def test_a_stale_running_task_reads_failed(self, app, client, susan, headers):
        task = export(client, headers)
        tasks.report(task["id"], 43)  # running, then its worker died
        age(task["id"], app.config["JOB_STUCK_SECONDS"] + 5)
        shown = get_task(client, task["id"], headers)
        assert (shown["state"], shown["progress"], shown["error"]) == (FAILED, 43, tasks.STOPPED)
        assert shown["finished"] is not None
        # The alert on the web pages hears of it too, and a new export may start.
        [notice] = [n for n in client.get("/api/notifications", headers=headers).get_json()
                    if n["name"] == tasks.PROGRESS]
        assert (notice["data"]["task_id"], notice["data"]["state"]) == (task["id"], FAILED)
        assert export(client, headers)["id"] != task["id"]

    def test_a_running_task_that_reports_stays_running(self, app, client, susan, headers):
        task = export(client, headers)
        tasks.report(task["id"], 10)
        age(task["id"], app.config["JOB_STUCK_SECONDS"] - 30)
        assert get_task(client, task["id"], headers)["state"] == RUNNING

    def test_a_queued_task_is_not_swept(self, app, client, susan, headers):
        """Waiting for a busy worker is not being stuck."""
        task = export(client, headers)
        age(task["id"], app.config["JOB_STUCK_SECONDS"] + 5)
        assert get_task(client, task["id"], headers)["state"] == QUEUED


class TestTheEmail:
    @pytest.fixture
    def app_config(self, smtp):  # type: ignore[no-untyped-def]
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "PUBLIC_URL": PUBLIC_URL}

    def test_its_link_is_built_from_public_url_not_the_request_host(self, app, client, susan, headers, smtp):
        add_posts(susan, 3)
        task = export(client, {**headers, "Host": "attacker.example"})
        assert run_next_job(app) == NAME
        assert run_next_job(app) == "mail_export"
        [mail] = smtp.inbox.wait_for(1)
        assert mail["To"] == susan.email
        text = mail.get_body(("plain",)).get_content()
        assert f"{PUBLIC_URL}/exports/{task['id']}" in text
        assert "attacker.example" not in mail.as_string()
        [attachment] = list(mail.iter_attachments())
        assert [p["body"] for p in json.loads(attachment.get_content())["posts"]] == ["post 0", "post 1", "post 2"]
