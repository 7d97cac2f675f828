"""Private messages through the web pages: send, receive, read, the badge,
the limit and bad input, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app, db
from app.models import Message, Notification, User, utcnow
from tests.conftest import AuthActions, IsolatedClient, config, make_user
from tests.support.metrics import scrape, value
from tests.support.sql import count_statements


def unread(user: User) -> int:
    db.session.expire_all()
    return db.session.get(User, user.id).unread_message_count


def messages_to(user: User) -> list[str]:
    return list(db.session.scalars(sa.select(Message.body).where(Message.recipient_id == user.id)
                                   .order_by(Message.id)))


def as_user(app, username: str):  # type: ignore[no-untyped-def]
    app.test_client_class = IsolatedClient
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def badge(page: str) -> tuple[str, bool]:
    match = re.search(r'<span id="message-count" class="badge text-bg-danger( d-none)?">(\d+)</span>', page)
    assert match, "no badge in the navbar"
    return match.group(2), match.group(1) is None


def test_send_receive_and_read(client, logged_in, john, app):
    page = client.get("/user/john").get_data(as_text=True)
    assert 'href="/send_message/john"' in page and "Send private message" in page
    assert "Send private message" not in client.get("/user/susan").get_data(as_text=True)

    assert client.get("/send_message/JOHN").status_code == 200  # any letter case, like profiles
    response = client.post("/send_message/John", data={"message": "  Hello, John!  "})
    assert response.status_code == 302 and response.headers["Location"] == "/user/john"
    assert messages_to(john) == ["Hello, John!"]  # trimmed
    assert unread(john) == 1

    reader = as_user(app, "john")
    assert badge(reader.get("/index").get_data(as_text=True)) == ("1", True)
    inbox = reader.get("/messages").get_data(as_text=True)
    assert "Hello, John!" in inbox and 'href="/user/susan"' in inbox and "/avatar/" in inbox
    assert unread(john) == 0
    assert badge(reader.get("/index").get_data(as_text=True)) == ("0", False)
    db.session.expire_all()
    assert db.session.get(User, john.id).last_message_read_time is not None


def test_the_inbox_escapes_each_message_and_writes_it_in_the_page_language_and_root(client, logged_in, john, app):
    assert client.post("/send_message/john", data={"message": '<b>hi</b> & "you"'}).status_code == 302
    reader = as_user(app, "john")
    english = reader.get("/messages").get_data(as_text=True)
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; &#34;you&#34;" in english and "<b>hi</b>" not in english
    assert re.search(r'<a class="user-popup" href="/user/susan">susan</a> said <time datetime="[0-9T:.+-]+">', english)
    spanish = reader.get("/messages", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "susan</a> escribió · <time" in spanish and " said " not in spanish
    under_blog = reader.get("/messages", base_url="http://localhost/blog").get_data(as_text=True)
    assert 'href="/blog/user/susan"' in under_blog and 'src="/blog/avatar/' in under_blog


def test_the_badge_is_hidden_at_zero(client, logged_in):
    assert badge(client.get("/index").get_data(as_text=True)) == ("0", False)


def test_the_inbox_is_newest_first_and_paginated(app, client, logged_in, john):
    app.config["POSTS_PER_PAGE"] = 3
    sender = as_user(app, "john")
    for n in range(5):
        sender.post("/send_message/susan", data={"message": f"message {n}"})
    first = client.get("/messages").get_data(as_text=True)
    order = re.findall(r"message (\d)", first)
    assert order == ["4", "3", "2"]
    assert "Older messages" in first and 'href="/messages?page=2"' in first
    assert re.findall(r"message (\d)", client.get("/messages?page=2").get_data(as_text=True)) == ["1", "0"]
    assert client.get("/messages?page=0").status_code == 404


def test_an_unknown_recipient_is_a_404(client, logged_in):
    assert client.get("/send_message/nobody").status_code == 404
    assert client.post("/send_message/nobody", data={"message": "hi"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_messages_need_a_login(client, john):
    assert client.get("/messages").status_code == 302
    response = client.post("/send_message/john", data={"message": "hi"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert messages_to(john) == []


@pytest.mark.parametrize(("body", "message"), [
    ("", "This field is required."),
    ("   \n\t ", "This field is required."),
    ("x" * 141, "Field must be between 1 and 140 characters long."),
])
def test_bad_bodies_are_refused_and_nothing_is_saved(client, logged_in, john, body, message):
    response = client.post("/send_message/john", data={"message": body})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert messages_to(john) == [] and unread(john) == 0


def test_a_nul_byte_is_a_400(client, logged_in, john):
    assert client.post("/send_message/john", data={"message": "a\x00b"}).status_code == 400
    assert messages_to(john) == []


def test_140_characters_after_trimming_are_fine(client, logged_in, john):
    assert client.post("/send_message/john", data={"message": "  " + "x" * 140 + "  "}).status_code == 302
    assert messages_to(john) == ["x" * 140]


def test_a_missing_csrf_token_is_a_400(app, client, logged_in, john):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/send_message/john", data={"message": "hi"})
    assert response.status_code == 400
    assert messages_to(john) == []


class TestLimit:
    @pytest.fixture
    def app_config(self):
        return {"MESSAGE_LIMIT": "3 per minute;10 per day"}

    def test_a_refused_send_keeps_the_text_and_says_why(self, client, logged_in, john):
        for n in range(3):
            assert client.post("/send_message/john", data={"message": f"m{n}"}).status_code == 302
        refused = client.post("/send_message/john", data={"message": "the one too many"})
        assert refused.status_code == 429
        page = refused.get_data(as_text=True)
        assert "the one too many" in page  # still in the form
        assert "at most 3 a minute and 10 a day" in page
        assert messages_to(john) == ["m0", "m1", "m2"] and unread(john) == 3

    def test_the_limit_is_per_sending_account(self, app, client, logged_in, john):
        make_user("mary")
        for n in range(3):
            client.post("/send_message/john", data={"message": f"m{n}"})
        assert as_user(app, "mary").post("/send_message/john", data={"message": "mary's"}).status_code == 302


def test_sending_is_counted(client, logged_in, john):
    before = value(scrape(client), "messages_sent_total")
    client.post("/send_message/john", data={"message": "hi"})
    client.post("/send_message/john", data={"message": ""})
    assert value(scrape(client), "messages_sent_total") - before == 1


def test_one_notification_row_per_user_not_one_per_message(client, logged_in, john):
    for n in range(4):
        client.post("/send_message/john", data={"message": f"m{n}"})
    rows = db.session.execute(sa.select(Notification.name, Notification.payload_json)
                              .where(Notification.user_id == john.id)).all()
    assert rows == [("unread_message_count", "4")]


def test_twenty_concurrent_sends_give_exactly_twenty(database_url, backend, request):
    """Twenty senders at once, each in its own request and connection: the
    counter on the recipient's row is added to in SQL, so none is lost."""
    app = create_app(config(database_url, RATELIMIT_ENABLED=False))
    request.addfinalizer(lambda: _clean(app, backend))
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        make_user("susan")
        names = [make_user(f"sender{n}").username for n in range(20)]
        db.session.remove()
    with app.app_context():
        clients = [as_user(app, name) for name in names]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def send(client) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        statuses.append(client.post("/send_message/susan", data={"message": "at once"}).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302] * 20
    with app.app_context():
        susan = db.session.scalar(User.by_username("susan"))
        assert susan.unread_message_count == 20
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 20
        payload = db.session.scalar(sa.select(Notification.payload_json).where(Notification.user_id == susan.id))
        assert payload == "20"  # the last notification written is the final count
        db.session.remove()


