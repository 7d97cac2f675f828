"""Dates and times as the server writes them: absolute, in UTC, in the
page's language (Babel's medium date and short time), inside a
``<time datetime>`` that static/js/dates.js turns into the reader's time
zone or "3 minutes ago".

Babel takes about 25 µs a date, and a page shows 25 to 50: the date part is
kept per (language, day) and the time per (language, hour, minute), so a
page costs dictionary lookups, not formatting.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from flask import has_request_context
from flask_babel import get_locale


@lru_cache(maxsize=8192)
def _day(language: str, day: date) -> str:
    return format_date(day, "medium", locale=language)


@lru_cache(maxsize=8192)
def _clock(language: str, hour: int, minute: int) -> str:
    return format_time(datetime(2000, 1, 1, hour, minute), "short", locale=language)


@lru_cache(maxsize=64)
def _joined(language: str) -> str:
    """How the language joins a date and a time: "{1}, {0}" in English."""
    return str(get_datetime_format("medium", locale=Locale.parse(language)))


def language() -> str:
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale is not None else "en"


def when(moment: datetime, language_code: str | None = None) -> str:
    """``moment`` (UTC) as "May 3, 2026, 2:07 PM UTC", in the page's language."""
    code = language_code or language()
    return _joined(code).replace("{1}", _day(code, moment.date())).replace(
        "{0}", _clock(code, moment.hour, moment.minute)) + " UTC"
