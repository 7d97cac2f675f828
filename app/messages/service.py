"""Sending a message and reading the inbox, for the web pages and the API."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from limits import RateLimitItem

from app.extensions import db
from app.i18n.gettext import lazy_gettext as _l
from app.limits import allowed, longest_wait
from app.lists.pagination import paged
from app.models import Message, User, utcnow
from app.models.base import commit_keeping_loaded
from app.notifications import notify
from app.observability.metrics import MESSAGES_SENT

UNREAD = "unread_message_count"  # the notification the navbar badge follows
LIMITED = _l("You are sending messages too fast: at most %(limit)s. Please send it again in %(wait)s.")


SCOPE = "message"


def _key(sender: User) -> str:
    return f"user:{sender.id}"


def may_send(sender: User) -> bool:
    """Count one send against MESSAGE_LIMIT (per account, web and API together)."""
    return allowed(current_app.config["MESSAGE_LIMIT"], SCOPE, _key(sender))


def send_wait(sender: User) -> tuple[float, RateLimitItem] | None:
    """After ``may_send()`` refused: how long until ``sender`` may send
    again, and the limit that was spent."""
    return longest_wait(current_app.config["MESSAGE_LIMIT"], SCOPE, _key(sender))


def send_message(sender: User, recipient: User, body: str) -> Message:
    """Save a message (validated by the caller), count it on the recipient's
    row and tell the recipient's pages, in one transaction."""
    message = Message(sender_id=sender.id, recipient_id=recipient.id, body=body)
    db.session.add(message)
    # In SQL, not in Python: 20 senders at once must give 20, not the last
    # value one of them read. The row lock also orders the notifications.
    count = db.session.execute(
        sa.update(User).where(User.id == recipient.id)
        .values(unread_message_count=User.unread_message_count + 1)
        .returning(User.unread_message_count),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    notify(recipient.id, UNREAD, count)
    db.session.commit()
    MESSAGES_SENT.inc()
    return message


def mark_read(user: User) -> None:
    """Opening the inbox reads everything in it. Nothing to write (and so no
    statement) when nothing is unread."""
    if not user.unread_message_count and user.last_message_read_time is not None:
        return
    user.last_message_read_time = utcnow()
    user.unread_message_count = 0
    notify(user.id, UNREAD, 0)
    commit_keeping_loaded()  # the page still shows this user (the badge): no reload


# A recipient's messages, newest first (the recipient/timestamp index), and
# the inbox page's statement: built once (app/lists/pagination.py's page_of).
_INBOX = (sa.select(Message).where(Message.recipient_id == sa.bindparam("recipient"))
          .order_by(Message.timestamp.desc(), Message.id.desc()))
INBOX_PAGE = paged(_INBOX)


def inbox(user: User) -> sa.Select[tuple[Message]]:
    """``user``'s messages, newest first, for callers that page it themselves (the API)."""
    return _INBOX.params(recipient=user.id)
