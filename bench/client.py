"""Talking to a running microblog over HTTP, with the standard library only."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

# Flask-Login's session protection hashes the client's address and
# User-Agent into the session. Sending one agent everywhere (login, wrk, the
# in-process client) keeps it from marking the session non-fresh and setting
# a new cookie on every response, which would be measured too.
USER_AGENT = "microblog-bench"

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand back redirects as they are: a 302 after the login POST is the
    success we check for."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _status(opener: urllib.request.OpenerDirector, request: urllib.request.Request) -> tuple[int, str]:
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:  # 3xx with _NoRedirect, 4xx and 5xx
        with error:
            return error.code, error.read().decode(errors="replace")


def log_in(base_url: str, username: str, password: str) -> str:
    """Log in through the real form (CSRF token included); return the
    ``session`` cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    headers = {"User-Agent": USER_AGENT}
    url = base_url + "/auth/login"
    status, html = _status(opener, urllib.request.Request(url, headers=headers))
    token = _CSRF_INPUT.search(html)
    if status != 200 or token is None:
        raise RuntimeError(f"GET /auth/login answered {status} without a csrf_token input")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token[1]})
    status, _ = _status(opener, urllib.request.Request(url, data=form.encode(), headers=headers))
    if status != 302:
        # 200 re-renders the form (wrong password); 400 is the CSRF check,
        # failing when the session cookie from the GET was not sent back.
        raise RuntimeError(f"logging in as {username} answered {status}, not a redirect to the feed")
    # Then the feed, as a browser follows the redirect: logging in starts a
    # new session, and its first page adds the CSRF secret to it. Without
    # this, every measured request would make a new secret and sign a new
    # cookie, which no browser (keeping the new cookie) pays more than once.
    status, _ = _status(opener, urllib.request.Request(base_url + "/index", headers=headers))
    if status != 200:
        raise RuntimeError(f"the feed answered {status} right after logging in as {username}")
    for cookie in jar:
        if cookie.name == "session":
            return cookie.value
    raise RuntimeError("logged in, but no session cookie came back")


def get_status(base_url: str, path: str, session: str | None = None, extra: Sequence[str] = ()) -> int:
    """The status of one GET, redirects not followed; ``extra``: more
    ``"Name: value"`` headers."""
    headers = {"User-Agent": USER_AGENT}
    if session is not None:
        headers["Cookie"] = f"session={session}"
    headers.update(header.split(": ", 1) for header in extra)
    opener = urllib.request.build_opener(_NoRedirect)
    return _status(opener, urllib.request.Request(base_url + path, headers=headers))[0]


def get_etag(base_url: str, path: str) -> str:
    """The ETag of an anonymous GET of ``path`` (a feed), as sent."""
    request = urllib.request.Request(base_url + path, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=30) as response:
        etag = response.headers.get("ETag")
    if not etag:
        raise RuntimeError(f"GET {path} sent no ETag")
    return etag


def wrk_headers(session: str | None) -> list[str]:
    """The same agent (and cookie) for wrk as for the login."""
    headers = [f"User-Agent: {USER_AGENT}"]
    if session is not None:
        headers.append(f"Cookie: session={session}")
    return headers
