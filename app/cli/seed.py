"""``flask seed``: a database full of demo users, posts, follows and private
messages."""
from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash
from wtforms.validators import Length

from app.accounts import PASSWORD_RULES
from app.cli import seed_content as content
from app.cli import seed_languages as languages
from app.cli import seed_threads as threads
from app.cli.vocabulary import CUM_WEIGHTS, VOCABULARY
from app.extensions import db
from app.messages.service import UNREAD
from app.models import Message, Notification, Post, PostLike, PostMention, PostTag, Tag, User, followers, utcnow
from app.posts.render import Rendered

BATCH = 5000
YEAR_S = 60 * 60 * 24 * 365
# Each user last opened the inbox up to this long ago: what came after is
# unread, a few messages each.
READ_WINDOW_S = 60 * 60 * 24 * 60


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


def _body(rng: random.Random) -> str:
    """3 to 18 words of the vocabulary, common ones most often, cut to 140
    characters."""
    body = " ".join(rng.choices(VOCABULARY, cum_weights=CUM_WEIGHTS, k=rng.randint(3, 18)))
    # Cut between words: half a word would be a term found in no other post.
    return body if len(body) <= 140 else body[:141].rsplit(" ", 1)[0]


def _message_rows(rng: random.Random, user_ids: list[int], count: int, now: datetime,
                  recipient: int | None = None) -> list[dict]:
    """``count`` messages between two different users of ``user_ids`` (to
    ``recipient`` when given), over the last year."""
    rows = []
    for _ in range(count):
        to = rng.choice(user_ids) if recipient is None else recipient
        # Anyone but the recipient, evenly: draw from all but the last user,
        # and let the last one stand in for the recipient.
        sender = user_ids[rng.randrange(len(user_ids) - 1)]
        if sender == to:
            sender = user_ids[-1]
        rows.append({"sender_id": sender, "recipient_id": to, "body": _body(rng),
                     "timestamp": now - timedelta(seconds=rng.randrange(YEAR_S))})
    return rows


def _mark_some_unread(rng: random.Random, user_ids: list[int], messages: list[dict], now: datetime) -> int:
    """Give each user a time they last read their inbox, the count of the
    messages newer than it on their row, and the notification the navbar's
    poll reads for that count (as sending them would have); return the
    unread total."""
    read_at = {uid: now - timedelta(seconds=rng.randrange(READ_WINDOW_S)) for uid in user_ids}
    unread: Counter[int] = Counter()
    newest: dict[int, datetime] = {}
    for message in messages:
        uid, when = message["recipient_id"], message["timestamp"]
        if when > read_at[uid]:
            unread[uid] += 1
            newest[uid] = max(when, newest.get(uid, when))
    # Bulk UPDATE by primary key: one executemany.
    db.session.execute(sa.update(User), [
        {"id": uid, "last_message_read_time": read_at[uid], "unread_message_count": unread[uid]}
        for uid in user_ids
    ])
    if unread:
        db.session.execute(sa.insert(Notification), [
            {"user_id": uid, "name": UNREAD, "payload_json": json.dumps(n), "timestamp": newest[uid].timestamp()}
            for uid, n in unread.items()
        ])
    return unread.total()


def _insert_returning_ids(model: type[User] | type[Post], rows: list[dict], bar: Any) -> list[int]:
    """Insert ``rows`` in batches; their new ids, in the rows' order."""
    ids: list[int] = []
    insert = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        ids.extend(db.session.scalars(insert, chunk))
        bar.update(len(chunk))
    return ids


def _write_some_in_other_languages(seed_value: int | None, rows: list[dict]) -> None:
    """Rewrite about languages.SHARE of the posts in Spanish, German, French,
    Italian or Portuguese, and give every post the language it is written
    in ("en" for the vocabulary's). Stored as written, not detected: the
    detector would add about 2 s (its load and ~90 µs a post) to the 7 s of
    a default seed, 20 s to a bench's 10x one; tests/test_post_language.py
    checks that it agrees. Its own generator, as _decorate's: a --seed keeps
    its users, post times and authors."""
    rng = random.Random(None if seed_value is None else f"{seed_value}-language")
    for row in rows:
        code = languages.choose(rng)
        if code is not None:
            row["body"] = languages.sentence(rng, code)
        row["language"] = code or "en"


