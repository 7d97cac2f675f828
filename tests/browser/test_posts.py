"""The actions under every post (templates/_post_rows.html): a like sent by
static/js/likes.js without a reload (and by the plain form without
JavaScript), a reply from the post's thread page that its author hears of
live (static/js/replies.js), and a delete that asks first and leaves the
replies answering a deleted post."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, PostLike, User
from app.posts import publish
from tests.browser.actions import add_user, log_in
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Page, Request, Response, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

POLL_SECONDS = 1
# On top of the interval: the poll's round trip and the alert being drawn.
ALERT_MS = POLL_SECONDS * 1000 + 1000
Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"NOTIFICATION_POLL_SECONDS": POLL_SECONDS}


def post_id(server: LiveServer, body: str) -> int:
    assert server.app is not None
    with server.app.app_context():
        return db.session.scalar(sa.select(Post.id).where(Post.body == body))


def add_reply(server: LiveServer, username: str, parent: int, body: str) -> int:
    assert server.app is not None
    with server.app.test_request_context():  # publish() links the notification with url_for
        return publish(db.session.scalar(User.by_username(username)), body, in_reply_to=parent).id


def likes_in_db(server: LiveServer, post: int) -> tuple[list[str], int | None]:
    """Who has a PostLike row for ``post``, and the post's like_count (None: no such post)."""
    assert server.app is not None
    with server.app.app_context():
        likers = db.session.scalars(sa.select(User.username).join(PostLike, PostLike.user_id == User.id)
                                    .where(PostLike.post_id == post).order_by(User.username)).all()
        return list(likers), db.session.scalar(sa.select(Post.like_count).where(Post.id == post))


def watch_for_reloads(page: Page) -> list[str]:
    """Mark the document (a reload would lose the mark) and record every main-frame navigation."""
    page.evaluate("window.stillTheSamePage = true")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    return navigations


def is_like_post(event: Request | Response) -> bool:
    request = event if isinstance(event, Request) else event.request
    return request.method == "POST" and re.search(r"/post/\d+/(un)?like$", urlsplit(request.url).path) is not None


def expect_like_state(page: Page, post: int, liked: bool, count: str) -> None:
    article = page.locator(f"#post-{post}")
    button = article.locator("button.like-button")
    expect(button).to_have_text("Unlike" if liked else "Like")
    expect(button).to_have_attribute("aria-pressed", "true" if liked else "false")
    expect(button).to_be_enabled()
    expect(article.locator("a.like-count")).to_have_text(count)
    expect(article.locator("form.like-form")).to_have_attribute(
        "action", re.compile(rf"/post/{post}/{'unlike' if liked else 'like'}$"))


def test_a_like_shows_at_once_without_a_reload_and_persists(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "bob", posts=("Hello from bob", "Bob again"))
    liked, other = post_id(live_server, "Hello from bob"), post_id(live_server, "Bob again")
    page = new_page()
    log_in(page, "alice")
    page.goto("/explore")
    expect_like_state(page, liked, liked=False, count="0 likes")
    navigations = watch_for_reloads(page)

    with page.expect_response(is_like_post) as answer:
        page.locator(f"#post-{liked} button.like-button").click()
    assert answer.value.status == 200  # the JSON answer, not the form's redirect
    assert answer.value.request.headers["accept"] == "application/json"
    assert answer.value.json() == {"liked": True, "likes": 1, "action": f"/post/{liked}/unlike"}
    expect_like_state(page, liked, liked=True, count="1 like")
    expect_like_state(page, other, liked=False, count="0 likes")  # only the post clicked
    assert page.evaluate("window.stillTheSamePage") is True
    assert navigations == []
    assert likes_in_db(live_server, liked) == (["alice"], 1)
    screenshot(page, "liked")

    page.reload()
    expect_like_state(page, liked, liked=True, count="1 like")
    page.locator(f"#post-{liked} a.like-count").click()
    expect(page).to_have_url(re.compile(rf"/post/{liked}/likes$"))
    expect(page.locator("#likers a.user-popup")).to_have_text(["alice"])
    page.go_back()

    navigations = watch_for_reloads(page)
    with page.expect_response(is_like_post) as answer:
        page.locator(f"#post-{liked} button.like-button").click()
    assert urlsplit(answer.value.url).path == f"/post/{liked}/unlike"
    expect_like_state(page, liked, liked=False, count="0 likes")
    assert page.evaluate("window.stillTheSamePage") is True
    assert navigations == []
    assert likes_in_db(live_server, liked) == ([], 0)
    page.reload()
    expect_like_state(page, liked, liked=False, count="0 likes")
    screenshot(page, "unliked")
    browser_log.assert_clean()


