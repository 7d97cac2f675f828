"""The logged-in user as a request holds them (app/models/viewer.py): read
from the row, written through the ORM, never two objects for one user."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask, g

from app import db
from app.auth.sessions import begin_session
from app.models import Post, User, Viewer, load_user, utcnow
from app.observability.context import current_user_id
from tests.conftest import make_user


@pytest.fixture
def cookie_id(app: Flask) -> str:
    """What susan's session cookie names: her id and her login's key."""
    with app.test_request_context("/"):
        susan = make_user("susan", about_me="hello")
        begin_session(susan)
        cookie = susan.get_id()
    db.session.remove()  # each test's request starts with an empty session, as a server's does
    return cookie


def stored(name: str, column: str) -> object:
    """The row as the database holds it now, from a fresh connection."""
    with db.engine.connect() as conn:
        return conn.execute(sa.select(getattr(User, column)).where(User.username == name)).scalar()


def test_a_page_reads_the_viewer_from_the_row_and_builds_no_orm_object(app, cookie_id):
    with app.test_request_context("/"):
        viewer = load_user(cookie_id)
        assert isinstance(viewer, Viewer)
        assert (viewer.username, viewer.email, viewer.about_me) == ("susan", "susan@example.com", "hello")
        assert viewer.get_id() == cookie_id and viewer.is_authenticated
        g._login_user = viewer
        assert current_user_id() == cookie_id.partition(".")[0]  # every log line and error email asks
        assert list(db.session.identity_map.values()) == []


def test_a_login_that_ended_loads_no_one(app, cookie_id):
    user_id, _, key = cookie_id.partition(".")
    with app.test_request_context("/"):
        assert load_user(f"{user_id}.{key}x") is None
        assert load_user(f"{user_id}.") is None
        assert load_user("not-a-number.key") is None


def test_what_a_request_writes_to_the_viewer_is_saved_and_read_back(app, cookie_id):
    with app.test_request_context("/"):
        viewer = load_user(cookie_id)
        viewer.about_me = "changed"
        assert viewer.about_me == "changed"  # this request reads what it wrote
        db.session.commit()
    assert stored("susan", "about_me") == "changed"


def test_the_viewer_uses_the_user_the_session_already_holds(app, cookie_id):
    with app.test_request_context("/"):
        viewer = load_user(cookie_id)
        loaded = db.session.scalar(sa.select(User).where(User.username == "susan"))
        viewer.about_me = "one object"  # no second object with the same identity
        assert viewer.orm_user() is loaded and loaded.about_me == "one object"
        db.session.commit()
    assert stored("susan", "about_me") == "one object"


def test_the_viewer_can_author_a_post(app, cookie_id):
    with app.test_request_context("/"):
        viewer = load_user(cookie_id)
        db.session.add(Post(body="mine", author=viewer.orm_user()))
        db.session.commit()
        assert db.session.scalar(sa.select(Post.user_id)) == viewer.id


def test_last_seen_is_written_once_a_minute_not_on_every_request(app, cookie_id):
    with app.test_request_context("/"):
        viewer = load_user(cookie_id)
        assert viewer.seen() is False  # just registered: seen a moment ago
        assert list(db.session.identity_map.values()) == []
        db.session.execute(sa.update(User).values(last_seen=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    db.session.remove()
    with app.test_request_context("/"):
        viewer = load_user(cookie_id)
        assert viewer.seen() is True
        db.session.commit()
    assert utcnow() - stored("susan", "last_seen") < timedelta(seconds=30)


def test_the_logs_name_the_viewer_even_after_a_failed_commit(app, cookie_id):
    make_user("john")
    db.session.remove()
    with app.test_request_context("/"):
        viewer = g._login_user = load_user(cookie_id)
        viewer.username = "john"  # taken: the commit fails and the user is expired
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert current_user_id() == cookie_id.partition(".")[0]
    assert stored("susan", "username") == "susan"
