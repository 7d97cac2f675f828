"""The links in a post's body (issue 15: app/posts/render.py, at write time):
a mention of an existing user goes to the profile and opens the user popup
on hover (static/js/popups.js), a tag goes to its page, a URL goes out as a
nofollow link without the punctuation after it, markup in a post stays
text, and a mentioned user is told live (static/js/replies.js) and finds the
post under Mentions."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.posts import publish
from tests.browser.actions import add_user, log_in
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Dialog, Page, Route, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

POLL_SECONDS = 1
# On top of the interval: the poll's round trip and the alert being drawn.
ALERT_MS = POLL_SECONDS * 1000 + 1000
EXTERNAL_REL = "nofollow ugc noopener"
Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"NOTIFICATION_POLL_SECONDS": POLL_SECONDS}


def add_post(server: LiveServer, username: str, body: str) -> int:
    assert server.app is not None
    with server.app.test_request_context():  # as the form would, inside a request
        return publish(db.session.scalar(User.by_username(username)), body).id


def post_id(server: LiveServer, body: str) -> int:
    assert server.app is not None
    with server.app.app_context():
        return db.session.scalar(sa.select(Post.id).where(Post.body == body))


def write_post(page: Page, body: str) -> int:
    """Through the form on /index, CSRF token and all; the new post's id."""
    page.goto("/index")
    page.get_by_label("Say something").fill(body)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_have_text("Your post is now live!")
    return int((page.locator(".post").first.get_attribute("id") or "post-0").removeprefix("post-"))


