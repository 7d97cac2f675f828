"""Export your posts with a real ``flask worker`` process, on the embedded
SQLite queue and on a real Redis: the file end to end (mailed to a real SMTP
server and downloaded), the progress the pages are told, one export at a
time, and who may download it for how long."""
from __future__ import annotations

import json
import math
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.exports.routes import ALREADY, EXPIRED, STARTED
from app.extensions import db
from app.jobs import enqueue, pending_count, tasks
from app.jobs.export import BATCH
from app.models import Task
from tests.conftest import AuthActions
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
)
from tests.support.waiting import wait_for
from tests.support.worker import Store, queue_store

ALREADY, EXPIRED, STARTED = str(ALREADY), str(EXPIRED), str(STARTED)  # translatable: their English

POSTS = 2500  # several batches of the export (BATCH posts each)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    with queue_store(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def settings() -> dict[str, object]:
    """A test's own settings, for the web side (parametrize to change)."""
    return {}


@pytest.fixture
def app_config(store: Store, settings: dict[str, object]) -> dict[str, object]:
    return {"QUEUE_URL": store.url, **settings}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the tests that need PostgreSQL too say so


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
def test_an_export_end_to_end(app, client, susan, john, workers, smtp):
    expected = add_posts(susan.id, POSTS)
    add_posts(john.id, 3, prefix="john's")  # not in susan's file
    workers.start(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port))
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    assert client.post("/auth/login", data={"username": "susan", "password": "correct horse",
                                            "csrf_token": token}).status_code == 302
    profile = client.get("/user/susan").get_data(as_text=True)
    assert 'action="/export_posts"' in profile and 'id="export-posts"' in profile

    assert client.post("/export_posts").status_code == 400  # a form without its token (a cross-site post)
    assert task_count() == 0

    response = client.post("/export_posts", data={"csrf_token": csrf_token(profile)})
    assert response.status_code == 302 and response.headers["Location"] == "/user/susan"
    assert STARTED in client.get("/user/susan").get_data(as_text=True)
    task = only_task(susan.id)
    assert (task.name, task.description) == ("export_posts", "Exporting your posts")
    done = finished(task.id, workers)
    assert (done.progress, done.error) == (100, None) and done.finished is not None

    (mail,) = smtp.inbox.wait_for(1, timeout=30)
    assert (mail["Subject"], mail["To"]) == ("[Microblog] Your posts", "susan@example.com")
    assert f"http://localhost/exports/{task.id}" in mail.get_body(("plain",)).get_content()
    mailed = attachment(mail)
    check_export(mailed, "susan", expected)

    download = client.get(f"/exports/{task.id}", buffered=True)
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == \
        f'attachment; filename="microblog-posts-susan-{done.finished:%Y%m%d}.json"'
    assert download.headers["Cache-Control"] == "private, no-store"
    assert int(download.headers["Content-Length"]) == len(download.data) == done.result_size
    assert download.data == mailed

    alert = progress_notification(client)
    assert alert == {"task_id": task.id, "name": "export_posts", "description": "Exporting your posts",
                     "progress": 100, "state": "complete", "error": None, "result_url": f"/exports/{task.id}"}


HISTORY = [
    "CREATE TABLE test_progress_seen (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL)",
    "CREATE TRIGGER test_progress_insert AFTER INSERT ON notification WHEN NEW.name = 'task_progress' "
    "BEGIN INSERT INTO test_progress_seen (payload) VALUES (NEW.payload_json); END",
    "CREATE TRIGGER test_progress_update AFTER UPDATE ON notification WHEN NEW.name = 'task_progress' "
    "BEGIN INSERT INTO test_progress_seen (payload) VALUES (NEW.payload_json); END",
]