def _decorate(seed_value: int | None, rows: list[dict], usernames: list[str]) -> list[Rendered]:
    """Give some posts mentions, tags and links, and every post its rendered
    HTML (as publish() would). Its own generator: a --seed draws the same
    users, posts and messages as before posts had these."""
    rng = random.Random(None if seed_value is None else f"{seed_value}-content")
    for row in rows:
        row["body"] = content.decorate(rng, row["body"], usernames)
    renders = content.rendered([row["body"] for row in rows], {name.lower(): name for name in usernames})
    for row, result in zip(rows, renders, strict=True):
        row["body_html"] = result.html
    return renders


def _tag_and_mention(renders: list[Rendered], post_ids: list[int], names: dict[str, int]) -> None:
    """The tag, post_tag and post_mention rows of the rendered posts (nobody
    is notified: these are old posts)."""
    used = sorted({tag for result in renders for tag in result.tags})
    def tag_ids() -> dict[str, int]:
        return {name: tid for name, tid in db.session.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(used)))}

    have = tag_ids() if used else {}
    missing = [name for name in used if name not in have]
    if missing:
        db.session.execute(sa.insert(Tag), [{"name": name} for name in missing])
        have = tag_ids()
    tagged = [{"post_id": pid, "tag_id": have[tag]} for pid, result in zip(post_ids, renders, strict=True)
              for tag in result.tags]
    mentioned = [{"post_id": pid, "user_id": names[name]} for pid, result in zip(post_ids, renders, strict=True)
                 for name in result.mentions]
    for table, rows in ((PostTag.__table__, tagged), (PostMention.__table__, mentioned)):
        for start in range(0, len(rows), BATCH):
            db.session.execute(sa.insert(table), rows[start:start + BATCH])


def _answer(rng: random.Random, rows: list[dict], ids: list[int], share: float) -> int:
    """Make about ``share`` of the posts replies; return how many."""
    parents = threads.reply_parents(rng, len(rows), share)
    if parents:
        db.session.execute(sa.update(Post), [
            {"id": ids[child], "in_reply_to_id": ids[parent], "reply_to_user_id": rows[parent]["user_id"]}
            for child, parent in parents.items()
        ])
    return len(parents)


def _like(rng: random.Random, rows: list[dict], ids: list[int], user_ids: list[int], count: int, now: datetime,
          bar: Any) -> int:
    """Give up to ``count`` likes, each post's like_count agreeing; return how many."""
    pairs = sorted(threads.like_pairs(rng, len(rows), user_ids, count))
    _insert(PostLike.__table__, [
        {"post_id": ids[index], "user_id": uid, "timestamp": threads.like_time(rng, rows[index]["timestamp"], now)}
        for index, uid in pairs
    ], bar)
    bar.update(count - len(pairs))  # the draws that repeated a like
    counts = threads.like_counts(pairs)
    if counts:
        db.session.execute(sa.update(Post), [{"id": ids[index], "like_count": n} for index, n in counts.items()])
    return len(pairs)


@click.command("seed")
@click.option("--users", default=1000, show_default=True, help="Users to create.")
@click.option("--posts", default=20000, show_default=True, help="Posts to create, spread over the users.")
@click.option("--follows", default=20, show_default=True, help="Users each user follows.")
@click.option("--messages", default=20000, show_default=True,
              help="Private messages to create, between random pairs of the new users.")
@click.option("--inbox", default=0, show_default=True,
              help="Extra messages for the first new user (the one to log in as), for a full inbox.")
@click.option("--reply-share", default=0.3, show_default=True, type=click.FloatRange(0, 1),
              help="Share of the posts that are replies to an earlier post.")