def _clean(app, backend: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        if backend == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/messages", "/send_message/john"])
def test_statement_budget(app, client, logged_in, john, path):
    sender = as_user(app, "john")
    for n in range(30):
        sender.post("/send_message/susan", data={"message": f"m{n}"})
    client.get("/index")
    client.get("/messages")  # read once: later views have nothing to mark
    with count_statements(db.engine) as statements:
        assert client.get(path).status_code == 200
    assert len(statements) <= 5, statements


def test_the_first_view_with_unread_messages_stays_within_budget(app, client, logged_in, john):
    """The worst case: last_seen is due and there is something to mark read."""
    as_user(app, "john").post("/send_message/susan", data={"message": "hi"})
    logged_in.last_seen = utcnow() - timedelta(hours=1)
    db.session.commit()
    with count_statements(db.engine) as statements:
        assert client.get("/messages").status_code == 200
    assert len(statements) <= 5, statements


def test_the_badge_costs_no_statement(client, logged_in):
    client.get("/explore")  # its top tags are then kept for a minute
    with count_statements(db.engine) as plain:
        client.get("/explore")
    logged_in.unread_message_count = 7
    db.session.commit()
    with count_statements(db.engine) as with_badge:
        page = client.get("/explore").get_data(as_text=True)
    assert badge(page) == ("7", True)
    assert len(with_badge) == len(plain)
