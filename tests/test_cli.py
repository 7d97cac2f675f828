"""`flask seed` and `flask mailserver`."""
from __future__ import annotations

import json
import re
import time

import pytest
import sqlalchemy as sa

from app import db
from app.cli.vocabulary import VOCABULARY
from app.models import Message, Notification, Post, PostLike, PostMention, PostTag, Tag, User, followers
from app.posts.render import render


def snapshot() -> tuple[list, list, list, list]:
    return (
        db.session.execute(sa.select(User.username, User.email, User.about_me).order_by(User.id)).all(),
        db.session.execute(sa.select(Post.body, Post.timestamp, Post.user_id).order_by(Post.id)).all(),
        db.session.execute(sa.select(followers).order_by(followers.c.follower_id, followers.c.followed_id)).all(),
        db.session.execute(sa.select(Message.sender_id, Message.recipient_id, Message.body).order_by(Message.id)).all(),
    )


def count(table) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(table))


def unread_state() -> list[tuple[int, int, int]]:
    """Per user: the count on the row, and the messages newer than the read
    time counted here from the messages themselves."""
    newer = (sa.select(sa.func.count()).select_from(Message)
             .where(Message.recipient_id == User.id, Message.timestamp > User.last_message_read_time)
             .scalar_subquery())
    return [tuple(row) for row in db.session.execute(
        sa.select(User.id, User.unread_message_count, newer).order_by(User.id))]


def unread_notifications() -> dict[int, tuple[object, float]]:
    rows = db.session.execute(sa.select(Notification.user_id, Notification.payload_json, Notification.timestamp)
                              .where(Notification.name == "unread_message_count"))
    return {uid: (json.loads(payload), ts) for uid, payload, ts in rows}


def assert_unread_consistent() -> None:
    """Every count on a user's row is the messages newer than its read time,
    and the poll's notification says the same count."""
    state = unread_state()
    assert all(kept == counted for _, kept, counted in state), [row for row in state if row[1] != row[2]]
    expected = {uid: kept for uid, kept, _ in state if kept}
    assert {uid: data for uid, (data, _) in unread_notifications().items()} == expected


def test_seed_counts_and_login(runner, client):
    result = runner.invoke(args=["seed", "--users", "30", "--posts", "200", "--follows", "5", "--messages", "300",
                                 "--seed", "7"])
    assert result.exit_code == 0, result.output
    unread = sum(kept for _, kept, _ in unread_state())
    replies = db.session.scalar(sa.select(sa.func.count()).where(Post.in_reply_to_id.is_not(None)))
    likes = count(PostLike)
    assert (f"Created 30 users, 200 posts ({replies} replies), {likes} likes, 150 follows, 300 messages "
            f"({unread} unread).") in result.output
    assert (count(User), count(Post), count(followers), count(Message)) == (30, 200, 150, 300)
    # Nobody follows themselves, and no follow is listed twice.
    rows = db.session.execute(sa.select(followers)).all()
    assert all(a != b for a, b in rows) and len(set(rows)) == len(rows)
    # Nobody writes to themselves, and every message has a body like a post's.
    messages = db.session.execute(sa.select(Message.sender_id, Message.recipient_id, Message.body)).all()
    assert all(sender != recipient for sender, recipient, _ in messages)
    assert all(1 <= len(body) <= 140 for _, _, body in messages)
    assert len({recipient for _, recipient, _ in messages}) > 20  # spread over the users
    response = client.post("/auth/login", data={"username": "user1", "password": "microblog"})
    assert response.headers["Location"] == "/index"


