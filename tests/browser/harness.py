"""What the browser fixtures hand to tests: the live server, and a log of what
the pages did that no page of ours should do."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from config import TestConfig

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request

# Schemes that never leave the browser (Bootstrap's CSS inlines its icons as data: URLs).
IN_BROWSER_SCHEMES = {"data", "blob", "about"}


class BrowserTestConfig(TestConfig):
    WTF_CSRF_ENABLED = True  # the browser submits the real forms, tokens and all


@dataclass
class LiveServer:
    url: str
    errors: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in IN_BROWSER_SCHEMES:
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.url


@dataclass
class BrowserLog:
    """Requests to any other origin than the live server's, console errors and
    uncaught JavaScript exceptions from every page watched, and the server's
    unhandled exceptions."""

    server: LiveServer
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def assert_clean(self, expected_console: str | None = None) -> None:
        """``expected_console``: a substring of console errors the test caused on purpose."""
        # A plain raise: this module is not assertion-rewritten, so the message is all pytest shows.
        problems = [
            *(f"request to another host: {r}" for r in self.foreign_requests),
            *(f"console error: {e}" for e in self.console_errors
              if expected_console is None or expected_console not in e),
            *(f"server error: {e}" for e in self.server.errors),
        ]
        if problems:
            raise AssertionError("\n".join(problems))

    def watch(self, page: Page) -> None:
        page.on("request", self._on_request)
        page.on("console", lambda msg: self._on_console(page, msg))
        page.on("pageerror", lambda exc: self.console_errors.append(f"{page.url}: uncaught {exc}"))

    def _on_request(self, request: Request) -> None:
        if not self.server.is_local(request.url):
            self.foreign_requests.append(f"{request.frame.url} -> {request.url}")

    def _on_console(self, page: Page, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append(f"{page.url}: {msg.text} ({msg.location.get('url')})")
