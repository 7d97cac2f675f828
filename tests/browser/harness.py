"""What the browser fixtures hand to tests: the live server, and a log of what
the pages did that no page of ours should do."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask

from config import TestConfig

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request

# Schemes that never leave the browser (Bootstrap's CSS inlines its icons as data: URLs).
IN_BROWSER_SCHEMES = {"data", "blob", "about"}


class BrowserTestConfig(TestConfig):
    WTF_CSRF_ENABLED = True  # the browser submits the real forms, tokens and all


@dataclass(frozen=True)
class CSPWatch:
    """An init script reporting every ``securitypolicyviolation`` event of a
    page to the test through a binding. It runs before the page's own
    scripts, in every document, and marks the page so a test can tell it ran."""

    binding: str = "__microblogCspViolation"
    marker: str = "__microblogCspWatched"

    @property
    def script(self) -> str:
        return f"""(() => {{
  window.{self.marker} = true;
  document.addEventListener("securitypolicyviolation", (event) => {{
    window.{self.binding}({{
      page: document.URL, directive: event.effectiveDirective, blocked: event.blockedURI,
      source: event.sourceFile, line: event.lineNumber, sample: event.sample,
    }});
  }}, true);
}})();"""


CSP_WATCH = CSPWatch()


@dataclass
class LiveServer:
    url: str
    app: Flask | None = field(default=None, repr=False)  # to set up data, in an app context
    errors: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in IN_BROWSER_SCHEMES:
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.url


@dataclass
class BrowserLog:
    """Requests to any other origin than the live server's, console errors,
    Content-Security-Policy violations and uncaught JavaScript exceptions from
    every page watched, and the server's unhandled exceptions."""

    server: LiveServer
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def assert_clean(self, expected_console: str | tuple[str, ...] = ()) -> None:
        """``expected_console``: substrings of console errors the test caused on purpose."""
        expected = (expected_console,) if isinstance(expected_console, str) else expected_console
        # A plain raise: this module is not assertion-rewritten, so the message is all pytest shows.
        problems = [
            *(f"request to another host: {r}" for r in self.foreign_requests),
            *(f"console error: {e}" for e in self.console_errors if not any(x in e for x in expected)),
            *(f"CSP violation: {v}" for v in self.csp_violations),
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

    def on_csp_violation(self, source: dict[str, Any], violation: dict[str, Any]) -> None:
        """The ``CSP_WATCH`` binding's callback."""
        self.csp_violations.append(
            f"{violation['page']}: {violation['directive']} blocked {violation['blocked'] or '(inline)'}"
            f" at {violation['source']}:{violation['line']} {violation['sample']!r}")

    def _on_console(self, page: Page, msg: ConsoleMessage) -> None:
        # Chromium also says so in the console, at any level: the event misses
        # nothing it reports, but two witnesses are cheap.
        if "Content Security Policy" in msg.text:
            self.csp_violations.append(f"{page.url}: console {msg.type}: {msg.text}")
        if msg.type == "error":
            self.console_errors.append(f"{page.url}: {msg.text} ({msg.location.get('url')})")
