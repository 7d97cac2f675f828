"""Private messages and notifications through the JSON API: sending, the
inbox, unread counts, the limit shared with the web form, bad input and the
``since`` boundary, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import db
from app.messages.service import send_message
from app.models import Message, Notification, User, utcnow
from tests.conftest import make_user
from tests.support.metrics import scrape, value
from tests.support.sql import count_statements
from tests.test_api import assert_problem, bearer, issue_token

MESSAGE_KEYS = {"id", "body", "timestamp", "sender", "recipient", "_links"}
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    """susan's."""
    return bearer(token)


@pytest.fixture
def john_headers(john: User) -> dict[str, str]:
    return bearer(issue_token(john))


def unread(user: User) -> int:
    db.session.expire_all()
    return db.session.get(User, user.id).unread_message_count


def message_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Message))


def notifications(client, headers: dict[str, str], since: str = "0") -> list[dict]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/notifications?since={since}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def unread_notice(client, headers: dict[str, str]) -> object:  # type: ignore[no-untyped-def]
    [notice] = [n for n in notifications(client, headers) if n["name"] == "unread_message_count"]
    return notice["data"]


class TestSend:
    def test_send_and_read(self, client, susan, john, headers, john_headers):
        response = client.post("/api/messages", json={"recipient": "JOHN", "body": "Hello, John!"}, headers=headers)
        assert response.status_code == 201
        sent = response.get_json()
        assert sent.keys() == MESSAGE_KEYS
        assert (sent["body"], sent["sender"], sent["recipient"]) == (
            "Hello, John!", {"id": susan.id, "username": "susan"}, {"id": john.id, "username": "john"})
        assert sent["timestamp"].endswith("+00:00")
        assert sent["_links"] == {"self": f"/api/messages/{sent['id']}", "sender": f"/api/users/{susan.id}",
                                  "recipient": f"/api/users/{john.id}"}
        assert response.headers["Location"] == sent["_links"]["self"]
        # Both ends can read it; the inbox is the recipient's, not the sender's.
        assert client.get(response.headers["Location"], headers=headers).get_json() == sent
        assert client.get(response.headers["Location"], headers=john_headers).get_json() == sent
        assert client.get("/api/messages", headers=john_headers).get_json()["items"] == [sent]
        assert client.get("/api/messages", headers=headers).get_json()["items"] == []

    def test_body_is_trimmed_before_the_rules_and_stored_trimmed(self, client, john, headers):
        for body in ("  hi  ", " " + "x" * 140 + "\n"):
            assert client.post("/api/messages", json={"recipient": "john", "body": body},
                               headers=headers).status_code == 201
        assert db.session.scalars(sa.select(Message.body).order_by(Message.id)).all() == ["hi", "x" * 140]

    def test_unread_count_and_its_notification(self, client, john, headers, john_headers):
        for n in range(2):
            client.post("/api/messages", json={"recipient": "john", "body": f"m{n}"}, headers=headers)
        assert unread(john) == 2
        assert unread_notice(client, john_headers) == 2
        assert client.get("/api/messages", headers=john_headers).status_code == 200
        assert unread(john) == 0
        assert unread_notice(client, john_headers) == 0
        db.session.expire_all()
        assert db.session.get(User, john.id).last_message_read_time is not None

    def test_writing_to_yourself_is_allowed(self, client, susan, headers):
        response = client.post("/api/messages", json={"recipient": "Susan", "body": "note to self"}, headers=headers)
        assert response.status_code == 201
        assert response.get_json()["recipient"] == response.get_json()["sender"]
        assert unread(susan) == 1

    def test_sending_is_counted(self, client, john, headers):
        before = value(scrape(client), "messages_sent_total")
        client.post("/api/messages", json={"recipient": "john", "body": "hi"}, headers=headers)
        client.post("/api/messages", json={"recipient": "john", "body": ""}, headers=headers)
        assert value(scrape(client), "messages_sent_total") - before == 1

    @pytest.mark.parametrize(("payload", "field", "message"), [
        ({"recipient": "john"}, "body", "This field is required."),
        ({"recipient": "john", "body": ""}, "body", "This field is required."),
        ({"recipient": "john", "body": "  \n\t "}, "body", "This field is required."),
        ({"recipient": "john", "body": "x" * 141}, "body", "Field must be between 1 and 140 characters long."),
        ({"recipient": "john", "body": " " + "x" * 141 + " "}, "body",
         "Field must be between 1 and 140 characters long."),
        ({"recipient": "john", "body": "a\x00b"}, "body", "Must not contain NUL characters."),
        ({"recipient": "john", "body": 42}, "body", "Must be a string."),
        ({"recipient": "john", "body": None}, "body", "Must be a string."),
        ({"recipient": "john", "body": ["hi"]}, "body", "Must be a string."),
        ({"body": "hi"}, "recipient", "This field is required."),
        ({"recipient": "", "body": "hi"}, "recipient", "This field is required."),
        ({"recipient": 7, "body": "hi"}, "recipient", "Must be a string."),
        ({"recipient": "jo hn", "body": "hi"}, "recipient",
         "Usernames may contain only letters, digits, dots, dashes and underscores."),
        ({"recipient": "john", "body": "hi", "subject": "x"}, "subject",
         "Unknown field. The fields are: body, recipient."),
    ])
    def test_invalid_messages_are_400(self, client, john, headers, payload, field, message):
        doc = assert_problem(client.post("/api/messages", json=payload, headers=headers), 400)
        assert doc["errors"] == {field: [message]}
        assert message_count() == 0 and unread(john) == 0

    def test_lone_surrogate_is_400(self, client, john, headers):
        body = '{"recipient": "john", "body": "\\ud800"}'
        response = client.post("/api/messages", data=body, content_type="application/json", headers=headers)
        assert assert_problem(response, 400)["errors"] == {"body": ["Must be valid Unicode text."]}
        assert message_count() == 0

    @pytest.mark.parametrize(("data", "content_type", "status"), [
        ("recipient=john&body=hi", "application/x-www-form-urlencoded", 415),
        ('{"recipient": "john", "body": ', "application/json", 400),
        ('["john", "hi"]', "application/json", 400),
    ])
    def test_not_a_json_object(self, client, john, headers, data, content_type, status):
        assert_problem(client.post("/api/messages", data=data, content_type=content_type, headers=headers), status)
        assert message_count() == 0

    def test_unknown_recipient_is_404(self, client, headers):
        doc = assert_problem(client.post("/api/messages", json={"recipient": "nobody", "body": "hi"},
                                         headers=headers), 404)
        assert doc["detail"] == "There is no user named nobody."
        assert message_count() == 0


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"MESSAGE_LIMIT": "2 per hour"}

    def send(self, client, headers, body: str = "hi"):  # type: ignore[no-untyped-def]
        return client.post("/api/messages", json={"recipient": "john", "body": body}, headers=headers)

    def test_past_the_limit_is_429_with_when_to_come_back(self, client, john, headers):
        assert [self.send(client, headers).status_code for _ in range(2)] == [201, 201]
        refused = self.send(client, headers, "the one too many")
        doc = assert_problem(refused, 429)
        assert 3000 < int(refused.headers["Retry-After"]) <= 3600  # the hour's window, not a guess
        assert doc["detail"].startswith("You are sending messages too fast: at most 2 an hour are allowed. "
                                        "Please try again in ")
        assert message_count() == 2 and unread(john) == 2

    @pytest.mark.parametrize(("app_config", "low", "high", "words"), [
        ({"MESSAGE_LIMIT": "5 per minute;2 per day"}, 86000, 86400, "2 a day"),  # the minute has room
        ({"MESSAGE_LIMIT": "2 per hour;5 per day"}, 3000, 3600, "2 an hour"),  # and here the day has
        ({"MESSAGE_LIMIT": "2 per minute;2 per day"}, 86000, 86400, "2 a day"),  # both spent: the later
    ])
    def test_retry_after_is_the_spent_limit_that_ends_last(self, client, john, headers, app_config, low, high,
                                                            words):
        for _ in range(2):
            self.send(client, headers)
        refused = self.send(client, headers)
        assert refused.status_code == 429
        assert low < int(refused.headers["Retry-After"]) <= high
        assert f"at most {words} are allowed" in refused.get_json()["detail"]

    def test_shared_with_the_web_form(self, client, auth, john, headers):
        auth.login()
        for n in range(2):
            assert client.post("/send_message/john", data={"message": f"web {n}"}).status_code == 302
        assert_problem(self.send(client, headers), 429)

    def test_refused_and_invalid_sends_use_up_nothing(self, client, john, headers):
        assert self.send(client, headers, "").status_code == 400
        assert client.post("/api/messages", json={"recipient": "nobody", "body": "hi"},
                           headers=headers).status_code == 404
        assert [self.send(client, headers).status_code for _ in range(2)] == [201, 201]

    def test_the_limit_is_per_sender(self, client, john, headers):
        for _ in range(2):
            self.send(client, headers)
        mary = make_user("mary")
        assert self.send(client, bearer(issue_token(mary))).status_code == 201


