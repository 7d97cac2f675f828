"""Classifying failures of the database and the disk, for the error layer
(which status to answer) and the error emails (what to group).

The rule: 503 ("try again shortly") only for what a retry can cure; a bug in
SQL (a missing table or column, a syntax error) is a 500, however the driver
labels it. sqlite3 raises OperationalError for both kinds, so the class alone
says nothing: SQLite errors are read by result code, PostgreSQL errors by
SQLSTATE.
"""
from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator

from sqlalchemy import exc as sa_exc

# SQLite primary result codes (the low byte of the extended code) a retry can
# cure: another connection holds a lock, the file cannot be opened right now
# (a missing mount, a moved directory), an I/O error. SQLITE_FULL is 507.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 6, 10, 13, 14
_SQLITE_RETRYABLE = {_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_CANTOPEN}
# The same, by message, for an sqlite3 error that carries no result code.
_SQLITE_RETRYABLE_TEXT = ("database is locked", "database table is locked", "busy", "unable to open database file",
                          "disk i/o error")

# PostgreSQL SQLSTATEs that mean "unavailable", not "wrong": connection
# exceptions (class 08), the server shutting down or starting up, a
# connection ended for being idle, a statement or lock timeout, too many
# connections; and what a second attempt of the same request cures: a
# deadlock or serialization failure (40P01, 40001), and a write sent to a
# read-only server during a failover (25006).
_PG_UNAVAILABLE_CLASSES = ("08",)
_PG_UNAVAILABLE = {"57P01", "57P02", "57P03", "57P05", "57014", "55P03", "53300", "40P01", "40001", "25006"}

# For a driver we do not ship (or an exception built by hand): only a message
# that plainly says the connection failed counts as an outage.
_CONNECTION_MARKERS = (
    "connection refused", "could not connect", "server closed the connection", "connection to server",
    "terminating connection", "connection is closed", "the database system is", "timeout expired",
    "consuming input failed", "ssl syscall error", "no route to host",
)


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and every exception it was raised from or during."""
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_disk_full(exc: BaseException | None) -> bool:
    for item in causes(exc):
        if isinstance(item, OSError) and item.errno == errno.ENOSPC:
            return True
        if isinstance(item, sa_exc.OperationalError):
            text = str(item.orig).lower()
            if "disk is full" in text or "no space left" in text or getattr(item.orig, "sqlstate", "") == "53100":
                return True
    return False


def _psycopg_error(orig: BaseException) -> bool:
    # Looked up, not imported: an SQLite-only process never loads psycopg,
    # and then no error can have come from it.
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(orig, psycopg.Error)


def _driver_error_is_transient(orig: BaseException) -> bool:
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_RETRYABLE
        return any(marker in str(orig).lower() for marker in _SQLITE_RETRYABLE_TEXT)
    if _psycopg_error(orig):
        sqlstate = getattr(orig, "sqlstate", None)
        if sqlstate is None:
            # psycopg gives no SQLSTATE when libpq itself failed: connect
            # refused or timed out, the server gone mid-query, a connection
            # refused at start-up (too many connections).
            return isinstance(orig, sys.modules["psycopg"].OperationalError)
        return sqlstate.startswith(_PG_UNAVAILABLE_CLASSES) or sqlstate in _PG_UNAVAILABLE
    text = str(orig).lower()
    return any(marker in text for marker in _CONNECTION_MARKERS)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Connection refused or lost, pool exhausted, a lock held elsewhere, a
    statement timeout: worth retrying shortly (503). Anything else the
    database raised, unknown errors included, is a bug (500)."""
    for item in causes(exc):
        if isinstance(item, sa_exc.TimeoutError):  # no free connection in the pool
            return True
        if isinstance(item, sa_exc.DBAPIError):
            if item.connection_invalidated:  # SQLAlchemy's own "disconnect" verdict
                return True
            if item.orig is not None and _driver_error_is_transient(item.orig):
                return True
    return False


def failure_status(exc: BaseException | None) -> int:
    """The status an unhandled exception is answered with: 507 for a full
    disk, 503 for an unavailable database, 500 for everything else. The error
    pages and the error emails' grouping both ask here, so they agree."""
    if is_disk_full(exc):
        return 507
    if is_database_unavailable(exc):
        return 503
    return 500
