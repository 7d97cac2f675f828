"""Per-connection database settings."""
from __future__ import annotations

import sqlalchemy as sa


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def sqlite_pragmas(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        # ON DELETE CASCADE only works with foreign keys on; WAL lets readers
        # run while another process writes; busy_timeout waits for a lock
        # instead of failing at once when gunicorn workers write together.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
