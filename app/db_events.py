"""Per-connection database settings, and PostgreSQL's check of idle connections."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app

IDLE_SINCE = "microblog_idle_since"


def ping_idle_connections(engine: sa.Engine, idle_seconds: float) -> None:
    """Test a connection at checkout when it sat unused in the pool for
    ``idle_seconds`` or more (always, at 0), and replace it when the test
    fails: pool_pre_ping's guarantee where a connection can have been
    dropped unseen (a restart, a failover, a firewall's idle timeout).

    pool_pre_ping tested every checkout: on PostgreSQL a round trip more on
    every request, a third of what a page's own statements cost, for a
    connection that was in use a few milliseconds earlier. A server that
    restarts inside the window fails the next request on each such
    connection with a 503 (the error invalidates the whole pool, so the
    request after it connects afresh)."""
    @sa.event.listens_for(engine, "connect")
    def fresh(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info[IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.get(IDLE_SINCE)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 (whatever broke it, the pool connects afresh)
            # As pool_pre_ping does: the server most likely restarted, so
            # every connection older than this one is dropped too.
            raise sa.exc.InvalidatePoolError("connection failed its idle check") from exc


def configure_engine(engine: sa.Engine) -> None:
    """Called in the app context, whose config holds the settings."""
    if engine.dialect.name != "sqlite":
        # An explicit pool_pre_ping=True already tests every checkout.
        if not current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
            ping_idle_connections(engine, current_app.config["DB_PING_IDLE_SECONDS"])
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
