"""`flask seed` and `flask mailserver`."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import db
from app.models import Post, User, followers


def snapshot() -> tuple[list, list, list]:
    return (
        db.session.execute(sa.select(User.username, User.email, User.about_me).order_by(User.id)).all(),
        db.session.execute(sa.select(Post.body, Post.timestamp, Post.user_id).order_by(Post.id)).all(),
        db.session.execute(sa.select(followers).order_by(followers.c.follower_id, followers.c.followed_id)).all(),
    )


def count(table) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(table))


def test_seed_counts_and_login(runner, client):
    result = runner.invoke(args=["seed", "--users", "30", "--posts", "200", "--follows", "5", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Created 30 users, 200 posts, 150 follows." in result.output
    assert (count(User), count(Post), count(followers)) == (30, 200, 150)
    # Nobody follows themselves, and no follow is listed twice.
    rows = db.session.execute(sa.select(followers)).all()
    assert all(a != b for a, b in rows) and len(set(rows)) == len(rows)
    response = client.post("/auth/login", data={"username": "user1", "password": "microblog"})
    assert response.headers["Location"] == "/index"


def test_seed_is_deterministic_with_seed(runner, app):
    runner.invoke(args=["seed", "--users", "10", "--posts", "50", "--follows", "3", "--seed", "42"])
    first_posts = [(body, uid) for body, _, uid in snapshot()[1]]
    first_follows = snapshot()[2]
    db.session.execute(sa.delete(User))
    db.session.commit()
    runner.invoke(args=["seed", "--users", "10", "--posts", "50", "--follows", "3", "--seed", "42"])
    # Ids continue after the deleted ones, so compare relative to the first id.
    base = db.session.scalar(sa.select(sa.func.min(User.id))) - 1
    second_posts = [(body, uid - base) for body, _, uid in snapshot()[1]]
    second_follows = [(a - base, b - base) for a, b in snapshot()[2]]
    assert second_posts == first_posts
    assert second_follows == [tuple(r) for r in first_follows]


def test_seed_refuses_a_database_with_users_unless_appending(runner):
    assert runner.invoke(args=["seed", "--users", "30", "--posts", "20", "--follows", "2"]).exit_code == 0
    again = runner.invoke(args=["seed", "--users", "30", "--posts", "20", "--follows", "2"])
    assert again.exit_code == 1
    assert "The database already has 30 users. Run `flask seed --append`" in again.output
    assert (count(User), count(Post)) == (30, 20)  # nothing added


def test_seed_append_adds_and_says_how_many_existed(runner, susan):
    result = runner.invoke(args=["seed", "--users", "5", "--posts", "10", "--follows", "2", "--append"])
    assert result.exit_code == 0, result.output
    assert "The database already has 1 user; adding 5 more." in result.output
    assert "Created 5 users" in result.output
    assert count(User) == 6


@pytest.mark.parametrize("password", ["short", "1234567", "x" * 129])
def test_seed_refuses_a_password_the_forms_would_refuse(runner, password):
    result = runner.invoke(args=["seed", "--users", "2", "--posts", "0", "--password", password])
    assert result.exit_code == 2
    assert "Invalid value for '--password': must be 8 to 128 characters long" in result.output
    assert count(User) == 0


def test_seed_accepts_the_shortest_password_the_forms_accept(runner, client):
    result = runner.invoke(args=["seed", "--users", "2", "--posts", "0", "--password", "12345678"])
    assert result.exit_code == 0, result.output
    assert client.post("/auth/login", data={"username": "user1", "password": "12345678"}).status_code == 302


def test_seed_rejects_bad_counts(runner):
    result = runner.invoke(args=["seed", "--users", "0"])
    assert result.exit_code == 2
    assert "--users must be at least 1" in result.output


def test_mailserver_prints_what_arrives():
    import smtplib
    import threading
    from email.message import EmailMessage

    from app.cli import run_mailserver
    from tests.support.ports import free_port

    port, stop, printed = free_port(), threading.Event(), []
    ready = threading.Event()

    def echo(text: str) -> None:
        printed.append(text)
        ready.set()

    thread = threading.Thread(target=run_mailserver, args=("127.0.0.1", port, stop, echo))
    thread.start()
    try:
        assert ready.wait(10)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "app@example.com", "admin@example.com", "Microblog Failure: X in y"
        msg.set_content("the body")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(msg)
    finally:
        stop.set()
        thread.join(10)
    output = "\n".join(printed)
    assert "Subject: Microblog Failure: X in y" in output and "the body" in output