def test_a_reply_is_threaded_and_its_author_is_told_live(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    question, answer = "What should I cook tonight?", "Pasta, obviously."
    add_user(live_server, "alice")
    add_user(live_server, "bob", posts=(question,))
    parent = post_id(live_server, question)
    bob, alice = new_page(), new_page()
    log_in(bob, "bob")  # and leaves his feed open
    with bob.expect_response(lambda r: urlsplit(r.url).path == "/notifications"):
        pass  # the script is polling
    navigations = watch_for_reloads(bob)

    log_in(alice, "alice")
    alice.goto("/explore")
    alice.locator(f"#post-{parent} a.reply-action").click()
    expect(alice).to_have_url(re.compile(rf"/post/{parent}#reply$"))
    expect(alice.locator("#thread-post .post-body")).to_have_text(question)
    expect(alice.locator("#replies")).to_contain_text("No replies yet.")
    alice.locator("#reply").get_by_label("Your reply").fill(answer)
    alice.locator("#reply").get_by_role("button", name="Reply").click()
    expect(alice.get_by_role("alert")).to_have_text("Your reply is now live!")
    reply = post_id(live_server, answer)
    expect(alice).to_have_url(re.compile(rf"/post/{reply}$"))
    # The chain above it, then the reply itself, saying whom it answers.
    expect(alice.locator(".thread-ancestors .post-body")).to_have_text([question])
    expect(alice.locator(".thread-ancestors a.user-popup")).to_have_text(["bob"])
    expect(alice.locator("#thread-post .post-body")).to_have_text(answer)
    line = alice.locator("#thread-post .reply-line a")
    expect(line).to_have_text("replying to @bob")
    screenshot(alice, "reply-page")
    line.click()
    expect(alice).to_have_url(re.compile(rf"/post/{parent}$"))
    expect(alice.locator("#thread-post .post-body")).to_have_text(question)
    expect(alice.locator("#replies .post-body")).to_have_text([answer])
    expect(alice.locator("#replies a.user-popup")).to_have_text(["alice"])

    # Bob, on the page he had open, is told within a poll.
    alert = bob.locator("#task-alerts .reply-alert")
    expect(alert).to_have_count(1, timeout=ALERT_MS)
    expect(alert).to_have_text("alice replied to your post. See the reply")
    assert bob.evaluate("window.stillTheSamePage") is True
    assert navigations == []
    screenshot(bob, "reply-alert")
    alert.get_by_role("link", name="See the reply").click()
    expect(bob).to_have_url(re.compile(rf"/post/{reply}$"))
    expect(bob.locator("#thread-post .post-body")).to_have_text(answer)
    expect(bob.locator(".reply-alert")).to_have_count(0)  # older than this page: not shown again
    browser_log.assert_clean()


def test_a_delete_asks_first_and_leaves_the_replies(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    doomed, kept, answer = "This one will go", "This one stays", "I saw it before it went"
    add_user(live_server, "alice", posts=(kept, doomed))
    add_user(live_server, "bob")
    target = post_id(live_server, doomed)
    reply = add_reply(live_server, "bob", target, answer)
    page = new_page()
    log_in(page, "alice")
    page.goto("/explore")
    expect(page.locator(f"#post-{reply} .reply-line a")).to_have_text("replying to @alice")
    expect(page.locator(f"#post-{reply} a.delete-action")).to_have_count(0)  # not hers to delete

    page.locator(f"#post-{target} a.delete-action").click()
    expect(page).to_have_url(re.compile(rf"/post/{target}/delete\?next=(%2F|/)explore$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this post?")
    expect(page.locator(".post .post-body")).to_have_text([doomed])
    screenshot(page, "confirm")
    page.locator("#cancel-delete").click()
    expect(page).to_have_url(re.compile(r"/explore$"))
    expect(page.locator(f"#post-{target} .post-body")).to_have_text(doomed)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert likes_in_db(live_server, target)[1] is not None  # still there

    page.locator(f"#post-{target} a.delete-action").click()
    page.locator("#confirm-delete").click()
    expect(page).to_have_url(re.compile(r"/explore$"))
    expect(page.get_by_role("alert")).to_have_text("Your post has been deleted.")
    expect(page.locator(f"#post-{target}")).to_have_count(0)
    expect(page.get_by_text(doomed)).to_have_count(0)
    expect(page.locator(".post .post-body")).to_have_text([answer, kept])
    line = page.locator(f"#post-{reply} .reply-line")
    expect(line).to_have_text("replying to a deleted post")
    expect(line.locator("a")).to_have_count(0)
    assert likes_in_db(live_server, target)[1] is None
    screenshot(page, "deleted")

    page.locator(f"#post-{reply} a.post-link").click()
    expect(page).to_have_url(re.compile(rf"/post/{reply}$"))
    expect(page.locator(".thread-ancestors")).to_have_count(0)
    expect(page.locator("#thread-post .reply-line")).to_have_text("replying to a deleted post")
    browser_log.assert_clean()


def test_without_javascript_the_like_form_posts_and_comes_back(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "bob", posts=("Hello from bob",))
    post = post_id(live_server, "Hello from bob")
    page = new_page(java_script_enabled=False)
    log_in(page, "alice")
    page.goto("/user/bob?page=1")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.microblogNotifications") == "undefined"  # the scripts did not run

    for liked, count in ((True, "1 like"), (False, "0 likes")):
        with page.expect_response(is_like_post) as answer:
            page.locator(f"#post-{post} button.like-button").click()
        assert answer.value.status == 302
        assert answer.value.headers["location"] == "/user/bob?page=1"
        expect(page).to_have_url(re.compile(r"/user/bob\?page=1$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("User: bob")
        expect_like_state(page, post, liked=liked, count=count)
        assert likes_in_db(live_server, post) == ((["alice"], 1) if liked else ([], 0))
        screenshot(page, "liked" if liked else "unliked")
    browser_log.assert_clean()