def test_a_mention_links_to_the_profile_and_opens_its_popup(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "Alice", about_me="Knits on trains")  # stored with a capital
    add_user(live_server, "bob")
    post = add_post(live_server, "bob", "Lunch with @alice and @nobody today.")
    page = new_page()
    log_in(page, "bob")
    page.goto("/explore")
    page.wait_for_load_state("load")  # popups.js has run
    body = page.locator(f"#post-{post} .post-body")
    expect(body).to_have_text("Lunch with @alice and @nobody today.")
    mention = body.locator("a.mention")
    # Only the user who exists is a link, spelled as written, to the name as stored.
    expect(mention).to_have_text(["@alice"])
    expect(mention).to_have_attribute("href", "/user/Alice")
    expect(mention).to_have_class(re.compile(r"\buser-popup\b"))
    expect(body.locator("a", has_text="nobody")).to_have_count(0)
    expect(page.locator(".popover")).to_have_count(0)

    mention.hover()
    popover = page.locator(".popover")
    expect(popover).to_have_count(1)
    expect(popover).to_be_visible()
    expect(popover).to_have_class(re.compile(r"\buser-popover\b"))
    expect(popover.get_by_role("link", name="Alice")).to_have_attribute("href", "/user/Alice")
    expect(popover).to_contain_text("Knits on trains")
    expect(mention).to_have_attribute("aria-describedby", popover.get_attribute("id") or "no id")
    screenshot(page, "mention-popup")

    page.mouse.move(1, 1)
    expect(popover).to_have_count(0)
    mention.click()
    expect(page).to_have_url(re.compile(r"/user/Alice$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("User: Alice")
    screenshot(page, "profile")
    browser_log.assert_clean()


def test_a_tag_links_to_its_page_of_tagged_posts(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    older, untagged, newer = "Steam at dawn #Rail", "Nothing to see here", "Night train north #rail!"
    add_user(live_server, "bob")
    add_post(live_server, "bob", older)
    add_post(live_server, "bob", untagged)
    tagged = add_post(live_server, "bob", newer)
    page = new_page()
    log_in(page, "bob")
    page.goto("/explore")
    tag = page.locator(f"#post-{tagged} .post-body a.hashtag")
    expect(tag).to_have_text("#rail")
    expect(tag).to_have_attribute("href", "/tag/rail")
    expect(page.locator(f"#post-{tagged} .post-body")).to_have_text(newer)  # the "!" is still there, as text
    screenshot(page, "explore")

    tag.click()
    expect(page).to_have_url(re.compile(r"/tag/rail$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("#rail")
    # The tagged posts, newest first, in either letter case; not the untagged one.
    expect(page.locator(".post .post-body")).to_have_text([newer, older])
    expect(page.get_by_text(untagged)).to_have_count(0)
    feed = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(feed).to_have_count(1)
    expect(feed).to_have_attribute("href", "/tag/rail/feed.atom")
    screenshot(page, "tag-page")

    # The other spelling's link goes to the same page.
    capital = page.locator(".post-body a.hashtag", has_text=re.compile(r"^#Rail$"))  # has_text="..." ignores case
    expect(capital).to_have_attribute("href", "/tag/rail")
    capital.click()
    expect(page).to_have_url(re.compile(r"/tag/rail$"))
    expect(page.locator(".post .post-body")).to_have_text([newer, older])
    browser_log.assert_clean()


def test_a_url_is_a_nofollow_link_without_the_punctuation_after_it(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    target = "https://news.example/2026/trains?id=7"
    body = f"Read this: {target}. Then this (https://news.example/b)!"
    add_user(live_server, "bob")
    post = add_post(live_server, "bob", body)
    page = new_page()
    log_in(page, "bob")
    page.goto("/explore")
    article = page.locator(f"#post-{post} .post-body")
    expect(article).to_have_text(body)
    links = article.locator("a")
    expect(links).to_have_text([target, "https://news.example/b"])
    expect(links.first).to_have_attribute("href", target)
    expect(links.nth(1)).to_have_attribute("href", "https://news.example/b")
    for n in range(2):
        expect(links.nth(n)).to_have_attribute("rel", EXTERNAL_REL)
    screenshot(page, "link")

    # CI has no network, and new_page aborts every request to another host:
    # this one host is answered here, so the link's navigation can complete.
    fetched: list[str] = []

    def news_site(route: Route) -> None:
        fetched.append(route.request.url)
        route.fulfill(status=200, content_type="text/html",
                      body="<!doctype html><title>News</title><h1>Trains are back</h1>")

    page.route(lambda url: urlsplit(url).netloc == "news.example", news_site)
    links.first.click()
    expect(page).to_have_url(target)
    expect(page.get_by_role("heading", level=1)).to_have_text("Trains are back")
    assert fetched == [target]  # the exact address, without the "." that followed it
    screenshot(page, "news-site")
    # The one foreign request is the faked one; anything else still counts against the test.
    assert [r.rsplit(" -> ", 1)[1] for r in browser_log.foreign_requests] == [target]
    browser_log.foreign_requests.clear()
    browser_log.assert_clean()


def test_markup_in_a_post_shows_as_text(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    body = '<img src=x onerror=alert(1)> <b>hi</b> https://safe.example/a"><script>alert(2)</script>'
    add_user(live_server, "bob")
    page = new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    log_in(page, "bob")
    post = write_post(page, body)
    assert post == post_id(live_server, body)
    for where in ("/index", "/explore", "/user/bob", f"/post/{post}"):
        page.goto(where)
        page.wait_for_load_state("load")
        shown = page.locator(f"#post-{post} .post-body")
        expect(shown).to_have_text(body)  # every character of it, as text
        expect(shown.locator("img, b, script")).to_have_count(0)
        link = shown.locator("a")
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", "https://safe.example/a")
        expect(link).to_have_attribute("rel", EXTERNAL_REL)
    screenshot(page, "markup-as-text")
    assert dialogs == []
    browser_log.assert_clean()


def test_a_mentioned_user_is_told_live_and_finds_it_under_mentions(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    body = "Dinner at eight, @ALICE?"
    add_user(live_server, "alice")
    add_user(live_server, "bob")
    alice, bob = new_page(), new_page()
    log_in(alice, "alice")  # and leaves her feed open
    with alice.expect_response(lambda r: urlsplit(r.url).path == "/notifications"):
        pass  # the script is polling
    alice.evaluate("window.stillTheSamePage = true")

    log_in(bob, "bob")
    post = write_post(bob, body)
    expect(bob.locator(f"#post-{post} .post-body a.mention")).to_have_attribute("href", "/user/alice")

    alert = alice.locator("#task-alerts .mention-alert")
    expect(alert).to_have_count(1, timeout=ALERT_MS)
    expect(alert).to_have_text("bob mentioned you. See the post")
    assert alice.evaluate("window.stillTheSamePage") is True
    screenshot(alice, "mention-alert")
    alert.get_by_role("link", name="See the post").click()
    expect(alice).to_have_url(re.compile(rf"/post/{post}$"))
    expect(alice.locator("#thread-post .post-body")).to_have_text(body)
    expect(alice.locator(".mention-alert")).to_have_count(0)  # older than this page: not shown again

    alice.locator("#nav-mentions").click()
    expect(alice).to_have_url(re.compile(r"/mentions$"))
    expect(alice.get_by_role("heading", level=1)).to_have_text("Mentions")
    expect(alice.locator(".post .post-body")).to_have_text([body])
    screenshot(alice, "mentions")
    bob.locator("#nav-mentions").click()
    expect(bob.locator(".post")).to_have_count(0)
    expect(bob.get_by_text("Nobody has mentioned you yet.")).to_be_visible()
    browser_log.assert_clean()
