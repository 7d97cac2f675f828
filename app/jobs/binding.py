"""The queue's binding to an app: one Huey per app, every declared job
registered on it, and ``enqueue()`` for requests."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from huey import Huey
from huey.api import TaskWrapper

from app.jobs.queue import make_huey, storage_errors
from app.jobs.runner import JOBS_BY_NAME, bind
from app.observability.metrics import JOBS


class QueueUnavailable(Exception):
    """The queue's store (Redis, or the SQLite file) could not take the job."""


@dataclass
class Jobs:
    huey: Huey
    tasks: dict[str, TaskWrapper] = field(default_factory=dict)


def jobs() -> Jobs:
    return current_app.extensions["jobs"]


def enqueue(name: str, *args: Any, job_id: str | None = None) -> str:
    """Queue job ``name`` with ``args``; returns its id. Raises
    QueueUnavailable when the store cannot be reached."""
    wrapper = jobs().tasks[name]
    task = wrapper.s(*args, id=job_id) if job_id else wrapper.s(*args)
    try:
        jobs().huey.enqueue(task)
    except storage_errors() as exc:
        current_app.logger.warning("Could not queue job %s: %s", name, type(exc).__name__)
        raise QueueUnavailable(str(exc)) from exc
    return task.id


def pending_count() -> int:
    return jobs().huey.pending_count()


def init_app(app: Flask) -> None:
    huey = make_huey(app)
    registry = Jobs(huey)
    for spec in JOBS_BY_NAME.values():
        registry.tasks[spec.name] = bind(app, huey, spec)
        for status in ("complete", "failed"):
            JOBS.labels(spec.name, status)  # every series from 0, so a first failure shows as an increase
    app.extensions["jobs"] = registry
