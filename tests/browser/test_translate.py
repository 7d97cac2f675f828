"""The Translate link in Chromium (static/js/translate.js), against the
LibreTranslate stand-in: the body replaced by the translation as text and put
back by "Show original", and a failure said inline with the body untouched."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post
from tests.browser.actions import add_user, log_in
from tests.browser.harness import BrowserLog, LiveServer
from tests.support.libretranslate import LibreTranslateStandIn

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    pass

pytestmark = pytest.mark.browser

# Markup in the body: the translation must come back as text, never as HTML.
BODY = "hola <b>amigos</b> de #microblog"


@pytest.fixture
def stand_in() -> Iterator[LibreTranslateStandIn]:
    with LibreTranslateStandIn() as server:
        yield server


@pytest.fixture
def live_config(stand_in: LibreTranslateStandIn) -> dict[str, object]:
    return {"TRANSLATOR": "libretranslate", "LIBRETRANSLATE_URL": stand_in.url, "TRANSLATE_TIMEOUT": 2,
            "LANGUAGES": ["en", "es"]}


def spanish_post(server: LiveServer) -> int:
    add_user(server, "john", posts=(BODY,))
    assert server.app is not None
    with server.app.app_context():
        post_id = db.session.scalar(sa.select(Post.id).where(Post.body == BODY))
        db.session.execute(sa.update(Post).where(Post.id == post_id).values(language="es"))
        db.session.commit()
    return post_id


def test_translate_and_show_the_original(live_server, new_page, browser_log: BrowserLog, stand_in, screenshot):
    post_id = spanish_post(live_server)
    add_user(live_server, "susan")
    page = new_page()
    log_in(page, "susan")
    page.goto("/explore")
    post = page.locator(f"#post-{post_id}")
    body = post.locator(".post-body")
    original = body.inner_html()
    assert "#microblog</a>" in original  # the rendered body: a tag link
    link = post.locator(".translate-action")
    expect(link).to_have_text("Translate")
    screenshot(page, "before")

    link.click()
    expect(body).to_have_text(f"[en] {BODY}")
    assert body.locator("b, a").count() == 0  # the provider's "<b>" stayed text
    assert body.get_attribute("lang") == "en"
    expect(link).to_have_text("Show original")
    screenshot(page, "translated")

    link.click()
    expect(link).to_have_text("Translate")
    assert body.inner_html() == original
    link.click()  # again: the server's cache answers
    expect(body).to_have_text(f"[en] {BODY}")
    assert stand_in.calls == 1
    browser_log.assert_clean()


def test_a_failure_is_said_beside_the_link(live_server, new_page, browser_log: BrowserLog, stand_in, screenshot):
    post_id = spanish_post(live_server)
    add_user(live_server, "susan")
    page = new_page()
    log_in(page, "susan")
    page.goto(f"/post/{post_id}")
    post = page.locator(f"#post-{post_id}")
    body = post.locator(".post-body")
    original = body.inner_html()
    stand_in.stop()

    post.locator(".translate-action").click()
    expect(post.locator(".translate-error")).to_have_text("Translation is not available right now")
    screenshot(page, "failed")
    assert body.inner_html() == original
    expect(post.locator(".translate-action")).to_have_text("Translate")

    stand_in.start()  # back: a second click works, and the message goes
    post.locator(".translate-action").click()
    expect(body).to_have_text(f"[en] {BODY}")
    expect(post.locator(".translate-error")).to_have_count(0)
    # The 503 is the one console line (Chromium logs every failed fetch).
    browser_log.assert_clean(expected_console="503")


def test_without_javascript_the_link_opens_the_post(live_server, new_page, stand_in):
    post_id = spanish_post(live_server)
    add_user(live_server, "susan")
    page = new_page(java_script_enabled=False)
    page.goto("/auth/login")
    page.get_by_label("Username").fill("susan")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign In").click()
    page.goto("/explore")
    page.locator(f"#post-{post_id} .translate-action").click()
    page.wait_for_url(f"**/post/{post_id}")
    assert stand_in.calls == 0