def test_seed_writes_common_and_rare_words(runner):
    """The search benchmarks pick a common and a rare word by rank in
    VOCABULARY: posts must hold both, as whole words."""
    result = runner.invoke(args=["seed", "--users", "5", "--posts", "4000", "--follows", "0", "--messages", "0",
                                 "--seed", "1"])
    assert result.exit_code == 0, result.output
    # The words, without the mentions, tags and links some posts end with,
    # of the posts written from the vocabulary (the others are in other
    # languages: app/cli/seed_languages.py).
    posts = [{word for word in body.split(" ") if not word.startswith(("@", "#", "http"))}
             for body in db.session.scalars(sa.select(Post.body).where(Post.language == "en"))]
    assert 0.55 < len(posts) / 4000 < 0.75

    def share(rank: int) -> float:
        return sum(VOCABULARY[rank] in words for words in posts) / len(posts)

    # About 68%, 10%, 1.2% and 0.15% (see the comment on VOCABULARY).
    assert share(0) > 0.5
    assert share(0) > share(10) > share(100) > share(1000) > 0
    assert share(1000) < 0.01
    used = set().union(*posts)
    assert used <= set(VOCABULARY)  # never half a word cut off at 140 characters
    assert len(used) > 2000
    assert len(set(VOCABULARY)) == len(VOCABULARY) >= 2500
    assert all(word.isalpha() for word in VOCABULARY)
    assert {"run", "runs", "running", "cafe", "café", "naïve", "résumé"} <= set(VOCABULARY)


def test_seed_posts_carry_mentions_tags_and_links_rendered_as_published(runner):
    result = runner.invoke(args=["seed", "--users", "50", "--posts", "2000", "--follows", "0", "--messages", "0",
                                 "--likes", "0", "--seed", "2"])
    assert result.exit_code == 0, result.output
    posts = db.session.execute(sa.select(Post.id, Post.body, Post.body_html)).all()
    known = {name.lower(): name for name in db.session.scalars(sa.select(User.username))}
    assert all(len(body) <= 140 and html == render(body, known).html for _, body, html in posts)

    def share(pattern: str) -> float:
        return sum(re.search(pattern, body) is not None for _, body, _ in posts) / len(posts)

    assert 0.1 < share(r"@user\d+") < 0.2 and 0.2 < share(r"#\w") < 0.3 and 0.05 < share(r"https?://") < 0.15
    tagged = db.session.execute(sa.select(Tag.name, sa.func.count()).join(PostTag, PostTag.tag_id == Tag.id)
                                .group_by(Tag.name).order_by(sa.func.count().desc())).all()
    assert tagged[0][0] == "coffee"  # the top tag, which the bench's /tag page shows
    assert sum(count for _, count in tagged) == sum(len(render(body, known).tags) for _, body, _ in posts)
    mentions = db.session.scalar(sa.select(sa.func.count()).select_from(PostMention))
    assert mentions == sum(len(render(body, known).mentions) for _, body, _ in posts) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.name == "new_mention")) == 0  # old posts: nobody is told


