"""Private messages between two users."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.users import User


class Message(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sender_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    recipient_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    body: so.Mapped[str] = so.mapped_column(sa.String(140))
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    # An inbox shows each sender: load them with the messages, in one statement.
    sender: so.Mapped[User] = so.relationship(foreign_keys=[sender_id], lazy="joined", innerjoin=True)
    recipient: so.Mapped[User] = so.relationship(foreign_keys=[recipient_id])

    # Serves "my inbox, newest first" and "my messages since I last read",
    # both without a scan.
    __table_args__ = (sa.Index("ix_message_recipient_id_timestamp", "recipient_id", "timestamp"),)

    def __repr__(self) -> str:
        return f"<Message {self.id} from {self.sender_id} to {self.recipient_id}>"
