"""Dates in the reader's language and time zone (issue 16): the server writes
every time as ``<time datetime>`` around an absolute UTC date in the page's
language (app/i18n/dates.py), and static/js/dates.js, on logged-in pages,
turns it into "hace 3 minutos" within a week, or else the date in the
browser's time zone, keeping the absolute form in the title and refreshing
each minute.

Bogotá is UTC-5 and Tokyo UTC+9 all year (no daylight saving): the expected
local times are exact."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Post, User
from tests.browser.actions import add_user, log_in
from tests.browser.harness import BrowserLog, LiveServer

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
SPANISH = {"locale": "es-ES", "timezone_id": "America/Bogota"}
ENGLISH = {"locale": "en-US", "timezone_id": "Asia/Tokyo"}
BOGOTA, TOKYO = timedelta(hours=-5), timedelta(hours=9)
OLD = datetime(2025, 1, 15, 3, 30, tzinfo=UTC)
# What the browser formats itself, with the zone named: to compare the page's title with.
FORMAT_IN = """([iso, language, zone]) => new Intl.DateTimeFormat(language,
  {dateStyle: "medium", timeStyle: "short", timeZone: zone}).format(new Date(iso))"""


@pytest.fixture
def live_config() -> dict[str, object]:
    return {"LANGUAGES": ["en", "es", "de"]}


def add_post_at(server: LiveServer, username: str, body: str, timestamp: datetime) -> int:
    assert server.app is not None
    with server.app.app_context():
        post = Post(body=body, author=db.session.scalar(User.by_username(username)), timestamp=timestamp)
        db.session.add(post)
        db.session.commit()
        return post.id


def post_time(page: Page, post: int) -> Locator:
    return page.locator(f"#post-{post} a.post-link time")


def test_spanish_in_bogota_a_recent_post_reads_minutes_ago_with_the_local_time_in_its_title(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "bob")
    made = datetime.now(UTC) - timedelta(minutes=3)  # microseconds and all, as utcnow() writes them
    post = add_post_at(live_server, "bob", "Tres minutos", made)
    page = new_page(**SPANISH)
    log_in(page, "bob")
    page.goto("/explore")
    page.wait_for_load_state("load")  # dates.js has run
    expect(page.locator("html")).to_have_attribute("lang", "es")
    shown = post_time(page, post)
    expect(shown).to_have_attribute("datetime", made.isoformat())
    assert made.isoformat().endswith("+00:00")
    expect(shown).to_have_text("hace 3 minutos")
    expect(shown).to_have_attribute("data-shown", "relative")

    title = shown.get_attribute("title") or ""
    local = made + BOGOTA
    # e.g. "1 dic 2026, 15:56": the day, month and year in Bogotá, and the hour five behind UTC.
    assert re.fullmatch(rf"{local.day} \w+\.? {local.year}, {local.hour}:{local.minute:02d}", title), title
    assert local.hour == (made.hour - 5) % 24
    assert title == page.evaluate(FORMAT_IN, [made.isoformat(), "es", "America/Bogota"])
    screenshot(page, "explore-relative")

    # The profile's "Last seen" (in Spanish: "Última conexión") is the login just now.
    page.goto("/user/bob")
    page.wait_for_load_state("load")
    seen = page.locator("p", has_text="Última conexión:").locator("time")
    expect(seen).to_have_text("ahora")
    expect(seen).to_have_attribute("data-shown", "relative")
    expect(post_time(page, post)).to_have_text("hace 3 minutos")
    browser_log.assert_clean()


def test_spanish_in_bogota_an_old_post_shows_the_local_date_the_day_before(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "bob")
    post = add_post_at(live_server, "bob", "Una noche de enero", OLD)
    page = new_page(**SPANISH)
    log_in(page, "bob")
    for where in ("/explore", "/user/bob", f"/post/{post}"):
        page.goto(where)
        page.wait_for_load_state("load")
        shown = post_time(page, post)
        expect(shown).to_have_attribute("datetime", "2025-01-15T03:30:00+00:00")
        # 03:30 UTC on the 15th is 22:30 on the 14th in Bogotá.
        expect(shown).to_have_text("14 ene 2025, 22:30")
        expect(shown).to_have_attribute("title", "14 ene 2025, 22:30")
        expect(shown).to_have_attribute("data-shown", "absolute")
        if where == "/explore":
            screenshot(page, "explore-absolute")
    browser_log.assert_clean()


def test_without_javascript_the_server_s_spanish_utc_text_stands(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "bob")
    post = add_post_at(live_server, "bob", "Una noche de enero", OLD)
    page = new_page(java_script_enabled=False, **SPANISH)
    log_in(page, "bob")
    page.goto("/explore")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.microblogDates") == "undefined"  # the scripts did not run
    expect(page.locator("html")).to_have_attribute("lang", "es")
    shown = post_time(page, post)
    expect(shown).to_have_attribute("datetime", "2025-01-15T03:30:00+00:00")
    expect(shown).to_have_text("15 ene 2025, 3:30 UTC")  # Babel's es medium date and short time, in UTC
    for untouched in ("title", "data-shown"):
        assert shown.get_attribute(untouched) is None
    screenshot(page, "explore-no-javascript")
    browser_log.assert_clean()


def test_english_in_tokyo_minutes_ago_and_an_old_post_in_tokyo_time(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    add_user(live_server, "bob")
    made = datetime.now(UTC) - timedelta(minutes=3)
    recent = add_post_at(live_server, "bob", "Three minutes", made)
    old = add_post_at(live_server, "bob", "A January noon", OLD)
    page = new_page(**ENGLISH)
    log_in(page, "bob")
    page.goto("/explore")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    shown = post_time(page, recent)
    expect(shown).to_have_text("3 minutes ago")
    expect(shown).to_have_attribute("data-shown", "relative")
    local = made + TOKYO
    hour12 = local.hour % 12 or 12
    title = shown.get_attribute("title") or ""
    assert re.fullmatch(rf"[A-Z][a-z]{{2}} {local.day}, {local.year}, {hour12}:{local.minute:02d}\s"
                        f"{'AM' if local.hour < 12 else 'PM'}", title), title
    assert title == page.evaluate(FORMAT_IN, [made.isoformat(), "en", "Asia/Tokyo"])

    # 03:30 UTC is 12:30 in Tokyo, the same day.
    shown = post_time(page, old)
    expect(shown).to_have_text(re.compile(r"^Jan 15, 2025, 12:30\sPM$"))
    expect(shown).to_have_attribute("title", re.compile(r"^Jan 15, 2025, 12:30\sPM$"))
    expect(shown).to_have_attribute("data-shown", "absolute")
    screenshot(page, "explore-english-tokyo")
    browser_log.assert_clean()


def test_relative_times_refresh_each_minute_without_a_reload(
    new_page: Callable[..., Page], live_server: LiveServer, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    made = datetime(2026, 5, 3, 14, 7, 30, tzinfo=UTC)
    add_user(live_server, "bob")
    post = add_post_at(live_server, "bob", "Tres minutos", made)
    page = new_page(**SPANISH)
    log_in(page, "bob")
    page.clock.install(time=made + timedelta(minutes=3))  # the browser's clock: the server's is its own
    page.goto("/explore")
    page.wait_for_load_state("load")
    page.evaluate("window.stillTheSamePage = true")
    shown = post_time(page, post)
    expect(shown).to_have_text("hace 3 minutos")
    expect(shown).to_have_attribute("title", "3 may 2026, 9:07")  # Bogotá: 14:07 UTC less five hours
    screenshot(page, "three-minutes")

    page.clock.run_for("01:00")  # the minute's refresh
    expect(shown).to_have_text("hace 4 minutos")
    page.clock.run_for("01:00")
    expect(shown).to_have_text("hace 5 minutos")
    expect(shown).to_have_attribute("data-shown", "relative")
    expect(shown).to_have_attribute("title", "3 may 2026, 9:07")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "five-minutes")
    browser_log.assert_clean()
