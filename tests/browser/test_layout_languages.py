"""The layout at the length each translation reaches (issue 16: a translation
is complete only when its layout is checked): in English, Spanish and
German, on a desktop and on a phone, every main page fits the window's
width; on the desktop the expanded navbar keeps to one row and no navbar
item, button or post action breaks its own label over two lines; on the
phone the opened navbar shows every item inside the window. /index is kept
as a screenshot per language and viewport, for a person to look at.

The language comes from the browser's locale (Accept-Language): the user
has no saved choice and no ``language`` cookie."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User
from app.posts import likes, publish
from tests.browser.actions import PASSWORD, add_message, add_user
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
LOCALES = {"en": "en-US", "es": "es-ES", "de": "de-DE"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
# A row of the navbar may be this much taller than the English one and still
# be one row: sub-pixel rounding and a taller glyph (Ä, ñ) in another font.
# A second row adds a whole line (some 40px), so the margin cannot hide one.
ROW_SLACK_PX = 4
USER, OTHER, TAG, WORD = "susan", "david", "travel", "mountains"

# The page's width against the window's, and what sticks out when it does not fit.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5) && el.checkVisibility()) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
               + ` [${Math.round(box.left)}, ${Math.round(box.right)}] "${el.textContent.trim().slice(0, 40)}"`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, out: out.slice(0, 10)};
}"""

# The expanded navbar: its height, and whether its items share one row (some
# horizontal line crosses every one of them).
NAVBAR_ROW = """() => {
  const nav = document.querySelector("nav.navbar");
  const items = [...nav.querySelectorAll(
    ".navbar-brand, .navbar-nav > .nav-item, .navbar-collapse > form")].filter((el) => el.checkVisibility());
  const boxes = items.map((el) => el.getBoundingClientRect());
  return {
    height: nav.getBoundingClientRect().height,
    items: items.length,
    oneRow: Math.max(...boxes.map((b) => b.top)) < Math.min(...boxes.map((b) => b.bottom)),
  };
}"""

# Elements whose own label runs over more than one line: the lines its
# visible text sits on, told apart by vertical overlap (a badge's smaller
# text shares its line). Text that is only there for screen readers is left out.
WRAPPED = """(selector) => {
  const wrapped = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility()) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const rects = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!node.textContent.trim() || parent.closest(".visually-hidden") || !parent.checkVisibility()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      rects.push(...[...range.getClientRects()].filter((r) => r.width > 0));
    }
    rects.sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 1) { lines += 1; bottom = r.bottom; } else { bottom = Math.max(bottom, r.bottom); }
    }
    if (lines > 1) {
      const box = el.getBoundingClientRect();
      wrapped.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
                   + ` "${el.textContent.trim().replace(/\\s+/g, " ")}": ${lines} lines,`
                   + ` ${Math.round(box.width)}x${Math.round(box.height)}px`);
    }
  }
  return wrapped;
}"""
# Every label that must keep to one line on the desktop.
LABELS = ", ".join([
    "nav.navbar .navbar-brand", "nav.navbar .nav-link", "nav.navbar button", "main button", "main .btn",
    ".post-actions a", ".post-actions button",
])


def add_data(server: LiveServer) -> dict[str, int]:
    """Susan, who has posts (one tagged, one with the search word), a reply,
    a like given and one received, a follower and a message; David, whom she
    follows and who follows her. Returns the post ids the pages need."""
    add_user(server, USER, about_me="Writing about trails and the weather up there.")
    add_user(server, OTHER, about_me="Photographs, mostly.")
    assert server.app is not None
    with server.app.test_request_context():  # publish() links its notifications with url_for
        susan, david = (db.session.scalar(User.by_username(name)) for name in (USER, OTHER))
        susan.follow(david)
        david.follow(susan)
        db.session.commit()
        first = publish(susan, f"Off to the {WORD} next week #{TAG}")
        theirs = publish(david, f"Snow on the {WORD} already. #{TAG}")
        publish(david, "Take boots, not trainers.", in_reply_to=first.id)
        publish(susan, "Thanks, I will!", in_reply_to=theirs.id)
        likes.set_like(susan, theirs.id, liked=True)
        likes.set_like(david, first.id, liked=True)
        ids = {"mine": first.id, "theirs": theirs.id}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 4
    add_message(server, OTHER, USER, "Shall we go together?")
    return ids