class TestInbox:
    @pytest.fixture
    def inbox(self, susan, john):  # type: ignore[no-untyped-def]
        """25 messages to susan, a minute apart, and one to john that is not hers."""
        now = utcnow()
        for n in range(25):
            db.session.add(Message(sender_id=john.id, recipient_id=susan.id, body=f"m{n}",
                                   timestamp=now - timedelta(minutes=n)))
        db.session.add(Message(sender_id=susan.id, recipient_id=john.id, body="to john", timestamp=now))
        db.session.commit()

    def test_newest_first_and_paginated_like_posts(self, client, inbox, john, headers):
        first = client.get("/api/messages", headers=headers).get_json()
        assert [m["body"] for m in first["items"]] == [f"m{n}" for n in range(10)]
        assert first["_meta"] == {"page": 1, "per_page": 10, "total_pages": 3, "total_items": 25}
        assert first["_links"] == {"self": "/api/messages?page=1&per_page=10",
                                   "next": "/api/messages?page=2&per_page=10", "prev": None}
        last = client.get(first["_links"]["next"].replace("page=2", "page=3"), headers=headers).get_json()
        assert [m["body"] for m in last["items"]] == [f"m{n}" for n in range(20, 25)]
        assert last["_links"]["next"] is None and last["_links"]["prev"] == "/api/messages?page=2&per_page=10"
        assert first["items"][0]["sender"] == {"id": john.id, "username": "john"}

    def test_only_page_one_marks_read(self, client, susan, john, headers):
        for n in range(3):
            send_message(john, susan, f"m{n}")
        assert client.get("/api/messages?page=2&per_page=2", headers=headers).status_code == 200
        assert unread(susan) == 3
        assert client.get("/api/messages?page=1&per_page=2", headers=headers).status_code == 200
        assert unread(susan) == 0

    def test_bad_page_is_400_and_marks_nothing_read(self, client, susan, john, headers):
        send_message(john, susan, "hi")
        doc = assert_problem(client.get("/api/messages?page=0", headers=headers), 400)
        assert list(doc["errors"]) == ["page"]
        assert unread(susan) == 1

    @pytest.mark.parametrize(("unread_messages", "budget"), [
        (0, 3),  # token, count, page
        (1, 5),  # and marking it read: the user row and the notification
    ])
    def test_sql_statements_do_not_grow_with_the_page(self, client, susan, headers, unread_messages, budget):
        """Senders come in the page's own statement: 30 senders cost what 1 costs."""
        for i in range(30):
            db.session.add(Message(sender_id=make_user(f"user{i}").id, recipient_id=susan.id, body="hi"))
        susan.unread_message_count = unread_messages
        susan.last_message_read_time = utcnow()
        db.session.commit()
        with count_statements(db.engine) as statements:
            response = client.get("/api/messages?per_page=100", headers=headers)
        assert len(response.get_json()["items"]) == 30
        assert len(statements) <= budget, statements
        assert any(s.lstrip().startswith("UPDATE") for s in statements) == bool(unread_messages)
        [page] = [s for s in statements if "JOIN" in s]
        assert "password_hash" not in page  # of the senders, only what is shown


