"""Exporting a user's posts: a JSON file, written in batches to the
database while the progress goes to the user's pages, then mailed.

Rows are read in keyset batches and the file is written chunk by chunk, so
100,000 posts take no more memory than 1,000: nothing holds the whole file,
and no ORM object is built for a post.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from app.email import can_send, deliver, mail_to_console, make_message
from app.extensions import db, mail
from app.i18n import language_of
from app.i18n.gettext import gettext as _
from app.i18n.marker import N_
from app.jobs import tasks
from app.jobs.binding import QueueUnavailable, enqueue
from app.jobs.runner import job
from app.links import external_url
from app.models import ExportChunk, Post, Task, User
from app.models.tasks import COMPLETE

NAME = "export_posts"
DESCRIPTION = "Exporting your posts"
FAILED = N_("The export failed. Please try again.")  # stored in English, shown translated (app/i18n/client.py)
BATCH = 1000


def start_export(user: User, base_url: str | None) -> Task:
    """Record and queue an export of ``user``'s posts. Raises
    TaskAlreadyActive while one runs, QueueUnavailable when the queue's
    store is down (then nothing is recorded)."""
    job_id = str(uuid.uuid4())
    task = tasks.create(job_id, user.id, NAME, DESCRIPTION)
    try:
        enqueue(NAME, base_url, job_id=job_id)
    except QueueUnavailable:
        tasks.forget(job_id)
        raise
    return task


def _batches(user_id: int):  # type: ignore[no-untyped-def]
    """The user's posts, oldest first, BATCH at a time (keyset pagination on
    the (user_id, timestamp) index: no OFFSET that grows with the export)."""
    columns = sa.select(Post.id, Post.body, Post.timestamp).where(Post.user_id == user_id)
    last: tuple[datetime, int] | None = None
    while True:
        query = columns
        if last is not None:
            query = query.where(sa.tuple_(Post.timestamp, Post.id) > sa.tuple_(*last))
        rows = db.session.execute(query.order_by(Post.timestamp, Post.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = (rows[-1].timestamp, rows[-1].id)


def _post(row: sa.Row) -> dict[str, object]:
    # Posts have no language yet; the field appears once they do.
    return {"id": row.id, "body": row.body, "timestamp": row.timestamp.astimezone(UTC).isoformat()}


def _write(job_id: str, seq: int, data: bytes) -> None:
    db.session.execute(sa.insert(ExportChunk).values(task_id=job_id, seq=seq, data=data))


@job(NAME, on_failure=lambda job_id, exc: tasks.fail(job_id, FAILED))
def export_posts(job_id: str, base_url: str | None) -> None:
    task = db.session.get(Task, job_id)
    if task is None:  # removed before a worker got to it
        return
    user = db.session.get(User, task.user_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Post).where(Post.user_id == user.id)) or 0
    try:
        tasks.report(job_id, 0)
        _write_file(job_id, user, total, base_url)
    except tasks.TaskGone:
        # Failed meanwhile (the sweep took this worker for dead): stop quietly,
        # the user has been told and can start again.
        current_app.logger.warning("Export %s stopped: its task was failed while it ran", job_id)


def _write_file(job_id: str, user: User, total: int, base_url: str | None) -> None:
    head = {"user": user.username, "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "post_count": total}
    opening = json.dumps(head)[:-1] + ', "posts": ['
    seq, size, done = 0, 0, 0
    for rows in _batches(user.id):
        text = ("" if done == 0 else ",") + ",".join(json.dumps(_post(row)) for row in rows)
        data = ((opening if seq == 0 else "") + text).encode()
        _write(job_id, seq, data)
        seq, size, done = seq + 1, size + len(data), done + len(rows)
        tasks.report(job_id, min(99, done * 100 // max(total, 1)))  # commits the chunk with the progress
    closing = ((opening if seq == 0 else "") + "]}").encode()
    _write(job_id, seq, closing)
    tasks.complete(job_id, size + len(closing))
    enqueue("mail_export", job_id, base_url)  # a job of its own: retried while mail is down


def export_bytes(job_id: str) -> bytes:
    chunks = db.session.scalars(sa.select(ExportChunk.data).where(ExportChunk.task_id == job_id)
                                .order_by(ExportChunk.seq))
    return b"".join(chunks)


@job("mail_export", retries=60, retry_delay_setting="EXPORT_MAIL_RETRY_SECONDS")
def mail_export(job_id: str, export_id: str, base_url: str | None) -> None:
    """Mail the finished export to its owner; while the mail server is down
    this fails and Huey tries again (EXPORT_MAIL_RETRY_SECONDS apart, an
    hour's worth by default), through the mail server's circuit breaker."""
    task = db.session.get(Task, export_id)
    if task is None or task.state != COMPLETE:
        return
    user = db.session.get(User, task.user_id)
    with force_locale(language_of(user)):  # a job has no request: the owner's saved language
        subject = _("[Microblog] Your posts")
    if not can_send(subject, [user.email]):
        return
    link = external_url(base_url, "exports.download", task_id=export_id) if base_url else None
    attach = (task.result_size or 0) <= current_app.config["EXPORT_MAIL_MAX_BYTES"]
    context = {"username": user.username, "link": link, "attached": attach,
               "hours": current_app.config["EXPORT_KEEP_HOURS"]}
    with force_locale(language_of(user)):
        msg = make_message(subject, [user.email], render_template("email/export_posts.txt", **context),
                           render_template("email/export_posts.html", **context))
    if attach:
        msg.attach("posts.json", "application/json", export_bytes(export_id))
    if mail_to_console(current_app):
        deliver(msg)
        return
    # Not deliver(): a failure here is retried, not yet an error to report.
    current_app.extensions["smtp_breaker"].call(mail.send, msg)
