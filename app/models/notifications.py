"""Notifications: the latest news of each kind for a user, polled by pages.

One row per user and name: a new notification of the same name replaces the
old one (there is one ``unread_message_count``, not one per message). The
timestamp is Unix time as a float, end to end, so a poll asking "since
1764583200.25" neither skips nor repeats one made in the same second.
"""
from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class Notification(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    name: so.Mapped[str] = so.mapped_column(sa.String(128))
    timestamp: so.Mapped[float] = so.mapped_column(sa.Float(precision=53), default=time.time)
    payload_json: so.Mapped[str] = so.mapped_column(sa.Text)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "name", name="uq_notification_user_id_name"),
        # The poll: one user's notifications newer than a time.
        sa.Index("ix_notification_user_id_timestamp", "user_id", "timestamp"),
    )

    def get_data(self) -> Any:
        return json.loads(self.payload_json)

    def __repr__(self) -> str:
        return f"<Notification {self.name} for {self.user_id}>"