class TestOneMessage:
    def test_not_yours_is_the_same_404_as_none(self, client, susan, john, headers):
        mary = make_user("mary")
        theirs = send_message(john, mary, "private")
        missing = theirs.id + 1
        for id in (theirs.id, missing):
            doc = assert_problem(client.get(f"/api/messages/{id}", headers=headers), 404)
            assert doc["detail"] == f"There is no message with id {id}."
        assert "private" not in client.get(f"/api/messages/{theirs.id}", headers=headers).get_data(as_text=True)

    def test_id_beyond_any_integer_is_404(self, client, headers):
        assert_problem(client.get(f"/api/messages/{2**64}", headers=headers), 404)


class TestNotifications:
    SINCE = 1764583200.25

    @pytest.fixture
    def notices(self, susan, john):  # type: ignore[no-untyped-def]
        db.session.add_all([
            Notification(user_id=susan.id, name="at", timestamp=self.SINCE, payload_json='{"n": 1}'),
            Notification(user_id=susan.id, name="after", timestamp=self.SINCE + 0.001, payload_json="[1, 2]"),
            Notification(user_id=john.id, name="johns", timestamp=self.SINCE + 1, payload_json="3"),
        ])
        db.session.commit()

    def test_since_is_exclusive_to_the_thousandth(self, client, notices, headers):
        assert notifications(client, headers, repr(self.SINCE)) == [
            {"name": "after", "data": [1, 2], "timestamp": self.SINCE + 0.001}]
        assert [n["name"] for n in notifications(client, headers, repr(self.SINCE - 0.001))] == ["at", "after"]
        assert notifications(client, headers, repr(self.SINCE + 0.001)) == []

    def test_without_since_all_of_yours_oldest_first(self, client, notices, headers):
        response = client.get("/api/notifications", headers=headers)
        assert response.get_json() == [{"name": "at", "data": {"n": 1}, "timestamp": self.SINCE},
                                       {"name": "after", "data": [1, 2], "timestamp": self.SINCE + 0.001}]
        assert response.headers["Cache-Control"] == "no-store"

    def test_writes_nothing_in_two_statements(self, client, susan, notices, headers):
        susan.last_seen = last_seen = utcnow() - timedelta(days=1)
        db.session.commit()
        with count_statements(db.engine) as statements:
            assert len(notifications(client, headers)) == 2
        assert len(statements) <= 2, statements
        assert not [s for s in statements if s.lstrip().upper().startswith(WRITES)], statements
        db.session.expire_all()
        assert db.session.get(User, susan.id).last_seen == last_seen

    @pytest.mark.parametrize("query", ["since=abc", "since=-1", "since=nan", "since=inf", "since=1e999",
                                       "since=1&since=2"])
    def test_bad_since_is_400_naming_it(self, client, headers, query):
        doc = assert_problem(client.get(f"/api/notifications?{query}", headers=headers), 400)
        assert list(doc["errors"]) == ["since"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/messages", None),
    ("POST", "/api/messages", {"recipient": "john", "body": "hi"}),
    ("GET", "/api/messages/1", None),
    ("GET", "/api/notifications?since=0", None),
])
def test_401_without_a_token(client, susan, john, method, path, body):
    send_message(susan, john, "hi")
    response = client.open(path, method=method, json=body)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="microblog API"')
    assert message_count() == 1
