"""On PostgreSQL the app's cursors build ``description`` only when it is read
(app/db_cursor.py); whoever reads it must see what psycopg's own cursor
shows, for the statement that made it."""
from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from app import db
from app.db_cursor import LazyDescriptionCursor
from tests.conftest import AuthActions, IsolatedClient, make_user


@pytest.fixture
def backend() -> str:
    return "postgresql"


def _columns(description: object) -> list[tuple[object, ...]]:
    return [tuple(column) for column in description]  # type: ignore[attr-defined]


def test_the_app_connections_make_lazy_cursors(app: Flask) -> None:
    raw = db.session.connection().connection.dbapi_connection
    assert raw.cursor_factory is LazyDescriptionCursor


def test_a_description_reads_as_psycopgs_own(app: Flask) -> None:
    raw = db.session.connection().connection.dbapi_connection
    query = "SELECT 1::int AS n, 'x'::varchar(20) AS name, 1.5::numeric(6, 2) AS price, now() AS at"
    lazy = raw.cursor()
    lazy.execute(query)
    plain = psycopg.Cursor(raw)
    plain.execute(query)
    assert len(lazy.description) == 4
    assert _columns(lazy.description) == _columns(plain.description)
    assert [column.name for column in lazy.description] == ["n", "name", "price", "at"]
    assert lazy.description[1].internal_size == plain.description[1].internal_size
    assert lazy.fetchall() == plain.fetchall()


def test_no_rows_no_description(app: Flask) -> None:
    raw = db.session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    cursor.execute("SET LOCAL work_mem = '8MB'")
    assert cursor.description is None


def test_a_description_describes_its_own_statement(app: Flask) -> None:
    """Taken before the cursor runs another statement and read after, it
    still names the first statement's columns."""
    raw = db.session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    cursor.execute("SELECT 1 AS first, 2 AS second")
    taken = cursor.description
    cursor.execute("SELECT 'a' AS other")
    assert [column.name for column in taken] == ["first", "second"]
    assert [column.name for column in cursor.description] == ["other"]


def test_text_statements_keep_their_column_names(app: Flask) -> None:
    """SQLAlchemy reads the columns of a statement it has no cached result
    metadata for (text(), the first run of a compiled one)."""
    row = db.session.execute(sa.text("SELECT 7 AS seven, 'eight' AS eight")).mappings().one()
    assert row == {"seven": 7, "eight": "eight"}


def test_pages_read_as_before(app: Flask) -> None:
    make_user("susan")
    app.test_client_class = IsolatedClient
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    assert client.post("/index", data={"post": "lazy columns, same page"}).status_code == 302
    for path in ("/index", "/explore", "/user/susan", "/search?q=lazy"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert b"columns, same page" in page.data, path  # search marks "lazy"
