"""What is written once and reused across requests, kept per app in a
bounded table (the blank forms, base.html's navbar and scripts)."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")


def kept(table: str, key: Hashable, build: Callable[[], T], limit: int) -> T:
    """``table``'s entry for ``key``, built by ``build()`` the first time.
    Past ``limit`` entries the table starts again rather than grow."""
    entries: dict[Hashable, T] = current_app.extensions.setdefault(table, {})
    value = entries.get(key)
    if value is None:
        value = build()
        if len(entries) >= limit:
            entries.clear()
        entries[key] = value
    return value