@click.option("--likes", default=40000, show_default=True, help="Likes to give, popular posts getting most.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed, for a repeatable database.")
@click.option("--password", default="microblog", show_default=True, callback=_password,
              help="Password of every demo user (8 to 128 characters).")
@click.option("--append", is_flag=True, help="Add to a database that already has users.")
@with_appcontext
def seed(users: int, posts: int, follows: int, messages: int, inbox: int, reply_share: float, likes: int,
         seed_value: int | None, password: str, append: bool) -> None:
    """Fill the database with demo users (user1, user2, ...), posts (some of
    them replies, some with mentions, hashtags and links, a third in other
    languages than English), likes, follows and
    private messages."""
    if users < 1 or min(posts, follows, messages, inbox, likes) < 0:
        raise click.BadParameter("--users must be at least 1; --posts, --follows, --messages, --inbox and --likes "
                                 "cannot be negative.")
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0
    there = f"The database already has {existing} user{'' if existing == 1 else 's'}"
    if existing and not append:
        # A second run would silently double the demo data.
        raise click.ClickException(f"{there}. Run `flask seed --append` to add more demo data anyway.")
    if existing:
        click.echo(f"{there}; adding {users} more.")
    follows = min(follows, users - 1)
    if users == 1:
        messages = inbox = 0  # nobody to write to: nobody writes to themselves
    rng = random.Random(seed_value)
    first = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    # One hash for every demo user: hashing 1,000 passwords at scrypt's cost
    # would take most of a minute.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    password_hash = generate_password_hash(password, method=method)
    now = utcnow()
    numbers = range(first, first + users)

    # The last `users` steps are each user's read time and unread count.
    steps = users + users * follows + posts + messages + inbox + users + likes
    with click.progressbar(length=steps, label="Seeding") as bar:
        user_ids = _insert_returning_ids(User, [
            {
                "username": f"user{n}",
                "email": f"user{n}@example.com",
                "password_hash": password_hash,
                "about_me": f"Demo user number {n}.",
                "last_seen": now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
            }
            for n in numbers
        ], bar)

        follow_rows = []
        for uid in user_ids:
            chosen = [other for other in rng.sample(user_ids, follows + 1) if other != uid][:follows]
            follow_rows.extend({"follower_id": uid, "followed_id": other} for other in chosen)
        _insert(followers, follow_rows, bar)

        post_rows = [
            {"body": _body(rng), "timestamp": now - timedelta(seconds=rng.randrange(YEAR_S)),
             "user_id": rng.choice(user_ids)}
            for _ in range(posts)
        ]
        # In time order, so ids grow with time as on a live site (search
        # takes the highest ids as the newest) and a reply follows its post.
        post_rows.sort(key=lambda row: row["timestamp"])
        names = {f"user{n}": uid for n, uid in zip(numbers, user_ids, strict=True)}
        _write_some_in_other_languages(seed_value, post_rows)
        renders = _decorate(seed_value, post_rows, list(names))
        post_ids = _insert_returning_ids(Post, post_rows, bar)
        _tag_and_mention(renders, post_ids, names)

        # Messages come after the posts, so that a --seed gives the same
        # users, follows and posts as before there were messages.
        message_rows = _message_rows(rng, user_ids, messages, now)
        if inbox:
            message_rows += _message_rows(rng, user_ids, inbox, now, recipient=user_ids[0])
        _insert(Message.__table__, message_rows, bar)
        unread = _mark_some_unread(rng, user_ids, message_rows, now)
        bar.update(len(user_ids))
        # Replies and likes come last, for the same reason.
        replies = _answer(rng, post_rows, post_ids, reply_share)
        liked = _like(rng, post_rows, post_ids, user_ids, likes, now, bar)
        db.session.commit()
    click.echo(f"Created {len(user_ids)} users, {len(post_rows)} posts ({replies} replies), {liked} likes, "
               f"{len(follow_rows)} follows, {len(message_rows)} messages ({unread} unread).")
    click.echo(f"Log in as user{first} with password {password!r}.")
