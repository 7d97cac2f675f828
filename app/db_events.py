"""Per-connection database settings, and PostgreSQL's check of idle connections."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa
from flask import current_app, has_request_context, request

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


# Requests that read, and write only now and then (last_seen once a minute,
# the inbox marked read).
SAFE_METHODS = frozenset(("GET", "HEAD"))
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open


# A CTE may write (WITH moved AS (DELETE ... RETURNING ...) SELECT ...): a
# WITH statement that names any of these is taken for a write. A read that
# merely contains the word only pays the transaction it paid before.
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def reads_only(statement: str) -> bool:
    """A SELECT, or a WITH query whose parts are all SELECTs (a thread's
    recursive chain, search's MATERIALIZED page). Taking those for writes
    opened a transaction on /post and /search, and its ROLLBACK made psycopg
    forget its prepared statements, so PostgreSQL planned them afresh on
    every request."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return True
    return head[:4] == "WITH" and _WRITES.search(statement) is None


def autocommit_reads(engine: sa.Engine) -> None:
    """A GET or HEAD on PostgreSQL runs its reads outside a transaction, and
    opens one at its first write, which then commits or rolls back as before.

    A page's BEGIN and ROLLBACK are two of its four or five round trips, and
    they buy a read-only page nothing: under READ COMMITTED, PostgreSQL's
    default, every statement takes its own snapshot inside a transaction
    too. A write (any statement but a SELECT) turns the transaction back on
    first, so the inbox's two writes still commit together or not at all.
    psycopg's autocommit is a flag on the client: setting it costs no round
    trip. Jobs, commands and the other methods are left as they were."""
    @sa.event.listens_for(engine, "begin")
    def read_without_transaction(conn: sa.Connection) -> None:
        if not has_request_context() or request.method not in SAFE_METHODS:
            return
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and dbapi.info.transaction_status == _IDLE:
            dbapi.autocommit = True

    @sa.event.listens_for(engine, "before_cursor_execute")
    def transaction_for_writes(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and dbapi.autocommit and not reads_only(statement):
            dbapi.autocommit = False  # psycopg sends BEGIN before this statement

    @sa.event.listens_for(engine, "checkin")
    def back_in_transactions(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        # The pool's next user (a job, a POST) gets a connection that opens
        # transactions, as the driver's default does.
        if dbapi_connection is not None and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False


def describe_lazily(engine: sa.Engine) -> None:
    """psycopg connections make cursors whose description is built when
    read (app/db_cursor.py), unless the options chose a cursor class.
    Imported here: a SQLite app never loads psycopg."""
    from psycopg import Cursor

    from app.db_cursor import LazyDescriptionCursor

    @sa.event.listens_for(engine, "connect")
    def lazy_cursors(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        if dbapi_connection.cursor_factory is Cursor:
            dbapi_connection.cursor_factory = LazyDescriptionCursor


def configure_engine(engine: sa.Engine) -> None:
    """Called in the app context, whose config holds the settings."""
    if engine.dialect.name != "sqlite":
        options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        # An explicit pool_pre_ping=True already tests every checkout.
        if not options.get("pool_pre_ping"):
            ping_idle_connections(engine, current_app.config["DB_PING_IDLE_SECONDS"])
        # A stricter isolation level promises one snapshot for all of a
        # request's reads, which reads outside a transaction would break.
        psycopg = engine.dialect.name == "postgresql" and engine.driver == "psycopg"
        if psycopg and current_app.config["DB_AUTOCOMMIT_READS"] and not options.get("isolation_level"):
            autocommit_reads(engine)
        if psycopg:
            describe_lazily(engine)
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
