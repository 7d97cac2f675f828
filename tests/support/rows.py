"""The database's content, to show that a request changed nothing."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db

# Columns that change on their own (a visit, a new API token).
VOLATILE = {"last_seen", "token_hash", "token_expiration"}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as the database holds it now."""
    db.session.rollback()  # nothing cached from before
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if column.name not in VOLATILE]
        query = sa.select(*columns).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(row) for row in db.session.execute(query)]
    db.session.rollback()  # hold no transaction open while requests write
    return rows


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())
