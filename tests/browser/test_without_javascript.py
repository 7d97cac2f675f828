"""With JavaScript off the site still works: every author name is a link to
the profile (the popups are an extra, not the way there), and private
messages are sent and read with the plain forms."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.actions import add_message, add_user, log_in
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
# Every list with author names: the feed, everyone's posts, a profile, the inbox.
LISTS = ["/index", "/explore", "/user/bob", "/messages"]


def scripts_off(page: Page) -> None:
    """The page's own scripts did not run (Playwright's evaluate still does)."""
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.bootstrap") == "undefined"
    assert page.evaluate("typeof window.microblogNotifications") == "undefined"


def test_every_author_name_is_a_link_to_the_profile(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog
) -> None:
    add_user(live_server, "alice", posts=("Hello from alice",))
    add_user(live_server, "bob", posts=("Hello from bob", "Bob again"))
    add_user(live_server, "carol", posts=("Hello from carol",))
    add_message(live_server, "carol", "alice", "Hi alice")
    add_message(live_server, "bob", "alice", "Hello alice")
    page = new_page(java_script_enabled=False)
    log_in(page, "alice")
    scripts_off(page)
    page.goto("/user/bob")
    page.get_by_role("button", name="Follow", exact=True).click()  # a plain form post
    expect(page.locator(".alert")).to_have_text("You are following bob!")

    followed = 0
    for path in LISTS:
        page.goto(path)
        scripts_off(page)
        names = page.locator(".post a.user-popup").all_inner_texts()
        assert names, f"no author names on {path}"
        for n, name in enumerate(names):
            page.goto(path)
            link = page.locator(".post a.user-popup").nth(n)
            expect(link).to_have_text(name)
            link.hover()  # nothing opens, nothing is in the way
            expect(page.locator(".popover")).to_have_count(0)
            link.click()
            expect(page).to_have_url(re.compile(rf"/user/{name}$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(f"User: {name}")
            followed += 1
    assert followed == 3 + 2 + 4 + 2  # the feed (alice's and bob's), bob's, everyone's, two senders
    browser_log.assert_clean()


def test_messages_are_sent_and_read_with_the_plain_forms(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "bob")
    alice = new_page(java_script_enabled=False)
    log_in(alice, "alice")
    scripts_off(alice)
    alice.goto("/user/bob")
    alice.get_by_role("link", name="Send private message").click()
    expect(alice).to_have_url(re.compile(r"/send_message/bob$"))

    # An empty message comes back with the form's error, and saves nothing.
    with alice.expect_response(lambda r: r.request.method == "POST") as refused:
        alice.get_by_role("button", name="Send").click()
    assert refused.value.status == 400
    expect(alice.locator(".invalid-feedback")).to_have_text("This field is required.")
    screenshot(alice, "empty-message-refused")

    alice.get_by_label("Message").fill("Lunch on Friday?")
    alice.get_by_role("button", name="Send").click()
    expect(alice).to_have_url(re.compile(r"/user/bob$"))
    expect(alice.locator(".alert")).to_have_text("Your message has been sent.")

    bob = new_page(java_script_enabled=False)
    log_in(bob, "bob")
    scripts_off(bob)
    badge = bob.locator("#message-count")
    expect(badge).to_be_visible()  # drawn by the server, no script needed
    expect(badge).to_have_text("1")
    bob.get_by_role("link", name=re.compile(r"^Messages")).click()
    expect(bob).to_have_url(re.compile(r"/messages$"))
    expect(bob.locator(".post .post-body")).to_have_text(["Lunch on Friday?"])
    expect(bob.locator(".post a.user-popup")).to_have_text(["alice"])
    expect(badge).to_be_hidden()
    screenshot(bob, "inbox-without-javascript")
    browser_log.assert_clean(expected_console="status of 400")
