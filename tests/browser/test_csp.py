"""No page breaks the Content-Security-Policy (``script-src 'self'; style-src
'self'``: no inline script or style, nothing from another host). Every page a
visitor and a logged-in user reach is opened, popups included, while
``securitypolicyviolation`` events and Chromium's console are watched (the
harness does both for every browser test; here every page is covered)."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.extensions import db
from app.models import User
from tests.browser.actions import add_message, add_user, log_in
from tests.browser.harness import CSP_WATCH, BrowserLog, LiveServer
from tests.support.waiting import wait_for

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

LOGGED_IN = ["/", "/index", "/explore", "/user/alice", "/user/BOB", "/edit_profile", "/auth/change_password",
             "/messages", "/send_message/bob", "/search?q=hello", "/search?q=",
             # A post's page and its actions (alice's post is 1, bob's 2).
             "/post/1", "/post/2", "/post/1/edit", "/post/1/delete", "/post/2/likes"]
# Logged out, the pages behind a login answer with the login page.
LOGGED_OUT = ["/", "/index", "/explore", "/user/bob", "/messages", "/send_message/bob", "/auth/login",
              "/auth/register", "/auth/reset_password_request", "/auth/reset_password/not-a-token"]
NOT_FOUND = ["/no/such/page", "/user/nobody", "/post/999"]


def reset_link(server: LiveServer, username: str) -> str:
    assert server.app is not None
    with server.app.app_context():
        return f"/auth/reset_password/{db.session.scalar(User.by_username(username)).get_reset_password_token()}"


def visit(page: Page, path: str, status: int = 200) -> None:
    """Open ``path``, under the policy, with the violation watch running."""
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and response.status)
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("load")  # the scripts at the end of <body> have run
    assert page.evaluate(f"window.{CSP_WATCH.marker}") is True, f"no violation watch on {path}"


def open_popup(page: Page, path: str, name: str) -> None:
    visit(page, path)
    page.locator("a.user-popup", has_text=name).first.hover()
    expect(page.locator(".popover .user-popup-card")).to_be_visible()
    expect(page.locator(".popover img.avatar")).to_be_visible()


def test_no_page_violates_the_content_security_policy(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog
) -> None:
    add_user(live_server, "alice", about_me="Hello", posts=("Hello from alice",))
    add_user(live_server, "bob", about_me="Tea and trains", posts=("Hello from bob",))
    add_message(live_server, "bob", "alice", "Hi alice")

    visitor = new_page()
    for path in [*LOGGED_OUT, reset_link(live_server, "bob")]:
        visit(visitor, path)
    visit(visitor, "/no/such/page", status=404)

    user = new_page()
    log_in(user, "alice")
    for path in LOGGED_IN:
        visit(user, path)
    for path in NOT_FOUND:
        visit(user, path, status=404)
    open_popup(user, "/explore", "bob")
    open_popup(user, "/user/bob", "bob")
    open_popup(user, "/messages", "bob")  # a message's sender
    # A form sent back with its errors.
    visit(user, "/send_message/bob")
    user.get_by_role("button", name="Send").click()
    expect(user.locator(".invalid-feedback")).to_be_visible()

    assert browser_log.csp_violations == []
    browser_log.assert_clean(expected_console=tuple(
        f"{live_server.url}{path}: Failed to load resource: the server responded with a status of {status}"
        for path, status in [*((p, 404) for p in NOT_FOUND), ("/send_message/bob", 400)]))


def test_a_violation_would_be_seen(new_page: Callable[..., Page], browser_log: BrowserLog) -> None:
    """The watch itself: an inline style and an inline script, as a template
    or a script of ours might add them, are both reported."""
    page = new_page()
    visit(page, "/auth/login")
    page.evaluate("""() => {
      document.body.insertAdjacentHTML("beforeend", '<p style="color: red">inline style</p>');
      const script = document.createElement("script");
      script.textContent = "window.inlineRan = true";
      document.body.append(script);
    }""")

    def reported() -> bool:
        page.evaluate("0")  # Playwright delivers events only while a call is under way
        text = "\n".join(browser_log.csp_violations)
        return "style-src-attr" in text and "script-src-elem" in text

    wait_for(reported, timeout=10, explain=lambda: f"violations seen: {browser_log.csp_violations}")
    assert page.evaluate("window.inlineRan") is None  # and the policy held
    with pytest.raises(AssertionError, match="CSP violation"):
        browser_log.assert_clean()
