"""Setting and reading notifications (the model is app/models/notifications.py)."""
from __future__ import annotations

import json
import math
import re
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.errors import ValidationError
from app.extensions import db
from app.models import Notification
from app.models.sessions import key_digest

_SINCE_TEXT = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")
BAD_SINCE = "since must be a Unix time in seconds, such as 1764583200.25."
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def notify(user_id: int, name: str, data: Any) -> None:
    """Set ``user_id``'s notification ``name`` to ``data``, replacing the one
    of that name, in one statement (an upsert, so two requests setting it at
    once cannot both insert). The caller commits."""
    insert = _INSERTS[db.engine.dialect.name](Notification).values(
        user_id=user_id, name=name, timestamp=time.time(), payload_json=json.dumps(data))
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["user_id", "name"],
        set_={"timestamp": insert.excluded.timestamp, "payload_json": insert.excluded.payload_json},
    ))


def parse_since(raw: str | None) -> float:
    """The ``since`` parameter: a finite, non-negative number (0 when absent)."""
    if raw is None or raw == "":
        return 0.0
    # Digits and one decimal point, as the page's script sends it: float()
    # alone would also take "1_000", " 1 ", "1e3", "nan" and Arabic digits.
    if not _SINCE_TEXT.fullmatch(raw):
        raise ValidationError(BAD_SINCE, field="since")
    value = float(raw)
    if not math.isfinite(value):  # more digits than a double holds
        raise ValidationError(BAD_SINCE, field="since")
    return value


# Plain columns, not objects: the poll is the most frequent request there is.
_SINCE = (sa.select(Notification.name, Notification.payload_json, Notification.timestamp)
          .where(Notification.user_id == sa.bindparam("uid"), Notification.timestamp > sa.bindparam("since"))
          .order_by(Notification.timestamp))


def notifications_since(user_id: int, since: float) -> list[dict[str, Any]]:
    """``user_id``'s notifications newer than ``since``, oldest first, as
    ``{name, data, timestamp}``: one indexed statement."""
    rows = db.session.execute(_SINCE, {"uid": user_id, "since": since})
    return [{"name": name, "data": json.loads(payload), "timestamp": ts} for name, payload, ts in rows]


# The poll in one statement: the login the session names (a row of
# login_session, as Flask-Login's user loader checks it) and that user's
# notifications since a time. Plain SQL, prepared once; no User object is
# built. No row: the login is not (or no longer) valid.
_POLL = sa.text(
    "SELECT n.name, n.payload_json, n.timestamp FROM login_session s"
    " LEFT OUTER JOIN notification n ON n.user_id = s.user_id AND n.timestamp > :since"
    " WHERE s.key_hash = :key AND s.user_id = :uid"
    " ORDER BY n.timestamp"
)


def poll_for_login(user_id: int, key: str, since: float) -> list[dict[str, Any]] | None:
    """What ``notifications_since`` answers, for the login (user id and key)
    a session names; None when that login does not stand."""
    # On a Core connection of its own, not the ORM session's: the ORM has
    # nothing to do for a text statement, and building and closing a session
    # around it was a tenth of the poll, which every open tab runs all day.
    with db.engine.connect() as connection:
        rows = connection.execute(_POLL, {"uid": user_id, "key": key_digest(key), "since": since}).all()
    if not rows:
        return None
    return [{"name": name, "data": json.loads(payload), "timestamp": ts}
            for name, payload, ts in rows if name is not None]

