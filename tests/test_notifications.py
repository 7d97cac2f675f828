"""GET /notifications: what a page polls. Cheap (no writes, at most two
indexed statements), exact at the `since` boundary, clear on bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import db
from app.models import Notification, User, utcnow
from app.notifications import notify
from tests.support.sql import count_statements

JSON = {"Accept": "application/json"}


def set_at(user: User, name: str, data: object, timestamp: float) -> None:
    notify(user.id, name, data)
    db.session.execute(sa.update(Notification).where(Notification.user_id == user.id, Notification.name == name)
                       .values(timestamp=timestamp))
    db.session.commit()


def poll(client, since: object = None, **kwargs):  # type: ignore[no-untyped-def]
    query = {} if since is None else {"since": since}
    return client.get("/notifications", query_string=query, headers=JSON, **kwargs)


def test_the_poll_answers_name_data_and_timestamp(client, logged_in):
    set_at(logged_in, "unread_message_count", 3, 1_764_583_200.25)
    response = poll(client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == [{"name": "unread_message_count", "data": 3, "timestamp": 1_764_583_200.25}]


def test_only_the_users_own_notifications(client, logged_in, john):
    set_at(john, "unread_message_count", 9, 1_764_583_200.0)
    assert poll(client).get_json() == []


@pytest.mark.parametrize(("since", "returned"), [
    ("1764583200.5", []),              # exactly the notification's time: already seen
    ("1764583200.499", [1]),           # a millisecond before: new
    ("1764583200", [1]),               # the same second, earlier: new (no rounding to whole seconds)
    ("1764583201", []),
    ("0", [1]),
])
def test_the_since_boundary_is_exact_to_the_fraction(client, logged_in, since, returned):
    set_at(logged_in, "unread_message_count", 1, 1_764_583_200.5)
    assert [item["data"] for item in poll(client, since).get_json()] == returned


def test_polling_with_the_last_timestamp_neither_skips_nor_repeats(client, logged_in):
    """What the page's script does: ask since the newest timestamp it saw."""
    set_at(logged_in, "a", 1, 1_764_583_200.1)
    set_at(logged_in, "b", 2, 1_764_583_200.9)  # the same whole second
    first = poll(client).get_json()
    assert [item["name"] for item in first] == ["a", "b"]  # oldest first
    assert poll(client, repr(first[-1]["timestamp"])).get_json() == []
    set_at(logged_in, "a", 3, 1_764_583_200.95)
    assert [item["data"] for item in poll(client, repr(first[-1]["timestamp"])).get_json()] == [3]


def test_a_new_notification_of_a_name_replaces_the_old(client, logged_in):
    notify(logged_in.id, "unread_message_count", 1)
    notify(logged_in.id, "unread_message_count", 2)
    db.session.commit()
    assert [item["data"] for item in poll(client).get_json()] == [2]


@pytest.mark.parametrize("since", ["abc", "nan", "inf", "-1", "1e999", "1e3", "0x10", " ", " 1 ", "1_000", "\u0663",
                                   "1.", ".5", "1" * 21])
def test_a_since_that_is_not_a_time_is_a_400(client, logged_in, since):
    response = poll(client, since)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "since" in response.get_json()["errors"]


def test_without_a_login_a_script_gets_a_401_problem(client):
    response = poll(client)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert "log in" in response.get_json()["detail"]


def test_without_a_login_a_browser_is_sent_to_log_in(client):
    response = client.get("/notifications", headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_poll_writes_nothing_and_runs_at_most_two_statements(client, logged_in):
    notify(logged_in.id, "unread_message_count", 1)
    long_ago = utcnow() - timedelta(days=1)
    logged_in.last_seen = long_ago  # any other page would record the visit now
    db.session.commit()
    with count_statements(db.engine) as statements:
        response = poll(client, "0")
    assert response.status_code == 200
    assert len(statements) <= 2, statements
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements), statements
    db.session.expire_all()
    assert db.session.get(User, logged_in.id).last_seen == long_ago
    assert "Set-Cookie" not in response.headers


def test_the_poll_uses_the_index(app, logged_in, backend):
    """The plan of the poll's own query reads the (user_id, timestamp) index."""
    from app.notifications.service import _SINCE

    sql = str(_SINCE.params(uid=logged_in.id, since=0.5).compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if backend == "sqlite":
            plan = " ".join(str(row) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: ask what it would use
            plan = " ".join(str(row) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_notification_user_id_timestamp" in plan, plan


def test_the_poll_checks_the_login_and_reads_in_one_statement(client, logged_in):
    notify(logged_in.id, "unread_message_count", 4)
    db.session.commit()
    with count_statements(db.engine) as statements:
        items = poll(client, "0").get_json()
    assert [item["data"] for item in items] == [4]
    assert len(statements) == 1, statements


def test_a_session_whose_login_ended_gets_a_401(app, client, logged_in):
    """Logged out on another device ("log out everywhere"): the session
    cookie still names the login, whose row is gone."""
    from app.models import LoginSession

    db.session.execute(sa.delete(LoginSession))
    db.session.commit()
    assert poll(client).status_code == 401


def test_a_forged_key_gets_a_401(client, logged_in, john):
    notify(john.id, "unread_message_count", 5)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{john.id}.made-up-key"
    assert poll(client).status_code == 401


def test_a_login_kept_only_by_the_remember_cookie_still_polls(app, susan):
    from tests.conftest import AuthActions, IsolatedClient

    app.test_client_class = IsolatedClient
    first = app.test_client()
    AuthActions(first).login(remember_me="y")
    notify(susan.id, "unread_message_count", 2)
    db.session.commit()
    later = app.test_client()  # the browser was closed: only the remember-me cookie is left
    later.set_cookie("remember_token", first.get_cookie("remember_token").value)
    assert [item["data"] for item in poll(later).get_json()] == [2]


def test_the_one_statement_poll_uses_both_indexes(logged_in, backend):
    from app.notifications.service import _POLL

    params = {"uid": logged_in.id, "key": "x" * 64, "since": 0.5}
    with db.engine.connect() as conn:
        if backend == "sqlite":
            plan = " ".join(str(row) for row in conn.execute(sa.text("EXPLAIN QUERY PLAN " + _POLL.text), params))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(str(row) for row in conn.execute(sa.text("EXPLAIN " + _POLL.text), params))
    if backend == "sqlite":
        assert "ix_notification_user_id_timestamp" in plan, plan
        assert "sqlite_autoindex_login_session" in plan or "uq_login_session_key_hash" in plan, plan
    else:
        # On a near-empty table PostgreSQL may choose either of notification's
        # indexes that start with user_id; what matters is no table scan.
        assert "Seq Scan" not in plan, plan
        assert "notification" in plan and "login_session" in plan, plan