def test_progress_goes_from_queued_through_running_to_complete(app, client, logged_in, workers):
    add_posts(logged_in.id, POSTS)
    with db.engine.begin() as conn:  # every task_progress the database is given, in order
        for statement in HISTORY:
            conn.execute(sa.text(statement))
    assert STARTED in client.post("/export_posts", follow_redirects=True).get_data(as_text=True)
    queued = progress_notification(client)  # no worker yet
    assert (queued["state"], queued["progress"], queued["result_url"]) == ("queued", 0, None)

    workers.start()
    polled = [queued]  # what the page's poll is told while the job runs

    def complete() -> bool:
        now = progress_notification(client)
        if now != polled[-1]:
            polled.append(now)
        return now["state"] == "complete"

    wait_for(complete, timeout=30, explain=lambda: f"{polled}\n{workers.started[0].output()}", interval=0.01)
    order = ["queued", "running", "complete"]
    assert [order.index(n["state"]) for n in polled] == sorted(order.index(n["state"]) for n in polled)
    assert [n["progress"] for n in polled] == sorted(n["progress"] for n in polled)
    assert polled[-1]["progress"] == 100 and polled[-1]["result_url"] == f"/exports/{queued['task_id']}"

    with db.engine.connect() as conn:
        seen = [json.loads(p) for p in conn.scalars(sa.text("SELECT payload FROM test_progress_seen ORDER BY seq"))]
    batches = [min(99, min(k * BATCH, POSTS) * 100 // POSTS) for k in range(1, math.ceil(POSTS / BATCH) + 1)]
    assert len(batches) >= 2 and all(0 < p < 100 for p in batches)  # a multi-batch export, or this proves less
    assert [(n["state"], n["progress"]) for n in seen] == \
        [("queued", 0), ("running", 0), *[("running", p) for p in batches], ("complete", 100)]
    assert {n["task_id"] for n in seen} == {queued["task_id"]}


def test_a_second_export_while_one_is_queued_is_refused(app, client, logged_in, workers):
    add_posts(logged_in.id, 10)
    assert STARTED in client.post("/export_posts", follow_redirects=True).get_data(as_text=True)
    again = client.post("/export_posts", follow_redirects=True)
    assert again.status_code == 200 and ALREADY in again.get_data(as_text=True)
    first = only_task(logged_in.id)
    assert first.state == "queued" and pending_count() == 1  # one job in the store, not two

    workers.start()
    finished(first.id, workers)
    second = export(client, workers, logged_in.id)  # once it is done, a new export is welcome
    assert second.id != first.id and task_count(logged_in.id) == 2


def click(client, barrier: threading.Barrier, answers: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Press "Export your posts" at the same moment as the other threads."""
    barrier.wait()
    response = client.post("/export_posts", follow_redirects=True)
    answers.append(f"{response.status_code} {response.get_data(as_text=True)}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_double_click_queues_one_export(app, client, susan, backend):
    """Two requests at once: the partial unique index lets one task through."""
    clients = [client, app.test_client()]  # two logins of susan's (IsolatedClient, as the fixture set)
    for each in clients:
        assert AuthActions(each).login().status_code == 302
    for round_ in range(1, 4):
        barrier = threading.Barrier(len(clients))
        answers: list[str] = []
        threads = [threading.Thread(target=click, args=(each, barrier, answers)) for each in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(answers) == 2 and all(a.startswith("200 ") for a in answers), answers
        assert sorted(STARTED in a for a in answers) == [False, True]
        assert sorted(ALREADY in a for a in answers) == [False, True], answers
        db.session.rollback()
        active = db.session.scalars(sa.select(Task).where(Task.state.in_(["queued", "running"]))).all()
        assert len(active) == 1 and task_count() == round_
        assert pending_count() == round_  # no worker runs: every job queued is still there
        tasks.fail(active[0].id, "cleared by the test")  # so the next round can start one


def test_only_the_owner_downloads_until_it_expires(app, client, logged_in, john, workers):
    add_posts(logged_in.id, 30)
    add_posts(john.id, 5, prefix="john's")
    workers.start()
    mine = export(client, workers, logged_in.id)
    johns_client = app.test_client()
    AuthActions(johns_client).login("john")
    johns = export(johns_client, workers, john.id)

    assert client.get(f"/exports/{mine.id}", buffered=True).status_code == 200
    assert johns_client.get(f"/exports/{mine.id}").status_code == 404  # someone else's
    assert client.get(f"/exports/{johns.id}").status_code == 404
    for unknown in (str(uuid.uuid4()), "x" * 37, "1"):
        assert client.get(f"/exports/{unknown}").status_code == 404
    anonymous = app.test_client()
    page = anonymous.get(f"/exports/{mine.id}")
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login?next=")
    script = anonymous.get(f"/exports/{mine.id}", headers={"Accept": "application/json"})
    assert script.status_code == 401 and script.mimetype == "application/problem+json"
    pressed = anonymous.post("/export_posts")
    assert pressed.status_code == 302 and pressed.headers["Location"].startswith("/auth/login")
    assert task_count() == 2

    assert chunk_count(mine.id) > 0
    # EXPORT_KEEP_HOURS later (the row moved back rather than the test waiting a day):
    keep = timedelta(hours=app.config["EXPORT_KEEP_HOURS"])
    db.session.execute(sa.update(Task).where(Task.id == mine.id).values(finished=mine.finished - keep
                                                                        - timedelta(minutes=1)))
    db.session.commit()
    expired = client.get(f"/exports/{mine.id}")  # refused at once; the file goes with the housekeeping
    assert expired.status_code == 410 and EXPIRED in expired.get_data(as_text=True)

    enqueue("expire_exports")  # what the workers' scheduler runs every ten minutes
    wait_for(lambda: chunk_count(mine.id) == 0, timeout=30, explain=workers.started[0].output)
    assert client.get(f"/exports/{mine.id}").status_code == 410
    assert chunk_count(johns.id) > 0  # still within its hours: kept
    assert johns_client.get(f"/exports/{johns.id}", buffered=True).status_code == 200
