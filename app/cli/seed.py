"""``flask seed``: a database full of demo users, posts and follows."""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash
from wtforms.validators import Length

from app.accounts import PASSWORD_RULES
from app.extensions import db
from app.models import Post, User, followers, utcnow

WORDS = (
    "the quick brown fox jumps over lazy dog microblog flask python post today "
    "coffee morning code ship test deploy review friends music weekend idea "
    "read write learn build small web app feed follow hello world"
).split()

BATCH = 5000


def _password(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # The forms' own rule, read from them: a demo password the site itself
    # would refuse misleads whoever tries the site with it.
    rule = next(v for v in PASSWORD_RULES if isinstance(v, Length))
    if not rule.min <= len(value) <= rule.max:
        raise click.BadParameter(f"must be {rule.min} to {rule.max} characters long, as on the sign-up form.")
    return value


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
@click.option("--password", default="microblog", show_default=True, callback=_password,
              help="Password of every demo user (8 to 128 characters).")
@click.option("--append", is_flag=True, help="Add to a database that already has users.")
@with_appcontext
def seed(users: int, posts: int, follows: int, seed_value: int | None, password: str, append: bool) -> None:
    """Fill the database with demo users (user1, user2, ...), posts and follows."""
    if users < 1 or posts < 0 or follows < 0:
        raise click.BadParameter("--users must be at least 1; --posts and --follows cannot be negative.")
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0
    there = f"The database already has {existing} user{'' if existing == 1 else 's'}"
    if existing and not append:
        # A second run would silently double the demo data.
        raise click.ClickException(f"{there}. Run `flask seed --append` to add more demo data anyway.")
    if existing:
        click.echo(f"{there}; adding {users} more.")
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
