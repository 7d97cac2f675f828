"""Two users, two browsers: register, post, follow, read the feed, try to take
the other's name, log out. CSRF protection stays on throughout."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from app.accounts import USERNAME_TAKEN
from tests.browser.actions import PASSWORD, log_in
from tests.browser.harness import BrowserLog, LiveServer

USERNAME_TAKEN = str(USERNAME_TAKEN)  # translatable: its English

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def register(page: Page, username: str) -> None:
    page.goto("/auth/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.locator(".alert")).to_have_text("Congratulations, you are now a registered user!")


def write_post(page: Page, body: str) -> None:
    page.goto("/index")
    page.get_by_label("Say something").fill(body)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".alert")).to_have_text("Your post is now live!")
    expect(page.locator(".post").first.locator(".post-body")).to_have_text(body)


def expect_bootstrap(page: Page) -> None:
    """Bootstrap's CSS and JS both loaded (from our own server: others are blocked)."""
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    page.wait_for_load_state("load")  # a click's navigation returns before the scripts at the end of <body> ran
    assert page.evaluate("typeof window.bootstrap") == "object"


def test_follow_post_feed_rename_logout(
    new_page: Callable[[], Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    alice, bob = new_page(), new_page()

    register(alice, "alice")
    expect_bootstrap(alice)
    screenshot(alice, "alice-registered")
    register(bob, "bob")

    log_in(alice, "alice")
    screenshot(alice, "alice-logged-in")
    write_post(alice, "Hello from alice")
    screenshot(alice, "alice-posted")

    alice.goto("/user/bob")
    alice.get_by_role("button", name="Follow", exact=True).click()
    expect(alice.locator(".alert")).to_have_text("You are following bob!")
    expect(alice.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(alice.locator("#followers-count")).to_have_text("1")
    screenshot(alice, "alice-follows-bob")

    log_in(bob, "bob")
    write_post(bob, "Hello from bob")
    screenshot(bob, "bob-posted")

    alice.goto("/index")
    posts = alice.locator(".post")
    expect(posts.locator(".post-body")).to_have_text(["Hello from bob", "Hello from alice"])
    expect(posts.first.get_by_role("link", name="bob")).to_be_visible()
    screenshot(alice, "feed-shows-bob")

    # Usernames are unique regardless of case: "BOB" is bob's name.
    alice.goto("/edit_profile")
    alice.get_by_label("Username").fill("BOB")
    alice.get_by_role("button", name="Submit").click()
    expect(alice).to_have_url(re.compile(r"/edit_profile$"))
    expect(alice.locator(".invalid-feedback")).to_have_text(USERNAME_TAKEN)
    expect(alice.get_by_label("Username")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(alice.get_by_label("Username")).to_have_value("BOB")
    expect(alice.locator(".alert")).to_have_count(0)
    expect(alice.locator("#nav-profile")).to_have_text("Profile (alice)")
    screenshot(alice, "rename-to-BOB-rejected")

    alice.get_by_role("button", name="Logout").click()
    expect(alice.get_by_role("link", name="Login")).to_be_visible()
    expect(alice.get_by_role("button", name="Logout")).to_have_count(0)
    screenshot(alice, "logged-out")

    browser_log.assert_clean()


def test_404_page_shows_the_site_navigation(
    new_page: Callable[[], Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    page = new_page()
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.locator("nav.navbar")).to_be_visible()
    expect(page.get_by_role("link", name="Microblog")).to_be_visible()
    expect(page.get_by_role("link", name="Login")).to_be_visible()
    expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the home page")).to_be_visible()
    expect(page.locator("#request-id")).to_have_text(response.headers["x-request-id"])
    screenshot(page, "404-page")
    browser_log.assert_clean(expected_console="status of 404")