def test_seed_unread_counts_are_the_messages_newer_than_the_read_time(runner):
    result = runner.invoke(args=["seed", "--users", "40", "--posts", "0", "--follows", "0", "--messages", "2000",
                                 "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert_unread_consistent()
    state = unread_state()
    unread = sum(kept for _, kept, _ in state)
    # Some of it read, some not, and not the same for everyone.
    assert 0 < unread < 2000
    assert len({kept for _, kept, _ in state}) > 1
    assert all(read is not None for read in db.session.scalars(sa.select(User.last_message_read_time)))
    # The notification is as new as the newest unread message, as sending it would have made it.
    for uid, (_, ts) in unread_notifications().items():
        newest = db.session.scalar(sa.select(sa.func.max(Message.timestamp)).where(Message.recipient_id == uid))
        read = db.session.get(User, uid).last_message_read_time
        assert read.timestamp() < ts <= time.time()
        assert ts == pytest.approx(newest.timestamp(), abs=1e-3)


def test_seed_badge_and_poll_agree(runner, client):
    assert runner.invoke(args=["seed", "--users", "10", "--posts", "0", "--messages", "500",
                               "--seed", "5"]).exit_code == 0
    uid, unread, _ = max(unread_state(), key=lambda row: row[1])
    name = db.session.get(User, uid).username
    assert unread > 0
    client.post("/auth/login", data={"username": name, "password": "microblog"})
    poll = client.get("/notifications?since=0").get_json()
    assert [(n["name"], n["data"]) for n in poll] == [("unread_message_count", unread)]
    page = client.get("/index").get_data(as_text=True)
    assert re.search(rf'id="message-count"[^>]*>{unread}</span>', page)


def test_seed_without_messages(runner):
    result = runner.invoke(args=["seed", "--users", "10", "--posts", "5", "--messages", "0"])
    assert result.exit_code == 0, result.output
    assert "0 messages (0 unread)." in result.output
    assert (count(Message), count(Notification)) == (0, 0)
    assert set(db.session.scalars(sa.select(User.unread_message_count))) == {0}


def test_seed_inbox_fills_the_first_users_inbox(runner):
    result = runner.invoke(args=["seed", "--users", "10", "--posts", "0", "--messages", "50", "--inbox", "400"])
    assert result.exit_code == 0, result.output
    first = db.session.scalar(sa.select(User.id).where(User.username == "user1"))
    received = db.session.scalar(sa.select(sa.func.count()).where(Message.recipient_id == first))
    assert count(Message) == 450
    assert received >= 400
    assert db.session.scalar(sa.select(sa.func.count()).where(Message.sender_id == Message.recipient_id)) == 0
    assert_unread_consistent()


def test_seed_with_one_user_has_nobody_to_write_to(runner):
    result = runner.invoke(args=["seed", "--users", "1", "--posts", "3"])
    assert result.exit_code == 0, result.output
    assert "Created 1 users, 3 posts (" in result.output and "0 follows, 0 messages (0 unread)." in result.output
    assert count(Message) == 0


def test_seed_writes_threads_and_likes_that_agree(runner):
    result = runner.invoke(args=["seed", "--users", "100", "--posts", "1000", "--follows", "2", "--messages", "0",
                                 "--likes", "3000", "--seed", "11"])
    assert result.exit_code == 0, result.output
    parent = sa.orm.aliased(Post)
    pairs = db.session.execute(
        sa.select(Post.id, Post.timestamp, Post.reply_to_user_id, parent.id, parent.timestamp, parent.user_id)
        .join(parent, parent.id == Post.in_reply_to_id)).all()
    assert 200 <= len(pairs) <= 400  # about --reply-share 0.3 of them
    # Each answers an earlier post, and names that post's author.
    assert all(pid < rid and pts <= rts and to == author for rid, rts, to, pid, pts, author in pairs)
    # The stored counts are the rows: what the pages show is what is there.
    counted = dict(db.session.execute(sa.select(PostLike.post_id, sa.func.count()).group_by(PostLike.post_id)).all())
    stored = dict(db.session.execute(sa.select(Post.id, Post.like_count).where(Post.like_count > 0)).all())
    assert counted == stored and 2000 < sum(counted.values()) <= 3000  # a repeated draw is one like
    # A few posts are popular: the top 5% hold far more than 5% of the likes.
    top = sorted(counted.values(), reverse=True)[:50]
    assert sum(top) > 0.2 * sum(counted.values())


def test_seed_without_replies_or_likes(runner):
    result = runner.invoke(args=["seed", "--users", "5", "--posts", "50", "--messages", "0", "--likes", "0",
                                 "--reply-share", "0"])
    assert result.exit_code == 0, result.output
    assert "50 posts (0 replies), 0 likes" in result.output
    assert count(PostLike) == 0


@pytest.mark.parametrize("args", [["--reply-share", "1.5"], ["--reply-share", "-0.1"], ["--likes", "-1"]])
def test_seed_refuses_bad_thread_options(runner, args):
    result = runner.invoke(args=["seed", "--users", "5", "--posts", "5", *args])
    assert result.exit_code == 2 and count(User) == 0


def test_seed_is_deterministic_with_seed(runner, app):
    args = ["seed", "--users", "10", "--posts", "50", "--follows", "3", "--messages", "80", "--seed", "42"]
    runner.invoke(args=args)
    _, first_posts, first_follows, first_messages = snapshot()
    first_posts = [(body, uid) for body, _, uid in first_posts]
    db.session.execute(sa.delete(User))
    db.session.commit()
    runner.invoke(args=args)
    # Ids continue after the deleted ones, so compare relative to the first id.
    base = db.session.scalar(sa.select(sa.func.min(User.id))) - 1
    _, posts, follows, messages = snapshot()
    assert [(body, uid - base) for body, _, uid in posts] == first_posts
    assert [(a - base, b - base) for a, b in follows] == [tuple(r) for r in first_follows]
    assert [(a - base, b - base, body) for a, b, body in messages] == [tuple(r) for r in first_messages]


def test_seed_refuses_a_database_with_users_unless_appending(runner):
    assert runner.invoke(args=["seed", "--users", "30", "--posts", "20", "--follows", "2"]).exit_code == 0
    again = runner.invoke(args=["seed", "--users", "30", "--posts", "20", "--follows", "2"])
    assert again.exit_code == 1
    assert "The database already has 30 users. Run `flask seed --append`" in again.output
    assert (count(User), count(Post), count(Message)) == (30, 20, 20000)  # nothing added


def test_seed_append_adds_and_says_how_many_existed(runner, susan):
    result = runner.invoke(args=["seed", "--users", "5", "--posts", "10", "--follows", "2", "--messages", "40",
                                 "--append"])
    assert result.exit_code == 0, result.output
    assert "The database already has 1 user; adding 5 more." in result.output
    assert "Created 5 users" in result.output
    assert (count(User), count(Message)) == (6, 40)
    # The messages are between the new users: susan's inbox is untouched.
    assert db.session.scalar(sa.select(sa.func.count()).where(
        sa.or_(Message.sender_id == susan.id, Message.recipient_id == susan.id))) == 0
    db.session.refresh(susan)
    assert (susan.unread_message_count, susan.last_message_read_time) == (0, None)


def test_seed_append_to_a_seeded_database_keeps_every_count_right(runner):
    assert runner.invoke(args=["seed", "--users", "8", "--posts", "0", "--messages", "100"]).exit_code == 0
    before = unread_state()
    result = runner.invoke(args=["seed", "--users", "8", "--posts", "0", "--messages", "100", "--append"])
    assert result.exit_code == 0, result.output
    assert (count(User), count(Message)) == (16, 200)
    assert unread_state()[:8] == before
    assert_unread_consistent()


@pytest.mark.parametrize("password", ["short", "1234567", "x" * 129])
def test_seed_refuses_a_password_the_forms_would_refuse(runner, password):
    result = runner.invoke(args=["seed", "--users", "2", "--posts", "0", "--password", password])
    assert result.exit_code == 2
    assert "Invalid value for '--password': must be 8 to 128 characters long" in result.output
    assert count(User) == 0


def test_seed_accepts_the_shortest_password_the_forms_accept(runner, client):
    result = runner.invoke(args=["seed", "--users", "2", "--posts", "0", "--messages", "0", "--password", "12345678"])
    assert result.exit_code == 0, result.output
    assert client.post("/auth/login", data={"username": "user1", "password": "12345678"}).status_code == 302


def test_seed_rejects_bad_counts(runner):
    result = runner.invoke(args=["seed", "--users", "0"])
    assert result.exit_code == 2
    assert "--users must be at least 1" in result.output


@pytest.mark.parametrize("option", ["--posts", "--follows", "--messages", "--inbox"])
def test_seed_rejects_negative_counts(runner, option):
    result = runner.invoke(args=["seed", "--users", "2", option, "-1"])
    assert result.exit_code == 2
    assert "cannot be negative" in result.output
    assert count(User) == 0


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
