"""One HTTP call to a provider, bounded in time and size, shared by the providers.

``requests``' own timeout is per socket read: a server that trickles a byte
a second would hold the request (and a web worker) far past it. Here the
answer is read in chunks against one deadline, and a body larger than any
translation of a post is refused rather than read.
"""
from __future__ import annotations

import json
import time
from typing import Any

import requests
from urllib3.exceptions import HTTPError, ReadTimeoutError

from app.translate.provider import BAD_RESPONSE, TIMEOUT, UNAVAILABLE, TranslationFailed

MAX_ANSWER_BYTES = 256 * 1024  # a post is at most a few hundred characters
_CHUNK = 16 * 1024


def post_json(url: str, payload: dict[str, Any], timeout: float,
              headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST ``payload`` as JSON; the answer's status and its body parsed as
    JSON (None when it is not JSON). Raises ``TranslationFailed`` for a
    timeout, a connection failure, a redirect or an oversized answer."""
    deadline = time.monotonic() + timeout
    try:
        with requests.post(url, json=payload, headers={"Accept": "application/json", **(headers or {})},
                           timeout=timeout, stream=True, allow_redirects=False) as response:
            body = _read(response, deadline)
            status = response.status_code
    except requests.Timeout:
        raise TranslationFailed(TIMEOUT) from None
    except requests.RequestException:  # refused, reset, DNS, TLS: the provider cannot be reached
        raise TranslationFailed(UNAVAILABLE) from None
    if 300 <= status < 400:  # never followed: a POST redirected is a misconfigured URL
        raise TranslationFailed(BAD_RESPONSE, status)
    try:
        return status, json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return status, None


def _read(response: requests.Response, deadline: float) -> bytes:
    """The body, read as it arrives (``read1``: whatever the socket has, not a
    full chunk), checked against the deadline after every read."""
    chunks, size = [], 0
    try:
        while chunk := response.raw.read1(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise TranslationFailed(BAD_RESPONSE, response.status_code)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TranslationFailed(TIMEOUT)
    except ReadTimeoutError:
        raise TranslationFailed(TIMEOUT) from None
    except HTTPError:  # the connection broke mid-answer, or its encoding was wrong
        raise TranslationFailed(UNAVAILABLE) from None
    return b"".join(chunks)
