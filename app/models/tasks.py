"""Background tasks a user started (an export of their posts), and what a
finished export produced.

A Task row is the user's view of a job: its progress, its state, and when
the worker last reported (``heartbeat``), so a job whose worker died is seen
to have stopped. The export's file is kept in the database, in chunks, so
any web host can serve what a worker on another host wrote.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

QUEUED, RUNNING, COMPLETE, FAILED = "queued", "running", "complete", "failed"
ACTIVE_STATES = (QUEUED, RUNNING)


class Task(db.Model):
    id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)  # the queue's own job id
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    description: so.Mapped[str] = so.mapped_column(sa.String(128))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    progress: so.Mapped[int] = so.mapped_column(default=0)
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default=QUEUED)
    error: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    created: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    heartbeat: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # the worker's last report
    finished: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    result_size: so.Mapped[int | None] = so.mapped_column()  # bytes of the result, once complete

    __table_args__ = (
        # One active task of a kind per user, enforced by the database: two
        # clicks on "Export" at once cannot both queue a job.
        sa.Index("ix_task_one_active", "user_id", "name", unique=True,
                 sqlite_where=sa.text("state IN ('queued', 'running')"),
                 postgresql_where=sa.text("state IN ('queued', 'running')")),
        # Serves the sweep for stopped jobs and the oldest-queued metric.
        sa.Index("ix_task_state_heartbeat", "state", "heartbeat"),
    )

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def __repr__(self) -> str:
        return f"<Task {self.name} {self.id} {self.state} {self.progress}%>"


class ExportChunk(db.Model):
    """One piece of an export's JSON file, in order: written batch by batch,
    read back as a stream."""

    __tablename__ = "export_chunk"

    task_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    seq: so.Mapped[int] = so.mapped_column(primary_key=True)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
