"""What every translation provider offers: a name and one call.

A provider turns any failure (no answer, a refusal, an answer it cannot
read) into ``TranslationFailed`` with one of the ``STATUSES`` below: the
service counts, logs and answers by that label alone, so no provider's raw
error text, the text sent or an API key ever reaches a metric or a log.
"""
from __future__ import annotations

from typing import Protocol

# The statuses of translations_total. ``ok`` and ``cached`` are successes,
# ``breaker_open`` is the service's own (no call made); the rest are what a
# provider raises.
TIMEOUT = "timeout"  # no complete answer within TRANSLATE_TIMEOUT
UNAVAILABLE = "unavailable"  # connection refused or reset, or a 5xx
RATE_LIMITED = "rate_limited"  # 429
AUTH = "auth"  # 401/403: a missing, wrong or banned API key
REJECTED = "rejected"  # 400: the provider refuses this request (an unsupported language)
BAD_RESPONSE = "bad_response"  # an answer that is not the documented JSON
FAILURES = (TIMEOUT, UNAVAILABLE, RATE_LIMITED, AUTH, REJECTED, BAD_RESPONSE)
STATUSES = ("ok", "cached", "breaker_open", *FAILURES)


class TranslationFailed(Exception):
    """A provider could not translate; ``status`` is one of ``FAILURES`` and
    ``http_status`` the provider's HTTP answer, when there was one."""

    def __init__(self, status: str, http_status: int | None = None) -> None:
        super().__init__(status if http_status is None else f"{status} (HTTP {http_status})")
        self.status = status
        self.http_status = http_status


class Translator(Protocol):
    """A translation provider (app/translate/libretranslate.py is one)."""

    name: str

    def translate(self, text: str, source: str, dest: str, timeout: float) -> str:
        """``text`` from ``source`` into ``dest`` (ISO 639-1 codes), within
        ``timeout`` seconds in all; raises ``TranslationFailed``."""
        ...
