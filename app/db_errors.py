"""Classifying failures of the database and the disk, for the error layer
(which status to answer) and the error emails (what to group)."""
from __future__ import annotations

import errno
from collections.abc import Iterator

from sqlalchemy import exc as sa_exc

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


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Connection refused or lost, pool exhausted, lock or statement timeout:
    worth retrying shortly (503), unlike a bug."""
    return any(isinstance(item, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)
               for item in causes(exc))


def is_connection_lost(exc: BaseException | None) -> bool:
    """The database could not be reached at all: an outage, not a bug."""
    for item in causes(exc):
        if isinstance(item, sa_exc.DBAPIError) and item.connection_invalidated:
            return True
        if isinstance(item, sa_exc.InterfaceError | sa_exc.TimeoutError):
            return True
        if isinstance(item, sa_exc.OperationalError):
            text = str(item.orig).lower()
            if any(marker in text for marker in _CONNECTION_MARKERS):
                return True
    return False