def open_window(new_page: Callable[..., Page], language: str, viewport: dict[str, int]) -> Page:
    """A fresh context in ``language``'s locale, its window resized (``new_page``
    sets the desktop size itself, so it cannot be passed as an option)."""
    page = new_page(locale=LOCALES[language])
    page.set_viewport_size(viewport)
    return page


def log_in(page: Page, username: str) -> None:
    """The login form by its fields' ids: its labels are in the page's language."""
    page.goto("/auth/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url("**/index")


def open_page(page: Page, path: str, language: str) -> None:
    page.goto(path)
    page.wait_for_load_state("load")  # the scripts have run (dates.js rewrites times)
    expect(page.locator("html")).to_have_attribute("lang", language)


def assert_fits(page: Page, where: str) -> None:
    fit = page.evaluate(OVERFLOW)
    assert fit["scrollWidth"] <= fit["innerWidth"], (
        f"{where}: the page is {fit['scrollWidth']}px wide in a {fit['innerWidth']}px window; sticking out:\n"
        + "\n".join(fit["out"]))


def navbar_height(page: Page) -> float:
    return float(page.evaluate(NAVBAR_ROW)["height"])


def assert_one_row(page: Page, where: str, english_height: float) -> float:
    """The expanded navbar on one row, as tall as the English one (give or
    take ROW_SLACK_PX); returns its height."""
    row = page.evaluate(NAVBAR_ROW)
    assert row["items"] >= 4, f"{where}: only {row['items']} navbar items found"
    # Bootstrap's expanded navbar does not wrap its items (flex-wrap: nowrap):
    # squeezed, they break their own labels instead and the row grows taller.
    # Both ways it is more than one row; the wrapped labels say where.
    if not row["oneRow"] or row["height"] > english_height + ROW_SLACK_PX:
        wrapped = page.evaluate(WRAPPED, "nav.navbar .navbar-brand, nav.navbar .nav-link, nav.navbar button")
        raise AssertionError(f"{where}: the navbar takes more than one row: {row['height']}px tall"
                             f" (English {english_height}px), items on one row: {row['oneRow']};"
                             " labels on more than one line:\n" + "\n".join(wrapped))
    return float(row["height"])


def assert_no_wrapped_labels(page: Page, where: str) -> None:
    wrapped = page.evaluate(WRAPPED, LABELS)
    assert not wrapped, f"{where}: labels on more than one line:\n" + "\n".join(wrapped)


def assert_opened_navbar_fits(page: Page, where: str) -> None:
    """The phone's navbar, opened: every item shown, inside the window."""
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(page.locator("#mainnav")).to_have_class("navbar-collapse collapse show")  # the transition is over
    items = page.locator("#mainnav .nav-item, #mainnav > form")
    assert items.count() >= 4
    width = page.viewport_size["width"]
    for n in range(items.count()):
        item = items.nth(n)
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
            f"{where}: navbar item {item.inner_text()!r} at {box} in a {width}px window")
    assert_fits(page, f"{where} (navbar open)")


