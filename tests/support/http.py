"""A small HTTP client with a cookie jar that submits forms the way a browser
does (CSRF token included), for tests against a real server."""
from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # let the test see the 302 itself


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]
    seconds: float


class Session:
    def __init__(self, base_url: str, timeout: float = 15) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method: str, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                status, text, hdrs = response.status, response.read().decode(errors="replace"), response.headers
        except urllib.error.HTTPError as error:
            status, text, hdrs = error.code, error.read().decode(errors="replace"), error.headers
        return Answer(status, text, dict(hdrs.items()), time.perf_counter() - started)

    def get(self, path: str, **kwargs) -> Answer:  # type: ignore[no-untyped-def]
        return self.request("GET", path, **kwargs)

    def token(self, path: str) -> str:
        answer = self.get(path)
        match = _TOKEN.search(answer.body)
        if match is None:
            raise AssertionError(f"no CSRF token on {path} ({answer.status})")
        return match.group(1)

    def submit(self, path: str, data: dict[str, str], form_path: str | None = None) -> Answer:
        """POST a form to ``path`` with a token taken from ``form_path``
        (default: the same page)."""
        return self.request("POST", path, {**data, "csrf_token": self.token(form_path or path)})

    def login(self, username: str, password: str) -> None:
        answer = self.submit("/auth/login", {"username": username, "password": password})
        if answer.status != 302:
            raise AssertionError(f"login as {username} failed: {answer.status}")


@dataclass
class Sample:
    """One request of a load: when it started (seconds into the run), what,
    how it ended and how long it took."""

    started: float
    path: str
    status: int
    seconds: float
    body: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds
