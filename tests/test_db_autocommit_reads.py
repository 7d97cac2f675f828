"""On PostgreSQL a GET reads outside a transaction until it writes
(DB_AUTOCOMMIT_READS, app/db_events.py): no BEGIN or ROLLBACK for a page
that only reads, and the writes a GET does make (last_seen, the inbox
marked read) still commit together or not at all."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus

from app import create_app, db
from app.db_events import reads_only
from app.messages.service import send_message
from app.models import Notification, Post, User, utcnow
from tests.conftest import AuthActions, IsolatedClient, config, make_user


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture
def statuses(app: Flask) -> Iterator[list[tuple[str, str]]]:
    """Each statement the app runs and the connection's transaction status
    right after it: IDLE when it ran on its own, INTRANS inside a transaction."""
    seen: list[tuple[str, str]] = []

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        status = TransactionStatus(conn.connection.dbapi_connection.info.transaction_status)
        seen.append((statement.split()[0].upper(), status.name))

    sa.event.listen(db.engine, "after_cursor_execute", after)
    yield seen
    sa.event.remove(db.engine, "after_cursor_execute", after)


def _susan(app: Flask) -> FlaskClient:
    make_user("susan")
    app.test_client_class = IsolatedClient
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def _committed(sql: str, **params: object) -> object:
    """Read from a connection of its own: only what was committed."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_a_page_that_only_reads_opens_no_transaction(app: Flask, statuses: list[tuple[str, str]]) -> None:
    client = _susan(app)
    client.get("/explore")  # last_seen was just written at login: this one only reads
    statuses.clear()
    assert client.get("/explore").status_code == 200
    assert statuses and all(kind == "SELECT" for kind, _ in statuses)
    assert {status for _, status in statuses} == {"IDLE"}


def test_a_thread_and_a_search_read_outside_a_transaction_too(app: Flask, statuses: list[tuple[str, str]]) -> None:
    """Their statements start with WITH (the thread's recursive chain,
    search's MATERIALIZED page): reads all the same. Taken for writes, they
    opened a transaction whose ROLLBACK made psycopg drop its prepared
    statements, so every such page was planned afresh."""
    client = _susan(app)
    susan = db.session.scalar(sa.select(User))
    post = Post(body="coffee first", author=susan)
    db.session.add(post)
    db.session.commit()
    client.get("/explore")
    for path in (f"/post/{post.id}", "/search?q=coffee"):
        statuses.clear()
        assert client.get(path).status_code == 200
        assert ("WITH", "IDLE") in statuses, (path, statuses)
        assert {status for _, status in statuses} == {"IDLE"}, (path, statuses)
    # Run again on one connection, the thread's statements become prepared
    # ones (psycopg's prepare_threshold: 5), planned once, not every time.
    db.session.remove()
    db.engine.dispose()
    for _ in range(6):
        assert client.get(f"/post/{post.id}").status_code == 200
    assert db.engine.pool.checkedin() == 1
    with db.engine.connect() as conn:
        prepared = conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any(statement.startswith("WITH RECURSIVE chain") for statement in prepared), prepared


def test_a_with_statement_that_writes_opens_a_transaction(app: Flask, statuses: list[tuple[str, str]]) -> None:
    assert reads_only("WITH RECURSIVE chain(id) AS (SELECT 1) SELECT id FROM chain")
    assert not reads_only("WITH gone AS (DELETE FROM notification RETURNING id) SELECT count(*) FROM gone")
    with app.test_request_context("/explore"):
        db.session.execute(sa.text("WITH gone AS (DELETE FROM notification WHERE false RETURNING id) "
                                   "SELECT count(*) FROM gone")).scalar_one()
        assert statuses == [("WITH", "INTRANS")]
        db.session.remove()


def test_a_get_that_writes_commits_in_a_transaction(app: Flask, statuses: list[tuple[str, str]]) -> None:
    client = _susan(app)
    long_ago = utcnow() - timedelta(hours=1)
    db.session.execute(sa.update(User).values(last_seen=long_ago))
    db.session.commit()
    statuses.clear()
    assert client.get("/explore").status_code == 200
    assert ("UPDATE", "INTRANS") in statuses  # BEGIN went before it
    # After the commit the page reads on, outside a transaction again.
    after_write = statuses[statuses.index(("UPDATE", "INTRANS")) + 1:]
    assert after_write and {status for _, status in after_write} == {"IDLE"}
    assert _committed('SELECT last_seen > :then FROM "user"', then=long_ago) is True


def test_a_post_keeps_its_transaction(app: Flask, statuses: list[tuple[str, str]]) -> None:
    client = _susan(app)
    statuses.clear()
    assert client.post("/index", data={"post": "Hello there"}).status_code == 302
    assert statuses and {status for _, status in statuses} == {"INTRANS"}


def test_the_inbox_is_marked_read_whole_or_not_at_all(app: Flask) -> None:
    client = _susan(app)
    susan, john = db.session.scalar(sa.select(User)), make_user("john")
    send_message(john, susan, "Hi Susan")
    # The second of the inbox's two writes (its notification) fails: the
    # first (the unread count back to 0) must not stay behind on its own.
    with db.engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"))
        conn.execute(sa.text(
            "CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON notification "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as in production
    try:
        assert client.get("/messages").status_code >= 500
        assert _committed('SELECT unread_message_count FROM "user" WHERE id = :id', id=susan.id) == 1
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER refuse ON notification"))
            conn.execute(sa.text("DROP FUNCTION refuse()"))
    assert client.get("/messages").status_code == 200
    assert _committed('SELECT unread_message_count FROM "user" WHERE id = :id', id=susan.id) == 0
    assert _committed("SELECT payload_json FROM notification WHERE user_id = :id", id=susan.id) == "0"


def test_the_next_user_of_the_connection_gets_transactions(app: Flask) -> None:
    client = _susan(app)
    db.session.remove()
    db.engine.dispose()  # one connection from here on, the one the page used
    assert client.get("/explore").status_code == 200
    assert db.engine.pool.checkedin() == 1
    # A job or a command, outside any request.
    db.session.execute(sa.select(Notification.id)).all()
    dbapi = db.session.connection().connection.dbapi_connection
    assert dbapi.info.transaction_status == TransactionStatus.INTRANS
    db.session.rollback()


@pytest.mark.parametrize(("setting", "status"), [(True, "IDLE"), (False, "INTRANS")])
def test_the_setting_turns_it_off(pg_url: str, setting: bool, status: str) -> None:
    app = create_app(config(pg_url, DB_AUTOCOMMIT_READS=setting))
    with app.app_context():
        try:
            seen: list[str] = []
            sa.event.listen(db.engine, "after_cursor_execute", lambda conn, *rest: seen.append(
                TransactionStatus(conn.connection.dbapi_connection.info.transaction_status).name))
            with app.test_request_context("/explore"):
                db.session.execute(sa.select(User.id)).all()
                db.session.remove()
            assert seen == [status]
        finally:
            db.engine.dispose()
