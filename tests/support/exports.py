"""Posts to export, what their export must say, and reading a Task back
while a worker writes it."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from app.exports.routes import STARTED
from app.extensions import db
from app.models import ExportChunk, Post, Task
from tests.support.waiting import wait_for
from tests.support.worker import Workers

STARTED = str(STARTED)  # translatable: its English

START = datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC)
# Bodies JSON must escape, or that a careless writer would mangle.
AWKWARD = ['a "quoted" word and a \\ backslash', "ünïcödé, 日本語 and an emoji 🎉", "two\nlines\tand a tab",
           "</script><b>not html</b> & <i>entities</i>", ""]


def add_posts(user_id: int, count: int, prefix: str = "post") -> list[dict[str, Any]]:
    """``count`` posts by ``user_id``, one per 1.000001 s from START; returns
    them as the export must list them (oldest first), built from what was
    inserted, not from what the app reads back."""
    made = []
    for i in range(count):
        body = AWKWARD[i] if i < len(AWKWARD) else f"{prefix} {i}"
        made.append({"body": body, "timestamp": START + timedelta(seconds=i, microseconds=i % 1000)})
    db.session.execute(sa.insert(Post), [{"user_id": user_id, **post} for post in made])
    db.session.commit()
    ids = db.session.scalars(sa.select(Post.id).where(Post.user_id == user_id).order_by(Post.timestamp)).all()
    db.session.rollback()
    assert len(ids) == count
    return [{"id": post_id, "body": post["body"], "timestamp": post["timestamp"].isoformat()}
            for post_id, post in zip(ids, made, strict=True)]


def check_export(data: bytes, username: str, expected: list[dict[str, Any]]) -> dict[str, Any]:
    """Parse an export and check it lists exactly ``expected``, with ISO 8601 UTC timestamps."""
    document = json.loads(data)
    assert document["user"] == username
    assert document["post_count"] == len(expected)
    assert document["posts"] == expected
    for post in document["posts"]:
        stamp = datetime.fromisoformat(post["timestamp"])
        assert stamp.utcoffset() == timedelta(0) and post["timestamp"].endswith("+00:00"), post
    exported_at = datetime.fromisoformat(document["exported_at"])
    assert exported_at.utcoffset() == timedelta(0)
    return document


def attachment(msg: EmailMessage, filename: str = "posts.json") -> bytes:
    for part in msg.iter_attachments():
        if part.get_filename() == filename:
            assert part.get_content_type() == "application/json"
            return part.get_payload(decode=True)
    raise AssertionError(f"no attachment {filename!r} in {msg['Subject']!r}")


def task_row(task_id: str) -> Task | None:
    """The Task as the database holds it now (another process writes it)."""
    db.session.rollback()
    task = db.session.get(Task, task_id, populate_existing=True)
    db.session.rollback()  # hold no transaction open while the worker writes
    return task


def only_task(user_id: int) -> Task:
    db.session.rollback()
    tasks = db.session.scalars(sa.select(Task).where(Task.user_id == user_id).order_by(Task.created)).all()
    db.session.rollback()
    assert len(tasks) == 1, tasks
    return tasks[0]


def task_count(user_id: int | None = None) -> int:
    db.session.rollback()
    query = sa.select(sa.func.count()).select_from(Task)
    if user_id is not None:
        query = query.where(Task.user_id == user_id)
    count = db.session.scalar(query)
    db.session.rollback()
    return count or 0


def chunk_count(task_id: str) -> int:
    db.session.rollback()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ExportChunk)
                              .where(ExportChunk.task_id == task_id))
    db.session.rollback()
    return count or 0


def progress_notification(client) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    """What /notifications says of the user's task now."""
    response = client.get("/notifications")
    assert response.status_code == 200, response.data
    items = [item["data"] for item in response.get_json() if item["name"] == "task_progress"]
    return items[-1] if items else None


def finished(task_id: str, workers: Workers, state: str = "complete", timeout: float = 30) -> Task:
    """The task once it is in ``state``, as the worker left it."""
    def done() -> Task | None:
        task = task_row(task_id)
        return task if task is not None and task.state == state else None

    return wait_for(done, timeout=timeout,
                    explain=lambda: f"{task_row(task_id)!r}\n" + "\n".join(w.output() for w in workers.started))


def export(client, workers: Workers, user_id: int) -> Task:  # type: ignore[no-untyped-def]
    """Press "Export your posts" and wait for the worker to finish."""
    before = {task.id for task in db.session.scalars(sa.select(Task).where(Task.user_id == user_id))}
    db.session.rollback()
    response = client.post("/export_posts", follow_redirects=True)
    assert STARTED in response.get_data(as_text=True)
    (new,) = [task for task in db.session.scalars(sa.select(Task).where(Task.user_id == user_id))
              if task.id not in before]
    db.session.rollback()
    return finished(new.id, workers)
