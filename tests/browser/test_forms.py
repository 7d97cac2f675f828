"""Chromium's own checks of the account forms: no form issue (a field whose
purpose a password manager would have to guess) on any of them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.harness import BrowserLog
from tests.support.waiting import wait_for

try:
    from playwright.sync_api import Page
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

# A field Chromium is sure to flag (named like an autocomplete token, without
# the attribute): once its issue has arrived, any about the page's own
# fields, found at load, have arrived before it.
SENTINEL = """() => {
  const form = document.createElement("form");
  form.innerHTML = '<input id="sentinel" name="email">';
  document.body.append(form);
}"""


def form_issues(page: Page, path: str) -> list[dict[str, Any]]:
    """Chromium's form issues about ``path``'s own fields (DevTools' Issues tab)."""
    cdp = page.context.new_cdp_session(page)
    issues: list[dict[str, Any]] = []
    cdp.on("Audits.issueAdded", lambda event: issues.append(event["issue"]))
    cdp.send("Audits.enable")
    page.goto(path)
    page.wait_for_load_state("load")
    page.evaluate(SENTINEL)
    handle = cdp.send("Runtime.evaluate", {"expression": "document.getElementById('sentinel')"})
    sentinel = cdp.send("DOM.describeNode", {"objectId": handle["result"]["objectId"]})["node"]["backendNodeId"]

    def node(issue: dict[str, Any]) -> object:
        return issue.get("details", {}).get("genericIssueDetails", {}).get("violatingNodeId")

    def sentinel_reported() -> bool:
        page.evaluate("0")  # Playwright delivers events only while a call is under way
        return any(node(i) == sentinel for i in issues)

    wait_for(sentinel_reported, timeout=10,
             explain=lambda: f"Chromium reported no issue for the sentinel field: {issues}")
    return [i for i in issues if node(i) != sentinel and "Form" in str(i)]


# The reset form (new passwords only) draws no issue even without the
# attributes; tests/test_form_markup.py checks its markup.
@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/reset_password_request"])
def test_account_forms_raise_no_chromium_form_issue(
    new_page: Callable[[], Page], browser_log: BrowserLog, path: str
) -> None:
    assert form_issues(new_page(), path) == []
    browser_log.assert_clean()
