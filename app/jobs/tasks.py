"""A user's view of a job: the Task row, and the ``task_progress``
notification that pages follow without a reload."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n.marker import N_
from app.jobs.binding import jobs
from app.jobs.queue import storage_errors
from app.models import Task, utcnow
from app.models.tasks import ACTIVE_STATES, COMPLETE, FAILED, QUEUED, RUNNING
from app.notifications.service import notify

PROGRESS = "task_progress"  # the notification's name, as in the Mega-Tutorial
STOPPED = N_("The worker stopped while running this task.")
LOST = N_("The task was lost from the queue before a worker started it.")


class TaskAlreadyActive(Exception):
    """The user already has a task of this kind queued or running."""

    def __init__(self, task: Task) -> None:
        super().__init__(task.id)
        self.task = task


class TaskGone(Exception):
    """The task was marked failed (or deleted) while its job ran: stop."""


def result_url(task: Task) -> str | None:
    return f"/exports/{task.id}" if task.state == COMPLETE and task.name == "export_posts" else None


def payload(task: Task) -> dict[str, Any]:
    return {"task_id": task.id, "name": task.name, "description": task.description, "progress": task.progress,
            "state": task.state, "error": task.error, "result_url": result_url(task)}


def _tell(task: Task) -> None:
    notify(task.user_id, PROGRESS, payload(task))


def active_task(user_id: int, name: str) -> Task | None:
    return db.session.scalar(sa.select(Task).where(Task.user_id == user_id, Task.name == name,
                                                   Task.state.in_(ACTIVE_STATES)))


def create(task_id: str, user_id: int, name: str, description: str) -> Task:
    """Record a queued task (committed). A task of this kind still active
    raises TaskAlreadyActive, unless its job has stopped (then it is failed
    first, and this one goes ahead)."""
    sweep_stopped(user_id)
    task = Task(id=task_id, user_id=user_id, name=name, description=description, state=QUEUED)
    db.session.add(task)
    try:
        db.session.flush()
    except IntegrityError:  # the one-active-task index: a second click, or a race with one
        db.session.rollback()
        existing = active_task(user_id, name)
        if existing is None:  # it finished in between: try once more
            db.session.add(task)
            db.session.flush()
        else:
            raise TaskAlreadyActive(existing) from None
    _tell(task)
    db.session.commit()
    return task


def forget(task_id: str) -> None:
    """Undo ``create`` when the job could not be queued: the row goes, and
    the alert shows again what it showed before (an earlier export's result,
    or nothing)."""
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None:
        return
    user_id, name = task.user_id, task.name
    db.session.delete(task)
    db.session.flush()
    previous = db.session.scalar(sa.select(Task).where(Task.user_id == user_id, Task.name == name)
                                 .order_by(Task.created.desc()).limit(1))
    notify(user_id, PROGRESS, payload(previous) if previous is not None else None)
    db.session.commit()


def report(task_id: str, progress: int) -> Task:
    """The job's progress (0-100), which is also its heartbeat."""
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None or task.state not in ACTIVE_STATES:
        raise TaskGone(task_id)
    task.state, task.progress, task.heartbeat = RUNNING, max(0, min(100, progress)), utcnow()
    _tell(task)
    db.session.commit()
    return task


def complete(task_id: str, result_size: int) -> Task:
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None or task.state not in ACTIVE_STATES:
        raise TaskGone(task_id)
    task.state, task.progress, task.result_size = COMPLETE, 100, result_size
    task.heartbeat = task.finished = utcnow()
    _tell(task)
    db.session.commit()
    return task


def fail(task_id: str, message: str) -> None:
    db.session.rollback()  # whatever the job left half-done
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None or task.state not in ACTIVE_STATES:
        return
    task.state, task.error, task.finished = FAILED, message[:200], utcnow()
    _tell(task)
    db.session.commit()


def _lost(cutoff: datetime, user_id: int | None) -> list[Task]:
    """Queued tasks whose job is gone from the queue (a Redis restarted
    without its data, a lost queue file): older than the cutoff while
    nothing at all waits in the queue. Unknown while the store is down."""
    query = sa.select(Task).where(Task.state == QUEUED, Task.created < cutoff)
    if user_id is not None:
        query = query.where(Task.user_id == user_id)
    waiting = list(db.session.scalars(query))
    if not waiting:
        return []
    try:
        pending = jobs().huey.pending_count()
    except storage_errors():
        return []
    return waiting if pending == 0 else []


def sweep_stopped(user_id: int | None = None) -> int:
    """Fail the running tasks whose worker has been silent for
    JOB_STUCK_SECONDS (killed, or its host gone): no task stays at 43% for
    ever. Returns how many were failed; the caller need not commit."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["JOB_STUCK_SECONDS"])
    query = sa.select(Task).where(Task.state == RUNNING, sa.or_(Task.heartbeat < cutoff, Task.heartbeat.is_(None)),
                                  Task.created < cutoff)
    if user_id is not None:
        query = query.where(Task.user_id == user_id)
    stopped = list(db.session.scalars(query))
    for task in stopped:
        task.state, task.error, task.finished = FAILED, STOPPED, utcnow()
        _tell(task)
    for task in _lost(cutoff, user_id):
        task.state, task.error, task.finished = FAILED, LOST, utcnow()
        _tell(task)
        stopped.append(task)
    if stopped:
        db.session.commit()
    return len(stopped)


__all__ = ["COMPLETE", "FAILED", "PROGRESS", "QUEUED", "RUNNING", "TaskAlreadyActive", "TaskGone", "active_task",
           "complete", "create", "fail", "forget", "payload", "report", "result_url", "sweep_stopped"]
