"""Search from the navbar box (``GET /search``): matching posts with their
words in ``<mark>``, a post's markup shown as text and never run, people by
name above them, and a hint for a query with no words in it."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.actions import add_user, log_in
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Page, Response, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PARK = "I went running in the park this morning"
SCRIPT = "<script>window.__pwned=1</script> running"


def search_from_navbar(page: Page, text: str) -> Response:
    """Type ``text`` in the navbar's box and press Enter, as a user would;
    returns the results page's response."""
    box = page.locator("#nav-search")
    box.click()
    box.press_sequentially(text)
    with page.expect_response(lambda response: urlsplit(response.url).path == "/search") as answer:
        box.press("Enter")
    page.wait_for_load_state("load")  # the scripts at the end of <body> have run
    return answer.value


def test_navbar_search_highlights_matches_and_leads_to_the_author(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "bob", posts=(PARK, "Hello from bob"))
    # "runway" shares the letters, not the word: without a * it must not match.
    add_user(live_server, "carol", posts=(SCRIPT, "The runway was closed all day"))
    page = new_page()
    log_in(page, "alice")

    response = search_from_navbar(page, "run")
    assert response.status == 200
    expect(page).to_have_url(re.compile(r"/search\?q=run$"))
    expect(page).to_have_title("Search: run - Microblog")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.locator("#nav-search")).to_have_value("run")
    expect(page.locator("#search-hint")).to_have_count(0)
    screenshot(page, "results")

    posts = page.locator(".post")
    expect(posts).to_have_count(2)  # by relevance: either may come first
    park, script = posts.filter(has_text="the park"), posts.filter(has_text="__pwned")
    expect(park.locator(".post-body")).to_have_text(PARK)
    expect(park.locator(".post-body mark")).to_have_text(["running"])
    expect(park.locator("a.user-popup")).to_have_text("bob")
    # The markup is the post's text, shown as typed: no element made of it.
    expect(script.locator(".post-body")).to_have_text(SCRIPT)
    expect(script.locator(".post-body mark")).to_have_text(["running"])
    expect(script.locator(".post-body *")).to_have_count(1)  # the <mark>, nothing else
    expect(page.locator("mark")).to_have_count(2)
    expect(page.get_by_text("Hello from bob")).to_have_count(0)
    expect(page.get_by_text("runway")).to_have_count(0)
    assert page.evaluate("typeof window.__pwned") == "undefined"

    park.locator("a.user-popup").click()
    expect(page).to_have_url(re.compile(r"/user/bob$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("User: bob")
    screenshot(page, "author-profile")
    # No violation either: an injected inline script would have been one.
    browser_log.assert_clean()


def test_a_name_prefix_lists_the_person(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "alice")
    add_user(live_server, "carol", posts=("Hello from carol",))
    add_user(live_server, "oscar")  # has "car" inside the name: listed after those starting with it
    add_user(live_server, "bob")
    page = new_page()
    log_in(page, "alice")

    assert search_from_navbar(page, "car").status == 200
    people = page.locator("#search-people a.user-popup")
    expect(people).to_have_text(["carol", "oscar"])
    expect(page.locator(".post")).to_have_count(0)
    expect(page.get_by_text("No posts match.")).to_be_visible()
    screenshot(page, "people")

    people.filter(has_text="carol").click()
    expect(page).to_have_url(re.compile(r"/user/carol$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("User: carol")
    browser_log.assert_clean()


@pytest.mark.parametrize("text", ["", "   "], ids=["empty", "spaces"])
def test_a_query_without_words_shows_the_hint(
    text: str, new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog,
    screenshot: Screenshot
) -> None:
    add_user(live_server, "alice", posts=("Hello from alice",))
    page = new_page()
    log_in(page, "alice")

    assert search_from_navbar(page, text).status == 200
    expect(page).to_have_url(re.compile(r"/search\?q=\+*$"))
    expect(page.locator("#search-hint")).to_be_visible()
    expect(page.locator("#search-hint")).to_contain_text("Type one or more words")
    expect(page.locator("#search-hint")).not_to_contain_text("There are no words")  # nothing was typed
    expect(page.locator("#search-people")).to_have_count(0)
    expect(page.locator(".post")).to_have_count(0)
    expect(page.locator("#nav-search")).to_have_value("")
    screenshot(page, "hint")
    browser_log.assert_clean()
