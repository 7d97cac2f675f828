"""Fixtures for the browser tests: the app on a real HTTP server, one Chromium
per session, a fresh browser context for every user a test plays, and
screenshots kept under ``test-artifacts/browser/<test name>/``."""
from __future__ import annotations

import itertools
import re
import shutil
import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import make_server

from app import create_app, db
from tests.browser.harness import CSP_WATCH, BrowserLog, BrowserTestConfig, LiveServer
from tests.support.requirements import missing

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # the ``browser`` fixture reports it (a skip, or a failure in CI)
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that phones home: the tests must not need the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# From this file, not the working directory: pytest may be started anywhere.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        missing("playwright is not installed: pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        missing(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _record_exception(server: LiveServer) -> Callable[..., None]:
    def record(sender: Flask, exception: BaseException, **extra: object) -> None:
        server.errors.append(f"{type(exception).__name__}: {exception}")

    return record


@pytest.fixture
def live_config() -> dict[str, object]:
    """Extra settings for the ``live_server``'s app; a test module overrides this fixture."""
    return {}


@pytest.fixture
def live_server(tmp_path: Path, live_config: dict[str, object]) -> Iterator[LiveServer]:
    """The app with a fresh SQLite file, served over HTTP from a background thread."""
    config = type("Config", (BrowserTestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.db'}", **live_config})
    app = create_app(config)
    with app.app_context():
        db.create_all()
    # Port 0: the kernel picks a free port as it binds, so no other process can take it first.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(url=f"http://127.0.0.1:{server.port}", app=app)
    # A 500 shows in the browser only as a page; keep the exception for the test to report.
    recorder = _record_exception(live)
    got_request_exception.connect(recorder, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    got_request_exception.disconnect(recorder, app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser_log(live_server: LiveServer) -> BrowserLog:
    return BrowserLog(live_server)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the item, so fixtures can tell a failed test at teardown.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def artifact_dir(node: pytest.Item) -> Path:
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", node.name)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``screenshot(page, "step")`` saves ``NN-step.png``, numbered in the order taken."""
    directory = artifact_dir(request.node)
    shutil.rmtree(directory, ignore_errors=True)  # this test's shots from an earlier run only
    directory.mkdir(parents=True)
    counter = itertools.count(1)

    def take(page: Page, step: str) -> Path:
        path = directory / f"{next(counter):02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, browser_log: BrowserLog
) -> Iterator[Callable[..., Page]]:
    """``new_page()`` opens a page in a fresh browser context: its own cookies,
    so each call is another user. Keyword arguments go to the context
    (``new_page(java_script_enabled=False)``). Requests to other hosts are
    recorded in ``browser_log`` and aborted, so a test never touches the
    network; so are Content-Security-Policy violations."""
    contexts: list[BrowserContext] = []

    def open_page(**options: object) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800},
                                      **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.route(lambda url: not live_server.is_local(url), lambda route: route.abort("blockedbyclient"))
        context.expose_binding(CSP_WATCH.binding, browser_log.on_csp_violation)
        context.add_init_script(CSP_WATCH.script)
        context.on("page", browser_log.watch)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "report_call", None)
    for n, context in enumerate(contexts, start=1):
        try:
            if report is not None and report.failed:
                directory = artifact_dir(request.node)
                directory.mkdir(parents=True, exist_ok=True)
                for m, page in enumerate(context.pages, start=1):
                    page.screenshot(path=directory / f"failed-context{n}-page{m}.png", full_page=True)
        finally:
            context.close()
