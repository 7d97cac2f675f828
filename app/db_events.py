"""Per-connection database settings."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app


def configure_engine(engine: sa.Engine) -> None:
    """Called in the app context, whose config holds the settings."""
    if engine.dialect.name != "sqlite":
        return
    busy_timeout_ms = int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))

    @sa.event.listens_for(engine, "connect")
    def sqlite_pragmas(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        # ON DELETE CASCADE only works with foreign keys on; WAL lets readers
        # run while another process writes; busy_timeout waits for a lock
        # instead of failing at once when gunicorn workers write together.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
