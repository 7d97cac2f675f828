"""Periodic jobs, run by whichever worker's scheduler is up."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from app.extensions import db
from app.jobs import tasks
from app.jobs.runner import job
from app.models import ExportChunk, Task, utcnow
from app.models.tasks import COMPLETE, FAILED


@job("sweep_stopped_tasks", schedule=crontab(minute="*"))
def sweep_stopped_tasks(job_id: str) -> None:
    """Fail the tasks whose worker died (pages and the API also check, so a
    user sees it even while no worker runs)."""
    tasks.sweep_stopped()


@job("expire_exports", schedule=crontab(minute="*/10"))
def expire_exports(job_id: str) -> None:
    """Delete the files of exports older than EXPORT_KEEP_HOURS, and what
    failed exports (a job that raised, or whose worker died) left half-written."""
    cutoff = utcnow() - timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    expired = sa.select(Task.id).where(sa.or_(sa.and_(Task.state == COMPLETE, Task.finished < cutoff),
                                              Task.state == FAILED))
    db.session.execute(sa.delete(ExportChunk).where(ExportChunk.task_id.in_(expired)),
                       execution_options={"synchronize_session": False})
    db.session.commit()
