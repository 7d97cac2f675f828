"""What several browser tests do: people and posts put straight into the live
server's database (the tests are about the pages, not the sign-up), logging
in through the real form, a page's document told it is hidden, and the
user's background task read back (or moved on, as its job would)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.jobs import tasks
from app.messages import send_message
from app.models import Post, Task, User
from app.posts import publish
from tests.browser.harness import LiveServer

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

PASSWORD = "correct horse battery"


def add_user(server: LiveServer, username: str, about_me: str | None = None, posts: tuple[str, ...] = ()) -> None:
    assert server.app is not None
    with server.app.app_context():
        user = User(username=username, email=f"{username}@example.com", about_me=about_me)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        for body in posts:
            publish(user, body)


def add_posts(server: LiveServer, username: str, count: int, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
              ) -> list[str]:
    """``count`` posts by ``username``, a minute apart from ``start``, in one
    statement (publish() commits each: too slow for an export's worth).
    Returns their bodies, oldest first."""
    assert server.app is not None
    bodies = [f"Post number {n} of {count}" for n in range(count)]
    with server.app.app_context():
        user_id = db.session.scalar(User.by_username(username)).id
        rows = [{"body": body, "user_id": user_id, "timestamp": start + timedelta(minutes=n)}
                for n, body in enumerate(bodies)]
        db.session.execute(sa.insert(Post), rows)
        db.session.commit()
    return bodies


def latest_task(server: LiveServer, username: str) -> Task | None:
    """The user's newest task, as the database has it (detached: read its columns only)."""
    assert server.app is not None
    with server.app.app_context():
        user = db.session.scalar(User.by_username(username))
        task = db.session.scalar(sa.select(Task).where(Task.user_id == user.id).order_by(Task.created.desc()))
        if task is not None:
            db.session.expunge(task)
        return task


def report_progress(server: LiveServer, task_id: str, percent: int) -> None:
    """What a job reports as it goes (tasks.report): running, at ``percent``."""
    assert server.app is not None
    with server.app.app_context():
        tasks.report(task_id, percent)


def add_message(server: LiveServer, sender: str, recipient: str, body: str) -> None:
    assert server.app is not None
    with server.app.app_context():
        send_message(db.session.scalar(User.by_username(sender)), db.session.scalar(User.by_username(recipient)),
                     body)


def is_following(server: LiveServer, follower: str, followed: str) -> bool:
    """What the database says, whatever any page shows."""
    assert server.app is not None
    with server.app.app_context():
        return db.session.scalar(User.by_username(follower)).is_following(
            db.session.scalar(User.by_username(followed)))


def log_in(page: Page, username: str) -> None:
    """Through the login form, in whatever language the browser asks for:
    by the fields' ids, since their labels are translated."""
    page.goto("/auth/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(username)
    expect(page).to_have_url(re.compile(r"/index$|/$"))


# Headless Chromium keeps every tab visible (bringing another to the front
# hides nothing), so the page is told, as a browser tells it when its tab goes
# to the background: document.hidden and visibilityState, then the event.
SET_VISIBILITY = """(hidden) => {
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => hidden ? "hidden" : "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def set_hidden(page: Page, hidden: bool) -> None:
    page.evaluate(SET_VISIBILITY, hidden)
