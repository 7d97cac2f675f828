"""The full-text index of posts, on each database's own engine.

SQLite: an FTS5 table holding only the index (``content='post'``), kept by
triggers on ``post``. PostgreSQL: a generated ``tsvector`` column with a GIN
index. Either way the database itself updates the index inside the very
statement that writes the post, so no code path (web form, API, seed, a
future edit or delete, a hand-written UPDATE) can leave it behind, and a
rolled-back post takes its index entry with it.

People are found by name through a trigram index (FTS5's trigram
tokenizer; pg_trgm on PostgreSQL), which serves "name contains" without
reading every user; "name starts with" uses the ``lower(username)`` index.

None of these objects is a model column: the ORM never loads the vector, and
migrations keep them out of autogenerate through ``include_object``.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# The FTS5 table and the shadow tables SQLite creates beside it
# (post_search_data, _idx, _docsize, _config) all start with this.
FTS_TABLE = "post_search"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_post_search_vector"
TS_CONFIG = "microblog"
NAMES_TABLE = "user_search"  # SQLite (and its shadow tables)
NAMES_INDEX = "ix_user_username_trgm"  # PostgreSQL

# unicode61 folds case and, with remove_diacritics 2, every accent; porter
# then stems English ("running" -> "run"). The prefix indexes make "wo*" and
# "wor*" one doclist each instead of a merge of every word they start (at
# 200,000 posts: 0.10 ms instead of 2.6 ms).
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(body, content='post', content_rowid='id',"
    " tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON post BEGIN"
    f" INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    # An external-content index must be told the old text to remove it.
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON post BEGIN"
    f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF body ON post BEGIN"
    f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body);"
    f" INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    f"CREATE VIRTUAL TABLE {NAMES_TABLE} USING fts5(username, content='user', content_rowid='id',"
    " tokenize='trigram')",
    f"CREATE TRIGGER {NAMES_TABLE}_insert AFTER INSERT ON user BEGIN"
    f" INSERT INTO {NAMES_TABLE}(rowid, username) VALUES (new.id, new.username); END",
    f"CREATE TRIGGER {NAMES_TABLE}_delete AFTER DELETE ON user BEGIN"
    f" INSERT INTO {NAMES_TABLE}({NAMES_TABLE}, rowid, username) VALUES ('delete', old.id, old.username); END",
    f"CREATE TRIGGER {NAMES_TABLE}_update AFTER UPDATE OF username ON user BEGIN"
    f" INSERT INTO {NAMES_TABLE}({NAMES_TABLE}, rowid, username) VALUES ('delete', old.id, old.username);"
    f" INSERT INTO {NAMES_TABLE}(rowid, username) VALUES (new.id, new.username); END",
)
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {NAMES_TABLE}_update",
    f"DROP TRIGGER IF EXISTS {NAMES_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {NAMES_TABLE}_insert",
    f"DROP TABLE IF EXISTS {NAMES_TABLE}",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

# fastupdate off: new entries go straight into the GIN tree. With it on they
# wait in a pending list that every search reads through until a vacuum:
# after seeding 20,000 posts, a rare word took 2.7 ms instead of 0.02 ms.
# English stems without a stop-word list: SQLite's porter tokenizer keeps
# every word, so "the" must be found on PostgreSQL too, and a phrase such as
# "to be" must not vanish. unaccent folds accents before the stemmer.
# unaccent is a trusted extension: a database owner may create it.
POSTGRES_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE TEXT SEARCH DICTIONARY {TS_CONFIG}_stem (TEMPLATE = snowball, LANGUAGE = english)",
    f"CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = simple)",
    f"ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG} ALTER MAPPING FOR"
    f" asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, {TS_CONFIG}_stem",
    f"ALTER TABLE post ADD COLUMN {VECTOR_COLUMN} tsvector"
    f" GENERATED ALWAYS AS (to_tsvector('{TS_CONFIG}'::regconfig, body)) STORED",
    f"CREATE INDEX {VECTOR_INDEX} ON post USING gin ({VECTOR_COLUMN}) WITH (fastupdate = off)",
    f'CREATE INDEX {NAMES_INDEX} ON "user" USING gin (lower(username) gin_trgm_ops)',
)
# The extensions stay: other objects may use it, and dropping it needs more
# rights than creating it.
POSTGRES_DROP = (
    f"DROP INDEX IF EXISTS {NAMES_INDEX}",
    f"DROP INDEX IF EXISTS {VECTOR_INDEX}",
    f"ALTER TABLE post DROP COLUMN IF EXISTS {VECTOR_COLUMN}",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TS_CONFIG}",
    f"DROP TEXT SEARCH DICTIONARY IF EXISTS {TS_CONFIG}_stem",
)


def create_index(bind: sa.Connection) -> None:
    """Create the index and fill it from the posts already there."""
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_CREATE:
            bind.exec_driver_sql(statement)
        bind.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        bind.exec_driver_sql(f"INSERT INTO {NAMES_TABLE}({NAMES_TABLE}) VALUES ('rebuild')")
    else:
        # The generated column is computed for every existing row as it is added.
        for statement in POSTGRES_CREATE:
            bind.exec_driver_sql(statement)


def drop_index(bind: sa.Connection) -> None:
    for statement in SQLITE_DROP if bind.dialect.name == "sqlite" else POSTGRES_DROP:
        bind.exec_driver_sql(statement)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: the index lives outside the models on purpose, so
    autogenerate must neither drop it nor report it as drift."""
    if type_ == "table" and name and name.startswith((FTS_TABLE, NAMES_TABLE)):
        return False
    if type_ == "column" and name == VECTOR_COLUMN:
        return False
    return not (type_ == "index" and name in (VECTOR_INDEX, NAMES_INDEX))


def attach(metadata: sa.MetaData) -> None:
    """Build the indexes with ``create_all()`` too (tests, a fresh SQLite
    file), once every table exists, and remove them with ``drop_all()``."""
    def created(target: sa.MetaData, connection: sa.Connection, **kw: Any) -> None:
        # Only with a new post table: a second create_all() creates nothing.
        if any(table.name == "post" for table in kw.get("tables", ())):
            create_index(connection)

    sa.event.listen(metadata, "after_create", created)
    sa.event.listen(metadata, "before_drop", lambda target, connection, **kw: drop_index(connection))
