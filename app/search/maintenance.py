"""Rebuilding the search index and checking it against the posts.

The index follows every write by itself (app/search/schema.py); these are
for what the database cannot see: a restored backup of only some tables, a
hand edit with the triggers off, or new accent rules on PostgreSQL that
leave the stored vectors of old posts behind.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from app.search.schema import FTS_TABLE, NAMES_INDEX, NAMES_TABLE, TS_CONFIG, VECTOR_COLUMN, VECTOR_INDEX

BATCH = 5000


@dataclass(frozen=True)
class Report:
    posts: int
    indexed: int  # posts the index holds
    stale: int  # posts whose index entry does not match their text
    problem: str | None = None

    @property
    def in_step(self) -> bool:
        return self.problem is None and self.stale == 0 and self.indexed == self.posts


def count_posts(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one()


def reindex(conn: sa.Connection, progress: Callable[[int], None] = lambda n: None) -> int:
    """Rebuild the whole index in the caller's transaction, calling
    ``progress`` with each batch's size; returns the posts indexed.

    One transaction: searches meanwhile see the old index, never half of one.
    """
    done = last_id = 0
    next_batch = sa.text("SELECT max(id), count(*) FROM (SELECT id FROM post WHERE id > :last ORDER BY id LIMIT :n)"
                         " AS batch")
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
        fill = sa.text(f"INSERT INTO {FTS_TABLE}(rowid, body) SELECT id, body FROM post"
                       " WHERE id > :last AND id <= :upto")
    else:
        # A stored generated column is computed again whenever its row is updated.
        fill = sa.text("UPDATE post SET body = body WHERE id > :last AND id <= :upto")
    while True:
        upto, count = conn.execute(next_batch, {"last": last_id, "n": BATCH}).one()
        if not count:
            break
        conn.execute(fill, {"last": last_id, "upto": upto})
        last_id = upto
        done += count
        progress(count)
    # The names: a few thousand short rows, rebuilt in one statement.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {NAMES_TABLE}({NAMES_TABLE}) VALUES ('rebuild')")
    else:
        conn.exec_driver_sql(f"REINDEX INDEX {VECTOR_INDEX}")
        conn.exec_driver_sql(f"REINDEX INDEX {NAMES_INDEX}")
    return done


def check(conn: sa.Connection) -> Report:
    """Compare the index with the posts."""
    posts = count_posts(conn)
    if conn.dialect.name != "sqlite":
        stale = conn.execute(sa.text(
            f"SELECT count(*) FROM post WHERE {VECTOR_COLUMN} IS DISTINCT FROM"
            f" to_tsvector('{TS_CONFIG}'::regconfig, body)")).scalar_one()
        return Report(posts=posts, indexed=posts, stale=stale)
    indexed = _fts_row_count(conn)
    for table, what in ((FTS_TABLE, "the posts' text"), (NAMES_TABLE, "the usernames")):
        try:
            # rank = 1: also compare the index with the text of every row.
            with conn.begin_nested():
                conn.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
        except sa.exc.DatabaseError as exc:
            return Report(posts=posts, indexed=indexed, stale=0,
                          problem=f"the index does not match {what} ({exc.orig})")
    return Report(posts=posts, indexed=indexed, stale=0)


def _fts_row_count(conn: sa.Connection) -> int:
    """The number of rows FTS5 believes it indexed: the first varint of its
    "averages" record (row 1 of the _data shadow table)."""
    blob = conn.execute(sa.text(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 1")).scalar()
    return _varint(blob) if blob else 0


def _varint(data: bytes) -> int:
    """SQLite's varint: 7 bits a byte, high bit set on all but the last, and a
    ninth byte (if reached) of 8 bits."""
    value = 0
    for i, byte in enumerate(data[:9]):
        if i == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value
    return value
