"""User popups (static/js/popups.js): hovering over or focusing an author's
name in a list opens a popover with the user's card, and its follow button
works from there, without leaving the page."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.actions import add_user, is_following, log_in
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def popup(page: Page) -> Locator:
    """The open popup. Each refresh is a new element (with a new id), so not
    the one aria-describedby named a moment ago."""
    return page.locator(".popover")


def expect_described_by_popup(page: Page, link: Locator) -> None:
    expect(popup(page)).to_have_count(1)
    expect(link).to_have_attribute("aria-describedby", popup(page).get_attribute("id") or "no id")


def expect_card(popover: Locator, followers: int, button: str) -> None:
    expect(popover).to_have_count(1)
    expect(popover).to_be_visible()
    expect(popover).to_have_class(re.compile(r"\buser-popover\b"))
    expect(popover.locator("img.avatar")).to_be_visible()
    expect(popover.get_by_role("link", name="bob")).to_have_attribute("href", "/user/bob")
    expect(popover).to_contain_text("Tea and trains")
    expect(popover).to_contain_text("Last seen")
    expect(popover.locator(".followers-count")).to_have_text(str(followers))
    expect(popover.locator(".following-count")).to_have_text("0")
    expect(popover.get_by_role("button")).to_have_text([button])


def test_hover_opens_the_popup_and_its_button_follows(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice", posts=("Hello from alice",))
    add_user(live_server, "bob", about_me="Tea and trains", posts=("Hello from bob",))
    page = new_page()
    log_in(page, "alice")
    page.goto("/explore")
    page.wait_for_load_state("load")  # popups.js has run
    page.evaluate("window.stillTheSamePage = true")  # a form submitted the old way would reload
    link = page.locator(".post a.user-popup", has_text="bob")
    expect(popup(page)).to_have_count(0)

    link.hover()
    expect_card(popup(page), followers=0, button="Follow")
    expect_described_by_popup(page, link)
    screenshot(page, "popup-on-hover")

    # Moving from the name into the popup keeps it open.
    popup(page).get_by_role("button", name="Follow").click()
    expect_card(popup(page), followers=1, button="Unfollow")
    screenshot(page, "popup-after-follow")
    assert is_following(live_server, "alice", "bob")
    assert page.evaluate("window.stillTheSamePage") is True
    profile = page.context.new_page()
    profile.goto("/user/bob")
    expect(profile.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(profile.locator("#followers-count")).to_have_text("1")
    profile.close()

    popup(page).get_by_role("button", name="Unfollow").click()
    expect_card(popup(page), followers=0, button="Follow")
    assert not is_following(live_server, "alice", "bob")

    # Leaving both closes it.
    page.mouse.move(1, 1)
    expect(popup(page)).to_have_count(0)

    # The name is still a link to the profile.
    link.click()
    expect(page).to_have_url(re.compile(r"/user/bob$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("User: bob")
    browser_log.assert_clean()


def test_keyboard_focus_opens_the_popup(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "bob", about_me="Tea and trains", posts=("Hello from bob",))
    page = new_page()
    log_in(page, "alice")
    page.goto("/explore")
    page.wait_for_load_state("load")
    post = page.locator(".post", has_text="Hello from bob")
    link = post.locator("a.user-popup")

    post.locator("a").first.focus()  # the avatar, just before the name
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    expect_card(popup(page), followers=0, button="Follow")
    expect_described_by_popup(page, link)
    screenshot(page, "popup-on-focus")

    # Tab goes on into the popup, and its button works from the keyboard.
    page.keyboard.press("Tab")
    expect(popup(page).get_by_role("link", name="bob")).to_be_focused()
    page.keyboard.press("Tab")
    expect(popup(page).get_by_role("button", name="Follow")).to_be_focused()
    page.keyboard.press("Enter")
    expect_card(popup(page), followers=1, button="Unfollow")
    expect(popup(page).get_by_role("button", name="Unfollow")).to_be_focused()
    assert is_following(live_server, "alice", "bob")

    page.keyboard.press("Escape")
    expect(popup(page)).to_have_count(0)
    expect(link).to_be_focused()
    browser_log.assert_clean()
