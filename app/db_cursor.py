"""A psycopg cursor whose ``description`` is built only when it is read.

SQLAlchemy asks for ``cursor.description`` after every statement that can
return rows. For a statement it has compiled and cached before (every
statement a page runs, after the first request), it only checks that the
answer is not None: it reads the columns from its cache. psycopg 3 builds a
``Column`` object per result column on each read, in Python (a type lookup,
a name decode, four libpq calls each): for the logged-in user's 11 columns
and a post list's 14, 10 and 20 µs of CPU a statement in process, 1-1.5% of
a PostgreSQL page. psycopg's own issue on it, psycopg/psycopg#446, is open.

``LazyDescription`` answers ``is None`` at once, and builds psycopg's own
``Column`` objects from the same result the first time anything reads a
column, so what any reader sees is unchanged.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import pq
from psycopg._column import Column

_TUPLES = frozenset((pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK))


class _Result:
    """What ``Column`` reads of a cursor, fixed to one result: the cursor
    itself moves on to the next statement's."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, result: pq.abc.PGresult, encoding: str, adapters: Any) -> None:
        self.pgresult, self._encoding, self.adapters = result, encoding, adapters


class LazyDescription(Sequence[Column]):
    """A result's ``Column`` list, built at the first read of a column."""

    __slots__ = ("_cursor", "_result", "_columns")

    def __init__(self, cursor: psycopg.Cursor[Any], result: pq.abc.PGresult) -> None:
        self._cursor: psycopg.Cursor[Any] | None = cursor
        self._result = result
        self._columns: list[Column] | None = None

    def _built(self) -> list[Column]:
        if self._columns is None:
            cursor, self._cursor = self._cursor, None  # not kept alive past the build
            assert cursor is not None
            fixed = _Result(self._result, cursor._encoding, cursor.adapters)
            self._columns = [Column(fixed, index) for index in range(self._result.nfields)]  # type: ignore[arg-type]
        return self._columns

    def __len__(self) -> int:
        return self._result.nfields

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | list[Column]:
        return self._built()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class LazyDescriptionCursor(psycopg.Cursor[Any]):
    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        # The test psycopg's own property makes (psycopg/_cursor_base.py).
        result = self.pgresult
        if result and (result.nfields or result.status in _TUPLES):
            return LazyDescription(self, result)
        return None
