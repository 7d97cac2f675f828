"""Collections as in the Mega-Tutorial: ``items``, ``_meta`` and ``_links``,
from ``?page=`` and ``?per_page=``.

``page`` must be a positive integer up to MAX_PAGE and ``per_page`` a
positive integer (above MAX_PER_PAGE it counts as MAX_PER_PAGE); anything
else is a 400 naming the parameter. A page past the end is empty.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import request, url_for

from app.errors import ValidationError
from app.extensions import db

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
MAX_PAGE = 10**9  # far beyond any real page; keeps OFFSET a 64-bit integer
_HUGE = 10**12  # stands for any longer number: int() of a huge digit string is slow


def _positive_int(name: str, default: int, errors: dict[str, list[str]]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # isdigit() alone would admit other scripts' digits, such as "٣".
    digits = raw.lstrip("0") if raw.isascii() and raw.isdigit() else ""
    if digits:
        return int(digits) if len(digits) <= 12 else _HUGE
    errors[name] = ["Must be a positive integer."]
    return default


def page_args() -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    page = _positive_int("page", 1, errors)
    per_page = min(_positive_int("per_page", DEFAULT_PER_PAGE, errors), MAX_PER_PAGE)
    if page > MAX_PAGE and "page" not in errors:
        errors["page"] = [f"Must be at most {MAX_PAGE}."]
    if errors:
        raise ValidationError("Invalid pagination parameters.", errors=errors)
    return page, per_page


def paginate(query: sa.Select, fetch: Callable[[sa.Select], list[dict[str, Any]]], endpoint: str,
             **view_args: Any) -> dict[str, Any]:
    """One page of ``query`` (ordered), rendered by ``fetch``: two statements, a count and the page."""
    count = query.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None)
    return paginated(count, lambda limit, offset: fetch(query.limit(limit).offset(offset)), endpoint, **view_args)


def paginated(count: sa.Select[tuple[int]], window: Callable[[int, int], list[dict[str, Any]]], endpoint: str,
              **view_args: Any) -> dict[str, Any]:
    """One page of ``count`` items, as ``window(limit, offset)`` reads and
    renders them: for a list with better statements than one query counted
    and limited (the feed)."""
    page, per_page = page_args()
    total = db.session.scalar(count) or 0
    items = window(per_page, (page - 1) * per_page)
    total_pages = -(-total // per_page)

    def link(number: int) -> str:
        return url_for(endpoint, page=number, per_page=per_page, **view_args)

    return {
        "items": items,
        "_meta": {"page": page, "per_page": per_page, "total_pages": total_pages, "total_items": total},
        "_links": {
            "self": link(page),
            "next": link(page + 1) if page < total_pages else None,
            "prev": link(page - 1) if page > 1 else None,
        },
    }