def english_navbar_heights(new_page: Callable[..., Page]) -> dict[str, float]:
    """The one-row height of the English navbar, logged in and out: what the other languages are held to."""
    heights = {}
    page = open_window(new_page, "en", DESKTOP)
    open_page(page, "/auth/login", "en")
    heights["anonymous"] = navbar_height(page)
    log_in(page, USER)
    open_page(page, "/index", "en")
    heights["logged in"] = navbar_height(page)
    page.context.close()
    return heights


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"LANGUAGES": list(LOCALES)}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("language", list(LOCALES))
def test_every_main_page_fits_in_each_language(
    language: str, viewport: str, new_page: Callable[..., Page], live_server: LiveServer,
    browser_log: BrowserLog, screenshot: Screenshot, record_property: Callable[[str, object], None],
) -> None:
    posts = add_data(live_server)
    desktop = viewport == "desktop"
    english = english_navbar_heights(new_page) if desktop else {}
    measured: dict[str, float] = {}

    def check(page: Page, path: str, who: str) -> None:
        where = f"{path} ({language}, {viewport}, {who})"
        open_page(page, path, language)
        measured[path] = navbar_height(page)  # before the checks: a failure's report has it too
        assert_fits(page, where)
        if desktop:
            assert_one_row(page, where, english[who])
            assert_no_wrapped_labels(page, where)
        else:
            assert_opened_navbar_fits(page, where)

    page = open_window(new_page, language, VIEWPORTS[viewport])
    log_in(page, USER)
    # The screenshot first, so there is one to look at when a check fails.
    open_page(page, "/index", language)
    expect(page.locator(".post-actions").first).to_be_visible()  # the feed has its posts, and their actions
    screenshot(page, f"index-{language}-{viewport}")
    try:
        for path in ("/index", "/explore", f"/user/{USER}", f"/user/{OTHER}", f"/post/{posts['mine']}",
                     f"/post/{posts['theirs']}", "/messages", f"/search?q={WORD}", f"/tag/{TAG}", "/edit_profile"):
            check(page, path, "logged in")
        visitor = open_window(new_page, language, VIEWPORTS[viewport])
        for path in ("/auth/login", "/auth/register"):
            check(visitor, path, "anonymous")
    finally:
        record_property("navbar_heights", {"english": english, language: measured})
        print(f"\nnavbar heights, {language} {viewport}: {measured}; English desktop {english}")
    browser_log.assert_clean()


def test_the_check_catches_a_navbar_label_that_does_not_fit(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog
) -> None:
    """A 60-letter label (longer than any translation should be) cannot fit
    the navbar: it either pushes it onto a second row, breaks a label, or
    (navbar labels never break, microblog.css) sticks out of the page. One
    of the checks must say so."""
    add_data(live_server)
    english = english_navbar_heights(new_page)
    page = open_window(new_page, "en", DESKTOP)
    log_in(page, USER)
    open_page(page, "/explore", "en")
    assert_one_row(page, "before", english["logged in"])
    assert_fits(page, "before")
    page.evaluate("""() => { document.querySelector('nav.navbar a.nav-link[href$="/explore"]').textContent
                               = "Entdeckungsreisenvorbereitungsgruppenleiterinnenversammlungen"; }""")
    caught = []
    for check in (lambda: assert_one_row(page, "a 60-letter label", english["logged in"]),
                  lambda: assert_no_wrapped_labels(page, "a 60-letter label"),
                  lambda: assert_fits(page, "a 60-letter label")):
        try:
            check()
        except AssertionError as failure:
            caught.append(str(failure))
    assert caught, "no check noticed a 60-letter navbar label"
    browser_log.assert_clean()


def test_the_check_catches_a_label_on_two_lines(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog
) -> None:
    """A post action given a long phrase in a narrow column breaks over two
    lines: the wrap check must name it. (A single long word would not wrap:
    it would stick out, which is the overflow check's to catch.)"""
    add_data(live_server)
    page = open_window(new_page, "en", DESKTOP)
    log_in(page, USER)
    open_page(page, "/explore", "en")
    assert_no_wrapped_labels(page, "before")
    page.evaluate("""() => { const link = document.querySelector(".post-actions .reply-action");
                             link.style.maxWidth = "6em"; link.textContent = "Write a reply to this post"; }""")
    with pytest.raises(AssertionError, match=r'a\.reply-action "Write a reply to this post": [2-9] lines'):
        assert_no_wrapped_labels(page, "a long reply label")
    browser_log.assert_clean()
