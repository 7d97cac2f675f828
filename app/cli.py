"""Commands: ``flask seed`` fills a database with demo data; ``flask mailserver`` is a
development inbox that prints the emails it receives."""
from __future__ import annotations

import email
import email.policy
import random
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Post, User, followers, utcnow

WORDS = (
    "the quick brown fox jumps over lazy dog microblog flask python post today "
    "coffee morning code ship test deploy review friends music weekend idea "
    "read write learn build small web app feed follow hello world"
).split()

BATCH = 5000


def _insert(table: sa.Table, rows: list[dict], bar: Any) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        db.session.execute(sa.insert(table), chunk)
        bar.update(len(chunk))


@click.command("seed")
@click.option("--users", default=1000, show_default=True, help="Users to create.")
@click.option("--posts", default=20000, show_default=True, help="Posts to create, spread over the users.")
@click.option("--follows", default=20, show_default=True, help="Users each user follows.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed, for a repeatable database.")
@click.option("--password", default="microblog", show_default=True, help="Password of every demo user.")
@with_appcontext
def seed(users: int, posts: int, follows: int, seed_value: int | None, password: str) -> None:
    """Fill the database with demo users (user1, user2, ...), posts and follows."""
    if users < 1 or posts < 0 or follows < 0:
        raise click.BadParameter("--users must be at least 1; --posts and --follows cannot be negative.")
    follows = min(follows, users - 1)
    rng = random.Random(seed_value)
    first = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    # One hash for every demo user: hashing 1,000 passwords at scrypt's cost
    # would take most of a minute.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    password_hash = generate_password_hash(password, method=method)
    now = utcnow()
    numbers = range(first, first + users)

    with click.progressbar(length=users + users * follows + posts, label="Seeding") as bar:
        user_ids: list[int] = []
        for start in range(0, users, BATCH):
            rows = [
                {
                    "username": f"user{n}",
                    "email": f"user{n}@example.com",
                    "password_hash": password_hash,
                    "about_me": f"Demo user number {n}.",
                    "last_seen": now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
                }
                for n in numbers[start:start + BATCH]
            ]
            insert = sa.insert(User).returning(User.id, sort_by_parameter_order=True)
            user_ids.extend(db.session.scalars(insert, rows))
            bar.update(len(rows))

        follow_rows = []
        for uid in user_ids:
            chosen = [other for other in rng.sample(user_ids, follows + 1) if other != uid][:follows]
            follow_rows.extend({"follower_id": uid, "followed_id": other} for other in chosen)
        _insert(followers, follow_rows, bar)

        post_rows = [
            {
                "body": " ".join(rng.choices(WORDS, k=rng.randint(3, 18)))[:140],
                "timestamp": now - timedelta(seconds=rng.randrange(60 * 60 * 24 * 365)),
                "user_id": rng.choice(user_ids),
            }
            for _ in range(posts)
        ]
        _insert(Post.__table__, post_rows, bar)
        db.session.commit()
    click.echo(f"Created {len(user_ids)} users, {len(post_rows)} posts, {len(follow_rows)} follows.")
    click.echo(f"Log in as user{first} with password {password!r}.")


class PrintingInbox:
    """aiosmtpd handler that prints every message it receives."""

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        self.echo("-" * 72)
        self.echo(f"From: {msg['From']}\nTo: {msg['To']}\nSubject: {msg['Subject']}\n")
        self.echo(body.get_content() if body is not None else "(no text part)")
        return "250 Message accepted for delivery"


def run_mailserver(host: str, port: int, stop: threading.Event, echo: Callable[[str], None] = click.echo) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(PrintingInbox(echo), hostname=host, port=port)
    controller.start()
    echo(f"Development inbox on {host}:{port}. Point the app at it with MAIL_SERVER={host} MAIL_PORT={port}.")
    try:
        stop.wait()
    finally:
        controller.stop()


@click.command("mailserver")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True)
def mailserver(host: str, port: int) -> None:
    """Run a local SMTP server that prints the emails it receives (Ctrl-C stops it)."""
    stop = threading.Event()
    try:
        run_mailserver(host, port, stop)
    except KeyboardInterrupt:
        stop.set()
