"""What the app must answer to anything: never a 5xx, and a rejection that
says why (a problem document with a ``detail``, a form shown again with its
errors, a flash, or an error page)."""
from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

from werkzeug.test import TestResponse

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
# A message a person can read: a field error or a flash on a form, the lead
# paragraph of an error page. Its text is escaped, so it never starts with "<".
_FORM_MESSAGE = re.compile(
    r'class="invalid-feedback[^"]*">\s*[^<\s]|class="alert alert-[\w-]+" role="alert">\s*[^<\s]'
)
_ERROR_MESSAGE = re.compile(r'<p class="lead">\s*[^<\s]')


def _show(response: TestResponse) -> str:
    return f"{response.status_code} {response.mimetype}: {response.get_data(as_text=True)[:3000]}"


def assert_problem(response: TestResponse, status: int | None = None) -> dict:
    """A 4xx RFC 9457 problem document with a non-empty ``detail``."""
    assert 400 <= response.status_code < 500, _show(response)
    if status is not None:
        assert response.status_code == status, _show(response)
    assert response.mimetype == "application/problem+json", _show(response)
    doc = response.get_json(force=True)
    assert PROBLEM_KEYS <= doc.keys(), doc
    assert doc["status"] == response.status_code
    assert isinstance(doc["detail"], str) and doc["detail"].strip(), doc
    assert doc["request_id"] == response.headers["X-Request-ID"]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body
    return doc


def assert_api_answer(response: TestResponse, accepted: tuple[int, ...] = (200, 201)) -> bool:
    """Either accepted (JSON) or a problem document; True when accepted."""
    if response.status_code in accepted:
        assert response.mimetype == "application/json", _show(response)
        return True
    assert_problem(response)
    return False


def assert_page(response: TestResponse) -> str:
    """An HTML answer that is not a 5xx: "redirect", "page", or "error" (with its message)."""
    assert response.status_code < 500, _show(response)
    if 300 <= response.status_code < 400:
        assert response.headers.get("Location"), _show(response)
        return "redirect"
    assert response.mimetype == "text/html", _show(response)
    if response.status_code >= 400:
        # An error page, or the form again with what was wrong (the message
        # form answers bad input with a 400 and its field error).
        text = response.get_data(as_text=True)
        assert _ERROR_MESSAGE.search(text) or _FORM_MESSAGE.search(text), _show(response)
        return "error"
    return "page"


def assert_form_answer(response: TestResponse) -> str:
    """A form POST: a redirect, an error page with its message, or the form
    again with a field error or a flash saying what was wrong."""
    outcome = assert_page(response)
    if outcome == "page":
        assert _FORM_MESSAGE.search(response.get_data(as_text=True)), "shown again without a message: " + _show(
            response)
    return outcome


def flashes(response: TestResponse) -> list[str]:
    return re.findall(r'role="alert">([^<]*)<', response.get_data(as_text=True))


def field_errors(response: TestResponse) -> list[str]:
    return re.findall(r'class="invalid-feedback[^"]*">([^<]*)<', response.get_data(as_text=True))


def is_local(location: str) -> bool:
    """Whether a browser following ``Location: location`` stays on this site.

    Browsers drop tabs and newlines, trim spaces and control characters, and
    read a backslash as a slash, so check what they would see."""
    seen = location.strip("".join(map(chr, range(33)))).replace("\t", "").replace("\n", "").replace("\r", "")
    seen = seen.replace("\\", "/")
    parts = urlsplit(seen)
    if parts.scheme:
        return parts.scheme in ("http", "https") and parts.netloc == "localhost"
    return seen.startswith("/") and not seen.startswith("//")


def basic(username: str, password: str) -> dict[str, str]:
    raw = f"{username}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the form at ``path``, for this client's session."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def health_checks(response: TestResponse) -> dict[str, dict]:
    """An application/health+json answer's checks, each by its name."""
    return {name: entries[0] for name, entries in response.get_json(force=True)["checks"].items()}
