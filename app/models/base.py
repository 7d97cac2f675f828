"""What every model module shares: UTC timestamps that behave the same on
SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

# Ids are 32-bit integers (PostgreSQL's integer). A larger one in a URL cannot
# exist, and past 2**63 it would overflow SQLite's parameter binding: it is
# simply not found, without asking the database.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    SQLite drops tzinfo, so values are stored as naive UTC and come back aware:
    comparing them with ``utcnow()`` then works the same on SQLite and PostgreSQL.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def commit_keeping_loaded() -> None:
    """Commit without expiring the objects the session holds.

    A commit normally expires them, so the next attribute read reloads the
    row: the page's own user, reloaded after recording ``last_seen`` and again
    after marking the inbox read, cost two statements more than the page's
    budget. What this request wrote is what the objects already hold.
    """
    from app.extensions import db

    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
