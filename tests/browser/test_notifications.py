"""The navbar badge of unread messages, kept current by static/js/notifications.js:
a message sent from another browser shows within one poll interval without a
reload, reading the inbox hides it on every tab, and a hidden tab stops polling."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.actions import add_user, log_in, set_hidden
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Page, Request, Response, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

POLL_SECONDS = 1
POLL_MS = POLL_SECONDS * 1000
# On top of the interval: the poll's round trip and the badge being drawn.
ROUND_TRIP_MS = 1000
Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"NOTIFICATION_POLL_SECONDS": POLL_SECONDS}


def is_poll(event: Request | Response) -> bool:
    return urlsplit(event.url).path == "/notifications"


def send_message(page: Page, recipient: str, body: str) -> None:
    """Through the profile's button and the real form, CSRF token and all."""
    page.goto(f"/user/{recipient}")
    page.get_by_role("link", name="Send private message").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Send Message to {recipient}")
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".alert")).to_have_text("Your message has been sent.")


def test_a_message_shows_on_the_badge_without_a_reload(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "bob")
    alice, bob = new_page(), new_page()
    log_in(bob, "bob")
    badge = bob.locator("#message-count")
    expect(badge).to_be_hidden()
    expect(badge).to_have_class(re.compile(r"\bd-none\b"))
    with bob.expect_response(is_poll):
        pass  # the script is polling
    # A reload would lose this, and would be a navigation.
    bob.evaluate("window.stillTheSamePage = true")
    navigations: list[str] = []
    bob.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == bob.main_frame else None)

    log_in(alice, "alice")
    send_message(alice, "bob", "Lunch on Friday?")
    expect(badge).to_have_text("1", timeout=POLL_MS + ROUND_TRIP_MS)
    expect(badge).to_be_visible()
    screenshot(bob, "badge-shows-1")
    send_message(alice, "bob", "Or Saturday?")
    expect(badge).to_have_text("2", timeout=POLL_MS + ROUND_TRIP_MS)
    assert bob.evaluate("window.stillTheSamePage") is True
    assert navigations == []

    # Reading the inbox in another tab hides the badge there at once, and on
    # this tab at its next poll.
    inbox = bob.context.new_page()
    inbox.goto("/messages")
    expect(inbox.locator(".post .post-body")).to_have_text(["Or Saturday?", "Lunch on Friday?"])
    expect(inbox.locator(".post a.user-popup")).to_have_text(["alice", "alice"])
    expect(inbox.locator("#message-count")).to_be_hidden()
    expect(badge).to_be_hidden(timeout=POLL_MS + ROUND_TRIP_MS)
    expect(badge).to_have_text("0")
    with inbox.expect_response(is_poll):
        pass
    expect(inbox.locator("#message-count")).to_be_hidden()  # and a poll does not bring it back
    screenshot(inbox, "inbox-read")

    # The navbar link itself.
    send_message(alice, "bob", "Sunday, then.")
    expect(badge).to_have_text("1", timeout=POLL_MS + ROUND_TRIP_MS)
    bob.locator("#nav-messages").click()
    expect(bob).to_have_url(re.compile(r"/messages$"))
    expect(bob.locator(".post .post-body").first).to_have_text("Sunday, then.")
    expect(bob.locator("#message-count")).to_be_hidden()
    browser_log.assert_clean()


def test_polling_stops_while_the_tab_is_hidden(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog
) -> None:
    add_user(live_server, "bob")
    page = new_page()
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if is_poll(request) else None)
    log_in(page, "bob")
    for _ in range(2):  # polling, once an interval
        with page.expect_request(is_poll, timeout=POLL_MS + ROUND_TRIP_MS):
            pass
    with page.expect_response(is_poll):
        pass  # just answered: the next poll is an interval away, none is under way

    set_hidden(page, True)
    hidden_at = len(polls)
    # Proving that nothing happens takes watching for a while: three intervals,
    # each of which would have polled on a visible tab.
    page.wait_for_timeout(3.5 * POLL_MS)
    assert polls[hidden_at:] == [], "polled while the tab was hidden"

    # Coming back polls at once, and then once an interval again.
    with page.expect_request(is_poll, timeout=ROUND_TRIP_MS):
        set_hidden(page, False)
    with page.expect_request(is_poll, timeout=POLL_MS + ROUND_TRIP_MS):
        pass
    browser_log.assert_clean()
