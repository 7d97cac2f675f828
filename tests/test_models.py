"""The models' Mega-Tutorial API (the feed now in app/posts/queries.py), and the
rules the database enforces."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import db
from app.models import Post, User, utcnow
from app.posts.queries import FEED, FEED_COUNT
from tests.conftest import make_user
from tests.support.sql import count_statements


def test_password_hashing(app):
    u = User(username="susan", email="susan@example.com")
    u.set_password("cat")
    assert u.password_hash != "cat"
    assert not u.check_password("dog")
    assert u.check_password("cat")


def test_password_hash_method_comes_from_config(app):
    u = User(username="susan", email="susan@example.com")
    u.set_password("cat")
    assert u.password_hash.startswith("pbkdf2:sha256:1000$")  # TestConfig's cheap method


def test_avatar(app):
    u = User(username="john", email="John@Example.com")
    digest = hashlib.md5(b"john@example.com").hexdigest()
    assert u.avatar(128) == f"https://www.gravatar.com/avatar/{digest}?d=identicon&s=128"


def test_follow(app):
    john, susan = make_user("john"), make_user("susan")
    assert db.session.scalars(john.following.select()).all() == []
    assert db.session.scalars(john.followers.select()).all() == []

    john.follow(susan)
    db.session.commit()
    assert john.is_following(susan)
    assert not susan.is_following(john)
    assert john.following_count() == 1
    assert db.session.scalars(john.following.select()).first().username == "susan"
    assert susan.followers_count() == 1
    assert db.session.scalars(susan.followers.select()).first().username == "john"

    john.follow(susan)  # following twice is a no-op, not an IntegrityError
    db.session.commit()
    assert john.following_count() == 1

    john.unfollow(susan)
    db.session.commit()
    assert not john.is_following(susan)
    assert john.following_count() == 0
    assert susan.followers_count() == 0


def test_the_feed_is_own_and_followed_posts_newest_first(app):
    john, susan, mary, david = (make_user(n) for n in ("john", "susan", "mary", "david"))
    now = utcnow()
    p1 = Post(body="post from john", author=john, timestamp=now + timedelta(seconds=1))
    p2 = Post(body="post from susan", author=susan, timestamp=now + timedelta(seconds=4))
    p3 = Post(body="post from mary", author=mary, timestamp=now + timedelta(seconds=3))
    p4 = Post(body="post from david", author=david, timestamp=now + timedelta(seconds=2))
    db.session.add_all([p1, p2, p3, p4])
    db.session.commit()

    john.follow(susan)
    john.follow(david)
    susan.follow(mary)
    mary.follow(david)
    db.session.commit()

    def feed(user: User) -> list[int]:
        return [post.id for post in FEED.for_bind().first(10, user.id, feed_user=user.id)]

    assert feed(john) == [p2.id, p4.id, p1.id]
    assert feed(susan) == [p2.id, p3.id]
    assert feed(mary) == [p3.id, p4.id]
    assert feed(david) == [p4.id]
    # The API's total counts the same posts.
    assert [db.session.scalar(FEED_COUNT.params(feed_user=u.id)) for u in (john, susan, mary, david)] == [3, 2, 2, 1]


def test_a_profile_and_its_counts_in_one_statement(app):
    john, susan = make_user("john"), make_user("susan")
    db.session.add_all([Post(body="a", author=susan), Post(body="b", author=susan)])
    john.follow(susan)
    db.session.commit()
    db.session.refresh(john), db.session.refresh(susan)  # as a view has them: loaded
    with count_statements(db.engine) as statements:
        found = User.profile("SUSAN", viewer_id=john.id)
    assert len(statements) == 1

    def shown(user: User) -> tuple:
        return (user.id, user.username, user.email, user.about_me, user.last_seen)
    assert found == (shown(susan), (2, 1, 0, True))
    assert User.profile("susan", viewer_id=susan.id) == (shown(susan), (2, 1, 0, False))
    assert User.profile("john", viewer_id=susan.id) == (shown(john), (0, 0, 1, False))
    assert User.profile("john", viewer_id=None) == (shown(john), (0, 0, 1, False))
    assert User.profile("nobody", viewer_id=john.id) is None
    assert susan.posts_count() == 2


@pytest.mark.parametrize(("first", "second", "field"), [
    (("Susan", "a@example.com"), ("susan", "b@example.com"), "username"),
    (("susan", "a@example.com"), ("SUSAN", "b@example.com"), "username"),
    (("susan", "Susan@Example.com"), ("john", "susan@example.COM"), "email"),
])
def test_database_enforces_case_insensitive_uniqueness(app, first, second, field):
    db.session.add(User(username=first[0], email=first[1]))
    db.session.commit()
    db.session.add(User(username=second[0], email=second[1]))
    with pytest.raises(IntegrityError) as caught:
        db.session.commit()
    db.session.rollback()
    assert f"ix_user_{field}_lower" in str(caught.value.orig)


def test_reset_password_token(app):
    susan = make_user("susan")
    token = susan.get_reset_password_token()
    assert User.verify_reset_password_token(token) == susan
    assert User.verify_reset_password_token(token + "x") is None
    assert User.verify_reset_password_token("not-a-token") is None


def test_reset_password_token_expires(app):
    susan = make_user("susan")
    token = susan.get_reset_password_token()
    app.config["RESET_TOKEN_MAX_AGE"] = -1
    assert User.verify_reset_password_token(token) is None


def test_reset_password_token_is_single_use(app):
    susan = make_user("susan")
    token = susan.get_reset_password_token()
    susan.set_password("a new password")
    db.session.commit()
    assert User.verify_reset_password_token(token) is None


def test_reset_password_token_signed_with_secret_key(app):
    susan = make_user("susan")
    token = susan.get_reset_password_token()
    app.config["SECRET_KEY"] = "another-key"
    assert User.verify_reset_password_token(token) is None


def test_last_seen_written_at_most_once_a_minute(app):
    susan = make_user("susan")
    susan.last_seen = utcnow() - timedelta(seconds=30)
    assert susan.seen() is False
    susan.last_seen = utcnow() - timedelta(seconds=61)
    assert susan.seen() is True
    assert (utcnow() - susan.last_seen).total_seconds() < 5


def test_timestamps_are_timezone_aware_utc(app):
    susan = make_user("susan")
    db.session.add(Post(body="hi", author=susan))
    db.session.commit()
    db.session.expire_all()
    post = db.session.scalar(sa.select(Post))
    assert post.timestamp.utcoffset() == timedelta(0)
    assert abs((utcnow() - post.timestamp).total_seconds()) < 60


def test_deleting_a_user_deletes_their_posts_and_follows(app):
    john, susan = make_user("john"), make_user("susan")
    db.session.add(Post(body="bye", author=susan))
    john.follow(susan)
    db.session.commit()
    db.session.execute(sa.delete(User).where(User.id == susan.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    assert john.following_count() == 0
